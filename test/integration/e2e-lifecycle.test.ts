// End-to-end test (built bundles + simulator): a configuration set's whole life through the event functions —
// created, tagged by name and by ARN, untagged, deleted — with the account's state read back through the SDK.
import {
  CreateConfigurationSetCommand,
  DeleteConfigurationSetCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sesv2";
import type { ReportEntry } from "../../shared/report";
import {
  createEvent,
  deleteEvent,
  documentedPolicies,
  readWiring,
  startE2eWorld,
  tagEvent,
  taggingApiEvent,
  unwiredProblems,
  untagEvent,
  wiringProblems,
  writeCalls,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

const ALL_TEN = [
  "BOUNCE",
  "CLICK",
  "COMPLAINT",
  "DELIVERY",
  "DELIVERY_DELAY",
  "OPEN",
  "REJECT",
  "RENDERING_FAILURE",
  "SEND",
  "SUBSCRIPTION",
];

let world: E2eWorld;
let created: LambdaContainer;
let tagged: LambdaContainer;
let deleted: LambdaContainer;

function arnOf(name: string): string {
  return `arn:aws:ses:${world.region}:${world.accountId}:configuration-set/${name}`;
}

async function outcomesOf(container: LambdaContainer, event: unknown): Promise<Record<string, string>> {
  const result = resultOf(await container.invoke<EventResult>(event));
  if (result.status !== "reconciled") throw new Error(`event ignored: ${result.reason}`);
  return Object.fromEntries(result.results.map((entry) => [entry.configurationSet, entry.outcome]));
}

beforeAll(async () => {
  assertBuilt();
  world = await startE2eWorld({ streams: ["analytics-stream"] });
  [created, tagged, deleted] = await Promise.all([
    world.container("OnConfigurationSetCreatedFunction"),
    world.container("OnConfigurationSetTaggedFunction"),
    world.container("OnConfigurationSetDeletedFunction"),
  ]);
});

afterAll(async () => {
  await world?.stop();
});

describe("the lifecycle of a configuration set, through the built event functions", () => {
  it("wires a set created with the opt-in tag: the documented role, policies and an enabled destination", async () => {
    // Prepare: the user creates the set with the tag; CloudTrail reports it
    await world.clients.sesv2.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: "marketing",
        Tags: [{ Key: "ses-firehose", Value: "enabled" }],
      }),
    );
    // Act
    const outcomes = await outcomesOf(
      created,
      createEvent("marketing", { tags: { "ses-firehose": "enabled" } }),
    );
    // Assess: what is in the account, not what the handler said
    const wiring = await readWiring(world, "marketing");
    const documented = documentedPolicies(world, "marketing", world.defaultStreamArn);
    expect(outcomes).toEqual({ marketing: "created" });
    expect(wiring.destination).toMatchObject({
      Name: "ses-firehose-autowire",
      Enabled: true,
      KinesisFirehoseDestination: { IamRoleArn: wiring.role?.arn, DeliveryStreamArn: world.defaultStreamArn },
    });
    expect([...(wiring.destination?.MatchingEventTypes ?? [])].sort()).toEqual(ALL_TEN);
    expect(wiring.role?.arn).toBe(
      `arn:aws:iam::${world.accountId}:role/ses-firehose-autowire/${wiring.roleName}`,
    );
    expect(wiring.role?.trustPolicy).toEqual(documented.trustPolicy);
    expect(wiring.role?.inlinePolicy).toEqual(documented.permissionsPolicy);
    expect(wiring.role?.tags).toEqual({
      "managed-by": "ses-firehose-autowire",
      "ses-configuration-set": "marketing",
      "ses-region": world.region,
    });
    expect(wiringProblems(world, wiring, world.defaultStreamArn)).toEqual([]);
  });

  it("makes no write call when the same event is delivered again", async () => {
    // Prepare
    world.sim.callLog.reset();
    // Act
    const outcomes = await outcomesOf(
      created,
      createEvent("marketing", { tags: { "ses-firehose": "enabled" } }),
    );
    // Assess
    expect(outcomes).toEqual({ marketing: "unchanged" });
    expect(writeCalls(world.sim)).toEqual([]);
  });

  it("leaves a set created without the tag alone (SES v1 event shape)", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("legacy-v1");
    // Act
    const outcomes = await outcomesOf(created, createEvent("legacy-v1", { v1: true }));
    // Assess
    expect(outcomes).toEqual({ "legacy-v1": "skipped" });
    expect(unwiredProblems(await readWiring(world, "legacy-v1"))).toEqual([]);
    expect((await readWiring(world, "legacy-v1")).destinations).toEqual([]);
  });

  it("wires a set to the stream named in the tag value", async () => {
    // Prepare
    await world.clients.sesv2.send(
      new TagResourceCommand({
        ResourceArn: arnOf("legacy-v1"),
        Tags: [{ Key: "ses-firehose", Value: "analytics-stream" }],
      }),
    );
    // Act
    const outcomes = await outcomesOf(tagged, tagEvent("legacy-v1", { "ses-firehose": "analytics-stream" }));
    // Assess
    expect(outcomes).toEqual({ "legacy-v1": "created" });
    const wiring = await readWiring(world, "legacy-v1");
    expect(wiring.destination?.KinesisFirehoseDestination?.DeliveryStreamArn).toBe(
      world.streamArn("analytics-stream"),
    );
    expect(wiringProblems(world, wiring, world.streamArn("analytics-stream"))).toEqual([]);
  });

  it("moves a set to the stream given by ARN: destination and permissions policy follow, the role stays", async () => {
    // Prepare
    const before = await readWiring(world, "marketing");
    const analyticsArn = world.streamArn("analytics-stream");
    await world.clients.sesv2.send(
      new TagResourceCommand({
        ResourceArn: arnOf("marketing"),
        Tags: [{ Key: "ses-firehose", Value: analyticsArn }],
      }),
    );
    // Act
    const outcomes = await outcomesOf(tagged, tagEvent("marketing", { "ses-firehose": analyticsArn }));
    // Assess
    const wiring = await readWiring(world, "marketing");
    expect(outcomes).toEqual({ marketing: "updated" });
    expect(wiring.role?.arn).toBe(before.role?.arn);
    expect(wiring.role?.inlinePolicy).toEqual(
      documentedPolicies(world, "marketing", analyticsArn).permissionsPolicy,
    );
    expect(wiringProblems(world, wiring, analyticsArn)).toEqual([]);
  });

  it("wires every set of one tagging-API TagResources event", async () => {
    // Prepare
    for (const name of ["billing", "alerts"]) {
      world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    }
    // Act
    const outcomes = await outcomesOf(
      tagged,
      taggingApiEvent(["billing", "alerts"], { "ses-firehose": "enabled" }),
    );
    // Assess
    expect(outcomes).toEqual({ billing: "created", alerts: "created" });
    for (const name of ["billing", "alerts"]) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
  });

  it("removes the destination and the role when the tag is removed, and only for that set", async () => {
    // Prepare
    await world.clients.sesv2.send(
      new UntagResourceCommand({ ResourceArn: arnOf("billing"), TagKeys: ["ses-firehose"] }),
    );
    // Act
    const outcomes = await outcomesOf(tagged, untagEvent("billing", ["ses-firehose"]));
    // Assess
    expect(outcomes).toEqual({ billing: "removed" });
    const wiring = await readWiring(world, "billing");
    expect(unwiredProblems(wiring)).toEqual([]);
    expect(wiring.destinations).toEqual([]);
    expect(wiringProblems(world, await readWiring(world, "alerts"), world.defaultStreamArn)).toEqual([]);
  });

  it("removes what it manages when the tag says disabled", async () => {
    // Prepare
    await world.clients.sesv2.send(
      new TagResourceCommand({
        ResourceArn: arnOf("alerts"),
        Tags: [{ Key: "ses-firehose", Value: "Disabled" }],
      }),
    );
    // Act
    const outcomes = await outcomesOf(tagged, tagEvent("alerts", { "ses-firehose": "Disabled" }));
    // Assess
    expect(outcomes).toEqual({ alerts: "removed" });
    expect(unwiredProblems(await readWiring(world, "alerts"))).toEqual([]);
  });

  it("removes the managed role when the configuration set is deleted", async () => {
    // Prepare: deleting a set deletes its destinations with it; our role stays behind until the event
    const before = await readWiring(world, "marketing");
    await world.clients.sesv2.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "marketing" }));
    // Act
    const outcomes = await outcomesOf(deleted, deleteEvent("marketing"));
    // Assess
    expect(before.role).toBeDefined();
    expect(outcomes).toEqual({ marketing: "removed" });
    const wiring = await readWiring(world, "marketing");
    expect(wiring.destinations).toBeUndefined();
    expect(wiring.role).toBeUndefined();
    expect(world.sim.state.roleNames("/ses-firehose-autowire/")).toEqual([
      (await readWiring(world, "legacy-v1")).roleName,
    ]);
  });
});
