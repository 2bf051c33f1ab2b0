// Core layer tests: a full audit deletes the delivery-stream roles no destination names, and nothing else.
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  IAMServiceException,
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
  decidedAnything,
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

describe("removeUnusedStreamRoles, at the edges", () => {
  const OLD = streamRoleNameFor("ses-firehose", streamArn("old"));
  const iamError = (name: string, message: string) =>
    new IAMServiceException({ name, message, $fault: "client", $metadata: {} });

  it("keeps a role made at the very moment the audit began", async () => {
    // Prepare
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({
      Role: ourStreamRole(UNUSED, { CreateDate: AUDIT_START }),
    });

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps());

    // Assess
    expect(cleanup.kept).toEqual([
      { roleName: UNUSED, reason: "made after this audit began; the next full audit decides" },
    ]);
    expect(deletedRoles()).toEqual([]);
  });

  it("keeps a role of ours that carries no region tag, saying so", async () => {
    // Prepare: IAM is global, so a role whose region is unknown might serve another region's sets
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({
      Role: ourStreamRole(UNUSED, { Tags: [{ Key: "managed-by", Value: "ses-firehose-autowire" }] }),
    });

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps());

    // Assess
    expect(cleanup.kept).toEqual([
      { roleName: UNUSED, reason: "a role of region (untagged), not eu-west-1" },
    ]);
    expect(deletedRoles()).toEqual([]);
  });

  it("keeps a role IAM refuses to read, with IAM's words, and still deletes the next unused one", async () => {
    // Prepare
    iam
      .on(GetRoleCommand, { RoleName: UNUSED })
      .rejects(iamError("AccessDenied", "not authorized to perform: iam:GetRole"));
    iam.on(GetRoleCommand, { RoleName: OLD }).resolves({ Role: ourStreamRole(OLD) });

    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ listedRoles: new Set([USED, UNUSED, OLD]) }),
      deps(),
    );

    // Assess
    expect(cleanup).toEqual({
      inUse: [USED],
      removed: [OLD],
      kept: [{ roleName: UNUSED, reason: "AccessDenied: not authorized to perform: iam:GetRole" }],
    });
    expect(deletedRoles()).toEqual([OLD]);
  });

  it("keeps a role whose deletion IAM refuses, with IAM's words", async () => {
    // Prepare
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });
    iam.on(DeleteRoleCommand).rejects(iamError("UnmodifiableEntity", "the role is protected"));

    // Act
    const cleanup = await removeUnusedStreamRoles(input(), deps());

    // Assess
    expect(cleanup).toEqual({
      inUse: [USED],
      removed: [],
      kept: [{ roleName: UNUSED, reason: "UnmodifiableEntity: the role is protected" }],
    });
  });

  it.each(["NoSuchEntityException", "NoSuchEntity"])(
    "counts a role gone since the listing (%s) as neither removed nor kept",
    async (name) => {
      // Prepare
      iam.on(GetRoleCommand, { RoleName: UNUSED }).rejects(iamError(name, "The role cannot be found."));

      // Act
      const cleanup = await removeUnusedStreamRoles(input(), deps());

      // Assess
      expect(cleanup).toEqual({ inUse: [USED], removed: [], kept: [] });
      expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
      expect(deletedRoles()).toEqual([]);
    },
  );

  it("reports as in use, sorted, a role a set named that was made after the listing", async () => {
    // Prepare: OLD sorts before USED; it is in use but the start-of-run listing does not hold it
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });

    // Act
    const cleanup = await removeUnusedStreamRoles(input({ inUse: new Set([USED, OLD]) }), deps());

    // Assess
    expect(cleanup).toEqual({ inUse: [OLD, USED].sort(), removed: [UNUSED], kept: [] });
  });

  it("says in full why it deleted nothing when failed sets were counted but not carried", async () => {
    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ failedSetsOmitted: 3, inUse: new Set([USED, OLD]) }),
      deps(),
    );

    // Assess
    expect(cleanup).toEqual({
      inUse: [OLD, USED].sort(),
      removed: [],
      kept: [],
      skipped:
        "3 failed configuration sets were not carried to the end of the run, so the roles their destinations " +
        "name are unknown; fix the failures and run a full audit again.",
    });
    expect([...ses.calls(), ...iam.calls()]).toHaveLength(0);
  });

  it("says in full why it deleted nothing when a failed set's destinations cannot be read", async () => {
    // Prepare
    ses
      .on(GetConfigurationSetEventDestinationsCommand)
      .rejects(new TooManyRequestsException({ message: "Too many requests", $metadata: {} }));

    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ failedSets: ["bad-tag"], inUse: new Set([USED, OLD]) }),
      deps(),
    );

    // Assess
    expect(cleanup).toStrictEqual({
      inUse: [OLD, USED].sort(),
      removed: [],
      kept: [],
      skipped:
        "the destinations of failed configuration set bad-tag could not be read (TooManyRequestsException: " +
        "Too many requests), so a role it names might be deleted; run a full audit again.",
    });
  });

  it("finds our destination among the failed set's others and keeps the role it names", async () => {
    // Prepare: SES lists another tool's destination first
    ses.on(GetConfigurationSetEventDestinationsCommand, { ConfigurationSetName: "bad-tag" }).resolves({
      EventDestinations: [
        { Name: "analytics", MatchingEventTypes: ["SEND"], SnsDestination: { TopicArn: "arn:aws:sns:x" } },
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

    // Act
    const cleanup = await removeUnusedStreamRoles(input({ failedSets: ["bad-tag"] }), deps());

    // Assess
    expect(cleanup).toEqual({ inUse: [USED, UNUSED].sort(), removed: [], kept: [] });
    expect(iam.calls()).toHaveLength(0);
  });
  it("counts no role for a failed set whose destinations hold none of ours, or ours without a Firehose part", async () => {
    // Prepare: "foreign" has only another tool's destination; "turned" has ours, turned into an SNS one
    ses.on(GetConfigurationSetEventDestinationsCommand, { ConfigurationSetName: "foreign" }).resolves({
      EventDestinations: [
        { Name: "analytics", MatchingEventTypes: ["SEND"], SnsDestination: { TopicArn: "arn:aws:sns:x" } },
      ],
    });
    ses.on(GetConfigurationSetEventDestinationsCommand, { ConfigurationSetName: "turned" }).resolves({
      EventDestinations: [
        {
          Name: "ses-firehose-autowire",
          MatchingEventTypes: ["SEND"],
          SnsDestination: { TopicArn: "arn:aws:sns:x" },
        },
      ],
    });
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });

    // Act
    const cleanup = await removeUnusedStreamRoles(input({ failedSets: ["foreign", "turned"] }), deps());

    // Assess: the audit still decides, and UNUSED (named by no destination of ours) goes
    expect(cleanup).toStrictEqual({ inUse: [USED], removed: [UNUSED], kept: [] });
    expect(deletedRoles()).toEqual([UNUSED]);
  });

  it("reports the roles it removed and kept in name order, whatever the listing's order", async () => {
    // Prepare
    const NEW = streamRoleNameFor("ses-firehose", streamArn("new"));
    iam.on(GetRoleCommand, { RoleName: UNUSED }).resolves({ Role: ourStreamRole(UNUSED) });
    iam.on(GetRoleCommand, { RoleName: OLD }).resolves({ Role: ourStreamRole(OLD) });
    iam.on(GetRoleCommand, { RoleName: NEW }).resolves({
      Role: ourStreamRole(NEW, { CreateDate: new Date("2026-12-01T00:05:00Z") }),
    });

    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ listedRoles: new Set([UNUSED, USED, OLD, NEW]) }),
      deps(),
    );

    // Assess
    expect(cleanup.removed).toEqual([OLD, UNUSED]);
    expect(cleanup.kept).toEqual([
      { roleName: NEW, reason: "made after this audit began; the next full audit decides" },
    ]);
    expect(deletedRoles()).toEqual([OLD, UNUSED]);
  });

  it("reports the roles in use in name order when the listing holds no delivery-stream role", async () => {
    // Act
    const cleanup = await removeUnusedStreamRoles(
      input({ listedRoles: new Set([SET_ROLE]), inUse: new Set([USED, OLD]) }),
      deps(),
    );

    // Assess
    expect(cleanup).toEqual({ inUse: [OLD, USED].sort(), removed: [], kept: [] });
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

describe("decidedAnything (the clean-up is reported only then, so runs without stream roles read as before)", () => {
  const none = { inUse: [], removed: [], kept: [] };

  it.each([
    ["nothing in use, removed, kept or skipped", false, none],
    ["one role in use", true, { ...none, inUse: [USED] }],
    ["one role removed", true, { ...none, removed: [UNUSED] }],
    [
      "one role kept",
      true,
      { ...none, kept: [{ roleName: UNUSED, reason: "not managed by ses-firehose-autowire" }] },
    ],
    [
      "a clean-up skipped, saying why",
      true,
      { ...none, skipped: "3 failed configuration sets were not carried" },
    ],
  ])("%s: reported %s", (_, reported, cleanup) => {
    expect(decidedAnything(cleanup)).toBe(reported);
  });
});

describe("streamRolesNamedBy, ordering", () => {
  it("gives each delivery-stream role once, in name order", () => {
    const arn = (name: string) => `arn:aws:iam::${ACCOUNT}:role${PATH}${name}`;
    const OLD = streamRoleNameFor("ses-firehose", streamArn("old"));
    expect(
      streamRolesNamedBy(
        [
          { configurationSet: "a", outcome: "created", actions: [], roleArn: arn(USED) },
          { configurationSet: "b", outcome: "updated", actions: [], roleArn: arn(OLD) },
          { configurationSet: "c", outcome: "unchanged", actions: [], roleArn: arn(USED) },
        ],
        "ses-firehose",
      ),
    ).toEqual([OLD, USED]);
  });
});
