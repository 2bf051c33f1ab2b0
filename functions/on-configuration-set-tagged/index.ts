// Adapter layer (Lambda): tag changes (SES v2 and the tagging API) -> reconcile each set.
import type { Context, EventBridgeEvent } from "aws-lambda";
import { createAwsClients } from "../../shared/aws-clients";
import type { CloudTrailDetail } from "../../shared/cloudtrail-event";
import { loadConfig } from "../../shared/config";
import { reconcileFromEvent, type EventRunResult } from "../../shared/event-run";
import { createLogger, createMetrics } from "../../shared/telemetry";

// Built once per container: an invalid configuration fails the cold start with the ConfigError's message.
const config = loadConfig();
const clients = createAwsClients();
const logger = createLogger();
const metrics = createMetrics();

/** SES v2 TagResource/UntagResource (`resourceArn`), tagging API TagResources/UntagResources (`resourceARNList`). */
const EVENT_NAMES = ["TagResource", "UntagResource", "TagResources", "UntagResources"] as const;

export async function handler(
  event: EventBridgeEvent<"AWS API Call via CloudTrail", CloudTrailDetail>,
  context: Context,
): Promise<EventRunResult> {
  logger.addContext(context);
  return reconcileFromEvent(event, context, EVENT_NAMES, {
    clients,
    config,
    logger,
    metrics,
    region: process.env.AWS_REGION,
  });
}
