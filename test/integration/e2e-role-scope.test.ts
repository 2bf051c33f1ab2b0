// End-to-end test (built bundles + simulator): ROLE_SCOPE=delivery-stream on 2,000 configuration sets over three
// streams, an opt-out, switching scope both ways through the ordinary backfill, and a re-run that writes nothing.
// The full audits run through the built CLI (the same core as BackfillFunction, whose continuation and report
// carry the stream roles in test/unit/backfill-run.test.ts) with 16 sets at once, to keep 2,000 sets affordable.
// The simulator records every DeleteRole that leaves a destination naming the deleted role: it must stay empty.
import type { Report } from "../../shared/report";
import type { StreamRoleCleanup } from "../../shared/stream-roles";
import { streamRoleNameFor } from "../../shared/naming";
import { permissionsPolicyFor, policiesEquivalent, streamTrustPolicyFor } from "../../shared/policies";
import type { ReportEntry } from "../../shared/report";
import {
  createEvent,
  DESTINATION_NAME,
  ROLE_PATH,
  ROLE_PREFIX,
  roleNameOf,
  runCli,
  startE2eWorld,
  untagEvent,
  writeCalls,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

const STREAMS = ["orders", "marketing", "alerts"];
const SETS = Array.from({ length: 2_000 }, (_, i) => `tenant-${String(i).padStart(4, "0")}`);
const streamOf = (index: number) => STREAMS[index % STREAMS.length]!;
const OPTED_OUT = SETS[7]!;

let world: E2eWorld;
let tagged: LambdaContainer;
let created: LambdaContainer;

/** The role each set's destination names now, read from the simulator's state (no HTTP, no rate limit). */
function destinationRoles(): Map<string, string | undefined> {
  const roles = new Map<string, string | undefined>();
  for (const name of SETS) {
    const destination = world.sim.state
      .getConfigurationSet(name)
      ?.eventDestinations.find((candidate) => candidate.Name === DESTINATION_NAME);
    roles.set(name, destination?.KinesisFirehoseDestination?.IamRoleArn.split("/").pop());
  }
  return roles;
}

/** Sets whose destination names another role than `expected` says (undefined: no destination of ours). */
function misrouted(expected: (name: string, index: number) => string | undefined): string[] {
  const roles = destinationRoles();
  return SETS.flatMap((name, index) => {
    const want = expected(name, index);
    return roles.get(name) === want ? [] : [`${name}: ${roles.get(name)} instead of ${want}`];
  });
}

const streamRole = (stream: string) => streamRoleNameFor(ROLE_PREFIX, world.streamArn(stream));
const ourRoles = () => world.sim.state.roleNames(ROLE_PATH).sort();

type AuditReport = Report & { streamRoles?: StreamRoleCleanup };

/** A backfill of every set (a full audit) in the given scope, through the built CLI. */
async function fullAudit(roleScope: "delivery-stream" | "configuration-set"): Promise<AuditReport> {
  const run = await runCli(world, ["backfill", "--full", "--json", "--concurrency", "16"], {
    ROLE_SCOPE: roleScope,
    SES_REQUESTS_PER_SECOND: "1000",
  });
  if (run.code !== 0) throw new Error(`the CLI exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as AuditReport;
}

beforeAll(async () => {
  assertBuilt();
  // 2,000 sets need 2,000 roles in configuration-set scope: raise the account's quota to IAM's 5,000 maximum.
  world = await startE2eWorld({ streams: STREAMS, limits: { rolesPerAccount: 5_000 } });
  SETS.forEach((name, index) =>
    world.sim.state.createConfigurationSet(name, { "ses-firehose": streamOf(index) }),
  );
  const quiet = { POWERTOOLS_LOG_LEVEL: "WARN" };
  [tagged, created] = await Promise.all([
    world.container("OnConfigurationSetTaggedFunction", { env: { ...quiet, ROLE_SCOPE: "delivery-stream" } }),
    world.container("OnConfigurationSetCreatedFunction", {
      env: { ...quiet, ROLE_SCOPE: "delivery-stream" },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

afterEach(() => {
  // Never a moment where a destination names a deleted role, in any step.
  expect(world.sim.state.danglingRoleDeletions()).toEqual([]);
  expect(world.sim.state.danglingDestinations()).toEqual([]);
});

describe("ROLE_SCOPE=delivery-stream on 2,000 configuration sets and 3 streams", () => {
  it("wires every set with 3 roles, one per stream, each with the shared trust policy and its stream's permissions", async () => {
    // Act
    const report = await fullAudit("delivery-stream");

    // Assess
    expect(report.counts).toEqual({
      created: 2_000,
      updated: 0,
      unchanged: 0,
      removed: 0,
      skipped: 0,
      failed: 0,
    });
    expect(ourRoles()).toEqual(STREAMS.map(streamRole).sort());
    expect(misrouted((_, index) => streamRole(streamOf(index)))).toEqual([]);
    for (const stream of STREAMS) {
      const role = world.sim.state.getRole(streamRole(stream))!;
      expect(
        policiesEquivalent(
          role.assumeRolePolicyDocument,
          streamTrustPolicyFor(world.region, world.accountId),
        ),
      ).toBe(true);
      expect(
        policiesEquivalent(
          role.inlinePolicies["firehose-put-record-batch"],
          permissionsPolicyFor(world.streamArn(stream)),
        ),
      ).toBe(true);
      expect(role.tags).toEqual({
        "managed-by": "ses-firehose-autowire",
        "ses-delivery-stream": world.streamArn(stream),
        "ses-region": world.region,
      });
    }
    expect(report.streamRoles).toEqual({ inUse: STREAMS.map(streamRole).sort(), removed: [], kept: [] });
  }, 600_000);

  it("wires a new set on a stream whose role exists with no IAM write", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("newcomer", { "ses-firehose": "orders" });
    world.sim.callLog.reset();

    // Act
    const result = resultOf(
      await created.invoke<EventResult>(createEvent("newcomer", { tags: { "ses-firehose": "orders" } })),
    );

    // Assess
    expect(result).toMatchObject({
      status: "reconciled",
      results: [{ configurationSet: "newcomer", outcome: "created" }],
    });
    expect(writeCalls(world.sim)).toEqual(["sesv2:CreateConfigurationSetEventDestination"]);
    expect(world.sim.callLog.count({ service: "iam" })).toBe(2); // GetRole, GetRolePolicy of the stream's role
    world.sim.state.deleteConfigurationSet("newcomer");
  });

  it("opting one set out removes its destination and keeps its stream's role, which other sets use", async () => {
    // Prepare
    world.sim.state.untagConfigurationSet(OPTED_OUT, ["ses-firehose"]);
    world.sim.callLog.reset();

    // Act
    const result = resultOf(await tagged.invoke<EventResult>(untagEvent(OPTED_OUT, ["ses-firehose"])));

    // Assess
    expect(result).toMatchObject({
      status: "reconciled",
      results: [{ configurationSet: OPTED_OUT, outcome: "removed" }],
    });
    expect(writeCalls(world.sim)).toEqual(["sesv2:DeleteConfigurationSetEventDestination"]);
    expect(world.sim.state.getConfigurationSet(OPTED_OUT)?.eventDestinations).toEqual([]);
    expect(ourRoles()).toEqual(STREAMS.map(streamRole).sort());
  });

  it("switching to configuration-set: a role per set, destinations repointed, then the unused stream roles deleted", async () => {
    // Act
    const report = await fullAudit("configuration-set");

    // Assess
    expect(report.counts).toMatchObject({ updated: 1_999, skipped: 1, failed: 0 });
    const expected = SETS.filter((name) => name !== OPTED_OUT).map((name) => roleNameOf(world, name));
    expect(ourRoles()).toEqual(expected.sort());
    expect(misrouted((name) => (name === OPTED_OUT ? undefined : roleNameOf(world, name)))).toEqual([]);
    expect(report.streamRoles).toEqual({ inUse: [], removed: STREAMS.map(streamRole).sort(), kept: [] });
  }, 600_000);

  it("switching back to delivery-stream: stream roles first, destinations repointed, each set's role deleted after", async () => {
    // Act
    const report = await fullAudit("delivery-stream");

    // Assess
    expect(report.counts).toMatchObject({ updated: 1_999, skipped: 1, failed: 0 });
    expect(ourRoles()).toEqual(STREAMS.map(streamRole).sort());
    expect(
      misrouted((name, index) => (name === OPTED_OUT ? undefined : streamRole(streamOf(index)))),
    ).toEqual([]);
    expect(world.sim.callLog.count({ operation: "DeleteRole", status: 200 })).toBeGreaterThanOrEqual(1_999);
  }, 600_000);

  it("a re-run makes zero writes", async () => {
    // Prepare
    world.sim.callLog.reset();

    // Act
    const report = await fullAudit("delivery-stream");

    // Assess
    expect(report.counts).toMatchObject({ unchanged: 1_999, skipped: 1, failed: 0 });
    expect(writeCalls(world.sim)).toEqual([]);
  }, 600_000);
});
