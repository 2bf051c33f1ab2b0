// Core layer tests: reconcile under ROLE_SCOPE=delivery-stream (one role per stream) and switching scope either way.
import { DescribeDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  SESv2Client,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { ALL_EVENT_TYPES, loadConfig, type RoleScope } from "../../shared/config";
import { createDeliveryStreamCache } from "../../shared/delivery-streams";
import { roleNameFor, streamRoleNameFor } from "../../shared/naming";
import { permissionsPolicyFor, streamTrustPolicyFor, trustPolicyFor } from "../../shared/policies";
import { systemClock, type CoreDeps } from "../../shared/deps";
import { reconcile } from "../../shared/reconcile";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const SET = "tenant-0042";
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/email-events`;
const PATH = "/ses-firehose-autowire/";
const STREAM_ROLE = streamRoleNameFor("ses-firehose", STREAM_ARN);
const SET_ROLE = roleNameFor("ses-firehose", REGION, SET);
const arnOf = (name: string) => `arn:aws:iam::${ACCOUNT}:role${PATH}${name}`;

const ses = mockClient(SESv2Client);
const iam = mockClient(IAMClient);
const firehose = mockClient(FirehoseClient);
const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });

function deps(scope: RoleScope): CoreDeps {
  return {
    sesv2: new SESv2Client({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    firehose: new FirehoseClient({ region: REGION }),
    config: loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN, ROLE_SCOPE: scope }),
    logger,
    region: REGION,
    accountId: ACCOUNT,
    clock: { ...systemClock, sleep: async () => {}, random: () => 0.5, now: () => 0 },
  };
}

const callId = (call: object): number => (call as { callId: number }).callId;
/** Every command sent, with the role or set it was about, in the order sent. */
function sent(): string[] {
  return [...ses.calls(), ...iam.calls(), ...firehose.calls()]
    .sort((a, b) => callId(a) - callId(b))
    .map((call) => {
      const command = call.args[0] as unknown as {
        constructor: { name: string };
        input: Record<string, unknown>;
      };
      const name = command.constructor.name.replace(/Command$/, "");
      return typeof command.input.RoleName === "string" ? `${name} ${command.input.RoleName}` : name;
    });
}
const writes = () => sent().filter((call) => !/^(Get|List|Describe)/.test(call));

function givenOptedIn(value = "enabled"): void {
  ses.on(GetConfigurationSetCommand).resolves({ Tags: [{ Key: "ses-firehose", Value: value }] });
  firehose.on(DescribeDeliveryStreamCommand).resolves({
    DeliveryStreamDescription: { DeliveryStreamARN: STREAM_ARN, DeliveryStreamStatus: "ACTIVE" } as never,
  });
}

function destinationNaming(roleName: string): EventDestination {
  return {
    Name: "ses-firehose-autowire",
    Enabled: true,
    MatchingEventTypes: [...ALL_EVENT_TYPES],
    KinesisFirehoseDestination: { IamRoleArn: arnOf(roleName), DeliveryStreamArn: STREAM_ARN },
  };
}

function givenDestinations(...destinations: EventDestination[]): void {
  ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: destinations });
}

const streamRole = (overrides: Partial<Role> = {}): Role => ({
  RoleName: STREAM_ROLE,
  RoleId: "AROASTREAM",
  Arn: arnOf(STREAM_ROLE),
  Path: PATH,
  CreateDate: new Date(0),
  AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(streamTrustPolicyFor(REGION, ACCOUNT))),
  Tags: [{ Key: "managed-by", Value: "ses-firehose-autowire" }],
  ...overrides,
});

const setRole = (): Role => ({
  ...streamRole(),
  RoleName: SET_ROLE,
  Arn: arnOf(SET_ROLE),
  AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicyFor(REGION, ACCOUNT, SET))),
});

/** Roles that exist (with the documented inline policy); every other GetRole is NoSuchEntity. */
function givenRoles(...roles: Role[]): void {
  iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: "not found", $metadata: {} }));
  iam.on(GetRolePolicyCommand).rejects(new NoSuchEntityException({ message: "not found", $metadata: {} }));
  for (const role of roles) {
    iam.on(GetRoleCommand, { RoleName: role.RoleName }).resolves({ Role: role });
    iam.on(GetRolePolicyCommand, { RoleName: role.RoleName }).resolves({
      PolicyDocument: encodeURIComponent(JSON.stringify(permissionsPolicyFor(STREAM_ARN))),
    });
  }
}

beforeEach(() => {
  ses.reset();
  iam.reset();
  firehose.reset();
});

describe("ROLE_SCOPE=delivery-stream", () => {
  it("creates the stream's role — shared trust policy, the documented permissions, our path and marks — and names it", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations();
    givenRoles();

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
      roleArn: arnOf(STREAM_ROLE),
      deliveryStreamArn: STREAM_ARN,
    });
    const created = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(created).toMatchObject({
      RoleName: STREAM_ROLE,
      Path: PATH,
      Description: `Lets the SES configuration sets of ${REGION} publish events to Kinesis Data Firehose stream email-events.`,
    });
    expect(JSON.parse(created.AssumeRolePolicyDocument!)).toEqual(streamTrustPolicyFor(REGION, ACCOUNT));
    expect(created.Tags).toEqual([
      { Key: "managed-by", Value: "ses-firehose-autowire" },
      { Key: "ses-delivery-stream", Value: STREAM_ARN },
      { Key: "ses-region", Value: REGION },
    ]);
    const policy = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(policy.RoleName).toBe(STREAM_ROLE);
    expect(JSON.parse(policy.PolicyDocument!)).toEqual(permissionsPolicyFor(STREAM_ARN));
    const destination = ses.commandCalls(CreateConfigurationSetEventDestinationCommand)[0]!.args[0].input;
    expect(destination.EventDestination?.KinesisFirehoseDestination).toEqual({
      IamRoleArn: arnOf(STREAM_ROLE),
      DeliveryStreamArn: STREAM_ARN,
    });
  });

  it("wires a new set to its stream's existing role without any IAM write", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations();
    givenRoles(streamRole());

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry.outcome).toBe("created");
    expect(sent()).toEqual([
      "GetConfigurationSet",
      "DescribeDeliveryStream",
      "GetConfigurationSetEventDestinations",
      `GetRole ${STREAM_ROLE}`,
      `GetRolePolicy ${STREAM_ROLE}`,
      "CreateConfigurationSetEventDestination",
    ]);
  });

  it("in a backfill, looks for the stream's role even when the run's listing predates it (another set made it)", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations();
    givenRoles(streamRole());

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
      ...{ managedRoleNames: new Set<string>() },
    });

    // Assess
    expect(entry.outcome).toBe("created");
    expect(writes()).toEqual(["CreateConfigurationSetEventDestination"]);
    expect(iam.commandCalls(CreateRoleCommand)).toHaveLength(0);
  });

  it("makes no write and no look for the set's own role when the set is already on its stream's role", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations(destinationNaming(STREAM_ROLE));
    givenRoles(streamRole());

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry.outcome).toBe("unchanged");
    expect(writes()).toEqual([]);
    expect(sent()).not.toContain(`GetRole ${SET_ROLE}`);
  });

  it("repairs a stream role whose trust policy drifted to one set's", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations(destinationNaming(STREAM_ROLE));
    givenRoles(
      streamRole({
        AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicyFor(REGION, ACCOUNT, SET))),
      }),
    );

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry.outcome).toBe("updated");
    const update = iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]!.args[0].input;
    expect(update.RoleName).toBe(STREAM_ROLE);
    expect(JSON.parse(update.PolicyDocument!)).toEqual(streamTrustPolicyFor(REGION, ACCOUNT));
  });

  it("repoints our destination that someone turned into another kind (no Firehose part) to the stream's role", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations({
      Name: "ses-firehose-autowire",
      Enabled: true,
      MatchingEventTypes: [...ALL_EVENT_TYPES],
      SnsDestination: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:mail` },
    });
    givenRoles(streamRole());
    ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(
      ses.commandCalls(UpdateConfigurationSetEventDestinationCommand)[0]!.args[0].input.EventDestination
        ?.KinesisFirehoseDestination,
    ).toEqual({ IamRoleArn: arnOf(STREAM_ROLE), DeliveryStreamArn: STREAM_ARN });
    expect(sent()).not.toContain(`GetRole ${SET_ROLE}`);
  });

  it("leaves a stream-named role without our marks untouched and fails clearly", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations();
    givenRoles(streamRole({ Tags: [{ Key: "team", Value: "mail" }] }));

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toContain(
      `IAM role ${STREAM_ROLE} already exists but is not managed by ses-firehose-autowire`,
    );
    expect(writes()).toEqual([]);
  });

  it("on opt-out removes the set's destination and never the stream's role other sets use", async () => {
    // Prepare
    ses.on(GetConfigurationSetCommand).resolves({ Tags: [{ Key: "ses-firehose", Value: "disabled" }] });
    givenDestinations(destinationNaming(STREAM_ROLE));
    givenRoles(streamRole());
    ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination"],
    });
    expect(writes()).toEqual(["DeleteConfigurationSetEventDestination"]);
    expect(sent()).not.toContain(`GetRole ${STREAM_ROLE}`);
  });

  it("in a backfill, reads an opted-out set's destinations when the listing holds a stream role, though not its own", async () => {
    // Prepare
    ses.on(GetConfigurationSetCommand).resolves({ Tags: [] });
    givenDestinations(destinationNaming(STREAM_ROLE));
    ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const withStreamRole = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
      ...{ managedRoleNames: new Set([STREAM_ROLE]) },
    });
    const withNothingOfOurs = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
      ...{ managedRoleNames: new Set<string>() },
    });

    // Assess
    expect(withStreamRole.outcome).toBe("removed");
    expect(withNothingOfOurs).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
    expect(ses.commandCalls(GetConfigurationSetEventDestinationsCommand)).toHaveLength(1);
  });
});

describe("switching ROLE_SCOPE", () => {
  it("configuration-set -> delivery-stream: stream role first, destination repointed, then the set's role deleted", async () => {
    // Prepare: the set is wired as ROLE_SCOPE=configuration-set left it
    givenOptedIn();
    givenDestinations(destinationNaming(SET_ROLE));
    givenRoles(streamRole(), setRole());
    ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", roleArn: arnOf(STREAM_ROLE) });
    expect(writes()).toEqual([
      "UpdateConfigurationSetEventDestination",
      `DeleteRolePolicy ${SET_ROLE}`,
      `DeleteRole ${SET_ROLE}`,
    ]);
    expect(
      ses.commandCalls(UpdateConfigurationSetEventDestinationCommand)[0]!.args[0].input.EventDestination
        ?.KinesisFirehoseDestination?.IamRoleArn,
    ).toBe(arnOf(STREAM_ROLE));
  });

  it("configuration-set -> delivery-stream in a backfill also deletes the set's role when the destination was already moved", async () => {
    // Prepare: an earlier run repointed the destination but stopped before deleting the set's role
    givenOptedIn();
    givenDestinations(destinationNaming(STREAM_ROLE));
    givenRoles(streamRole(), setRole());

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
      ...{ managedRoleNames: new Set([STREAM_ROLE, SET_ROLE]) },
    });

    // Assess
    expect(entry.outcome).toBe("updated");
    expect(writes()).toEqual([`DeleteRolePolicy ${SET_ROLE}`, `DeleteRole ${SET_ROLE}`]);
  });

  it("delivery-stream -> configuration-set: the set's role created, destination repointed, the shared role kept", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations(destinationNaming(STREAM_ROLE));
    givenRoles(streamRole());
    ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, deps("configuration-set"), {
      deliveryStreams: createDeliveryStreamCache(),
    });

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", roleArn: arnOf(SET_ROLE) });
    expect(writes()).toEqual([
      `CreateRole ${SET_ROLE}`,
      `PutRolePolicy ${SET_ROLE}`,
      "UpdateConfigurationSetEventDestination",
    ]);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  it("plans the switch in a dry run without writing", async () => {
    // Prepare
    givenOptedIn();
    givenDestinations(destinationNaming(SET_ROLE));
    givenRoles(setRole());

    // Act
    const entry = await reconcile(SET, deps("delivery-stream"), {
      deliveryStreams: createDeliveryStreamCache(),
      ...{ dryRun: true },
    });

    // Assess
    expect(entry.actions).toEqual([
      "CreateRole",
      "PutRolePolicy",
      "UpdateConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
    expect(writes()).toEqual([]);
  });
});
