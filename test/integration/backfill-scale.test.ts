// Integration tests (core layer, wall clock): the backfill engine at scale — 10,000 sets under the SES rate limit,
// found by tag discovery (the default in tag mode) and then audited in full, and the pacer's wall time against
// the bound the rate sets. Timing-based, so not in the unit project.
import { attachPacer, TokenBucketPacer } from "../../shared/pacing";
import { countOutcomes } from "../../shared/report";
import { depsFor, runBackfill, type BackfillDeps } from "../support/backfill-harness";
import { FakeAws, seedMixed } from "../support/fake-aws";

describe("runBackfill at scale", () => {
  const SETS = 10_000;
  const RATE = 2_000;

  it("wires 10,000 configuration sets of mixed states by tag discovery under the SES rate limit, never reading the 5,000 untagged ones; a full audit afterwards finds nothing left to do", async () => {
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
    const first = await runBackfill({ dryRun: false, discovery: "tags" }, deps);
    const elapsedMs = performance.now() - started;
    const writesAfterFirst = fake.writeCalls();
    const sesCallsFirst = pacer.stats().acquired;
    const readFirst = fake
      .callsOf("GetConfigurationSetCommand")
      .map((input) => String(input.ConfigurationSetName));
    const tagIndexPages = fake.callsOf("GetResourcesCommand").length;
    const second = await runBackfill({ dryRun: false, discovery: "list" }, deps);

    // Assess
    // the candidates are the 5,000 sets carrying the opt-in key (half the account), each visited once
    expect(first.complete).toBe(true);
    expect(first.discovery).toBe("tags");
    expect(first.candidates).toBe(SETS / 2);
    expect(new Set(first.results.map((entry) => entry.configurationSet)).size).toBe(SETS / 2);
    expect(countOutcomes(first.results)).toEqual({
      created: 2_000,
      updated: 1_000,
      unchanged: 1_000,
      removed: 1_000,
      skipped: 0,
      failed: 0,
    });
    expect(first.listPages).toBe(0);
    expect(tagIndexPages).toBe(SETS / 2 / 100);
    // every SES read was of a candidate: the untagged sets cost nothing
    const untagged = (name: string) => Number(name.slice(4)) % 10 < 5;
    expect(readFirst.filter(untagged)).toEqual([]);
    expect(new Set(readFirst).size).toBe(SETS / 2);
    // pacing keeps wall time near the lower bound set by the rate and the SES calls made
    expect(elapsedMs).toBeGreaterThanOrEqual(((sesCallsFirst - 1) / RATE) * 1000 * 0.95);
    expect(fake.throttled).toBeLessThan(sesCallsFirst * 0.01);

    // the full audit lists and visits every set: the untagged ones are skipped, nothing is written
    expect(second.discovery).toBe("list");
    expect(second.results).toHaveLength(SETS);
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

    // Act: a full audit, so the run makes the SES calls of every set (the pacing, not the source, is measured)
    const started = performance.now();
    const run = await runBackfill(
      { dryRun: false, discovery: "list" },
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
