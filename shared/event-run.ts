// Adapter layer: the body every event-driven function shares (Lambda-agnostic): queue or reconcile the sets an event
// names, log, count, fail. Reading the event (its sets, its scope, why it is ignored) is in event-scope.ts.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { randomUUID } from "node:crypto";
import { createAwsClients, createSqsClient, type AwsClients } from "./aws-clients";
import { loadConfig, type Config } from "./config";
import { AutowireError, describeError, MalformedEventError } from "./errors";
import { hintOf, scopeOf, type Scope } from "./event-scope";
import { attachPacer, TokenBucketPacer } from "./pacing";
import { eventTimeOf, RecentReads } from "./recent-reads";
import { reconcile } from "./reconcile";
import type { ReconcileRequest } from "./reconcile-queue";
import { queueReconciles, type ReconcileQueue } from "./reconcile-queue-send";
import type { ReportEntry } from "./report";
import { TAG_CHANGE_DETAIL_TYPE } from "./tag-change-event";
import {
  addOutcomeMetrics,
  COALESCED_EVENTS_METRIC,
  createLogger,
  createMetrics,
  IGNORED_EVENTS_METRIC,
  MALFORMED_EVENTS_METRIC,
  QUEUED_SETS_METRIC,
} from "./telemetry";

export { TAG_CHANGE_DETAIL_TYPE };

/** The two things we need from Lambda's Context, so this module stays free of Lambda types. */
export interface InvocationContext {
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

export interface EventRunDeps {
  clients: AwsClients;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The function's own region (AWS_REGION); the function ARN's region when absent. */
  region?: string | undefined;
  /** Passed to reconcile: only remove, never create or repair (the DeleteConfigurationSet function). */
  removeOnly?: boolean | undefined;
  /** This container's finished looks: an event one of them already covers is coalesced (no SES call). */
  recentReads?: RecentReads | undefined;
  /** Set (RECONCILE_QUEUE_URL): the sets are queued for the reconcile function instead of reconciled here. */
  queue?: ReconcileQueue | undefined;
}

export type EventRunResult =
  | { status: "ignored"; reason: string }
  | { status: "reconciled"; results: ReportEntry[]; coalesced?: string[] }
  | { status: "queued"; configurationSets: string[] };

/** Thrown after every set was tried, so Lambda retries the event and, in the end, sends it to the dead-letter queue. */
export class ConfigurationSetsFailedError extends AutowireError {
  override readonly name = "ConfigurationSetsFailedError";
  constructor(readonly failed: readonly ReportEntry[]) {
    super(
      `Reconcile failed for ${failed.length} configuration set(s): ` +
        failed.map((entry) => `${entry.configurationSet}: ${entry.error ?? "unknown error"}`).join("; "),
    );
  }
}

/**
 * What every event-driven function builds once per container, at module scope: an invalid configuration fails
 * the cold start with the ConfigError's message, before any event is read.
 */
export function eventRunDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): EventRunDeps {
  const config = loadConfig(env);
  // The reconcile clients are built on first use: a container that only queues its sets (the stack's event
  // functions) never needs them. Throttling is ridden out rather than failing the invocation: 12 adaptive attempts.
  let clients: AwsClients | undefined;
  const reconcileClients = (): AwsClients => {
    if (clients === undefined) {
      clients = createAwsClients({ maxAttempts: EVENT_MAX_ATTEMPTS });
      attachPacer(clients.sesv2, new TokenBucketPacer({ ratePerSecond: sesRateOfOneContainer(config) }));
    }
    return clients;
  };
  const url = config.reconcileQueueUrl;
  return {
    config,
    get clients() {
      return reconcileClients();
    },
    logger: createLogger(),
    metrics: createMetrics(),
    region: env.AWS_REGION,
    recentReads: new RecentReads(),
    queue: url === undefined ? undefined : { sqs: createSqsClient({ maxAttempts: EVENT_MAX_ATTEMPTS }), url },
  };
}

/** Attempts per AWS call in the event functions (throttling and 5xx included). */
export const EVENT_MAX_ATTEMPTS = 12;

/**
 * The SES pace of one container (docs/events.md, "Bursts"): the reconcile queue's event source mapping runs at most
 * `eventConcurrency` containers at once, so each takes that share of SES_REQUESTS_PER_SECOND (0 counts as 1).
 */
export function sesRateOfOneContainer(
  config: Pick<Config, "sesRequestsPerSecond" | "eventConcurrency">,
): number {
  return config.sesRequestsPerSecond / Math.max(1, config.eventConcurrency);
}

/** Reconciles one set, logging and remembering (RecentReads) the outcome; a failure is returned, never thrown. */
export async function reconcileOne(
  name: string,
  context: InvocationContext,
  deps: EventRunDeps,
  scope: Scope,
  removeOnly = deps.removeOnly,
): Promise<ReportEntry> {
  const { clients, config, logger } = deps;
  logger.appendKeys({ configurationSet: name });
  const startedAt = deps.recentReads?.clock();
  try {
    const entry = await reconcile(
      name,
      { ...clients, config, logger, region: scope.region, accountId: scope.account },
      { remainingTimeMs: () => context.getRemainingTimeInMillis(), removeOnly },
    ).catch((err: unknown): ReportEntry => {
      const { name: errorName, message } = describeError(err);
      return {
        configurationSet: name,
        outcome: "failed",
        actions: [],
        error: `${errorName}: ${message}`,
        errorName,
      };
    });
    if (entry.outcome === "failed")
      logger.error("reconcile failed", { outcome: entry.outcome, error: entry.error });
    else {
      logger.info(`reconciled: ${entry.outcome}`, { outcome: entry.outcome, actions: entry.actions });
      if (startedAt !== undefined) deps.recentReads?.record(name, startedAt);
    }
    return entry;
  } finally {
    logger.removeKeys(["configurationSet"]);
  }
}

function ignore(deps: EventRunDeps, reason: string, level: "debug" | "warn"): EventRunResult {
  deps.logger[level](`event ignored: ${reason}`);
  deps.metrics.addMetric(IGNORED_EVENTS_METRIC, MetricUnit.Count, 1);
  return { status: "ignored", reason };
}

async function run(
  event: unknown,
  context: InvocationContext,
  accepted: readonly string[],
  deps: EventRunDeps,
): Promise<EventRunResult> {
  const hint = hintOf(event, accepted, deps.config.optInTagKey);
  if ("ignored" in hint) return ignore(deps, hint.ignored, hint.level);
  const scope = scopeOf(hint, context.invokedFunctionArn, deps.region);
  if ("ignored" in scope) return ignore(deps, scope.ignored, "warn");
  const { names, ignored } = hint.extract(scope);
  for (const resource of ignored) deps.logger.debug("resource ignored", { resource });
  if (names.length === 0)
    return ignore(deps, `no configuration set of ${scope.region}/${scope.account}`, "debug");
  const eventTime = eventTimeOf(event);
  if (deps.queue !== undefined) {
    const requests = names.map((configurationSet): ReconcileRequest => ({
      configurationSet,
      ...scope,
      ...(eventTime === undefined ? {} : { eventTime: new Date(eventTime).toISOString() }),
      ...(deps.removeOnly === true ? { removeOnly: true } : {}),
      trigger: hint.trigger,
    }));
    await queueReconciles(deps.queue, requests, eventIdOf(event));
    deps.logger.info("queued for reconcile", { configurationSets: names, trigger: hint.trigger });
    deps.metrics.addMetric(QUEUED_SETS_METRIC, MetricUnit.Count, names.length);
    return { status: "queued", configurationSets: names };
  }
  const results: ReportEntry[] = [];
  const coalesced: string[] = [];
  for (const name of names) {
    if (deps.recentReads?.covers(name, eventTime) === true) coalesced.push(name);
    else results.push(await reconcileOne(name, context, deps, scope));
  }
  if (coalesced.length > 0) {
    deps.logger.info("coalesced: a finished reconcile in this container already saw this change", {
      coalesced,
    });
    deps.metrics.addMetric(COALESCED_EVENTS_METRIC, MetricUnit.Count, coalesced.length);
  }
  addOutcomeMetrics(deps.metrics, results);
  const failed = results.filter((entry) => entry.outcome === "failed");
  if (failed.length > 0) throw new ConfigurationSetsFailedError(failed);
  return coalesced.length > 0
    ? { status: "reconciled", results, coalesced }
    : { status: "reconciled", results };
}

/**
 * EventBridge's event `id` (the same on every redelivery of one event, so SQS deduplicates); a hand-made event
 * without one gets a fresh ID (no deduplication, which costs at most a second look).
 */
function eventIdOf(event: unknown): string {
  const id = (event as { id?: unknown }).id;
  return typeof id === "string" && id !== "" ? id : randomUUID();
}

/**
 * Handles one EventBridge event for the given CloudTrail event names (and "Tag Change on Resource" when listed):
 * failed calls, other event kinds and other regions/accounts are ignored; the sets it names are queued for
 * ReconcileFunction when `deps.queue` is set, else reconciled here. An event without an extractable name, whose sets
 * could not all be queued, or with a failed inline reconcile throws.
 */
export async function reconcileFromEvent(
  event: unknown,
  context: InvocationContext,
  accepted: readonly string[],
  deps: EventRunDeps,
): Promise<EventRunResult> {
  try {
    return await run(event, context, accepted, deps);
  } catch (err) {
    if (err instanceof MalformedEventError) {
      deps.metrics.addMetric(MALFORMED_EVENTS_METRIC, MetricUnit.Count, 1);
      deps.logger.error("malformed event: sending it to the dead-letter queue", {
        error: err.message,
        event,
      });
    }
    throw err;
  } finally {
    deps.metrics.publishStoredMetrics();
  }
}
