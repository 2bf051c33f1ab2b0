// Integration tests (infrastructure layer, wall clock): the token-bucket pacer on real timers, and its SDK
// middleware on a real SES v2 client whose adaptive retries wait for real. Timing-based, so not in the unit project.
import { Readable } from "node:stream";
import { ListConfigurationSetsCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { attachPacer, PACING_MIDDLEWARE_NAME, TokenBucketPacer } from "../../shared/pacing";

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

describe("TokenBucketPacer on real timers", () => {
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
