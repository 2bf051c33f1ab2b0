// Simulator layer (SQS, AWS JSON 1.0): queues addressed by `X-Amz-Target: AmazonSQS.<Op>`, as
// @aws-sdk/client-sqs speaks it (query-compatible errors: `x-amzn-query-error` + `__type`). Semantics in
// ../sqs-queues.ts; shapes and error codes from the client's schemas, limits from the SQS API reference.
import { setTimeout as sleep } from "node:timers/promises";
import { FieldReader, jsonBody, type ServiceContext, type SimRequest } from "../context";
import { AwsError, json10, type WireResponse } from "../protocols";
import {
  changeVisibility,
  counts,
  deleteByHandle,
  enqueue,
  newQueue,
  nextAvailableAt,
  notifyWaiters,
  parseReceiptHandle,
  PURGE_INTERVAL_MS,
  receive,
  type NewMessage,
  type QueueRecord,
  type QueueSettings,
  type SqsMessage,
} from "../sqs-queues";
import type { Json, JsonObject, World } from "../state";

export const SQS_TARGET_PREFIX = "AmazonSQS.";
/** The shape namespace of the `__type` SQS puts in an error body. */
export const SQS_ERROR_NAMESPACE = "com.amazonaws.sqs";

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** MessageGroupId / MessageDeduplicationId: up to 128 alphanumeric and punctuation characters. */
const GROUP_OR_DEDUP_ID = /^[!-~]{1,128}$/;
/** The characters a message body may hold (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF). */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** An SQS error: the shape name (`__type`), the query-compatible code (`x-amzn-query-error`), status and message. */
export function sqsError(shape: string, queryCode: string, status: number, message: string): AwsError {
  const error = new AwsError(shape, status, message);
  error.queryCode = queryCode;
  return error;
}

const queueDoesNotExist = () =>
  sqsError(
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    400,
    "The specified queue does not exist.",
  );
const invalidParameter = (message: string) =>
  sqsError("InvalidParameterValue", "InvalidParameterValue", 400, message);
const missingParameter = (name: string) =>
  sqsError("MissingParameter", "MissingParameter", 400, `The request must contain the parameter ${name}.`);
const invalidAttributeName = (name: string) =>
  sqsError("InvalidAttributeName", "InvalidAttributeName", 400, `Unknown Attribute ${name}.`);
const invalidAttributeValue = (name: string, reason: string) =>
  sqsError(
    "InvalidAttributeValue",
    "InvalidAttributeValue",
    400,
    `Invalid value for the parameter ${name}. Reason: ${reason}`,
  );
const receiptHandleIsInvalid = (handle: string) =>
  sqsError(
    "ReceiptHandleIsInvalid",
    "ReceiptHandleIsInvalid",
    404,
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );
const notValidForQueueType = (parameter: string, value: string | number) =>
  invalidParameter(
    `Value ${value} for parameter ${parameter} is invalid. Reason: The request include parameter that is not valid for this queue type.`,
  );

/** Whole-number attribute bounds (SQS API reference, CreateQueue / SetQueueAttributes). */
const NUMERIC_ATTRIBUTES = {
  DelaySeconds: [0, 900, 0],
  MaximumMessageSize: [1024, 1_048_576, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600, 345_600],
  ReceiveMessageWaitTimeSeconds: [0, 20, 0],
  VisibilityTimeout: [0, 43_200, 30],
} as const satisfies Record<string, readonly [number, number, number]>;
type NumericAttribute = keyof typeof NUMERIC_ATTRIBUTES;
const COMMON_ATTRIBUTES = new Set<string>([
  ...Object.keys(NUMERIC_ATTRIBUTES),
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "Policy",
  "SqsManagedSseEnabled",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
]);
const FIFO_ATTRIBUTES = new Set([
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
]);
const COMPUTED_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const;
/** What ReceiveMessage may return per message (`All` selects every one). */
const MESSAGE_SYSTEM_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SentTimestamp",
  "SenderId",
  "MessageDeduplicationId",
  "MessageGroupId",
  "SequenceNumber",
  "DeadLetterQueueSourceArn",
] as const;
type MessageSystemAttribute = (typeof MESSAGE_SYSTEM_ATTRIBUTES)[number];

function booleanAttribute(name: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidAttributeValue(name, "Valid values are true and false.");
}

function numericAttribute(name: NumericAttribute, value: string | undefined): number {
  const [min, max, fallback] = NUMERIC_ATTRIBUTES[name];
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw invalidAttributeValue(name, `Valid values are whole numbers from ${min} to ${max}.`);
  }
  return number;
}

/** Reads `{"deadLetterTargetArn", "maxReceiveCount"}`; the target must be a queue of the same type. */
function redrivePolicy(text: string, fifo: boolean, world: World): QueueSettings["redrivePolicy"] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const { deadLetterTargetArn, maxReceiveCount } = (parsed ?? {}) as Record<string, unknown>;
  const count = Number(maxReceiveCount);
  if (typeof deadLetterTargetArn !== "string" || !(Number.isInteger(count) && count >= 1 && count <= 1000)) {
    throw invalidAttributeValue(
      "RedrivePolicy",
      'Expected JSON {"deadLetterTargetArn": "<queue ARN>", "maxReceiveCount": 1 to 1000}.',
    );
  }
  const target = queueByArn(world, deadLetterTargetArn);
  if (target === undefined) {
    throw invalidAttributeValue("RedrivePolicy", "Dead letter target does not exist.");
  }
  if (target.settings.fifo !== fifo) {
    throw invalidAttributeValue(
      "RedrivePolicy",
      "The dead-letter queue of a FIFO queue must also be a FIFO queue, and of a standard queue a standard queue.",
    );
  }
  return { text, deadLetterTargetArn, maxReceiveCount: count };
}

/** Validates CreateQueue's name and attributes into the queue's settings. */
function settingsFor(name: string, attributes: Record<string, string>, world: World): QueueSettings {
  const fifo =
    attributes.FifoQueue === undefined ? false : booleanAttribute("FifoQueue", attributes.FifoQueue);
  if (fifo ? !FIFO_QUEUE_NAME.test(name) : !QUEUE_NAME.test(name)) {
    throw invalidParameter(
      fifo
        ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
    );
  }
  for (const key of Object.keys(attributes)) {
    if (!COMMON_ATTRIBUTES.has(key) && !(fifo && FIFO_ATTRIBUTES.has(key)) && key !== "FifoQueue") {
      throw invalidAttributeName(key);
    }
  }
  const deduplicationScope = attributes.DeduplicationScope ?? "queue";
  if (deduplicationScope !== "queue" && deduplicationScope !== "messageGroup") {
    throw invalidAttributeValue("DeduplicationScope", "Valid values are messageGroup and queue.");
  }
  const fifoThroughputLimit = attributes.FifoThroughputLimit ?? "perQueue";
  if (fifoThroughputLimit !== "perQueue" && fifoThroughputLimit !== "perMessageGroupId") {
    throw invalidAttributeValue("FifoThroughputLimit", "Valid values are perQueue and perMessageGroupId.");
  }
  if (fifoThroughputLimit === "perMessageGroupId" && deduplicationScope !== "messageGroup") {
    throw invalidAttributeValue(
      "FifoThroughputLimit",
      "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.",
    );
  }
  return {
    fifo,
    contentBasedDeduplication:
      attributes.ContentBasedDeduplication === undefined
        ? false
        : booleanAttribute("ContentBasedDeduplication", attributes.ContentBasedDeduplication),
    deduplicationScope,
    fifoThroughputLimit,
    visibilityTimeoutSeconds: numericAttribute("VisibilityTimeout", attributes.VisibilityTimeout),
    delaySeconds: numericAttribute("DelaySeconds", attributes.DelaySeconds),
    maximumMessageSize: numericAttribute("MaximumMessageSize", attributes.MaximumMessageSize),
    messageRetentionPeriodSeconds: numericAttribute(
      "MessageRetentionPeriod",
      attributes.MessageRetentionPeriod,
    ),
    receiveMessageWaitTimeSeconds: numericAttribute(
      "ReceiveMessageWaitTimeSeconds",
      attributes.ReceiveMessageWaitTimeSeconds,
    ),
    sqsManagedSseEnabled:
      attributes.SqsManagedSseEnabled === undefined
        ? true
        : booleanAttribute("SqsManagedSseEnabled", attributes.SqsManagedSseEnabled),
    redrivePolicy:
      attributes.RedrivePolicy === undefined
        ? undefined
        : redrivePolicy(attributes.RedrivePolicy, fifo, world),
  };
}

export function queueArn(world: World, name: string): string {
  return `arn:aws:sqs:${world.region}:${world.accountId}:${name}`;
}

export function queueUrl(baseUrl: string, world: World, name: string): string {
  return `${baseUrl}/${world.accountId}/${name}`;
}

function queueByArn(world: World, arn: string): QueueRecord | undefined {
  const prefix = `arn:aws:sqs:${world.region}:${world.accountId}:`;
  return arn.startsWith(prefix) ? world.queues.get(arn.slice(prefix.length)) : undefined;
}

/** Creates a queue, or returns the existing one when the name and every attribute match (CreateQueue is idempotent). */
export function createQueue(
  world: World,
  name: string,
  attributes: Record<string, string>,
  now: number,
): QueueRecord {
  const settings = settingsFor(name, attributes, world);
  const existing = world.queues.get(name);
  if (existing !== undefined) {
    const keys = new Set([...Object.keys(existing.givenAttributes), ...Object.keys(attributes)]);
    const differing = [...keys].find((key) => existing.givenAttributes[key] !== attributes[key]);
    if (differing !== undefined) {
      throw sqsError(
        "QueueNameExists",
        "QueueAlreadyExists",
        400,
        `A queue already exists with the same name and a different value for attribute ${differing}`,
      );
    }
    return existing;
  }
  const queue = newQueue(name, queueArn(world, name), settings, { ...attributes }, now);
  world.queues.set(name, queue);
  return queue;
}

/** The queue a QueueUrl names: `<endpoint>/<account>/<name>` (the host is whatever endpoint the client used). */
function queueOf(body: FieldReader, world: World): QueueRecord {
  const url = body.optionalString("QueueUrl");
  if (url === undefined || url === "") throw missingParameter("QueueUrl");
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw sqsError(
      "InvalidAddress",
      "InvalidAddress",
      404,
      `The address ${url} is not valid for this endpoint.`,
    );
  }
  const [, account, name, ...rest] = path.split("/");
  const queue = account === world.accountId && rest.length === 0 ? world.queues.get(name ?? "") : undefined;
  if (queue === undefined) throw queueDoesNotExist();
  return queue;
}

function stringMap(body: FieldReader, field: string): Record<string, string> {
  const map = body.optionalObject(field) ?? {};
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== "string") throw invalidAttributeValue(key, "Attribute values must be strings.");
  }
  return map as Record<string, string>;
}

function stringList(body: FieldReader, field: string): string[] {
  const list = body.optionalArray(field) ?? [];
  if (list.some((item) => typeof item !== "string"))
    throw invalidParameter(`${field} must be a list of strings.`);
  return list as string[];
}

function bounded(body: FieldReader, field: string, min: number, max: number): number | undefined {
  const value = body.optionalNumber(field);
  if (value !== undefined && (value < min || value > max)) {
    throw invalidParameter(
      `Value ${value} for parameter ${field} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

/** The queue attributes GetQueueAttributes reports, by name. */
export function queueAttributes(queue: QueueRecord, now: number): Record<string, string> {
  const { settings } = queue;
  const current = counts(queue, now);
  const attributes: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(current.visible),
    ApproximateNumberOfMessagesNotVisible: String(current.inFlight),
    ApproximateNumberOfMessagesDelayed: String(current.delayed),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MaximumMessageSize: String(settings.maximumMessageSize),
    MessageRetentionPeriod: String(settings.messageRetentionPeriodSeconds),
    DelaySeconds: String(settings.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    SqsManagedSseEnabled: String(settings.sqsManagedSseEnabled),
  };
  if (settings.redrivePolicy !== undefined) attributes.RedrivePolicy = settings.redrivePolicy.text;
  if (settings.fifo) {
    attributes.FifoQueue = "true";
    attributes.ContentBasedDeduplication = String(settings.contentBasedDeduplication);
    attributes.DeduplicationScope = settings.deduplicationScope;
    attributes.FifoThroughputLimit = settings.fifoThroughputLimit;
  }
  return attributes;
}

function getQueueAttributes(
  queue: QueueRecord,
  names: readonly string[],
  now: number,
): Record<string, string> {
  const all = queueAttributes(queue, now);
  if (names.includes("All")) return all;
  const known = new Set<string>([...COMMON_ATTRIBUTES, ...FIFO_ATTRIBUTES, ...COMPUTED_ATTRIBUTES]);
  const selected: Record<string, string> = {};
  for (const name of names) {
    if (!known.has(name)) throw invalidAttributeName(name);
    const value = all[name];
    if (value !== undefined) selected[name] = value;
  }
  return selected;
}

/** Validates one message for the queue; the problem is an AwsError the batch call reports per entry. */
function messageFor(queue: QueueRecord, entry: FieldReader): NewMessage {
  const body = entry.optionalString("MessageBody");
  if (body === undefined || body === "") throw missingParameter("MessageBody");
  if (Buffer.byteLength(body, "utf8") > queue.settings.maximumMessageSize) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${queue.settings.maximumMessageSize} bytes.`,
    );
  }
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw sqsError(
      "InvalidMessageContents",
      "InvalidMessageContents",
      400,
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    );
  }
  for (const field of ["MessageAttributes", "MessageSystemAttributes"]) {
    const attributes = entry.optionalObject(field);
    if (attributes !== undefined && Object.keys(attributes).length > 0) {
      throw sqsError(
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        400,
        `${field} are not simulated (this project does not send them).`,
      );
    }
  }
  const groupId = entry.optionalString("MessageGroupId");
  const deduplicationId = entry.optionalString("MessageDeduplicationId");
  const delaySeconds = entry.optionalNumber("DelaySeconds");
  for (const [name, value] of [
    ["MessageGroupId", groupId],
    ["MessageDeduplicationId", deduplicationId],
  ] as const) {
    if (value !== undefined && !GROUP_OR_DEDUP_ID.test(value)) {
      throw invalidParameter(
        `Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
      );
    }
  }
  if (delaySeconds !== undefined && (delaySeconds < 0 || delaySeconds > 900)) {
    throw invalidParameter(
      `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
    );
  }
  if (queue.settings.fifo) {
    if (groupId === undefined) throw missingParameter("MessageGroupId");
    if (delaySeconds !== undefined) throw notValidForQueueType("DelaySeconds", delaySeconds);
    if (deduplicationId === undefined && !queue.settings.contentBasedDeduplication) {
      throw invalidParameter(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    }
  } else if (deduplicationId !== undefined) {
    throw notValidForQueueType("MessageDeduplicationId", deduplicationId);
  }
  return { body, groupId, deduplicationId, delaySeconds };
}

/** Reads a batch's entries: 1 to 10, distinct IDs of the allowed characters. */
function batchEntries(body: FieldReader): FieldReader[] {
  const list = body.optionalArray("Entries") ?? [];
  if (list.length === 0) {
    throw sqsError(
      "EmptyBatchRequest",
      "AWS.SimpleQueueService.EmptyBatchRequest",
      400,
      "There should be at least one SendMessageBatchRequestEntry in the request.",
    );
  }
  if (list.length > 10) {
    throw sqsError(
      "TooManyEntriesInBatchRequest",
      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
      400,
      `Maximum number of entries per request are 10. You have sent ${list.length}.`,
    );
  }
  const entries = list.map((item: Json) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw invalidParameter("Each batch entry must be an object.");
    }
    return new FieldReader(item, "InvalidParameterValue");
  });
  const ids = entries.map((entry) => entry.optionalString("Id") ?? "");
  const badId = ids.find((id) => !BATCH_ENTRY_ID.test(id));
  if (badId !== undefined) {
    throw sqsError(
      "InvalidBatchEntryId",
      "AWS.SimpleQueueService.InvalidBatchEntryId",
      400,
      `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: "${badId}".`,
    );
  }
  if (new Set(ids).size !== ids.length) {
    throw sqsError(
      "BatchEntryIdsNotDistinct",
      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
      400,
      "Two or more batch entries in the request have the same Id.",
    );
  }
  return entries;
}

interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

function batchFailure(id: string, err: unknown): BatchFailure {
  if (!(err instanceof AwsError)) throw err;
  return { Id: id, SenderFault: err.status < 500, Code: err.queryCode ?? err.code, Message: err.message };
}

function sendResult(outcome: ReturnType<typeof enqueue>): JsonObject {
  return {
    MessageId: outcome.message.messageId,
    MD5OfMessageBody: outcome.message.md5OfBody,
    ...(outcome.message.sequenceNumber === undefined
      ? {}
      : { SequenceNumber: outcome.message.sequenceNumber }),
  };
}

function messageAttributesFor(
  message: SqsMessage,
  names: ReadonlySet<string>,
  accountId: string,
): Record<string, string> {
  const all: Record<MessageSystemAttribute, string | undefined> = {
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp:
      message.firstReceivedAt === undefined ? undefined : String(message.firstReceivedAt),
    SentTimestamp: String(message.sentAt),
    SenderId: accountId,
    MessageDeduplicationId: message.deduplicationId,
    MessageGroupId: message.groupId,
    SequenceNumber: message.sequenceNumber,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const selected: Record<string, string> = {};
  for (const name of MESSAGE_SYSTEM_ATTRIBUTES) {
    const value = all[name];
    if (value !== undefined && (names.has("All") || names.has(name))) selected[name] = value;
  }
  return selected;
}

/** Waits until the queue may have a receivable message, the deadline passes or the simulator stops. */
async function waitForMessages(
  queue: QueueRecord,
  deadline: number,
  ctx: ServiceContext,
  clientGone: AbortSignal | undefined,
): Promise<void> {
  const now = ctx.now();
  const next = nextAvailableAt(queue, now);
  const waitMs = Math.max(
    0,
    Math.min(deadline - performance.now(), next === undefined ? Infinity : next - now),
  );
  const controller = new AbortController();
  const wake = () => controller.abort();
  queue.waiters.add(wake);
  ctx.world.stopping.add(wake);
  clientGone?.addEventListener("abort", wake);
  try {
    await sleep(waitMs, undefined, { signal: controller.signal, ref: false });
  } catch {
    // woken: a message was sent, deleted or made visible, or the simulator stops
  } finally {
    queue.waiters.delete(wake);
    ctx.world.stopping.delete(wake);
    clientGone?.removeEventListener("abort", wake);
  }
}

async function receiveMessage(
  body: FieldReader,
  ctx: ServiceContext,
  queue: QueueRecord,
  clientGone: AbortSignal | undefined,
): Promise<WireResponse> {
  const max = bounded(body, "MaxNumberOfMessages", 1, 10) ?? 1;
  const visibility = bounded(body, "VisibilityTimeout", 0, 43_200) ?? queue.settings.visibilityTimeoutSeconds;
  const waitSeconds = bounded(body, "WaitTimeSeconds", 0, 20) ?? queue.settings.receiveMessageWaitTimeSeconds;
  const names = new Set([
    ...stringList(body, "AttributeNames"),
    ...stringList(body, "MessageSystemAttributeNames"),
  ]);
  for (const name of names) {
    if (name !== "All" && !(MESSAGE_SYSTEM_ATTRIBUTES as readonly string[]).includes(name)) {
      throw invalidAttributeName(name);
    }
  }
  const deadline = performance.now() + waitSeconds * 1000;
  const deadLetterArn = queue.settings.redrivePolicy?.deadLetterTargetArn;
  for (;;) {
    // A long poll the client gave up receives nothing: its messages would be lost in flight until they time out.
    if (clientGone?.aborted === true || ctx.world.isStopping) return json10({ Messages: [] });
    const deadLetterQueue = deadLetterArn === undefined ? undefined : queueByArn(ctx.world, deadLetterArn);
    const messages = receive(queue, max, visibility, deadLetterQueue, ctx.now());
    if (messages.length > 0 || performance.now() >= deadline || ctx.world.queues.get(queue.name) !== queue) {
      return json10({
        Messages: messages.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle ?? "",
          MD5OfBody: message.md5OfBody,
          Body: message.body,
          ...(names.size === 0
            ? {}
            : { Attributes: messageAttributesFor(message, names, ctx.world.accountId) }),
        })),
      });
    }
    await waitForMessages(queue, deadline, ctx, clientGone);
  }
}

function receiptHandle(body: FieldReader, queue: QueueRecord): string {
  const handle = body.optionalString("ReceiptHandle");
  if (handle === undefined || handle === "") throw missingParameter("ReceiptHandle");
  if (parseReceiptHandle(queue, handle) === undefined) throw receiptHandleIsInvalid(handle);
  return handle;
}

function changeMessageVisibility(
  queue: QueueRecord,
  handle: string,
  seconds: number | undefined,
  now: number,
) {
  if (seconds === undefined) throw missingParameter("VisibilityTimeout");
  if (seconds < 0 || seconds > 43_200) {
    throw invalidParameter(
      `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`,
    );
  }
  if (!changeVisibility(queue, handle, seconds, now)) {
    throw sqsError(
      "MessageNotInflight",
      "AWS.SimpleQueueService.MessageNotInflight",
      400,
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );
  }
}

function baseUrl(req: SimRequest): string {
  return `http://${req.headers.host ?? "127.0.0.1"}`;
}

export async function handleSqs(
  operation: string,
  req: SimRequest,
  ctx: ServiceContext,
): Promise<WireResponse> {
  const { world } = ctx;
  const body = new FieldReader(jsonBody(req, "InvalidParameterValue"), "InvalidParameterValue");
  const now = ctx.now();
  switch (operation) {
    case "CreateQueue": {
      const name = body.optionalString("QueueName");
      if (name === undefined) throw missingParameter("QueueName");
      const queue = createQueue(world, name, stringMap(body, "Attributes"), now);
      Object.assign(queue.tags, stringMap(body, "tags"));
      return json10({ QueueUrl: queueUrl(baseUrl(req), world, queue.name) });
    }
    case "GetQueueUrl": {
      const name = body.optionalString("QueueName");
      if (name === undefined) throw missingParameter("QueueName");
      const owner = body.optionalString("QueueOwnerAWSAccountId") ?? world.accountId;
      if (owner !== world.accountId || !world.queues.has(name)) throw queueDoesNotExist();
      return json10({ QueueUrl: queueUrl(baseUrl(req), world, name) });
    }
    case "GetQueueAttributes": {
      const queue = queueOf(body, world);
      return json10({ Attributes: getQueueAttributes(queue, stringList(body, "AttributeNames"), now) });
    }
    case "SendMessage": {
      const queue = queueOf(body, world);
      return json10(sendResult(enqueue(queue, messageFor(queue, body), now)));
    }
    case "SendMessageBatch": {
      const queue = queueOf(body, world);
      const entries = batchEntries(body);
      const total = entries.reduce(
        (sum, entry) => sum + Buffer.byteLength(entry.optionalString("MessageBody") ?? "", "utf8"),
        0,
      );
      if (total > queue.settings.maximumMessageSize) {
        throw sqsError(
          "BatchRequestTooLong",
          "AWS.SimpleQueueService.BatchRequestTooLong",
          400,
          `Batch requests cannot be longer than ${queue.settings.maximumMessageSize} bytes. You have sent ${total} bytes.`,
        );
      }
      const successful: JsonObject[] = [];
      const failed: BatchFailure[] = [];
      for (const entry of entries) {
        const id = entry.string("Id");
        try {
          successful.push({ Id: id, ...sendResult(enqueue(queue, messageFor(queue, entry), now)) });
        } catch (err) {
          failed.push(batchFailure(id, err));
        }
      }
      return json10({ Successful: successful, Failed: failed as unknown as Json[] });
    }
    case "ReceiveMessage":
      return receiveMessage(body, ctx, queueOf(body, world), req.signal);
    case "DeleteMessage": {
      const queue = queueOf(body, world);
      deleteByHandle(queue, receiptHandle(body, queue));
      return json10({});
    }
    case "DeleteMessageBatch": {
      const queue = queueOf(body, world);
      const successful: JsonObject[] = [];
      const failed: BatchFailure[] = [];
      for (const entry of batchEntries(body)) {
        const id = entry.string("Id");
        try {
          deleteByHandle(queue, receiptHandle(entry, queue));
          successful.push({ Id: id });
        } catch (err) {
          failed.push(batchFailure(id, err));
        }
      }
      return json10({ Successful: successful, Failed: failed as unknown as Json[] });
    }
    case "ChangeMessageVisibility": {
      const queue = queueOf(body, world);
      changeMessageVisibility(
        queue,
        receiptHandle(body, queue),
        body.optionalNumber("VisibilityTimeout"),
        now,
      );
      return json10({});
    }
    case "PurgeQueue": {
      const queue = queueOf(body, world);
      if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS) {
        throw sqsError(
          "PurgeQueueInProgress",
          "AWS.SimpleQueueService.PurgeQueueInProgress",
          403,
          `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
        );
      }
      queue.lastPurgeAt = now;
      queue.messages = [];
      notifyWaiters(queue);
      return json10({});
    }
    default:
      throw sqsError(
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        400,
        `${SQS_TARGET_PREFIX}${operation} is not simulated.`,
      );
  }
}
