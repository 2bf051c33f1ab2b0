// Integration tests (core layer, wall clock): the backfill engine at scale — 10,000 sets under the SES rate limit,
// and its wall time against the bound the rate sets. Timing-based, so not in the unit project.
import { attachPacer, TokenBucketPacer } from "../../shared/pacing";
import { countOutcomes } from "../../shared/report";
import { depsFor, runBackfill, type BackfillDeps } from "../support/backfill-harness";
import { FakeAws, seedMixed } from "../support/fake-aws";

describe("runBackfill at scale", () => {
  const SETS = 10_000;
  const RATE = 2_000;

  it("finishes 10,000 configuration sets of mixed states under the SES rate limit with correct counts and no failures; a re-run is all unchanged with zero writes", async () => {
    // Prepare: SES accepts RATE req/s (bursts of 40); the engine paces its SES client at the same rate
    const fake = new FakeAws();
    seedMixed(fake, SETS);
    fake.limitSesRate(RATE, 40);
    const clients = fake.clients();
    const pacer = new TokenBucketPacer({ ratePerSecond: RATE });
    attachPacer(clients.sesv2, pacer);
    const deps: BackfillDeps = { ...depsFor(fake, {}, false), ...clients, pageSize: 1000, concurrency: 8 };

    // Act
    const started = performance.now();
    const first = await runBackfill({ dryRun: false }, deps);
    const elapsedMs = performance.now() - started;
    const writesAfterFirst = fake.writeCalls();
    const sesCallsFirst = pacer.stats().acquired;
    const second = await runBackfill({ dryRun: false }, deps);

    // Assess
    expect(first.complete).toBe(true);
    expect(new Set(first.results.map((entry) => entry.configurationSet)).size).toBe(SETS);
    expect(countOutcomes(first.results)).toEqual({
      created: 2_000,
      updated: 1_000,
      unchanged: 1_000,
      removed: 1_000,
      skipped: 5_000,
      failed: 0,
    });
    // pacing keeps wall time near the lower bound set by the rate and the SES calls made
    expect(elapsedMs).toBeGreaterThanOrEqual(((sesCallsFirst - 1) / RATE) * 1000 * 0.95);
    expect(fake.throttled).toBeLessThan(sesCallsFirst * 0.01);

    expect(countOutcomes(second.results)).toEqual({
      created: 0,
      updated: 0,
      unchanged: 4_000,
      removed: 0,
      skipped: 6_000,
      failed: 0,
    });
    expect(fake.writeCalls()).toBe(writesAfterFirst);
  }, 120_000);

  it("keeps the wall time within 1.15x of the lower bound set by the SES rate and the SES calls it makes", async () => {
    // Prepare: a rate low enough that the SDK's own CPU time is not the bottleneck
    const fake = new FakeAws();
    seedMixed(fake, 400);
    const rate = 200;
    fake.limitSesRate(rate, 5);
    const clients = fake.clients();
    const pacer = new TokenBucketPacer({ ratePerSecond: rate });
    attachPacer(clients.sesv2, pacer);

    // Act
    const started = performance.now();
    const run = await runBackfill(
      { dryRun: false },
      { ...depsFor(fake, {}, false), ...clients, pageSize: 1000 },
    );
    const elapsedMs = performance.now() - started;

    // Assess
    const lowerBoundMs = (pacer.stats().acquired / rate) * 1000;
    expect(run.results).toHaveLength(400);
    expect(countOutcomes(run.results).failed).toBe(0);
    expect(elapsedMs / lowerBoundMs).toBeLessThanOrEqual(1.15);
    expect(fake.throttled).toBe(0);
  }, 30_000);
});
