// Test support (unit): one configuration set against mocked SES v2, IAM and Firehose clients, for the reconcile tests
// (test/unit/reconcile*.test.ts): the mocks, a fake clock, what AWS holds (given…) and what it received.
import { DescribeDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  type Role,
} from "@aws-sdk/client-iam";
import {
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  NotFoundException,
  SESv2Client,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { ALL_EVENT_TYPES, loadConfig, type Environment } from "../../shared/config";
import { permissionsPolicyFor, trustPolicyFor } from "../../shared/policies";
import type { Clock, CoreDeps } from "../../shared/deps";
import { reconcile } from "../../shared/reconcile";
import type { ReportEntry } from "../../shared/report";

export const REGION = "eu-west-1";
export const ACCOUNT = "111122223333";
export const SET = "marketing";
export const ROLE_NAME = "ses-firehose-marketing-" + "0".repeat(8); // replaced below by the real hash
export const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/email-events`;
export const OTHER_STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/other-events`;
export const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/ses-boundary`;

export const ses = mockClient(SESv2Client);
export const iam = mockClient(IAMClient);
export const firehose = mockClient(FirehoseClient);
export const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });

export let sleeps: number[];
export let clock: number;

/** A fake clock: sleeping advances it and is recorded; jitter is always 0.5. */
export const fakeClock: Clock = {
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
  random: () => 0.5,
  now: () => clock,
};

export function depsWith(env: Environment = {}): CoreDeps {
  return {
    sesv2: new SESv2Client({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    firehose: new FirehoseClient({ region: REGION }),
    config: loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN, ...env }),
    logger,
    region: REGION,
    accountId: ACCOUNT,
    clock: fakeClock,
  };
}

/** Sinon numbers every spy call across all spies; its types do not declare it. */
export const callId = (call: object): number => (call as { callId: number }).callId;

/** Every command sent, across the three clients, in the order it was sent. */
export function commandsSent(): string[] {
  return [...ses.calls(), ...iam.calls(), ...firehose.calls()]
    .sort((a, b) => callId(a) - callId(b))
    .map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ""));
}

export function writesSent(): string[] {
  return commandsSent().filter((name) => !/^(Get|List|Describe)/.test(name));
}

export const notFound = () =>
  new NotFoundException({ message: `Configuration set <${SET}> does not exist.`, $metadata: {} });
export const noSuchEntity = () =>
  new NoSuchEntityException({ message: "The role cannot be found.", $metadata: {} });

export function givenSet(tags: Record<string, string> | undefined): void {
  if (tags === undefined) {
    ses.on(GetConfigurationSetCommand).rejects(notFound());
    return;
  }
  ses.on(GetConfigurationSetCommand, { ConfigurationSetName: SET }).resolves({
    ConfigurationSetName: SET,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
}

export function givenStream(status = "ACTIVE", arn = STREAM_ARN): void {
  const name = arn.split("/")[1];
  firehose.on(DescribeDeliveryStreamCommand, { DeliveryStreamName: name }).resolves({
    DeliveryStreamDescription: { DeliveryStreamARN: arn, DeliveryStreamStatus: status } as never,
  });
}

export function givenDestinations(destinations: EventDestination[]): void {
  ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: destinations });
}

export function ourDestination(overrides: Partial<EventDestination> = {}): EventDestination {
  return {
    Name: "ses-firehose-autowire",
    Enabled: true,
    MatchingEventTypes: [...ALL_EVENT_TYPES].reverse(),
    KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: STREAM_ARN },
    ...overrides,
  };
}

/** What reconcile must send to create or update our destination: enabled, all ten event types, our role and stream. */
export function expectedDestinationInput() {
  return {
    ConfigurationSetName: SET,
    EventDestinationName: "ses-firehose-autowire",
    EventDestination: {
      Enabled: true,
      MatchingEventTypes: [...ALL_EVENT_TYPES],
      KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: STREAM_ARN },
    },
  };
}

export const foreignDestination: EventDestination = {
  Name: "analytics",
  Enabled: true,
  MatchingEventTypes: ["SEND"],
  SnsDestination: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:mail` },
};

export let roleName = ROLE_NAME;
export function roleArn(): string {
  return `arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/${roleName}`;
}

/** A copy of `value` without the given fields. */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** IAM returns policy documents URL-encoded; key order and spelling may differ from what we sent. */
export function encoded(policy: object): string {
  return encodeURIComponent(JSON.stringify(policy));
}

export function ourRole(overrides: Partial<Role> = {}): Role {
  return {
    RoleName: roleName,
    RoleId: "AROAEXAMPLE",
    Arn: roleArn(),
    Path: "/ses-firehose-autowire/",
    CreateDate: new Date(0),
    AssumeRolePolicyDocument: encoded(trustPolicyFor(REGION, ACCOUNT, SET)),
    Tags: [
      { Key: "ses-region", Value: REGION },
      { Key: "managed-by", Value: "ses-firehose-autowire" },
    ],
    ...overrides,
  };
}

export function givenRole(
  role: Role | undefined,
  inlinePolicy: object | null = permissionsPolicyFor(STREAM_ARN),
): void {
  if (role === undefined) iam.on(GetRoleCommand).rejects(noSuchEntity());
  else iam.on(GetRoleCommand, { RoleName: roleName }).resolves({ Role: role });
  if (inlinePolicy === null) iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
  else
    iam.on(GetRolePolicyCommand).resolves({
      RoleName: roleName,
      PolicyName: "firehose-put-record-batch",
      PolicyDocument: encoded(inlinePolicy),
    });
}

/** A set opted in with `enabled`, its stream ACTIVE, no event destination yet (the role is up to the test). */
export function givenOptedInSet(): void {
  givenSet({ "ses-firehose": "enabled" });
  givenStream();
  givenDestinations([]);
}

/** A set that has just opted in with `enabled`: the stream is ACTIVE, the set has no destination and there is no role. */
export function givenNewOptedInSet(): void {
  givenOptedInSet();
  givenRole(undefined);
}

/** The entry of a set wired for the first time: the three writes, our role and the default stream. */
export function createdEntry(): ReportEntry {
  return {
    configurationSet: SET,
    outcome: "created",
    actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
    roleArn: roleArn(),
    deliveryStreamArn: STREAM_ARN,
  };
}

export function givenCorrectlyWiredSet(): void {
  givenSet({ "ses-firehose": "enabled" });
  givenStream();
  givenDestinations([foreignDestination, ourDestination()]);
  givenRole(ourRole());
}

beforeAll(async () => {
  // The role name is deterministic; take it from a dry run of a new set rather than repeating the hash here.
  ses.on(GetConfigurationSetCommand).resolves({ Tags: [{ Key: "ses-firehose", Value: "enabled" }] });
  firehose
    .on(DescribeDeliveryStreamCommand)
    .resolves({ DeliveryStreamDescription: { DeliveryStreamStatus: "ACTIVE" } as never });
  ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: [] });
  iam.on(GetRoleCommand).rejects(noSuchEntity());
  const planned = await reconcile(SET, depsWith({}), { dryRun: true });
  roleName = planned.roleArn?.split("/").pop() ?? "";
});

beforeEach(() => {
  ses.reset();
  iam.reset();
  firehose.reset();
  sleeps = [];
  clock = 1_000_000;
});
