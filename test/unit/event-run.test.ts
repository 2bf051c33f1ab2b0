// Test (adapter layer): the Lambda-agnostic event run — scope from the function ARN, failures surfaced as errors.
import {
  ConfigurationSetsFailedError,
  EVENT_MAX_ATTEMPTS,
  eventRunDepsFromEnvironment,
  reconcileFromEvent,
  sesRateOfOneContainer,
} from "../../shared/event-run";
import { scopeFromFunctionArn } from "../../shared/event-scope";
import { PACING_MIDDLEWARE_NAME } from "../../shared/pacing";
import { reconcile } from "../../shared/reconcile";
import { testEventRunDeps } from "../support/event-handlers";
import { fixtureEvent } from "../support/fixture-events";

jest.mock("../../shared/reconcile");
const reconcileMock = jest.mocked(reconcile);

const deps = testEventRunDeps;
const context = (arn: string) => ({ invokedFunctionArn: arn, getRemainingTimeInMillis: () => 1000 });

beforeEach(() => {
  reconcileMock.mockReset();
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

describe("scopeFromFunctionArn", () => {
  it("reads region and account from a function ARN, qualified or not", () => {
    expect(scopeFromFunctionArn("arn:aws:lambda:eu-west-1:111122223333:function:f:live")).toEqual({
      region: "eu-west-1",
      account: "111122223333",
    });
    expect(scopeFromFunctionArn("arn:aws-cn:lambda:cn-north-1:111122223333:function:f")?.region).toBe(
      "cn-north-1",
    );
  });

  it("gives nothing for anything else", () => {
    expect(scopeFromFunctionArn("arn:aws:sqs:eu-west-1:111122223333:queue")).toBeUndefined();
  });
});

describe("reconcileFromEvent", () => {
  it("uses the function ARN's region when the function's own region is not given", async () => {
    // Prepare
    const event = fixtureEvent("tag-resource");
    event.region = "eu-west-1";
    event.detail.requestParameters = {
      resourceArn: "arn:aws:ses:eu-west-1:111122223333:configuration-set/eu-set",
    };
    reconcileMock.mockResolvedValue({ configurationSet: "eu-set", outcome: "unchanged", actions: [] });
    // Act
    const result = await reconcileFromEvent(
      event,
      context("arn:aws:lambda:eu-west-1:111122223333:function:tagged"),
      ["TagResource"],
      deps(),
    );
    // Assess
    expect(result).toEqual({
      status: "reconciled",
      results: [expect.objectContaining({ configurationSet: "eu-set" })],
    });
    expect(reconcileMock.mock.calls[0]?.[1]).toMatchObject({
      region: "eu-west-1",
      accountId: "111122223333",
    });
  });

  it("takes account and region from the event when the function ARN does not give them", async () => {
    reconcileMock.mockResolvedValue({ configurationSet: "marketing", outcome: "skipped", actions: [] });
    const result = await reconcileFromEvent(
      fixtureEvent("untag-resource"),
      context("local"),
      ["UntagResource"],
      deps(),
    );
    expect(result).toMatchObject({ status: "reconciled" });
    expect(reconcileMock.mock.calls[0]?.[1]).toMatchObject({
      region: "us-east-1",
      accountId: "111122223333",
    });
  });

  it("ignores an event name the function is not wired for", async () => {
    const result = await reconcileFromEvent(
      fixtureEvent("untag-resource"),
      context("local"),
      ["TagResource"],
      deps(),
    );
    expect(result).toEqual({
      status: "ignored",
      reason: "UntagResource is not handled here (expected TagResource)",
    });
  });

  it("reports a failed set even when the core gave no error text", async () => {
    reconcileMock.mockResolvedValue({ configurationSet: "marketing", outcome: "failed", actions: [] });
    const run = reconcileFromEvent(
      fixtureEvent("untag-resource"),
      context("local"),
      ["UntagResource"],
      deps(),
    );
    await expect(run).rejects.toThrow(ConfigurationSetsFailedError);
    await expect(
      reconcileFromEvent(fixtureEvent("untag-resource"), context("local"), ["UntagResource"], deps()),
    ).rejects.toThrow("Reconcile failed for 1 configuration set(s): marketing: unknown error");
  });
});

describe("sesRateOfOneContainer", () => {
  it("shares SES_REQUESTS_PER_SECOND across the reconcile queue's concurrent containers (0 counts as 1)", () => {
    expect(sesRateOfOneContainer({ sesRequestsPerSecond: 1, eventConcurrency: 4 })).toBe(0.25);
    expect(sesRateOfOneContainer({ sesRequestsPerSecond: 5, eventConcurrency: 1 })).toBe(5);
    expect(sesRateOfOneContainer({ sesRequestsPerSecond: 2, eventConcurrency: 0 })).toBe(2);
  });
});

describe("eventRunDepsFromEnvironment", () => {
  it("paces SES (only SES) and rides out throttling with 12 adaptive attempts", async () => {
    // Act
    const built = eventRunDepsFromEnvironment({ AWS_REGION: "eu-west-1", EVENT_CONCURRENCY: "2" });
    // Assess
    const { sesv2, iam } = built.clients;
    expect(sesv2.middlewareStack.identify()).toEqual(
      expect.arrayContaining([expect.stringContaining(PACING_MIDDLEWARE_NAME)]),
    );
    expect(iam.middlewareStack.identify().join()).not.toContain(PACING_MIDDLEWARE_NAME);
    expect(await sesv2.config.maxAttempts()).toBe(EVENT_MAX_ATTEMPTS);
    expect(((await sesv2.config.retryStrategy()) as { mode?: string }).mode).toBe("adaptive");
    expect(built.recentReads).toBeDefined();
    expect(built.queue).toBeUndefined();
    expect(built.clients).toBe(built.clients); // built once per container, on first use
  });

  it("queues to RECONCILE_QUEUE_URL when it is set, with 12 adaptive attempts", async () => {
    const url = "https://sqs.eu-west-1.amazonaws.com/111122223333/autowire-ReconcileQueue-X1.fifo";
    const built = eventRunDepsFromEnvironment({ AWS_REGION: "eu-west-1", RECONCILE_QUEUE_URL: url });
    expect(built.queue?.url).toBe(url);
    expect(await built.queue?.sqs.config.maxAttempts()).toBe(EVENT_MAX_ATTEMPTS);
    expect(((await built.queue?.sqs.config.retryStrategy()) as { mode?: string }).mode).toBe("adaptive");
  });
});
