// Core layer: the project's errors — one base class, a few named subclasses; mapped to outcomes only at the edge.
import { isThrottlingError } from "@smithy/core/retry";

/**
 * Every error this project raises on purpose. Its message is one sentence a person can act on; `name` is its
 * machine-readable identity (it becomes a report entry's `errorName`); `cause` keeps the error underneath.
 * An AutowireError from reconcile is an expected, per-set failure: reported as its message alone.
 */
export class AutowireError extends Error {
  override readonly name: string = "AutowireError";
}

/** Invalid configuration (environment variables or CLI flags). The message names the setting and what is accepted. */
export class ConfigError extends AutowireError {
  override readonly name = "ConfigError";
}

/** A configuration set name that SES cannot have (not 1-64 letters, digits, _ or -). */
export class InvalidConfigurationSetNameError extends AutowireError {
  override readonly name = "InvalidConfigurationSetNameError";
}

/** The opt-in tag carries a value we cannot interpret. */
export class InvalidTagValueError extends AutowireError {
  override readonly name = "InvalidTagValueError";
}

/** The delivery stream a configuration set asks for cannot be used (missing, not ACTIVE, other region/account). */
export class StreamNotUsableError extends AutowireError {
  override readonly name = "StreamNotUsableError";
}

/** A role with our computed name that lacks our marks (path and managed-by tag): never adopted, changed or deleted. */
export class ForeignRoleError extends AutowireError {
  override readonly name = "ForeignRoleError";
}

/** The configuration set already has the maximum number of event destinations (10), none of them ours. */
export class DestinationLimitError extends AutowireError {
  override readonly name = "DestinationLimitError";
}

/** SES still rejected the role once the IAM-propagation budget was spent; keeps SES's last message. */
export class PropagationTimeoutError extends AutowireError {
  override readonly name = "PropagationTimeoutError";
}

/** An event from which no configuration set name can be extracted. */
export class MalformedEventError extends AutowireError {
  override readonly name = "MalformedEventError";
}

/** A reconcile-queue message whose body is not the message the event functions send (docs/events.md, "Bursts"). */
export class InvalidReconcileMessageError extends AutowireError {
  override readonly name = "InvalidReconcileMessageError";
}

/** Some configuration sets of an event could not be put on the reconcile queue, even after a second try. */
export class ReconcileNotQueuedError extends AutowireError {
  override readonly name = "ReconcileNotQueuedError";
}

/** The backfill input (payload or flags) is not acceptable. The message says what was wrong and what is accepted. */
export class InvalidBackfillInputError extends AutowireError {
  override readonly name = "InvalidBackfillInputError";
}

/** A backfill invocation could take no set at all (less time left than its stop margin): the run cannot advance. */
export class BackfillStalledError extends AutowireError {
  override readonly name = "BackfillStalledError";
}

/** The StackLifecycle input is neither a CloudFormation custom-resource request nor a continuation it wrote. */
export class InvalidLifecycleInputError extends AutowireError {
  override readonly name = "InvalidLifecycleInputError";
}

/** A custom-resource answer could not be delivered to its ResponseURL (every attempt failed, or a URL we may not call). */
export class AnswerNotDeliveredError extends AutowireError {
  override readonly name = "AnswerNotDeliveredError";
}

/**
 * Tag discovery could not read the Resource Groups Tagging API: the run stops before reconciling anything,
 * because an empty answer would look like "nothing to do". `cause` is the tagging API's error.
 */
export class TagDiscoveryError extends AutowireError {
  override readonly name = "TagDiscoveryError";
}

/** Narrows an unknown thrown value to something with a name and a message. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  if (typeof err === "object" && err !== null) {
    const { name, message } = err as { name?: unknown; message?: unknown };
    return {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : String(err),
    };
  }
  return { name: "Error", message: String(err) };
}

/** True when `err` is an AWS SDK service exception (or lookalike) with the given error name. */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return (
    typeof err === "object" && err !== null && names.includes((err as { name?: unknown }).name as string)
  );
}

/**
 * True when AWS throttled the call, classified exactly as the SDK's own retry strategy does: a throttling error
 * name (TooManyRequestsException, Throttling, ThrottlingException, RequestLimitExceeded, …), the error's
 * `$retryable.throttling` trait, or HTTP 429. Never from the message text.
 */
export function isThrottled(err: unknown): boolean {
  return (
    typeof err === "object" &&
    err !== null &&
    isThrottlingError(err as Parameters<typeof isThrottlingError>[0])
  );
}
