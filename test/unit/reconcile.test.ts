// Core layer tests: reconcile one configuration set end to end against mocked clients (docs/architecture.md, "Reconcile").
import {
  DescribeDeliveryStreamCommand,
  FirehoseServiceException,
  ResourceNotFoundException,
} from "@aws-sdk/client-firehose";
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
import type { RunOptions } from "../../shared/deps";
import { reconcile } from "../../shared/reconcile";
import * as world from "../support/reconcile-world";

/** The whole entry of a set whose wiring was removed, with the writes it made in order. */
function removedEntry(...actions: string[]) {
  return { configurationSet: world.SET, outcome: "removed", actions };
}

/** The whole entry of a set that failed before anything was written: no action, the error and its name. */
function failedBeforeAnyWrite(error: unknown, errorName: string, configurationSet = world.SET) {
  return { configurationSet, outcome: "failed", actions: [], error, errorName };
}

describe("a configuration set that opts in for the first time", () => {
  it("creates the role with path, tags, boundary and trust policy in one call, its inline policy, then the destination", async () => {
    // Prepare
    world.givenNewOptedInSet();
    world.iam.on(CreateRoleCommand).resolves({});
    world.iam.on(PutRolePolicyCommand).resolves({});
    world.ses.on(CreateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(
      world.SET,
      world.depsWith({ PERMISSIONS_BOUNDARY_ARN: world.BOUNDARY_ARN }),
    );

    // Assess
    expect(entry).toEqual(world.createdEntry());
    expect(world.commandsSent()).toEqual([
      "GetConfigurationSet",
      "DescribeDeliveryStream",
      "GetConfigurationSetEventDestinations",
      "GetRole",
      "CreateRole",
      "PutRolePolicy",
      "CreateConfigurationSetEventDestination",
    ]);
    const createRole = world.iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(createRole).toMatchObject({
      RoleName: world.roleName,
      Path: "/ses-firehose-autowire/",
      PermissionsBoundary: world.BOUNDARY_ARN,
      Description: `Lets SES configuration set ${world.SET} (${world.REGION}) publish events to Kinesis Data Firehose.`,
      Tags: expect.arrayContaining([
        { Key: "managed-by", Value: "ses-firehose-autowire" },
        { Key: "ses-configuration-set", Value: world.SET },
        { Key: "ses-region", Value: world.REGION },
      ]),
    });
    expect(JSON.parse(createRole.AssumeRolePolicyDocument!)).toEqual(
      trustPolicyFor(world.REGION, world.ACCOUNT, world.SET),
    );
    expect(world.iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: world.roleName,
      PolicyName: "firehose-put-record-batch",
      PolicyDocument: JSON.stringify(permissionsPolicyFor(world.STREAM_ARN)),
    });
    expect(world.ses).toHaveReceivedCommandWith(
      CreateConfigurationSetEventDestinationCommand,
      world.expectedDestinationInput(),
    );
  });

  it("publishes to the stream the tag names, by name or by ARN, with the configured event types", async () => {
    for (const value of ["other-events", world.OTHER_STREAM_ARN]) {
      // Prepare
      world.ses.reset();
      world.iam.reset();
      world.firehose.reset();
      world.givenSet({ "ses-firehose": value });
      world.givenStream("ACTIVE", world.OTHER_STREAM_ARN);
      world.givenDestinations([world.foreignDestination]);
      world.givenRole(undefined);

      // Act
      const entry = await reconcile(world.SET, world.depsWith({ EVENT_TYPES: "bounce,complaint" }));

      // Assess
      expect(entry).toMatchObject({ outcome: "created", deliveryStreamArn: world.OTHER_STREAM_ARN });
      expect(world.ses).toHaveReceivedCommandWith(CreateConfigurationSetEventDestinationCommand, {
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ["BOUNCE", "COMPLAINT"],
          KinesisFirehoseDestination: {
            IamRoleArn: world.roleArn(),
            DeliveryStreamArn: world.OTHER_STREAM_ARN,
          },
        },
      });
      expect(world.writesSent()).not.toContain("DeleteConfigurationSetEventDestination");
    }
  });

  it("publishes an untagged set to the default stream in mode all", async () => {
    // Prepare
    world.givenSet({});
    world.givenStream();
    world.givenDestinations([]);
    world.givenRole(undefined);

    // Act
    const entry = await reconcile(world.SET, world.depsWith({ OPT_IN_MODE: "all" }));

    // Assess
    expect(entry.outcome).toBe("created");
    expect(world.writesSent()).toEqual([
      "CreateRole",
      "PutRolePolicy",
      "CreateConfigurationSetEventDestination",
    ]);
  });

  it("creates no role without a boundary when none is configured", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "yes" });
    world.givenStream();
    world.givenDestinations([]);
    world.givenRole(undefined);

    // Act
    await reconcile(world.SET, world.depsWith());

    // Assess
    expect(world.iam.commandCalls(CreateRoleCommand)[0]!.args[0].input).not.toHaveProperty(
      "PermissionsBoundary",
    );
  });
});

describe("a configuration set that is already correct", () => {
  it("sends zero writes: two SES calls, two IAM calls and one stream description", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual({
      configurationSet: world.SET,
      outcome: "unchanged",
      actions: [],
      roleArn: world.roleArn(),
      deliveryStreamArn: world.STREAM_ARN,
    });
    expect(world.commandsSent()).toEqual([
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
      world.givenSet(tags);
      world.givenDestinations([world.foreignDestination, world.ourDestination()]);
      world.givenRole(world.ourRole());

      // Act
      const entry = await reconcile(world.SET, world.depsWith());

      // Assess
      expect(entry).toEqual(
        removedEntry("DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"),
      );
      expect(world.writesSent()).toEqual([
        "DeleteConfigurationSetEventDestination",
        "DeleteRolePolicy",
        "DeleteRole",
      ]);
      expect(world.ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
        ConfigurationSetName: world.SET,
        EventDestinationName: "ses-firehose-autowire",
      });
      expect(world.iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
        RoleName: world.roleName,
        PolicyName: "firehose-put-record-batch",
      });
    },
  );

  it("is skipped, with no write, when nothing of ours is present", async () => {
    // Prepare
    world.givenSet({});
    world.givenDestinations([world.foreignDestination]);
    world.givenRole(undefined);

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
    expect(world.writesSent()).toEqual([]);
  });

  it("treats things already gone (a concurrent opt-out) as done", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "no" });
    world.givenDestinations([world.ourDestination()]);
    world.givenRole(world.ourRole());
    world.ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(world.notFound());
    world.iam.on(DeleteRolePolicyCommand).rejects(world.noSuchEntity());
    world.iam.on(DeleteRoleCommand).rejects(world.noSuchEntity());

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
  });

  it("leaves a foreign destination and a foreign role untouched", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "disabled" });
    world.givenDestinations([
      world.foreignDestination,
      { ...world.ourDestination(), Name: "ses-firehose-autowire-copy" },
    ]);
    world.givenRole(world.ourRole({ Path: "/" }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("skipped");
    expect(world.writesSent()).toEqual([]);
  });
});

describe("a configuration set that no longer exists", () => {
  it("removes the managed role and does not look for destinations", async () => {
    // Prepare
    world.givenSet(undefined);
    world.givenRole(world.ourRole());

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual(removedEntry("DeleteRolePolicy", "DeleteRole"));
    expect(world.ses).not.toHaveReceivedCommand(GetConfigurationSetEventDestinationsCommand);
  });

  it("is skipped when it has no managed role", async () => {
    // Prepare
    world.givenSet(undefined);
    world.givenRole(undefined);

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
  });
});

describe("remove-only mode (the DeleteConfigurationSet function)", () => {
  it("removes the role of a set that is gone", async () => {
    // Prepare
    world.givenSet(undefined);
    world.givenRole(world.ourRole());

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { removeOnly: true });

    // Assess
    expect(entry).toEqual(removedEntry("DeleteRolePolicy", "DeleteRole"));
  });

  it("leaves a set that was recreated and opted in to its own events: skipped, nothing read or written beyond the set", async () => {
    // Prepare
    world.givenNewOptedInSet();

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { removeOnly: true });

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
    expect(world.commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("still removes what we manage on a set that exists and is opted out", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "disabled" });
    world.givenDestinations([world.ourDestination()]);
    world.givenRole(world.ourRole());

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { removeOnly: true });

    // Assess
    expect(entry.outcome).toBe("removed");
    expect(world.writesSent()).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });
});

describe("every set opted out (the stack's uninstall)", () => {
  const uninstall = (extra: RunOptions = {}) =>
    [world.depsWith(), { optOutEverySet: true, ...extra }] as const;

  it("removes our destination by name and then our role, whatever the tags say, without reading the set", async () => {
    // Prepare: a set tagged enabled and wired (its tags must not matter, nor be read)
    world.givenCorrectlyWiredSet();
    world.ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(world.SET, ...uninstall());

    // Assess
    expect(entry).toEqual(
      removedEntry("DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"),
    );
    expect(world.commandsSent()).toEqual([
      "DeleteConfigurationSetEventDestination",
      "GetRole",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
    expect(world.ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
      ConfigurationSetName: world.SET,
      EventDestinationName: "ses-firehose-autowire",
    });
  });

  it("removes a destination left on a set whose role the run's listing does not have (deleted by hand)", async () => {
    // Prepare
    world.ses.on(DeleteConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(world.SET, ...uninstall({ managedRoleNames: new Set() }));

    // Assess: one SES call, no IAM call
    expect(entry).toEqual(removedEntry("DeleteConfigurationSetEventDestination"));
    expect(world.commandsSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("is skipped, after one SES call, on a set with nothing of ours (NotFound means nothing to delete)", async () => {
    // Prepare
    world.ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(world.notFound());

    // Act
    const entry = await reconcile(world.SET, ...uninstall({ managedRoleNames: new Set() }));

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
    expect(world.commandsSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("never touches a role with our name that lacks our marks", async () => {
    // Prepare
    world.ses.on(DeleteConfigurationSetEventDestinationCommand).rejects(world.notFound());
    world.givenRole(world.ourRole({ Tags: [{ Key: "owner", Value: "someone-else" }] }));

    // Act
    const entry = await reconcile(world.SET, ...uninstall());

    // Assess
    expect(entry.outcome).toBe("skipped");
    expect(world.writesSent()).toEqual(["DeleteConfigurationSetEventDestination"]);
  });

  it("fails the set clearly when SES refuses the delete for another reason", async () => {
    // Prepare
    world.ses
      .on(DeleteConfigurationSetEventDestinationCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, ...uninstall());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: "DeleteConfigurationSetEventDestination failed with TooManyRequestsException: Too many requests",
    });
    expect(world.iam.calls()).toHaveLength(0);
  });

  it("in a dry run reads the destinations (even with no role listed) and plans, writing nothing", async () => {
    // Prepare
    world.givenDestinations([world.foreignDestination, world.ourDestination()]);

    // Act
    const entry = await reconcile(world.SET, ...uninstall({ dryRun: true, managedRoleNames: new Set() }));

    // Assess
    expect(entry).toEqual(removedEntry("DeleteConfigurationSetEventDestination"));
    expect(world.writesSent()).toEqual([]);
  });
  it("in a dry run plans nothing for a set without our destination: skipped, as the real uninstall would be", async () => {
    // Prepare
    world.givenDestinations([world.foreignDestination]);

    // Act
    const entry = await reconcile(world.SET, ...uninstall({ dryRun: true, managedRoleNames: new Set() }));

    // Assess: the plan does not claim a delete the real run would not make
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
    expect(world.commandsSent()).toEqual(["GetConfigurationSetEventDestinations"]);
  });
});

describe("bad input fails the set clearly and creates nothing", () => {
  it.each(["", "has space", "a/b", "n".repeat(65)])(
    "refuses the configuration set name %j without calling AWS",
    async (name) => {
      // Act
      const entry = await reconcile(name, world.depsWith());

      // Assess
      expect(entry).toEqual(
        failedBeforeAnyWrite(
          `Configuration set name "${name}" is not valid: expected 1-64 letters, digits, _ or -.`,
          "InvalidConfigurationSetNameError",
          name,
        ),
      );
      expect(world.commandsSent()).toEqual([]);
    },
  );

  it.each(["enabled!", "", "has space", "arn:aws:sns:eu-west-1:111122223333:topic", "x".repeat(65)])(
    "rejects tag value %j naming the tag, the value and what is accepted",
    async (value) => {
      // Prepare
      world.givenSet({ "ses-firehose": value });

      // Act
      const entry = await reconcile(world.SET, world.depsWith());

      // Assess
      expect(entry).toEqual(failedBeforeAnyWrite(expect.any(String), "InvalidTagValueError"));
      expect(entry.error).toContain(`ses-firehose="${value}"`);
      expect(entry.error).toMatch(/enabled.*disabled.*stream name.*ARN/);
      expect(world.commandsSent()).toEqual(["GetConfigurationSet"]);
    },
  );

  it("fails a set that asks for the default stream when none is configured", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "enabled" });

    // Act
    const entry = await reconcile(world.SET, { ...world.depsWith(), config: loadConfig({}) });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/DEFAULT_DELIVERY_STREAM_ARN is not configured/);
    expect(world.writesSent()).toEqual([]);
  });

  it.each([
    {
      why: "missing",
      prepare: () =>
        world.firehose
          .on(DescribeDeliveryStreamCommand)
          .rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} })),
      error: /"email-events" does not exist/,
    },
    {
      why: "not ACTIVE",
      prepare: (): void => world.givenStream("CREATING"),
      error: /"email-events" is CREATING, not ACTIVE/,
    },
  ])("fails when the stream is $why, before any role is created", async ({ prepare, error }) => {
    // Prepare
    world.givenSet({ "ses-firehose": "email-events" });
    prepare();

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: [], error: expect.stringMatching(error) });
    expect(world.iam.calls()).toHaveLength(0);
    expect(world.ses).not.toHaveReceivedCommand(GetConfigurationSetEventDestinationsCommand);
  });

  it.each([
    {
      where: "another region",
      arn: `arn:aws:firehose:us-east-1:${world.ACCOUNT}:deliverystream/email-events`,
    },
    {
      where: "another account",
      arn: `arn:aws:firehose:${world.REGION}:444455556666:deliverystream/email-events`,
    },
  ])("fails a stream ARN of $where without describing it", async ({ arn }) => {
    // Prepare
    world.givenSet({ "ses-firehose": arn });

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toContain(arn);
    expect(entry.error).toMatch(
      /only streams of this configuration set's region eu-west-1 and account 111122223333/,
    );
    expect(world.commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("names the AWS operation, error name and message of an unexpected error", async () => {
    // Prepare
    world.givenOptedInSet();
    world.iam.on(GetRoleCommand).rejects(
      new IAMServiceException({
        name: "AccessDenied",
        $fault: "client",
        message: "not authorized to perform iam:GetRole",
        $metadata: {},
      }),
    );

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual(
      failedBeforeAnyWrite(
        "GetRole failed with AccessDenied: not authorized to perform iam:GetRole",
        "AccessDenied",
      ),
    );
  });
});

describe("unexpected and edge responses", () => {
  it("fails with SES's own words when GetConfigurationSet fails after the SDK's retries", async () => {
    // Prepare
    world.ses
      .on(GetConfigurationSetCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests.", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual(
      failedBeforeAnyWrite(
        "GetConfigurationSet failed with TooManyRequestsException: Too many requests.",
        "TooManyRequestsException",
      ),
    );
  });

  it("names DescribeDeliveryStream when Firehose refuses to describe the stream, and creates nothing", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "email-events" });
    world.firehose.on(DescribeDeliveryStreamCommand).rejects(
      new FirehoseServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        message: "not authorized to perform: firehose:DescribeDeliveryStream",
        $metadata: {},
      }),
    );

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toEqual(
      failedBeforeAnyWrite(
        "DescribeDeliveryStream failed with AccessDeniedException: not authorized to perform: " +
          "firehose:DescribeDeliveryStream",
        "AccessDeniedException",
      ),
    );
    expect(world.iam.calls()).toHaveLength(0);
  });
});
