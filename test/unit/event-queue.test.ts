// Test (adapter layer): the three event functions as deployed (RECONCILE_QUEUE_URL set) — they queue, never reconcile.
import { createHash } from "node:crypto";
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { ReconcileNotQueuedError } from "../../shared/errors";
import { reconcile } from "../../shared/reconcile";
import { parseReconcileRequest } from "../../shared/reconcile-queue";
import { eventHandlersUnder } from "../support/event-handlers";
import { fixtureEvent } from "../support/fixture-events";
import { lambdaContext } from "../support/lambda-context";

jest.mock("../../shared/reconcile");
const reconcileMock = jest.mocked(reconcile);

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/autowire-ReconcileQueue-1A2B3C.fifo`;
const ENV = {
  AWS_REGION: REGION,
  POWERTOOLS_LOG_LEVEL: "SILENT",
  RECONCILE_QUEUE_URL: QUEUE_URL,
};

const handlers = eventHandlersUnder(ENV);
const sqs = mockClient(SQSClient);
const context = lambdaContext({
  functionName: "OnConfigurationSetTaggedFunction",
  region: REGION,
  account: ACCOUNT,
});
let stdout: jest.SpyInstance;

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
    Failed: [],
  }));
  reconcileMock.mockReset();
  stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(() => jest.restoreAllMocks());

/** Every entry SQS received, in order, each with its body read back. */
function queued() {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => ({ ...entry, body: parseReconcileRequest(entry.MessageBody ?? "") }));
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("an event's sets go to the reconcile queue", () => {
  it("sends one message per set, grouped by set, deduplicated by event and set, and reconciles nothing", async () => {
    // Prepare
    const event = fixtureEvent("tagging-api-tag-resources");
    // Act
    const result = await handlers.tagged(event as never, context);
    // Assess
    expect(result).toEqual({ status: "queued", configurationSets: ["marketing", "transactional"] });
    expect(reconcileMock).not.toHaveBeenCalled();
    const emf = stdout.mock.calls.map(([line]) => String(line)).find((line) => line.includes("QueuedSets"));
    expect(JSON.parse(emf!)).toMatchObject({ QueuedSets: 2 });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE_URL });
    expect(queued()).toEqual(
      ["marketing", "transactional"].map((name) => ({
        Id: name,
        MessageGroupId: name,
        MessageDeduplicationId: sha256(`${String(event.id)}:${name}`),
        MessageBody: expect.any(String),
        body: {
          configurationSet: name,
          account: ACCOUNT,
          region: REGION,
          eventTime: "2025-01-01T00:00:05.000Z",
          trigger: "TagResources",
        },
      })),
    );
  });

  it("marks the delete function's messages remove-only, and only those", async () => {
    await handlers.deleted(fixtureEvent("delete-configuration-set") as never, context);
    await handlers.created(fixtureEvent("create-v2-tagged") as never, context);
    expect(queued().map(({ body }) => [body.configurationSet, body.trigger, body.removeOnly])).toEqual([
      ["marketing", "DeleteConfigurationSet", true],
      ["marketing", "CreateConfigurationSet", undefined],
    ]);
  });

  it("names a Tag Change as its trigger and takes its time from the envelope", async () => {
    await handlers.tagged(fixtureEvent("tag-change-on-resource") as never, context);
    expect(queued().map(({ body }) => body)).toEqual([
      {
        configurationSet: "marketing",
        account: ACCOUNT,
        region: REGION,
        eventTime: "2025-01-01T00:00:07.000Z",
        trigger: "Tag Change on Resource",
      },
    ]);
  });

  it("sends at most 10 entries per SendMessageBatch call (SQS's limit)", async () => {
    // Prepare: a Tag Editor action over 23 sets
    const names = Array.from({ length: 23 }, (_, index) => `set-${index}`);
    const event = fixtureEvent("tagging-api-tag-resources");
    event.detail.requestParameters = {
      resourceARNList: names.map((name) => `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${name}`),
      tags: { "ses-firehose": "enabled" },
    };
    // Act
    await handlers.tagged(event as never, context);
    // Assess
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(queued().map(({ body }) => body.configurationSet)).toEqual(names);
  });

  it("queues a set named twice in one event once (SendMessageBatch refuses repeated entry IDs)", async () => {
    const event = fixtureEvent("tagging-api-tag-resources");
    const arn = `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/marketing`;
    event.detail.requestParameters = { resourceARNList: [arn, arn], tags: { "ses-firehose": "enabled" } };
    await handlers.tagged(event as never, context);
    expect(queued().map(({ Id }) => Id)).toEqual(["marketing"]);
  });

  it("gives a hand-made event without an id a fresh deduplication ID on each delivery", async () => {
    const event = fixtureEvent("tag-resource");
    delete event.id;
    await handlers.tagged(event as never, context);
    await handlers.tagged(event as never, context);
    const [first, second] = queued();
    expect(first?.MessageDeduplicationId).not.toBe(second?.MessageDeduplicationId);
  });
});

describe("an event whose sets could not all be queued fails, so Lambda retries it and then dead-letters it", () => {
  it("sends the entries SQS refused once more, and succeeds when they are taken", async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: "marketing", MessageId: "m1", MD5OfMessageBody: "x" }],
        Failed: [{ Id: "transactional", SenderFault: false, Code: "InternalError", Message: "try again" }],
      })
      .resolvesOnce({
        Successful: [{ Id: "transactional", MessageId: "m2", MD5OfMessageBody: "y" }],
        Failed: [],
      });
    // Act
    const result = await handlers.tagged(fixtureEvent("tagging-api-tag-resources") as never, context);
    // Assess
    expect(result).toEqual({ status: "queued", configurationSets: ["marketing", "transactional"] });
    expect(queued().map(({ Id }) => Id)).toEqual(["marketing", "transactional", "transactional"]);
    const [first, retry] = queued().filter(({ Id }) => Id === "transactional");
    expect(retry?.MessageDeduplicationId).toBe(first?.MessageDeduplicationId);
  });

  it("throws naming each set still refused after the second try", async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [
        { Id: "marketing", SenderFault: false, Code: "InternalError", Message: "try again" },
        { Id: "transactional", SenderFault: false, Code: "InternalError", Message: "try again" },
      ],
    });
    const run = handlers.tagged(fixtureEvent("tagging-api-tag-resources") as never, context);
    await expect(run).rejects.toThrow(ReconcileNotQueuedError);
    await expect(
      handlers.tagged(fixtureEvent("tagging-api-tag-resources") as never, context),
    ).rejects.toThrow(
      "2 configuration set(s) could not be queued for reconcile: marketing: InternalError (try again); " +
        "transactional: InternalError (try again)",
    );
  });

  it("throws when SQS cannot be reached at all (after the SDK's own retries)", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error("Access to the resource is denied"), { name: "AccessDenied" }));
    await expect(handlers.created(fixtureEvent("create-v1") as never, context)).rejects.toThrow(
      "Access to the resource is denied",
    );
  });
});

describe("everything before the queue is as inline", () => {
  it.each([
    ["a failed call", "created", "create-failed-call"],
    ["a Tag Change of another key", "tagged", "tag-change-on-resource-other-key"],
    ["a tag change on an SES identity", "tagged", "tag-resource-identity"],
    ["an event the function does not handle", "deleted", "tag-resource"],
  ] as const)("ignores %s and queues nothing", async (_case, fn, fixture) => {
    const result = await handlers[fn](fixtureEvent(fixture) as never, context);
    expect(result).toMatchObject({ status: "ignored" });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it("ignores another region's event and queues nothing", async () => {
    const event = fixtureEvent("tag-resource");
    event.region = "eu-west-1";
    expect(await handlers.tagged(event as never, context)).toMatchObject({ status: "ignored" });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it("throws on a malformed event (dead-letter queue) and queues nothing", async () => {
    const event = fixtureEvent("tag-resource");
    event.detail.requestParameters = {};
    await expect(handlers.tagged(event as never, context)).rejects.toThrow(/resourceArn/);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });
});
