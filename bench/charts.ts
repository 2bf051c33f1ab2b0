// Bench layer: `npm run charts` — draws bench/results.json as SVG charts (vega-lite specs rendered by vega's
// headless View, no browser) into docs/charts/, each figure beside its baseline. `npm run bench` calls it after a
// run; run it alone to redraw from a results file without measuring again.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { TopLevelSpec } from "vega-lite";
import type { BenchResults, Figure } from "./results";

const ROOT = path.resolve(__dirname, "..");
export const DEFAULT_CHARTS_DIR = path.join(ROOT, "docs", "charts");

type Row = Record<string, string | number>;

/** One chart: its file name (without .svg), what it shows and the vega-lite spec (data inline). */
export interface Chart {
  name: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 420;
const HEIGHT = 260;
const CONFIG = {
  font: "Helvetica, Arial, sans-serif",
  legend: { labelLimit: 400 },
  axis: { labelLimit: 300 },
};
/** The measured series is blue, its baselines orange and grey, in every chart. */
const SERIES_COLORS = ["#4c78a8", "#f58518", "#9d9d9d"];

/** The series of some rows, in order of appearance (the color scale's domain). */
function seriesOf(rows: Row[]): string[] {
  return [...new Set(rows.map((row) => String(row.series)))];
}

function figuresOf(results: BenchResults, prefix: string): Figure[] {
  return results.figures.filter((figure) => figure.figure.startsWith(prefix));
}

/** Time to the destination created against the IAM propagation delay: backoff, fixed sleep, the delay itself. */
export function propagationChart(results: BenchResults): Chart | undefined {
  const figures = figuresOf(results, "propagation/");
  if (figures.length === 0) return undefined;
  const medians: Row[] = [];
  const trials: Row[] = [];
  for (const figure of figures) {
    const delay = Number(figure.inputs.propagationDelayMs) / 1000;
    const naive = /fixed [\d.]+ s sleep/.exec(figure.baselineDescription)?.[0] ?? "naive strategy";
    medians.push(
      { delay, series: "backoff with full jitter (median)", seconds: figure.value / 1000 },
      { delay, series: `baseline: ${naive} (median)`, seconds: figure.baseline / 1000 },
      { delay, series: "floor: the propagation delay", seconds: delay },
    );
    const samples = (figure.details?.elapsedMs as number[] | undefined) ?? [];
    for (const ms of samples) trials.push({ delay, seconds: ms / 1000 });
  }
  const x = { field: "delay", type: "quantitative", title: "IAM propagation delay (s)" } as const;
  const y = { field: "seconds", type: "quantitative", title: "time to destination created (s)" } as const;
  return {
    name: "propagation",
    title: "Provisioning latency against IAM propagation delay",
    spec: {
      title: {
        text: "Provisioning latency against IAM propagation delay",
        subtitle: "lines: medians; light points: every trial of the backoff",
      },
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      layer: [
        {
          data: { values: trials },
          mark: { type: "point", opacity: 0.35, size: 20, color: "#4c78a8" },
          encoding: { x, y },
        },
        {
          data: { values: medians },
          mark: { type: "line", point: true },
          encoding: {
            x,
            y,
            color: {
              field: "series",
              type: "nominal",
              title: null,
              legend: { orient: "bottom-right" },
              scale: { domain: seriesOf(medians), range: SERIES_COLORS },
            },
          },
        },
      ],
    },
  };
}

/** Backfill wall time for each set count (and SES rate) beside its lower bound. */
export function backfillChart(results: BenchResults): Chart | undefined {
  const figures = figuresOf(results, "backfill/");
  if (figures.length === 0) return undefined;
  const rows = figures.flatMap((figure): Row[] => {
    const sets = Number(figure.inputs.sets).toLocaleString("en-US");
    const run = `${sets} sets at ${String(figure.inputs.sesRequestsPerSecond)} SES req/s`;
    return [
      { run, series: "backfill (CLI)", seconds: figure.value / 1000, ratio: `${figure.ratio.toFixed(2)}×` },
      { run, series: "floor: required SES calls / rate", seconds: figure.baseline / 1000, ratio: "" },
    ];
  });
  return {
    name: "backfill",
    title: "Backfill wall time against the number of sets",
    spec: {
      title: "Backfill wall time against the number of sets",
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      data: { values: rows },
      encoding: {
        x: { field: "run", type: "nominal", title: null, sort: null, axis: { labelAngle: 0 } },
        xOffset: { field: "series", type: "nominal" },
        y: { field: "seconds", type: "quantitative", title: "wall time (s)" },
      },
      layer: [
        {
          mark: "bar",
          encoding: {
            color: {
              field: "series",
              type: "nominal",
              title: null,
              legend: { orient: "top-left" },
              scale: { domain: seriesOf(rows), range: SERIES_COLORS },
            },
          },
        },
        { mark: { type: "text", dy: -6 }, encoding: { text: { field: "ratio" } } },
      ],
    },
  };
}

/** Each function's bundle size and fastest cold load beside the floor reference's. */
export function bundlesChart(results: BenchResults): Chart | undefined {
  const sizes = figuresOf(results, "bundle-size/");
  const loads = figuresOf(results, "cold-load/");
  if (sizes.length === 0 && loads.length === 0) return undefined;
  const rowsOf = (figures: Figure[], scale: number, baseline: string): Row[] =>
    figures.flatMap((figure) => {
      const fn = figure.figure.split("/")[1]!;
      return [
        { fn, series: "function (template build)", amount: figure.value / scale },
        { fn, series: baseline, amount: figure.baseline / scale },
      ];
    });
  const panel = (rows: Row[], title: string) => ({
    title,
    width: 200,
    height: HEIGHT,
    data: { values: rows },
    mark: "bar" as const,
    encoding: {
      y: { field: "fn", type: "nominal" as const, title: null, sort: null },
      yOffset: { field: "series", type: "nominal" as const },
      x: { field: "amount", type: "quantitative" as const, title },
      color: {
        field: "series",
        type: "nominal" as const,
        title: null,
        legend: { orient: "bottom" as const, direction: "vertical" as const },
        scale: { domain: seriesOf(rows), range: SERIES_COLORS },
      },
    },
  });
  return {
    name: "bundles",
    title: "Bundle size and cold load against the floor",
    spec: {
      title: "Bundle size and cold load against the floor (minified, MainFields module,main)",
      config: CONFIG,
      hconcat: [
        panel(rowsOf(sizes, 1024, "floor: same imports only"), "bundle size (KiB)"),
        panel(rowsOf(loads, 1, "floor: same imports, clients constructed"), "fastest cold load (ms)"),
      ],
      resolve: { scale: { color: "independent" } },
    },
  };
}

/** Every chart the results have figures for. */
export function chartsOf(results: BenchResults): Chart[] {
  return [propagationChart(results), backfillChart(results), bundlesChart(results)].filter(
    (chart): chart is Chart => chart !== undefined,
  );
}

/** SVG text of a chart: vega-lite compiles the spec, vega renders it headless (no canvas, no browser). */
export async function renderSvg(chart: Chart): Promise<string> {
  // vega is published as ES modules only (with top-level await): loaded with import(), not require().
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(chart.spec).spec), { renderer: "none" });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** Writes `<dir>/<chart>.svg` for every chart the results have figures for; returns the files written. */
export async function writeCharts(results: BenchResults, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const chart of chartsOf(results)) {
    const file = path.join(dir, `${chart.name}.svg`);
    await writeFile(file, await renderSvg(chart));
    written.push(file);
  }
  return written;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { results: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const resultsFile = path.resolve(values.results ?? path.join(ROOT, "bench", "results.json"));
  const results = JSON.parse(await readFile(resultsFile, "utf8")) as BenchResults;
  const written = await writeCharts(results, path.resolve(values.out ?? DEFAULT_CHARTS_DIR));
  process.stdout.write(
    `charts: ${written.map((file) => path.relative(process.cwd(), file)).join(", ")} from ${path.relative(process.cwd(), resultsFile)}\n`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`charts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
