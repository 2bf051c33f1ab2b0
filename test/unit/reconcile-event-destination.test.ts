// Core layer tests: our SES event destination (shared/event-destination.ts) through reconcile — create, repair, limits, IAM propagation.
import { CreateRoleCommand, DeleteRoleCommand } from "@aws-sdk/client-iam";
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetEventDestinationCommand,
  GetConfigurationSetEventDestinationsCommand,
  LimitExceededException,
  NotFoundException,
  SESv2ServiceException,
  TooManyRequestsException,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { ALL_EVENT_TYPES } from "../../shared/config";
import { reconcile } from "../../shared/reconcile";
import * as world from "../support/reconcile-world";

describe("drift is repaired with the minimal write", () => {
  it.each([
    { drift: "a disabled destination", destination: () => world.ourDestination({ Enabled: false }) },
    {
      drift: "another role ARN",
      destination: () =>
        world.ourDestination({
          KinesisFirehoseDestination: {
            IamRoleArn: `arn:aws:iam::${world.ACCOUNT}:role/hand-made`,
            DeliveryStreamArn: world.STREAM_ARN,
          },
        }),
    },
    {
      drift: "another stream ARN",
      destination: () =>
        world.ourDestination({
          KinesisFirehoseDestination: {
            IamRoleArn: world.roleArn(),
            DeliveryStreamArn: world.OTHER_STREAM_ARN,
          },
        }),
    },
    {
      drift: "fewer event types",
      destination: () => world.ourDestination({ MatchingEventTypes: ["SEND", "BOUNCE"] }),
    },
    {
      drift: "ten event types with SEND repeated and OPEN missing",
      destination: () =>
        world.ourDestination({
          MatchingEventTypes: [...ALL_EVENT_TYPES.filter((type) => type !== "OPEN"), "SEND"],
        }),
    },
    {
      drift: "a destination of another kind with our name",
      destination: () => ({
        ...world.foreignDestination,
        Name: "ses-firehose-autowire",
        MatchingEventTypes: [...ALL_EVENT_TYPES],
      }),
    },
  ])("updates the destination when it has $drift", async ({ destination }) => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenDestinations([world.foreignDestination, destination()]);
    world.ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(world.writesSent()).toEqual(["UpdateConfigurationSetEventDestination"]);
    expect(world.ses).toHaveReceivedCommandWith(
      UpdateConfigurationSetEventDestinationCommand,
      world.expectedDestinationInput(),
    );
  });

  it("moves a set to another stream: new inline policy and updated destination, nothing else", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenSet({ "ses-firehose": "other-events" });
    world.givenStream("ACTIVE", world.OTHER_STREAM_ARN);

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "updated",
      actions: ["PutRolePolicy", "UpdateConfigurationSetEventDestination"],
      deliveryStreamArn: world.OTHER_STREAM_ARN,
    });
  });
});

describe("bad input fails the set clearly and creates nothing", () => {
  it("fails before creating the role when the set already has 10 destinations, none ours", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "enabled" });
    world.givenStream();
    world.givenDestinations(
      Array.from({ length: 10 }, (_, i) => ({ ...world.foreignDestination, Name: `d${i}` })),
    );

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/already has 10 event destinations, the SES maximum.*nothing was created/);
    expect(world.iam.calls()).toHaveLength(0);
  });

  it("reports SES's LimitExceededException on create in the same words", async () => {
    // Prepare
    world.givenNewOptedInSet();
    world.ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new LimitExceededException({ message: "limit", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: ["CreateRole", "PutRolePolicy"] });
    expect(entry.error).toMatch(/already has 10 event destinations/);
  });
});

/** An opted-in set with our role, whose destination list is empty at first and then holds `destination`. */
function givenDestinationCreatedMeanwhile(destination: EventDestination): void {
  world.givenSet({ "ses-firehose": "enabled" });
  world.givenStream();
  world.ses
    .on(GetConfigurationSetEventDestinationsCommand)
    .resolvesOnce({ EventDestinations: [] })
    .resolves({ EventDestinations: [destination] });
  world.givenRole(world.ourRole());
}

describe("concurrent reconciles of one set converge without an error", () => {
  it("reads back a destination created meanwhile and leaves it when it is right", async () => {
    // Prepare
    givenDestinationCreatedMeanwhile(world.ourDestination());
    world.ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "unchanged", actions: [] });
    expect(world.ses).not.toHaveReceivedCommand(UpdateConfigurationSetEventDestinationCommand);
  });

  it("updates a destination created meanwhile when it differs", async () => {
    // Prepare
    givenDestinationCreatedMeanwhile(world.ourDestination({ Enabled: false }));
    world.ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
  });

  it("surfaces AlreadyExistsException when the destination cannot be read back", async () => {
    // Prepare
    world.givenOptedInSet();
    world.givenRole(world.ourRole());
    world.ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new AlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: "CreateConfigurationSetEventDestination failed with AlreadyExistsException: exists",
    });
  });
});

describe("a create SES refuses for a reason other than a concurrent create", () => {
  it.each([
    new TooManyRequestsException({ message: "Too many requests.", $metadata: {} }),
    new NotFoundException({ message: `Configuration set <${world.SET}> does not exist.`, $metadata: {} }),
  ])("fails the set with $name and does not take a destination seen afterwards as ours", async (refusal) => {
    // Prepare: a destination with our name shows up after the refused create (another writer, or a stale read)
    givenDestinationCreatedMeanwhile(world.ourDestination());
    world.ses.on(CreateConfigurationSetEventDestinationCommand).rejects(refusal);

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess: the backfill retries a throttled set by its errorName, so the failure must not turn into success
    expect(entry).toEqual({
      configurationSet: world.SET,
      outcome: "failed",
      actions: [],
      error: `CreateConfigurationSetEventDestination failed with ${refusal.name}: ${refusal.message}`,
      errorName: refusal.name,
    });
    expect(world.ses).toHaveReceivedCommandTimes(GetConfigurationSetEventDestinationsCommand, 1);
    expect(world.ses).not.toHaveReceivedCommand(UpdateConfigurationSetEventDestinationCommand);
  });
});

describe("reading the set's destinations", () => {
  const accessDenied = () =>
    new SESv2ServiceException({
      name: "AccessDeniedException",
      $fault: "client",
      message: "User is not authorized to perform: ses:GetConfigurationSetEventDestinations",
      $metadata: {},
    });
  const expectedError =
    "GetConfigurationSetEventDestinations failed with AccessDeniedException: " +
    "User is not authorized to perform: ses:GetConfigurationSetEventDestinations";

  it("asks SES for the destinations of the set being reconciled", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("unchanged");
    expect(world.ses).toHaveReceivedCommandWith(GetConfigurationSetEventDestinationsCommand, {
      ConfigurationSetName: world.SET,
    });
  });

  it("names the read when it fails on an opted-in set, before any role is created", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "enabled" });
    world.givenStream();
    world.givenRole(undefined);
    world.ses.on(GetConfigurationSetEventDestinationsCommand).rejects(accessDenied());

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: [], error: expectedError });
    expect(world.writesSent()).toEqual([]);
  });

  it("names the read when it fails on an opted-out set, and keeps the role our destination may still use", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "disabled" });
    world.givenRole(world.ourRole());
    world.ses.on(GetConfigurationSetEventDestinationsCommand).rejects(accessDenied());

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: [], error: expectedError });
    expect(world.ses).toHaveReceivedCommandWith(GetConfigurationSetEventDestinationsCommand, {
      ConfigurationSetName: world.SET,
    });
    expect(world.iam).not.toHaveReceivedCommand(DeleteRoleCommand);
  });
});

describe("IAM propagation", () => {
  const cannotAssume = () =>
    new BadRequestException({ message: `Could not assume IAM role <${world.roleArn()}>.`, $metadata: {} });

  function givenNewSet(): void {
    world.givenNewOptedInSet();
  }

  it("retries the destination create until SES can assume the new role, with short jittered waits", async () => {
    // Prepare
    givenNewSet();
    world.ses
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
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
    expect(world.ses).toHaveReceivedCommandTimes(CreateConfigurationSetEventDestinationCommand, 3);
    expect(world.sleeps).toEqual([500, 500]);
    expect(world.iam).toHaveReceivedCommandTimes(CreateRoleCommand, 1);
  });

  it("retries an update of the destination too", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenDestinations([world.ourDestination({ Enabled: false })]);
    world.ses.on(UpdateConfigurationSetEventDestinationCommand).rejectsOnce(cannotAssume()).resolves({});

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("updated");
    expect(world.ses).toHaveReceivedCommandTimes(UpdateConfigurationSetEventDestinationCommand, 2);
  });

  it("gives up when the configured budget is spent and says why", async () => {
    // Prepare
    givenNewSet();
    world.ses.on(CreateConfigurationSetEventDestinationCommand).rejects(cannotAssume());

    // Act
    const entry = await reconcile(world.SET, world.depsWith({ PROPAGATION_TIMEOUT_SECONDS: "20" }));

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(
      /SES still rejected the role after \d+ attempts .*IAM propagation budget 20 s spent.*Could not assume IAM role/,
    );
    expect(entry.actions).toEqual(["CreateRole", "PutRolePolicy"]);
    expect(world.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(20_000);
    expect(Math.max(...world.sleeps)).toBeLessThanOrEqual(8_000);
  });

  it("keeps the budget inside the Lambda's remaining time", async () => {
    // Prepare
    givenNewSet();
    world.ses.on(CreateConfigurationSetEventDestinationCommand).rejects(cannotAssume());

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { remainingTimeMs: () => 12_000 });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(world.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(2_000);
  });

  it("does not retry any other BadRequestException", async () => {
    // Prepare
    givenNewSet();
    world.ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(new BadRequestException({ message: "Invalid event type.", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.error).toBe(
      "CreateConfigurationSetEventDestination failed with BadRequestException: Invalid event type.",
    );
    expect(world.ses).toHaveReceivedCommandTimes(CreateConfigurationSetEventDestinationCommand, 1);
    expect(world.sleeps).toEqual([]);
  });
});

describe("unexpected and edge responses", () => {
  it("creates the destination of a set whose destination list comes back empty, on real timers", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "enabled" });
    world.givenStream();
    world.ses.on(GetConfigurationSetEventDestinationsCommand).resolves({});
    world.givenRole(undefined);
    const withRealTimers = world.without(world.depsWith(), "clock");

    // Act
    const entry = await reconcile(world.SET, withRealTimers);

    // Assess
    expect(entry.outcome).toBe("created");
  });

  it("replaces our destination when it has no event types at all", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    const withoutTypes = world.without(world.ourDestination(), "MatchingEventTypes");
    world.givenDestinations([withoutTypes as EventDestination]); // the SDK types promise the field; be safe without it

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.actions).toEqual(["UpdateConfigurationSetEventDestination"]);
  });
});
