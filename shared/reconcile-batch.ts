// Adapter layer: one batch of the reconcile queue (Lambda-agnostic) — one reconcile per set, failures reported per message.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { describeError, InvalidReconcileMessageError, MalformedEventError } from "./errors";
import { reconcileOne, type EventRunDeps, type InvocationContext } from "./event-run";
import { scopeFromFunctionArn, type Scope } from "./event-scope";
import { parseReconcileRequest, type ReconcileRequest } from "./reconcile-queue";
import type { ReportEntry } from "./report";
import { addOutcomeMetrics, COALESCED_EVENTS_METRIC, MALFORMED_EVENTS_METRIC } from "./telemetry";

/** What we read of an SQS record: its ID (for batchItemFailures) and its body. */
export interface QueuedMessage {
  messageId: string;
  body: string;
}

export interface ReconcileBatchResult {
  /** Messages to leave on the queue: SQS delivers them again after the visibility timeout, then dead-letters them. */
  failedMessageIds: string[];
  results: ReportEntry[];
  /** Sets that needed no reconcile: a finished one in this container had already seen their newest change. */
  coalesced: string[];
}

/** A set is not started with less time left than this: its messages are left for the next delivery instead. */
export const BATCH_STOP_MARGIN_MS = 15_000;

/** All the messages of one configuration set in this batch. */
interface SetWork {
  name: string;
  scope: Scope;
  messageIds: string[];
  requests: ReconcileRequest[];
}

function recordsOf(event: unknown): QueuedMessage[] {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    throw new MalformedEventError(
      'The event is not an SQS batch: expected an object with "Records", a list of messages with "messageId" and "body".',
    );
  }
  return records.map((record: unknown, index) => {
    const { messageId, body } = (record ?? {}) as { messageId?: unknown; body?: unknown };
    if (typeof messageId !== "string" || typeof body !== "string") {
      throw new MalformedEventError(
        `Record ${index} of the SQS batch has no string "messageId" and "body": not an SQS message.`,
      );
    }
    return { messageId, body };
  });
}

interface OwnScope {
  region: string | undefined;
  account: string | undefined;
}

/** Region and account this function serves (the function's own region; its ARN's account). */
function ownScope(context: InvocationContext, deps: EventRunDeps): OwnScope {
  const own = scopeFromFunctionArn(context.invokedFunctionArn);
  return { region: deps.region ?? own?.region, account: own?.account };
}

function readMessage(message: QueuedMessage, own: OwnScope): ReconcileRequest {
  const request = parseReconcileRequest(message.body);
  if (
    (own.region !== undefined && request.region !== own.region) ||
    (own.account !== undefined && request.account !== own.account)
  ) {
    throw new InvalidReconcileMessageError(
      `The reconcile message is for ${request.region}/${request.account}, but this stack serves ` +
        `${own.region ?? "?"}/${own.account ?? "?"}: one stack serves one region of one account.`,
    );
  }
  return request;
}

/** Groups the valid messages by set, in order of first appearance; the invalid ones are returned apart. */
function groupBySet(messages: readonly QueuedMessage[], own: OwnScope, deps: EventRunDeps) {
  const sets = new Map<string, SetWork>();
  const malformed: string[] = [];
  for (const message of messages) {
    let request: ReconcileRequest;
    try {
      request = readMessage(message, own);
    } catch (err) {
      if (!(err instanceof InvalidReconcileMessageError)) throw err;
      malformed.push(message.messageId);
      deps.logger.error("malformed reconcile message: left on the queue for its dead-letter queue", {
        messageId: message.messageId,
        error: describeError(err).message,
        body: message.body,
      });
      continue;
    }
    // The key holds the scope too: a set name is unique only within one account and region.
    const key = `${request.account}/${request.region}/${request.configurationSet}`;
    const work = sets.get(key) ?? {
      name: request.configurationSet,
      scope: { account: request.account, region: request.region },
      messageIds: [],
      requests: [],
    };
    work.messageIds.push(message.messageId);
    work.requests.push(request);
    sets.set(key, work);
  }
  return { sets: [...sets.values()], malformed };
}

/**
 * The newest change among the set's messages: a reconcile that began reading after it has seen every one of them.
 * Undefined when a message has no time (its change may be anything: it must get a look).
 */
function newestEventTime(requests: readonly ReconcileRequest[]): number | undefined {
  let newest = Number.NEGATIVE_INFINITY;
  for (const { eventTime } of requests) {
    if (eventTime === undefined) return undefined;
    newest = Math.max(newest, Date.parse(eventTime));
  }
  return newest;
}

/**
 * Reconciles one batch of the reconcile queue (docs/events.md, "Bursts"): each set once, however many of its
 * messages the batch holds (FIFO returns one group's messages together), remove-only only when every message says
 * so, skipped when this container's last successful look at the set began after the newest change. The IDs of every
 * message of a failed set, and of every invalid message, are returned for batchItemFailures.
 *
 * Why not @aws-lambda-powertools/batch: its processors hand records to a handler one by one, and this must see the
 * whole batch first to reconcile each set once. Its FIFO processor's `skipGroupOnError` is the rule kept here: a
 * failed set fails all its messages (one group = one set), and the other sets go on; Lambda's advice to stop at the
 * first failure of a FIFO batch protects ordering within a group, which a whole-group failure keeps.
 */
export async function reconcileQueuedBatch(
  event: unknown,
  context: InvocationContext,
  deps: EventRunDeps,
): Promise<ReconcileBatchResult> {
  try {
    const { sets, malformed } = groupBySet(recordsOf(event), ownScope(context, deps), deps);
    if (malformed.length > 0)
      deps.metrics.addMetric(MALFORMED_EVENTS_METRIC, MetricUnit.Count, malformed.length);
    const failedMessageIds = [...malformed];
    const results: ReportEntry[] = [];
    const coalesced: string[] = [];
    let coalescedMessages = 0;
    for (const work of sets) {
      if (context.getRemainingTimeInMillis() < BATCH_STOP_MARGIN_MS) {
        deps.logger.warn("not started: too little time left; its messages return to the queue", {
          configurationSet: work.name,
        });
        failedMessageIds.push(...work.messageIds);
        continue;
      }
      if (deps.recentReads?.covers(work.name, newestEventTime(work.requests)) === true) {
        coalesced.push(work.name);
        coalescedMessages += work.messageIds.length;
        continue;
      }
      coalescedMessages += work.messageIds.length - 1;
      const removeOnly = work.requests.every((request) => request.removeOnly === true);
      const entry = await reconcileOne(work.name, context, deps, work.scope, removeOnly);
      results.push(entry);
      if (entry.outcome === "failed") failedMessageIds.push(...work.messageIds);
    }
    if (coalesced.length > 0) {
      deps.logger.info("coalesced: a finished reconcile in this container already saw these changes", {
        coalesced,
      });
    }
    if (coalescedMessages > 0)
      deps.metrics.addMetric(COALESCED_EVENTS_METRIC, MetricUnit.Count, coalescedMessages);
    addOutcomeMetrics(deps.metrics, results);
    return { failedMessageIds, results, coalesced };
  } catch (err) {
    if (err instanceof MalformedEventError) {
      deps.metrics.addMetric(MALFORMED_EVENTS_METRIC, MetricUnit.Count, 1);
      deps.logger.error("malformed SQS batch", { error: err.message, event });
    }
    throw err;
  } finally {
    deps.metrics.publishStoredMetrics();
  }
}
