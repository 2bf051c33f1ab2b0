// Core layer tests: a full audit deletes the delivery-stream roles no destination names, and nothing else.
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  type Role,
} from "@aws-sdk/client-iam";
import {
  GetConfigurationSetEventDestinationsCommand,
  NotFoundException,
  SESv2Client,
  TooManyRequestsException,
} from "@aws-sdk/client-sesv2";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { loadConfig } from "../../shared/config";
import { roleNameFor, streamRoleNameFor } from "../../shared/naming";
import type { CoreDeps } from "../../shared/deps";
import {
  removeUnusedStreamRoles,
  streamRolesNamedBy,
  type StreamRoleCleanupInput,
} from "../../shared/stream-roles";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const PATH = "/ses-firehose-autowire/";
const streamArn = (name: string, region = REGION) =>
  `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}`;
const USED = streamRoleNameFor("ses-firehose", streamArn("used"));
const UNUSED = streamRoleNameFor("ses-firehose", streamArn("unused"));
const SET_ROLE = roleNameFor("ses-firehose", REGION, "marketing");
const AUDIT_START = new Date("2026-12-01T00:00:00Z");

const ses = mockClient(SESv2Client);
const iam = mockClient(IAMClient);
const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });

function deps(): CoreDeps {
  return {
    sesv2: new SESv2Client({ region: REGION }),
    iam: new IAMClient({ region: REGION }),
    firehose: new FirehoseClient({ region: REGION }),
    config: loadConfig({ ROLE_SCOPE: "delivery-stream" }),
    logger,
    region: REGION,
    accountId: ACCOUNT,
  };
}

function input(overrides: Partial<StreamRoleCleanupInput> = {}): StreamRoleCleanupInput {
  return {
    listedRoles: new Set([USED, UNUSED, SET_ROLE]),
    inUse: new Set([USED]),
    failedSets: [],
    failedSetsOmitted: 0,
    auditStartedAt: AUDIT_START,
    ...overrides,
  };
}

function ourStreamRole(name: string, overrides: Partial<Role> = {}): Role {
  return {
    RoleName: name,
    RoleId: "AROA",
    Arn: `arn:aws:iam::${ACCOUNT}:role${PATH}${name}`,
    Path: PATH,
    CreateDate: new Date("2026-11-01T00:00:00Z"),
    Tags: [
      { Key: "managed-by", Value: "ses-firehose-autowire" },
      { Key: "ses-region", Value: REGION },
    ],
    ...overrides,
  };
}

const deletedRoles = () => iam.commandCalls(DeleteRoleCommand).map((call) => call.args[0].input.RoleName);

beforeEach(() => {
  ses.reset();
  iam.reset();
  iam.on(DeleteRolePolicyCommand).resolves({});
  iam.on(DeleteRoleCommand).resolves({});
});

describe("removeUnusedStreamRoles", () => {
  it("deletes an unused delivery-stream role of ours (inline policy first) and keeps the used one and every set role", async () => {
    // Prepare
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps());

    // Assess
    expect(cleanup).toEqual({ inUse: [USED], removed: [UNUSED], kept: [] });
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input).toEqual({
      RoleName: UNUSED,
      PolicyName: "firehose-put-record-batch",
    });
    expect(deletedRoles()).toEqual([UNUSED]);
    expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input.RoleName)).toEqual([UNUSED]);
  });

  it.each([
    [
      "another region's role (IAM is global)",
      {
        Tags: [
          { Key: "managed-by", Value: "ses-firehose-autowire" },
          { Key: "ses-region", Value: "us-east-1" },
        ],
      },
      "a role of region us-east-1, not eu-west-1",
    ],
    [
      "a role without our managed-by tag",
      { Tags: [{ Key: "ses-region", Value: REGION }] },
      "not managed by ses-firehose-autowire",
    ],
    ["a role outside our path", { Path: "/other/" }, "not managed by ses-firehose-autowire"],
    [
      "a role made after the audit began (a set it passed may use it)",
      { CreateDate: new Date("2026-12-01T00:00:01Z") },
      "made after this audit began; the next full audit decides",
    ],
  ])("keeps %s, saying why", async (_, overrides, reason) => {
    // Prepare
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED, overrides) });

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps());

    // Assess
    expect(cleanup).toEqual({ inUse: [USED], removed: [], kept: [{ roleName: UNUSED, reason }] });
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(deletedRoles()).toEqual([]);
  });

  it("keeps a role the destination of a failed set still names, read from SES", async () => {
    // Prepare
    ses.on(GetConfigurationSetEventDestinationsCommand, { ConfigurationSetName: "bad-tag" }).resolves({
      EventDestinations: [
        {
          Name: "ses-firehose-autowire",
          MatchingEventTypes: ["SEND"],
          KinesisFirehoseDestination: {
            IamRoleArn: `arn:aws:iam::${ACCOUNT}:role${PATH}${UNUSED}`,
            DeliveryStreamArn: streamArn("unused"),
          },
        },
      ],
    });
    ses
      .on(GetConfigurationSetEventDestinationsCommand, { ConfigurationSetName: "gone" })
      .rejects(new NotFoundException({ message: "gone", $metadata: {} }));

    // Act
    const cleanup = await removeUnusedStreamRoles(input({ failedSets: ["bad-tag", "gone"] }), deps());

    // Assess
    expect(cleanup).toEqual({ inUse: [USED, UNUSED].sort(), removed: [], kept: [] });
    expect(deletedRoles()).toEqual([]);
  });

  it("deletes nothing when a failed set's destinations cannot be read", async () => {
    // Prepare
    ses
      .on(GetConfigurationSetEventDestinationsCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests", $metadata: {} }));

    // Act
    const cleanup = await removeUnusedStreamRoles(input({ failedSets: ["bad-tag"] }), deps());

    // Assess
    expect(cleanup.removed).toEqual([]);
    expect(cleanup.skipped).toContain(
      "the destinations of failed configuration set bad-tag could not be read",
    );
    expect(iam.calls()).toHaveLength(0);
  });

  it("deletes nothing when failed sets were counted but not carried", async () => {
    // Act
    const cleanup = await removeUnusedStreamRoles(input({ failedSetsOmitted: 3 }), deps());

    // Assess
    expect(cleanup.skipped).toContain("3 failed configuration sets were not carried");
    expect(iam.calls()).toHaveLength(0);
  });

  it("in a dry run, says what it would delete and deletes nothing", async () => {
    // Prepare
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps(), { dryRun: true });

    // Assess
    expect(cleanup.removed).toEqual([UNUSED]);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(deletedRoles()).toEqual([]);
  });

  it("costs no call when the listing holds no delivery-stream role", async () => {
    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ listedRoles: new Set([SET_ROLE]), inUse: new Set(), failedSets: ["bad-tag"] }),
      deps(),
    );

    // Assess
    expect(cleanup).toEqual({ inUse: [], removed: [], kept: [] });
    expect([...ses.calls(), ...iam.calls()]).toHaveLength(0);
  });
});

describe("streamRolesNamedBy", () => {
  it("takes the delivery-stream roles named by successful entries only", () => {
    const arn = (name: string) => `arn:aws:iam::${ACCOUNT}:role${PATH}${name}`;
    expect(
      streamRolesNamedBy(
        [
          { configurationSet: "a", outcome: "created", actions: [], roleArn: arn(USED) },
          { configurationSet: "b", outcome: "unchanged", actions: [], roleArn: arn(USED) },
          { configurationSet: "c", outcome: "unchanged", actions: [], roleArn: arn(SET_ROLE) },
          { configurationSet: "d", outcome: "failed", actions: [], roleArn: arn(UNUSED) },
          { configurationSet: "e", outcome: "removed", actions: [] },
        ],
        "ses-firehose",
      ),
    ).toEqual([USED]);
  });
});
