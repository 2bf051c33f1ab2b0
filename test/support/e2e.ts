// Test support (end-to-end harness): a simulator on a free port, the built functions in warm containers pointed at
// it, CloudTrail events cloned from the fixtures, and the resulting AWS state read back through the official SDK.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import {
  GetConfigurationSetEventDestinationsCommand,
  NotFoundException,
  SESv2Client,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { ALL_EVENT_TYPES } from "../../shared/config";
import { roleNameFor } from "../../shared/naming";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../simulator";
import {
  CLI_PATH,
  startLambdaContainer,
  type ContainerOptions,
  type LambdaContainer,
} from "./lambda-runtime";
import type { FunctionId } from "./cfn-template";
import { documentedPolicies as fillDocumentedPolicies, type DocumentedPolicies } from "./documented-policies";

const FIXTURES = path.join(__dirname, "..", "fixtures");

export const DEFAULT_STREAM = "ses-events";
export const DESTINATION_NAME = "ses-firehose-autowire";
export const ROLE_PATH = "/ses-firehose-autowire/";
export const ROLE_PREFIX = "ses-firehose";
export const INLINE_POLICY_NAME = "firehose-put-record-batch";

/** The SDK clients a user would use to look at the account (one attempt: the harness must see faults, not hide them). */
export interface InspectionClients {
  sesv2: SESv2Client;
  iam: IAMClient;
  firehose: FirehoseClient;
}

export interface E2eWorld {
  sim: Simulator;
  region: string;
  accountId: string;
  /** ARN of the stream created at start (`DEFAULT_DELIVERY_STREAM_ARN` of every function). */
  defaultStreamArn: string;
  streamArn(name: string): string;
  /** Environment of the functions and the CLI: simulator endpoints + the variables of docs/contract.md (+ overrides). */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** A warm container of a built function; stopped by `stop()`. */
  container(
    fn: FunctionId,
    options?: Omit<ContainerOptions, "fn" | "env"> & { env?: Record<string, string> },
  ): Promise<LambdaContainer>;
  clients: InspectionClients;
  stop(): Promise<void>;
}

export interface E2eOptions extends SimulatorOptions {
  /** Extra streams created at start (besides DEFAULT_STREAM). */
  streams?: string[];
  /** Variables every function gets on top of the defaults. */
  env?: Record<string, string>;
}

/** Starts the simulator (free port), creates the default stream, and prepares containers and inspection clients. */
export async function startE2eWorld(options: E2eOptions = {}): Promise<E2eWorld> {
  const { streams = [], env: baseEnv = {}, ...simulatorOptions } = options;
  const sim = await startSimulator({ port: 0, ...simulatorOptions });
  const containers: LambdaContainer[] = [];
  const defaultStreamArn = sim.state.createDeliveryStream(DEFAULT_STREAM);
  for (const stream of streams) sim.state.createDeliveryStream(stream);
  const clientConfig = { ...sim.clientConfig(), maxAttempts: 1 };
  const clients: InspectionClients = {
    sesv2: new SESv2Client(clientConfig),
    iam: new IAMClient(clientConfig),
    firehose: new FirehoseClient(clientConfig),
  };
  const env = (overrides: Record<string, string> = {}) => ({
    ...sim.endpointEnv(),
    DEFAULT_DELIVERY_STREAM_ARN: defaultStreamArn,
    POWERTOOLS_LOG_LEVEL: "INFO",
    // The simulator has no SES limit unless a test sets one: do not pace the event functions at AWS's 1 req/s.
    SES_REQUESTS_PER_SECOND: "1000",
    ...baseEnv,
    ...overrides,
  });
  return {
    sim,
    region: sim.region,
    accountId: sim.accountId,
    defaultStreamArn,
    streamArn: (name) => `arn:aws:firehose:${sim.region}:${sim.accountId}:deliverystream/${name}`,
    env,
    async container(fn, containerOptions = {}) {
      const container = await startLambdaContainer({
        ...containerOptions,
        fn,
        env: env(containerOptions.env),
        region: sim.region,
        accountId: sim.accountId,
      });
      containers.push(container);
      return container;
    },
    clients,
    async stop() {
      await Promise.all(containers.map((container) => container.stop()));
      for (const client of Object.values(clients)) client.destroy();
      await sim.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CloudTrail events, built from the fixtures (a fresh copy each time; the files are never changed).

type Json = Record<string, unknown>;
export type CloudTrailEvent = Json & { account: string; region: string; detail: Json };

function fixture(name: string): CloudTrailEvent {
  return JSON.parse(readFileSync(path.join(FIXTURES, "events", `${name}.json`), "utf8")) as CloudTrailEvent;
}

function configurationSetArn(event: CloudTrailEvent, name: string): string {
  return `arn:aws:ses:${event.region}:${event.account}:configuration-set/${name}`;
}

function withRequest(event: CloudTrailEvent, requestParameters: Json): CloudTrailEvent {
  return { ...event, detail: { ...event.detail, requestParameters } };
}

/** SES v2 CreateConfigurationSet (tags optional); `v1: true` gives the SES v1 shape `configurationSet.name`. */
export function createEvent(name: string, options: { tags?: Record<string, string>; v1?: boolean } = {}) {
  if (options.v1 === true) return withRequest(fixture("create-v1"), { configurationSet: { name } });
  const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value }));
  return withRequest(fixture("create-v2-tagged"), {
    configurationSetName: name,
    ...(tags.length > 0 ? { tags } : {}),
  });
}

/** SES v2 TagResource on a configuration set. */
export function tagEvent(name: string, tags: Record<string, string>): CloudTrailEvent {
  const event = fixture("tag-resource");
  return withRequest(event, {
    resourceArn: configurationSetArn(event, name),
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
}

/** SES v2 UntagResource on a configuration set. */
export function untagEvent(name: string, tagKeys: string[]): CloudTrailEvent {
  const event = fixture("untag-resource");
  return withRequest(event, { resourceArn: configurationSetArn(event, name), tagKeys });
}

/** Resource Groups Tagging API TagResources over several configuration sets. */
export function taggingApiEvent(names: string[], tags: Record<string, string>): CloudTrailEvent {
  const event = fixture("tagging-api-tag-resources");
  return withRequest(event, { resourceARNList: names.map((name) => configurationSetArn(event, name)), tags });
}

/**
 * AWS's "Tag Change on Resource" for one set: `tags` is the set's full tag set after the change, `changed` the
 * keys that changed (added, updated or removed).
 */
export function tagChangeEvent(
  name: string,
  tags: Record<string, string>,
  changed: string[],
): CloudTrailEvent {
  const event = fixture("tag-change-on-resource");
  return {
    ...event,
    resources: [configurationSetArn(event, name)],
    detail: { ...event.detail, tags, "changed-tag-keys": changed },
  };
}

/** SES v2 DeleteConfigurationSet. */
export function deleteEvent(name: string): CloudTrailEvent {
  return withRequest(fixture("delete-configuration-set"), { configurationSetName: name });
}

/** Any fixture as it is on disk (e.g. `tag-resource-identity`, `create-failed-call`). */
export function fixtureEvent(name: string): CloudTrailEvent {
  return fixture(name);
}

// ---------------------------------------------------------------------------------------------------------------
// What is in the account, read through the SDK as a user (or the AWS console) would.

export interface Wiring {
  configurationSet: string;
  /** undefined when the configuration set does not exist. */
  destinations: EventDestination[] | undefined;
  /** Our destination (named DESTINATION_NAME), if present. */
  destination: EventDestination | undefined;
  roleName: string;
  role:
    | {
        arn: string;
        path: string;
        trustPolicy: unknown;
        inlinePolicyNames: string[];
        inlinePolicy: unknown;
        tags: Record<string, string>;
      }
    | undefined;
}

function decodePolicy(document: string | undefined): unknown {
  return document === undefined ? undefined : (JSON.parse(decodeURIComponent(document)) as unknown);
}

export function roleNameOf(world: Pick<E2eWorld, "region">, configurationSet: string): string {
  return roleNameFor(ROLE_PREFIX, world.region, configurationSet);
}

/** GetConfigurationSetEventDestinations, GetRole, ListRolePolicies, GetRolePolicy (URL-decoded), ListRoleTags. */
export async function readWiring(world: E2eWorld, configurationSet: string): Promise<Wiring> {
  const { sesv2, iam } = world.clients;
  const roleName = roleNameOf(world, configurationSet);
  let destinations: EventDestination[] | undefined;
  try {
    const response = await sesv2.send(
      new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: configurationSet }),
    );
    destinations = response.EventDestinations ?? [];
  } catch (err) {
    if (!(err instanceof NotFoundException)) throw err;
  }
  let role: Wiring["role"];
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    const inline = PolicyNames.includes(INLINE_POLICY_NAME)
      ? await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: INLINE_POLICY_NAME }))
      : undefined;
    const { Tags = [] } = await iam.send(new ListRoleTagsCommand({ RoleName: roleName }));
    role = {
      arn: Role?.Arn ?? "",
      path: Role?.Path ?? "",
      trustPolicy: decodePolicy(Role?.AssumeRolePolicyDocument),
      inlinePolicyNames: PolicyNames,
      inlinePolicy: decodePolicy(inline?.PolicyDocument),
      tags: Object.fromEntries(Tags.map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
    };
  } catch (err) {
    if (!(err instanceof NoSuchEntityException)) throw err;
  }
  return {
    configurationSet,
    destinations,
    destination: destinations?.find((destination) => destination.Name === DESTINATION_NAME),
    roleName,
    role,
  };
}

/** The AWS documentation's two policies (test/fixtures/aws-doc-policies.json) with its placeholders filled in. */
export function documentedPolicies(
  world: Pick<E2eWorld, "region" | "accountId">,
  configurationSet: string,
  streamArn: string,
): DocumentedPolicies {
  return fillDocumentedPolicies({
    region: world.region,
    accountId: world.accountId,
    configurationSet,
    streamName: streamArn.split("/").pop() ?? "",
  });
}

/** Deep equality regardless of key order (IAM may reorder keys; the documents must otherwise be identical). */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/**
 * Everything that is not as docs/core.md "What gets created" says for a set wired to `streamArn` (empty when it is right): our destination
 * (enabled, all ten event types, our role, the stream), the role (path, tags) and the documented policies.
 */
export function wiringProblems(world: E2eWorld, wiring: Wiring, streamArn: string): string[] {
  const name = wiring.configurationSet;
  const problems: string[] = [];
  const { destination, role } = wiring;
  if (wiring.destinations === undefined) return [`${name}: the configuration set does not exist`];
  if (destination === undefined) problems.push(`${name}: no event destination ${DESTINATION_NAME}`);
  if (role === undefined) problems.push(`${name}: no role ${wiring.roleName}`);
  if (destination === undefined || role === undefined) return problems;
  const firehose = destination.KinesisFirehoseDestination;
  if (destination.Enabled !== true) problems.push(`${name}: destination disabled`);
  if (!same([...(destination.MatchingEventTypes ?? [])].sort(), [...ALL_EVENT_TYPES].sort())) {
    problems.push(`${name}: event types ${destination.MatchingEventTypes?.join(",")}`);
  }
  if (firehose?.IamRoleArn !== role.arn) problems.push(`${name}: destination role ${firehose?.IamRoleArn}`);
  if (firehose?.DeliveryStreamArn !== streamArn)
    problems.push(`${name}: destination stream ${firehose?.DeliveryStreamArn}, expected ${streamArn}`);
  if (role.path !== ROLE_PATH) problems.push(`${name}: role path ${role.path}`);
  const expectedTags = {
    "managed-by": "ses-firehose-autowire",
    "ses-configuration-set": name,
    "ses-region": world.region,
  };
  if (!same(role.tags, expectedTags)) problems.push(`${name}: role tags ${JSON.stringify(role.tags)}`);
  const documented = documentedPolicies(world, name, streamArn);
  if (!same(role.trustPolicy, documented.trustPolicy)) problems.push(`${name}: trust policy differs`);
  if (!same(role.inlinePolicyNames, [INLINE_POLICY_NAME]))
    problems.push(`${name}: inline policies ${role.inlinePolicyNames.join(",")}`);
  if (!same(role.inlinePolicy, documented.permissionsPolicy))
    problems.push(`${name}: permissions policy differs`);
  return problems;
}

/** Problems when the set should carry nothing of ours (no destination named ours, no managed role). */
export function unwiredProblems(wiring: Wiring): string[] {
  const problems: string[] = [];
  if (wiring.destination !== undefined)
    problems.push(`${wiring.configurationSet}: destination still present`);
  if (wiring.role !== undefined)
    problems.push(`${wiring.configurationSet}: role ${wiring.roleName} still present`);
  return problems;
}

/** Every write operation the functions can make: an idle reconcile makes none of them. */
export const WRITE_OPERATIONS: readonly string[] = [
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:UpdateAssumeRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:TagRole",
  "iam:UntagRole",
  "iam:DetachRolePolicy",
  "sesv2:CreateConfigurationSetEventDestination",
  "sesv2:UpdateConfigurationSetEventDestination",
  "sesv2:DeleteConfigurationSetEventDestination",
];

/** Successful write calls in the simulator's call log, as `service:Operation`. */
export function writeCalls(sim: Simulator): string[] {
  return sim.callLog
    .entries()
    .filter((entry) => entry.status < 300)
    .map((entry) => `${entry.service}:${entry.operation}`)
    .filter((operation) => WRITE_OPERATIONS.includes(operation));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`node dist/cli.js …`) as a child process with the world's environment. Asynchronous on
 * purpose: the simulator answers from this process's event loop.
 */
export function runCli(world: E2eWorld, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? "", ...world.env(env) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
