// Test support (Lambda SQS event source mapping emulator): polls a queue of the simulator with the real SQS client
// and invokes a function with SQS events, as Lambda documents it ("Using Lambda with Amazon SQS", "Configuring
// scaling behavior for SQS event source mappings", "Handling errors for an SQS event source in Lambda"):
// - long polling (WaitTimeSeconds 20), up to BatchSize (at most 10) messages per ReceiveMessage, no batching window;
// - never more than ScalingConfig.MaximumConcurrency invocations at once: a poller takes a free slot before it
//   receives, so no message is read that could not be handed to the function (messages wait in the queue);
// - a FIFO queue's group blocking (in-flight messages block their group) is the queue's: the emulator adds none;
// - after an invocation, the messages not reported in `batchItemFailures` are deleted (DeleteMessageBatch); the
//   reported ones, or the whole batch when the function fails or its response is invalid, are left to their
//   visibility timeout, and the queue's redrive policy moves them to the dead-letter queue after maxReceiveCount.
// Not modelled: the batching window, the scale-up ramp of standard queues (the bounds used here are reached at once)
// and the back-off of pollers after errors.
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord, SQSRecordAttributes } from "aws-lambda";

/** Long polling: the longest wait SQS allows, which is what Lambda's pollers use. */
export const POLL_WAIT_SECONDS = 20;

export interface EventSourceMappingConfig {
  queueUrl: string;
  /** The queue's ARN, copied into every record's `eventSourceARN`. */
  eventSourceArn: string;
  region: string;
  /** Records per invocation: 1 to 10 (larger batches need a batching window, not emulated). */
  batchSize: number;
  /** ScalingConfig.MaximumConcurrency: 2 to 1000. */
  maximumConcurrency: number;
  /** FunctionResponseTypes contains ReportBatchItemFailures. */
  reportBatchItemFailures: boolean;
}

export type FunctionOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Invokes the function synchronously (as the mapping does) in the execution environment of `slot`. */
export type SqsInvoker = (event: SQSEvent, slot: number) => Promise<FunctionOutcome>;

export interface EventSourceStats {
  receives: number;
  invocations: number;
  /** Records per invocation, in order. */
  batchSizes: number[];
  peakConcurrency: number;
  deleted: number;
  /** Records the function reported in batchItemFailures. */
  itemFailures: number;
  /** Invocations that failed (function error, timeout): their whole batch stays in the queue. */
  functionErrors: number;
  /** Responses the mapping could not use (see `failedMessageIds`): their whole batch stays in the queue. */
  invalidResponses: number;
  errors: string[];
}

/** The message IDs to leave in the queue after an invocation; undefined when every record succeeded. */
export function failedMessageIds(
  outcome: FunctionOutcome,
  records: readonly SQSRecord[],
  reportBatchItemFailures: boolean,
): { failed: Set<string>; invalid: boolean } {
  const all = new Set(records.map((record) => record.messageId));
  if (!outcome.ok) return { failed: all, invalid: false };
  // Without ReportBatchItemFailures, the response is not read: a successful invocation deletes the batch.
  if (!reportBatchItemFailures) return { failed: new Set(), invalid: false };
  const result = outcome.result;
  // Complete success: a null or empty response, a null or empty batchItemFailures list.
  if (result === null || result === undefined) return { failed: new Set(), invalid: false };
  if (typeof result !== "object" || Array.isArray(result)) return { failed: all, invalid: true };
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { failed: new Set(), invalid: false };
  if (!Array.isArray(failures)) return { failed: all, invalid: true };
  const failed = new Set<string>();
  for (const failure of failures) {
    // Complete failure: an empty or null itemIdentifier, a bad key name, an ID not in the batch.
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "" || !all.has(id)) return { failed: all, invalid: true };
    failed.add(id);
  }
  return { failed, invalid: false };
}

/** The SQS event Lambda builds from received messages (record shape of the Lambda developer guide's example). */
export function sqsEventOf(messages: readonly Message[], config: EventSourceMappingConfig): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      attributes: (message.Attributes ?? {}) as unknown as SQSRecordAttributes,
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: config.eventSourceArn,
      awsRegion: config.region,
    })),
  };
}

export class SqsEventSourceMapping {
  readonly stats: EventSourceStats = {
    receives: 0,
    invocations: 0,
    batchSizes: [],
    peakConcurrency: 0,
    deleted: 0,
    itemFailures: 0,
    functionErrors: 0,
    invalidResponses: 0,
    errors: [],
  };
  private readonly abort = new AbortController();
  private pollers: Promise<void>[] = [];
  private running = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly config: EventSourceMappingConfig,
    private readonly invoke: SqsInvoker,
  ) {
    if (!(Number.isInteger(config.batchSize) && config.batchSize >= 1 && config.batchSize <= 10)) {
      throw new RangeError(
        `batchSize ${config.batchSize} is not emulated: use 1 to 10 (no batching window).`,
      );
    }
    const bound = config.maximumConcurrency;
    if (!(Number.isInteger(bound) && bound >= 2 && bound <= 1000)) {
      throw new RangeError(`maximumConcurrency ${bound} is not valid: Lambda accepts 2 to 1000.`);
    }
  }

  /** Starts one poller per concurrency slot. */
  start(): void {
    if (this.pollers.length > 0) throw new Error("The event source mapping is already running.");
    this.pollers = Array.from({ length: this.config.maximumConcurrency }, (_, slot) => this.poll(slot));
  }

  /** Stops polling (pending long polls are abandoned) and waits for the invocations under way. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.pollers);
  }

  /** Invocations under way. */
  get inFlight(): number {
    return this.running;
  }

  private async poll(slot: number): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        this.stats.receives += 1;
        const answer = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.config.queueUrl,
            MaxNumberOfMessages: this.config.batchSize,
            WaitTimeSeconds: POLL_WAIT_SECONDS,
            MessageSystemAttributeNames: ["All"],
          }),
          { abortSignal: signal },
        );
        messages = answer.Messages ?? [];
      } catch (err) {
        if (signal.aborted) return;
        this.stats.errors.push(`ReceiveMessage: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (messages.length > 0) await this.deliver(messages, slot);
    }
  }

  private async deliver(messages: Message[], slot: number): Promise<void> {
    const event = sqsEventOf(messages, this.config);
    this.running += 1;
    this.stats.peakConcurrency = Math.max(this.stats.peakConcurrency, this.running);
    this.stats.invocations += 1;
    this.stats.batchSizes.push(messages.length);
    let outcome: FunctionOutcome;
    try {
      outcome = await this.invoke(event, slot);
    } catch (err) {
      outcome = { ok: false, error: String(err) };
    } finally {
      this.running -= 1;
    }
    const { failed, invalid } = failedMessageIds(outcome, event.Records, this.config.reportBatchItemFailures);
    if (!outcome.ok) this.stats.functionErrors += 1;
    else if (invalid) this.stats.invalidResponses += 1;
    else this.stats.itemFailures += failed.size;
    const done = event.Records.filter((record) => !failed.has(record.messageId));
    for (let start = 0; start < done.length; start += 10) {
      const chunk = done.slice(start, start + 10);
      const answer = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: chunk.map((record, i) => ({ Id: `m${start + i}`, ReceiptHandle: record.receiptHandle })),
        }),
      );
      this.stats.deleted += answer.Successful?.length ?? 0;
      for (const failure of answer.Failed ?? []) {
        this.stats.errors.push(`DeleteMessageBatch ${failure.Id}: ${failure.Code} ${failure.Message}`);
      }
    }
  }
}

/** Resolves when the queue holds no message (visible, in flight or delayed), checking every `intervalMs`. */
export async function waitUntilQueueEmpty(
  sqs: SQSClient,
  queueUrl: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 3_600_000);
  for (;;) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    const held =
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed);
    if (held === 0) return;
    if (performance.now() > deadline) throw new Error(`${queueUrl} still holds ${held} messages.`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
