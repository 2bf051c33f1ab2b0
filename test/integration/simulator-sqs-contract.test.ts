// Integration test (simulator contract): the official SQS client (AWS JSON 1.0, query-compatible errors) against
// the simulator — standard and FIFO queues, visibility timeout, receive counts, redrive to a dead-letter queue.
// Each behaviour names the AWS page it follows.
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  TooManyEntriesInBatchRequest,
  type Message,
} from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { startSimulator, type Simulator } from "../../simulator";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";

let sim: Simulator;
let sqs: SQSClient;
let now = 1_800_000_000_000;
let queueCounter = 0;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, region: REGION, accountId: ACCOUNT, clock: () => now });
  sqs = new SQSClient({ ...sim.clientConfig(), maxAttempts: 1 });
});

afterAll(async () => {
  sqs.destroy();
  await sim.stop();
});

/** A FIFO queue as the template declares ReconcileQueue (high-throughput FIFO, dedup per message group). */
async function fifoQueue(extra: Record<string, string> = {}): Promise<string> {
  queueCounter += 1;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: `reconcile-${queueCounter}.fifo`,
      Attributes: {
        FifoQueue: "true",
        DeduplicationScope: "messageGroup",
        FifoThroughputLimit: "perMessageGroupId",
        VisibilityTimeout: "30",
        ...extra,
      },
    }),
  );
  return created.QueueUrl!;
}

async function standardQueue(extra: Record<string, string> = {}): Promise<string> {
  queueCounter += 1;
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `plain-${queueCounter}`, Attributes: extra }),
  );
  return created.QueueUrl!;
}

async function sendFifo(queueUrl: string, group: string, body: string, dedup = `${group}-${body}`) {
  return sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: dedup,
    }),
  );
}

async function receive(queueUrl: string, max = 10, extra: { VisibilityTimeout?: number } = {}) {
  const answer = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      MessageSystemAttributeNames: ["All"],
      ...extra,
    }),
  );
  return answer.Messages ?? [];
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);
const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

async function attributes(queueUrl: string): Promise<Record<string, string>> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }),
  );
  return answer.Attributes ?? {};
}

describe("queues (SQS API reference: CreateQueue, GetQueueUrl, GetQueueAttributes)", () => {
  it("creates a FIFO queue with the attributes given and reports them with the message counts", async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: "false", SqsManagedSseEnabled: "true" });
    expect(url).toMatch(new RegExp(`^${sim.url}/${ACCOUNT}/reconcile-\\d+\\.fifo$`));
    const name = url.split("/").pop()!;
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: name }))).resolves.toMatchObject({
      QueueUrl: url,
    });
    expect(await attributes(url)).toMatchObject({
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      FifoQueue: "true",
      ContentBasedDeduplication: "false",
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
      VisibilityTimeout: "30",
      MessageRetentionPeriod: "345600",
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  it("returns the existing queue for the same name and attributes, QueueNameExists for different ones", async () => {
    // CreateQueue: "If you provide the name of an existing queue along with the exact names and values of all the
    // queue's attributes, CreateQueue returns the queue URL for the existing queue."
    const url = await standardQueue({ VisibilityTimeout: "10" });
    const name = url.split("/").pop()!;
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "10" } })),
    ).resolves.toMatchObject({ QueueUrl: url });
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "20" } })),
    ).rejects.toBeInstanceOf(QueueNameExists);
  });

  it("refuses a FIFO queue without the .fifo suffix and an unknown attribute, naming what is accepted", async () => {
    const noSuffix = sqs.send(new CreateQueueCommand({ QueueName: "x", Attributes: { FifoQueue: "true" } }));
    await expect(noSuffix).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(noSuffix).rejects.toThrow(/must end with \.fifo suffix/);
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: "y", Attributes: { ContentBasedDeduplication: "true" } })),
    ).rejects.toMatchObject({ name: "InvalidAttributeName" });
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: "z", Attributes: { VisibilityTimeout: "43201" } })),
    ).rejects.toThrow(/VisibilityTimeout.*0 to 43200/);
  });

  it("answers a queue that does not exist with QueueDoesNotExist, as the JSON protocol sends it", async () => {
    // "Interpreting Amazon SQS JSON API responses": x-amzn-query-error AWS.SimpleQueueService.NonExistentQueue;Sender,
    // __type com.amazonaws.sqs#QueueDoesNotExist.
    const error = await sqs
      .send(new SendMessageCommand({ QueueUrl: `${sim.url}/${ACCOUNT}/missing`, MessageBody: "x" }))
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({
      message: "The specified queue does not exist.",
      Code: "AWS.SimpleQueueService.NonExistentQueue",
      Type: "Sender",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "missing" }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });
});

describe("sending (SQS API reference: SendMessage, SendMessageBatch)", () => {
  it("answers with the MD5 of the body the SDK checks, and a sequence number on a FIFO queue", async () => {
    const url = await fifoQueue();
    const body = '{"configurationSet":"émail-✓"}';
    const sent = await sendFifo(url, "g", body, "d1");
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.SequenceNumber).toMatch(/^\d{20,}$/);
    const [message] = await receive(url);
    expect(message).toMatchObject({ Body: body, MD5OfBody: md5(body), MessageId: sent.MessageId });
  });

  it("requires a MessageGroupId on a FIFO queue and a deduplication ID without content-based deduplication", async () => {
    // "FIFO queue delivery logic": "If a message is sent without a message group ID, the action fails."
    const url = await fifoQueue();
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }))).rejects.toMatchObject(
      {
        name: "MissingParameter",
        message: "The request must contain the parameter MessageGroupId.",
      },
    );
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g" })),
    ).rejects.toThrow(/ContentBasedDeduplication enabled or MessageDeduplicationId provided/);
  });

  it("accepts a duplicate within 5 minutes without delivering it again, per message group", async () => {
    // "Exactly-once processing in Amazon SQS": a message with a deduplication ID already sent in the 5-minute
    // interval is accepted but not delivered; DeduplicationScope messageGroup scopes IDs to their group.
    const url = await fifoQueue();
    const first = await sendFifo(url, "a", "one", "same-id");
    const again = await sendFifo(url, "a", "one again", "same-id");
    await sendFifo(url, "b", "other group", "same-id");
    expect(again.MessageId).toBe(first.MessageId);
    const received = await receive(url);
    expect(bodies(received).sort()).toEqual(["one", "other group"]);
    for (const m of received) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    }
    // Deleted, still inside the interval: still a duplicate.
    await sendFifo(url, "a", "third", "same-id");
    expect(await receive(url)).toEqual([]);
    now += 5 * 60_000;
    await sendFifo(url, "a", "after the interval", "same-id");
    expect(bodies(await receive(url))).toEqual(["after the interval"]);
  });

  it("deduplicates on the body's SHA-256 with ContentBasedDeduplication, unless an ID is given", async () => {
    // CreateQueue ContentBasedDeduplication: "Amazon SQS uses a SHA-256 hash to generate the MessageDeduplicationId
    // using the body of the message"; "your MessageDeduplicationId overrides the generated one".
    const url = await fifoQueue({ ContentBasedDeduplication: "true" });
    const send = (extra: { MessageDeduplicationId?: string } = {}) =>
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "same", MessageGroupId: "g", ...extra }));
    const first = await send();
    expect((await send()).MessageId).toBe(first.MessageId);
    await send({ MessageDeduplicationId: "explicit" });
    const received = await receive(url);
    expect(received.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual([
      createHash("sha256").update("same").digest("hex"),
      "explicit",
    ]);
  });

  it("reports entries a batch cannot send per entry and refuses more than 10 entries", async () => {
    const url = await fifoQueue();
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "ok", MessageBody: "fine", MessageGroupId: "g", MessageDeduplicationId: "d1" },
          { Id: "nogroup", MessageBody: "lost", MessageDeduplicationId: "d2" },
        ],
      }),
    );
    expect(answer.Successful).toEqual([expect.objectContaining({ Id: "ok", MD5OfMessageBody: md5("fine") })]);
    expect(answer.Failed).toEqual([
      {
        Id: "nogroup",
        SenderFault: true,
        Code: "MissingParameter",
        Message: "The request must contain the parameter MessageGroupId.",
      },
    ]);
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      Id: `e${i}`,
      MessageBody: "x",
      MessageGroupId: "g",
      MessageDeduplicationId: `x${i}`,
    }));
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
  });
});

describe('receiving from a FIFO queue ("FIFO queue delivery logic"; re:Post sqs-fifo-messages-not-returned)', () => {
  it("returns as many messages of one group as possible, in the order sent, then other groups", async () => {
    const url = await fifoQueue();
    await sendFifo(url, "set-b", "b1");
    await sendFifo(url, "set-a", "a1");
    await sendFifo(url, "set-b", "b2");
    await sendFifo(url, "set-c", "c1");
    await sendFifo(url, "set-a", "a2");
    const received = await receive(url, 10);
    expect(bodies(received)).toEqual(["b1", "b2", "a1", "a2", "c1"]);
    expect(received.map((m) => m.Attributes?.MessageGroupId)).toEqual([
      "set-b",
      "set-b",
      "set-a",
      "set-a",
      "set-c",
    ]);
  });

  it("blocks a group while one of its messages is in flight; other groups are still delivered", async () => {
    const url = await fifoQueue();
    await sendFifo(url, "a", "a1");
    await sendFifo(url, "a", "a2");
    await sendFifo(url, "b", "b1");
    const [first] = await receive(url, 1);
    expect(first?.Body).toBe("a1");
    // a1 is in flight: a2 must wait; b1 is free.
    expect(bodies(await receive(url, 10))).toEqual(["b1"]);
    expect(await receive(url, 10)).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle! }));
    expect(bodies(await receive(url, 10))).toEqual(["a2"]);
  });

  it("delivers a message again after its visibility timeout with a higher ApproximateReceiveCount", async () => {
    // "Amazon SQS visibility timeout": a message not deleted before its visibility timeout expires becomes visible.
    const url = await fifoQueue();
    await sendFifo(url, "a", "a1");
    const [first] = await receive(url, 1, { VisibilityTimeout: 20 });
    expect(first?.Attributes).toMatchObject({ ApproximateReceiveCount: "1", MessageGroupId: "a" });
    now += 19_000;
    expect(await receive(url)).toEqual([]);
    expect(await attributes(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "1",
    });
    now += 1_000;
    const [second] = await receive(url);
    expect(second).toMatchObject({
      Body: "a1",
      Attributes: expect.objectContaining({ ApproximateReceiveCount: "2" }),
    });
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(
      first!.Attributes!.ApproximateFirstReceiveTimestamp,
    );
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
  });

  it("keeps a message when an older receipt handle deletes it; only the latest handle deletes", async () => {
    // DeleteMessage: "you must provide the most recently received ReceiptHandle for the message (otherwise, the
    // request succeeds, but the message will not be deleted)."
    const url = await fifoQueue();
    await sendFifo(url, "a", "a1");
    const [first] = await receive(url, 1, { VisibilityTimeout: 1 });
    now += 1_000;
    const [second] = await receive(url, 1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle! }));
    expect(await attributes(url)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: "1" });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle! }));
    expect(await attributes(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-handle" })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it("makes a message visible at once with ChangeMessageVisibility 0, and refuses one not in flight", async () => {
    const url = await fifoQueue();
    await sendFifo(url, "a", "a1");
    const [first] = await receive(url, 1);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first!.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    );
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first!.ReceiptHandle!,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
    expect(bodies(await receive(url))).toEqual(["a1"]);
  });

  it("deletes a batch and reports an invalid handle per entry", async () => {
    const url = await fifoQueue();
    await sendFifo(url, "a", "a1");
    await sendFifo(url, "b", "b1");
    const received = await receive(url);
    const answer = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...received.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle! })),
          { Id: "bad", ReceiptHandle: "garbage" },
        ],
      }),
    );
    expect(answer.Successful?.map((e) => e.Id)).toEqual(["m0", "m1"]);
    expect(answer.Failed).toEqual([
      expect.objectContaining({ Id: "bad", Code: "ReceiptHandleIsInvalid", SenderFault: true }),
    ]);
    expect(sim.state.getQueue(url.split("/").pop()!)?.messages).toEqual([]);
  });
});

describe('dead-letter queues ("Using dead-letter queues in Amazon SQS"; CreateQueue RedrivePolicy)', () => {
  it("moves a message received maxReceiveCount times to the dead-letter queue on the next receive", async () => {
    const dlqUrl = await fifoQueue();
    const dlqArn = (await attributes(dlqUrl)).QueueArn!;
    const url = await fifoQueue({
      VisibilityTimeout: "5",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    await sendFifo(url, "a", "poison");
    await sendFifo(url, "a", "next");
    for (const count of ["1", "2"]) {
      const [message] = await receive(url, 1);
      expect(message).toMatchObject({
        Body: "poison",
        Attributes: expect.objectContaining({ ApproximateReceiveCount: count }),
      });
      now += 5_000;
    }
    // The third receive would exceed maxReceiveCount 2: "poison" moves, the group goes on with "next".
    expect(bodies(await receive(url, 1))).toEqual(["next"]);
    const [dead] = await receive(dlqUrl);
    expect(dead).toMatchObject({
      Body: "poison",
      Attributes: expect.objectContaining({
        MessageGroupId: "a",
        DeadLetterQueueSourceArn: (await attributes(url)).QueueArn,
      }),
    });
  });

  it("refuses a redrive policy whose target is missing or of the other queue type", async () => {
    const standardDlq = await standardQueue();
    const standardArn = (await attributes(standardDlq)).QueueArn!;
    await expect(
      fifoQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: standardArn, maxReceiveCount: 5 }) }),
    ).rejects.toThrow(/dead-letter queue of a FIFO queue must also be a FIFO queue/);
    await expect(
      standardQueue({
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${standardArn}-gone`, maxReceiveCount: 5 }),
      }),
    ).rejects.toThrow(/Dead letter target does not exist/);
  });
});

describe("standard queues, long polling and purge", () => {
  it("delivers in send order, the same message again after its visibility timeout", async () => {
    const url = await standardQueue({ VisibilityTimeout: "3" });
    for (const body of ["one", "two", "three"])
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageDeduplicationId: "d" })),
    ).rejects.toThrow(/not valid for this queue type/);
    expect(bodies(await receive(url, 2))).toEqual(["one", "two"]);
    expect(bodies(await receive(url, 10))).toEqual(["three"]);
    now += 3_000;
    expect(bodies(await receive(url, 10))).toEqual(["one", "two", "three"]);
  });

  it("answers a long poll as soon as a message arrives, and empty when the wait ends", async () => {
    // "Amazon SQS short and long polling": long polling returns as soon as a message is available.
    const url = await standardQueue();
    const started = performance.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "arrived" }));
    expect(bodies((await polling).Messages ?? [])).toEqual(["arrived"]);
    expect(performance.now() - started).toBeLessThan(3_000);

    const emptyStart = performance.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages ?? []).toEqual([]);
    expect(performance.now() - emptyStart).toBeGreaterThanOrEqual(900);
  });

  it("gives nothing to a long poll its client abandoned: the message stays receivable", async () => {
    const url = await standardQueue();
    const controller = new AbortController();
    const abandoned = sqs
      .send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }), {
        abortSignal: controller.signal,
      })
      .catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await abandoned;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "kept" }));
    expect(bodies(await receive(url))).toEqual(["kept"]);
  });

  it("purges every message, once per 60 seconds", async () => {
    // PurgeQueue: "Only one PurgeQueue operation on <queue> is allowed every 60 seconds."
    const url = await standardQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "gone" }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await receive(url)).toEqual([]);
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toBeInstanceOf(
      PurgeQueueInProgress,
    );
    now += 60_000;
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).resolves.toBeDefined();
  });

  it("throttles with RequestThrottled, which the SDK retries as throttling", async () => {
    const url = await standardQueue();
    sim.setOptions({ rateLimits: { sqs: { ratePerSecond: 1, burst: 1 } } });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "1" }));
      const error = await sqs
        .send(new SendMessageCommand({ QueueUrl: url, MessageBody: "2" }))
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SQSServiceException);
      expect(error).toMatchObject({ name: "RequestThrottled", $metadata: { httpStatusCode: 403 } });
      const retrying = new SQSClient({ ...sim.clientConfig(), maxAttempts: 5, retryMode: "adaptive" });
      await expect(
        retrying.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "3" })),
      ).resolves.toBeDefined();
      retrying.destroy();
    } finally {
      sim.setOptions({ rateLimits: {} });
    }
  });
});
