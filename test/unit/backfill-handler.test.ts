// Unit tests (adapter layer): BackfillFunction — payload validation, continuation by self-invoke, final summary.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { BackfillPayload } from "../../shared/backfill-payload";
import type { BackfillProgress, BackfillReport } from "../../shared/backfill-run";
import { ACCOUNT, FakeAws, REGION, seedMixed, STREAM_ARN } from "../support/fake-aws";
import { lambdaContext } from "../support/lambda-context";

const mockFake = new FakeAws();
jest.mock("../../shared/aws-clients", () => ({
  ...jest.requireActual("../../shared/aws-clients"),
  createAwsClients: () => mockFake.clients(),
}));
jest.mock("../../shared/tagging-client", () => ({ createTaggingClient: () => mockFake.clients().tagging }));

const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:stack-BackfillFunction-abc`;
const lambdaMock = mockClient(LambdaClient);
let handler: (event: unknown, context: Context) => Promise<BackfillReport | BackfillProgress>;
let stdout: string[] = [];

function contextWith(getRemainingTimeInMillis: () => number): Context {
  return lambdaContext({
    functionName: "stack-BackfillFunction-abc",
    region: REGION,
    account: ACCOUNT,
    memoryLimitInMB: "512",
    getRemainingTimeInMillis,
  });
}

const plentyOfTime = contextWith(() => 900_000);

/** Structured lines the function wrote (Powertools logs and EMF metrics). */
function jsonLines(): Record<string, unknown>[] {
  return stdout
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  process.env.DEFAULT_DELIVERY_STREAM_ARN = STREAM_ARN;
  process.env.SES_REQUESTS_PER_SECOND = "1000";
  process.env.AWS_REGION = REGION;
  ({ handler } = await import("../../functions/backfill/index"));
});

beforeEach(() => {
  mockFake.reset();
  lambdaMock.reset();
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
  stdout = [];
  jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(chunk.toString());
    return true;
  });
});

afterEach(() => jest.restoreAllMocks());

describe("BackfillFunction", () => {
  it("rejects a payload with an unknown key, naming it and the accepted keys, and does nothing", async () => {
    // Prepare
    mockFake.addSet("a", { "ses-firehose": "enabled" });

    // Act
    const attempt = handler({ dryrun: true }, plentyOfTime);

    // Assess
    await expect(attempt).rejects.toThrow(
      'Invalid backfill payload: unknown key "dryrun". Accepted: {"dryRun": boolean, "configurationSetNames": string[], "discovery": "tags" | "list"}',
    );
    expect(mockFake.calls).toHaveLength(0);
  });

  it.each([
    [{ dryRun: "yes" }, 'dryRun must be true or false, got "yes"'],
    [{ configurationSetNames: "a,b" }, 'configurationSetNames must be an array of names, got "a,b"'],
    [{ configurationSetNames: ["ok", "not ok"] }, 'Invalid configuration set name "not ok"'],
    [{ configurationSetNames: [] }, "configurationSetNames is empty"],
    [["a"], "expected a JSON object, got an array"],
    [{ continuation: { runId: "x" } }, "continuation is not one this function wrote"],
    [{ discovery: "tag" }, 'discovery must be "tags" or "list", got "tag"'],
    [{ discovery: true }, 'discovery must be "tags" or "list", got true'],
    [{ discovery: "tags", configurationSetNames: ["a"] }, "send one or the other"],
  ])("rejects %j with a clear message", async (event, message) => {
    await expect(handler(event, plentyOfTime)).rejects.toThrow(message);
    expect(mockFake.calls).toHaveLength(0);
  });

  it("plans without writing in a dry run and returns the report (docs/contract.md) of the tag discovery's candidates", async () => {
    // Prepare: 5 of the 10 sets carry the opt-in tag (some with our leftovers), 5 are untagged
    seedMixed(mockFake, 10);

    // Act
    const report = (await handler({ dryRun: true }, plentyOfTime)) as BackfillReport;

    // Assess
    expect(mockFake.writeCalls()).toBe(0);
    expect(report).toMatchObject({
      dryRun: true,
      discovery: "tags",
      region: REGION,
      account: ACCOUNT,
      counts: { created: 2, updated: 1, unchanged: 1, removed: 1, skipped: 0, failed: 0 },
      invocations: 1,
    });
    expect(report.results).toHaveLength(5);
    expect(mockFake.callsOf("GetResourcesCommand")[0]).toEqual({
      ResourceTypeFilters: ["ses:configuration-set"],
      TagFilters: [{ Key: "ses-firehose" }],
      ResourcesPerPage: 100,
    });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it("accepts the schedule's Scheduled Event envelope and repairs drift for real", async () => {
    // Prepare
    mockFake.addWiredSet("drifted", { "ses-firehose": "enabled" }, ["SEND"]);
    const scheduled = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: "2026-11-26T03:00:00Z",
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/backfill-schedule`],
      detail: {},
    };

    // Act
    const report = (await handler(scheduled, plentyOfTime)) as BackfillReport;

    // Assess
    expect(report.dryRun).toBe(false);
    expect(report.results).toEqual([
      expect.objectContaining({ configurationSet: "drifted", outcome: "updated" }),
    ]);
    expect(
      mockFake.sets.get("drifted")!.destinations.get("ses-firehose-autowire")!.MatchingEventTypes,
    ).toHaveLength(10);
  });

  it("continues in new invocations when time runs short: every set reconciled and logged exactly once, one summary", async () => {
    // Prepare: each AWS request costs 2 s of a budget that leaves the 90 s stop margin after ~20 requests
    seedMixed(mockFake, 60);
    mockFake.addSet("bad", { "ses-firehose": "arn:aws:firehose:eu-west-1:999999999999:deliverystream/x" });
    const contextFor = () => {
      const start = mockFake.calls.length;
      return contextWith(() => 130_000 - (mockFake.calls.length - start) * 2_000);
    };

    // Act
    let outcome = await handler({ discovery: "list" }, contextFor());
    const progress: BackfillProgress[] = [];
    while ("continued" in outcome) {
      progress.push(outcome);
      const invokes = lambdaMock.commandCalls(InvokeCommand);
      const sent = invokes[invokes.length - 1]!.args[0].input;
      expect(sent).toMatchObject({ FunctionName: FUNCTION_ARN, InvocationType: "Event" });
      const payload = JSON.parse(sent.Payload as string) as BackfillPayload;
      expect(payload.continuation?.invocation).toBe(progress.length);
      outcome = await handler(payload, contextFor());
    }
    const report = outcome;

    // Assess
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(new Set(progress.map((step) => step.runId))).toEqual(new Set([report.runId]));
    expect(report.invocations).toBe(progress.length + 1);
    expect(report.counts).toEqual({
      created: 12,
      updated: 6,
      unchanged: 6,
      removed: 6,
      skipped: 30,
      failed: 1,
    });
    expect(report.results).toContainEqual(
      expect.objectContaining({ configurationSet: "bad", outcome: "failed" }),
    );

    const perSet = mockFake.callsOf("GetConfigurationSetCommand").map((input) => input.ConfigurationSetName);
    expect(perSet).toHaveLength(61);
    expect(new Set(perSet).size).toBe(61);

    const lines = jsonLines();
    const logged = lines.filter((line) => line.message === "configuration set backfilled");
    expect(logged).toHaveLength(61);
    expect(new Set(logged.map((line) => line.configurationSet)).size).toBe(61);
    expect(logged.every((line) => line.runId === report.runId)).toBe(true);
    expect(lines.filter((line) => line.message === "backfill run completed")).toHaveLength(1);

    const emf = lines.filter((line) => "_aws" in line);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      BackfillRunCompleted: 1,
      BackfillCreated: 12,
      BackfillFailed: 1,
      DryRun: "false",
    });
  });

  it("continues a tags run after the last candidate taken: each candidate once, later-tagged names after it too", async () => {
    // Prepare: 31 candidates (30 tagged or owning a role, one failing); each AWS request costs 2 s of the budget
    seedMixed(mockFake, 60);
    mockFake.addSet("bad", { "ses-firehose": "arn:aws:firehose:eu-west-1:999999999999:deliverystream/x" });
    const contextFor = () => {
      const start = mockFake.calls.length;
      return contextWith(() => 130_000 - (mockFake.calls.length - start) * 2_000);
    };

    // Act: between the first two invocations, one set is tagged before the cursor and one after it
    let outcome = await handler({}, contextFor());
    const progress: BackfillProgress[] = [];
    while ("continued" in outcome) {
      progress.push(outcome);
      const invokes = lambdaMock.commandCalls(InvokeCommand);
      const payload = JSON.parse(
        invokes[invokes.length - 1]!.args[0].input.Payload as string,
      ) as BackfillPayload;
      expect(payload.discovery).toBe("tags");
      expect(payload.continuation?.cursor).toEqual({ index: 0, afterSet: expect.any(String) });
      if (progress.length === 1) {
        mockFake.addSet("a-tagged-before-the-cursor", { "ses-firehose": "enabled" });
        mockFake.addSet("zz-tagged-after-the-cursor", { "ses-firehose": "enabled" });
      }
      outcome = await handler(payload, contextFor());
    }
    const report = outcome;

    // Assess
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(report.discovery).toBe("tags");
    expect(report.counts).toEqual({
      created: 13,
      updated: 6,
      unchanged: 6,
      removed: 6,
      skipped: 0,
      failed: 1,
    });
    const perSet = mockFake.callsOf("GetConfigurationSetCommand").map((input) => input.ConfigurationSetName);
    expect(perSet).toHaveLength(32);
    expect(new Set(perSet).size).toBe(32);
    expect(perSet).toContain("zz-tagged-after-the-cursor");
    // a set tagged behind the cursor is its own tag event's job, not this run's
    expect(perSet).not.toContain("a-tagged-before-the-cursor");
    expect(mockFake.callsOf("ListConfigurationSetsCommand")).toHaveLength(0);
    const logged = jsonLines().filter((line) => line.message === "configuration set backfilled");
    expect(logged.map((line) => line.configurationSet).sort()).toEqual([...perSet].sort());
  }, 30_000);

  it("continues an explicit name list with the names that remain", async () => {
    // Prepare
    seedMixed(mockFake, 30);
    const names = [...mockFake.sets.keys()];
    const start = mockFake.calls.length;
    const context = contextWith(() => 110_000 - (mockFake.calls.length - start) * 2_000);

    // Act
    const progress = (await handler({ configurationSetNames: names }, context)) as BackfillProgress;

    // Assess
    const payload = JSON.parse(
      lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as string,
    ) as BackfillPayload;
    expect(progress.processed).toBeGreaterThan(0);
    expect(payload.configurationSetNames).toEqual(names.slice(progress.processed));
    expect(payload.continuation?.cursor).toEqual({ index: 0 });
  });

  it("refuses to continue when an invocation starts with less time than the stop margin", async () => {
    // Prepare
    mockFake.addSet("a");

    // Act / Assess
    await expect(
      handler(
        {},
        contextWith(() => 30_000),
      ),
    ).rejects.toThrow("Backfill made no progress");
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});
