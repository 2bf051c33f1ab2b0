// Adapter layer (Lambda): the reconcile queue's batches (SQS FIFO, one message group per set) -> reconcile each set once.
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { eventRunDepsFromEnvironment } from "../../shared/event-run";
import { reconcileQueuedBatch } from "../../shared/reconcile-batch";

// Config, clients (SES paced at SES_REQUESTS_PER_SECOND / EVENT_CONCURRENCY), logger, metrics and the coalescing
// memory: built once per container. The event source mapping runs at most EventConcurrency containers at once.
const deps = eventRunDepsFromEnvironment();

/** Partial batch response (ReportBatchItemFailures): only the messages of failed sets, and invalid ones, stay queued. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  deps.logger.addContext(context);
  const { failedMessageIds } = await reconcileQueuedBatch(event, context, deps);
  return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}
