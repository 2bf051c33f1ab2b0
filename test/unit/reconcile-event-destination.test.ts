// Core layer tests: our SES event destination (shared/event-destination.ts) through reconcile — create, repair, limits, IAM propagation.
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetEventDestinationCommand,
  GetConfigurationSetEventDestinationsCommand,
  LimitExceededException,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { ALL_EVENT_TYPES } from "../../shared/config";
import { reconcile } from "../../shared/reconcile";
import {
  ACCOUNT,
  SET,
  STREAM_ARN,
  OTHER_STREAM_ARN,
  ses,
  iam,
  sleeps,
  depsWith,
  writesSent,
  givenSet,
  givenStream,
  givenDestinations,
  ourDestination,
  expectedDestinationInput,
  foreignDestination,
  roleArn,
  without,
  ourRole,
  givenRole,
  givenCorrectlyWiredSet,
} from "../support/reconcile-world";

describe("drift is repaired with the minimal write", () => {
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

describe("bad input fails the set clearly and creates nothing", () => {
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
});

describe("concurrent reconciles of one set converge without an error", () => {
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
    const entry = await reconcile(SET, depsWith({}), { remainingTimeMs: () => 12_000 });

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

describe("unexpected and edge responses", () => {
  it("creates the destination of a set whose destination list comes back empty, on real timers", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    ses.on(GetConfigurationSetEventDestinationsCommand).resolves({});
    givenRole(undefined);
    const withRealTimers = without(depsWith(), "clock");

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
