// Adapter layer (Lambda): DeleteConfigurationSet -> reconcile, which finds the set gone and removes our role.
import type { Context, EventBridgeEvent } from "aws-lambda";
import type { CloudTrailDetail } from "../../shared/cloudtrail-event";
import { eventRunDepsFromEnvironment, reconcileFromEvent, type EventRunResult } from "../../shared/event-run";

// Config, clients, logger and metrics: built once per container. Remove-only: this function's role cannot create,
// so a stale delete event for a set that was recreated and opted in is skipped, not failed.
const deps = { ...eventRunDepsFromEnvironment(), removeOnly: true };

/** Out-of-order delivery is harmless: if the set was recreated meanwhile, reconcile sees it and converges. */
export const EVENT_NAMES = ["DeleteConfigurationSet"] as const;

export async function handler(
  event: EventBridgeEvent<"AWS API Call via CloudTrail", CloudTrailDetail>,
  context: Context,
): Promise<EventRunResult> {
  deps.logger.addContext(context);
  return reconcileFromEvent(event, context, EVENT_NAMES, deps);
}
