// Test (bench layer): a tiny run of `npm run bench` (--smoke) writes well-formed results for every figure and
// exits 0 exactly when every target is met. The benchmarks themselves are not part of `npm test`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchResults, Figure } from "../../bench/results";

const ROOT = path.join(__dirname, "..", "..");
const FUNCTION_FOLDERS = [
  "backfill",
  "on-configuration-set-created",
  "on-configuration-set-deleted",
  "on-configuration-set-tagged",
  "reconcile",
  "stack-lifecycle",
];

let dir: string;
let run: { status: number | null; stdout: string; stderr: string };
let results: BenchResults;

function named(name: string): Figure {
  const found = results.figures.find((f) => f.figure === name);
  if (found === undefined)
    throw new Error(`no figure ${name} in ${results.figures.map((f) => f.figure).join(", ")}`);
  return found;
}

beforeAll(() => {
  // Prepare / Act: the same entry point as `npm run bench`, at smoke sizes, writing to a temporary file
  dir = mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
  const out = path.join(dir, "results.json");
  run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke", "--out", out], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
    timeout: 110_000,
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`bench exited ${run.status}: ${run.stderr}`);
  results = JSON.parse(readFileSync(out, "utf8")) as BenchResults;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run bench --smoke", () => {
  it("runs the event burst with the template's bound and, as its baseline, without it", () => {
    const burst = named("event-burst/4-sets");
    const { bounded, unbounded } = burst.details as Record<string, Record<string, unknown>>;
    expect(bounded).toMatchObject({ wrongSets: 0, deadLetters: 0 });
    expect(unbounded).toMatchObject({ wrongSets: 0 });
    expect(burst.inputs.reservedConcurrency).toMatchObject({ OnConfigurationSetTaggedFunction: 2 });
    expect(bounded!.peakConcurrency).toEqual({ OnConfigurationSetTaggedFunction: 2 });
    expect(burst.baselineRatio).toBeGreaterThan(0);
  });

  it("measures every figure of the issues: bundles and loads per function, propagation, API calls, backfill, discovery, burst", () => {
    expect(results.figures.map((f) => f.figure).sort()).toEqual(
      [
        ...FUNCTION_FOLDERS.flatMap((folder) => [`bundle-size/${folder}`, `cold-load/${folder}`]),
        "propagation/0.3s",
        "api-calls/already-correct",
        "api-calls/new-set",
        "api-calls/backfill-shared-stream",
        "backfill/20-sets",
        "backfill/98-sets-tag-discovery",
        "backfill/98-sets-full-audit",
        "event-burst/4-sets",
        "role-scope/new-set-stream-role-exists",
        "role-scope/roles-for-12-sets",
      ].sort(),
    );
    expect(results.mode).toBe("smoke");
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
  });

  it("gives each figure its inputs, a positive value and baseline, a ratio and a target that decides pass", () => {
    for (const f of results.figures) {
      expect(Object.keys(f.inputs).length).toBeGreaterThan(0);
      expect(f.value).toBeGreaterThan(0);
      expect(f.baseline).toBeGreaterThan(0);
      expect(f.ratio).toBeGreaterThan(0);
      const limit = Number(/^<= (\d+(\.\d+)?)$/.exec(f.target)?.[1]);
      expect(limit).toBeGreaterThan(0);
      for (const check of f.checks) expect(check.pass).toBe(check.value <= check.max);
      expect(f.pass).toBe(f.ratio <= limit && f.checks.every((check) => check.pass));
    }
    expect(results.pass).toBe(results.figures.every((f) => f.pass));
  });

  it("draws the figures as SVG charts beside the results file, each with its baseline", () => {
    const charts = path.join(dir, "charts");
    expect(readdirSync(charts).sort()).toEqual(["backfill.svg", "bundles.svg", "propagation.svg"]);
    const propagation = readFileSync(path.join(charts, "propagation.svg"), "utf8");
    expect(propagation).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(propagation).toContain("baseline: fixed 1 s sleep (median)");
    expect(readFileSync(path.join(charts, "backfill.svg"), "utf8")).toContain("20 sets at 200 SES req/s");
    expect(run.stdout).toContain("charts/bundles.svg");
  });

  it("exits 0 when every target is met and 1 when one is missed, and prints the table", () => {
    expect(run.status).toBe(results.pass ? 0 : 1);
    for (const f of results.figures) expect(run.stdout).toContain(f.figure);
    expect(run.stdout).toMatch(results.pass ? /all targets met/ : /TARGET MISSED/);
  });

  it("derives each reference bundle's SDK and Powertools imports from the function's own sources", () => {
    const backfill = named("bundle-size/backfill").inputs.referenceImports as Record<string, string[]>;
    const created = named("bundle-size/on-configuration-set-created").inputs.referenceImports as Record<
      string,
      string[]
    >;
    // Only BackfillFunction invokes itself through Lambda and reads the tag index; all of them reconcile
    // through SES, IAM and Firehose.
    expect(backfill["@aws-sdk/client-lambda"]).toEqual(["InvokeCommand", "LambdaClient"]);
    expect(backfill["@aws-sdk/client-resource-groups-tagging-api"]).toEqual(
      expect.arrayContaining(["ResourceGroupsTaggingAPIClient", "paginateGetResources"]),
    );
    expect(created["@aws-sdk/client-lambda"]).toBeUndefined();
    expect(created["@aws-sdk/client-resource-groups-tagging-api"]).toBeUndefined();
    expect(created["@aws-sdk/client-sesv2"]).toEqual(
      expect.arrayContaining([
        "SESv2Client",
        "GetConfigurationSetCommand",
        "CreateConfigurationSetEventDestinationCommand",
      ]),
    );
    expect(created["@aws-sdk/client-firehose"]).toEqual(["DescribeDeliveryStreamCommand", "FirehoseClient"]);
    expect(created["@aws-lambda-powertools/logger"]).toEqual(["Logger"]);
    expect(created["@aws-lambda-powertools/metrics"]).toEqual(["MetricUnit", "Metrics"]);
    // The reference is built at the floor whatever the template says: minified, ES module builds first.
    expect(named("bundle-size/backfill").inputs.referenceEsbuild).toEqual({
      minify: true,
      mainFields: ["module", "main"],
    });
    // The reference holds the SDK and Powertools and nothing of ours: it is the smaller bundle.
    expect(named("bundle-size/backfill").value).toBeGreaterThan(named("bundle-size/backfill").baseline);
  });

  it("counts an already-correct set at 0 writes and a new set within 8 calls, from the simulator's call log", () => {
    const correct = named("api-calls/already-correct");
    expect(correct.value).toBe(2);
    expect(correct.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "write calls", value: 0 })]),
    );
    expect(named("api-calls/new-set").value).toBeLessThanOrEqual(8);
    expect(named("api-calls/backfill-shared-stream").value).toBe(1);
  });

  it("wires a new set onto an existing stream role with no IAM write, and counts one role per stream", () => {
    const newSet = named("role-scope/new-set-stream-role-exists");
    expect(newSet.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "IAM write calls", value: 0, pass: true })]),
    );
    expect(newSet.value).toBeLessThan(newSet.baseline);
    const roles = named("role-scope/roles-for-12-sets");
    expect([roles.value, roles.baseline]).toEqual([3, 12]);
  });

  it("backfills every set of the mix through the CLI bundle and reports its calls and peak RSS", () => {
    const backfill = named("backfill/20-sets");
    expect(backfill.details?.counts).toEqual({
      created: 5,
      updated: 0,
      unchanged: 5,
      removed: 2,
      skipped: 8,
      failed: 0,
    });
    expect(backfill.details?.sesCalls).toBe(backfill.details?.requiredSesCalls);
    expect(backfill.details?.peakRssMb).toBeGreaterThan(10);
    expect(backfill.details?.peakRssMb).toBeLessThan(256);
  });

  it("runs the discovery account both ways: tag discovery visits only the candidates, the full audit every set", () => {
    const tags = named("backfill/98-sets-tag-discovery");
    const full = named("backfill/98-sets-full-audit");
    expect(tags.details?.counts).toEqual({
      created: 4,
      updated: 0,
      unchanged: 0,
      removed: 4,
      skipped: 0,
      failed: 0,
    });
    expect(full.details?.counts).toEqual({
      created: 4,
      updated: 0,
      unchanged: 0,
      removed: 4,
      skipped: 92,
      failed: 0,
    });
    expect(tags.details?.sesCalls).toBe(tags.details?.requiredSesCalls);
    expect(tags.details?.requiredSesCalls).toBe(4 * 3 + 2 * 3 + 2);
    expect(full.details?.sesCalls).toBe(full.details?.requiredSesCalls);
    expect(tags.details?.speedUpOverFullAudit).toBeGreaterThan(0);
  });
});
