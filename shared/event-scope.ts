// Adapter layer: what an event says before anything is reconciled (Lambda-agnostic) — its kind (a CloudTrail call or
// a Tag Change on Resource event), the configuration sets it names, the account and region it concerns, or why it
// is ignored. What is then done with the sets (queued or reconciled) is in event-run.ts.
import { configurationSetNamesFrom, parseCloudTrailEvent, type ExtractedNames } from "./cloudtrail-event";
import { MalformedEventError } from "./errors";
import {
  configurationSetNamesFromTagChange,
  isTagChangeEvent,
  parseTagChangeEvent,
  TAG_CHANGE_DETAIL_TYPE,
} from "./tag-change-event";

export interface Scope {
  region: string;
  account: string;
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:/;

/** Region and account of a Lambda function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`). */
export function scopeFromFunctionArn(arn: string): { region: string; account: string } | undefined {
  const match = LAMBDA_ARN.exec(arn);
  return match === null ? undefined : { region: match[1]!, account: match[2]! };
}

/** The event's account/region and the configuration sets it names, or why it is ignored. */
export type Hint =
  | { ignored: string; level: "debug" | "warn" }
  | {
      account?: string | undefined;
      region?: string | undefined;
      /** The CloudTrail event name, or "Tag Change on Resource" (carried in queued messages, for the logs). */
      trigger: string;
      extract: (scope: Scope) => ExtractedNames;
    };

/** Reads the event: ignored (with the log level saying whether it is worth a warning), or its scope and sets. */
export function hintOf(event: unknown, accepted: readonly string[], optInTagKey: string): Hint {
  if (isTagChangeEvent(event)) {
    if (!accepted.includes(TAG_CHANGE_DETAIL_TYPE)) {
      return {
        ignored: `${TAG_CHANGE_DETAIL_TYPE} is not handled here (expected ${accepted.join(", ")})`,
        level: "warn",
      };
    }
    const change = parseTagChangeEvent(event);
    if (change.changedTagKeys !== undefined && !change.changedTagKeys.includes(optInTagKey)) {
      return { ignored: `the tag change does not concern the opt-in key ${optInTagKey}`, level: "debug" };
    }
    return {
      ...change,
      trigger: TAG_CHANGE_DETAIL_TYPE,
      extract: (scope) => configurationSetNamesFromTagChange(change, scope),
    };
  }
  const call = parseCloudTrailEvent(event);
  if (call.errorCode !== undefined)
    return { ignored: `the ${call.eventName} call failed (${call.errorCode})`, level: "debug" };
  if (!accepted.includes(call.eventName)) {
    return {
      ignored: `${call.eventName} is not handled here (expected ${accepted.join(", ")})`,
      level: "warn",
    };
  }
  return { ...call, trigger: call.eventName, extract: (scope) => configurationSetNamesFrom(call, scope) };
}

/** A hint that was not ignored. */
export type EventHint = Exclude<Hint, { ignored: string }>;

/**
 * The account and region the event concerns: the event's own, else this function's (its ARN; `region`, the
 * function's AWS_REGION, first). Another account or region than the function's is ignored: one stack serves one
 * region. Neither in the event nor in the ARN: the event is malformed (it throws).
 */
export function scopeOf(
  hint: EventHint,
  functionArn: string,
  region: string | undefined,
): Scope | { ignored: string } {
  const own = scopeFromFunctionArn(functionArn);
  const ownRegion = region ?? own?.region;
  const scope = { region: hint.region ?? ownRegion, account: hint.account ?? own?.account };
  if (scope.region === undefined || scope.account === undefined) {
    throw new MalformedEventError(
      "The event has no account or region and the function ARN does not give them.",
    );
  }
  if (
    (ownRegion !== undefined && scope.region !== ownRegion) ||
    (own !== undefined && scope.account !== own.account)
  ) {
    return { ignored: `the event is from ${scope.region}/${scope.account}: one stack serves one region` };
  }
  return { region: scope.region, account: scope.account };
}
