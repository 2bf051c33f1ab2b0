// Bench layer: `npm run bench` — measures speed and cost side by side with their baselines, writes
// bench/results.json, prints a table and exits 1 if a target is missed. `--smoke`: a tiny, fast run of the same code.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchApiCalls } from "./api-calls";
import { benchDiscovery, type DiscoveryCase } from "./backfill-discovery";
import { benchBackfill, type BackfillCase } from "./backfill-throughput";
import { benchBundles } from "./bundles";
import { DEFAULT_CHARTS_DIR, writeCharts } from "./charts";
import { benchEventBurst, type EventBurstPlan } from "./event-burst";
import { benchPropagation } from "./propagation";
import { benchRoleScope, type RoleScopeBenchOptions } from "./role-scope";
import { formatTable, machineInfo, type BenchResults, type Figure } from "./results";

const ROOT = path.resolve(__dirname, "..");
export const GROUPS = [
  "bundles",
  "propagation",
  "api-calls",
  "backfill",
  "discovery",
  "event-burst",
  "role-scope",
] as const;
type Group = (typeof GROUPS)[number];

const USAGE = `Usage: node --import tsx bench/run.ts [--smoke] [--only ${GROUPS.join(",")}] [--merge] [--out FILE] [--charts DIR]

  --smoke       tiny sizes (seconds, not minutes): checks the benchmark code, not the figures
  --only G,..   run only these groups
  --merge       keep the figures of FILE that this run does not measure (with --only: refresh some groups)
  --out FILE    where to write the results (default bench/results.json)
  --charts DIR  where to draw the SVG charts (default docs/charts; with --smoke or --out: beside FILE)`;

interface Plan {
  loads: number;
  propagation: { delaysMs: number[]; trials: number; staggerMs: number; fixedSleepMs: number };
  apiCallMix: { new: number; correct: number; notOptedIn: number; optedOutLeftovers: number };
  backfill: BackfillCase[];
  discovery: DiscoveryCase[];
  eventBurst: EventBurstPlan;
  roleScope: RoleScopeBenchOptions;
}

const FULL: Plan = {
  loads: 61,
  propagation: { delaysMs: [3000, 8000], trials: 21, staggerMs: 250, fixedSleepMs: 10_000 },
  apiCallMix: { new: 50, correct: 50, notOptedIn: 50, optedOutLeftovers: 50 },
  backfill: [
    {
      mix: { new: 250, correct: 250, notOptedIn: 400, optedOutLeftovers: 100 },
      sesRate: 100,
      concurrency: 4,
    },
    {
      mix: { new: 2500, correct: 2500, notOptedIn: 4000, optedOutLeftovers: 1000 },
      sesRate: 500,
      concurrency: 16,
    },
  ],
  // The account. At 50 SES calls per second the full audit takes about 3.5 minutes; 1/s is 2.8 hours.
  discovery: [
    {
      mix: { optedIn: 50, optedOut: 25, goneWithRole: 25, others: 9_925 },
      sesRate: 50,
      concurrency: 4,
      tagRuns: 3,
    },
  ],
  eventBurst: { sets: 300, sesRate: 5, seed: 42 },
  roleScope: { sets: 2_000, streams: 3, concurrency: 16 },
};

const SMOKE: Plan = {
  loads: 1,
  propagation: { delaysMs: [300], trials: 3, staggerMs: 20, fixedSleepMs: 1000 },
  apiCallMix: { new: 2, correct: 2, notOptedIn: 2, optedOutLeftovers: 2 },
  backfill: [
    { mix: { new: 5, correct: 5, notOptedIn: 8, optedOutLeftovers: 2 }, sesRate: 200, concurrency: 4 },
  ],
  discovery: [
    {
      mix: { optedIn: 4, optedOut: 2, goneWithRole: 2, others: 92 },
      sesRate: 200,
      concurrency: 4,
      tagRuns: 1,
    },
  ],
  eventBurst: { sets: 4, sesRate: 50, seed: 42 },
  roleScope: { sets: 12, streams: 3, concurrency: 4 },
};

function parse(argv: string[]): {
  smoke: boolean;
  merge: boolean;
  groups: Group[];
  out: string;
  charts: string;
} {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: "boolean" },
      merge: { type: "boolean" },
      only: { type: "string" },
      out: { type: "string" },
      charts: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const groups = values.only === undefined ? [...GROUPS] : values.only.split(",").map((g) => g.trim());
  const unknown = groups.filter((group) => !(GROUPS as readonly string[]).includes(group));
  if (unknown.length > 0)
    throw new Error(`--only: unknown group ${unknown.join(", ")}; accepted: ${GROUPS.join(", ")}`);
  const out = path.resolve(values.out ?? path.join(ROOT, "bench", "results.json"));
  // The committed charts in docs/ are drawn from the committed results only; other runs draw beside their file.
  const besideOut = values.smoke === true || values.out !== undefined;
  const charts = values.charts ?? (besideOut ? path.join(path.dirname(out), "charts") : DEFAULT_CHARTS_DIR);
  return {
    smoke: values.smoke === true,
    merge: values.merge === true,
    groups: groups as Group[],
    out,
    charts: path.resolve(charts),
  };
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  const plan = options.smoke ? SMOKE : FULL;
  const outDir = path.join(ROOT, "bench", "out", options.smoke ? `smoke-${process.pid}` : "full");
  await mkdir(outDir, { recursive: true });
  const started = performance.now();
  const figures: Figure[] = [];
  const step = async (group: Group, run: () => Promise<Figure[]>) => {
    if (!options.groups.includes(group)) return;
    const groupStarted = performance.now();
    process.stderr.write(`bench: ${group} ...\n`);
    figures.push(...(await run()));
    process.stderr.write(
      `bench: ${group} done in ${((performance.now() - groupStarted) / 1000).toFixed(1)} s\n`,
    );
  };
  await step("bundles", () => benchBundles({ root: ROOT, outDir, loads: plan.loads }));
  await step("propagation", () => benchPropagation(plan.propagation));
  await step("api-calls", () => benchApiCalls({ backfillMix: plan.apiCallMix }));
  await step("backfill", () => benchBackfill(ROOT, outDir, plan.backfill));
  await step("discovery", () => benchDiscovery(ROOT, outDir, plan.discovery));
  await step("event-burst", () => benchEventBurst(plan.eventBurst));
  await step("role-scope", () => benchRoleScope(plan.roleScope));
  // A smoke run's bundles are throwaway; the full run's stay in bench/out/full for a look.
  if (options.smoke) await rm(outDir, { recursive: true, force: true });

  const measured = new Set(figures.map((f) => f.figure));
  const earlier =
    options.merge && existsSync(options.out)
      ? (JSON.parse(await readFile(options.out, "utf8")) as BenchResults)
      : undefined;
  const kept = (earlier?.figures ?? []).filter((f) => !measured.has(f.figure));
  const all = [...kept, ...figures];
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: options.smoke ? "smoke" : "full",
    machine: machineInfo(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    pass: all.every((f) => f.pass),
    ...(earlier === undefined || kept.length === 0
      ? {}
      : { keptFrom: { date: earlier.keptFrom?.date ?? earlier.date, figures: kept.map((f) => f.figure) } }),
    figures: all,
  };
  await mkdir(path.dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  const charts = await writeCharts(results, options.charts);
  process.stdout.write(`${formatTable(figures)}\n\n`);
  process.stdout.write(
    `${results.pass ? "all targets met" : "TARGET MISSED"} in ${results.durationSeconds} s ` +
      `(node ${results.machine.node}, ${results.machine.cpus} CPUs); wrote ${path.relative(ROOT, options.out)}` +
      ` and ${charts.map((file) => path.relative(ROOT, file)).join(", ")}\n`,
  );
  return results.pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 2;
  },
);
