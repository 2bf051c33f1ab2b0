// Core layer tests: reconcile one configuration set against mocked SES v2, IAM and Firehose clients (SPEC §2–§5).
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-firehose";
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  type Role,
} from "@aws-sdk/client-iam";
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  LimitExceededException,
  NotFoundException,
  SESv2Client,
  TooManyRequestsException,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { ALL_EVENT_TYPES, loadConfig, type Environment } from "../../shared/config";
import { createDeliveryStreamCache } from "../../shared/delivery-streams";
import { permissionsPolicyFor, trustPolicyFor } from "../../shared/policies";
import { reconcile, type ReconcileDeps } from "../../shared/reconcile";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const SET = "marketing";
const ROLE_NAME = "ses-firehose-marketing-" + "0".repeat(8); // replaced below by the real hash
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/email-events`;
const OTHER_STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/other-events`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/ses-boundary`;

const ses = mockClient(SESv2Client);
const iam = mockClient(IAMClient);
const firehose = mockClient(FirehoseClient);
const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });

let sleeps: number[];
let clock: number;

function depsWith(env: Environment = {}, extra: Partial<ReconcileDeps> = {}): ReconcileDeps {
  return {
    sesv2: new SESv2Client({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    firehose: new FirehoseClient({ region: REGION }),
    config: loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN, ...env }),
    logger,
    region: REGION,
    accountId: ACCOUNT,
    deliveryStreams: createDeliveryStreamCache(),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    now: () => clock,
    ...extra,
  };
}

/** Sinon numbers every spy call across all spies; its types do not declare it. */
const callId = (call: object): number => (call as { callId: number }).callId;

/** Every command sent, across the three clients, in the order it was sent. */
function commandsSent(): string[] {
  return [...ses.calls(), ...iam.calls(), ...firehose.calls()]
    .sort((a, b) => callId(a) - callId(b))
    .map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ""));
}

function writesSent(): string[] {
  return commandsSent().filter((name) => !/^(Get|List|Describe)/.test(name));
}

const notFound = () =>
  new NotFoundException({ message: `Configuration set <${SET}> does not exist.`, $metadata: {} });
const noSuchEntity = () => new NoSuchEntityException({ message: "The role cannot be found.", $metadata: {} });

function givenSet(tags: Record<string, string> | undefined): void {
  if (tags === undefined) {
    ses.on(GetConfigurationSetCommand).rejects(notFound());
    return;
  }
  ses.on(GetConfigurationSetCommand, { ConfigurationSetName: SET }).resolves({
    ConfigurationSetName: SET,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
}

function givenStream(status = "ACTIVE", arn = STREAM_ARN): void {
  const name = arn.split("/")[1];
  firehose.on(DescribeDeliveryStreamCommand, { DeliveryStreamName: name }).resolves({
    DeliveryStreamDescription: { DeliveryStreamARN: arn, DeliveryStreamStatus: status } as never,
  });
}

function givenDestinations(destinations: EventDestination[]): void {
  ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: destinations });
}

function ourDestination(overrides: Partial<EventDestination> = {}): EventDestination {
  return {
    Name: "ses-firehose-autowire",
    Enabled: true,
    MatchingEventTypes: [...ALL_EVENT_TYPES].reverse(),
    KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: STREAM_ARN },
    ...overrides,
  };
}

/** What reconcile must send to create or update our destination: enabled, all ten event types, our role and stream. */
function expectedDestinationInput() {
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

const foreignDestination: EventDestination = {
  Name: "analytics",
  Enabled: true,
  MatchingEventTypes: ["SEND"],
  SnsDestination: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:mail` },
};

let roleName = ROLE_NAME;
function roleArn(): string {
  return `arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/${roleName}`;
}

/** A copy of `value` without the given fields. */
function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** IAM returns policy documents URL-encoded; key order and spelling may differ from what we sent. */
function encoded(policy: object): string {
  return encodeURIComponent(JSON.stringify(policy));
}

function ourRole(overrides: Partial<Role> = {}): Role {
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

function givenRole(
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

function givenCorrectlyWiredSet(): void {
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
  const planned = await reconcile(SET, depsWith({}, { dryRun: true }));
  roleName = planned.roleArn?.split("/").pop() ?? "";
});

beforeEach(() => {
  ses.reset();
  iam.reset();
  firehose.reset();
  sleeps = [];
  clock = 1_000_000;
});

describe("a configuration set that opts in for the first time", () => {
  it("creates the role with path, tags, boundary and trust policy in one call, its inline policy, then the destination", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    iam.on(CreateRoleCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    ses.on(CreateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, depsWith({ PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN }));

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
      roleArn: roleArn(),
      deliveryStreamArn: STREAM_ARN,
    });
    expect(commandsSent()).toEqual([
      "GetConfigurationSet",
      "DescribeDeliveryStream",
      "GetConfigurationSetEventDestinations",
      "GetRole",
      "CreateRole",
      "PutRolePolicy",
      "CreateConfigurationSetEventDestination",
    ]);
    const createRole = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(createRole).toMatchObject({
      RoleName: roleName,
      Path: "/ses-firehose-autowire/",
      PermissionsBoundary: BOUNDARY_ARN,
      Tags: expect.arrayContaining([
        { Key: "managed-by", Value: "ses-firehose-autowire" },
        { Key: "ses-configuration-set", Value: SET },
        { Key: "ses-region", Value: REGION },
      ]),
    });
    expect(JSON.parse(createRole.AssumeRolePolicyDocument!)).toEqual(trustPolicyFor(REGION, ACCOUNT, SET));
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: roleName,
      PolicyName: "firehose-put-record-batch",
      PolicyDocument: JSON.stringify(permissionsPolicyFor(STREAM_ARN)),
    });
    expect(ses).toHaveReceivedCommandWith(
      CreateConfigurationSetEventDestinationCommand,
      expectedDestinationInput(),
    );
  });

  it("publishes to the stream the tag names, by name or by ARN, with the configured event types", async () => {
    for (const value of ["other-events", OTHER_STREAM_ARN]) {
      // Prepare
      ses.reset();
      iam.reset();
      firehose.reset();
      givenSet({ "ses-firehose": value });
      givenStream("ACTIVE", OTHER_STREAM_ARN);
      givenDestinations([foreignDestination]);
      givenRole(undefined);

      // Act
      const entry = await reconcile(SET, depsWith({ EVENT_TYPES: "bounce,complaint" }));

      // Assess
      expect(entry).toMatchObject({ outcome: "created", deliveryStreamArn: OTHER_STREAM_ARN });
      expect(ses).toHaveReceivedCommandWith(CreateConfigurationSetEventDestinationCommand, {
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ["BOUNCE", "COMPLAINT"],
          KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: OTHER_STREAM_ARN },
        },
      });
      expect(writesSent()).not.toContain("DeleteConfigurationSetEventDestination");
    }
  });

  it("publishes an untagged set to the default stream in mode all", async () => {
    // Prepare
    givenSet({});
    givenStream();
    givenDestinations([]);
    givenRole(undefined);

    // Act
    const entry = await reconcile(SET, depsWith({ OPT_IN_MODE: "all" }));

    // Assess
    expect(entry.outcome).toBe("created");
    expect(writesSent()).toEqual(["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"]);
  });

  it("creates no role without a boundary when none is configured", async () => {
    // Prepare
    givenSet({ "ses-firehose": "yes" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);

    // Act
    await reconcile(SET, depsWith());

    // Assess
    expect(iam.commandCalls(CreateRoleCommand)[0]!.args[0].input).not.toHaveProperty("PermissionsBoundary");
  });
});

describe("a configuration set that is already correct", () => {
  it("sends zero writes: two SES calls, two IAM calls and one stream description", async () => {
    // Prepare
    givenCorrectlyWiredSet();

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "unchanged",
      actions: [],
      roleArn: roleArn(),
      deliveryStreamArn: STREAM_ARN,
    });
    expect(commandsSent()).toEqual([
      "GetConfigurationSet",
      "DescribeDeliveryStream",
      "GetConfigurationSetEventDestinations",
      "GetRole",
      "GetRolePolicy",
    ]);
  });

  it("describes the stream once per run, even for concurrent reconciles", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    const deps = depsWith();

    // Act
    const entries = await Promise.all([reconcile(SET, deps), reconcile(SET, deps), reconcile(SET, deps)]);

    // Assess
    expect(entries.map((entry) => entry.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(firehose).toHaveReceivedCommandTimes(DescribeDeliveryStreamCommand, 1);
  });

  it("accepts a boundary that is already in place", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenRole(
      ourRole({
        PermissionsBoundary: {
          PermissionsBoundaryArn: BOUNDARY_ARN,
          PermissionsBoundaryType: "PermissionsBoundaryPolicy",
        },
      }),
    );

    // Act
    const entry = await reconcile(SET, depsWith({ PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN }));

    // Assess
    expect(entry.outcome).toBe("unchanged");
    expect(writesSent()).toEqual([]);
  });
});

describe("drift is repaired with the minimal write", () => {
  const otherSetTrust = trustPolicyFor(REGION, ACCOUNT, "someone-else");

  it.each([
    {
      drift: "a changed trust policy",
      prepare: (): void => givenRole(ourRole({ AssumeRolePolicyDocument: encoded(otherSetTrust) })),
      write: "UpdateAssumeRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyDocument: () => JSON.stringify(trustPolicyFor(REGION, ACCOUNT, SET)),
      },
    },
    {
      drift: "a changed inline policy",
      prepare: (): void => givenRole(ourRole(), permissionsPolicyFor(OTHER_STREAM_ARN)),
      write: "PutRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyName: () => "firehose-put-record-batch",
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(STREAM_ARN)),
      },
    },
    {
      drift: "a missing inline policy",
      prepare: (): void => givenRole(ourRole(), null),
      write: "PutRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(STREAM_ARN)),
      },
    },
    {
      drift: "a missing permissions boundary",
      prepare: (): void => undefined,
      env: { PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN },
      write: "PutRolePermissionsBoundary",
      input: { RoleName: () => roleName, PermissionsBoundary: () => BOUNDARY_ARN },
    },
  ])("repairs $drift on the role", async ({ prepare, write, input, env }) => {
    // Prepare
    givenCorrectlyWiredSet();
    prepare();

    // Act
    const entry = await reconcile(SET, depsWith(env ?? {}));

    // Assess
    const sent = iam.calls().find((call) => call.args[0].constructor.name === `${write}Command`);
    expect(entry).toMatchObject({ outcome: "updated", actions: [write] });
    expect(writesSent()).toEqual([write]);
    expect(sent?.args[0].input).toMatchObject(
      Object.fromEntries(Object.entries(input).map(([key, value]) => [key, value()])),
    );
  });

  it.each([
    { drift: "a disabled destination", destination: () => ourDestination({ Enabled: false }) },
    {
      drift: "another role ARN",
      destination: () =>
        ourDestination({
          KinesisFirehoseDestination: {
            IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/hand-made`,
            DeliveryStreamArn: STREAM_ARN,
          },
        }),
    },
    {
      drift: "another stream ARN",
      destination: () =>
        ourDestination({
          KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: OTHER_STREAM_ARN },
        }),
    },
    {
      drift: "fewer event types",
      destination: () => ourDestination({ MatchingEventTypes: ["SEND", "BOUNCE"] }),
    },
    {
      drift: "ten event types with SEND repeated and OPEN missing",
      destination: () =>
        ourDestination({
          MatchingEventTypes: [...ALL_EVENT_TYPES.filter((type) => type !== "OPEN"), "SEND"],
        }),
    },
    {
      drift: "a destination of another kind with our name",
      destination: () => ({
        ...foreignDestination,
        Name: "ses-firehose-autowire",
        MatchingEventTypes: [...ALL_EVENT_TYPES],
      }),
    },
  ])("updates the destination when it has $drift", async ({ destination }) => {
    // Prepare
    givenCorrectlyWiredSet();
    givenDestinations([foreignDestination, destination()]);
    ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(writesSent()).toEqual(["UpdateConfigurationSetEventDestination"]);
    expect(ses).toHaveReceivedCommandWith(
      UpdateConfigurationSetEventDestinationCommand,
      expectedDestinationInput(),
    );
  });

  it("moves a set to another stream: new inline policy and updated destination, nothing else", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenSet({ "ses-firehose": "other-events" });
    givenStream("ACTIVE", OTHER_STREAM_ARN);

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "updated",
      actions: ["PutRolePolicy", "UpdateConfigurationSetEventDestination"],
      deliveryStreamArn: OTHER_STREAM_ARN,
    });
  });
});

describe("a configuration set that opts out", () => {
  it.each([{ tags: { "ses-firehose": "disabled" } }, { tags: { "ses-firehose": "OFF" } }, { tags: {} }])(
    "removes the destination, then the inline policy, then the role (tags $tags)",
    async ({ tags }) => {
      // Prepare
      givenSet(tags);
      givenDestinations([foreignDestination, ourDestination()]);
      givenRole(ourRole());

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess
      expect(entry).toEqual({
        configurationSet: SET,
        outcome: "removed",
        actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"],
      });
      expect(writesSent()).toEqual([
        "DeleteConfigurationSetEventDestination",
        "DeleteRolePolicy",
        "DeleteRole",
      ]);
      expect(ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
        ConfigurationSetName: SET,
        EventDestinationName: "ses-firehose-autowire",
      });
      expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
        RoleName: roleName,
        PolicyName: "firehose-put-record-batch",
      });
    },
  );

  it("is skipped, with no write, when nothing of ours is present", async () => {
    // Prepare
    givenSet({});
    givenDestinations([foreignDestination]);
    givenRole(undefined);

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
    expect(writesSent()).toEqual([]);
  });

  it("treats things already gone (a concurrent opt-out) as done", async () => {
    // Prepare
    givenSet({ "ses-firehose": "no" });
    givenDestinations([ourDestination()]);
    givenRole(ourRole());
    ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(notFound());
    iam.on(DeleteRolePolicyCommand).rejects(noSuchEntity());
    iam.on(DeleteRoleCommand).rejects(noSuchEntity());

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
  });

  it("removes policies someone added to our role before deleting it", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([]);
    givenRole(ourRole());
    iam
      .on(DeleteRoleCommand)
      .rejectsOnce(
        new DeleteConflictException({
          message: "Cannot delete entity, must delete policies first.",
          $metadata: {},
        }),
      )
      .resolves({});
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["extra"] });
    iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: "ReadOnly", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
    });

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "removed",
      actions: ["DeleteRolePolicy", "DeleteRolePolicy", "DetachRolePolicy", "DeleteRole"],
    });
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: roleName,
      PolicyName: "extra",
    });
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: roleName,
      PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
  });

  it("leaves a foreign destination and a foreign role untouched", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([foreignDestination, { ...ourDestination(), Name: "ses-firehose-autowire-copy" }]);
    givenRole(ourRole({ Path: "/" }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("skipped");
    expect(writesSent()).toEqual([]);
  });
});

describe("a configuration set that no longer exists", () => {
  it("removes the managed role and does not look for destinations", async () => {
    // Prepare
    givenSet(undefined);
    givenRole(ourRole());

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteRolePolicy", "DeleteRole"],
    });
    expect(ses).not.toHaveReceivedCommand(GetConfigurationSetEventDestinationsCommand);
  });

  it("is skipped when it has no managed role", async () => {
    // Prepare
    givenSet(undefined);
    givenRole(undefined);

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
  });
});

describe("remove-only mode (the DeleteConfigurationSet function)", () => {
  it("removes the role of a set that is gone", async () => {
    // Prepare
    givenSet(undefined);
    givenRole(ourRole());

    // Act
    const entry = await reconcile(SET, depsWith({}, { removeOnly: true }));

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteRolePolicy", "DeleteRole"],
    });
  });

  it("leaves a set that was recreated and opted in to its own events: skipped, nothing read or written beyond the set", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);

    // Act
    const entry = await reconcile(SET, depsWith({}, { removeOnly: true }));

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
    expect(commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("still removes what we manage on a set that exists and is opted out", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([ourDestination()]);
    givenRole(ourRole());

    // Act
    const entry = await reconcile(SET, depsWith({}, { removeOnly: true }));

    // Assess
    expect(entry.outcome).toBe("removed");
    expect(writesSent()).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });
});

describe("every set opted out (the stack's uninstall)", () => {
  const uninstall = (extra: Partial<ReconcileDeps> = {}) => depsWith({}, { optOutEverySet: true, ...extra });

  it("removes our destination by name and then our role, whatever the tags say, without reading the set", async () => {
    // Prepare: a set tagged enabled and wired (its tags must not matter, nor be read)
    givenCorrectlyWiredSet();
    ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, uninstall());

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"],
    });
    expect(commandsSent()).toEqual([
      "DeleteConfigurationSetEventDestination",
      "GetRole",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
    expect(ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
      ConfigurationSetName: SET,
      EventDestinationName: "ses-firehose-autowire",
    });
  });

  it("removes a destination left on a set whose role the run's listing does not have (deleted by hand)", async () => {
    // Prepare
    ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(SET, uninstall({ managedRoleNames: new Set() }));

    // Assess: one SES call, no IAM call
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination"],
    });
    expect(commandsSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("is skipped, after one SES call, on a set with nothing of ours (NotFound means nothing to delete)", async () => {
    // Prepare
    ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(notFound());

    // Act
    const entry = await reconcile(SET, uninstall({ managedRoleNames: new Set() }));

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
    expect(commandsSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("never touches a role with our name that lacks our marks", async () => {
    // Prepare
    ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(notFound());
    givenRole(ourRole({ Tags: [{ Key: "owner", Value: "someone-else" }] }));

    // Act
    const entry = await reconcile(SET, uninstall());

    // Assess
    expect(entry.outcome).toBe("skipped");
    expect(writesSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("fails the set clearly when SES refuses the delete for another reason", async () => {
    // Prepare
    ses
      .on(DeleteConfigurationSetEventDestinationCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, uninstall());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: "DeleteConfigurationSetEventDestination failed with TooManyRequestsException: Too many requests",
    });
    expect(iam.calls()).toHaveLength(0);
  });

  it("in a dry run reads the destinations (even with no role listed) and plans, writing nothing", async () => {
    // Prepare
    givenDestinations([foreignDestination, ourDestination()]);

    // Act
    const entry = await reconcile(SET, uninstall({ dryRun: true, managedRoleNames: new Set() }));

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination"],
    });
    expect(writesSent()).toEqual([]);
  });
});

describe("bad input fails the set clearly and creates nothing", () => {
  it.each(["", "has space", "a/b", "n".repeat(65)])(
    "refuses the configuration set name %j without calling AWS",
    async (name) => {
      // Act
      const entry = await reconcile(name, depsWith());

      // Assess
      expect(entry).toEqual({
        configurationSet: name,
        outcome: "failed",
        actions: [],
        error: `Configuration set name "${name}" is not valid: expected 1-64 letters, digits, _ or -.`,
      });
      expect(commandsSent()).toEqual([]);
    },
  );

  it.each(["enabled!", "", "has space", "arn:aws:sns:eu-west-1:111122223333:topic", "x".repeat(65)])(
    "rejects tag value %j naming the tag, the value and what is accepted",
    async (value) => {
      // Prepare
      givenSet({ "ses-firehose": value });

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess
      expect(entry).toEqual({
        configurationSet: SET,
        outcome: "failed",
        actions: [],
        error: expect.any(String),
      });
      expect(entry.error).toContain(`ses-firehose="${value}"`);
      expect(entry.error).toMatch(/enabled.*disabled.*stream name.*ARN/);
      expect(commandsSent()).toEqual(["GetConfigurationSet"]);
    },
  );

  it("fails a set that asks for the default stream when none is configured", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });

    // Act
    const entry = await reconcile(SET, { ...depsWith(), config: loadConfig({}) });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/DEFAULT_DELIVERY_STREAM_ARN is not configured/);
    expect(writesSent()).toEqual([]);
  });

  it.each([
    {
      why: "missing",
      prepare: () =>
        firehose
          .on(DescribeDeliveryStreamCommand)
          .rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} })),
      error: /"email-events" does not exist/,
    },
    {
      why: "not ACTIVE",
      prepare: (): void => givenStream("CREATING"),
      error: /"email-events" is CREATING, not ACTIVE/,
    },
  ])("fails when the stream is $why, before any role is created", async ({ prepare, error }) => {
    // Prepare
    givenSet({ "ses-firehose": "email-events" });
    prepare();

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: [], error: expect.stringMatching(error) });
    expect(iam.calls()).toHaveLength(0);
    expect(ses).not.toHaveReceivedCommand(GetConfigurationSetEventDestinationsCommand);
  });

  it.each([
    { where: "another region", arn: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/email-events` },
    { where: "another account", arn: `arn:aws:firehose:${REGION}:444455556666:deliverystream/email-events` },
  ])("fails a stream ARN of $where without describing it", async ({ arn }) => {
    // Prepare
    givenSet({ "ses-firehose": arn });

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toContain(arn);
    expect(entry.error).toMatch(
      /only streams of this configuration set's region eu-west-1 and account 111122223333/,
    );
    expect(commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("fails before creating the role when the set already has 10 destinations, none ours", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations(Array.from({ length: 10 }, (_, i) => ({ ...foreignDestination, Name: `d${i}` })));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/already has 10 event destinations, the SES maximum.*nothing was created/);
    expect(iam.calls()).toHaveLength(0);
  });

  it("reports SES's LimitExceededException on create in the same words", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new LimitExceededException({ message: "limit", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: ["CreateRole", "PutRolePolicy"] });
    expect(entry.error).toMatch(/already has 10 event destinations/);
  });

  it("refuses to adopt a role with our name that lacks our marks", async () => {
    for (const role of [ourRole({ Path: "/" }), ourRole({ Tags: [] })]) {
      // Prepare
      ses.reset();
      iam.reset();
      firehose.reset();
      givenCorrectlyWiredSet();
      givenRole(role);

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess
      expect(entry.outcome).toBe("failed");
      expect(entry.error).toMatch(
        new RegExp(`IAM role ${roleName} already exists but is not managed by ses-firehose-autowire`),
      );
      expect(writesSent()).toEqual([]);
    }
  });

  it("names the AWS operation, error name and message of an unexpected error", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    iam.on(GetRoleCommand).rejects(
      new IAMServiceException({
        name: "AccessDenied",
        $fault: "client",
        message: "not authorized to perform iam:GetRole",
        $metadata: {},
      }),
    );

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "failed",
      actions: [],
      error: "GetRole failed with AccessDenied: not authorized to perform iam:GetRole",
    });
  });
});

describe("concurrent reconciles of one set converge without an error", () => {
  it("reads back a role created meanwhile and completes it", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    iam.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolves({ Role: ourRole() });
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
  });

  it("fails clearly if the role that already exists is not ours", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    iam.on(GetRoleCommand).resolves({ Role: ourRole({ Path: "/", Tags: [] }) });
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act: the run's listing of our path does not show it, so CreateRole is tried before any read
    const entry = await reconcile(SET, depsWith({}, { managedRoleNames: new Set() }));

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/not managed by ses-firehose-autowire/);
    expect(entry.actions).toEqual([]);
    expect(writesSent()).toEqual(["CreateRole"]); // the one IAM refused; nothing else was attempted
  });

  it("reads back a destination created meanwhile and leaves it when it is right", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    ses
      .on(GetConfigurationSetEventDestinationsCommand)
      .resolvesOnce({ EventDestinations: [] })
      .resolves({ EventDestinations: [ourDestination()] });
    givenRole(ourRole());
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "unchanged", actions: [] });
    expect(ses).not.toHaveReceivedCommand(UpdateConfigurationSetEventDestinationCommand);
  });

  it("updates a destination created meanwhile when it differs", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    ses
      .on(GetConfigurationSetEventDestinationsCommand)
      .resolvesOnce({ EventDestinations: [] })
      .resolves({ EventDestinations: [ourDestination({ Enabled: false })] });
    givenRole(ourRole());
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
  });

  it("surfaces AlreadyExistsException when the destination cannot be read back", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(ourRole());
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: "CreateConfigurationSetEventDestination failed with AlreadyExistsException: exists",
    });
  });
});

describe("IAM propagation", () => {
  const cannotAssume = () =>
    new BadRequestException({ message: `Could not assume IAM role <${roleArn()}>.`, $metadata: {} });

  function givenNewSet(): void {
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
  }

  it("retries the destination create until SES can assume the new role, with short jittered waits", async () => {
    // Prepare
    givenNewSet();
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejectsOnce(cannotAssume())
      .rejectsOnce(
        new BadRequestException({
          message: "Could not access Kinesis Firehose Stream email-events.",
          $metadata: {},
        }),
      )
      .resolves({});

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
    expect(ses).toHaveReceivedCommandTimes(CreateConfigurationSetEventDestinationCommand, 3);
    expect(sleeps).toEqual([500, 500]);
    expect(iam).toHaveReceivedCommandTimes(CreateRoleCommand, 1);
  });

  it("retries an update of the destination too", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenDestinations([ourDestination({ Enabled: false })]);
    ses.on(UpdateConfigurationSetEventDestinationCommand).rejectsOnce(cannotAssume()).resolves({});

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("updated");
    expect(ses).toHaveReceivedCommandTimes(UpdateConfigurationSetEventDestinationCommand, 2);
  });

  it("gives up when the configured budget is spent and says why", async () => {
    // Prepare
    givenNewSet();
    ses.on(CreateConfigurationSetEventDestinationCommand).rejects(cannotAssume());

    // Act
    const entry = await reconcile(SET, depsWith({ PROPAGATION_TIMEOUT_SECONDS: "20" }));

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(
      /SES still rejected the role after \d+ attempts .*IAM propagation budget 20 s spent.*Could not assume IAM role/,
    );
    expect(entry.actions).toEqual(["CreateRole", "PutRolePolicy"]);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(20_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(8_000);
  });

  it("keeps the budget inside the Lambda's remaining time", async () => {
    // Prepare
    givenNewSet();
    ses.on(CreateConfigurationSetEventDestinationCommand).rejects(cannotAssume());

    // Act
    const entry = await reconcile(SET, depsWith({}, { remainingTimeMs: () => 12_000 }));

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(2_000);
  });

  it("does not retry any other BadRequestException", async () => {
    // Prepare
    givenNewSet();
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new BadRequestException({ message: "Invalid event type.", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe(
      "CreateConfigurationSetEventDestination failed with BadRequestException: Invalid event type.",
    );
    expect(ses).toHaveReceivedCommandTimes(CreateConfigurationSetEventDestinationCommand, 1);
    expect(sleeps).toEqual([]);
  });
});

describe("dry run", () => {
  it("plans the creation of a new set, computes the role ARN, and writes nothing", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);

    // Act
    const entry = await reconcile(SET, depsWith({}, { dryRun: true }));

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
      roleArn: roleArn(),
      deliveryStreamArn: STREAM_ARN,
    });
    expect(writesSent()).toEqual([]);
  });

  it("plans repairs and removals without writing", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenRole(ourRole({ AssumeRolePolicyDocument: encoded(trustPolicyFor(REGION, ACCOUNT, "x")) }));
    givenDestinations([ourDestination({ Enabled: false })]);

    // Act
    const repaired = await reconcile(SET, depsWith({}, { dryRun: true }));
    givenSet({ "ses-firehose": "disabled" });
    const removed = await reconcile(SET, depsWith({}, { dryRun: true }));

    // Assess
    expect(repaired).toMatchObject({
      outcome: "updated",
      actions: ["UpdateAssumeRolePolicy", "UpdateConfigurationSetEventDestination"],
    });
    expect(removed).toMatchObject({
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"],
    });
    expect(writesSent()).toEqual([]);
  });
});

describe("with the run's listing of managed roles (backfill)", () => {
  it("costs exactly one SES call for a set neither opted in nor owning a role", async () => {
    // Prepare
    givenSet({});

    // Act
    const entry = await reconcile(
      SET,
      depsWith({}, { managedRoleNames: new Set(["ses-firehose-other-12345678"]) }),
    );

    // Assess
    expect(entry).toEqual({ configurationSet: SET, outcome: "skipped", actions: [] });
    expect(commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("creates a role known absent without asking IAM for it", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);

    // Act
    const entry = await reconcile(SET, depsWith({}, { managedRoleNames: new Set() }));

    // Assess
    expect(entry.outcome).toBe("created");
    expect(iam).not.toHaveReceivedCommand(GetRoleCommand);
    expect(commandsSent()).toHaveLength(6);
  });

  it("still removes a listed role of an opted-out set", async () => {
    // Prepare
    givenSet({});
    givenDestinations([ourDestination()]);
    givenRole(ourRole());

    // Act
    const entry = await reconcile(SET, depsWith({}, { managedRoleNames: new Set([roleName]) }));

    // Assess
    expect(entry.actions).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });
});

describe("unexpected and edge responses", () => {
  const serviceError = (name: string, message: string) =>
    new IAMServiceException({ name, $fault: "client", message, $metadata: {} });

  it("fails with SES's own words when GetConfigurationSet fails after the SDK's retries", async () => {
    // Prepare
    ses
      .on(GetConfigurationSetCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests.", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toEqual({
      configurationSet: SET,
      outcome: "failed",
      actions: [],
      error: "GetConfigurationSet failed with TooManyRequestsException: Too many requests.",
    });
  });

  it("reports the account's role quota when CreateRole is refused", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    iam
      .on(CreateRoleCommand)
      .rejects(serviceError("LimitExceededException", "Cannot exceed quota for RolesPerAccount: 1000"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe(
      "CreateRole failed with LimitExceededException: Cannot exceed quota for RolesPerAccount: 1000",
    );
    expect(writesSent()).toEqual(["CreateRole"]);
  });

  it("surfaces EntityAlreadyExists when the role vanished again before it could be read back", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    iam
      .on(CreateRoleCommand)
      .rejects(new EntityAlreadyExistsException({ message: "Role exists.", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe("CreateRole failed with EntityAlreadyExistsException: Role exists.");
  });

  it("fails when the inline policy cannot be read", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    iam.on(GetRolePolicyCommand).rejects(serviceError("AccessDenied", "no iam:GetRolePolicy"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe("GetRolePolicy failed with AccessDenied: no iam:GetRolePolicy");
    expect(writesSent()).toEqual([]);
  });

  it("fails when DeleteRole is refused for another reason, after removing the destination", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([ourDestination()]);
    givenRole(ourRole());
    iam.on(DeleteRoleCommand).rejects(serviceError("UnmodifiableEntityException", "protected"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy"],
      error: "DeleteRole failed with UnmodifiableEntityException: protected",
    });
  });

  it("deletes a role whose conflict cleared by itself", async () => {
    // Prepare
    givenSet(undefined);
    givenRole(ourRole());
    iam
      .on(DeleteRoleCommand)
      .rejectsOnce(new DeleteConflictException({ message: "conflict", $metadata: {} }))
      .resolves({});
    iam.on(ListRolePoliciesCommand).resolves({});
    iam.on(ListAttachedRolePoliciesCommand).resolves({});

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "removed", actions: ["DeleteRolePolicy", "DeleteRole"] });
  });

  it("never adopts an untagged role with our name", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenRole(without(ourRole(), "Tags"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(writesSent()).toEqual([]);
  });

  it("creates the destination of a set whose destination list comes back empty, on real timers", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    ses.on(GetConfigurationSetEventDestinationsCommand).resolves({});
    givenRole(undefined);
    const withRealTimers = without(depsWith(), "sleep", "random", "now");

    // Act
    const entry = await reconcile(SET, withRealTimers);

    // Assess
    expect(entry.outcome).toBe("created");
  });

  it("replaces our destination when it has no event types at all", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    const withoutTypes = without(ourDestination(), "MatchingEventTypes");
    givenDestinations([withoutTypes as EventDestination]); // the SDK types promise the field; be safe without it

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.actions).toEqual(["UpdateConfigurationSetEventDestination"]);
  });
});
