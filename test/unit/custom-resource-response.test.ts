// Infrastructure layer tests: the custom-resource answer — body under 4,096 bytes, the PUT CloudFormation's pre-signed
// S3 URL expects (empty content type, exact length), retries, and refusal of URLs that are not CloudFormation's.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  MAX_RESPONSE_BYTES,
  responseBody,
  sendAnswer,
  type CustomResourceAnswer,
} from "../../shared/custom-resource-response";
import { AnswerNotDeliveredError } from "../../shared/errors";

const ANSWER: CustomResourceAnswer = {
  Status: "FAILED",
  Reason: "Cleanup failed: AccessDenied",
  PhysicalResourceId: "ses-firehose-autowire/us-east-1/stack",
  StackId: "arn:aws:cloudformation:us-east-1:111122223333:stack/stack/5b6f1a30-9d6e-11ef-8c7e-0a1b2c3d4e5f",
  RequestId: "3f1c2b7a-0d4e-4b8e-9f2a-6c5d4e3f2a1b",
  LogicalResourceId: "StackLifecycle",
};

describe("the response body", () => {
  it("is the answer as JSON when it fits", () => {
    expect(JSON.parse(responseBody(ANSWER))).toEqual(ANSWER);
  });

  it.each([
    ["ASCII", "x"],
    ["multi-byte", "é"],
    ["astral", "😀"],
  ])(
    "shortens a long %s reason so that the body fits 4,096 bytes, keeping whole characters",
    (_kind, char) => {
      // Prepare
      const long = { ...ANSWER, Reason: char.repeat(10_000) };
      // Act
      const body = responseBody(long);
      // Assess
      expect(Buffer.byteLength(body, "utf8")).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
      expect(Buffer.byteLength(body, "utf8")).toBeGreaterThan(MAX_RESPONSE_BYTES - 10);
      const reason = (JSON.parse(body) as CustomResourceAnswer).Reason;
      expect(reason).toMatch(/\[…truncated: the full text is in the function's log\]$/);
      expect(reason.startsWith(char.repeat(100))).toBe(true);
      expect(reason).not.toMatch(/\uFFFD/);
      expect({ ...JSON.parse(body), Reason: "" }).toEqual({ ...ANSWER, Reason: "" });
    },
  );

  it("refuses an answer whose Data alone is too large", () => {
    expect(() => responseBody({ ...ANSWER, Data: { big: "x".repeat(5000) } })).toThrow(
      AnswerNotDeliveredError,
    );
  });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe("sending the answer", () => {
  let server: Server;
  let received: Received[];
  let statuses: number[];
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        received.push({
          method: request.method ?? "",
          url: request.url ?? "",
          headers: request.headers,
          body,
        });
        const status = statuses.shift() ?? 200;
        response.writeHead(status).end(status < 300 ? "" : "<Error/>");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?X-Amz-Signature=abc`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    statuses = [];
  });

  const fast = { remainingTimeMs: () => 60_000, sleep: async () => undefined, random: () => 0.5 };

  it("PUTs the JSON to the URL with an empty content type and its exact length", async () => {
    // Act
    const attempts = await sendAnswer(url, { ...ANSWER, Reason: "déjà fini" }, fast);
    // Assess
    expect(attempts).toBe(1);
    expect(received).toHaveLength(1);
    const [put] = received;
    expect(put?.method).toBe("PUT");
    expect(put?.url).toBe("/bucket/key?X-Amz-Signature=abc");
    expect(put?.headers["content-type"]).toBe("");
    expect(put?.headers["content-length"]).toBe(String(Buffer.byteLength(put?.body ?? "", "utf8")));
    expect(JSON.parse(put?.body ?? "")).toEqual({ ...ANSWER, Reason: "déjà fini" });
  });

  it("retries a refused PUT with growing, jittered waits, and succeeds", async () => {
    // Prepare
    statuses = [503, 500];
    const waits: number[] = [];
    const retries: string[] = [];
    // Act
    const attempts = await sendAnswer(url, ANSWER, {
      ...fast,
      sleep: async (ms) => {
        waits.push(ms);
      },
      onRetry: (_attempt, _delay, error) => retries.push(error.message),
    });
    // Assess
    expect(attempts).toBe(3);
    expect(received).toHaveLength(3);
    expect(waits).toEqual([125, 250]);
    expect(retries).toEqual(["HTTP 503: <Error/>", "HTTP 500: <Error/>"]);
  });

  it("gives up after the last attempt with the last error", async () => {
    // Prepare
    statuses = [403, 403, 403];
    // Act
    const sending = sendAnswer(url, ANSWER, { ...fast, maxAttempts: 3 });
    // Assess
    await expect(sending).rejects.toThrow(
      "The answer could not be delivered to CloudFormation after 3 attempt(s): HTTP 403: <Error/>",
    );
    expect(received).toHaveLength(3);
  });

  it("gives up when the time left would not cover the next wait", async () => {
    // Prepare
    statuses = [503];
    // Act
    const sending = sendAnswer(url, ANSWER, { ...fast, remainingTimeMs: () => 1000 });
    // Assess
    await expect(sending).rejects.toThrow(AnswerNotDeliveredError);
    expect(received).toHaveLength(1);
  });

  it("retries a connection that fails, then reports it", async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // Act
    const sending = sendAnswer(`http://127.0.0.1:${port}/x`, ANSWER, { ...fast, maxAttempts: 2 });
    // Assess
    await expect(sending).rejects.toThrow(/after 2 attempt\(s\): .*ECONNREFUSED/);
  });

  it("stops waiting for a server that does not answer after the attempt timeout", async () => {
    // Prepare
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    // Act
    const sending = sendAnswer(`http://127.0.0.1:${port}/x`, ANSWER, {
      ...fast,
      maxAttempts: 1,
      attemptTimeoutMs: 50,
    });
    // Assess
    await expect(sending).rejects.toThrow("no response within 50 ms");
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it.each([
    ["plain HTTP off loopback", "http://bucket.s3.amazonaws.com/key", /must be an https:\/\/ URL/],
    ["another scheme", "file:///etc/passwd", /must be an https:\/\/ URL/],
    ["not a URL", "not a url", /is not a URL/],
  ])("refuses %s without sending anything", async (_case, target, message) => {
    await expect(sendAnswer(target, ANSWER, fast)).rejects.toThrow(message);
    expect(received).toHaveLength(0);
  });
});
