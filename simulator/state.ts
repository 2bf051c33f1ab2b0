// Simulator layer (state): the in-memory world — SES configuration sets, IAM roles, Firehose streams, Lambda invocations.
import { TagIndex } from "./tag-index";

/** A JSON value as it arrives in a request body. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * A map whose keys are also kept sorted, so that listing a page is a binary search plus a slice:
 * O(log n) lookups of the resume point, O(1) gets, O(n) memmove on insert (cheap at 10,000 keys).
 */
export class SortedIndex<V> {
  private readonly values = new Map<string, V>();
  private readonly keys: string[] = [];

  get size(): number {
    return this.values.size;
  }

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  set(key: string, value: V): void {
    if (!this.values.has(key)) this.keys.splice(this.lowerBound(key), 0, key);
    this.values.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.values.delete(key)) return false;
    this.keys.splice(this.lowerBound(key), 1);
    return true;
  }

  clear(): void {
    this.values.clear();
    this.keys.length = 0;
  }

  /** Up to `limit` values with keys strictly after `after` that pass `accept`; `more` says whether any remain. */
  page(after: string | undefined, limit: number, accept: (value: V) => boolean = () => true) {
    const items: V[] = [];
    let lastKey: string | undefined;
    let index = after === undefined ? 0 : this.upperBound(after);
    for (; index < this.keys.length; index++) {
      const key = this.keys[index] as string;
      const value = this.values.get(key) as V;
      if (!accept(value)) continue;
      if (items.length === limit) return { items, lastKey, more: true };
      items.push(value);
      lastKey = key;
    }
    return { items, lastKey, more: false };
  }

  *[Symbol.iterator](): IterableIterator<V> {
    for (const key of this.keys) yield this.values.get(key) as V;
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Opaque pagination tokens: the last key of the previous page, base64url-encoded with a marker. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey }), "utf8").toString("base64url");
}

/** The key to resume after, or `undefined` when the token is not one of ours. */
export function decodePageToken(token: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { after?: unknown }).after === "string"
    ) {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: not a token we issued
  }
  return undefined;
}

export interface EventDestinationRecord {
  name: string;
  enabled: boolean;
  matchingEventTypes: string[];
  /** The destination target, exactly one of KinesisFirehoseDestination, CloudWatchDestination, … as sent. */
  targetKey: string;
  target: JsonObject;
}

export interface ConfigurationSetRecord {
  name: string;
  arn: string;
  createdAt: number;
  tags: Map<string, string>;
  destinations: Map<string, EventDestinationRecord>;
  /** TrackingOptions, DeliveryOptions, … as given at creation, echoed back by GetConfigurationSet. */
  options: JsonObject;
}

export interface RoleRecord {
  name: string;
  path: string;
  id: string;
  arn: string;
  createdAt: number;
  assumeRolePolicyDocument: string;
  description: string | undefined;
  maxSessionDuration: number;
  permissionsBoundaryArn: string | undefined;
  tags: Map<string, string>;
  /** Inline policies by name (insertion order kept, listed sorted). */
  inlinePolicies: Map<string, string>;
  /** ARNs of attached managed policies. */
  attachedPolicyArns: Set<string>;
  /** Last CreateRole / UpdateAssumeRolePolicy / Put/DeleteRolePolicy / boundary change: drives propagation. */
  lastChange: number;
}

export type DeliveryStreamStatus = "CREATING" | "CREATING_FAILED" | "DELETING" | "DELETING_FAILED" | "ACTIVE";

export interface DeliveryStreamRecord {
  name: string;
  arn: string;
  type: string;
  createdAt: number;
  /** Until this time the stream reports CREATING (unless `statusOverride` says otherwise). */
  activeAt: number;
  statusOverride: DeliveryStreamStatus | undefined;
  versionId: number;
}

/** An event destination that names an IAM role which does not exist: SES cannot deliver its events. */
export interface DanglingDestination {
  configurationSet: string;
  eventDestination: string;
  iamRoleArn: string;
}

/** A DeleteRole that left destinations naming the deleted role (AWS allows it; delivery fails from then on). */
export interface DanglingRoleDeletion {
  roleArn: string;
  time: number;
  destinations: DanglingDestination[];
}

export interface Invocation {
  functionName: string;
  qualifier: string | undefined;
  invocationType: "Event" | "RequestResponse" | "DryRun";
  /** The raw payload as sent. */
  payload: string;
  time: number;
}

/** Everything the simulated account holds. IAM is global; SES and Firehose are for the one configured region. */
export class World {
  readonly configurationSets = new SortedIndex<ConfigurationSetRecord>();
  /** Keyed by lower-cased role name: IAM role names are unique case-insensitively. */
  readonly roles = new SortedIndex<RoleRecord>();
  readonly deliveryStreams = new SortedIndex<DeliveryStreamRecord>();
  /** Customer managed policies usable as permissions boundaries, by ARN -> policy document. */
  readonly managedPolicies = new Map<string, string>();
  readonly invocations: Invocation[] = [];
  /** The Resource Groups Tagging API's view of the configuration sets' tags (lagging; see TagIndex). */
  readonly tagIndex = new TagIndex();
  /** Every DeleteRole (over HTTP) that left a destination naming the deleted role, in order. */
  readonly danglingRoleDeletions: DanglingRoleDeletion[] = [];
  private roleCounter = 0;

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  configurationSetArn(name: string): string {
    return `arn:aws:ses:${this.region}:${this.accountId}:configuration-set/${name}`;
  }

  deliveryStreamArn(name: string): string {
    return `arn:aws:firehose:${this.region}:${this.accountId}:deliverystream/${name}`;
  }

  roleArn(path: string, name: string): string {
    return `arn:aws:iam::${this.accountId}:role${path}${name}`;
  }

  /** A stable, unique role ID in IAM's shape (AROA + 17 upper-case alphanumerics). */
  nextRoleId(): string {
    this.roleCounter += 1;
    return `AROA${this.roleCounter.toString(36).toUpperCase().padStart(17, "0")}`;
  }

  /** Tells the tag index that a set's tags changed at `at` (-Infinity: seeded state, indexed at once). */
  tagsChanged(set: ConfigurationSetRecord, at: number): void {
    this.tagIndex.record(set.arn, set.tags, at);
  }

  /** Deletes a configuration set; the tag index learns it at `at`. */
  deleteConfigurationSet(name: string, at: number): boolean {
    const set = this.configurationSets.get(name);
    if (set === undefined) return false;
    this.configurationSets.delete(name);
    this.tagIndex.record(set.arn, undefined, at);
    return true;
  }

  /** Firehose destinations whose IamRoleArn names `roleArn` (all of them when undefined) and no existing role. */
  danglingDestinations(roleArn?: string): DanglingDestination[] {
    const found: DanglingDestination[] = [];
    for (const set of this.configurationSets) {
      for (const destination of set.destinations.values()) {
        const iamRoleArn = destination.target.IamRoleArn;
        if (destination.targetKey !== "KinesisFirehoseDestination" || typeof iamRoleArn !== "string")
          continue;
        if (roleArn !== undefined ? iamRoleArn !== roleArn : this.roleExists(iamRoleArn)) continue;
        found.push({ configurationSet: set.name, eventDestination: destination.name, iamRoleArn });
      }
    }
    return found;
  }

  private roleExists(roleArn: string): boolean {
    const role = this.roles.get(roleArn.slice(roleArn.lastIndexOf("/") + 1).toLowerCase());
    return role !== undefined && role.arn === roleArn;
  }

  streamStatus(stream: DeliveryStreamRecord, now: number): DeliveryStreamStatus {
    return stream.statusOverride ?? (now >= stream.activeAt ? "ACTIVE" : "CREATING");
  }

  clear(): void {
    this.configurationSets.clear();
    this.roles.clear();
    this.deliveryStreams.clear();
    this.managedPolicies.clear();
    this.invocations.length = 0;
    this.tagIndex.clear();
    this.danglingRoleDeletions.length = 0;
  }
}
