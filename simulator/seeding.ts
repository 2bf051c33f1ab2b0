// Simulator layer (test API): seed and inspect the world directly, bypassing HTTP, rate limits, faults and the call log.
import { SES_EVENT_TYPES } from "./services/sesv2";
import type {
  DanglingDestination,
  DanglingRoleDeletion,
  DeliveryStreamStatus,
  EventDestinationRecord,
  JsonObject,
  RoleRecord,
  World,
} from "./state";
import { mergeTags, tagProblem } from "./tags";

export type PolicyInput = string | object;

export interface SeedRole {
  name: string;
  /** Default "/". */
  path?: string;
  assumeRolePolicyDocument: PolicyInput;
  tags?: Record<string, string>;
  permissionsBoundaryArn?: string;
  /** Inline policies by name. */
  inlinePolicies?: Record<string, PolicyInput>;
  /** Attached managed policies (AWS managed ARNs, or ones registered with createManagedPolicy). */
  attachedPolicyArns?: string[];
  /** Whether SES can already assume it (default true: seeded state is old state). */
  propagated?: boolean;
}

/** An event destination in the SDK's shape (`EventDestination` of GetConfigurationSetEventDestinations). */
export interface SeedEventDestination {
  Name: string;
  Enabled?: boolean;
  MatchingEventTypes: string[];
  KinesisFirehoseDestination?: { IamRoleArn: string; DeliveryStreamArn: string };
  CloudWatchDestination?: JsonObject;
  SnsDestination?: { TopicArn: string };
  EventBridgeDestination?: { EventBusArn: string };
  PinpointDestination?: { ApplicationArn?: string };
}

export interface ConfigurationSetSnapshot {
  name: string;
  arn: string;
  tags: Record<string, string>;
  eventDestinations: SeedEventDestination[];
}

export interface RoleSnapshot {
  name: string;
  path: string;
  arn: string;
  assumeRolePolicyDocument: unknown;
  inlinePolicies: Record<string, unknown>;
  tags: Record<string, string>;
  permissionsBoundaryArn: string | undefined;
  attachedPolicyArns: string[];
  /** Whether SES could assume it right now (propagation delay elapsed). */
  propagated: boolean;
}

export interface DeliveryStreamSnapshot {
  name: string;
  arn: string;
  status: DeliveryStreamStatus;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Seeded changes are old state: IAM has propagated them and the tag index has seen them. */
const SEEDED = Number.NEGATIVE_INFINITY;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

function text(policy: PolicyInput): string {
  return typeof policy === "string" ? policy : JSON.stringify(policy);
}

function tagEntries(tags: Record<string, string> | undefined): [string, string][] {
  const entries = Object.entries(tags ?? {});
  for (const [key, value] of entries) {
    const problem = tagProblem(key, value);
    if (problem !== undefined) throw new RangeError(problem);
  }
  return entries;
}

export class SimulatorState {
  constructor(
    private readonly world: World,
    private readonly now: () => number,
    private readonly propagationDelayMs: () => number,
  ) {}

  /** Creates a delivery stream (ACTIVE unless told otherwise); returns its ARN. */
  createDeliveryStream(name: string, status: DeliveryStreamStatus = "ACTIVE"): string {
    if (!STREAM_NAME.test(name))
      throw new RangeError(`Delivery stream name "${name}" is invalid: [a-zA-Z0-9_.-]{1,64}.`);
    const arn = this.world.deliveryStreamArn(name);
    const now = this.now();
    this.world.deliveryStreams.set(name, {
      name,
      arn,
      type: "DirectPut",
      createdAt: now,
      activeAt: now,
      statusOverride: status === "ACTIVE" ? undefined : status,
      versionId: 1,
    });
    return arn;
  }

  setDeliveryStreamStatus(name: string, status: DeliveryStreamStatus): void {
    const stream = this.world.deliveryStreams.get(name);
    if (stream === undefined) throw new RangeError(`No delivery stream named "${name}".`);
    stream.statusOverride = status;
  }

  deleteDeliveryStream(name: string): boolean {
    return this.world.deliveryStreams.delete(name);
  }

  getDeliveryStream(name: string): DeliveryStreamSnapshot | undefined {
    const stream = this.world.deliveryStreams.get(name);
    if (stream === undefined) return undefined;
    return { name, arn: stream.arn, status: this.world.streamStatus(stream, this.now()) };
  }

  /** Creates a configuration set with tags; returns its ARN. */
  createConfigurationSet(name: string, tags?: Record<string, string>): string {
    if (!NAME_PATTERN.test(name))
      throw new RangeError(`Configuration set name "${name}" is invalid: [A-Za-z0-9_-]{1,64}.`);
    if (this.world.configurationSets.has(name))
      throw new RangeError(`Configuration set "${name}" already exists.`);
    const arn = this.world.configurationSetArn(name);
    const tagMap = new Map<string, string>();
    const problem = mergeTags(tagMap, tagEntries(tags));
    if (problem !== undefined) throw new RangeError(problem);
    const set = { name, arn, createdAt: this.now(), tags: tagMap, destinations: new Map(), options: {} };
    this.world.configurationSets.set(name, set);
    this.world.tagsChanged(set, SEEDED);
    return arn;
  }

  /** Adds or replaces tags on a configuration set (seeded state: the tag index shows it at once). */
  tagConfigurationSet(name: string, tags: Record<string, string>): void {
    const set = this.existingSet(name);
    const problem = mergeTags(set.tags, tagEntries(tags));
    if (problem !== undefined) throw new RangeError(problem);
    this.world.tagsChanged(set, SEEDED);
  }

  untagConfigurationSet(name: string, keys: readonly string[]): void {
    const set = this.existingSet(name);
    for (const key of keys) set.tags.delete(key);
    this.world.tagsChanged(set, SEEDED);
  }

  deleteConfigurationSet(name: string): boolean {
    return this.world.deleteConfigurationSet(name, SEEDED);
  }

  /** Adds or replaces an event destination without SES's role and stream checks. */
  putEventDestination(configurationSetName: string, destination: SeedEventDestination): void {
    const set = this.existingSet(configurationSetName);
    const invalid = destination.MatchingEventTypes.filter((type) => !SES_EVENT_TYPES.has(type));
    if (invalid.length > 0) throw new RangeError(`Unknown event types: ${invalid.join(", ")}.`);
    const targets = Object.entries(destination).filter(([key]) => key.endsWith("Destination"));
    const [target] = targets;
    if (targets.length !== 1 || target === undefined) {
      throw new RangeError("An event destination needs exactly one *Destination target.");
    }
    const record: EventDestinationRecord = {
      name: destination.Name,
      enabled: destination.Enabled ?? false,
      matchingEventTypes: [...destination.MatchingEventTypes],
      targetKey: target[0],
      target: JSON.parse(JSON.stringify(target[1])) as JsonObject,
    };
    set.destinations.set(destination.Name, record);
  }

  getConfigurationSet(name: string): ConfigurationSetSnapshot | undefined {
    const set = this.world.configurationSets.get(name);
    if (set === undefined) return undefined;
    return {
      name,
      arn: set.arn,
      tags: Object.fromEntries(set.tags),
      eventDestinations: [...set.destinations.values()].map(
        (d) =>
          ({
            Name: d.name,
            Enabled: d.enabled,
            MatchingEventTypes: [...d.matchingEventTypes],
            [d.targetKey]: JSON.parse(JSON.stringify(d.target)) as JsonObject,
          }) as SeedEventDestination,
      ),
    };
  }

  configurationSetNames(): string[] {
    return [...this.world.configurationSets].map((set) => set.name);
  }

  /** Creates a role (already propagated unless `propagated: false`); returns its ARN. */
  createRole(seed: SeedRole): string {
    if (!ROLE_NAME.test(seed.name))
      throw new RangeError(`Role name "${seed.name}" is invalid: [\\w+=,.@-]{1,64}.`);
    const key = seed.name.toLowerCase();
    if (this.world.roles.has(key)) throw new RangeError(`Role "${seed.name}" already exists.`);
    const path = seed.path ?? "/";
    const tags = new Map<string, string>();
    const problem = mergeTags(tags, tagEntries(seed.tags));
    if (problem !== undefined) throw new RangeError(problem);
    const role: RoleRecord = {
      name: seed.name,
      path,
      id: this.world.nextRoleId(),
      arn: this.world.roleArn(path, seed.name),
      createdAt: this.now(),
      assumeRolePolicyDocument: text(seed.assumeRolePolicyDocument),
      description: undefined,
      maxSessionDuration: 3600,
      permissionsBoundaryArn: seed.permissionsBoundaryArn,
      tags,
      inlinePolicies: new Map(
        Object.entries(seed.inlinePolicies ?? {}).map(([name, doc]) => [name, text(doc)]),
      ),
      attachedPolicyArns: new Set(seed.attachedPolicyArns ?? []),
      lastChange: seed.propagated === false ? this.now() : Number.NEGATIVE_INFINITY,
    };
    this.world.roles.set(key, role);
    return role.arn;
  }

  /** Adds or replaces an inline policy (counts as already propagated). */
  putRolePolicy(roleName: string, policyName: string, document: PolicyInput): void {
    this.existingRole(roleName).inlinePolicies.set(policyName, text(document));
  }

  /** Makes one role (or every role) assumable by SES now, as if IAM had propagated. */
  markPropagated(roleName?: string): void {
    if (roleName !== undefined) {
      this.existingRole(roleName).lastChange = Number.NEGATIVE_INFINITY;
      return;
    }
    for (const role of this.world.roles) role.lastChange = Number.NEGATIVE_INFINITY;
  }

  getRole(name: string): RoleSnapshot | undefined {
    const role = this.world.roles.get(name.toLowerCase());
    if (role === undefined) return undefined;
    return {
      name: role.name,
      path: role.path,
      arn: role.arn,
      assumeRolePolicyDocument: JSON.parse(role.assumeRolePolicyDocument) as unknown,
      inlinePolicies: Object.fromEntries(
        [...role.inlinePolicies].map(([policyName, doc]) => [policyName, JSON.parse(doc) as unknown]),
      ),
      tags: Object.fromEntries(role.tags),
      permissionsBoundaryArn: role.permissionsBoundaryArn,
      attachedPolicyArns: [...role.attachedPolicyArns].sort(),
      propagated: this.now() - role.lastChange >= this.propagationDelayMs(),
    };
  }

  /** Role names, optionally only those whose path starts with `pathPrefix`. */
  roleNames(pathPrefix = "/"): string[] {
    return [...this.world.roles].filter((role) => role.path.startsWith(pathPrefix)).map((role) => role.name);
  }

  /**
   * Registers a customer managed policy usable as a permissions boundary; accepts a name or a full ARN.
   * Roles whose boundary is not registered are treated as having no effective boundary (allow-all).
   */
  createManagedPolicy(nameOrArn: string, document: PolicyInput): string {
    const arn = nameOrArn.startsWith("arn:")
      ? nameOrArn
      : `arn:aws:iam::${this.world.accountId}:policy/${nameOrArn}`;
    this.world.managedPolicies.set(arn, text(document));
    return arn;
  }

  /**
   * Destinations that name a role which does not exist right now (SES cannot deliver their events). AWS accepts
   * such a state silently; here it is a visible error that tests assert is empty.
   */
  danglingDestinations(): DanglingDestination[] {
    return this.world.danglingDestinations();
  }

  /**
   * Every DeleteRole received over HTTP that left at least one destination naming the deleted role, even if the
   * destination was repointed a moment later: "never a moment where a destination names a deleted role" holds
   * exactly when this stays empty. Cleared by reset().
   */
  danglingRoleDeletions(): DanglingRoleDeletion[] {
    return this.world.danglingRoleDeletions.map((deletion) => ({
      ...deletion,
      destinations: deletion.destinations.map((destination) => ({ ...destination })),
    }));
  }

  /** Forgets every resource and queued invocation (the call log is separate: `callLog.reset()`). */
  reset(): void {
    this.world.clear();
  }

  private existingSet(name: string) {
    const set = this.world.configurationSets.get(name);
    if (set === undefined) throw new RangeError(`No configuration set named "${name}".`);
    return set;
  }

  private existingRole(name: string): RoleRecord {
    const role = this.world.roles.get(name.toLowerCase());
    if (role === undefined) throw new RangeError(`No role named "${name}".`);
    return role;
  }
}
