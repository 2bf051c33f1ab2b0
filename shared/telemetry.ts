// Infrastructure layer: the one Powertools Logger and Metrics (EMF) of each entry point, and every metric name they emit.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { OUTCOMES, type Outcome, type OutcomeCounts, type ReportEntry } from "./report";

/** Used when POWERTOOLS_SERVICE_NAME is unset or empty (the template sets it to the stack name). */
export const DEFAULT_SERVICE_NAME = "ses-firehose-autowire";
/** Used when POWERTOOLS_METRICS_NAMESPACE is unset or empty (the template sets this same value). */
export const DEFAULT_METRICS_NAMESPACE = "SesFirehoseAutowire";

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Powertools' standard variables, with this project's defaults when unset: the service name goes into every
 * log line ("service") and is the metrics' "service" dimension, so two stacks can be told apart.
 */
export function telemetrySettings(env: Environment = process.env): {
  serviceName: string;
  namespace: string;
} {
  return {
    serviceName: env.POWERTOOLS_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE?.trim() || DEFAULT_METRICS_NAMESPACE,
  };
}

/** Log level comes from POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL as Powertools reads it (default INFO). */
export function createLogger(env: Environment = process.env): Logger {
  return new Logger({ serviceName: telemetrySettings(env).serviceName });
}

export function createMetrics(env: Environment = process.env): Metrics {
  const { serviceName, namespace } = telemetrySettings(env);
  return new Metrics({ namespace, serviceName });
}

/** Events an event function ignored (failed calls, other regions, nothing of ours) and events it could not read. */
export const IGNORED_EVENTS_METRIC = "IgnoredEvents";
export const MALFORMED_EVENTS_METRIC = "MalformedEvents";
export const COALESCED_EVENTS_METRIC = "CoalescedEvents";
/** Configuration sets an event function put on the reconcile queue (docs/events.md, "Bursts"). */
export const QUEUED_SETS_METRIC = "QueuedSets";

/** `Created`, `Updated`, … for the event functions; `BackfillCreated`, … for the backfill's run totals. */
export function outcomeMetricName(outcome: Outcome, prefix: "" | "Backfill" = ""): string {
  return `${prefix}${outcome[0]!.toUpperCase()}${outcome.slice(1)}`;
}

/** One count per outcome (Created, Updated, …, Failed) for the results of this invocation. */
export function addOutcomeMetrics(metrics: Metrics, results: readonly ReportEntry[]): void {
  const counts = new Map<Outcome, number>();
  for (const { outcome } of results) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  for (const [outcome, count] of counts)
    metrics.addMetric(outcomeMetricName(outcome), MetricUnit.Count, count);
}

/**
 * The totals of a finished backfill run, published once by the invocation that ends it: every outcome (zeros
 * included, so dashboards see a value), BackfillRunCompleted 1, and the DryRun dimension.
 */
export function publishBackfillRunMetrics(
  metrics: Metrics,
  report: { dryRun: boolean; counts: OutcomeCounts },
): void {
  metrics.addDimension("DryRun", String(report.dryRun));
  for (const outcome of OUTCOMES) {
    metrics.addMetric(outcomeMetricName(outcome, "Backfill"), MetricUnit.Count, report.counts[outcome]);
  }
  metrics.addMetric("BackfillRunCompleted", MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
