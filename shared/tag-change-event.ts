// Adapter layer: validate a "Tag Change on Resource" event (source aws.tag, as `unknown`) and find its configuration sets.
import { fromArn, type ExtractedNames } from "./cloudtrail-event";
import { MalformedEventError } from "./errors";

export const TAG_CHANGE_DETAIL_TYPE = "Tag Change on Resource";

/**
 * What we read of a "Tag Change on Resource" event (Tag Editor guide, "Monitor tag changes with serverless
 * workflows and Amazon EventBridge"): the resource ARNs, and the changed keys when present. `detail.tags` is the
 * resource's tag set after the change; we never trust it, the core reads the set itself.
 */
export interface TagChange {
  source: string;
  account: string | undefined;
  region: string | undefined;
  resources: readonly unknown[];
  /** undefined when the event does not list them (then the change may concern any key). */
  changedTagKeys: readonly string[] | undefined;
}

const ACCEPTED_SHAPE =
  'an EventBridge event with "detail-type": "Tag Change on Resource" and "resources": a list of ' +
  "configuration-set ARNs";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** True for an event that says it is a Tag Change on Resource (its shape is checked by parseTagChangeEvent). */
export function isTagChangeEvent(event: unknown): boolean {
  return isRecord(event) && event["detail-type"] === TAG_CHANGE_DETAIL_TYPE;
}

/** Validates what we need (`resources`) and tolerates the rest missing or odd; throws MalformedEventError otherwise. */
export function parseTagChangeEvent(event: unknown): TagChange {
  if (!isRecord(event) || event["detail-type"] !== TAG_CHANGE_DETAIL_TYPE) {
    throw new MalformedEventError(`The event is not a tag change: expected ${ACCEPTED_SHAPE}.`);
  }
  const resources = event.resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    throw new MalformedEventError(`The tag change event has no "resources": expected ${ACCEPTED_SHAPE}.`);
  }
  const detail = isRecord(event.detail) ? event.detail : {};
  const keys = detail["changed-tag-keys"];
  const changedTagKeys =
    Array.isArray(keys) && keys.every((key) => typeof key === "string") ? (keys as string[]) : undefined;
  return {
    source: optionalString(event, "source") ?? "",
    account: optionalString(event, "account"),
    region: optionalString(event, "region"),
    resources,
    changedTagKeys,
  };
}

/** The configuration sets of this region and account among the event's resources; any other ARN is noted as ignored. */
export function configurationSetNamesFromTagChange(
  change: TagChange,
  scope: { account: string; region: string },
): ExtractedNames {
  const found: ExtractedNames = { names: [], ignored: [] };
  change.resources.forEach((arn, index) => fromArn(arn, `resources[${index}]`, scope, found));
  return { names: [...new Set(found.names)], ignored: found.ignored };
}
