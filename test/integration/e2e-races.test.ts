// End-to-end test (built bundles + simulator): duplicate, concurrent deliveries of one set's events, and IAM
// propagation delay ridden out by the running function.
import type { ReportEntry } from "../../shared/report";
import {
  createEvent,
  readWiring,
  ROLE_PATH,
  startE2eWorld,
  tagEvent,
  wiringProblems,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, type LambdaContainer } from "../support/lambda-runtime";

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

/** The propagation retry's largest single wait (shared/propagation.ts MAX_DELAY_MS): the most it can overshoot. */
const LARGEST_BACKOFF_MS = 8_000;

beforeAll(() => assertBuilt());

describe("20 concurrent reconciles of one configuration set", () => {
  let world: E2eWorld;
  let containers: LambdaContainer[];

  beforeAll(async () => {
    world = await startE2eWorld();
    // 20 warm execution environments, as Lambda scales out for 20 simultaneous events: Create and Tag mixed.
    containers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        world.container(
          i % 2 === 0 ? "OnConfigurationSetCreatedFunction" : "OnConfigurationSetTaggedFunction",
        ),
      ),
    );
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("end with one role and one destination, and none of them fails", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("hot", { "ses-firehose": "enabled" });
    const events = containers.map((_, i) =>
      i % 2 === 0
        ? createEvent("hot", { tags: { "ses-firehose": "enabled" } })
        : tagEvent("hot", { "ses-firehose": "enabled" }),
    );
    // Act: all at once
    const invocations = await Promise.all(
      containers.map((container, i) => container.invoke<EventResult>(events[i])),
    );
    // Assess
    const failures = invocations.flatMap((invocation) =>
      invocation.ok ? [] : [`${invocation.error.errorType}: ${invocation.error.errorMessage}`],
    );
    expect(failures).toEqual([]);
    const outcomes = invocations.flatMap((invocation) =>
      invocation.ok && invocation.result.status === "reconciled"
        ? invocation.result.results.map((entry) => entry.outcome)
        : [],
    );
    expect(outcomes).toHaveLength(20);
    expect(outcomes.filter((outcome) => outcome === "failed")).toEqual([]);
    const wiring = await readWiring(world, "hot");
    expect(world.sim.state.roleNames(ROLE_PATH)).toEqual([wiring.roleName]);
    expect(wiring.destinations).toHaveLength(1);
    expect(wiringProblems(world, wiring, world.defaultStreamArn)).toEqual([]);
    // Only one CreateRole and one CreateConfigurationSetEventDestination succeeded; the others converged.
    expect(world.sim.callLog.count({ operation: "CreateRole", status: 200 })).toBe(1);
    expect(
      world.sim.callLog.count({ operation: "CreateConfigurationSetEventDestination", status: 200 }),
    ).toBe(1);
  });
});

describe("IAM propagation delay of 5 s", () => {
  let world: E2eWorld;

  beforeAll(async () => {
    world = await startE2eWorld({ propagationDelayMs: 5_000 });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("is ridden out: the new set is wired, after at least 5 s and at most one backoff more", async () => {
    // Prepare
    const tagged = await world.container("OnConfigurationSetTaggedFunction");
    world.sim.state.createConfigurationSet("fresh", { "ses-firehose": "enabled" });
    // Act
    const invocation = await tagged.invoke<EventResult>(tagEvent("fresh", { "ses-firehose": "enabled" }));
    // Assess
    expect(invocation).toMatchObject({ ok: true, result: { results: [{ outcome: "created" }] } });
    expect(invocation.durationMs).toBeGreaterThanOrEqual(5_000);
    // Full-jitter backoff (SPEC §2.2): the attempt after propagation comes at most one capped wait later.
    expect(invocation.durationMs).toBeLessThan(5_000 + LARGEST_BACKOFF_MS + 1_000);
    expect(wiringProblems(world, await readWiring(world, "fresh"), world.defaultStreamArn)).toEqual([]);
    // Backoff, not a busy loop: a handful of rejected attempts, each answered "Could not assume IAM role".
    const rejected = world.sim.callLog.entries({
      operation: "CreateConfigurationSetEventDestination",
      status: 400,
    });
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeLessThanOrEqual(8);
    expect(rejected.every((entry) => entry.errorCode === "BadRequestException")).toBe(true);
    const retries = tagged.logRecords().filter((record) => /propagat/i.test(String(record.message)));
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });
});
