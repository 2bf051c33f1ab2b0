// Integration test (simulator contract): the official SDK v3 clients get documented results and typed errors from the simulator.
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-firehose";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  paginateListAttachedRolePolicies,
  paginateListRoles,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { InvokeCommand, LambdaClient, LambdaServiceException } from "@aws-sdk/client-lambda";
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  ListTagsForResourceCommand,
  NotFoundException,
  paginateListConfigurationSets,
  SESv2Client,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateConfigurationSetEventDestinationCommand,
} from "@aws-sdk/client-sesv2";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { documentedPolicies } from "../support/documented-policies";
import { startSimulator, type Simulator } from "../../simulator";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";

/** The AWS documentation's trust and permissions policies (fixture), placeholders filled in. */
function docPolicies(configurationSet: string, stream: string) {
  const { trustPolicy, permissionsPolicy } = documentedPolicies({
    region: REGION,
    configurationSet,
    streamName: stream,
  });
  return { trust: trustPolicy, permissions: permissionsPolicy };
}

let sim: Simulator;
let ses: SESv2Client;
let iam: IAMClient;
let firehose: FirehoseClient;
let sts: STSClient;
let lambda: LambdaClient;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const config = { ...sim.clientConfig(), maxAttempts: 1 };
  ses = new SESv2Client(config);
  iam = new IAMClient(config);
  firehose = new FirehoseClient(config);
  sts = new STSClient(config);
  lambda = new LambdaClient(config);
});

afterAll(async () => {
  for (const client of [ses, iam, firehose, sts, lambda]) client.destroy();
  await sim.stop();
});

beforeEach(() => {
  sim.state.reset();
  sim.callLog.reset();
  sim.setOptions({ propagationDelayMs: 0, rateLimits: {}, faults: undefined });
});

describe("SES v2 configuration sets", () => {
  it("creates a configuration set with tags and returns it with GetConfigurationSet", async () => {
    // Prepare / Act
    await ses.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: "marketing",
        Tags: [{ Key: "ses-firehose", Value: "enabled" }],
        SendingOptions: { SendingEnabled: true },
      }),
    );
    const got = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "marketing" }));

    // Assess
    expect(got.ConfigurationSetName).toBe("marketing");
    expect(got.Tags).toEqual([{ Key: "ses-firehose", Value: "enabled" }]);
    expect(got.SendingOptions).toEqual({ SendingEnabled: true });
  });

  it("answers NotFoundException (404) for a configuration set that does not exist", async () => {
    const error = await ses
      .send(new GetConfigurationSetCommand({ ConfigurationSetName: "missing" }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.message).toContain("missing");
  });

  it("answers AlreadyExistsException when the name is taken", async () => {
    sim.state.createConfigurationSet("taken");

    const error = await ses
      .send(new CreateConfigurationSetCommand({ ConfigurationSetName: "taken" }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(AlreadyExistsException);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it("rejects an invalid name with BadRequestException saying what is accepted", async () => {
    const error = await ses
      .send(new CreateConfigurationSetCommand({ ConfigurationSetName: "has space" }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toMatch(/letters.*numbers.*underscores.*dashes/);
  });

  it("deletes a configuration set, after which it is not found", async () => {
    sim.state.createConfigurationSet("old");

    await ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "old" }));

    expect(sim.state.getConfigurationSet("old")).toBeUndefined();
    await expect(
      ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "old" })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it("lists every configuration set exactly once through the SDK paginator", async () => {
    const names = Array.from({ length: 257 }, (_, i) => `set-${String(i).padStart(4, "0")}`);
    for (const name of [...names].reverse()) sim.state.createConfigurationSet(name);

    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListConfigurationSets({ client: ses, pageSize: 50 }, {})) {
      pages += 1;
      listed.push(...(page.ConfigurationSets ?? []));
    }

    expect(listed).toEqual(names);
    expect(pages).toBe(6);
    expect(sim.callLog.count({ operation: "ListConfigurationSets" })).toBe(6);
  });

  it("filters the listing by CONFIGURATION_SET_NAME_CONTAINS", async () => {
    for (const name of ["alpha-mail", "beta", "gamma-mail"]) sim.state.createConfigurationSet(name);

    const listed: string[] = [];
    for await (const page of paginateListConfigurationSets(
      { client: ses },
      { Filter: { CONFIGURATION_SET_NAME_CONTAINS: "mail" } },
    )) {
      listed.push(...(page.ConfigurationSets ?? []));
    }

    expect(listed).toEqual(["alpha-mail", "gamma-mail"]);
  });
});

describe("SES v2 tags", () => {
  const arn = `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/tagged`;

  it("adds, lists and removes tags on a configuration set", async () => {
    sim.state.createConfigurationSet("tagged", { team: "mail" });

    await ses.send(
      new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "ses-firehose", Value: "events" }] }),
    );
    const afterTag = await ses.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    await ses.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["team"] }));
    const afterUntag = await ses.send(new ListTagsForResourceCommand({ ResourceArn: arn }));

    expect(afterTag.Tags).toEqual([
      { Key: "team", Value: "mail" },
      { Key: "ses-firehose", Value: "events" },
    ]);
    expect(afterUntag.Tags).toEqual([{ Key: "ses-firehose", Value: "events" }]);
  });

  it("rejects a tag key with the reserved aws: prefix", async () => {
    sim.state.createConfigurationSet("tagged");

    const error = await ses
      .send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "aws:owner", Value: "x" }] }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain("aws:");
  });

  it("rejects more than 50 tags on one resource", async () => {
    sim.state.createConfigurationSet("tagged");
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));

    await expect(ses.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }))).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });

  it("answers NotFoundException when tagging a configuration set that does not exist", async () => {
    await expect(
      ses.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: "a", Value: "b" }] })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});

describe("SES v2 event destinations", () => {
  function seedWiring(set: string, stream = "events") {
    sim.state.createConfigurationSet(set);
    const streamArn = sim.state.createDeliveryStream(stream);
    const { trust, permissions } = docPolicies(set, stream);
    const roleArn = sim.state.createRole({
      name: `ses-${set}`,
      path: "/ses-firehose-autowire/",
      assumeRolePolicyDocument: trust,
      inlinePolicies: { "firehose-put-record-batch": permissions },
    });
    return { roleArn, streamArn };
  }

  it("creates, reads, updates and deletes a Firehose destination wired as the AWS documentation says", async () => {
    const { roleArn, streamArn } = seedWiring("wired");
    const KinesisFirehoseDestination = { IamRoleArn: roleArn, DeliveryStreamArn: streamArn };

    await ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "wired",
        EventDestinationName: "autowire",
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ["SEND", "BOUNCE"],
          KinesisFirehoseDestination,
        },
      }),
    );
    await ses.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "wired",
        EventDestinationName: "autowire",
        EventDestination: { Enabled: false, MatchingEventTypes: ["DELIVERY"], KinesisFirehoseDestination },
      }),
    );
    const read = await ses.send(
      new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: "wired" }),
    );
    await ses.send(
      new DeleteConfigurationSetEventDestinationCommand({
        ConfigurationSetName: "wired",
        EventDestinationName: "autowire",
      }),
    );

    expect(read.EventDestinations).toEqual([
      { Name: "autowire", Enabled: false, MatchingEventTypes: ["DELIVERY"], KinesisFirehoseDestination },
    ]);
    expect(sim.state.getConfigurationSet("wired")?.eventDestinations).toEqual([]);
  });

  it("answers AlreadyExistsException for a second destination with the same name", async () => {
    const { roleArn, streamArn } = seedWiring("dup");
    const input = {
      ConfigurationSetName: "dup",
      EventDestinationName: "autowire",
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ["SEND" as const],
        KinesisFirehoseDestination: { IamRoleArn: roleArn, DeliveryStreamArn: streamArn },
      },
    };
    await ses.send(new CreateConfigurationSetEventDestinationCommand(input));

    await expect(ses.send(new CreateConfigurationSetEventDestinationCommand(input))).rejects.toBeInstanceOf(
      AlreadyExistsException,
    );
  });

  it("answers NotFoundException when updating or deleting a destination that does not exist", async () => {
    sim.state.createConfigurationSet("empty");

    await expect(
      ses.send(
        new UpdateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: "empty",
          EventDestinationName: "nope",
          EventDestination: { MatchingEventTypes: ["SEND"], SnsDestination: { TopicArn: "arn:aws:sns:x" } },
        }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      ses.send(
        new DeleteConfigurationSetEventDestinationCommand({
          ConfigurationSetName: "empty",
          EventDestinationName: "nope",
        }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it("rejects unknown event types naming the accepted ones", async () => {
    sim.state.createConfigurationSet("types");

    const error = await ses
      .send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: "types",
          EventDestinationName: "d",
          EventDestination: {
            MatchingEventTypes: ["SEND", "OPENED" as "OPEN"],
            SnsDestination: { TopicArn: "arn:aws:sns:us-east-1:111122223333:t" },
          },
        }),
      )
      .catch((e) => e);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain("OPENED");
    expect(error.message).toContain("RENDERING_FAILURE");
  });
});

describe("IAM roles", () => {
  const trust = docPolicies("s", "events").trust;

  it("creates a role under a path with tags and a boundary, and GetRole returns it with the policy URL-decoded", async () => {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: "ses-firehose-s",
        Path: "/ses-firehose-autowire/",
        AssumeRolePolicyDocument: JSON.stringify(trust),
        PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
        Tags: [{ Key: "managed-by", Value: "ses-firehose-autowire" }],
      }),
    );
    const got = await iam.send(new GetRoleCommand({ RoleName: "ses-firehose-s" }));

    expect(created.Role?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/ses-firehose-s`);
    expect(got.Role?.CreateDate).toBeInstanceOf(Date);
    expect(Math.abs((got.Role?.CreateDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ""))).toEqual(trust);
    expect(got.Role?.Tags).toEqual([{ Key: "managed-by", Value: "ses-firehose-autowire" }]);
    expect(got.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      `arn:aws:iam::${ACCOUNT}:policy/boundary`,
    );
  });

  it("answers EntityAlreadyExistsException (409) for a name taken in any letter case", async () => {
    sim.state.createRole({ name: "Taken", assumeRolePolicyDocument: trust });

    const error = await iam
      .send(new CreateRoleCommand({ RoleName: "taken", AssumeRolePolicyDocument: JSON.stringify(trust) }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(EntityAlreadyExistsException);
    expect(error.$metadata.httpStatusCode).toBe(409);
  });

  it("answers NoSuchEntityException (404) for a role that does not exist", async () => {
    const error = await iam.send(new GetRoleCommand({ RoleName: "ghost" })).catch((e) => e);

    expect(error).toBeInstanceOf(NoSuchEntityException);
    expect(error.message).toBe("The role with name ghost cannot be found.");
  });

  it("rejects a malformed trust policy with MalformedPolicyDocumentException", async () => {
    await expect(
      iam.send(new CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: "{not json" })),
    ).rejects.toBeInstanceOf(MalformedPolicyDocumentException);
  });

  it("rejects an invalid role name with a ValidationError naming the pattern", async () => {
    const error = await iam
      .send(new CreateRoleCommand({ RoleName: "bad/name", AssumeRolePolicyDocument: JSON.stringify(trust) }))
      .catch((e) => e);

    expect(error).toBeInstanceOf(IAMServiceException);
    expect(error.name).toBe("ValidationError");
    expect(error.message).toContain("roleName");
  });

  it("refuses to delete a role that still has inline policies, then deletes it once they are gone", async () => {
    sim.state.createRole({
      name: "busy",
      assumeRolePolicyDocument: trust,
      inlinePolicies: { p: docPolicies("s", "e").permissions },
    });

    const conflict = await iam.send(new DeleteRoleCommand({ RoleName: "busy" })).catch((e) => e);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "busy", PolicyName: "p" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "busy" }));

    expect(conflict).toBeInstanceOf(DeleteConflictException);
    expect(sim.state.getRole("busy")).toBeUndefined();
  });

  it("lists only the roles under a path prefix, across pages, with the SDK paginator", async () => {
    for (let i = 0; i < 23; i++)
      sim.state.createRole({ name: `ours-${i}`, path: "/ours/", assumeRolePolicyDocument: trust });
    for (let i = 0; i < 5; i++)
      sim.state.createRole({ name: `theirs-${i}`, path: "/other/", assumeRolePolicyDocument: trust });

    const names: string[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 10 }, { PathPrefix: "/ours/" })) {
      for (const role of page.Roles ?? []) {
        names.push(role.RoleName ?? "");
        expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? ""))).toEqual(trust);
      }
    }

    expect(names.sort()).toEqual(Array.from({ length: 23 }, (_, i) => `ours-${i}`).sort());
    expect(sim.callLog.count({ operation: "ListRoles" })).toBe(3);
  });

  it("round-trips an inline policy: the SDK gets it back URL-encoded and it decodes to the same document", async () => {
    const permissions = docPolicies("s", "events").permissions;
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust });

    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "r",
        PolicyName: "firehose-put-record-batch",
        PolicyDocument: JSON.stringify(permissions),
      }),
    );
    const got = await iam.send(
      new GetRolePolicyCommand({ RoleName: "r", PolicyName: "firehose-put-record-batch" }),
    );
    const listed = await iam.send(new ListRolePoliciesCommand({ RoleName: "r" }));

    expect(got.PolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ""))).toEqual(permissions);
    expect(listed.PolicyNames).toEqual(["firehose-put-record-batch"]);
    expect(listed.IsTruncated).toBe(false);
  });

  it("answers NoSuchEntityException for an inline policy that does not exist", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust });

    await expect(
      iam.send(new GetRolePolicyCommand({ RoleName: "r", PolicyName: "none" })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
    await expect(
      iam.send(new DeleteRolePolicyCommand({ RoleName: "r", PolicyName: "none" })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("attaches, lists and detaches managed policies; DeleteRole conflicts while one is attached", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust });
    const customer = sim.state.createManagedPolicy("extra", docPolicies("s", "events").permissions);
    const awsManaged = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    await iam.send(new AttachRolePolicyCommand({ RoleName: "r", PolicyArn: customer }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "r", PolicyArn: awsManaged }));
    const attached: string[] = [];
    for await (const page of paginateListAttachedRolePolicies(
      { client: iam, pageSize: 1 },
      { RoleName: "r" },
    )) {
      attached.push(...(page.AttachedPolicies ?? []).map((p) => `${p.PolicyName}=${p.PolicyArn}`));
    }
    const conflict = await iam.send(new DeleteRoleCommand({ RoleName: "r" })).catch((e) => e);
    for (const PolicyArn of [customer, awsManaged])
      await iam.send(new DetachRolePolicyCommand({ RoleName: "r", PolicyArn }));
    await iam.send(new DeleteRoleCommand({ RoleName: "r" }));

    expect(attached.sort()).toEqual([`ReadOnlyAccess=${awsManaged}`, `extra=${customer}`]);
    expect(conflict).toBeInstanceOf(DeleteConflictException);
    expect(conflict.message).toContain("detach");
  });

  it("answers NoSuchEntityException when attaching an unknown customer policy or detaching one not attached", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust });
    const unknown = `arn:aws:iam::${ACCOUNT}:policy/unknown`;

    await expect(
      iam.send(new AttachRolePolicyCommand({ RoleName: "r", PolicyArn: unknown })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
    await expect(
      iam.send(new DetachRolePolicyCommand({ RoleName: "r", PolicyArn: unknown })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("tags a role and lists its tags", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust, tags: { a: "1" } });

    await iam.send(new TagRoleCommand({ RoleName: "r", Tags: [{ Key: "b", Value: "2" }] }));
    const tags = await iam.send(new ListRoleTagsCommand({ RoleName: "r" }));

    expect(tags.Tags).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
    ]);
  });

  it("updates the trust policy and puts and removes a permissions boundary", async () => {
    sim.state.createRole({ name: "r", assumeRolePolicyDocument: trust });
    const other = docPolicies("other", "events").trust;

    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: "r", PolicyDocument: JSON.stringify(other) }),
    );
    await iam.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: "r",
        PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/b`,
      }),
    );
    const withBoundary = sim.state.getRole("r");
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "r" }));

    expect(withBoundary?.assumeRolePolicyDocument).toEqual(other);
    expect(withBoundary?.permissionsBoundaryArn).toBe(`arn:aws:iam::${ACCOUNT}:policy/b`);
    expect(sim.state.getRole("r")?.permissionsBoundaryArn).toBeUndefined();
  });
});

describe("Firehose delivery streams", () => {
  it("creates, describes, lists and deletes a stream", async () => {
    const created = await firehose.send(
      new CreateDeliveryStreamCommand({ DeliveryStreamName: "events", DeliveryStreamType: "DirectPut" }),
    );
    const described = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: "events" }),
    );
    const listed = await firehose.send(new ListDeliveryStreamsCommand({}));
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: "events" }));

    expect(created.DeliveryStreamARN).toBe(`arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/events`);
    expect(described.DeliveryStreamDescription?.DeliveryStreamStatus).toBe("ACTIVE");
    expect(described.DeliveryStreamDescription?.CreateTimestamp).toBeInstanceOf(Date);
    expect(listed).toMatchObject({ DeliveryStreamNames: ["events"], HasMoreDeliveryStreams: false });
    expect(sim.state.getDeliveryStream("events")).toBeUndefined();
  });

  it("answers ResourceNotFoundException for a stream that does not exist", async () => {
    await expect(
      firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: "missing" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("answers ResourceInUseException for a name already taken and InvalidArgumentException for a bad name", async () => {
    sim.state.createDeliveryStream("events");

    await expect(
      firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: "events" })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
    await expect(
      firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: "bad name" })),
    ).rejects.toBeInstanceOf(InvalidArgumentException);
  });

  it("reports CREATING until the configured creation time has passed", async () => {
    let now = 1_000_000;
    sim.setOptions({ clock: () => now, deliveryStreamCreationMs: 30_000 });
    try {
      await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: "slow" }));
      const early = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: "slow" }));
      now += 30_000;
      const later = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: "slow" }));

      expect(early.DeliveryStreamDescription?.DeliveryStreamStatus).toBe("CREATING");
      expect(later.DeliveryStreamDescription?.DeliveryStreamStatus).toBe("ACTIVE");
    } finally {
      sim.setOptions({ clock: Date.now, deliveryStreamCreationMs: 0 });
    }
  });
});

describe("STS and Lambda", () => {
  it("answers GetCallerIdentity with the simulated account", async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity.Account).toBe(ACCOUNT);
    expect(identity.Arn).toMatch(/^arn:aws:iam::111122223333:/);
  });

  it("queues an asynchronous invocation (202) for the harness to drain", async () => {
    const payload = { dryRun: false, cursor: "set-0042" };

    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: "BackfillFunction",
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const drained = sim.invocations.drain();

    expect(result.StatusCode).toBe(202);
    expect(drained).toHaveLength(1);
    expect(drained[0]?.functionName).toBe("BackfillFunction");
    expect(JSON.parse(drained[0]?.payload ?? "")).toEqual(payload);
    expect(sim.invocations.size).toBe(0);
  });

  it("answers RequestResponse through the onInvoke hook, and refuses it without one", async () => {
    const refused = await lambda
      .send(new InvokeCommand({ FunctionName: "f", Payload: Buffer.from("{}") }))
      .catch((e) => e);
    sim.setOptions({ onInvoke: (inv) => ({ echoed: JSON.parse(inv.payload) }) });
    const answered = await lambda.send(
      new InvokeCommand({ FunctionName: "f", Payload: Buffer.from('{"a":1}') }),
    );
    sim.setOptions({ onInvoke: undefined });

    expect(refused).toBeInstanceOf(LambdaServiceException);
    expect(refused.name).toBe("InvalidParameterValueException");
    expect(answered.StatusCode).toBe(200);
    expect(JSON.parse(Buffer.from(answered.Payload ?? new Uint8Array()).toString())).toEqual({
      echoed: { a: 1 },
    });
  });
});

describe("unknown operations", () => {
  it("answers an unknown IAM action the way IAM does (InvalidAction)", async () => {
    const response = await fetch(sim.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=CreateUser&Version=2010-05-08&UserName=x",
    });
    const text = await response.text();

    expect(response.status).toBe(400);
    expect(text).toContain("<Code>InvalidAction</Code>");
    expect(text).toContain("<Type>Sender</Type>");
  });

  it("answers an unknown SES v2 path with UnknownOperationException and a JSON message", async () => {
    const response = await fetch(`${sim.url}/v2/email/identities`, { method: "GET" });

    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(await response.json()).toHaveProperty("message");
  });

  it("answers an unknown Firehose target with __type UnknownOperationException", async () => {
    const response = await fetch(sim.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Firehose_20150804.PutRecord",
      },
      body: "{}",
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: "UnknownOperationException" });
  });
});
