// Adapter layer (Lambda): DeleteConfigurationSet -> reconcile, which finds the set gone and removes our role.
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

/** Out-of-order delivery is harmless: if the set was recreated meanwhile, reconcile sees it and converges. */
const EVENT_NAMES = ["DeleteConfigurationSet"] as const;

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
