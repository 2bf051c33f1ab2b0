// Core layer tests: reconcile one configuration set end to end against mocked clients (docs/architecture.md, "Reconcile").
import { DescribeDeliveryStreamCommand, ResourceNotFoundException } from "@aws-sdk/client-firehose";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMServiceException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-sesv2";
import { loadConfig } from "../../shared/config";
import { permissionsPolicyFor, trustPolicyFor } from "../../shared/policies";
import { reconcile } from "../../shared/reconcile";
import {
  REGION,
  ACCOUNT,
  SET,
  STREAM_ARN,
  OTHER_STREAM_ARN,
  BOUNDARY_ARN,
  ses,
  iam,
  firehose,
  depsWith,
  commandsSent,
  writesSent,
  notFound,
  noSuchEntity,
  givenSet,
  givenStream,
  givenDestinations,
  ourDestination,
  expectedDestinationInput,
  foreignDestination,
  roleName,
  roleArn,
  ourRole,
  givenRole,
  givenCorrectlyWiredSet,
} from "../support/reconcile-world";

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
    const entry = await reconcile(SET, depsWith({}), { removeOnly: true });

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
    const entry = await reconcile(SET, depsWith({}), { removeOnly: true });

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
    const entry = await reconcile(SET, depsWith({}), { removeOnly: true });

    // Assess
    expect(entry.outcome).toBe("removed");
    expect(writesSent()).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
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
        errorName: "InvalidConfigurationSetNameError",
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
        errorName: "InvalidTagValueError",
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
      errorName: "AccessDenied",
    });
  });
});

describe("unexpected and edge responses", () => {
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
      errorName: "TooManyRequestsException",
    });
  });
});
