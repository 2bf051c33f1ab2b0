// End-to-end test (built bundles + simulator): StackLifecycleFunction answering CloudFormation's custom-resource
// requests at a local HTTP server standing in for the pre-signed S3 ResponseURL — backfill on Create, same physical
// id on Update, cleanup on Delete (also across invocations, with AWS unreachable, with a ResponseURL that fails once).
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { DeleteRoleCommand, DeleteRolePolicyCommand } from "@aws-sdk/client-iam";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { roleNameFor } from "../../shared/naming";
import { InvocationQueue } from "../../simulator";
import {
  lifecycleRequest,
  startResponseUrlServer,
  type ResponseUrlServer,
} from "../support/cfn-response-server";
import {
  DESTINATION_NAME,
  readWiring,
  ROLE_PATH,
  roleNameOf,
  startE2eWorld,
  wiringProblems,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

beforeAll(() => assertBuilt());

const MANAGED = { "managed-by": "ses-firehose-autowire" };

/** The custom resource's properties with the template's parameter defaults (values are strings, as CloudFormation sends). */
function templateProperties(world: E2eWorld, backfillArn: string): Record<string, string> {
  return {
    ServiceTimeout: "3600",
    BackfillFunctionArn: backfillArn,
    BackfillOnDeploy: "true",
    CleanupOnDelete: "true",
    OptInTagKey: "ses-firehose",
    OptInMode: "tag",
    DefaultDeliveryStreamArn: world.defaultStreamArn,
    EventTypes:
      "SEND,REJECT,BOUNCE,COMPLAINT,DELIVERY,OPEN,CLICK,RENDERING_FAILURE,DELIVERY_DELAY,SUBSCRIPTION",
    EventDestinationName: DESTINATION_NAME,
    RolePath: ROLE_PATH,
    RoleNamePrefix: "ses-firehose",
    PermissionsBoundaryArn: "",
  };
}

/** Our destinations and our roles of this region left in the simulated account. */
function oursLeft(world: E2eWorld): string[] {
  const left: string[] = [];
  for (const name of world.sim.state.configurationSetNames()) {
    const set = world.sim.state.getConfigurationSet(name);
    if (set?.eventDestinations.some((d) => d.Name === DESTINATION_NAME)) left.push(`destination on ${name}`);
  }
  for (const roleName of world.sim.state.roleNames(ROLE_PATH)) {
    const tags = world.sim.state.getRole(roleName)?.tags ?? {};
    if (tags["managed-by"] === MANAGED["managed-by"] && tags["ses-region"] === world.region) {
      left.push(`role ${roleName}`);
    }
  }
  return left;
}

/** A managed set as the functions leave it: role (our path, tags, inline policy) and our destination. */
function seedWiredSet(world: E2eWorld, name: string): void {
  world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
  const roleName = roleNameOf(world, name);
  const roleArn = world.sim.state.createRole({
    name: roleName,
    path: ROLE_PATH,
    assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
    tags: { ...MANAGED, "ses-configuration-set": name, "ses-region": world.region },
    inlinePolicies: { "firehose-put-record-batch": { Version: "2012-10-17", Statement: [] } },
  });
  world.sim.state.putEventDestination(name, {
    Name: DESTINATION_NAME,
    Enabled: true,
    MatchingEventTypes: ["SEND"],
    KinesisFirehoseDestination: { IamRoleArn: roleArn, DeliveryStreamArn: world.defaultStreamArn },
  });
}

/** The Delete CloudFormation sends when the stack (deployed with the template's defaults) is deleted. */
function deleteRequest(world: E2eWorld, responses: ResponseUrlServer, lifecycle: LambdaContainer) {
  return lifecycleRequest("Delete", {
    responseUrl: responses.url(),
    region: world.region,
    accountId: world.accountId,
    serviceToken: lifecycle.functionArn,
    properties: templateProperties(
      world,
      `arn:aws:lambda:${world.region}:${world.accountId}:function:backfill`,
    ),
    physicalResourceId: "ses-firehose-autowire/us-east-1/ses-firehose-autowire",
  });
}

/** Runs every queued continuation (all addressed to `fn`) in its container until none is left; returns how many ran. */
async function drainContinuations(world: E2eWorld, fn: LambdaContainer): Promise<number> {
  let ran = 0;
  for (let next = world.sim.invocations.shift(); next !== undefined; next = world.sim.invocations.shift()) {
    expect([next.functionName, next.invocationType]).toEqual([fn.functionArn, "Event"]);
    resultOf(await fn.invoke(InvocationQueue.payloadOf(next)));
    ran += 1;
  }
  return ran;
}

describe("StackLifecycleFunction answering CloudFormation (Create, Update, Delete)", () => {
  let world: E2eWorld;
  let lifecycle: LambdaContainer;
  let backfill: LambdaContainer;
  let responses: ResponseUrlServer;
  let properties: Record<string, string>;
  let physicalResourceId: string;
  const wired = ["orders", "receipts", "alerts"];

  const request = (
    type: "Create" | "Update" | "Delete",
    extra: Partial<Parameters<typeof lifecycleRequest>[1]> = {},
  ): CloudFormationCustomResourceEvent =>
    lifecycleRequest(type, {
      responseUrl: responses.url(),
      region: world.region,
      accountId: world.accountId,
      serviceToken: lifecycle.functionArn,
      properties,
      ...(type === "Create" ? {} : { physicalResourceId }),
      ...extra,
    });

  beforeAll(async () => {
    world = await startE2eWorld();
    responses = await startResponseUrlServer();
    lifecycle = await world.container("StackLifecycleFunction");
    backfill = await world.container("BackfillFunction");
    properties = templateProperties(world, backfill.functionArn);
    for (const name of wired) world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    world.sim.state.createConfigurationSet("plain");
  });

  afterAll(async () => {
    await responses?.stop();
    await world?.stop();
  });

  it("Create: starts the backfill asynchronously, then answers SUCCESS once, echoing the request", async () => {
    // Prepare
    const create = request("Create");
    // Act
    const result = resultOf(await lifecycle.invoke(create));
    // Assess: one answer, a PUT with an empty content type and the exact length, echoing the request's ids
    expect(result).toMatchObject({ status: "answered" });
    expect(responses.received).toHaveLength(1);
    const [put] = responses.received;
    expect(put?.method).toBe("PUT");
    expect(put?.path).toBe(new URL(create.ResponseURL).pathname + new URL(create.ResponseURL).search);
    expect(put?.headers["content-type"]).toBe("");
    expect(Number(put?.headers["content-length"])).toBe(Buffer.byteLength(put?.raw ?? "", "utf8"));
    expect(put?.answer).toMatchObject({
      Status: "SUCCESS",
      StackId: create.StackId,
      RequestId: create.RequestId,
      LogicalResourceId: "StackLifecycle",
      Data: { BackfillStarted: "true" },
    });
    physicalResourceId = put?.answer.PhysicalResourceId ?? "";
    expect(physicalResourceId).toBe("ses-firehose-autowire/us-east-1/ses-firehose-autowire");
    // ...and an asynchronous invoke of the backfill, which (run here) wires the tagged sets
    const queued = world.sim.invocations.drain();
    expect(queued.map(({ functionName, invocationType }) => [functionName, invocationType])).toEqual([
      [backfill.functionArn, "Event"],
    ]);
    const report = resultOf(
      await backfill.invoke<{ counts: Record<string, number>; discovery: string }>(
        InvocationQueue.payloadOf(queued[0]!),
      ),
    );
    // Tag discovery (the default in tag mode): the untagged set is not even looked at.
    expect(report.discovery).toBe("tags");
    expect(report.counts).toMatchObject({ created: wired.length, skipped: 0, failed: 0 });
    for (const name of wired) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
  });

  it("Update with unchanged properties: SUCCESS with the same physical id, and no backfill", async () => {
    // Prepare
    responses.received.length = 0;
    const update = request("Update", { oldProperties: properties });
    // Act
    resultOf(await lifecycle.invoke(update));
    // Assess
    expect(responses.received.map((put) => put.answer)).toEqual([
      expect.objectContaining({
        Status: "SUCCESS",
        PhysicalResourceId: physicalResourceId,
        RequestId: update.RequestId,
      }),
    ]);
    expect(world.sim.invocations.size).toBe(0);
  });

  it("Update that changes what is wired (EventTypes): the same physical id, and a backfill", async () => {
    // Prepare
    responses.received.length = 0;
    const update = request("Update", { oldProperties: { ...properties, EventTypes: "SEND,BOUNCE" } });
    // Act
    resultOf(await lifecycle.invoke(update));
    // Assess
    expect(responses.received[0]?.answer).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: physicalResourceId,
      Reason: expect.stringContaining("EventTypes changed"),
    });
    expect(world.sim.invocations.drain().map((inv) => inv.functionName)).toEqual([backfill.functionArn]);
  });

  it.each([
    [
      "Create with BackfillOnDeploy false: SUCCESS and no invoke",
      "Create" as const,
      { BackfillOnDeploy: "false" },
      { Status: "SUCCESS", Data: { BackfillStarted: "false" } },
    ],
    [
      "Create with an invalid property: FAILED naming it and what is accepted, and no invoke",
      "Create" as const,
      { BackfillOnDeploy: "yes" },
      {
        Status: "FAILED",
        Reason: 'Create failed: Property BackfillOnDeploy="yes" is not valid: expected "true" or "false".',
      },
    ],
    [
      "Delete with CleanupOnDelete false: SUCCESS, no invoke, and everything left in place",
      "Delete" as const,
      { CleanupOnDelete: "false" },
      { Status: "SUCCESS", Reason: expect.stringContaining("left in place") },
    ],
  ])("%s", async (_title, type, overrides, expected) => {
    // Prepare
    responses.received.length = 0;
    // Act
    resultOf(await lifecycle.invoke(request(type, { properties: { ...properties, ...overrides } })));
    // Assess
    expect(responses.received.map((put) => put.answer)).toEqual([expect.objectContaining(expected)]);
    expect(world.sim.invocations.size).toBe(0);
    expect(oursLeft(world)).toHaveLength(wired.length * 2);
  });

  it("a ResponseURL that fails once: the answer is retried and arrives, once", async () => {
    // Prepare
    responses.received.length = 0;
    responses.refuseNext(1);
    const refusedBefore = responses.refused;
    // Act
    resultOf(await lifecycle.invoke(request("Update", { oldProperties: properties })));
    // Assess
    expect(responses.refused - refusedBefore).toBe(1);
    expect(responses.received.map((put) => put.answer.Status)).toEqual(["SUCCESS"]);
    expect(lifecycle.logRecords().some((r) => r.message === "answer not delivered; retrying")).toBe(true);
    world.sim.invocations.drain();
  });

  it("Delete: one SUCCESS; none of ours left in the region, foreign roles and destinations and another region's role untouched", async () => {
    // Prepare: beside the wired sets, a destination whose role was deleted by hand, a role whose set is gone,
    // a foreign role under our path, a foreign destination, and the role another region's stack made (IAM is global)
    const handDeleted = roleNameOf(world, "receipts");
    const { iam } = world.clients;
    await iam.send(
      new DeleteRolePolicyCommand({ RoleName: handDeleted, PolicyName: "firehose-put-record-batch" }),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: handDeleted }));
    world.sim.state.createRole({
      name: roleNameOf(world, "deleted-set"),
      path: ROLE_PATH,
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
      tags: { ...MANAGED, "ses-configuration-set": "deleted-set", "ses-region": world.region },
    });
    world.sim.state.createRole({
      name: "ses-firehose-team-made-this",
      path: ROLE_PATH,
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
      tags: { owner: "platform-team" },
    });
    const otherRegionRole = roleNameFor("ses-firehose", "eu-west-1", "orders");
    world.sim.state.createRole({
      name: otherRegionRole,
      path: ROLE_PATH,
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
      tags: { ...MANAGED, "ses-configuration-set": "orders", "ses-region": "eu-west-1" },
    });
    world.sim.state.putEventDestination("orders", {
      Name: "analytics-team-destination",
      Enabled: true,
      MatchingEventTypes: ["BOUNCE"],
      SnsDestination: { TopicArn: `arn:aws:sns:${world.region}:${world.accountId}:bounces` },
    });
    world.sim.state.tagConfigurationSet("alerts", { team: "ops" });
    responses.received.length = 0;
    const del = request("Delete");
    // Act
    const result = resultOf(await lifecycle.invoke(del));
    // Assess
    expect(result).toMatchObject({ status: "answered" });
    expect(responses.received.map((put) => put.answer)).toEqual([
      expect.objectContaining({
        Status: "SUCCESS",
        PhysicalResourceId: physicalResourceId,
        StackId: del.StackId,
        RequestId: del.RequestId,
        LogicalResourceId: "StackLifecycle",
      }),
    ]);
    expect(oursLeft(world)).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH).sort()).toEqual(
      ["ses-firehose-team-made-this", otherRegionRole].sort(),
    );
    expect(world.sim.state.getConfigurationSet("orders")?.eventDestinations.map((d) => d.Name)).toEqual([
      "analytics-team-destination",
    ]);
    expect(world.sim.state.getConfigurationSet("alerts")?.tags).toEqual({
      "ses-firehose": "enabled",
      team: "ops",
    });
    expect(world.sim.invocations.size).toBe(0);
  });
});

describe("StackLifecycleFunction when AWS is unreachable during Delete", () => {
  let world: E2eWorld;
  let responses: ResponseUrlServer;
  let blackhole: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    world = await startE2eWorld();
    responses = await startResponseUrlServer();
    // Accepts connections and never answers: every AWS call hangs, as behind a broken route or firewall.
    blackhole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackhole?.close(resolve));
    await responses?.stop();
    await world?.stop();
  });

  it("still answers FAILED, with a reason a person can act on, before the function's timeout", async () => {
    // Prepare
    const dead = `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}`;
    const endpoints = Object.fromEntries(
      Object.keys(world.sim.endpointEnv())
        .filter((key) => key.startsWith("AWS_ENDPOINT_URL"))
        .map((key) => [key, dead]),
    );
    const timeoutMs = 25_000;
    const lifecycle = await world.container("StackLifecycleFunction", { env: endpoints, timeoutMs });
    const del = deleteRequest(world, responses, lifecycle);
    // Act
    const invocation = await lifecycle.invoke(del);
    // Assess: the invocation ended by itself (no Lambda timeout), after one FAILED answer
    expect(invocation.ok).toBe(true);
    expect(invocation.durationMs).toBeLessThan(timeoutMs);
    expect(responses.received).toHaveLength(1);
    expect(responses.received[0]?.answer).toMatchObject({
      Status: "FAILED",
      RequestId: del.RequestId,
      PhysicalResourceId: "ses-firehose-autowire/us-east-1/ses-firehose-autowire",
    });
    expect(responses.received[0]?.answer.Reason).toMatch(/^Cleanup failed: no answer from AWS within 1\d s/);
    expect(responses.received[0]?.answer.Reason).toContain(
      "aws cloudformation delete-stack --stack-name ses-firehose-autowire --retain-resources StackLifecycle",
    );
  });
});

describe("StackLifecycleFunction deleting 2,000 managed sets at SES's limit, across invocations", () => {
  let world: E2eWorld;
  let responses: ResponseUrlServer;
  const sets = Array.from({ length: 2000 }, (_, i) => `tenant-${String(i).padStart(4, "0")}`);

  beforeAll(async () => {
    world = await startE2eWorld({
      rateLimits: { sesv2: { ratePerSecond: 20, burst: 20 } },
      limits: { rolesPerAccount: 5000 },
    });
    responses = await startResponseUrlServer();
    for (const name of sets) seedWiredSet(world, name);
  });

  afterAll(async () => {
    await responses?.stop();
    await world?.stop();
  });

  it("finishes across several invocations and answers once, at the end", async () => {
    // Prepare: 60 s per invocation (the cleanup stops taking sets 30 s + 10 s before the end: ~20 s of work each)
    const timeoutMs = 60_000;
    const lifecycle = await world.container("StackLifecycleFunction", {
      env: { SES_REQUESTS_PER_SECOND: "20" },
      timeoutMs,
    });
    const del = deleteRequest(world, responses, lifecycle);
    world.sim.callLog.reset();
    const started = performance.now();
    // Act: the request, then every continuation the function queued for itself
    const first = resultOf(await lifecycle.invoke(del));
    expect(first).toMatchObject({ status: "continued" });
    const continuations = await drainContinuations(world, lifecycle);
    const wallSeconds = (performance.now() - started) / 1000;
    // Assess
    expect(continuations).toBeGreaterThanOrEqual(2);
    expect(responses.received).toHaveLength(1);
    expect(responses.received[0]?.answer).toMatchObject({ Status: "SUCCESS", RequestId: del.RequestId });
    expect(responses.received[0]?.answer.Reason).toContain(`${sets.length} removed`);
    expect(oursLeft(world)).toEqual([]);
    expect(world.sim.callLog.count({ service: "sesv2", status: 429 })).toBe(0);
    process.stdout.write(
      `2,000-set delete: ${continuations + 1} invocations, ${wallSeconds.toFixed(1)} s, ` +
        `${world.sim.callLog.count({ service: "sesv2" })} SES calls\n`,
    );
  }, 400_000);
});
