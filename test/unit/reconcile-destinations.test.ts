// Core layer tests: reconcile compares our event destination as SES would use it (event types as a set), and
// counts the set's destinations against SES's limit of ten only when ours is not among them.
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import type { EventType } from "../../shared/config";
import { reconcile } from "../../shared/reconcile";
import {
  ACCOUNT,
  depsWith,
  expectedDestinationInput,
  givenDestinations,
  givenRole,
  givenSet,
  givenStream,
  iam,
  ourDestination,
  ourRole,
  REGION,
  roleArn,
  ses,
  SET,
  STREAM_ARN,
} from "../support/reconcile-world";

/** Five of the ten event types: a destination can then differ in its types and still have as many. */
const EVENT_TYPES: EventType[] = ["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY"];

/** Reconciles the set with EVENT_TYPES configured. */
const reconcileFiveTypes = () => reconcile(SET, depsWith({ EVENT_TYPES: EVENT_TYPES.join(",") }));

/** The set opted in to the default stream, with these destinations; the role ours and right, or none yet. */
function givenOptedIn(destinations: EventDestination[], role: "ours" | "none" = "ours"): void {
  givenSet({ "ses-firehose": "enabled" });
  givenStream();
  givenDestinations(destinations);
  givenRole(role === "ours" ? ourRole() : undefined);
}

/** Our destination as it should be with EVENT_TYPES, unless overridden. */
const ours = (overrides: Partial<EventDestination> = {}) =>
  ourDestination({ MatchingEventTypes: EVENT_TYPES, ...overrides });

/** `n` destinations of other tools (SNS topics), none ours. */
function foreignDestinations(n: number): EventDestination[] {
  return Array.from({ length: n }, (_, i) => ({
    Name: `other-${i}`,
    Enabled: true,
    MatchingEventTypes: ["BOUNCE"],
    SnsDestination: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:topic-${i}` },
  }));
}

/** The input SES must receive to create or repair our destination, with EVENT_TYPES. */
function desiredInput() {
  const input = expectedDestinationInput();
  return { ...input, EventDestination: { ...input.EventDestination, MatchingEventTypes: EVENT_TYPES } };
}

describe("our destination's event types are compared as a set", () => {
  it("leaves alone the same types in another order, one of them twice", async () => {
    // Prepare
    const types: EventType[] = ["DELIVERY", "SEND", "COMPLAINT", "BOUNCE", "REJECT", "SEND"];
    givenOptedIn([ours({ MatchingEventTypes: types })]);

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "unchanged", actions: [] });
    expect(ses).not.toHaveReceivedCommand(UpdateConfigurationSetEventDestinationCommand);
  });

  it.each<[string, EventDestination["MatchingEventTypes"]]>([
    [
      "as many types, one of them another (OPEN for DELIVERY)",
      ["SEND", "REJECT", "BOUNCE", "COMPLAINT", "OPEN"],
    ],
    [
      "as many types, all of them others",
      ["OPEN", "CLICK", "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"],
    ],
    ["one type fewer", ["SEND", "REJECT", "BOUNCE", "COMPLAINT"]],
    ["one type more", [...EVENT_TYPES, "OPEN"]],
    ["no types", []],
  ])("repairs a destination with %s, sending exactly the configured types", async (_, types) => {
    // Prepare
    givenOptedIn([ours({ MatchingEventTypes: types })]);

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(ses).toHaveReceivedCommandTimes(UpdateConfigurationSetEventDestinationCommand, 1);
    expect(ses).toHaveReceivedCommandWith(UpdateConfigurationSetEventDestinationCommand, desiredInput());
  });

  it.each<[string, Partial<EventDestination>]>([
    ["disabled", { Enabled: false }],
    [
      "publishing with another role",
      { KinesisFirehoseDestination: { IamRoleArn: `${roleArn()}-x`, DeliveryStreamArn: STREAM_ARN } },
    ],
    [
      "publishing to another stream",
      { KinesisFirehoseDestination: { IamRoleArn: roleArn(), DeliveryStreamArn: `${STREAM_ARN}-x` } },
    ],
    [
      "turned into an SNS destination",
      {
        KinesisFirehoseDestination: undefined,
        SnsDestination: { TopicArn: "arn:aws:sns:eu-west-1:111122223333:t" },
      },
    ],
  ])("repairs a destination that is %s", async (_, drift) => {
    // Prepare
    givenOptedIn([ours(drift)]);

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(ses).toHaveReceivedCommandWith(UpdateConfigurationSetEventDestinationCommand, desiredInput());
  });
});

describe("SES's limit of ten destinations per configuration set", () => {
  it("leaves alone a set with ten destinations, one of them ours and right", async () => {
    // Prepare
    givenOptedIn([...foreignDestinations(9), ours()]);

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "unchanged", actions: [] });
  });

  it("repairs ours in a set with ten destinations, one of them ours", async () => {
    // Prepare
    givenOptedIn([ours({ Enabled: false }), ...foreignDestinations(9)]);

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateConfigurationSetEventDestination"] });
    expect(ses).toHaveReceivedCommandWith(UpdateConfigurationSetEventDestinationCommand, desiredInput());
  });

  it("adds ours as the tenth destination", async () => {
    // Prepare
    givenOptedIn(foreignDestinations(9), "none");

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
    expect(ses).toHaveReceivedCommandWith(CreateConfigurationSetEventDestinationCommand, desiredInput());
  });

  it("fails a set that already has ten destinations, none ours, before creating the role", async () => {
    // Prepare
    givenOptedIn(foreignDestinations(10), "none");

    // Act
    const entry = await reconcileFiveTypes();

    // Assess
    expect(entry).toMatchObject({ outcome: "failed", actions: [] });
    expect(entry.error).toContain(
      `Configuration set ${SET} already has 10 event destinations, the SES maximum`,
    );
    expect(iam).not.toHaveReceivedCommand(CreateRoleCommand);
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
    expect(ses).not.toHaveReceivedCommand(CreateConfigurationSetEventDestinationCommand);
  });
});
