// Infrastructure layer: the one Powertools Logger and Metrics (EMF) of each entry point, and every metric name they emit.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { OUTCOMES, type Outcome, type OutcomeCounts, type ReportEntry } from "./report";

export const SERVICE_NAME = "ses-firehose-autowire";
export const METRICS_NAMESPACE = "SesFirehoseAutowire";

/** Log level comes from POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL as Powertools reads it (default INFO). */
export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

/** Events an event function ignored (failed calls, other regions, nothing of ours) and events it could not read. */
export const IGNORED_EVENTS_METRIC = "IgnoredEvents";
export const MALFORMED_EVENTS_METRIC = "MalformedEvents";

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
