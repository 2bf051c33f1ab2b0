// Adapter layer: the message the event functions put on the reconcile queue, one per configuration set, and its reading.
import { createHash } from "node:crypto";
import { InvalidReconcileMessageError } from "./errors";
import { CONFIGURATION_SET_NAME_PATTERN } from "./naming";

/**
 * What one queued message asks for: reconcile `configurationSet` of `account`/`region` (docs/events.md, "Bursts").
 * The JSON body is exactly this object; unknown keys are ignored, so a newer producer can add fields.
 */
export interface ReconcileRequest {
  configurationSet: string;
  account: string;
  region: string;
  /** ISO 8601: when the change happened (CloudTrail's eventTime, else the envelope's time); for coalescing. */
  eventTime?: string;
  /** Only from the DeleteConfigurationSet function: remove what we made, never create. */
  removeOnly?: boolean;
  /** What caused it: the CloudTrail event name, or "Tag Change on Resource". For the logs. */
  trigger: string;
}

/** One entry of SendMessageBatch (the fields of `SendMessageBatchRequestEntry` that we set). */
export interface ReconcileMessage {
  /** Unique within one SendMessageBatch call: the set's name (already [A-Za-z0-9_-]{1,64}, as SQS requires). */
  Id: string;
  /** The set's name: one FIFO message group per set, so two reconciles of one set never run at once. */
  MessageGroupId: string;
  /** sha256 hex of `${eventId}:${configurationSet}`: a redelivered event is dropped by SQS (5-minute window). */
  MessageDeduplicationId: string;
  MessageBody: string;
}

const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The trigger is free text for the logs, but bounded and printable. */
const TRIGGER_PATTERN = /^[\x20-\x7E]{1,128}$/;

/** The message that asks the reconcile function to look at `request.configurationSet`, for the event `eventId`. */
export function reconcileMessageFor(request: ReconcileRequest, eventId: string): ReconcileMessage {
  const body: ReconcileRequest = {
    configurationSet: request.configurationSet,
    account: request.account,
    region: request.region,
    ...(request.eventTime === undefined ? {} : { eventTime: request.eventTime }),
    ...(request.removeOnly === true ? { removeOnly: true } : {}),
    trigger: request.trigger,
  };
  return {
    Id: request.configurationSet,
    MessageGroupId: request.configurationSet,
    MessageDeduplicationId: deduplicationIdFor(eventId, request.configurationSet),
    MessageBody: JSON.stringify(body),
  };
}

/** sha256 hex (64 characters, within SQS's 128 and its alphabet) of `${eventId}:${configurationSetName}`. */
export function deduplicationIdFor(eventId: string, configurationSetName: string): string {
  return createHash("sha256").update(`${eventId}:${configurationSetName}`).digest("hex");
}

function invalid(reason: string): InvalidReconcileMessageError {
  return new InvalidReconcileMessageError(
    `The reconcile message is not valid: ${reason}. Accepted: a JSON object with "configurationSet" ` +
      '(1-64 letters, digits, _ or -), "account" (12 digits), "region" (e.g. us-east-1), "trigger" (text), ' +
      'and optionally "eventTime" (an ISO 8601 date) and "removeOnly" (true or false).',
  );
}

function requiredString(body: Record<string, unknown>, key: string, pattern: RegExp, what: string): string {
  const value = body[key];
  if (typeof value !== "string") throw invalid(`"${key}" must be ${what}, got ${describe(value)}`);
  if (!pattern.test(value)) throw invalid(`"${key}" must be ${what}, got ${JSON.stringify(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** Reads and validates a message body; throws InvalidReconcileMessageError naming the field and what is accepted. */
export function parseReconcileRequest(messageBody: string): ReconcileRequest {
  let body: unknown;
  try {
    body = JSON.parse(messageBody);
  } catch {
    throw invalid("the body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid(`the body is ${describe(body)}, not an object`);
  const fields = body as Record<string, unknown>;
  const request: ReconcileRequest = {
    configurationSet: requiredString(
      fields,
      "configurationSet",
      CONFIGURATION_SET_NAME_PATTERN,
      "a configuration set name",
    ),
    account: requiredString(fields, "account", ACCOUNT_PATTERN, "a 12-digit account ID"),
    region: requiredString(fields, "region", REGION_PATTERN, "a region name"),
    trigger: requiredString(fields, "trigger", TRIGGER_PATTERN, "1-128 printable characters"),
  };
  const { eventTime, removeOnly } = fields;
  if (eventTime !== undefined) {
    if (typeof eventTime !== "string" || !Number.isFinite(Date.parse(eventTime)))
      throw invalid(`"eventTime" must be an ISO 8601 date, got ${JSON.stringify(eventTime)}`);
    request.eventTime = eventTime;
  }
  if (removeOnly !== undefined) {
    if (typeof removeOnly !== "boolean")
      throw invalid(`"removeOnly" must be true or false, got ${JSON.stringify(removeOnly)}`);
    if (removeOnly) request.removeOnly = true;
  }
  return request;
}
