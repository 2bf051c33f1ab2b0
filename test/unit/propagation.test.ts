// Core layer tests: the IAM-propagation retry (docs/architecture.md, "IAM propagation") — only SES's two messages, full-jitter backoff, bounded budget.
import { BadRequestException, TooManyRequestsException } from "@aws-sdk/client-sesv2";
import { PropagationTimeoutError } from "../../shared/errors";
import { isPropagationError, propagationBudgetMs, withPropagationRetry } from "../../shared/propagation";

const cannotAssume = () =>
  new BadRequestException({
    message: "Could not assume IAM role <arn:aws:iam::111122223333:role/ses-firehose-autowire/r>.",
    $metadata: {},
  });
const cannotAccess = () =>
  new BadRequestException({
    message: "Could not access Kinesis Firehose Stream email-events.",
    $metadata: {},
  });

/** A fake clock that sleep advances; records every wait. */
function fakeTime(random: () => number = () => 1 - Number.EPSILON) {
  const sleeps: number[] = [];
  let now = 0;
  return {
    sleeps,
    options: (budgetMs: number) => ({
      budgetMs,
      clock: {
        random,
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
        },
      },
    }),
  };
}

/** An operation that fails with `errors` in turn, then returns "done"; counts its calls. */
function failing(...errors: Error[]) {
  const calls = { count: 0 };
  const operation = async () => {
    const err = errors[calls.count];
    calls.count += 1;
    if (err) throw err;
    return "done";
  };
  return { calls, operation };
}

describe("isPropagationError", () => {
  it("recognises exactly SES's two propagation messages", () => {
    expect(isPropagationError(cannotAssume())).toBe(true);
    expect(isPropagationError(cannotAccess())).toBe(true);
    expect(
      isPropagationError(new BadRequestException({ message: "Invalid event type.", $metadata: {} })),
    ).toBe(false);
    expect(
      isPropagationError(
        new TooManyRequestsException({ message: "Could not assume IAM role <x>.", $metadata: {} }),
      ),
    ).toBe(false);
    expect(isPropagationError("Could not assume IAM role")).toBe(false);
  });
});

describe("withPropagationRetry", () => {
  it("retries until SES accepts, waiting at most 1 s, then at most half the time spent so far, up to the 8 s cap", async () => {
    // Prepare: every draw at the top of its range
    const time = fakeTime();
    const { calls, operation } = failing(
      ...Array.from({ length: 11 }, (_, i) => (i % 2 ? cannotAccess() : cannotAssume())),
    );

    // Act
    const result = await withPropagationRetry(operation, time.options(120_000));

    // Assess: 1 s while little time is spent, then the time spent grows by half each wait, then the cap
    expect(result).toBe("done");
    expect(calls.count).toBe(12);
    expect(time.sleeps).toEqual([999, 999, 999, 1498, 2247, 3370, 5055, 7583, 7999, 7999, 7999]);
  });

  it("asks SES again soon after the role becomes usable: the overshoot stays within half the delay", async () => {
    // Prepare: SES accepts once 8 s have passed; every wait drawn at the top of its range (the worst case)
    const time = fakeTime();
    let now = 0;
    const options = time.options(120_000);
    const operation = async () => {
      now = options.clock.now();
      if (now < 8_000) throw cannotAssume();
      return "done";
    };

    // Act
    await withPropagationRetry(operation, options);

    // Assess: the old doubling schedule (1, 2, 4, 8 s ...) would have answered at 14.996 s
    expect(now).toBeGreaterThanOrEqual(8_000);
    expect(now).toBeLessThanOrEqual(8_000 * 1.5);
    expect(now).toBe(10_112);
  });

  it("draws each wait uniformly below its ceiling (full jitter)", async () => {
    // Prepare
    const draws = [0, 0.25, 0.5];
    const time = fakeTime(() => draws.shift() ?? 0);
    const { operation } = failing(cannotAssume(), cannotAssume(), cannotAssume());

    // Act
    await withPropagationRetry(operation, time.options(120_000));

    // Assess
    expect(time.sleeps).toEqual([0, 250, 500]);
  });

  it("gives up when the next wait would pass the budget, keeping SES's message", async () => {
    // Prepare
    const time = fakeTime();
    const { calls, operation } = failing(...Array.from({ length: 100 }, cannotAssume));

    // Act
    const outcome = withPropagationRetry(operation, time.options(20_000));

    // Assess
    await expect(outcome).rejects.toThrow(PropagationTimeoutError);
    await expect(
      withPropagationRetry(
        failing(...Array.from({ length: 100 }, cannotAssume)).operation,
        fakeTime().options(20_000),
      ),
    ).rejects.toThrow(
      /^SES still rejected the role after 8 attempts over 15.2 s \(IAM propagation budget 20 s spent\): Could not assume IAM role/,
    );
    expect(calls.count).toBe(8);
    expect(time.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(20_000);
  });

  it("makes one attempt when there is no budget", async () => {
    // Prepare
    const time = fakeTime();
    const { calls, operation } = failing(cannotAssume());

    // Act / Assess
    await expect(withPropagationRetry(operation, time.options(0))).rejects.toThrow(PropagationTimeoutError);
    expect(calls.count).toBe(1);
  });

  it("throws any other error at once", async () => {
    // Prepare
    const time = fakeTime();
    const other = new BadRequestException({ message: "Invalid event type.", $metadata: {} });
    const { calls, operation } = failing(other);

    // Act / Assess
    await expect(withPropagationRetry(operation, time.options(120_000))).rejects.toBe(other);
    expect(calls.count).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it("reports each wait", async () => {
    // Prepare
    const seen: [number, number][] = [];
    const { operation } = failing(cannotAssume());

    // Act
    await withPropagationRetry(operation, {
      ...fakeTime().options(10_000),
      onRetry: (attempt, delayMs) => seen.push([attempt, delayMs]),
    });

    // Assess
    expect(seen).toEqual([[1, 999]]);
  });
});

describe("propagationBudgetMs", () => {
  it("is the configured budget when there is no deadline", () => {
    expect(propagationBudgetMs(120)).toBe(120_000);
  });

  it("is bounded by the Lambda's remaining time minus a safety margin, never negative", () => {
    expect(propagationBudgetMs(120, () => 60_000)).toBe(50_000);
    expect(propagationBudgetMs(120, () => 900_000)).toBe(120_000);
    expect(propagationBudgetMs(120, () => 5_000)).toBe(0);
    expect(propagationBudgetMs(120, () => 60_000, 1_000)).toBe(59_000);
  });
});
