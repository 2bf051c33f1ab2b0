// Core layer: which IAM role a configuration set's destination names under ROLE_SCOPE, and what that role holds.
import type { Tag } from "@aws-sdk/client-iam";
import type { Config } from "./config";
import {
  CONFIGURATION_SET_TAG_KEY,
  DELIVERY_STREAM_TAG_KEY,
  isStreamRoleName,
  MANAGED_BY_TAG,
  partitionFor,
  REGION_TAG_KEY,
  roleArnFor,
  roleNameFor,
  streamRoleNameFor,
} from "./naming";
import { type PolicyDocument, streamTrustPolicyFor, trustPolicyFor } from "./policies";

/** A role we manage, as it should be: its name and ARN, trust policy, tags and description. */
export interface RoleSpec {
  readonly name: string;
  readonly arn: string;
  readonly trustPolicy: PolicyDocument;
  readonly tags: readonly Tag[];
  readonly description: string;
  /** True for a delivery-stream role: other sets may use it, so only a full audit may delete it. */
  readonly shared: boolean;
}

export interface Place {
  readonly config: Config;
  readonly region: string;
  readonly accountId: string;
}

function arnOf(place: Place, name: string): string {
  return roleArnFor(partitionFor(place.region), place.accountId, place.config.rolePath, name);
}

/** The configuration set's own role (ROLE_SCOPE=configuration-set): the SES documentation's trust policy. */
export function setRoleSpec(place: Place, configurationSetName: string): RoleSpec {
  const name = roleNameFor(place.config.roleNamePrefix, place.region, configurationSetName);
  return {
    name,
    arn: arnOf(place, name),
    trustPolicy: trustPolicyFor(place.region, place.accountId, configurationSetName),
    tags: [
      { ...MANAGED_BY_TAG },
      { Key: CONFIGURATION_SET_TAG_KEY, Value: configurationSetName },
      { Key: REGION_TAG_KEY, Value: place.region },
    ],
    description: `Lets SES configuration set ${configurationSetName} (${place.region}) publish events to Kinesis Data Firehose.`,
    shared: false,
  };
}

/** The role every set of this account and region publishing to one stream shares (ROLE_SCOPE=delivery-stream). */
export function streamRoleSpec(place: Place, deliveryStreamArn: string): RoleSpec {
  const name = streamRoleNameFor(place.config.roleNamePrefix, deliveryStreamArn);
  return {
    name,
    arn: arnOf(place, name),
    trustPolicy: streamTrustPolicyFor(place.region, place.accountId),
    tags: [
      { ...MANAGED_BY_TAG },
      { Key: DELIVERY_STREAM_TAG_KEY, Value: deliveryStreamArn },
      { Key: REGION_TAG_KEY, Value: place.region },
    ],
    description: `Lets the SES configuration sets of ${place.region} publish events to Kinesis Data Firehose stream ${deliveryStreamArn.slice(deliveryStreamArn.lastIndexOf("/") + 1)}.`,
    shared: true,
  };
}

/** The role a set's destination should name for this stream, by the configured scope. */
export function roleSpecFor(place: Place, configurationSetName: string, deliveryStreamArn: string): RoleSpec {
  return place.config.roleScope === "delivery-stream"
    ? streamRoleSpec(place, deliveryStreamArn)
    : setRoleSpec(place, configurationSetName);
}

const streamRolesListed = new WeakMap<ReadonlySet<string>, boolean>();

/** Whether a role listing holds any delivery-stream role (computed once per listing). */
export function listingHasStreamRoles(listing: ReadonlySet<string>, prefix: string): boolean {
  let found = streamRolesListed.get(listing);
  if (found === undefined) {
    found = [...listing].some((roleName) => isStreamRoleName(prefix, roleName));
    streamRolesListed.set(listing, found);
  }
  return found;
}
