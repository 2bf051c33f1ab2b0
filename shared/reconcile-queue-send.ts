// Adapter layer: put an event's configuration sets on the reconcile queue (SendMessageBatch, at most 10 per call).
import { SendMessageBatchCommand, type BatchResultErrorEntry, type SQSClient } from "@aws-sdk/client-sqs";
import { ReconcileNotQueuedError } from "./errors";
import { reconcileMessageFor, type ReconcileMessage, type ReconcileRequest } from "./reconcile-queue";

/** SQS's limit of entries per SendMessageBatch call. */
export const SEND_BATCH_LIMIT = 10;

export interface ReconcileQueue {
  sqs: SQSClient;
  url: string;
}

async function sendOnce(
  queue: ReconcileQueue,
  messages: readonly ReconcileMessage[],
): Promise<BatchResultErrorEntry[]> {
  const failed: BatchResultErrorEntry[] = [];
  for (let start = 0; start < messages.length; start += SEND_BATCH_LIMIT) {
    const entries = messages.slice(start, start + SEND_BATCH_LIMIT);
    const answer = await queue.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [...entries] }),
    );
    failed.push(...(answer.Failed ?? []));
  }
  return failed;
}

/**
 * Queues one message per request (names are unique per event, so each entry's Id is its set's name). A call that
 * fails as a whole has already had the SDK's retries and throws; entries SQS refused are sent once more, and any
 * still refused throw ReconcileNotQueuedError, so Lambda retries the event and, in the end, dead-letters it. The
 * deduplication ID makes those retries safe: SQS drops a message it already took for this event and set.
 */
export async function queueReconciles(
  queue: ReconcileQueue,
  requests: readonly ReconcileRequest[],
  eventId: string,
): Promise<void> {
  const messages = requests.map((request) => reconcileMessageFor(request, eventId));
  const firstFailures = await sendOnce(queue, messages);
  if (firstFailures.length === 0) return;
  const retried = new Set(firstFailures.map((entry) => entry.Id));
  const stillFailed = await sendOnce(
    queue,
    messages.filter((message) => retried.has(message.Id)),
  );
  if (stillFailed.length === 0) return;
  throw new ReconcileNotQueuedError(
    `${stillFailed.length} configuration set(s) could not be queued for reconcile: ` +
      stillFailed
        .map((entry) => `${entry.Id ?? "?"}: ${entry.Code ?? "error"} (${entry.Message ?? "no message"})`)
        .join("; "),
  );
}
