// Unit tests (infrastructure layer): the token-bucket pacer and its SDK middleware on a real SES v2 client.
import { Readable } from "node:stream";
import { ListConfigurationSetsCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { attachPacer, PACING_MIDDLEWARE_NAME, TokenBucketPacer } from "../../shared/pacing";

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

/** An HTTP handler answering SES v2 ListConfigurationSets; the first `throttled` attempts get a 429. */
function fakeSesHttp(throttled: number) {
  const attempts: number[] = [];
  const respond = (statusCode: number, body: object, headers: Record<string, string> = {}) => ({
    response: {
      statusCode,
      headers: { "content-type": "application/json", ...headers },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    },
  });
  return {
    attempts,
    handler: {
      handle: async () => {
        attempts.push(performance.now());
        if (attempts.length <= throttled) {
          return respond(
            429,
            { message: "Rate exceeded" },
            { "x-amzn-errortype": "TooManyRequestsException" },
          );
        }
        return respond(200, { ConfigurationSets: ["a", "b"] });
      },
    },
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

  it("paces real time when no clock is injected", async () => {
    // Prepare
    const pacer = new TokenBucketPacer({ ratePerSecond: 50 });
    const started = performance.now();

    // Act
    for (let i = 0; i < 11; i += 1) await pacer.acquire();

    // Assess: 10 intervals of 20 ms
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(400);
  });
});

describe("attachPacer", () => {
  it("paces every HTTP attempt of the SES client, SDK retries of a throttled call included", async () => {
    // Prepare
    const http = fakeSesHttp(2);
    const client = new SESv2Client({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      requestHandler: http.handler,
      retryMode: "adaptive",
      maxAttempts: 5,
    });
    const pacer = new TokenBucketPacer({ ratePerSecond: 20 });
    attachPacer(client, pacer);
    attachPacer(client, pacer); // idempotent: a second attach must not double the pacing

    // Act
    const output = await client.send(new ListConfigurationSetsCommand({}));

    // Assess
    expect(output.ConfigurationSets).toEqual(["a", "b"]);
    expect(http.attempts).toHaveLength(3);
    expect(pacer.stats().acquired).toBe(3);
    expect(
      client.middlewareStack.identify().filter((m) => m.startsWith(PACING_MIDDLEWARE_NAME)),
    ).toHaveLength(1);
    for (let i = 1; i < http.attempts.length; i += 1) {
      expect(http.attempts[i]! - http.attempts[i - 1]!).toBeGreaterThanOrEqual(45);
    }
  });
});
