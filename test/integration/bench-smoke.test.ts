// Test (bench layer): a tiny run of `npm run bench` (--smoke) writes well-formed results for every figure and
// exits 0 exactly when every target is met. The benchmarks themselves are not part of `npm test`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchResults, Figure } from "../../bench/results";

const ROOT = path.join(__dirname, "..", "..");
const FUNCTION_FOLDERS = [
  "backfill",
  "on-configuration-set-created",
  "on-configuration-set-deleted",
  "on-configuration-set-tagged",
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
  it("measures every figure of the issue: bundles and loads per function, propagation, API calls, backfill", () => {
    expect(results.figures.map((f) => f.figure).sort()).toEqual(
      [
        ...FUNCTION_FOLDERS.flatMap((folder) => [`bundle-size/${folder}`, `cold-load/${folder}`]),
        "propagation/0.3s",
        "api-calls/already-correct",
        "api-calls/new-set",
        "api-calls/backfill-shared-stream",
        "backfill/20-sets",
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

  it("exits 0 when every target is met and 1 when one is missed, and prints the table", () => {
    expect(run.status).toBe(results.pass ? 0 : 1);
    for (const f of results.figures) expect(run.stdout).toContain(f.figure);
    expect(run.stdout).toMatch(results.pass ? /all targets met/ : /TARGET MISSED/);
  });

  it("derives each reference bundle's SDK imports from the function's own sources", () => {
    const backfill = named("bundle-size/backfill").inputs.sdkImports as Record<string, string[]>;
    const created = named("bundle-size/on-configuration-set-created").inputs.sdkImports as Record<
      string,
      string[]
    >;
    // Only BackfillFunction invokes itself through Lambda; all of them reconcile through SES, IAM and Firehose.
    expect(backfill["@aws-sdk/client-lambda"]).toEqual(["InvokeCommand", "LambdaClient"]);
    expect(created["@aws-sdk/client-lambda"]).toBeUndefined();
    expect(created["@aws-sdk/client-sesv2"]).toEqual(
      expect.arrayContaining([
        "SESv2Client",
        "GetConfigurationSetCommand",
        "CreateConfigurationSetEventDestinationCommand",
      ]),
    );
    expect(created["@aws-sdk/client-firehose"]).toEqual(["DescribeDeliveryStreamCommand", "FirehoseClient"]);
    // The reference holds the SDK and nothing of ours: it is the smaller bundle.
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
});
