// Unit tests (core layer): the backfill run state — payload parsing edge cases and what a continuation carries.
import { Logger } from "@aws-lambda-powertools/logger";
import { parseBackfillPayload, type BackfillContinuation } from "../../shared/backfill-payload";
import { MAX_CARRIED_FAILURES, runBackfillStep } from "../../shared/backfill-run";
import { loadConfig } from "../../shared/config";
import { systemClock } from "../../shared/deps";
import { streamRoleNameFor } from "../../shared/naming";
import { emptyCounts, type ReportEntry } from "../../shared/report";
import { ACCOUNT, FakeAws, REGION, STREAM_ARN } from "../support/fake-aws";

const config = loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN });
const logger = new Logger({ serviceName: "backfill-run-test", logLevel: "SILENT" });

function continuation(overrides: Partial<BackfillContinuation> = {}): BackfillContinuation {
  return {
    runId: "run-1",
    startedAt: "2026-11-26T10:00:00.000Z",
    invocation: 3,
    cursor: { pageToken: "MTA=", index: 2 },
    counts: { ...emptyCounts(), skipped: 40 },
    failures: [],
    failuresOmitted: 0,
    ...overrides,
  };
}

describe("parseBackfillPayload", () => {
  it("treats an empty invoke as a real run of every set", () => {
    expect(parseBackfillPayload(undefined)).toEqual({ dryRun: false });
    expect(parseBackfillPayload(null)).toEqual({ dryRun: false });
    expect(parseBackfillPayload({})).toEqual({ dryRun: false });
  });

  it("unwraps a Scheduled Event with or without a detail", () => {
    const envelope = { "detail-type": "Scheduled Event", source: "aws.events", id: "1", resources: [] };
    expect(parseBackfillPayload(envelope)).toEqual({ dryRun: false });
    expect(parseBackfillPayload({ ...envelope, detail: { dryRun: true } })).toEqual({ dryRun: true });
  });

  it("names every unknown key and rejects what is not an object", () => {
    expect(() => parseBackfillPayload({ dry: true, names: [] })).toThrow('unknown keys "dry", "names"');
    expect(() => parseBackfillPayload("dryRun")).toThrow("expected a JSON object, got string");
  });

  it("accepts the continuation it writes itself and rejects a forged or damaged one", () => {
    const good = continuation();
    expect(parseBackfillPayload({ dryRun: true, continuation: good })).toEqual({
      dryRun: true,
      continuation: good,
    });
    expect(() => parseBackfillPayload({ continuation: "x" })).toThrow(
      "continuation is not one this function wrote",
    );
    expect(() =>
      parseBackfillPayload({ continuation: { ...good, cursor: { pageToken: 5, index: 0 } } }),
    ).toThrow("continuation is not one this function wrote");
    expect(() => parseBackfillPayload({ continuation: { ...good, invocation: 0 } })).toThrow("continuation");
    const withRoles = continuation({ streamRolesInUse: ["ses-firehose.stream.events-0a1b2c3d"] });
    expect(parseBackfillPayload({ continuation: withRoles }).continuation).toEqual(withRoles);
    expect(() => parseBackfillPayload({ continuation: { ...good, streamRolesInUse: [5] } })).toThrow(
      "continuation is not one this function wrote",
    );
  });
});

describe("runBackfillStep under ROLE_SCOPE=delivery-stream", () => {
  const streamScope = loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN, ROLE_SCOPE: "delivery-stream" });
  const role = streamRoleNameFor("ses-firehose", STREAM_ARN);

  it("carries the stream roles in use to the next invocation and reports them at the end of a full audit", async () => {
    // Prepare
    const fake = new FakeAws();
    for (const name of ["a", "b", "c"]) fake.addSet(name, { "ses-firehose": "enabled" });
    let budget = 100_000;
    const stepDeps = { ...fake.clients(), config: streamScope, logger, region: REGION, accountId: ACCOUNT };
    const stepOptions = {
      concurrency: 1,
      remainingTimeMs: () => budget,
      onResult: () => {
        budget -= 6_000;
      },
    };

    // Act: the first invocation stops after two sets; the second finishes
    const first = await runBackfillStep({ dryRun: false, discovery: "list" }, stepDeps, stepOptions);
    budget = 1_000_000;
    const second =
      first.status === "continue" ? await runBackfillStep(first.payload, stepDeps, stepOptions) : undefined;

    // Assess
    expect(first.status).toBe("continue");
    if (first.status !== "continue") return;
    expect(first.payload).toMatchObject({ discovery: "list", continuation: { streamRolesInUse: [role] } });
    expect(second).toMatchObject({
      status: "complete",
      report: { counts: { created: 3 }, streamRoles: { inUse: [role], removed: [], kept: [] } },
    });
    expect([...fake.roles.keys()]).toEqual([role]);
  });

  it("the uninstall's clean-up (every set listed, every set opted out) deletes every destination and stream role", async () => {
    // Prepare: three sets wired on the stream's shared role by a first run
    const fake = new FakeAws();
    for (const name of ["a", "b", "c"]) fake.addSet(name, { "ses-firehose": "enabled" });
    const stepDeps = { ...fake.clients(), config: streamScope, logger, region: REGION, accountId: ACCOUNT };
    await runBackfillStep({ dryRun: false, discovery: "list" }, stepDeps);
    const wiredRoles = [...fake.roles.keys()];
    // The role must be older than the clean-up's start to be deleted (a role made during an audit is kept).
    const later = { ...systemClock, now: () => Date.now() + 60_000 };

    // Act
    const step = await runBackfillStep(
      { dryRun: false, discovery: "list" },
      { ...stepDeps, clock: later },
      { optOutEverySet: true },
    );

    // Assess
    expect(wiredRoles).toEqual([role]);
    expect(step).toMatchObject({ status: "complete", report: { counts: { removed: 3 } } });
    expect([...fake.sets.values()].map((set) => set.destinations.size)).toEqual([0, 0, 0]);
    expect(fake.roles.size).toBe(0);
  });

  it.each([
    ["named sets", { dryRun: false, configurationSetNames: ["a"] }],
    ["the sets tag discovery found", { dryRun: false, discovery: "tags" as const }],
  ])("decides nothing about stream roles in a run over %s", async (_, payload) => {
    // Prepare: a stream role no destination names, which only a full audit may delete
    const fake = new FakeAws();
    fake.addSet("a", { "ses-firehose": "enabled" });
    const stale = fake.addStreamRole(STREAM_ARN.replace("email-events", "old-events"));
    const stepDeps = { ...fake.clients(), config: streamScope, logger, region: REGION, accountId: ACCOUNT };

    // Act
    const step = await runBackfillStep(payload, stepDeps);

    // Assess
    expect(step.status).toBe("complete");
    if (step.status !== "complete") return;
    expect(step.report.counts.created).toBe(1);
    expect(step.report).not.toHaveProperty("streamRoles");
    expect(fake.roles.has(stale)).toBe(true);
  });
});

describe("runBackfillStep", () => {
  it("starts a run with a new id and start time, and passes each result on", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addSet("a");
    const seen: ReportEntry[] = [];

    // Act
    const step = await runBackfillStep(
      { dryRun: false, discovery: "list" },
      {
        ...fake.clients(),
        config,
        logger,
        region: REGION,
        accountId: ACCOUNT,
        clock: { ...systemClock, now: () => Date.parse("2026-11-26T12:00:00Z") },
      },
      { newRunId: () => "run-42", onResult: (entry) => seen.push(entry) },
    );

    // Assess
    expect(step).toMatchObject({
      status: "complete",
      report: { runId: "run-42", startedAt: "2026-11-26T12:00:00.000Z", invocations: 1 },
    });
    expect(seen).toEqual([expect.objectContaining({ configurationSet: "a", outcome: "skipped" })]);
  });

  it(`carries at most ${MAX_CARRIED_FAILURES} failures and counts the rest`, async () => {
    // Prepare: 99 failures carried, 5 more sets fail now
    const fake = new FakeAws();
    for (let i = 0; i < 5; i += 1) fake.addSet(`bad-${i}`, { "ses-firehose": "not a stream!" });
    for (let i = 0; i < 5; i += 1) fake.addSet(`good-${i}`);
    const carried = Array.from({ length: 99 }, (_, i): ReportEntry => ({
      configurationSet: `old-${i}`,
      outcome: "failed",
      actions: [],
      error: "x",
    }));
    let budget = 100_000;

    // Act
    const step = await runBackfillStep(
      {
        dryRun: false,
        discovery: "list",
        continuation: continuation({
          cursor: { index: 0 },
          failures: carried,
          failuresOmitted: 7,
          counts: { ...emptyCounts(), failed: 106 },
        }),
      },
      { ...fake.clients(), config, logger, region: REGION, accountId: ACCOUNT },
      {
        concurrency: 1,
        pageSize: 100,
        remainingTimeMs: () => budget,
        onResult: () => {
          budget -= 2_000;
        },
      },
    );

    // Assess
    expect(step.status).toBe("continue");
    if (step.status !== "continue") return;
    const next = step.payload.continuation!;
    expect(next.failures).toHaveLength(MAX_CARRIED_FAILURES);
    expect(next.failuresOmitted).toBe(7 + 4);
    expect(next.counts.failed).toBe(106 + 5);
    expect(next).toMatchObject({ runId: "run-1", invocation: 4, startedAt: "2026-11-26T10:00:00.000Z" });
    expect(step.progress).toMatchObject({ continued: true, processed: 6, processedSoFar: 106 + 5 + 1 });
  });
});
