// Adapter layer (Lambda): CreateConfigurationSet (SES v1 and v2) -> reconcile the new configuration set.
import type { Context, EventBridgeEvent } from "aws-lambda";
import type { CloudTrailDetail } from "../../shared/cloudtrail-event";
import { eventRunDepsFromEnvironment, reconcileFromEvent, type EventRunResult } from "../../shared/event-run";

// Config, clients, logger and metrics: built once per container.
const deps = eventRunDepsFromEnvironment();

/** v2 carries `configurationSetName`, v1 `configurationSet.name`; the core reads the tags itself. */
export const EVENT_NAMES = ["CreateConfigurationSet"] as const;

export async function handler(
  event: EventBridgeEvent<"AWS API Call via CloudTrail", CloudTrailDetail>,
  context: Context,
): Promise<EventRunResult> {
  deps.logger.addContext(context);
  return reconcileFromEvent(event, context, EVENT_NAMES, deps);
}
