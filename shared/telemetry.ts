// Infrastructure layer: the one Powertools Logger and Metrics (EMF) of each entry point, and the outcome metrics.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ReportEntry } from "./report";

export const SERVICE_NAME = "ses-firehose-autowire";
export const METRICS_NAMESPACE = "SesFirehoseAutowire";

/** Log level comes from POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL as Powertools reads it (default INFO). */
export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

/** One count per outcome (Created, Updated, …, Failed) for the results of this invocation. */
export function addOutcomeMetrics(metrics: Metrics, results: readonly ReportEntry[]): void {
  const counts = new Map<string, number>();
  for (const { outcome } of results) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  for (const [outcome, count] of counts) {
    metrics.addMetric(outcome[0]!.toUpperCase() + outcome.slice(1), MetricUnit.Count, count);
  }
}
