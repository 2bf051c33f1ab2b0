// End-to-end test (built bundles + simulator): BackfillFunction continuing itself through the simulator's Lambda
// Invoke until done, and the CLI (dist/cli.js) as a child process: --json, --dry-run, --only, exit codes 0/1/2.
import type { BackfillPayload } from "../../shared/backfill-payload";
import type { BackfillProgress, BackfillReport } from "../../shared/backfill-run";
import type { Report } from "../../shared/report";
import {
  readWiring,
  ROLE_PATH,
  roleNameOf,
  runCli,
  startE2eWorld,
  unwiredProblems,
  wiringProblems,
  writeCalls,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

/** BackfillFunction stops taking new sets when fewer than 90 s remain (docs/backfill.md). */
const STOP_MARGIN_MS = 90_000;

beforeAll(() => assertBuilt());

describe("BackfillFunction continuing itself when time runs short", () => {
  let world: E2eWorld;
  let backfill: LambdaContainer;
  const optedIn = Array.from({ length: 24 }, (_, i) => `shop-${String(i).padStart(2, "0")}`);
  const optedOut = Array.from({ length: 8 }, (_, i) => `plain-${i}`);
  const orphan = "gone-but-has-role";

  beforeAll(async () => {
    // A little latency on every call makes each invocation's share of the work predictable.
    world = await startE2eWorld({ faults: { seed: 1, latencyMs: 5 } });
    for (const name of optedIn) world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    for (const name of optedOut) world.sim.state.createConfigurationSet(name);
    // A role we manage whose set was deleted while no event got through: the orphan phase removes it.
    const roleName = roleNameOf(world, orphan);
    world.sim.state.createRole({
      name: roleName,
      path: ROLE_PATH,
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
      tags: {
        "managed-by": "ses-firehose-autowire",
        "ses-configuration-set": orphan,
        "ses-region": world.region,
      },
    });
    backfill = await world.container("BackfillFunction", { env: { SES_REQUESTS_PER_SECOND: "1000" } });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("lists and reconciles every set exactly once across invocations and returns the report of the whole run", async () => {
    // Prepare: each invocation gets 0.3 s of work before the stop margin (the whole run needs about 0.7 s)
    const timeoutMs = STOP_MARGIN_MS + 300;
    world.sim.callLog.reset();
    // Act: the first invocation, then every async self-invocation the simulator recorded, until none is left
    const returned: (BackfillReport | BackfillProgress)[] = [
      resultOf(
        await backfill.invoke<BackfillReport | BackfillProgress>(
          { dryRun: false, discovery: "list" },
          { timeoutMs },
        ),
      ),
    ];
    while (world.sim.invocations.size > 0) {
      const next = world.sim.invocations.shift();
      expect(next?.functionName).toBe(backfill.functionArn);
      expect(next?.invocationType).toBe("Event");
      const payload = JSON.parse(next?.payload ?? "{}") as BackfillPayload;
      returned.push(
        resultOf(await backfill.invoke<BackfillReport | BackfillProgress>(payload, { timeoutMs })),
      );
    }
    // Assess
    const final = returned.at(-1) as BackfillReport;
    const continued = returned.slice(0, -1) as BackfillProgress[];
    expect(continued.length).toBeGreaterThanOrEqual(1);
    expect(continued.map((step) => step.invocation)).toEqual(continued.map((_, i) => i + 1));
    expect(continued.every((step) => step.continued && step.runId === final.runId)).toBe(true);
    expect(final.invocations).toBe(returned.length);
    expect(final.counts).toEqual({
      created: optedIn.length,
      updated: 0,
      unchanged: 0,
      removed: 1,
      skipped: optedOut.length,
      failed: 0,
    });
    const backfilled = backfill
      .logRecords()
      .filter((record) => record.message === "configuration set backfilled" && record.runId === final.runId)
      .map((record) => String(record.configurationSet));
    expect(backfilled.sort()).toEqual([...optedIn, ...optedOut, orphan].sort());
    expect(world.sim.callLog.count({ operation: "ListRoles" })).toBe(returned.length);
    for (const name of optedIn) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
    for (const name of optedOut) expect(unwiredProblems(await readWiring(world, name))).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).not.toContain(roleNameOf(world, orphan));
  });

  it("reports an unchanged account as unchanged and writes nothing on a second run", async () => {
    // Prepare
    world.sim.callLog.reset();
    // Act
    const report = resultOf(await backfill.invoke<BackfillReport>({ dryRun: false }));
    // Assess: tag discovery (the default) visits the opted-in sets; the untagged ones cost nothing
    expect(report.discovery).toBe("tags");
    expect(report.counts).toMatchObject({ unchanged: optedIn.length, skipped: 0, failed: 0 });
    expect(writeCalls(world.sim)).toEqual([]);
  });

  it("reconciles exactly the named sets when given configurationSetNames", async () => {
    // Prepare: one of them drifted
    world.sim.state.untagConfigurationSet("shop-03", ["ses-firehose"]);
    // Act
    const report = resultOf(
      await backfill.invoke<BackfillReport>({ dryRun: false, configurationSetNames: ["shop-03", "shop-04"] }),
    );
    // Assess
    expect(report.results.map(({ configurationSet, outcome }) => [configurationSet, outcome]).sort()).toEqual(
      [
        ["shop-03", "removed"],
        ["shop-04", "unchanged"],
      ],
    );
    expect(unwiredProblems(await readWiring(world, "shop-03"))).toEqual([]);
  });

  it("fails clearly, writing nothing, when an invocation starts with less time than the stop margin", async () => {
    // Prepare
    world.sim.callLog.reset();
    // Act: a function timeout of 60 s, below the 90 s the backfill keeps for the hand-over
    const invocation = await backfill.invoke({ dryRun: false }, { timeoutMs: 60_000 });
    // Assess
    expect(invocation).toMatchObject({ ok: false, error: { errorType: "BackfillStalledError" } });
    expect(invocation.ok ? "" : invocation.error.errorMessage).toMatch(/made no progress.*longer timeout/);
    expect(writeCalls(world.sim)).toEqual([]);
    expect(world.sim.invocations.size).toBe(0);
  });

  it("refuses a bad payload with one message saying what is accepted, and does nothing", async () => {
    // Prepare
    world.sim.callLog.reset();
    // Act
    const invocation = await backfill.invoke({ dryRun: "yes" });
    // Assess
    expect(invocation).toMatchObject({ ok: false, error: { errorType: "InvalidBackfillInputError" } });
    expect(invocation.ok ? "" : invocation.error.errorMessage).toMatch(/dryRun must be true or false/);
    expect(world.sim.callLog.count()).toBe(0);
  });
});

describe("the CLI (node dist/cli.js) against the simulator", () => {
  let world: E2eWorld;
  const cliEnv = { SES_REQUESTS_PER_SECOND: "1000" };

  beforeAll(async () => {
    world = await startE2eWorld({ streams: ["audit"] });
    world.sim.state.createConfigurationSet("alpha", { "ses-firehose": "enabled" });
    world.sim.state.createConfigurationSet("beta", { "ses-firehose": "audit" });
    world.sim.state.createConfigurationSet("gamma");
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("--dry-run --json prints the plan as the report of docs/contract.md and changes nothing (exit 0)", async () => {
    // Prepare
    world.sim.callLog.reset();
    // Act
    const run = await runCli(world, ["backfill", "--dry-run", "--json"], cliEnv);
    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report).toMatchObject({
      dryRun: true,
      discovery: "tags",
      region: world.region,
      account: world.accountId,
    });
    // gamma carries no opt-in tag and no role of ours: not a candidate
    expect(report.results.map(({ configurationSet, outcome }) => [configurationSet, outcome])).toEqual([
      ["alpha", "created"],
      ["beta", "created"],
    ]);
    expect(report.results[0]?.actions).toEqual(
      expect.arrayContaining(["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"]),
    );
    expect(writeCalls(world.sim)).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).toEqual([]);
  });

  it("--only wires just the named sets", async () => {
    // Act
    const run = await runCli(world, ["backfill", "--only", "beta", "--json"], cliEnv);
    // Assess
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Report).results).toMatchObject([
      { configurationSet: "beta", outcome: "created", deliveryStreamArn: world.streamArn("audit") },
    ]);
    expect(wiringProblems(world, await readWiring(world, "beta"), world.streamArn("audit"))).toEqual([]);
    expect((await readWiring(world, "alpha")).role).toBeUndefined();
  });

  it("--full wires the rest, lists the untagged set too and prints a readable table (exit 0)", async () => {
    // Act
    const run = await runCli(world, ["backfill", "--full"], cliEnv);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/alpha\s+created/);
    expect(run.stdout).toMatch(/beta\s+unchanged/);
    expect(run.stdout).toMatch(/gamma\s+skipped/);
    expect(wiringProblems(world, await readWiring(world, "alpha"), world.defaultStreamArn)).toEqual([]);
  });

  it("exits 1 and names the problem when a set cannot be wired", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("delta", { "ses-firehose": "missing-stream" });
    // Act
    const run = await runCli(world, ["backfill", "--json"], cliEnv);
    // Assess
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.counts).toMatchObject({ unchanged: 2, skipped: 0, failed: 1 });
    expect(report.results.find((entry) => entry.configurationSet === "delta")).toMatchObject({
      error: expect.stringMatching(/missing-stream/),
      errorName: "StreamNotUsableError",
    });
    // The core's warning reaches the operator on stderr; stdout held only the report parsed above.
    expect(run.stderr).toMatch(/"level":"WARN".*"message":"failed".*"errorName":"StreamNotUsableError"/);
    expect(unwiredProblems(await readWiring(world, "delta"))).toEqual([]);
  });

  it.each([
    [["backfill", "--concurrency", "0"], {}, /--concurrency "0" is not valid/],
    [["backfill", "--only", "not a name"], {}, /--only/],
    [["sync"], {}, /Unknown command/],
    [["backfill"], { OPT_IN_MODE: "sometimes" }, /OPT_IN_MODE="sometimes" is not valid/],
  ])("exits 2 with the message and the usage for %j %j", async (args, env, message) => {
    // Prepare
    world.sim.callLog.reset();
    // Act
    const run = await runCli(world, args, { ...cliEnv, ...env });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain("Usage: ses-firehose-autowire backfill");
    expect(run.stdout).toBe("");
    expect(world.sim.callLog.count()).toBe(0);
  });
});
