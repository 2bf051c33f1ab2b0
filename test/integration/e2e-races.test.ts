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

const PROPAGATION_DELAY_MS = 5_000;

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
    world = await startE2eWorld({ propagationDelayMs: PROPAGATION_DELAY_MS });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it("is ridden out: the new set is wired after at least 5 s and less than 1.5 × 5 s plus a little", async () => {
    // Prepare
    const tagged = await world.container("OnConfigurationSetTaggedFunction");
    world.sim.state.createConfigurationSet("fresh", { "ses-firehose": "enabled" });
    // Act
    const invocation = await tagged.invoke<EventResult>(tagEvent("fresh", { "ses-firehose": "enabled" }));
    // Assess
    expect(invocation).toMatchObject({ ok: true, result: { results: [{ outcome: "created" }] } });
    expect(invocation.durationMs).toBeGreaterThanOrEqual(PROPAGATION_DELAY_MS);
    // Each wait is at most half the time already spent (full jitter, 1 s floor, 8 s cap), so the attempt that
    // succeeds comes at most 0.5 × 5 s after propagation; 1 s more for process and HTTP overhead.
    expect(invocation.durationMs).toBeLessThan(PROPAGATION_DELAY_MS * 1.5 + 1_000);
    expect(wiringProblems(world, await readWiring(world, "fresh"), world.defaultStreamArn)).toEqual([]);
    // Backoff, not a busy loop (polling every 100 ms would be 50 attempts); each refusal is SES's BadRequest.
    const rejected = world.sim.callLog.entries({
      operation: "CreateConfigurationSetEventDestination",
      status: 400,
    });
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeLessThanOrEqual(20);
    expect(rejected.every((entry) => entry.errorCode === "BadRequestException")).toBe(true);
    const retries = tagged
      .logRecords()
      .filter((record) => record.message === "SES cannot use the role yet (IAM propagation); retrying");
    expect(retries).toHaveLength(rejected.length);
  });
  it("fails clearly when the propagation budget is spent, and Lambda's retry of the event then converges", async () => {
    // Prepare: a budget shorter than the delay
    const impatient = await world.container("OnConfigurationSetTaggedFunction", {
      env: { PROPAGATION_TIMEOUT_SECONDS: "2" },
    });
    const patient = await world.container("OnConfigurationSetTaggedFunction");
    world.sim.state.createConfigurationSet("slow", { "ses-firehose": "enabled" });
    const event = tagEvent("slow", { "ses-firehose": "enabled" });
    // Act
    const first = await impatient.invoke<EventResult>(event);
    const retried = await patient.invoke<EventResult>(event);
    // Assess
    expect(first).toMatchObject({ ok: false, error: { errorType: "ConfigurationSetsFailedError" } });
    expect(first.ok ? "" : first.error.errorMessage).toMatch(
      /IAM propagation budget 2 s spent.*Could not assume IAM role/,
    );
    expect(first.durationMs).toBeLessThan(2_000 + 1_500);
    expect(retried).toMatchObject({ ok: true, result: { results: [{ outcome: "created" }] } });
    expect(wiringProblems(world, await readWiring(world, "slow"), world.defaultStreamArn)).toEqual([]);
  });
});
