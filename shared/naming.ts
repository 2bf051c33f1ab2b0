// Core layer: deterministic names and ARNs of what we manage (docs/architecture.md, "What gets created") — pure functions, no AWS calls.
import { createHash } from "node:crypto";

/** The tag that marks a role as ours; a role without it (or outside our path) is never changed or deleted. */
export const MANAGED_BY_TAG = { Key: "managed-by", Value: "ses-firehose-autowire" } as const;
export const CONFIGURATION_SET_TAG_KEY = "ses-configuration-set";
export const REGION_TAG_KEY = "ses-region";
/** On a delivery-stream role (ROLE_SCOPE=delivery-stream): the ARN of the one stream it may write to. */
export const DELIVERY_STREAM_TAG_KEY = "ses-delivery-stream";

/** SES configuration set names (docs/contract.md); anything else cannot name a set, so reconcile refuses it up front. */
export const CONFIGURATION_SET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const MAX_ROLE_NAME_LENGTH = 64;
const HASH_LENGTH = 8;

/** The AWS partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws-iso(-b) for the isolated regions. */
export function partitionFor(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

/**
 * `prefix-N-hhhhhhhh`: N shortened so the whole name fits IAM's 64 characters, and 8 hex characters of
 * sha256("R/N") of the exact-case name, so the name differs across regions (IAM is global) and between names
 * that differ only in case (IAM role names are unique case-insensitively, configuration set names are not).
 */
export function roleNameFor(prefix: string, region: string, configurationSetName: string): string {
  const hash = createHash("sha256")
    .update(`${region}/${configurationSetName}`)
    .digest("hex")
    .slice(0, HASH_LENGTH);
  const room = MAX_ROLE_NAME_LENGTH - prefix.length - HASH_LENGTH - 2;
  return `${prefix}-${configurationSetName.slice(0, Math.max(room, 0))}-${hash}`;
}

/** What a role name under our path says about its configuration set (the reverse of roleNameFor). */
export type RoleNameReading =
  /** The name spells the set in full and its hash matches this region. */
  | { kind: "set"; configurationSet: string }
  /** The set's name was shortened to fit 64 characters: only the role's tags say which set it was made for. */
  | { kind: "shortened" }
  /** Another prefix, or a full-length name whose hash is of another region (IAM is global): not this deployment's. */
  | { kind: "other" };

/** Reads the configuration set back from a role name made by roleNameFor with this prefix and region. */
export function configurationSetFromRoleName(
  prefix: string,
  region: string,
  roleName: string,
): RoleNameReading {
  if (!roleName.startsWith(`${prefix}-`)) return { kind: "other" };
  const candidate = roleName.slice(prefix.length + 1, -(HASH_LENGTH + 1));
  if (CONFIGURATION_SET_NAME_PATTERN.test(candidate)) {
    if (roleNameFor(prefix, region, candidate) === roleName)
      return { kind: "set", configurationSet: candidate };
    const room = MAX_ROLE_NAME_LENGTH - prefix.length - HASH_LENGTH - 2;
    if (candidate.length < room) return { kind: "other" };
  }
  return { kind: "shortened" };
}

/** Separates the prefix from the rest in a delivery-stream role's name; never follows the prefix in a set's role. */
const STREAM_ROLE_MARK = ".stream.";

/**
 * `prefix.stream.S-hhhhhhhh`, the role shared by the configuration sets that publish to stream S
 * (ROLE_SCOPE=delivery-stream): S shortened so the name fits IAM's 64 characters, and 8 hex characters of
 * sha256 of the stream's ARN (its partition, region and account: IAM is global, streams are regional).
 * Set names cannot contain ".", so this never equals a configuration set's role name: the scopes never collide.
 */
export function streamRoleNameFor(prefix: string, deliveryStreamArn: string): string {
  const hash = createHash("sha256").update(deliveryStreamArn).digest("hex").slice(0, HASH_LENGTH);
  const streamName = deliveryStreamArn.slice(deliveryStreamArn.lastIndexOf("/") + 1);
  const room = MAX_ROLE_NAME_LENGTH - prefix.length - STREAM_ROLE_MARK.length - HASH_LENGTH - 1;
  return `${prefix}${STREAM_ROLE_MARK}${streamName.slice(0, Math.max(room, 0))}-${hash}`;
}

/** Whether a role name has the shape of streamRoleNameFor (ownership is still decided by path and tags). */
export function isStreamRoleName(prefix: string, roleName: string): boolean {
  return roleName.startsWith(`${prefix}${STREAM_ROLE_MARK}`);
}

export function roleArnFor(partition: string, accountId: string, rolePath: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role${rolePath}${roleName}`;
}

export function configurationSetArnFor(
  region: string,
  accountId: string,
  configurationSetName: string,
): string {
  return `arn:${partitionFor(region)}:ses:${region}:${accountId}:configuration-set/${configurationSetName}`;
}

/** Every configuration set of this account and region: the ArnLike pattern a shared role's trust policy allows. */
export function configurationSetArnPatternFor(region: string, accountId: string): string {
  return configurationSetArnFor(region, accountId, "*");
}

export function deliveryStreamArnFor(region: string, accountId: string, streamName: string): string {
  return `arn:${partitionFor(region)}:firehose:${region}:${accountId}:deliverystream/${streamName}`;
}

export interface DeliveryStreamArnParts {
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

const DELIVERY_STREAM_ARN =
  /^arn:(aws[a-z-]*):firehose:([a-z0-9-]+):(\d{12}):deliverystream\/([a-zA-Z0-9_.-]{1,64})$/;

/** Splits a delivery stream ARN; undefined when the text is not one. */
export function parseDeliveryStreamArn(arn: string): DeliveryStreamArnParts | undefined {
  const match = DELIVERY_STREAM_ARN.exec(arn);
  if (!match) return undefined;
  // Stryker disable next-line StringLiteral: equivalent, every group of the pattern takes part in a match, so no default is ever used
  const [, partition = "", region = "", accountId = "", name = ""] = match;
  return { partition, region, accountId, name };
}
