// Unit tests (core layer): the backfill engine through the real reconcile, against an in-memory AWS account.
import { SESv2ServiceException } from "@aws-sdk/client-sesv2";
import { validateConfigurationSetNames, type BackfillCursor } from "../../shared/backfill";
import { systemClock } from "../../shared/deps";
import { InvalidBackfillInputError } from "../../shared/errors";
import { MANAGED_BY_TAG, roleNameFor } from "../../shared/naming";
import { countOutcomes, type ReportEntry } from "../../shared/report";
import { depsFor, runBackfill } from "../support/backfill-harness";
import { FakeAws, seedMixed } from "../support/fake-aws";

function namesOf(results: readonly ReportEntry[]): string[] {
  return results.map((entry) => entry.configurationSet).sort();
}

/** One invocation's deps: `budgetMs` of Lambda time left at the start, 1 s less after each finished set, no reserve. */
function invocationDeps(
  fake: FakeAws,
  { budgetMs, concurrency, stopMarginMs }: { budgetMs: number; concurrency: number; stopMarginMs: number },
) {
  let remainingMs = budgetMs;
  return depsFor(fake, {
    concurrency,
    stopMarginMs,
    reserveMs: 0,
    remainingTimeMs: () => remainingMs,
    onResult: () => {
      remainingMs -= 1_000;
    },
  });
}

/**
 * One opted-in set, "only", whose first `times` GetConfigurationSet answers are throttled (or fail with `error`,
 * when given), `maxAttempts` SDK attempts per call, and a clock that records the backfill's waits instead of sleeping.
 */
function oneSetThrottled(
  times: number,
  { maxAttempts, error }: { maxAttempts: number; error?: { name: string; message: string; status: number } },
) {
  const fake = new FakeAws();
  fake.addSet("only", { "ses-firehose": "enabled" });
  fake.injectThrottling.set("GetConfigurationSetCommand", times);
  if (error !== undefined) {
    fake.throttlingError = () =>
      new SESv2ServiceException({
        name: error.name,
        $fault: "client",
        message: error.message,
        $metadata: { httpStatusCode: error.status },
      });
  }
  const waits: number[] = [];
  const deps = {
    ...depsFor(fake, { clock: { ...systemClock, sleep: async (ms: number) => void waits.push(ms) } }),
    ...fake.clients({ maxAttempts }),
  };
  return { fake, waits, deps };
}

describe("runBackfill", () => {
  it("reconciles every listed configuration set exactly once, fetching each page once", async () => {
    // Prepare
    const fake = new FakeAws();
    seedMixed(fake, 25);

    // Act
    const run = await runBackfill({ dryRun: false }, depsFor(fake, { concurrency: 3 }));

    // Assess
    expect(run.complete).toBe(true);
    expect(run.cursor).toBeUndefined();
    expect(namesOf(run.results)).toEqual([...fake.sets.keys()].sort());
    expect(fake.callsOf("ListConfigurationSetsCommand").map((input) => input.NextToken)).toEqual([
      undefined,
      expect.any(String),
      expect.any(String),
    ]);
    expect(new Set(fake.callsOf("ListConfigurationSetsCommand").map((input) => input.NextToken)).size).toBe(
      3,
    );
    expect(run.listPages).toBe(3);
    expect(countOutcomes(run.results)).toEqual({
      created: 4,
      updated: 2,
      unchanged: 2,
      removed: 2,
      skipped: 15,
      failed: 0,
    });
  });

  it("lists the managed roles once under the role path and spends one SES call on a set with nothing to do", async () => {
    // Prepare
    const fake = new FakeAws();
    for (let i = 0; i < 30; i += 1) fake.addSet(`plain-${i}`);
    fake.addWiredSet("wired", { "ses-firehose": "enabled" });

    // Act
    const run = await runBackfill({ dryRun: false }, depsFor(fake, { pageSize: 1000 }));

    // Assess
    expect(fake.callsOf("ListRolesCommand")).toEqual([
      expect.objectContaining({ PathPrefix: "/ses-firehose-autowire/" }),
    ]);
    expect(run.managedRoleCount).toBe(1);
    expect(fake.count((call) => call.service === "iam" && call.command === "GetRoleCommand")).toBe(1);
    // 1 ListConfigurationSets + 30 GetConfigurationSet + (GetConfigurationSet + GetConfigurationSetEventDestinations)
    expect(fake.sesCalls()).toBe(1 + 30 + 2);
    expect(fake.count((call) => call.command === "DescribeDeliveryStreamCommand")).toBe(1);
  });

  it("reconciles only the given names, de-duplicated, without listing", async () => {
    // Prepare
    const fake = new FakeAws();
    seedMixed(fake, 20);

    // Act
    const run = await runBackfill(
      { dryRun: false, configurationSetNames: ["set-00005", "set-00009", "set-00005", "gone"] },
      depsFor(fake),
    );

    // Assess
    expect(fake.callsOf("ListConfigurationSetsCommand")).toHaveLength(0);
    expect(run.results.map(({ configurationSet, outcome }) => ({ configurationSet, outcome }))).toEqual(
      expect.arrayContaining([
        { configurationSet: "set-00005", outcome: "created" },
        { configurationSet: "set-00009", outcome: "removed" },
        { configurationSet: "gone", outcome: "skipped" },
      ]),
    );
    expect(run.results).toHaveLength(3);
    expect(fake.sets.get("set-00006")!.destinations.size).toBe(0);
  });

  it("rejects invalid names with one message naming them and what is accepted, before any AWS call", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addSet("fine");

    // Act
    const attempt = runBackfill(
      { dryRun: false, configurationSetNames: ["fine", "no spaces", "x".repeat(65)] },
      depsFor(fake),
    );

    // Assess
    await expect(attempt).rejects.toThrow(InvalidBackfillInputError);
    await expect(attempt).rejects.toThrow(/"no spaces", "x{65}": a name is 1-64 letters, digits, _ or -/);
    expect(fake.calls).toHaveLength(0);
  });

  it("refuses an empty name list and a concurrency outside 1-64", async () => {
    expect(() => validateConfigurationSetNames([])).toThrow("leave it out to backfill all");
    expect(() => validateConfigurationSetNames([42])).toThrow("Invalid configuration set name 42");
    await expect(runBackfill({ dryRun: true }, depsFor(new FakeAws(), { concurrency: 0 }))).rejects.toThrow(
      "concurrency 0 is not valid: expected an integer from 1 to 64.",
    );
  });

  it("writes nothing in a dry run and lists the actions it would take", async () => {
    // Prepare
    const fake = new FakeAws();
    seedMixed(fake, 10);

    // Act
    const run = await runBackfill({ dryRun: true }, depsFor(fake));

    // Assess
    expect(fake.writeCalls()).toBe(0);
    expect(fake.roles.size).toBe(3);
    const created = run.results.find((entry) => entry.configurationSet === "set-00005")!;
    expect(created).toMatchObject({
      outcome: "created",
      actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
    const removed = run.results.find((entry) => entry.configurationSet === "set-00009")!;
    expect(removed.actions).toEqual([
      "DeleteConfigurationSetEventDestination",
      "DeleteRolePolicy",
      "DeleteRole",
    ]);
  });

  it("stops taking sets when time runs short and continues from the cursor: every set exactly once", async () => {
    // Prepare: a fake clock where each reconciled set costs 1 s of a 12 s budget with a 5 s stop margin
    const fake = new FakeAws();
    seedMixed(fake, 47);
    const seen: string[] = [];
    let cursor: BackfillCursor | undefined;
    let invocations = 0;

    // Act
    for (;;) {
      invocations += 1;
      const run = await runBackfill(
        { dryRun: false, ...(cursor === undefined ? {} : { cursor }) },
        invocationDeps(fake, { budgetMs: 12_000, concurrency: 4, stopMarginMs: 5_000 }),
      );
      seen.push(...run.results.map((entry) => entry.configurationSet));
      expect(run.results.length).toBeLessThanOrEqual(8 + 3); // 8 taken before 5 s remain, 3 more in flight
      if (run.complete) break;
      cursor = run.cursor;
      expect(invocations).toBeLessThan(20);
    }

    // Assess
    expect(invocations).toBeGreaterThan(4);
    expect(seen).toHaveLength(47);
    expect(new Set(seen).size).toBe(47);
    expect(seen.sort()).toEqual([...fake.sets.keys()].sort());
  });

  it("continues through an explicit name list with an index cursor", async () => {
    // Prepare
    const fake = new FakeAws();
    seedMixed(fake, 12);
    const names = [...fake.sets.keys()];
    let budgetMs = 3_000;
    const deps = depsFor(fake, {
      concurrency: 1,
      stopMarginMs: 1_000,
      reserveMs: 0,
      remainingTimeMs: () => budgetMs,
      onResult: () => {
        budgetMs -= 1_000;
      },
    });

    // Act
    const first = await runBackfill({ dryRun: false, configurationSetNames: names }, deps);
    budgetMs = Number.POSITIVE_INFINITY;
    const second = await runBackfill({ dryRun: false, configurationSetNames: names, ...first }, deps);

    // Assess
    expect(first).toMatchObject({ complete: false, cursor: { index: 3 } });
    expect(first.results.map((entry) => entry.configurationSet)).toEqual(names.slice(0, 3));
    expect(second.complete).toBe(true);
    expect(second.results.map((entry) => entry.configurationSet)).toEqual(names.slice(3));
  });

  it("rides out throttling: SDK retries first, then its own retry of the set, and reports no failure", async () => {
    // Prepare: 2 attempts per call, and 3 throttled GetConfigurationSet answers in a row
    const { fake, waits, deps } = oneSetThrottled(3, { maxAttempts: 2 });

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["only"] }, deps);

    // Assess
    expect(fake.throttled).toBe(3);
    expect(run.results).toEqual([expect.objectContaining({ configurationSet: "only", outcome: "created" })]);
    expect(waits).toEqual([2000]);
  }, 30_000);

  it("retries a set throttled with another error name and message, recognised by its HTTP 429", async () => {
    // Prepare: a throttling answer whose name and text reconcile has never seen; only its status says throttled
    const { fake, waits, deps } = oneSetThrottled(1, {
      maxAttempts: 1,
      error: { name: "SlowDown", message: "Rate exceeded for this account, please back off", status: 429 },
    });

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["only"] }, deps);

    // Assess
    expect(fake.throttled).toBe(1);
    expect(waits).toEqual([2000]);
    expect(run.results).toEqual([expect.objectContaining({ configurationSet: "only", outcome: "created" })]);
  });

  it("does not retry a set that failed for another reason, whatever its message says", async () => {
    // Prepare: an access error whose text mentions throttling
    const { waits, deps } = oneSetThrottled(1, {
      maxAttempts: 1,
      error: {
        name: "AccessDeniedException",
        message: "failed with TooManyRequestsException: Throttling (not really)",
        status: 403,
      },
    });

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["only"] }, deps);

    // Assess
    expect(waits).toEqual([]);
    expect(run.results).toEqual([
      expect.objectContaining({ outcome: "failed", errorName: "AccessDeniedException" }),
    ]);
  });

  it("reports a set that stays throttled as failed once its retries are spent", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addSet("stuck");
    fake.injectThrottling.set("GetConfigurationSetCommand", 100);
    const deps = { ...depsFor(fake), ...fake.clients({ maxAttempts: 1 }) };

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["stuck"] }, deps);

    // Assess
    expect(run.results).toEqual([
      expect.objectContaining({
        outcome: "failed",
        error: expect.stringContaining("TooManyRequestsException"),
        errorName: "TooManyRequestsException",
      }),
    ]);
    expect(fake.throttled).toBe(4);
  }, 30_000);

  it("reports a set with a bad tag as failed with a clear message and carries on with the rest", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addSet("bad", { "ses-firehose": "arn:aws:firehose:eu-west-1:999999999999:deliverystream/x" });
    fake.addSet("good", { "ses-firehose": "enabled" });

    // Act
    const run = await runBackfill({ dryRun: false }, depsFor(fake));

    // Assess
    expect(countOutcomes(run.results)).toMatchObject({ created: 1, failed: 1 });
    expect(run.results.find((entry) => entry.configurationSet === "bad")?.error).toMatch(
      /eu-west-1|999999999999/,
    );
  });

  it("surfaces a listing failure instead of reporting a partial run as complete", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addSet("a");
    fake.injectThrottling.set("ListConfigurationSetsCommand", 100);
    const deps = { ...depsFor(fake), ...fake.clients({ maxAttempts: 1 }) };

    // Act / Assess
    await expect(runBackfill({ dryRun: false }, deps)).rejects.toThrow("Too many requests");
  });
});

describe("runBackfill and roles whose configuration set is gone", () => {
  /** A wired set deleted behind our back (the DeleteConfigurationSet event was missed): its role remains. */
  function orphan(fake: FakeAws, name: string): string {
    const roleName = fake.addWiredSet(name, { "ses-firehose": "enabled" });
    fake.sets.delete(name);
    return roleName;
  }

  it("removes the role of a deleted set once, and leaves other regions' roles and kept sets alone", async () => {
    // Prepare
    const fake = new FakeAws();
    fake.addWiredSet("kept", { "ses-firehose": "enabled" });
    const deletedRole = orphan(fake, "deleted");
    const longName = `long-${"x".repeat(55)}`;
    const longRole = orphan(fake, longName);
    const elsewhere = roleNameFor("ses-firehose", "eu-west-1", "elsewhere");
    fake.roles.set(elsewhere, {
      path: "/ses-firehose-autowire/",
      tags: [
        { ...MANAGED_BY_TAG },
        { Key: "ses-configuration-set", Value: "elsewhere" },
        { Key: "ses-region", Value: "eu-west-1" },
      ],
      trust: "{}",
      inline: new Map(),
    });

    // Act
    const run = await runBackfill({ dryRun: false }, depsFor(fake, { pageSize: 1000 }));

    // Assess
    expect(
      run.results
        .map(({ configurationSet, outcome }) => ({ configurationSet, outcome }))
        .sort((a, b) => a.configurationSet.localeCompare(b.configurationSet)),
    ).toEqual([
      { configurationSet: "deleted", outcome: "removed" },
      { configurationSet: "kept", outcome: "unchanged" },
      { configurationSet: longName, outcome: "removed" },
    ]);
    expect(fake.roles.has(deletedRole)).toBe(false);
    expect(fake.roles.has(longRole)).toBe(false);
    expect(fake.roles.has(elsewhere)).toBe(true);
    expect(fake.callsOf("GetRoleCommand").map((input) => input.RoleName)).not.toContain(elsewhere);
    expect(fake.callsOf("ListConfigurationSetsCommand")).toHaveLength(1);
  });

  it("only plans the removal in a dry run", async () => {
    // Prepare
    const fake = new FakeAws();
    const role = orphan(fake, "deleted");

    // Act
    const run = await runBackfill({ dryRun: true }, depsFor(fake));

    // Assess
    expect(run.results).toEqual([
      expect.objectContaining({
        configurationSet: "deleted",
        outcome: "removed",
        actions: ["DeleteRolePolicy", "DeleteRole"],
      }),
    ]);
    expect(fake.roles.has(role)).toBe(true);
    expect(fake.writeCalls()).toBe(0);
  });

  it("continues from the listing into the orphan phase and through it, every set exactly once", async () => {
    // Prepare
    const fake = new FakeAws();
    seedMixed(fake, 20);
    for (let i = 0; i < 6; i += 1) orphan(fake, `gone-${i}`);
    const seen: string[] = [];
    let cursor: BackfillCursor | undefined;
    const phases: (string | undefined)[] = [];

    // Act
    for (let invocation = 0; invocation < 30; invocation += 1) {
      const run = await runBackfill(
        { dryRun: false, ...(cursor === undefined ? {} : { cursor }) },
        invocationDeps(fake, { budgetMs: 8_000, concurrency: 2, stopMarginMs: 5_000 }),
      );
      seen.push(...run.results.map((entry) => entry.configurationSet));
      if (run.complete) break;
      cursor = run.cursor;
      phases.push(cursor?.phase);
    }

    // Assess
    expect(phases).toContain("orphans");
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect([...fake.roles.keys()].some((role) => role.includes("gone-"))).toBe(false);
  });
});
