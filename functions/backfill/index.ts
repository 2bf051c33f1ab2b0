// Adapter layer (Lambda): BackfillFunction — validate the payload, run one step of the backfill, continue or report.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { createAwsClients, sdkClientConfig } from "../../shared/aws-clients";
import { parseBackfillPayload } from "../../shared/backfill-payload";
import { runBackfillStep, type BackfillProgress, type BackfillReport } from "../../shared/backfill-run";
import { loadConfig } from "../../shared/config";
import { scopeFromFunctionArn } from "../../shared/event-scope";
import { attachPacer, TokenBucketPacer } from "../../shared/pacing";
import { createTaggingClient } from "../../shared/tagging-client";
import { createLogger, createMetrics, publishBackfillRunMetrics } from "../../shared/telemetry";

// Built once per container: an invalid configuration fails the cold start with the ConfigError's message.
const config = loadConfig();
const clients = {
  ...createAwsClients({ maxAttempts: 12 }),
  tagging: createTaggingClient({ maxAttempts: 12 }),
};
const pacer = new TokenBucketPacer({ ratePerSecond: config.sesRequestsPerSecond });
attachPacer(clients.sesv2, pacer);
const lambda = new LambdaClient(sdkClientConfig());
const logger = createLogger();
const metrics = createMetrics();

export async function handler(event: unknown, context: Context): Promise<BackfillReport | BackfillProgress> {
  logger.addContext(context);
  const payload = parseBackfillPayload(event);
  const scope = scopeFromFunctionArn(context.invokedFunctionArn);
  if (scope === undefined)
    throw new Error(`Cannot read region and account from ${context.invokedFunctionArn}`);
  const step = await runBackfillStep(
    payload,
    { ...clients, config, logger, region: process.env.AWS_REGION ?? scope.region, accountId: scope.account },
    { remainingTimeMs: () => context.getRemainingTimeInMillis() },
  );
  if (step.status === "continue") {
    await lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: "Event",
        Payload: JSON.stringify(step.payload),
      }),
    );
    logger.info("backfill continues in a new invocation", {
      ...step.progress,
      sesRequests: pacer.stats().acquired,
    });
    return step.progress;
  }
  const { report } = step;
  logger.info("backfill run completed", {
    runId: report.runId,
    dryRun: report.dryRun,
    discovery: report.discovery,
    counts: report.counts,
    invocations: report.invocations,
    startedAt: report.startedAt,
  });
  publishBackfillRunMetrics(metrics, report);
  return report;
}
