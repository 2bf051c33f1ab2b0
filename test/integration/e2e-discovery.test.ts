// End-to-end test (built bundles + simulator): tag discovery — a backfill visits only the candidates the tagging
// API and our roles name; a set tagged while the index lags is wired by its own tag event, and `--full` finds it;
// a Lambda backfill continued across invocations reports every candidate exactly once; `all` mode still lists.
import { TagResourceCommand } from "@aws-sdk/client-sesv2";
import type { BackfillPayload } from "../../shared/backfill-payload";
import type { BackfillProgress, BackfillReport } from "../../shared/backfill-run";
import type { Report } from "../../shared/report";
import {
  readWiring,
  ROLE_PATH,
  roleNameOf,
  runCli,
  startE2eWorld,
  tagEvent,
  unwiredProblems,
  wiringProblems,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf } from "../support/lambda-runtime";

/** BackfillFunction stops taking new sets when fewer than 90 s remain (docs/backfill.md). */
const STOP_MARGIN_MS = 90_000;
const cliEnv = { SES_REQUESTS_PER_SECOND: "1000" };

beforeAll(() => assertBuilt());

/** A role of ours, as a deleted set (or an opted-out one whose event was missed) leaves it behind. */
function seedOurRole(world: E2eWorld, configurationSet: string): void {
  world.sim.state.createRole({
    name: roleNameOf(world, configurationSet),
    path: ROLE_PATH,
    assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
    tags: {
      "managed-by": "ses-firehose-autowire",
      "ses-configuration-set": configurationSet,
      "ses-region": world.region,
    },
  });
}

const outcomes = (report: Report) =>
  Object.fromEntries(report.results.map((entry) => [entry.configurationSet, entry.outcome]));

describe("a set tagged while the tag index lags", () => {
  let world: E2eWorld;

  beforeAll(async () => {
    world = await startE2eWorld({ tagIndexLagMs: 600_000 });
    world.sim.state.createConfigurationSet("steady", { "ses-firehose": "enabled" });
    world.sim.state.createConfigurationSet("untagged");
    for (const name of ["late-with-event", "late-event-lost"]) world.sim.state.createConfigurationSet(name);
    // Tagged through SES itself just now: SES knows at once, the tagging API's index only in 10 minutes.
    for (const name of ["late-with-event", "late-event-lost"]) {
      await world.clients.sesv2.send(
        new TagResourceCommand({
          ResourceArn: `arn:aws:ses:${world.region}:${world.accountId}:configuration-set/${name}`,
          Tags: [{ Key: "ses-firehose", Value: "enabled" }],
        }),
      );
    }
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("is not found by tag discovery, is wired by its tag event, and --full finds the one whose event was lost", async () => {
    // Act 1: tag discovery
    world.sim.callLog.reset();
    const tags = await runCli(world, ["backfill", "--json"], cliEnv);
    const tagsReport = JSON.parse(tags.stdout) as Report;
    const tagsCalls = world.sim.callLog.countByOperation();

    // Act 2: the tag event of one of the late sets reaches the tag function
    const tagged = await world.container("OnConfigurationSetTaggedFunction");
    const event = await tagged.invoke(tagEvent("late-with-event", { "ses-firehose": "enabled" }));

    // Act 3: a full audit
    const full = await runCli(world, ["backfill", "--full", "--json"], cliEnv);
    const fullReport = JSON.parse(full.stdout) as Report;

    // Assess
    expect(tags.code).toBe(0);
    expect(tagsReport.discovery).toBe("tags");
    expect(outcomes(tagsReport)).toEqual({ steady: "created" });
    expect(tagsCalls["tagging:GetResources"]).toBe(1);
    expect(tagsCalls["sesv2:ListConfigurationSets"]).toBeUndefined();
    expect(tagsCalls["sesv2:GetConfigurationSet"]).toBe(1);

    expect(event.ok).toBe(true);
    expect(wiringProblems(world, await readWiring(world, "late-with-event"), world.defaultStreamArn)).toEqual(
      [],
    );

    expect(full.code).toBe(0);
    expect(fullReport.discovery).toBe("list");
    expect(outcomes(fullReport)).toEqual({
      steady: "unchanged",
      untagged: "skipped",
      "late-with-event": "unchanged",
      "late-event-lost": "created",
    });
    expect(wiringProblems(world, await readWiring(world, "late-event-lost"), world.defaultStreamArn)).toEqual(
      [],
    );
  });
});

describe("BackfillFunction with tag discovery, continuing itself when time runs short", () => {
  let world: E2eWorld;
  const optedIn = Array.from({ length: 16 }, (_, i) => `shop-${String(i).padStart(2, "0")}`);
  const untagged = Array.from({ length: 30 }, (_, i) => `plain-${String(i).padStart(2, "0")}`);
  const optedOutWithRole = ["quit-0", "quit-1"];
  const gone = "gone-but-has-role";

  beforeAll(async () => {
    // Latency on every call makes each invocation's share of the work predictable (about 0.7 s in all).
    world = await startE2eWorld({ faults: { seed: 1, latencyMs: 20 } });
    for (const name of optedIn) world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    for (const name of untagged) world.sim.state.createConfigurationSet(name, { team: "mail" });
    // Tag removed while no event got through: only our role still names these sets.
    for (const name of optedOutWithRole) {
      world.sim.state.createConfigurationSet(name);
      seedOurRole(world, name);
    }
    seedOurRole(world, gone);
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("reports every candidate exactly once across invocations, and never looks at the other sets", async () => {
    // Prepare: each invocation gets 0.5 s (discovery included) before the stop margin
    const backfill = await world.container("BackfillFunction", { env: { SES_REQUESTS_PER_SECOND: "1000" } });
    const timeoutMs = STOP_MARGIN_MS + 500;
    world.sim.callLog.reset();

    // Act: the first invocation, then every async self-invocation the simulator recorded, until none is left
    const returned: (BackfillReport | BackfillProgress)[] = [
      resultOf(await backfill.invoke<BackfillReport | BackfillProgress>({ dryRun: false }, { timeoutMs })),
    ];
    const cursors: unknown[] = [];
    while (world.sim.invocations.size > 0) {
      const payload = JSON.parse(world.sim.invocations.shift()?.payload ?? "{}") as BackfillPayload;
      cursors.push(payload.continuation?.cursor);
      expect(payload.discovery).toBe("tags");
      returned.push(
        resultOf(await backfill.invoke<BackfillReport | BackfillProgress>(payload, { timeoutMs })),
      );
    }

    // Assess
    const final = returned.at(-1) as BackfillReport;
    const candidates = [...optedIn, ...optedOutWithRole, gone].sort();
    expect(returned.length).toBeGreaterThanOrEqual(2);
    expect(cursors.every((cursor) => typeof (cursor as { afterSet?: unknown }).afterSet === "string")).toBe(
      true,
    );
    expect(final).toMatchObject({ discovery: "tags", invocations: returned.length });
    expect(final.counts).toEqual({
      created: optedIn.length,
      updated: 0,
      unchanged: 0,
      removed: optedOutWithRole.length + 1,
      skipped: 0,
      failed: 0,
    });
    const backfilled = backfill
      .logRecords()
      .filter((record) => record.message === "configuration set backfilled" && record.runId === final.runId)
      .map((record) => String(record.configurationSet));
    expect(backfilled.sort()).toEqual(candidates);
    expect(world.sim.callLog.count({ operation: "GetConfigurationSet" })).toBe(candidates.length);
    expect(world.sim.callLog.count({ operation: "ListConfigurationSets" })).toBe(0);
    expect(world.sim.callLog.count({ operation: "GetResources" })).toBe(returned.length);
    for (const name of optedIn) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
    for (const name of [...optedOutWithRole, gone]) {
      expect(unwiredProblems(await readWiring(world, name))).toEqual([]);
    }
  });
});

describe("BackfillFunction in OPT_IN_MODE=all", () => {
  let world: E2eWorld;

  beforeAll(async () => {
    world = await startE2eWorld({ env: { OPT_IN_MODE: "all", SES_REQUESTS_PER_SECOND: "1000" } });
    for (const name of ["one", "two", "three"]) world.sim.state.createConfigurationSet(name);
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("still lists every set, and refuses tag discovery with a message saying why", async () => {
    // Prepare
    const backfill = await world.container("BackfillFunction");
    world.sim.callLog.reset();

    // Act
    const refused = await backfill.invoke({ dryRun: false, discovery: "tags" });
    const callsWhenRefused = world.sim.callLog.count();
    const report = resultOf(await backfill.invoke<BackfillReport>({ dryRun: false }));

    // Assess
    expect(refused).toMatchObject({ ok: false, error: { errorType: "InvalidBackfillInputError" } });
    expect(refused.ok ? "" : refused.error.errorMessage).toContain(
      'discovery "tags" cannot find untagged sets, which OPT_IN_MODE=all opts in',
    );
    expect(callsWhenRefused).toBe(0);
    expect(report.discovery).toBe("list");
    expect(report.counts).toMatchObject({ created: 3, failed: 0 });
    expect(world.sim.callLog.count({ operation: "ListConfigurationSets" })).toBe(1);
    expect(world.sim.callLog.count({ operation: "GetResources" })).toBe(0);
  });
});
