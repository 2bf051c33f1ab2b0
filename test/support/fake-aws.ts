// Test support: an in-memory SES v2 / IAM / Firehose account behind real SDK clients, for backfill tests.
// It answers at the end of each client's middleware stack, so the SDK's adaptive retry and the pacer run for real.
import { FirehoseClient, ResourceNotFoundException } from "@aws-sdk/client-firehose";
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  IAMClient,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import {
  AlreadyExistsException,
  NotFoundException,
  SESv2Client,
  TooManyRequestsException,
  type EventDestination,
  type EventDestinationDefinition,
  type Tag,
} from "@aws-sdk/client-sesv2";
import type { AwsClients } from "../../shared/aws-clients";
import { ALL_EVENT_TYPES } from "../../shared/config";
import { MANAGED_BY_TAG, roleNameFor, streamRoleNameFor } from "../../shared/naming";
import { INLINE_POLICY_NAME, permissionsPolicyFor, trustPolicyFor } from "../../shared/policies";
import { TokenBucket } from "../../simulator/traffic";

export const REGION = "us-east-1";
export const ACCOUNT = "111122223333";
export const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/email-events`;

type Input = Record<string, unknown>;

interface FakeRole {
  path: string;
  tags: Tag[];
  trust: string;
  boundary?: string;
  inline: Map<string, string>;
}

interface FakeSet {
  tags: Tag[];
  destinations: Map<string, EventDestination>;
}

export const WRITE_OPERATIONS = new Set([
  "CreateConfigurationSetEventDestinationCommand",
  "UpdateConfigurationSetEventDestinationCommand",
  "DeleteConfigurationSetEventDestinationCommand",
  "CreateRoleCommand",
  "PutRolePolicyCommand",
  "UpdateAssumeRolePolicyCommand",
  "PutRolePermissionsBoundaryCommand",
  "DeleteRolePolicyCommand",
  "DeleteRoleCommand",
  "DetachRolePolicyCommand",
]);

const meta = { $metadata: {} };

type Service = "ses" | "iam" | "firehose" | "tagging";

/** What the fake's clients are: the three of every function plus the backfill's tagging client. */
export interface FakeClients extends AwsClients {
  tagging: ResourceGroupsTaggingAPIClient;
}

/** SES's answer to a request over the account's rate: TooManyRequestsException, HTTP 429. */
const sesThrottling = (): Error =>
  new TooManyRequestsException({ message: "Too many requests", $metadata: { httpStatusCode: 429 } });

/** The account's state plus a log of every request (each SDK attempt) by command name. */
export class FakeAws {
  readonly sets = new Map<string, FakeSet>();
  readonly roles = new Map<string, FakeRole>();
  readonly streams = new Map<string, string>([["email-events", "ACTIVE"]]);
  readonly calls: { service: Service; command: string; input: Input }[] = [];
  /** Throttled SES requests answered with TooManyRequestsException. */
  throttled = 0;
  /** Extra SES throttling to inject: the next N requests for these commands fail with `throttlingError()`. */
  readonly injectThrottling = new Map<string, number>();
  /** What a throttled request fails with: SES's TooManyRequestsException (429) unless a test says otherwise. */
  throttlingError: () => Error = sesThrottling;
  /** The account's SES rate limit: the simulator's token bucket. */
  private sesLimit: TokenBucket | undefined;

  /** Back to an empty account with one ACTIVE stream (the clients stay valid). */
  reset(): void {
    this.sets.clear();
    this.roles.clear();
    this.streams.clear();
    this.streams.set("email-events", "ACTIVE");
    this.calls.length = 0;
    this.injectThrottling.clear();
    this.throttled = 0;
    this.throttlingError = sesThrottling;
    this.sesLimit = undefined;
  }

  /** SES accepts `rate` requests per second with bursts of `burst`, like the real account limit. */
  limitSesRate(rate: number, burst: number): void {
    this.sesLimit = new TokenBucket({ ratePerSecond: rate, burst });
  }

  addSet(name: string, tags: Record<string, string> = {}): void {
    this.sets.set(name, {
      tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      destinations: new Map(),
    });
  }

  /** A delivery-stream role of ours (RoleScope=delivery-stream) for `streamArn`, whether or not a destination names it. */
  addStreamRole(streamArn: string): string {
    const roleName = streamRoleNameFor("ses-firehose", streamArn);
    this.roles.set(roleName, {
      path: "/ses-firehose-autowire/",
      tags: [{ ...MANAGED_BY_TAG }, { Key: "ses-region", Value: REGION }],
      trust: "{}",
      inline: new Map([[INLINE_POLICY_NAME, JSON.stringify(permissionsPolicyFor(streamArn))]]),
    });
    return roleName;
  }

  /** A set already wired the way reconcile would wire it (optionally with a drifted list of event types). */
  addWiredSet(
    name: string,
    tags: Record<string, string>,
    eventTypes: readonly string[] = ALL_EVENT_TYPES,
  ): string {
    this.addSet(name, tags);
    const roleName = roleNameFor("ses-firehose", REGION, name);
    const path = "/ses-firehose-autowire/";
    this.roles.set(roleName, {
      path,
      tags: [
        { ...MANAGED_BY_TAG },
        { Key: "ses-configuration-set", Value: name },
        { Key: "ses-region", Value: REGION },
      ],
      trust: JSON.stringify(trustPolicyFor(REGION, ACCOUNT, name)),
      inline: new Map([[INLINE_POLICY_NAME, JSON.stringify(permissionsPolicyFor(STREAM_ARN))]]),
    });
    this.sets.get(name)!.destinations.set("ses-firehose-autowire", {
      Name: "ses-firehose-autowire",
      Enabled: true,
      MatchingEventTypes: [...eventTypes] as EventDestination["MatchingEventTypes"],
      KinesisFirehoseDestination: {
        IamRoleArn: `arn:aws:iam::${ACCOUNT}:role${path}${roleName}`,
        DeliveryStreamArn: STREAM_ARN,
      },
    });
    return roleName;
  }

  count(predicate: (call: { service: string; command: string }) => boolean): number {
    return this.calls.filter(predicate).length;
  }

  sesCalls(): number {
    return this.count((call) => call.service === "ses");
  }

  writeCalls(): number {
    return this.count((call) => WRITE_OPERATIONS.has(call.command));
  }

  callsOf(command: string): Input[] {
    return this.calls.filter((call) => call.command === command).map((call) => call.input);
  }

  /** Real SDK clients (static fake credentials) whose requests this fake answers. */
  clients(options: { maxAttempts?: number } = {}): FakeClients {
    const config = {
      region: REGION,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
      retryMode: "adaptive" as const,
      maxAttempts: options.maxAttempts ?? 8,
    };
    const sesv2 = new SESv2Client(config);
    const iam = new IAMClient(config);
    const firehose = new FirehoseClient(config);
    this.answer(sesv2, "ses", (command, input) => this.ses(command, input));
    this.answer(iam, "iam", (command, input) => this.iam(command, input));
    this.answer(firehose, "firehose", (command, input) => this.firehose(command, input));
    const tagging = new ResourceGroupsTaggingAPIClient(config);
    this.answer(tagging, "tagging", (command, input) => this.tagging(command, input));
    return { sesv2, iam, firehose, tagging };
  }

  private answer(
    client: SESv2Client | IAMClient | FirehoseClient | ResourceGroupsTaggingAPIClient,
    service: Service,
    handle: (command: string, input: Input) => object,
  ): void {
    // The first middleware of the deserialize step: after retry, pacing and signing, in place of HTTP.
    (client as SESv2Client).middlewareStack.add(
      (_next, context) => async (args) => {
        const command = context.commandName ?? "unknown";
        const input = { ...(args.input as Input) }; // the paginator reuses its input object
        this.calls.push({ service, command, input });
        return { output: { ...meta, ...handle(command, input) } as never, response: {} };
      },
      { step: "deserialize", priority: "high", name: "fakeAwsAnswer" },
    );
  }

  private throttle(command: string): void {
    const injected = this.injectThrottling.get(command) ?? 0;
    let refuse = injected > 0;
    if (refuse) this.injectThrottling.set(command, injected - 1);
    if (!refuse && this.sesLimit !== undefined) refuse = !this.sesLimit.tryTake();
    if (refuse) {
      this.throttled += 1;
      throw this.throttlingError();
    }
  }

  private set(input: Input): FakeSet {
    const found = this.sets.get(input.ConfigurationSetName as string);
    if (found === undefined) {
      throw new NotFoundException({
        message: `Configuration set <${input.ConfigurationSetName}> does not exist.`,
        $metadata: {},
      });
    }
    return found;
  }

  private ses(command: string, input: Input): object {
    this.throttle(command);
    switch (command) {
      case "ListConfigurationSetsCommand": {
        const names = [...this.sets.keys()];
        const start =
          input.NextToken === undefined
            ? 0
            : Number(Buffer.from(input.NextToken as string, "base64").toString());
        const end = start + ((input.PageSize as number | undefined) ?? 100);
        return {
          ConfigurationSets: names.slice(start, end),
          ...(end < names.length ? { NextToken: Buffer.from(String(end)).toString("base64") } : {}),
        };
      }
      case "GetConfigurationSetCommand":
        return { ConfigurationSetName: input.ConfigurationSetName, Tags: this.set(input).tags };
      case "GetConfigurationSetEventDestinationsCommand":
        return { EventDestinations: [...this.set(input).destinations.values()] };
      case "CreateConfigurationSetEventDestinationCommand":
      case "UpdateConfigurationSetEventDestinationCommand": {
        const set = this.set(input);
        const name = input.EventDestinationName as string;
        const creating = command === "CreateConfigurationSetEventDestinationCommand";
        if (creating && set.destinations.has(name))
          throw new AlreadyExistsException({ message: `${name} already exists`, $metadata: {} });
        if (!creating && !set.destinations.has(name))
          throw new NotFoundException({ message: `${name} does not exist`, $metadata: {} });
        set.destinations.set(name, {
          Name: name,
          ...(input.EventDestination as EventDestinationDefinition),
        } as EventDestination);
        return {};
      }
      case "DeleteConfigurationSetEventDestinationCommand": {
        const set = this.set(input);
        if (!set.destinations.delete(input.EventDestinationName as string)) {
          throw new NotFoundException({ message: "destination does not exist", $metadata: {} });
        }
        return {};
      }
      default:
        throw new Error(`FakeAws: SES ${command} is not modelled`);
    }
  }

  private role(input: Input): FakeRole {
    const role = this.roles.get(input.RoleName as string);
    if (role === undefined) {
      throw new NoSuchEntityException({
        message: `The role with name ${input.RoleName} cannot be found.`,
        $metadata: {},
      });
    }
    return role;
  }

  private roleView(name: string, role: FakeRole, withTags = true) {
    return {
      RoleName: name,
      Path: role.path,
      RoleId: `AROA${name.length}`,
      Arn: `arn:aws:iam::${ACCOUNT}:role${role.path}${name}`,
      CreateDate: new Date(0),
      AssumeRolePolicyDocument: encodeURIComponent(role.trust),
      ...(withTags ? { Tags: role.tags } : {}),
      ...(role.boundary === undefined
        ? {}
        : {
            PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: role.boundary },
          }),
    };
  }

  private iam(command: string, input: Input): object {
    switch (command) {
      case "ListRolesCommand": {
        const prefix = (input.PathPrefix as string | undefined) ?? "/";
        const all = [...this.roles.entries()].filter(([, role]) => role.path.startsWith(prefix));
        const start = input.Marker === undefined ? 0 : Number(input.Marker);
        const end = start + ((input.MaxItems as number | undefined) ?? 100);
        // ListRoles returns no tags
        const page = all.slice(start, end).map(([name, role]) => this.roleView(name, role, false));
        return {
          Roles: page,
          IsTruncated: end < all.length,
          ...(end < all.length ? { Marker: String(end) } : {}),
        };
      }
      case "GetRoleCommand":
        return { Role: this.roleView(input.RoleName as string, this.role(input)) };
      case "CreateRoleCommand": {
        const name = input.RoleName as string;
        if (this.roles.has(name))
          throw new EntityAlreadyExistsException({ message: `Role ${name} exists`, $metadata: {} });
        this.roles.set(name, {
          path: (input.Path as string | undefined) ?? "/",
          tags: (input.Tags as Tag[] | undefined) ?? [],
          trust: input.AssumeRolePolicyDocument as string,
          inline: new Map(),
          ...(input.PermissionsBoundary === undefined
            ? {}
            : { boundary: input.PermissionsBoundary as string }),
        });
        return { Role: this.roleView(name, this.roles.get(name)!) };
      }
      case "GetRolePolicyCommand": {
        const document = this.role(input).inline.get(input.PolicyName as string);
        if (document === undefined)
          throw new NoSuchEntityException({ message: "no such policy", $metadata: {} });
        return {
          RoleName: input.RoleName,
          PolicyName: input.PolicyName,
          PolicyDocument: encodeURIComponent(document),
        };
      }
      case "PutRolePolicyCommand":
        this.role(input).inline.set(input.PolicyName as string, input.PolicyDocument as string);
        return {};
      case "UpdateAssumeRolePolicyCommand":
        this.role(input).trust = input.PolicyDocument as string;
        return {};
      case "PutRolePermissionsBoundaryCommand":
        this.role(input).boundary = input.PermissionsBoundary as string;
        return {};
      case "DeleteRolePolicyCommand":
        if (!this.role(input).inline.delete(input.PolicyName as string)) {
          throw new NoSuchEntityException({ message: "no such policy", $metadata: {} });
        }
        return {};
      case "DeleteRoleCommand":
        if (this.role(input).inline.size > 0) {
          throw new DeleteConflictException({
            message: "Cannot delete entity, must delete policies first.",
            $metadata: {},
          });
        }
        this.roles.delete(input.RoleName as string);
        return {};
      default:
        throw new Error(`FakeAws: IAM ${command} is not modelled`);
    }
  }

  /** GetResources over the sets' tags (no index lag here: the simulator models that), 100 per page. */
  private tagging(command: string, input: Input): object {
    if (command !== "GetResourcesCommand") throw new Error(`FakeAws: tagging ${command} is not modelled`);
    const keys = ((input.TagFilters as { Key: string }[] | undefined) ?? []).map((filter) => filter.Key);
    const tagged = [...this.sets.entries()]
      .filter(([, set]) => keys.every((key) => set.tags.some((tag) => tag.Key === key)))
      .map(([name, set]) => ({
        ResourceARN: `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${name}`,
        Tags: set.tags,
      }));
    const start = input.PaginationToken ? Number(input.PaginationToken) : 0;
    const end = start + ((input.ResourcesPerPage as number | undefined) ?? 100);
    return {
      ResourceTagMappingList: tagged.slice(start, end),
      PaginationToken: end < tagged.length ? String(end) : "",
    };
  }

  private firehose(command: string, input: Input): object {
    if (command !== "DescribeDeliveryStreamCommand")
      throw new Error(`FakeAws: Firehose ${command} is not modelled`);
    const name = input.DeliveryStreamName as string;
    const status = this.streams.get(name);
    if (status === undefined)
      throw new ResourceNotFoundException({ message: `Stream ${name} not found`, $metadata: {} });
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: name,
        DeliveryStreamARN: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}`,
        DeliveryStreamStatus: status,
      },
    };
  }
}

/** n sets in five states, one in ten of each wired state: half untagged, 2/10 new, 1/10 correct, drifted, opted out. */
export function seedMixed(fake: FakeAws, n: number): void {
  for (let i = 0; i < n; i += 1) {
    const name = `set-${String(i).padStart(5, "0")}`;
    const kind = i % 10;
    if (kind < 5) fake.addSet(name);
    else if (kind < 7) fake.addSet(name, { "ses-firehose": "enabled" });
    else if (kind === 7) fake.addWiredSet(name, { "ses-firehose": "enabled" });
    else if (kind === 8) fake.addWiredSet(name, { "ses-firehose": "email-events" }, ["SEND", "BOUNCE"]);
    else fake.addWiredSet(name, { "ses-firehose": "disabled" });
  }
}
