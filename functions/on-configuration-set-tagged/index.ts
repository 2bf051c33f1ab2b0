// Adapter layer (Lambda): tag changes (SES v2, the tagging API, Tag Change on Resource) -> reconcile each set.
import type { Context, EventBridgeEvent } from "aws-lambda";
import type { CloudTrailDetail } from "../../shared/cloudtrail-event";
import {
  eventRunDepsFromEnvironment,
  reconcileFromEvent,
  TAG_CHANGE_DETAIL_TYPE,
  type EventRunResult,
} from "../../shared/event-run";

// Config, clients (SES paced), logger, metrics and the coalescing memory: built once per container.
const deps = eventRunDepsFromEnvironment();

/**
 * SES v2 TagResource/UntagResource (`resourceArn`), tagging API TagResources/UntagResources (`resourceARNList`),
 * and AWS's own "Tag Change on Resource" (`resources[]`), see docs/events.md.
 */
export const EVENT_NAMES = [
  "TagResource",
  "UntagResource",
  "TagResources",
  "UntagResources",
  TAG_CHANGE_DETAIL_TYPE,
] as const;

type TagEvent =
  | EventBridgeEvent<"AWS API Call via CloudTrail", CloudTrailDetail>
  | EventBridgeEvent<typeof TAG_CHANGE_DETAIL_TYPE, Record<string, unknown>>;

export async function handler(event: TagEvent, context: Context): Promise<EventRunResult> {
  deps.logger.addContext(context);
  return reconcileFromEvent(event, context, EVENT_NAMES, deps);
}
