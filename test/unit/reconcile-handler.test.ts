// Test (adapter layer): ReconcileFunction — batches of the reconcile queue to one reconcile per set, partial failures.
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { MalformedEventError } from "../../shared/errors";
import { reconcile } from "../../shared/reconcile";
import { BATCH_STOP_MARGIN_MS } from "../../shared/reconcile-batch";
import { reconcileMessageFor, type ReconcileRequest } from "../../shared/reconcile-queue";
import { answerEveryReconcile } from "../support/event-handlers";
import { lambdaContext } from "../support/lambda-context";
import { sqsEventOf, sqsRecordOf } from "../support/sqs-records";

jest.mock("../../shared/reconcile");
const reconcileMock = jest.mocked(reconcile);

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const ENV = { AWS_REGION: REGION, POWERTOOLS_LOG_LEVEL: "SILENT", SES_REQUESTS_PER_SECOND: "1000" };

let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let stdout: jest.SpyInstance;
const savedEnv = { ...process.env };

function contextWith(remainingMs = 60_000): Context {
  return lambdaContext({
    functionName: "ReconcileFunction",
    region: REGION,
    account: ACCOUNT,
    getRemainingTimeInMillis: () => remainingMs,
  });
}

/** A delivered record asking for `name`; `fields` override the request (eventTime, removeOnly, …). */
function recordFor(
  name: string,
  fields: Partial<ReconcileRequest> = {},
  eventId = `event-${name}`,
): SQSRecord {
  const request: ReconcileRequest = {
    configurationSet: name,
    account: ACCOUNT,
    region: REGION,
    eventTime: new Date(Date.now() - 60_000).toISOString(),
    trigger: "TagResource",
    ...fields,
  };
  return sqsRecordOf(reconcileMessageFor(request, eventId));
}

function rawRecord(body: string): SQSRecord {
  return sqsRecordOf({ MessageBody: body, MessageGroupId: "x", MessageDeduplicationId: "y" });
}

const failuresOf = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);
const reconciled = () =>
  reconcileMock.mock.calls.map(([name, , options]) => [name, options?.removeOnly === true]);
const emfLines = () =>
  stdout.mock.calls
    .map(([line]) => String(line))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  Object.assign(process.env, ENV);
  ({ handler } = await import("../../functions/reconcile/index"));
});

afterAll(() => {
  process.env = savedEnv;
});

beforeEach(() => {
  answerEveryReconcile(reconcileMock, "created");
  stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(() => jest.restoreAllMocks());

// The handler's module keeps one coalescing memory for all tests (as a warm container would): each test uses its own
// set names.

describe("one reconcile per configuration set of the batch", () => {
  it("reconciles each set once, in order of first appearance, however many of its messages the batch holds", async () => {
    // Prepare: a burst's Tag Change and CloudTrail event of two sets, as FIFO delivers them
    const event = sqsEventOf([
      recordFor("newsletter", { trigger: "Tag Change on Resource" }, "e1"),
      recordFor("newsletter", { trigger: "TagResources" }, "e2"),
      recordFor("billing", {}, "e3"),
      recordFor("newsletter", { trigger: "TagResource" }, "e4"),
    ]);
    // Act
    const response = await handler(event, contextWith());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(reconciled()).toEqual([
      ["newsletter", false],
      ["billing", false],
    ]);
    expect(reconcileMock.mock.calls[0]?.[1]).toMatchObject({ accountId: ACCOUNT, region: REGION });
    expect(emfLines()).toEqual([expect.objectContaining({ CoalescedEvents: 2, Created: 2 })]);
  });

  it("reconciles remove-only only when every message of the set asks for it", async () => {
    await handler(
      sqsEventOf([
        recordFor("gone", { removeOnly: true, trigger: "DeleteConfigurationSet" }, "d1"),
        recordFor("gone", { removeOnly: true, trigger: "DeleteConfigurationSet" }, "d2"),
        recordFor("recreated", { removeOnly: true, trigger: "DeleteConfigurationSet" }, "d3"),
        recordFor("recreated", { trigger: "CreateConfigurationSet" }, "c1"),
      ]),
      contextWith(),
    );
    expect(reconciled()).toEqual([
      ["gone", true],
      ["recreated", false],
    ]);
  });
});

describe("partial batch responses", () => {
  it("returns every message of a failed set, and only those, so SQS delivers them again", async () => {
    // Prepare
    reconcileMock.mockImplementation(async (configurationSet) =>
      configurationSet === "bad"
        ? { configurationSet, outcome: "failed", actions: [], error: 'Tag ses-firehose="maybe" is not valid' }
        : { configurationSet, outcome: "unchanged", actions: [] },
    );
    const records = [recordFor("bad", {}, "b1"), recordFor("good"), recordFor("bad", {}, "b2")];
    // Act
    const response = await handler(sqsEventOf(records), contextWith());
    // Assess
    expect(failuresOf(response)).toEqual([records[0]!.messageId, records[2]!.messageId]);
    expect(emfLines()).toEqual([expect.objectContaining({ Failed: 1, Unchanged: 1 })]);
  });

  it("turns an exception of the core into a failed set and goes on with the others", async () => {
    reconcileMock.mockImplementationOnce(async () => {
      throw Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    });
    const records = [recordFor("first"), recordFor("second")];
    const response = await handler(sqsEventOf(records), contextWith());
    expect(failuresOf(response)).toEqual([records[0]!.messageId]);
    expect(reconciled().map(([name]) => name)).toEqual(["first", "second"]);
  });

  it("returns an invalid message (for its dead-letter queue after five deliveries), counts it, and does the rest", async () => {
    // Prepare
    const records = [rawRecord("not json"), recordFor("valid"), rawRecord('{"configurationSet":"x"}')];
    // Act
    const response = await handler(sqsEventOf(records), contextWith());
    // Assess
    expect(failuresOf(response)).toEqual([records[0]!.messageId, records[2]!.messageId]);
    expect(reconciled()).toEqual([["valid", false]]);
    expect(emfLines()).toEqual([expect.objectContaining({ MalformedEvents: 2, Created: 1 })]);
  });

  it("returns a message for another region or account: one stack serves one region of one account", async () => {
    const records = [
      recordFor("elsewhere", { region: "eu-west-1" }),
      recordFor("other", { account: "999999999999" }),
    ];
    const response = await handler(sqsEventOf(records), contextWith());
    expect(failuresOf(response)).toEqual(records.map((record) => record.messageId));
    expect(reconcileMock).not.toHaveBeenCalled();
  });

  it("starts no set with less than the stop margin left, returning its messages for a later delivery", async () => {
    const records = [recordFor("late", {}, "l1"), recordFor("late", {}, "l2")];
    const response = await handler(sqsEventOf(records), contextWith(BATCH_STOP_MARGIN_MS - 1));
    expect(failuresOf(response)).toEqual(records.map((record) => record.messageId));
    expect(reconcileMock).not.toHaveBeenCalled();
  });

  it("throws on an invocation that is not an SQS batch", async () => {
    await expect(handler({} as SQSEvent, contextWith())).rejects.toThrow(MalformedEventError);
    await expect(handler({ Records: [{ body: "x" }] } as unknown as SQSEvent, contextWith())).rejects.toThrow(
      'Record 0 of the SQS batch has no string "messageId" and "body"',
    );
  });
});

describe("coalescing across batches (this container's finished looks)", () => {
  it("skips a set whose newest change a finished reconcile already saw, and looks again at a newer change", async () => {
    // Prepare: a first batch reconciles "coalesce-me" now; its older duplicate arrives in the next batch
    const old = new Date(Date.now() - 30_000).toISOString();
    await handler(sqsEventOf([recordFor("coalesce-me", { eventTime: old }, "c1")]), contextWith());
    reconcileMock.mockClear();
    // Act
    const later = await handler(
      sqsEventOf([
        recordFor("coalesce-me", { eventTime: old }, "c2"),
        recordFor("coalesce-me", { eventTime: old }, "c3"),
      ]),
      contextWith(),
    );
    // Assess
    expect(later).toEqual({ batchItemFailures: [] });
    expect(reconcileMock).not.toHaveBeenCalled();
    expect(emfLines().at(-1)).toMatchObject({ CoalescedEvents: 2 });

    // Act: a change after that reconcile began, or one without a time, gets a real look
    await handler(
      sqsEventOf([
        recordFor("coalesce-me", { eventTime: old }, "c4"),
        recordFor("coalesce-me", { eventTime: new Date(Date.now() + 5_000).toISOString() }, "c5"),
      ]),
      contextWith(),
    );
    const untimed = recordFor("coalesce-me", {}, "c6");
    const body = JSON.parse(untimed.body) as Record<string, unknown>;
    delete body.eventTime;
    untimed.body = JSON.stringify(body);
    await handler(sqsEventOf([untimed]), contextWith());
    expect(reconciled()).toEqual([
      ["coalesce-me", false],
      ["coalesce-me", false],
    ]);
  });

  it("does not remember a failed look", async () => {
    reconcileMock.mockResolvedValueOnce({
      configurationSet: "flaky",
      outcome: "failed",
      actions: [],
      error: "x",
    });
    const old = new Date(Date.now() - 30_000).toISOString();
    await handler(sqsEventOf([recordFor("flaky", { eventTime: old }, "f1")]), contextWith());
    await handler(sqsEventOf([recordFor("flaky", { eventTime: old }, "f1")]), contextWith());
    expect(reconciled()).toEqual([
      ["flaky", false],
      ["flaky", false],
    ]);
  });
});
