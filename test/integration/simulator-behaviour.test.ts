// Integration test (simulator behaviour): IAM propagation, SES's role and stream checks, limits, throttling and seeded faults.
import { DescribeDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  LimitExceededException,
  SESv2Client,
  TooManyRequestsException,
  UpdateConfigurationSetEventDestinationCommand,
} from "@aws-sdk/client-sesv2";
import { documentedPolicies } from "../support/documented-policies";
import { startSimulator, type Simulator } from "../../simulator";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const STREAM = "events";
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${STREAM}`;

function docPolicies(configurationSet: string, stream = STREAM) {
  const { trustPolicy, permissionsPolicy } = documentedPolicies({
    region: REGION,
    configurationSet,
    streamName: stream,
  });
  return { trust: trustPolicy, permissions: permissionsPolicy };
}

let sim: Simulator;
let now = 1_700_000_000_000;
let ses: SESv2Client;
let iam: IAMClient;

beforeAll(async () => {
  sim = await startSimulator({ clock: () => now });
  ses = new SESv2Client({ ...sim.clientConfig(), maxAttempts: 1 });
  iam = new IAMClient({ ...sim.clientConfig(), maxAttempts: 1 });
});

afterAll(async () => {
  ses.destroy();
  iam.destroy();
  await sim.stop();
});

beforeEach(() => {
  sim.state.reset();
  sim.callLog.reset();
  sim.setOptions({ propagationDelayMs: 0, rateLimits: {}, faults: undefined });
  sim.state.createDeliveryStream(STREAM);
});

function firehoseDestination(set: string, roleArn: string, streamArn = STREAM_ARN, name = "autowire") {
  return new CreateConfigurationSetEventDestinationCommand({
    ConfigurationSetName: set,
    EventDestinationName: name,
    EventDestination: {
      Enabled: true,
      MatchingEventTypes: ["SEND", "DELIVERY"],
      KinesisFirehoseDestination: { IamRoleArn: roleArn, DeliveryStreamArn: streamArn },
    },
  });
}

/** Creates the role through the API, as the product does, so its propagation clock starts now. */
async function createRoleViaApi(set: string, options: { trust?: object; permissions?: object } = {}) {
  const { trust, permissions } = docPolicies(set);
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: `ses-firehose-${set}`,
      Path: "/ses-firehose-autowire/",
      AssumeRolePolicyDocument: JSON.stringify(options.trust ?? trust),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: `ses-firehose-${set}`,
      PolicyName: "firehose-put-record-batch",
      PolicyDocument: JSON.stringify(options.permissions ?? permissions),
    }),
  );
  return created.Role?.Arn ?? "";
}

describe("IAM propagation as SES sees it", () => {
  it("rejects a brand-new role with 'Could not assume IAM role' until the propagation delay has passed", async () => {
    // Prepare
    sim.setOptions({ propagationDelayMs: 5_000 });
    sim.state.createConfigurationSet("fresh");
    const roleArn = await createRoleViaApi("fresh");

    // Act
    const early = await ses.send(firehoseDestination("fresh", roleArn)).catch((e) => e);
    now += 4_999;
    const stillEarly = await ses.send(firehoseDestination("fresh", roleArn)).catch((e) => e);
    now += 1;
    await ses.send(firehoseDestination("fresh", roleArn));

    // Assess
    expect(early).toBeInstanceOf(BadRequestException);
    expect(early.message).toBe(`Could not assume IAM role <${roleArn}>.`);
    expect(stillEarly).toBeInstanceOf(BadRequestException);
    expect(sim.state.getConfigurationSet("fresh")?.eventDestinations).toHaveLength(1);
  });

  it("restarts the delay when the inline policy changes", async () => {
    sim.setOptions({ propagationDelayMs: 5_000 });
    sim.state.createConfigurationSet("changed");
    const roleArn = await createRoleViaApi("changed");
    now += 10_000;
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "ses-firehose-changed",
        PolicyName: "firehose-put-record-batch",
        PolicyDocument: JSON.stringify(docPolicies("changed").permissions),
      }),
    );

    const error = await ses.send(firehoseDestination("changed", roleArn)).catch((e) => e);
    now += 5_000;
    await ses.send(firehoseDestination("changed", roleArn));

    expect(error.message).toBe(`Could not assume IAM role <${roleArn}>.`);
    expect(sim.state.getRole("ses-firehose-changed")?.propagated).toBe(true);
  });
});

describe("SES checks the role and the stream of a Firehose destination", () => {
  it("accepts the AWS documentation's trust and permissions policies", async () => {
    sim.state.createConfigurationSet("ok");
    const roleArn = await createRoleViaApi("ok");

    await ses.send(firehoseDestination("ok", roleArn));

    expect(sim.state.getConfigurationSet("ok")?.eventDestinations[0]?.KinesisFirehoseDestination).toEqual({
      IamRoleArn: roleArn,
      DeliveryStreamArn: STREAM_ARN,
    });
  });

  it("cannot assume a role whose trust policy names another configuration set", async () => {
    sim.state.createConfigurationSet("mine");
    const roleArn = await createRoleViaApi("mine", { trust: docPolicies("someone-else").trust });

    const error = await ses.send(firehoseDestination("mine", roleArn)).catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toBe(`Could not assume IAM role <${roleArn}>.`);
  });

  it("cannot assume a role whose trust policy names another account", async () => {
    sim.state.createConfigurationSet("acct");
    const trust = JSON.parse(
      JSON.stringify(docPolicies("acct").trust).replaceAll(ACCOUNT, "999999999999"),
    ) as object;
    const roleArn = await createRoleViaApi("acct", { trust });

    await expect(ses.send(firehoseDestination("acct", roleArn))).rejects.toThrow("Could not assume IAM role");
  });

  it("cannot assume a role that does not exist", async () => {
    sim.state.createConfigurationSet("norole");
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/ghost`;

    await expect(ses.send(firehoseDestination("norole", roleArn))).rejects.toThrow(
      `Could not assume IAM role <${roleArn}>.`,
    );
  });

  it("cannot access a stream the role's policy does not cover", async () => {
    sim.state.createConfigurationSet("narrow");
    sim.state.createDeliveryStream("other");
    const roleArn = await createRoleViaApi("narrow");
    const otherArn = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/other`;

    const error = await ses.send(firehoseDestination("narrow", roleArn, otherArn)).catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toBe(`Could not access Kinesis Firehose Stream <${otherArn}>.`);
  });

  it("cannot access a stream that does not exist or is not ACTIVE", async () => {
    sim.state.createConfigurationSet("inactive");
    const roleArn = await createRoleViaApi("inactive");
    sim.state.setDeliveryStreamStatus(STREAM, "CREATING");

    const whileCreating = await ses.send(firehoseDestination("inactive", roleArn)).catch((e) => e);
    sim.state.deleteDeliveryStream(STREAM);
    const whenMissing = await ses.send(firehoseDestination("inactive", roleArn)).catch((e) => e);

    expect(whileCreating.message).toBe(`Could not access Kinesis Firehose Stream <${STREAM_ARN}>.`);
    expect(whenMissing.message).toBe(`Could not access Kinesis Firehose Stream <${STREAM_ARN}>.`);
  });

  it("applies a seeded permissions boundary that denies Firehose, and ignores an unknown one", async () => {
    sim.state.createConfigurationSet("bounded");
    const boundaryArn = sim.state.createManagedPolicy("no-firehose", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    });
    const { trust, permissions } = docPolicies("bounded");
    const roleArn = sim.state.createRole({
      name: "bounded",
      assumeRolePolicyDocument: trust,
      inlinePolicies: { p: permissions },
      permissionsBoundaryArn: boundaryArn,
    });
    sim.state.createConfigurationSet("unknown-boundary");
    const unknownArn = sim.state.createRole({
      name: "unknown-boundary",
      assumeRolePolicyDocument: docPolicies("unknown-boundary").trust,
      inlinePolicies: { p: permissions },
      permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/never-seeded`,
    });

    await expect(ses.send(firehoseDestination("bounded", roleArn))).rejects.toThrow(
      "Could not access Kinesis Firehose",
    );
    await ses.send(firehoseDestination("unknown-boundary", unknownArn));
  });

  it("checks again on update: pointing the destination at an uncovered stream is rejected", async () => {
    sim.state.createConfigurationSet("upd");
    sim.state.createDeliveryStream("other");
    const roleArn = await createRoleViaApi("upd");
    await ses.send(firehoseDestination("upd", roleArn));

    const error = await ses
      .send(
        new UpdateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: "upd",
          EventDestinationName: "autowire",
          EventDestination: {
            Enabled: true,
            MatchingEventTypes: ["SEND"],
            KinesisFirehoseDestination: {
              IamRoleArn: roleArn,
              DeliveryStreamArn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/other`,
            },
          },
        }),
      )
      .catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(sim.state.getConfigurationSet("upd")?.eventDestinations[0]?.MatchingEventTypes).toEqual([
      "SEND",
      "DELIVERY",
    ]);
  });
});

describe("one role shared by many sets (ArnLike on aws:SourceArn)", () => {
  const sharedTrust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "AWS:SourceAccount": ACCOUNT },
          ArnLike: { "AWS:SourceArn": `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/*` },
        },
      },
    ],
  };

  it("lets SES assume it for every set of the account; a trust policy for another account is refused", async () => {
    // Prepare
    for (const set of ["tenant-a", "tenant-b", "other"]) sim.state.createConfigurationSet(set);
    const roleArn = await createRoleViaApi("tenant-a", { trust: sharedTrust });
    const foreign = JSON.parse(JSON.stringify(sharedTrust).replaceAll(ACCOUNT, "444455556666")) as object;
    const foreignArn = sim.state.createRole({
      name: "foreign-shared",
      path: "/ses-firehose-autowire/",
      assumeRolePolicyDocument: foreign,
      inlinePolicies: { put: docPolicies("other").permissions },
    });

    // Act
    await ses.send(firehoseDestination("tenant-a", roleArn));
    await ses.send(firehoseDestination("tenant-b", roleArn));
    const refused = await ses.send(firehoseDestination("other", foreignArn)).catch((e) => e);

    // Assess
    expect(sim.state.getConfigurationSet("tenant-b")?.eventDestinations).toHaveLength(1);
    expect(refused).toBeInstanceOf(BadRequestException);
    expect(refused.message).toBe(`Could not assume IAM role <${foreignArn}>.`);
  });
});

describe("a destination that names a deleted role is a visible error", () => {
  async function deleteRoleViaApi(roleName: string) {
    await iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: "firehose-put-record-batch" }),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  }

  it("records a DeleteRole that leaves a destination naming the role (IAM itself accepts it)", async () => {
    // Prepare
    sim.state.createConfigurationSet("orphaned");
    const roleArn = await createRoleViaApi("orphaned");
    await ses.send(firehoseDestination("orphaned", roleArn));

    // Act
    await deleteRoleViaApi("ses-firehose-orphaned");

    // Assess
    expect(sim.state.getRole("ses-firehose-orphaned")).toBeUndefined();
    expect(sim.state.danglingRoleDeletions()).toEqual([
      {
        roleArn,
        time: now,
        destinations: [{ configurationSet: "orphaned", eventDestination: "autowire", iamRoleArn: roleArn }],
      },
    ]);
    expect(sim.state.danglingDestinations()).toEqual([
      { configurationSet: "orphaned", eventDestination: "autowire", iamRoleArn: roleArn },
    ]);
  });

  it("records nothing when the destination was repointed before the old role was deleted", async () => {
    // Prepare
    sim.state.createConfigurationSet("moving");
    const oldArn = await createRoleViaApi("moving");
    await ses.send(firehoseDestination("moving", oldArn));
    const { permissions, trust } = docPolicies("moving");
    const newArn = sim.state.createRole({
      name: "ses-firehose-moving-new",
      path: "/ses-firehose-autowire/",
      assumeRolePolicyDocument: trust,
      inlinePolicies: { "firehose-put-record-batch": permissions },
    });

    // Act
    await ses.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "moving",
        EventDestinationName: "autowire",
        EventDestination: {
          KinesisFirehoseDestination: { IamRoleArn: newArn, DeliveryStreamArn: STREAM_ARN },
        },
      }),
    );
    await deleteRoleViaApi("ses-firehose-moving");

    // Assess
    expect(sim.state.danglingRoleDeletions()).toEqual([]);
    expect(sim.state.danglingDestinations()).toEqual([]);
  });
});

describe("concurrency", () => {
  it("lets exactly one of two simultaneous creates of the same destination win; the other gets AlreadyExistsException", async () => {
    sim.state.createConfigurationSet("race");
    const roleArn = await createRoleViaApi("race");

    const results = await Promise.allSettled([
      ses.send(firehoseDestination("race", roleArn)),
      ses.send(firehoseDestination("race", roleArn)),
    ]);

    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(AlreadyExistsException);
    expect(sim.state.getConfigurationSet("race")?.eventDestinations).toHaveLength(1);
  });

  it("lets exactly one of two simultaneous CreateRole calls win; the other gets EntityAlreadyExistsException", async () => {
    const trust = JSON.stringify(docPolicies("dup").trust);
    const create = () =>
      iam.send(new CreateRoleCommand({ RoleName: "dup", AssumeRolePolicyDocument: trust }));

    const results = await Promise.allSettled([create(), create()]);

    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(EntityAlreadyExistsException);
  });
});

describe("limits", () => {
  it("allows 10 event destinations per configuration set and rejects the 11th with LimitExceededException", async () => {
    sim.state.createConfigurationSet("full");
    for (let i = 0; i < 10; i++) {
      sim.state.putEventDestination("full", {
        Name: `d${i}`,
        MatchingEventTypes: ["SEND"],
        SnsDestination: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:t${i}` },
      });
    }
    const roleArn = await createRoleViaApi("full");

    const error = await ses.send(firehoseDestination("full", roleArn)).catch((e) => e);

    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toContain("10");
    expect(sim.state.getConfigurationSet("full")?.eventDestinations).toHaveLength(10);
  });

  it("enforces the IAM roles-per-account quota", async () => {
    sim.setOptions({ limits: { rolesPerAccount: 2 } });
    try {
      await createRoleViaApi("a");
      await createRoleViaApi("b");
      const error = await createRoleViaApi("c").catch((e) => e);

      expect(error.name).toBe("LimitExceededException");
      expect(error.message).toContain("RolesPerAccount");
    } finally {
      sim.setOptions({ limits: { rolesPerAccount: 1000 } });
    }
  });
});

describe("rate limits and faults", () => {
  it("throttles SES with TooManyRequestsException (429) beyond the bucket when the client does not retry", async () => {
    sim.state.createConfigurationSet("hot");
    sim.setOptions({ rateLimits: { sesv2: { ratePerSecond: 0.001, burst: 2 } } });

    const results = await Promise.allSettled(
      [1, 2, 3, 4].map(() => ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "hot" }))),
    );

    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(rejected).toHaveLength(2);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(TooManyRequestsException);
      expect(r.reason.$metadata.httpStatusCode).toBe(429);
    }
    expect(sim.callLog.count({ errorCode: "TooManyRequestsException" })).toBe(2);
  });

  it("throttles IAM with code Throttling, which the SDK classifies as throttling", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: docPolicies("r").trust });
    sim.setOptions({ rateLimits: { iam: { ratePerSecond: 0.001, burst: 1 } } });

    await iam.send(new GetRoleCommand({ RoleName: "r" }));
    const error = await iam.send(new GetRoleCommand({ RoleName: "r" })).catch((e) => e);

    expect(error.name).toBe("Throttling");
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe("Rate exceeded");
  });

  it("is ridden out by the SDK's adaptive retry when maxAttempts allows it", async () => {
    sim.state.createConfigurationSet("hot");
    sim.setOptions({ rateLimits: { sesv2: { ratePerSecond: 20, burst: 1 } } });
    const patient = new SESv2Client({ ...sim.clientConfig(), retryMode: "adaptive", maxAttempts: 10 });
    try {
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          patient.send(new GetConfigurationSetCommand({ ConfigurationSetName: "hot" })),
        ),
      );

      expect(results.map((r) => r.ConfigurationSetName)).toEqual(["hot", "hot", "hot", "hot", "hot"]);
      expect(sim.callLog.count({ operation: "GetConfigurationSet", status: 200 })).toBe(5);
      expect(sim.callLog.count({ errorCode: "TooManyRequestsException" })).toBeGreaterThan(0);
    } finally {
      patient.destroy();
    }
  }, 30_000);

  it("is ridden out for IAM Throttling and Firehose LimitExceededException too", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: docPolicies("r").trust });
    sim.setOptions({
      rateLimits: { iam: { ratePerSecond: 20, burst: 1 }, firehose: { ratePerSecond: 20, burst: 1 } },
    });
    const patientIam = new IAMClient({ ...sim.clientConfig(), retryMode: "adaptive", maxAttempts: 10 });
    const patientFirehose = new FirehoseClient({
      ...sim.clientConfig(),
      retryMode: "adaptive",
      maxAttempts: 10,
    });
    try {
      const roles = await Promise.all(
        [1, 2, 3].map(() => patientIam.send(new GetRoleCommand({ RoleName: "r" }))),
      );
      const streams = await Promise.all(
        [1, 2, 3, 4].map(() =>
          patientFirehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM })),
        ),
      );

      expect(roles.map((r) => r.Role?.RoleName)).toEqual(["r", "r", "r"]);
      expect(streams.every((s) => s.DeliveryStreamDescription?.DeliveryStreamStatus === "ACTIVE")).toBe(true);
      expect(sim.callLog.count({ service: "iam", errorCode: "Throttling" })).toBeGreaterThan(0);
      expect(sim.callLog.count({ service: "firehose", errorCode: "LimitExceededException" })).toBeGreaterThan(
        0,
      );
    } finally {
      patientIam.destroy();
      patientFirehose.destroy();
    }
  }, 30_000);

  it("retries injected 5xx errors and succeeds", async () => {
    sim.state.createConfigurationSet("flaky");
    sim.setOptions({ faults: { seed: 7, serverErrorRate: 0.5, operations: ["GetConfigurationSet"] } });
    const patient = new SESv2Client({ ...sim.clientConfig(), retryMode: "standard", maxAttempts: 20 });
    try {
      for (let i = 0; i < 5; i++) {
        const got = await patient.send(new GetConfigurationSetCommand({ ConfigurationSetName: "flaky" }));
        expect(got.ConfigurationSetName).toBe("flaky");
      }

      expect(sim.callLog.count({ status: 500, errorCode: "InternalServiceErrorException" })).toBeGreaterThan(
        0,
      );
    } finally {
      patient.destroy();
    }
  }, 30_000);

  it("injects the same faults for the same seed and request sequence", async () => {
    sim.state.createConfigurationSet("seeded");
    const run = async () => {
      sim.callLog.reset();
      sim.setOptions({ faults: { seed: 42, throttleRate: 0.3, serverErrorRate: 0.2 } });
      for (let i = 0; i < 30; i++) {
        await ses
          .send(new GetConfigurationSetCommand({ ConfigurationSetName: "seeded" }))
          .catch(() => undefined);
      }
      return sim.callLog.entries().map((entry) => entry.errorCode ?? "ok");
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(
      new Set(["ok", "TooManyRequestsException", "InternalServiceErrorException"]),
    );
  });

  it("injects faults only into the listed operations and adds latency", async () => {
    sim.state.createConfigurationSet("slow");
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: docPolicies("r").trust });
    sim.setOptions({ faults: { seed: 1, throttleRate: 1, latencyMs: 150, operations: ["iam:GetRole"] } });

    const started = performance.now();
    const roleError = await iam.send(new GetRoleCommand({ RoleName: "r" })).catch((e) => e);
    const elapsed = performance.now() - started;
    const set = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "slow" }));

    expect(roleError.name).toBe("Throttling");
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(set.ConfigurationSetName).toBe("slow");
    expect(sim.callLog.entries({ operation: "GetRole" })[0]).toMatchObject({
      injected: "throttle",
      status: 400,
    });
  });
});

describe("call log", () => {
  it("records service, operation, status and error code of every request, countable by operation", async () => {
    sim.state.createConfigurationSet("logged");

    await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "logged" }));
    await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "absent" })).catch(() => undefined);
    await iam.send(new GetRoleCommand({ RoleName: "absent" })).catch(() => undefined);

    expect(
      sim.callLog
        .entries()
        .map(({ service, operation, status, errorCode }) => ({ service, operation, status, errorCode })),
    ).toEqual([
      { service: "sesv2", operation: "GetConfigurationSet", status: 200, errorCode: undefined },
      { service: "sesv2", operation: "GetConfigurationSet", status: 404, errorCode: "NotFoundException" },
      { service: "iam", operation: "GetRole", status: 404, errorCode: "NoSuchEntity" },
    ]);
    expect(sim.callLog.countByOperation()).toEqual({ "sesv2:GetConfigurationSet": 2, "iam:GetRole": 1 });
    expect(sim.callLog.countByService()).toEqual({ sesv2: 2, iam: 1 });
  });
});
