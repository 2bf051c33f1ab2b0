// End-to-end test (built bundles + simulator): mode `all`, drift repair after tampering, and bad events that must
// fail clearly (for the dead-letter queue) without leaving a partial resource behind.
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  UpdateConfigurationSetEventDestinationCommand,
} from "@aws-sdk/client-sesv2";
import type { ReportEntry } from "../../shared/report";
import {
  createEvent,
  DESTINATION_NAME,
  fixtureEvent,
  INLINE_POLICY_NAME,
  readWiring,
  ROLE_PATH,
  startE2eWorld,
  tagEvent,
  unwiredProblems,
  wiringProblems,
  writeCalls,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type InvokeResult, type LambdaContainer } from "../support/lambda-runtime";

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

let world: E2eWorld;
let created: LambdaContainer;
let tagged: LambdaContainer;

beforeAll(async () => {
  assertBuilt();
  world = await startE2eWorld();
  [created, tagged] = await Promise.all([
    world.container("OnConfigurationSetCreatedFunction"),
    world.container("OnConfigurationSetTaggedFunction"),
  ]);
});

afterAll(async () => {
  await world?.stop();
});

function failure(invocation: InvokeResult<EventResult>): string {
  if (invocation.ok)
    throw new Error(`expected the invocation to fail, got ${JSON.stringify(invocation.result)}`);
  return `${invocation.error.errorType}: ${invocation.error.errorMessage}`;
}

describe("OPT_IN_MODE=all", () => {
  it("wires a set created without any tag to the default stream, and leaves a set tagged disabled alone", async () => {
    // Prepare
    const allMode = await world.container("OnConfigurationSetCreatedFunction", {
      env: { OPT_IN_MODE: "all" },
    });
    world.sim.state.createConfigurationSet("everything");
    world.sim.state.createConfigurationSet("quiet", { "ses-firehose": "disabled" });
    // Act
    const untaggedResult = resultOf(await allMode.invoke<EventResult>(createEvent("everything")));
    const disabledResult = resultOf(
      await allMode.invoke<EventResult>(createEvent("quiet", { tags: { "ses-firehose": "disabled" } })),
    );
    // Assess
    expect(untaggedResult).toMatchObject({ status: "reconciled", results: [{ outcome: "created" }] });
    expect(disabledResult).toMatchObject({ status: "reconciled", results: [{ outcome: "skipped" }] });
    expect(wiringProblems(world, await readWiring(world, "everything"), world.defaultStreamArn)).toEqual([]);
    expect(unwiredProblems(await readWiring(world, "quiet"))).toEqual([]);
  });
});

describe("invalid configuration", () => {
  it("fails the cold start with one message naming the variable and what is accepted, before any AWS call", async () => {
    // Prepare
    world.sim.callLog.reset();
    const misconfigured = await world.container("OnConfigurationSetTaggedFunction", {
      env: { OPT_IN_MODE: "sometimes" },
    });
    // Act
    const invocation = await misconfigured.invoke(tagEvent("anything", { "ses-firehose": "enabled" }));
    // Assess
    expect(invocation).toMatchObject({
      ok: false,
      phase: "init",
      error: {
        errorType: "ConfigError",
        errorMessage: 'OPT_IN_MODE="sometimes" is not valid: expected "tag" or "all".',
      },
    });
    expect(world.sim.callLog.count()).toBe(0);
  });
});

describe("drift repair", () => {
  it("restores a tampered trust policy, permissions policy and destination, and leaves another destination alone", async () => {
    // Prepare: a wired set with a second, user-owned destination; then someone edits our role and destination
    world.sim.state.createConfigurationSet("receipts", { "ses-firehose": "enabled" });
    resultOf(await tagged.invoke(tagEvent("receipts", { "ses-firehose": "enabled" })));
    const wired = await readWiring(world, "receipts");
    const theirs = {
      Enabled: true,
      MatchingEventTypes: ["BOUNCE" as const],
      KinesisFirehoseDestination: {
        IamRoleArn: `arn:aws:iam::${world.accountId}:role/their-own-role`,
        DeliveryStreamArn: world.defaultStreamArn,
      },
    };
    world.sim.state.createRole({
      name: "their-own-role",
      assumeRolePolicyDocument: wired.role?.trustPolicy ?? {},
      inlinePolicies: {
        put: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "firehose:*", Resource: "*" }] },
      },
    });
    await world.clients.sesv2.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "receipts",
        EventDestinationName: "their-destination",
        EventDestination: theirs,
      }),
    );
    const { iam, sesv2 } = world.clients;
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: wired.roleName,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ses.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: wired.roleName,
        PolicyName: INLINE_POLICY_NAME,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "firehose:*", Resource: "*" }],
        }),
      }),
    );
    await sesv2.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "receipts",
        EventDestinationName: DESTINATION_NAME,
        EventDestination: { Enabled: false, MatchingEventTypes: ["SEND"] },
      }),
    );
    const tampered = await readWiring(world, "receipts");
    world.sim.callLog.reset();
    // Act: any later event for the set (here: another tag added) triggers the level-triggered reconcile
    const result = resultOf(await tagged.invoke<EventResult>(tagEvent("receipts", { team: "payments" })));
    // Assess
    expect(wiringProblems(world, tampered, world.defaultStreamArn)).toEqual([
      "receipts: destination disabled",
      "receipts: event types SEND",
      "receipts: trust policy differs",
      "receipts: permissions policy differs",
    ]);
    expect(result).toMatchObject({ status: "reconciled", results: [{ outcome: "updated" }] });
    const repaired = await readWiring(world, "receipts");
    expect(wiringProblems(world, repaired, world.defaultStreamArn)).toEqual([]);
    expect(repaired.role?.arn).toBe(wired.role?.arn);
    expect(writeCalls(world.sim).sort()).toEqual([
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "sesv2:UpdateConfigurationSetEventDestination",
    ]);
    expect(
      repaired.destinations?.find((destination) => destination.Name === "their-destination"),
    ).toMatchObject(theirs);
  });

  it("recreates a role that was deleted by hand", async () => {
    // Prepare
    const roleName = (await readWiring(world, "receipts")).roleName;

    await world.clients.iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: INLINE_POLICY_NAME }),
    );
    await world.clients.iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    // Act
    const result = resultOf(await tagged.invoke<EventResult>(tagEvent("receipts", { team: "payments" })));
    // Assess
    expect(result).toMatchObject({ status: "reconciled", results: [{ outcome: "updated" }] });
    expect(wiringProblems(world, await readWiring(world, "receipts"), world.defaultStreamArn)).toEqual([]);
  });
});

describe("bad events leave no partial resources", () => {
  let rolesBefore: string[];

  beforeEach(() => {
    rolesBefore = world.sim.state.roleNames(ROLE_PATH);
    world.sim.callLog.reset();
  });

  it("fails an event with no configuration set name in it, so it reaches the dead-letter queue", async () => {
    // Prepare
    const event = tagEvent("unused", { "ses-firehose": "enabled" });
    event.detail = {
      ...event.detail,
      requestParameters: { tags: [{ key: "ses-firehose", value: "enabled" }] },
    };
    // Act
    const invocation = await tagged.invoke<EventResult>(event);
    // Assess
    expect(failure(invocation)).toMatch(/^MalformedEventError: .*configuration set/i);
    expect(writeCalls(world.sim)).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).toEqual(rolesBefore);
  });

  it("fails something that is not a CloudTrail event at all", async () => {
    // Act
    const invocation = await created.invoke<EventResult>({ hello: "world" });
    // Assess
    expect(failure(invocation)).toMatch(/^MalformedEventError: /);
    expect(world.sim.callLog.count()).toBe(0);
  });

  it.each([
    ["a value that is neither a keyword nor a stream", "yes please", /ses-firehose.*yes please/],
    [
      "a stream ARN of another region",
      "arn:aws:firehose:eu-west-1:111122223333:deliverystream/x",
      /eu-west-1/,
    ],
    ["a stream that does not exist", "no-such-stream", /no-such-stream/],
  ])("fails a set tagged with %s, naming the value, and creates nothing", async (_label, value, message) => {
    // Prepare
    const name = `bad-${rolesBefore.length}-${value.length}`;
    world.sim.state.createConfigurationSet(name, { "ses-firehose": value });
    // Act
    const invocation = await tagged.invoke<EventResult>(tagEvent(name, { "ses-firehose": value }));
    // Assess
    expect(failure(invocation)).toMatch(/^ConfigurationSetsFailedError: /);
    expect(failure(invocation)).toMatch(message);
    expect(writeCalls(world.sim)).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).toEqual(rolesBefore);
    expect((await readWiring(world, name)).destinations).toEqual([]);
  });

  it("fails a set that already has 10 other destinations before creating a role", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("crowded", { "ses-firehose": "enabled" });
    for (let i = 0; i < 10; i += 1) {
      world.sim.state.putEventDestination("crowded", {
        Name: `theirs-${i}`,
        Enabled: true,
        MatchingEventTypes: ["SEND"],
        SnsDestination: { TopicArn: `arn:aws:sns:${world.region}:${world.accountId}:topic-${i}` },
      });
    }
    // Act
    const invocation = await tagged.invoke<EventResult>(tagEvent("crowded", { "ses-firehose": "enabled" }));
    // Assess
    expect(failure(invocation)).toMatch(/crowded: .*10/);
    expect(writeCalls(world.sim)).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).toEqual(rolesBefore);
  });

  it("ignores a tag event for another SES resource type and a failed API call, touching nothing", async () => {
    // Act
    const identity = resultOf(await tagged.invoke<EventResult>(fixtureEvent("tag-resource-identity")));
    const failedCall = resultOf(await created.invoke<EventResult>(fixtureEvent("create-failed-call")));
    // Assess
    expect(identity.status).toBe("ignored");
    expect(failedCall.status).toBe("ignored");
    expect(writeCalls(world.sim)).toEqual([]);
  });
});
