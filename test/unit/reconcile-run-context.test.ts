// Core layer tests: the run's options (shared/run-context.ts, shared/deps.ts) through reconcile — dry run, role listing, stream cache.
import { DescribeDeliveryStreamCommand } from "@aws-sdk/client-firehose";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { createDeliveryStreamCache } from "../../shared/delivery-streams";
import { trustPolicyFor } from "../../shared/policies";
import { reconcile } from "../../shared/reconcile";
import * as world from "../support/reconcile-world";

describe("a configuration set that is already correct", () => {
  it("describes the stream once per run, even for concurrent reconciles", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    const deps = world.depsWith();
    const run = { deliveryStreams: createDeliveryStreamCache() };

    // Act
    const entries = await Promise.all([
      reconcile(world.SET, deps, run),
      reconcile(world.SET, deps, run),
      reconcile(world.SET, deps, run),
    ]);

    // Assess
    expect(entries.map((entry) => entry.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(world.firehose).toHaveReceivedCommandTimes(DescribeDeliveryStreamCommand, 1);
  });
});

describe("dry run", () => {
  it("plans the creation of a new set, computes the role ARN, and writes nothing", async () => {
    // Prepare
    world.givenNewOptedInSet();

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { dryRun: true });

    // Assess
    expect(entry).toEqual(world.createdEntry());
    expect(world.writesSent()).toEqual([]);
  });

  it("plans repairs and removals without writing", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenRole(
      world.ourRole({
        AssumeRolePolicyDocument: world.encoded(trustPolicyFor(world.REGION, world.ACCOUNT, "x")),
      }),
    );
    world.givenDestinations([world.ourDestination({ Enabled: false })]);

    // Act
    const repaired = await reconcile(world.SET, world.depsWith({}), { dryRun: true });
    world.givenSet({ "ses-firehose": "disabled" });
    const removed = await reconcile(world.SET, world.depsWith({}), { dryRun: true });

    // Assess
    expect(repaired).toMatchObject({
      outcome: "updated",
      actions: ["UpdateAssumeRolePolicy", "UpdateConfigurationSetEventDestination"],
    });
    expect(removed).toMatchObject({
      outcome: "removed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"],
    });
    expect(world.writesSent()).toEqual([]);
  });
});

describe("with the run's listing of managed roles (backfill)", () => {
  it("costs exactly one SES call for a set neither opted in nor owning a role", async () => {
    // Prepare
    world.givenSet({});

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), {
      managedRoleNames: new Set(["ses-firehose-other-12345678"]),
    });

    // Assess
    expect(entry).toEqual({ configurationSet: world.SET, outcome: "skipped", actions: [] });
    expect(world.commandsSent()).toEqual(["GetConfigurationSet"]);
  });

  it("creates a role known absent without asking IAM for it", async () => {
    // Prepare
    world.givenOptedInSet();

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), { managedRoleNames: new Set() });

    // Assess
    expect(entry.outcome).toBe("created");
    expect(world.iam).not.toHaveReceivedCommand(GetRoleCommand);
    expect(world.commandsSent()).toHaveLength(6);
  });

  it("still removes a listed role of an opted-out set", async () => {
    // Prepare
    world.givenSet({});
    world.givenDestinations([world.ourDestination()]);
    world.givenRole(world.ourRole());

    // Act
    const entry = await reconcile(world.SET, world.depsWith({}), {
      managedRoleNames: new Set([world.roleName]),
    });

    // Assess
    expect(entry.actions).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });
});
