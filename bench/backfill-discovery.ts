// Bench layer: figure 5 — a 10,000-set account where few sets need work: the tag-discovery backfill against the
// lower bound of the SES calls its candidates need, and a full audit (--full) of the same account for the speed-up.
import path from "node:path";
import type { Report } from "../shared/report";
import { startSimulator, type Simulator } from "../simulator";
import { countCalls } from "./api-calls";
import { PEAK_RSS_LIMIT_BYTES, runCli, THROUGHPUT_TARGET } from "./backfill-throughput";
import { figure, type Figure } from "./results";
import { round } from "./stats";
import { configFor, seedSet, STREAM_NAME, TAG_KEY } from "./world";

/** The account of the issue: most sets are not opted in, a few need work, some roles outlived their sets. */
export interface DiscoveryMix {
  /** Tagged `enabled`, not wired yet: 3 SES calls each (get, get destinations, create). */
  optedIn: number;
  /** Opted out with our role and destination left over, half still tagged `disabled`, half untagged: 3 SES calls. */
  optedOut: number;
  /** Our roles whose configuration set is gone: 1 SES call each (GetConfigurationSet answers NotFound). */
  goneWithRole: number;
  /** Every other set: half untagged, half tagged with other keys; nothing to do, and tag discovery never visits them. */
  others: number;
}

export interface DiscoveryCase {
  mix: DiscoveryMix;
  /** Tag-discovery runs, each on a freshly seeded account; the fastest counts (process start-up is noisy). */
  tagRuns: number;
  /** SES requests per second: the simulator's limit and SES_REQUESTS_PER_SECOND alike. */
  sesRate: number;
  concurrency: number;
}

/** Sets that exist (the gone ones do not). */
export function existingSets(mix: DiscoveryMix): number {
  return mix.optedIn + mix.optedOut + mix.others;
}

/** SES calls a backfill needs at least: tags visits the candidates; a full audit also reads every other set. */
export function requiredSesCallsFor(mix: DiscoveryMix, discovery: "tags" | "list", pageSize = 1000): number {
  const candidates = 3 * mix.optedIn + 3 * mix.optedOut + mix.goneWithRole;
  if (discovery === "tags") return candidates;
  return candidates + mix.others + Math.max(1, Math.ceil(existingSets(mix) / pageSize));
}

/** Seeds the mix: the sets that need work spread evenly over the listing, between the others. */
export function seedDiscoveryMix(sim: Simulator, mix: DiscoveryMix): void {
  const config = configFor(sim);
  const left = { ...mix };
  const special: ("optedIn" | "optedOut" | "goneWithRole")[] = [];
  while (left.optedIn + left.optedOut + left.goneWithRole > 0) {
    for (const kind of ["optedIn", "optedIn", "optedOut", "goneWithRole"] as const) {
      if (left[kind] === 0) continue;
      special.push(kind);
      left[kind] -= 1;
    }
  }
  const total = existingSets(mix) + mix.goneWithRole;
  const at = new Map(special.map((kind, k) => [Math.floor((k * total) / special.length), kind]));
  let others = 0;
  for (let i = 0; i < total; i += 1) {
    const name = `set-${String(i).padStart(5, "0")}`;
    const kind = at.get(i);
    if (kind === "optedIn") seedSet(sim, config, name, "new");
    else if (kind === "optedOut") {
      seedSet(sim, config, name, "optedOutLeftovers");
      if (i % 2 === 0) sim.state.untagConfigurationSet(name, [TAG_KEY]);
    } else if (kind === "goneWithRole") {
      seedSet(sim, config, name, "optedOutLeftovers");
      sim.state.deleteConfigurationSet(name);
    } else {
      if (others % 2 === 0) seedSet(sim, config, name, "notOptedIn");
      else sim.state.createConfigurationSet(name);
      others += 1;
    }
  }
}

interface Measured {
  wallMs: number;
  peakRssMb: number;
  sesCalls: number;
  callsByOperation: Record<string, number>;
  report: Report;
  backfillCpuMs: number;
}

async function measure(
  root: string,
  outDir: string,
  { mix, sesRate, concurrency }: DiscoveryCase,
  discovery: "tags" | "list",
): Promise<Measured> {
  const burst = Math.max(5, Math.round(sesRate / 20));
  const sim = await startSimulator({
    propagationDelayMs: 0,
    rateLimits: { sesv2: { ratePerSecond: sesRate, burst } },
    limits: { rolesPerAccount: mix.optedOut + mix.goneWithRole + mix.optedIn + 1_000 },
  });
  try {
    sim.state.createDeliveryStream(STREAM_NAME);
    seedDiscoveryMix(sim, mix);
    sim.callLog.reset();
    const child = await runCli(
      root,
      [
        "backfill",
        "--json",
        "--concurrency",
        String(concurrency),
        ...(discovery === "list" ? ["--full"] : []),
      ],
      {
        ...sim.endpointEnv(),
        DEFAULT_DELIVERY_STREAM_ARN: configFor(sim).defaultDeliveryStreamArn!,
        SES_REQUESTS_PER_SECOND: String(sesRate),
      },
      path.join(outDir, `backfill-discovery-${discovery}.usage.json`),
    );
    if (child.code !== 0)
      throw new Error(`backfill CLI exited ${child.code}: ${child.stderr.slice(0, 2000)}`);
    const report = JSON.parse(child.stdout) as Report;
    const expected = {
      created: mix.optedIn,
      removed: mix.optedOut + mix.goneWithRole,
      skipped: discovery === "list" ? mix.others : 0,
      failed: 0,
    };
    for (const [outcome, count] of Object.entries(expected)) {
      if (report.counts[outcome as keyof Report["counts"]] !== count || report.discovery !== discovery) {
        throw new Error(
          `${discovery} backfill reported ${report.discovery} ${JSON.stringify(report.counts)}, expected ${JSON.stringify(expected)}`,
        );
      }
    }
    const calls = countCalls(sim);
    return {
      wallMs: child.wallMs,
      peakRssMb: round(child.usage.maxRssBytes / 2 ** 20, 1),
      sesCalls: calls.sesv2,
      callsByOperation: calls.byOperation,
      report,
      backfillCpuMs: Math.round(child.usage.userCpuMs + child.usage.systemCpuMs),
    };
  } finally {
    await sim.stop();
  }
}

export async function benchDiscovery(root: string, outDir: string, cases: readonly DiscoveryCase[]) {
  const figures: Figure[] = [];
  for (const benchCase of cases) {
    const { mix, sesRate, concurrency, tagRuns } = benchCase;
    const sets = existingSets(mix);
    const tagSamples: Measured[] = [];
    for (let run = 0; run < tagRuns; run += 1)
      tagSamples.push(await measure(root, outDir, benchCase, "tags"));
    const tags = tagSamples.reduce((best, sample) => (sample.wallMs < best.wallMs ? sample : best));
    const tagsPeakRssMb = Math.max(...tagSamples.map((sample) => sample.peakRssMb));
    const full = await measure(root, outDir, benchCase, "list");
    const speedUp = round(full.wallMs / tags.wallMs, 1);
    const inputs = { sets, mix, sesRequestsPerSecond: sesRate, concurrency };
    for (const [name, run, discovery, peakRssMb] of [
      ["tag-discovery", tags, "tags", tagsPeakRssMb],
      ["full-audit", full, "list", full.peakRssMb],
    ] as const) {
      const required = requiredSesCallsFor(mix, discovery);
      figures.push(
        figure({
          figure: `backfill/${sets}-sets-${name}`,
          description:
            discovery === "tags"
              ? "Wall time of `ses-firehose-autowire backfill` (tag discovery, the default; fastest of the runs) " +
                "on an account where few sets need work, divided by the SES calls its candidates need / rate."
              : "Wall time of `ses-firehose-autowire backfill --full` on the same account, divided by the SES " +
                "calls a full audit needs / rate.",
          inputs: { ...inputs, discovery, runs: discovery === "tags" ? tagRuns : 1 },
          value: run.wallMs,
          unit: "ms",
          baseline: (required / sesRate) * 1000,
          baselineDescription: "lower bound: required SES calls / SES rate",
          maxRatio: THROUGHPUT_TARGET,
          checks: [
            { name: "peak RSS (MB)", value: Math.round(peakRssMb), max: PEAK_RSS_LIMIT_BYTES / 2 ** 20 },
            { name: "SES calls beyond the required ones", value: run.sesCalls - required, max: 0 },
          ],
          details: {
            peakRssMb,
            ...(discovery === "tags"
              ? { wallMsSamples: tagSamples.map((sample) => round(sample.wallMs, 0)) }
              : {}),
            requiredSesCalls: required,
            sesCalls: run.sesCalls,
            visited: run.report.results.length,
            counts: run.report.counts,
            backfillCpuMs: run.backfillCpuMs,
            ...(discovery === "tags"
              ? { speedUpOverFullAudit: speedUp, fullAuditWallMs: round(full.wallMs, 0) }
              : { slowDownOverTagDiscovery: speedUp }),
            callsByOperation: run.callsByOperation,
          },
        }),
      );
    }
  }
  return figures;
}
