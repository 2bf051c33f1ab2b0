// Adapter layer (Lambda): tag changes (SES v2 and the tagging API) -> reconcile each set.
import type { Context, EventBridgeEvent } from "aws-lambda";
import type { CloudTrailDetail } from "../../shared/cloudtrail-event";
import { eventRunDepsFromEnvironment, reconcileFromEvent, type EventRunResult } from "../../shared/event-run";

// Config, clients, logger and metrics: built once per container.
const deps = eventRunDepsFromEnvironment();

/** SES v2 TagResource/UntagResource (`resourceArn`), tagging API TagResources/UntagResources (`resourceARNList`). */
const EVENT_NAMES = ["TagResource", "UntagResource", "TagResources", "UntagResources"] as const;

export async function handler(
  event: EventBridgeEvent<"AWS API Call via CloudTrail", CloudTrailDetail>,
  context: Context,
): Promise<EventRunResult> {
  deps.logger.addContext(context);
  return reconcileFromEvent(event, context, EVENT_NAMES, deps);
}
