// Unit tests (infrastructure layer): the token-bucket pacer and its SDK middleware on a real SES v2 client.
import { TokenBucketPacer } from "../../shared/pacing";

/** A clock that only moves when someone sleeps: pacing becomes exact and instant to test. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

describe("TokenBucketPacer", () => {
  it("lets N acquisitions at rate r take (N - 1) / r seconds", async () => {
    // Prepare
    const clock = fakeClock();
    const pacer = new TokenBucketPacer({ ratePerSecond: 4, now: clock.now, sleep: clock.sleep });

    // Act
    for (let i = 0; i < 9; i += 1) await pacer.acquire();

    // Assess
    expect(clock.now()).toBe(2000);
    expect(pacer.stats()).toEqual({ ratePerSecond: 4, acquired: 9, waitedMs: 2000 });
  });

  it("spaces concurrent callers one interval apart, in the order they asked", async () => {
    // Prepare
    const waits: number[] = [];
    const pacer = new TokenBucketPacer({
      ratePerSecond: 10,
      now: () => 0,
      sleep: async (ms) => void waits.push(ms),
    });

    // Act: all four ask at the same instant
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire(), pacer.acquire()]);

    // Assess
    expect(waits.map(Math.round)).toEqual([100, 200, 300]);
  });

  it("allows a burst after an idle period, then returns to the sustained rate", async () => {
    // Prepare
    const clock = fakeClock();
    const pacer = new TokenBucketPacer({ ratePerSecond: 1, burst: 3, now: clock.now, sleep: clock.sleep });
    await pacer.acquire();
    clock.advance(10_000);

    // Act
    for (let i = 0; i < 5; i += 1) await pacer.acquire();

    // Assess: three immediately, then one per second
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  it("does not let a late timer push later slots back (the schedule, not the wake-up, sets the pace)", async () => {
    // Prepare: every sleep oversleeps by 40% of its duration
    let now = 0;
    const pacer = new TokenBucketPacer({
      ratePerSecond: 10,
      now: () => now,
      sleep: async (ms) => {
        now += ms * 1.4;
      },
    });

    // Act
    for (let i = 0; i < 101; i += 1) await pacer.acquire();

    // Assess: 100 intervals of 100 ms, within the last oversleep
    expect(now).toBeGreaterThanOrEqual(10_000);
    expect(now).toBeLessThan(10_000 * 1.05);
  });

  it("rejects a rate or burst that cannot pace anything", () => {
    expect(() => new TokenBucketPacer({ ratePerSecond: 0 })).toThrow(
      "ratePerSecond must be a positive number",
    );
    expect(() => new TokenBucketPacer({ ratePerSecond: Number.NaN })).toThrow("ratePerSecond");
    expect(() => new TokenBucketPacer({ ratePerSecond: 1, burst: 0 })).toThrow(
      "burst must be an integer >= 1",
    );
  });
});
