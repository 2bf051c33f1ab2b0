// Simulator layer (SQS model): queues and their messages — visibility timeout, FIFO message groups and
// deduplication, receive counts and redrive to a dead-letter queue — independent of the wire protocol.
import { createHash, randomUUID } from "node:crypto";

/** FIFO deduplication interval: a deduplication ID seen in the last 5 minutes is accepted but not delivered again. */
export const DEDUPLICATION_INTERVAL_MS = 5 * 60_000;
/** Only one PurgeQueue per queue every 60 seconds. */
export const PURGE_INTERVAL_MS = 60_000;

export interface QueueSettings {
  fifo: boolean;
  contentBasedDeduplication: boolean;
  deduplicationScope: "queue" | "messageGroup";
  fifoThroughputLimit: "perQueue" | "perMessageGroupId";
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriodSeconds: number;
  receiveMessageWaitTimeSeconds: number;
  sqsManagedSseEnabled: boolean;
  /** As given (JSON text), echoed back by GetQueueAttributes. */
  redrivePolicy: { text: string; deadLetterTargetArn: string; maxReceiveCount: number } | undefined;
}

export interface SqsMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  sequenceNumber: string | undefined;
  sentAt: number;
  /** Epoch ms from which the message can be received (delay, or the end of its visibility timeout). */
  availableAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The receipt handle of the latest receive; only it deletes the message or changes its visibility. */
  receiptHandle: string | undefined;
  /** ARN of the queue a dead-letter message was moved from. */
  deadLetterSourceArn: string | undefined;
}

interface Deduplication {
  messageId: string;
  sequenceNumber: string | undefined;
  at: number;
}

export interface QueueRecord {
  name: string;
  arn: string;
  createdAt: number;
  lastModifiedAt: number;
  settings: QueueSettings;
  /** The attributes as given at creation (CreateQueue is idempotent only for the same attributes). */
  givenAttributes: Record<string, string>;
  tags: Record<string, string>;
  /** In send order; FIFO delivery order within a message group. */
  messages: SqsMessage[];
  deduplication: Map<string, Deduplication>;
  nextSequence: bigint;
  lastPurgeAt: number | undefined;
  /** Long polls waiting for a message to become receivable. */
  waiters: Set<() => void>;
}

export interface NewMessage {
  body: string;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  delaySeconds: number | undefined;
}

export interface SendOutcome {
  message: Pick<SqsMessage, "messageId" | "md5OfBody" | "sequenceNumber">;
  /** A FIFO duplicate within the deduplication interval: accepted, not enqueued again. */
  duplicate: boolean;
}

export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

export function newQueue(
  name: string,
  arn: string,
  settings: QueueSettings,
  givenAttributes: Record<string, string>,
  now: number,
): QueueRecord {
  return {
    name,
    arn,
    createdAt: now,
    lastModifiedAt: now,
    settings,
    givenAttributes,
    tags: {},
    messages: [],
    deduplication: new Map(),
    nextSequence: 18_000_000_000_000_000_000n,
    lastPurgeAt: undefined,
    waiters: new Set(),
  };
}

/** Wakes every long poll of the queue: something may have become receivable. */
export function notifyWaiters(queue: QueueRecord): void {
  for (const wake of [...queue.waiters]) wake();
}

/** Drops messages older than the retention period and deduplication records older than the interval. */
function expire(queue: QueueRecord, now: number): void {
  const retentionMs = queue.settings.messageRetentionPeriodSeconds * 1000;
  if (queue.messages.some((m) => now - m.sentAt >= retentionMs)) {
    queue.messages = queue.messages.filter((m) => now - m.sentAt < retentionMs);
  }
  for (const [key, record] of queue.deduplication) {
    if (now - record.at >= DEDUPLICATION_INTERVAL_MS) queue.deduplication.delete(key);
  }
}

/** The FIFO deduplication ID of a message: the given one, or the SHA-256 of the body with content-based deduplication. */
function deduplicationIdOf(queue: QueueRecord, message: NewMessage): string | undefined {
  if (!queue.settings.fifo) return undefined;
  return message.deduplicationId ?? createHash("sha256").update(message.body, "utf8").digest("hex");
}

/** Enqueues a validated message (see the service for validation); a FIFO duplicate is accepted and dropped. */
export function enqueue(queue: QueueRecord, message: NewMessage, now: number): SendOutcome {
  expire(queue, now);
  const md5OfBody = md5Hex(message.body);
  const deduplicationId = deduplicationIdOf(queue, message);
  const key =
    deduplicationId === undefined || queue.settings.deduplicationScope !== "messageGroup"
      ? deduplicationId
      : `${message.groupId ?? ""}\u0000${deduplicationId}`;
  const seen = key === undefined ? undefined : queue.deduplication.get(key);
  if (seen !== undefined) {
    return {
      message: { messageId: seen.messageId, md5OfBody, sequenceNumber: seen.sequenceNumber },
      duplicate: true,
    };
  }
  const sequenceNumber = queue.settings.fifo ? String((queue.nextSequence += 1n)) : undefined;
  const delayMs = (message.delaySeconds ?? queue.settings.delaySeconds) * 1000;
  const record: SqsMessage = {
    messageId: randomUUID(),
    body: message.body,
    md5OfBody,
    groupId: message.groupId,
    deduplicationId,
    sequenceNumber,
    sentAt: now,
    availableAt: now + delayMs,
    receiveCount: 0,
    firstReceivedAt: undefined,
    receiptHandle: undefined,
    deadLetterSourceArn: undefined,
  };
  queue.messages.push(record);
  if (key !== undefined)
    queue.deduplication.set(key, { messageId: record.messageId, sequenceNumber, at: now });
  notifyWaiters(queue);
  return { message: record, duplicate: false };
}

function inFlight(message: SqsMessage, now: number): boolean {
  return message.receiptHandle !== undefined && message.availableAt > now;
}

/**
 * Moves messages to the dead-letter queue. SQS does so when a receive would exceed the queue's maxReceiveCount
 * ("When the ReceiveCount for a message exceeds the maxReceiveCount for a queue, Amazon SQS moves the message to
 * the dead-letter-queue", SQS API reference, CreateQueue RedrivePolicy).
 */
function moveToDeadLetterQueue(
  queue: QueueRecord,
  moved: ReadonlySet<SqsMessage>,
  deadLetterQueue: QueueRecord,
  now: number,
): void {
  queue.messages = queue.messages.filter((m) => !moved.has(m));
  for (const message of moved) {
    deadLetterQueue.messages.push({
      ...message,
      // A FIFO dead-letter queue gives the message a new place in its order and a new enqueue time; a standard
      // one keeps the original enqueue timestamp (SQS developer guide, "Using dead-letter queues in Amazon SQS").
      sequenceNumber: deadLetterQueue.settings.fifo
        ? String((deadLetterQueue.nextSequence += 1n))
        : message.sequenceNumber,
      sentAt: deadLetterQueue.settings.fifo ? now : message.sentAt,
      availableAt: now,
      receiptHandle: undefined,
      deadLetterSourceArn: queue.arn,
    });
  }
  notifyWaiters(deadLetterQueue);
}

/**
 * The receivable messages in delivery order. Standard queue: oldest first. FIFO queue (SQS developer guide, "FIFO
 * queue logic"): a message group with a message in flight is blocked; otherwise a receive "returns as many messages
 * with the same message group ID as possible", in the order sent, then goes on with the next groups (ordered by
 * their oldest message). A delayed message stops its group at that point.
 */
function deliveryOrder(queue: QueueRecord, now: number): SqsMessage[] {
  if (!queue.settings.fifo) return queue.messages.filter((m) => m.availableAt <= now);
  const groups = new Map<string | undefined, { messages: SqsMessage[]; open: boolean; blocked: boolean }>();
  for (const message of queue.messages) {
    let group = groups.get(message.groupId);
    if (group === undefined) {
      group = { messages: [], open: true, blocked: false };
      groups.set(message.groupId, group);
    }
    if (inFlight(message, now)) group.blocked = true;
    else if (message.availableAt > now) group.open = false;
    else if (group.open) group.messages.push(message);
  }
  return [...groups.values()].filter((group) => !group.blocked).flatMap((group) => group.messages);
}

/** The messages a ReceiveMessage call gets (at most `max`), marked in flight for `visibilityTimeoutSeconds`. */
export function receive(
  queue: QueueRecord,
  max: number,
  visibilityTimeoutSeconds: number,
  deadLetterQueue: QueueRecord | undefined,
  now: number,
): SqsMessage[] {
  expire(queue, now);
  const policy = deadLetterQueue === undefined ? undefined : queue.settings.redrivePolicy;
  const received: SqsMessage[] = [];
  const moved = new Set<SqsMessage>();
  for (const message of deliveryOrder(queue, now)) {
    if (received.length === max) break;
    if (policy !== undefined && message.receiveCount >= policy.maxReceiveCount) moved.add(message);
    else received.push(message);
  }
  if (moved.size > 0 && deadLetterQueue !== undefined)
    moveToDeadLetterQueue(queue, moved, deadLetterQueue, now);
  for (const message of received) {
    message.receiveCount += 1;
    message.firstReceivedAt ??= now;
    message.receiptHandle = receiptHandleFor(queue, message);
    message.availableAt = now + visibilityTimeoutSeconds * 1000;
  }
  return received;
}

function receiptHandleFor(queue: QueueRecord, message: SqsMessage): string {
  return Buffer.from(
    JSON.stringify({ q: queue.name, m: message.messageId, n: message.receiveCount, r: randomUUID() }),
    "utf8",
  ).toString("base64url");
}

/** The message ID a receipt handle of this queue names, or undefined when it is not one of this queue's handles. */
export function parseReceiptHandle(queue: QueueRecord, handle: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(handle, "base64url").toString("utf8")) as {
      q?: unknown;
      m?: unknown;
    };
    return parsed.q === queue.name && typeof parsed.m === "string" ? parsed.m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deletes the message a receipt handle was issued for. Only the latest handle deletes; an older one "succeeds, but
 * the message will not be deleted", and a message already gone is no error (SQS API reference, DeleteMessage).
 */
export function deleteByHandle(queue: QueueRecord, handle: string): void {
  const index = queue.messages.findIndex((m) => m.receiptHandle === handle);
  if (index < 0) return;
  queue.messages.splice(index, 1);
  notifyWaiters(queue);
}

/** Sets a new visibility timeout on an in-flight message; false when its handle names no message in flight. */
export function changeVisibility(queue: QueueRecord, handle: string, seconds: number, now: number): boolean {
  const message = queue.messages.find((m) => m.receiptHandle === handle);
  if (message === undefined || !inFlight(message, now)) return false;
  message.availableAt = now + seconds * 1000;
  if (seconds === 0) notifyWaiters(queue);
  return true;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export function counts(queue: QueueRecord, now: number): QueueCounts {
  expire(queue, now);
  const result = { visible: 0, inFlight: 0, delayed: 0 };
  for (const message of queue.messages) {
    if (message.availableAt <= now) result.visible += 1;
    else if (message.receiptHandle !== undefined) result.inFlight += 1;
    else result.delayed += 1;
  }
  return result;
}

/** When the next message not receivable now becomes receivable (for a long poll's timer), or undefined. */
export function nextAvailableAt(queue: QueueRecord, now: number): number | undefined {
  let next: number | undefined;
  for (const message of queue.messages) {
    if (message.availableAt > now && (next === undefined || message.availableAt < next)) {
      next = message.availableAt;
    }
  }
  return next;
}
