// Core layer: environment variables (docs/contract.md) to one typed, validated, frozen configuration object.
import { ConfigError } from "./errors";

export const ALL_EVENT_TYPES = [
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "OPEN",
  "CLICK",
  "RENDERING_FAILURE",
  "DELIVERY_DELAY",
  "SUBSCRIPTION",
] as const;
export type EventType = (typeof ALL_EVENT_TYPES)[number];

export type OptInMode = "tag" | "all";

/**
 * Which role a destination names: one per configuration set (the SES documentation's policies, the default) or
 * one per delivery stream, shared by every set of this account and region that publishes to it (docs/core.md).
 */
export const ROLE_SCOPES = ["configuration-set", "delivery-stream"] as const;
export type RoleScope = (typeof ROLE_SCOPES)[number];

export interface Config {
  readonly optInTagKey: string;
  readonly optInMode: OptInMode;
  readonly defaultDeliveryStreamArn: string | undefined;
  readonly eventTypes: readonly EventType[];
  readonly eventDestinationName: string;
  readonly rolePath: string;
  readonly roleNamePrefix: string;
  readonly permissionsBoundaryArn: string | undefined;
  readonly propagationTimeoutSeconds: number;
  readonly sesRequestsPerSecond: number;
  /**
   * How many reconciles of queued sets run at once (template parameter EventConcurrency: the reconcile queue's
   * MaximumConcurrency); each container paces SES at its share. 0 counts as 1.
   */
  readonly eventConcurrency: number;
  /** The reconcile queue (a FIFO queue): when set, the event functions queue their sets instead of reconciling. */
  readonly reconcileQueueUrl: string | undefined;
  readonly roleScope: RoleScope;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export const DELIVERY_STREAM_ARN_PATTERN =
  /^arn:aws[a-z-]*:firehose:[a-z]{2}(-[a-z]+)+-\d:\d{12}:deliverystream\/[a-zA-Z0-9_.-]{1,64}$/;
const TAG_KEY_PATTERN = /^(?![aA][wW][sS]:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const DESTINATION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,63}$/;
const ROLE_PATH_PATTERN = /^\/([\u0021-\u007E]*\/)?$/;
const ROLE_NAME_PREFIX_PATTERN = /^[\w+=,.@-]{1,32}$/;
/** Any endpoint (AWS or a local one), path /<account>/<name>.fifo: SQS queue names are 1-80 characters. */
const FIFO_QUEUE_URL_PATTERN = /^https?:\/\/[^/\s]+\/\d{12}\/[A-Za-z0-9_-]{1,75}\.fifo$/;
const POLICY_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;

function setting(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function matching(
  env: Environment,
  name: string,
  fallback: string,
  pattern: RegExp,
  accepted: string,
): string {
  const value = setting(env, name) ?? fallback;
  if (!pattern.test(value)) throw new ConfigError(`${name}="${value}" is not valid: expected ${accepted}.`);
  return value;
}

function optionalMatching(
  env: Environment,
  name: string,
  pattern: RegExp,
  accepted: string,
): string | undefined {
  const value = setting(env, name);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigError(`${name}="${value}" is not valid: expected ${accepted}, or leave it unset.`);
  }
  return value;
}

function number(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected a number from ${min} to ${max}.`);
  }
  return value;
}

function eventTypes(env: Environment): EventType[] {
  const raw = setting(env, "EVENT_TYPES");
  if (raw === undefined) return [...ALL_EVENT_TYPES];
  const names = raw.split(",").map((type) => type.trim().toUpperCase());
  const unknown = names.filter((type) => !(ALL_EVENT_TYPES as readonly string[]).includes(type));
  if (unknown.length > 0) {
    throw new ConfigError(
      `EVENT_TYPES="${raw}" is not valid: expected a comma-separated list of ${ALL_EVENT_TYPES.join(", ")}.`,
    );
  }
  return [...new Set(names as EventType[])];
}

function wholeNumber(env: Environment, name: string, fallback: number, max: number): number {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected a whole number from 0 to ${max}.`);
  }
  return Number(raw);
}

function roleScope(env: Environment): RoleScope {
  const raw = setting(env, "ROLE_SCOPE");
  const value = (raw ?? "configuration-set").toLowerCase();
  const scope = ROLE_SCOPES.find((candidate) => candidate === value);
  if (scope === undefined) {
    throw new ConfigError(
      `ROLE_SCOPE="${raw}" is not valid: expected ${ROLE_SCOPES.map((name) => `"${name}"`).join(" or ")}.`,
    );
  }
  return scope;
}

/** Reads and validates the configuration once; throws one ConfigError naming the variable and what is accepted. */
export function loadConfig(env: Environment = process.env): Config {
  const mode = (setting(env, "OPT_IN_MODE") ?? "tag").toLowerCase();
  if (mode !== "tag" && mode !== "all") {
    throw new ConfigError(
      `OPT_IN_MODE="${setting(env, "OPT_IN_MODE")}" is not valid: expected "tag" or "all".`,
    );
  }
  const rolePath = matching(
    env,
    "ROLE_PATH",
    "/ses-firehose-autowire/",
    ROLE_PATH_PATTERN,
    'an IAM path that starts and ends with "/" (e.g. /ses-firehose-autowire/)',
  );
  if (rolePath.length > 512)
    throw new ConfigError(`ROLE_PATH is not valid: at most 512 characters are accepted.`);
  return Object.freeze({
    optInTagKey: matching(
      env,
      "OPT_IN_TAG_KEY",
      "ses-firehose",
      TAG_KEY_PATTERN,
      'a tag key of 1-128 letters, digits, spaces and _.:/=+-@ that does not start with "aws:" (any case)',
    ),
    optInMode: mode,
    defaultDeliveryStreamArn: optionalMatching(
      env,
      "DEFAULT_DELIVERY_STREAM_ARN",
      DELIVERY_STREAM_ARN_PATTERN,
      "a Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>)",
    ),
    eventTypes: Object.freeze(eventTypes(env)),
    eventDestinationName: matching(
      env,
      "EVENT_DESTINATION_NAME",
      "ses-firehose-autowire",
      DESTINATION_NAME_PATTERN,
      "1-63 letters, digits, _ or -",
    ),
    rolePath,
    roleNamePrefix: matching(
      env,
      "ROLE_NAME_PREFIX",
      "ses-firehose",
      ROLE_NAME_PREFIX_PATTERN,
      "1-32 characters of letters, digits and +=,.@_-",
    ),
    permissionsBoundaryArn: optionalMatching(
      env,
      "PERMISSIONS_BOUNDARY_ARN",
      POLICY_ARN_PATTERN,
      "an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)",
    ),
    propagationTimeoutSeconds: number(env, "PROPAGATION_TIMEOUT_SECONDS", 120, 0, 900),
    sesRequestsPerSecond: number(env, "SES_REQUESTS_PER_SECOND", 1, 0.1, 1000),
    eventConcurrency: wholeNumber(env, "EVENT_CONCURRENCY", 2, 1000),
    reconcileQueueUrl: optionalMatching(
      env,
      "RECONCILE_QUEUE_URL",
      FIFO_QUEUE_URL_PATTERN,
      "the URL of an SQS FIFO queue (https://sqs.<region>.amazonaws.com/<account>/<name>.fifo)",
    ),
    roleScope: roleScope(env),
  });
}
