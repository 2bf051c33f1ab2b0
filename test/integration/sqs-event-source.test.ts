// Integration test (harness): the SQS event source mapping emulator against the simulator's queues, with the real
// SQS client — the concurrency bound, partial batch responses, whole-batch failures and redrive to the dead-letter
// queue, as Lambda documents them ("Handling errors for an SQS event source in Lambda", "Configuring scaling
// behavior for SQS event source mappings").
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { startSimulator, type Simulator } from "../../simulator";
import {
  failedMessageIds,
  SqsEventSourceMapping,
  waitUntilQueueEmpty,
  type EventSourceMappingConfig,
  type FunctionOutcome,
  type SqsInvoker,
} from "../support/sqs-event-source";

let sim: Simulator;
let sqs: SQSClient;
let counter = 0;
const mappings: SqsEventSourceMapping[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sqs = new SQSClient({ ...sim.clientConfig(), maxAttempts: 3 });
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
});

afterAll(async () => {
  sqs.destroy();
  await sim.stop();
});

async function fifoQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  counter += 1;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `source-${counter}.fifo`,
      Attributes: { FifoQueue: "true", DeduplicationScope: "messageGroup", ...attributes },
    }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Sends `[group, body]` pairs in order, ten per SendMessageBatch. */
async function send(url: string, messages: readonly [string, string][]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.slice(start, start + 10).map(([group, body], i) => ({
          Id: `e${i}`,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}-${body}`,
        })),
      }),
    );
    expect(answer.Failed ?? []).toEqual([]);
  }
}

function startMapping(
  queue: { url: string; arn: string },
  invoke: SqsInvoker,
  overrides: Partial<EventSourceMappingConfig> = {},
): SqsEventSourceMapping {
  const mapping = new SqsEventSourceMapping(
    sqs,
    {
      queueUrl: queue.url,
      eventSourceArn: queue.arn,
      region: sim.region,
      batchSize: 10,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      ...overrides,
    },
    invoke,
  );
  mappings.push(mapping);
  mapping.start();
  return mapping;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the concurrency bound (ScalingConfig.MaximumConcurrency)", () => {
  it("never runs more invocations at once than the bound, and never two of one message group", async () => {
    const queue = await fifoQueue({ VisibilityTimeout: "30" });
    const messages: [string, string][] = [];
    for (let i = 0; i < 40; i += 1) messages.push([`set-${i % 12}`, `m${i}`]);
    await send(queue.url, messages);
    let running = 0;
    let peak = 0;
    const runningGroups = new Set<string>();
    const seen: string[] = [];
    const mapping = startMapping(queue, async (event) => {
      running += 1;
      peak = Math.max(peak, running);
      const groups = new Set(event.Records.map((r) => r.attributes.MessageGroupId!));
      for (const group of groups) {
        expect(runningGroups.has(group)).toBe(false);
        runningGroups.add(group);
      }
      await sleep(50);
      seen.push(...event.Records.map((r) => r.body));
      for (const group of groups) runningGroups.delete(group);
      running -= 1;
      return { ok: true, result: { batchItemFailures: [] } };
    });
    await waitUntilQueueEmpty(sqs, queue.url, { timeoutMs: 30_000 });
    expect(peak).toBe(2);
    expect(mapping.stats.peakConcurrency).toBe(2);
    expect(seen.sort()).toEqual(messages.map(([, body]) => body).sort());
    expect(mapping.stats.deleted).toBe(40);
    expect(Math.max(...mapping.stats.batchSizes)).toBeLessThanOrEqual(10);
  });

  it("hands a group's queued messages to one invocation, in the order sent", async () => {
    const queue = await fifoQueue();
    await send(queue.url, [
      ["a", "a1"],
      ["b", "b1"],
      ["a", "a2"],
    ]);
    const batches: string[][] = [];
    startMapping(queue, async (event) => {
      batches.push(event.Records.map((r) => r.body));
      return { ok: true, result: null };
    });
    await waitUntilQueueEmpty(sqs, queue.url, { timeoutMs: 30_000 });
    expect(batches).toEqual([["a1", "a2", "b1"]]);
  });
});

describe("failures (partial batch responses, function errors, redrive)", () => {
  it("deletes the records not reported and delivers a reported one again after its visibility timeout", async () => {
    const queue = await fifoQueue({ VisibilityTimeout: "1" });
    await send(queue.url, [
      ["a", "ok"],
      ["b", "flaky"],
    ]);
    const deliveries: { body: string; receiveCount: string }[] = [];
    const mapping = startMapping(queue, async (event) => {
      const failures = event.Records.filter(
        (r) => r.body === "flaky" && r.attributes.ApproximateReceiveCount === "1",
      );
      deliveries.push(
        ...event.Records.map((r) => ({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount })),
      );
      return {
        ok: true,
        result: { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) },
      };
    });
    await waitUntilQueueEmpty(sqs, queue.url, { timeoutMs: 30_000 });
    expect(deliveries).toEqual([
      { body: "ok", receiveCount: "1" },
      { body: "flaky", receiveCount: "1" },
      { body: "flaky", receiveCount: "2" },
    ]);
    expect(mapping.stats.itemFailures).toBe(1);
  });

  it("leaves the whole batch in the queue when the function fails", async () => {
    const queue = await fifoQueue({ VisibilityTimeout: "1" });
    await send(queue.url, [
      ["a", "one"],
      ["b", "two"],
    ]);
    let calls = 0;
    const mapping = startMapping(queue, async (event) => {
      calls += 1;
      if (calls === 1) return { ok: false, error: "Error: boom" };
      expect(event.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
        ["one", "2"],
        ["two", "2"],
      ]);
      return { ok: true, result: {} };
    });
    await waitUntilQueueEmpty(sqs, queue.url, { timeoutMs: 30_000 });
    expect(mapping.stats).toMatchObject({ invocations: 2, functionErrors: 1, deleted: 2 });
  });

  it("moves a record that keeps failing to the dead-letter queue after maxReceiveCount", async () => {
    const dlq = await fifoQueue();
    const queue = await fifoQueue({
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
    });
    await send(queue.url, [
      ["a", "poison"],
      ["b", "fine"],
    ]);
    const poisonCounts: string[] = [];
    startMapping(queue, async (event) => {
      const poison = event.Records.filter((r) => r.body === "poison");
      poisonCounts.push(...poison.map((r) => r.attributes.ApproximateReceiveCount));
      return {
        ok: true,
        result: { batchItemFailures: poison.map((r) => ({ itemIdentifier: r.messageId })) },
      };
    });
    await waitUntilQueueEmpty(sqs, queue.url, { timeoutMs: 30_000 });
    expect(poisonCounts).toEqual(["1", "2", "3"]);
    const dead = sim.state.getQueue(dlq.url.split("/").pop()!)!.messages;
    expect(dead).toEqual([
      expect.objectContaining({ body: "poison", groupId: "a", deadLetterSourceArn: queue.arn }),
    ]);
  });
});

describe("reading the function's response (Lambda's success and failure conditions)", () => {
  const records = ["m1", "m2"].map((messageId) => ({ messageId }) as SQSRecord);
  const outcome = (result: unknown): FunctionOutcome => ({ ok: true, result });
  const failed = (result: unknown, report = true) => [
    ...failedMessageIds(outcome(result), records, report).failed,
  ];

  it.each([
    ["a null response", null],
    ["an empty response", {}],
    ["a null batchItemFailures list", { batchItemFailures: null }],
    ["an empty batchItemFailures list", { batchItemFailures: [] }],
  ])("treats %s as complete success", (_, result) => {
    expect(failed(result)).toEqual([]);
  });

  it.each([
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a bad key name", { batchItemFailures: [{ itemId: "m1" }] }],
    ["an ID not in the batch", { batchItemFailures: [{ itemIdentifier: "m9" }] }],
    ["a response that is not an object", "oops"],
  ])("treats %s as complete failure", (_, result) => {
    expect(failedMessageIds(outcome(result), records, true)).toEqual({
      failed: new Set(["m1", "m2"]),
      invalid: true,
    });
  });

  it("keeps exactly the reported records, and ignores the response without ReportBatchItemFailures", () => {
    expect(failed({ batchItemFailures: [{ itemIdentifier: "m2" }] })).toEqual(["m2"]);
    expect(failed({ batchItemFailures: [{ itemIdentifier: "m2" }] }, false)).toEqual([]);
    expect([...failedMessageIds({ ok: false, error: "x" }, records, true).failed]).toEqual(["m1", "m2"]);
  });

  it("refuses bounds Lambda does not accept", () => {
    const invoke = async (_: SQSEvent) => outcome(null);
    const config = {
      queueUrl: "",
      eventSourceArn: "",
      region: "us-east-1",
      batchSize: 10,
      reportBatchItemFailures: true,
    };
    expect(() => new SqsEventSourceMapping(sqs, { ...config, maximumConcurrency: 1 }, invoke)).toThrow(
      /2 to 1000/,
    );
    expect(
      () => new SqsEventSourceMapping(sqs, { ...config, maximumConcurrency: 2, batchSize: 11 }, invoke),
    ).toThrow(/1 to 10/);
  });
});
