// Bench layer: figure 4 — backfill wall time under a simulated SES rate limit against the lower bound the limit and
// the required SES calls impose, and the peak RSS of the backfill process (the shipped CLI bundle, dist/cli.js).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Report } from "../shared/report";
import { startSimulator } from "../simulator";
import { figure, type Figure } from "./results";
import { countCalls } from "./api-calls";
import {
  configFor,
  requiredIamCalls,
  requiredSesCalls,
  seedMix,
  STREAM_NAME,
  total,
  type Mix,
} from "./world";

export const THROUGHPUT_TARGET = 1.15;
export const PEAK_RSS_LIMIT_BYTES = 256 * 2 ** 20;

export interface BackfillCase {
  mix: Mix;
  /** SES requests per second: the simulator's limit and SES_REQUESTS_PER_SECOND alike. */
  sesRate: number;
  /** The CLI's --concurrency. */
  concurrency: number;
}

interface ChildRun {
  code: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** Of the backfill process, from process.resourceUsage() at its exit. */
  usage: { maxRssBytes: number; userCpuMs: number; systemCpuMs: number };
  /** CPU time of this process (the simulator) while the child ran. */
  simulatorCpuMs: number;
}

export async function runCli(
  root: string,
  args: string[],
  env: Record<string, string>,
  usageFile: string,
): Promise<ChildRun> {
  const cli = path.join(root, "dist", "cli.js");
  if (!existsSync(cli))
    throw new Error("dist/cli.js is missing: run `npm run build` first (npm run bench does).");
  await rm(usageFile, { force: true });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const child = spawn(
    process.execPath,
    ["--require", path.join(__dirname, "resource-usage.cjs"), cli, ...args],
    {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_NO_WARNINGS: "1",
        ...env,
        BENCH_RESOURCE_USAGE_FILE: usageFile,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    code,
    wallMs,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
    usage: JSON.parse(await readFile(usageFile, "utf8")) as ChildRun["usage"],
    simulatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

export async function benchBackfill(
  root: string,
  outDir: string,
  cases: readonly BackfillCase[],
): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const { mix, sesRate, concurrency } of cases) {
    const sets = total(mix);
    const burst = Math.max(5, Math.round(sesRate / 20));
    const sim = await startSimulator({
      propagationDelayMs: 0,
      rateLimits: { sesv2: { ratePerSecond: sesRate, burst } },
      limits: { rolesPerAccount: sets + 1_000 },
    });
    try {
      sim.state.createDeliveryStream(STREAM_NAME);
      const config = configFor(sim);
      seedMix(sim, config, mix);
      sim.callLog.reset();
      const child = await runCli(
        root,
        // --full: this figure measures the full listing (its mix has untagged sets to visit); the tag
        // discovery of the same engine has its own figure (bench/backfill-discovery.ts).
        ["backfill", "--full", "--json", "--concurrency", String(concurrency)],
        {
          ...sim.endpointEnv(),
          DEFAULT_DELIVERY_STREAM_ARN: config.defaultDeliveryStreamArn!,
          SES_REQUESTS_PER_SECOND: String(sesRate),
        },
        path.join(outDir, `backfill-${sets}.usage.json`),
      );
      if (child.code !== 0) {
        throw new Error(`backfill CLI exited ${child.code}: ${child.stderr.slice(0, 2000)}`);
      }
      const report = JSON.parse(child.stdout) as Report;
      const expected = {
        created: mix.new,
        unchanged: mix.correct,
        skipped: mix.notOptedIn,
        removed: mix.optedOutLeftovers,
      };
      for (const [outcome, count] of Object.entries(expected)) {
        if (report.counts[outcome as keyof Report["counts"]] !== count) {
          throw new Error(
            `backfill of ${sets} sets reported ${JSON.stringify(report.counts)}, expected ${JSON.stringify(expected)}`,
          );
        }
      }
      const calls = countCalls(sim);
      const sesCalls = requiredSesCalls(mix);
      const lowerBoundMs = (sesCalls / sesRate) * 1000;
      figures.push(
        figure({
          figure: `backfill/${sets}-sets`,
          description:
            "Wall time of `ses-firehose-autowire backfill` (dist/cli.js, a fresh process) under a simulated SES " +
            "rate limit, divided by required SES calls / rate.",
          inputs: {
            sets,
            mix,
            sesRequestsPerSecond: sesRate,
            simulatorBurst: burst,
            concurrency,
            iamRateLimit: "none",
          },
          value: child.wallMs,
          unit: "ms",
          baseline: lowerBoundMs,
          baselineDescription: "lower bound: required SES calls / SES rate",
          maxRatio: THROUGHPUT_TARGET,
          checks: [
            {
              name: "peak RSS (MB)",
              value: Math.round(child.usage.maxRssBytes / 2 ** 20),
              max: PEAK_RSS_LIMIT_BYTES / 2 ** 20,
            },
            { name: "SES calls beyond the required ones", value: calls.sesv2 - sesCalls, max: 0 },
          ],
          details: {
            peakRssMb: Math.round((child.usage.maxRssBytes / 2 ** 20) * 10) / 10,
            requiredSesCalls: sesCalls,
            sesCalls: calls.sesv2,
            requiredIamCalls: requiredIamCalls(mix),
            iamCalls: calls.iam,
            rateLimitRejections: sim.callLog.entries().filter((entry) => entry.injected === "rate-limit")
              .length,
            backfillCpuMs: Math.round(child.usage.userCpuMs + child.usage.systemCpuMs),
            simulatorCpuMs: Math.round(child.simulatorCpuMs),
            setsPerSecond: Math.round((sets / child.wallMs) * 1000 * 10) / 10,
            counts: report.counts,
            callsByOperation: calls.byOperation,
          },
        }),
      );
    } finally {
      await sim.stop();
    }
  }
  return figures;
}
