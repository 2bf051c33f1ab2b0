// Core layer tests: the run's options (shared/run-context.ts, shared/deps.ts) through reconcile — dry run, role listing, stream cache.
import { DescribeDeliveryStreamCommand } from "@aws-sdk/client-firehose";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { createDeliveryStreamCache } from "../../shared/delivery-streams";
import { trustPolicyFor } from "../../shared/policies";
import { reconcile } from "../../shared/reconcile";
import {
  REGION,
  ACCOUNT,
  SET,
  STREAM_ARN,
  iam,
  firehose,
  depsWith,
  commandsSent,
  writesSent,
  givenSet,
  givenStream,
  givenDestinations,
  ourDestination,
  roleName,
  roleArn,
  encoded,
  ourRole,
  givenRole,
  givenCorrectlyWiredSet,
} from "../support/reconcile-world";

describe("a configuration set that is already correct", () => {
  it("describes the stream once per run, even for concurrent reconciles", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    const deps = depsWith();
    const run = { deliveryStreams: createDeliveryStreamCache() };

    // Act
    const entries = await Promise.all([
      reconcile(SET, deps, run),
      reconcile(SET, deps, run),
      reconcile(SET, deps, run),
    ]);

    // Assess
    expect(entries.map((entry) => entry.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(firehose).toHaveReceivedCommandTimes(DescribeDeliveryStreamCommand, 1);
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
    const entry = await reconcile(SET, depsWith({}), { dryRun: true });

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
    const repaired = await reconcile(SET, depsWith({}), { dryRun: true });
    givenSet({ "ses-firehose": "disabled" });
    const removed = await reconcile(SET, depsWith({}), { dryRun: true });

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
    const entry = await reconcile(SET, depsWith({}), {
      managedRoleNames: new Set(["ses-firehose-other-12345678"]),
    });

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
    const entry = await reconcile(SET, depsWith({}), { managedRoleNames: new Set() });

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
    const entry = await reconcile(SET, depsWith({}), { managedRoleNames: new Set([roleName]) });

    // Assess
    expect(entry.actions).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });
});
