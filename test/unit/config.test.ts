// Core layer tests: environment variables to one frozen Config, or one ConfigError naming the variable (docs/contract.md).
import { ALL_EVENT_TYPES, DELIVERY_STREAM_ARN_PATTERN, loadConfig } from "../../shared/config";
import { ConfigError } from "../../shared/errors";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    // Act
    const config = loadConfig({});

    // Assess
    expect(config).toEqual({
      optInTagKey: "ses-firehose",
      optInMode: "tag",
      defaultDeliveryStreamArn: undefined,
      eventTypes: [...ALL_EVENT_TYPES],
      eventDestinationName: "ses-firehose-autowire",
      rolePath: "/ses-firehose-autowire/",
      roleNamePrefix: "ses-firehose",
      permissionsBoundaryArn: undefined,
      propagationTimeoutSeconds: 120,
      sesRequestsPerSecond: 1,
      eventConcurrency: 2,
      reconcileQueueUrl: undefined,
      roleScope: "configuration-set",
    });
    expect(ALL_EVENT_TYPES).toHaveLength(10);
  });

  it("reads every variable, trimming blanks and normalising case", () => {
    // Act
    const config = loadConfig({
      OPT_IN_TAG_KEY: " email:firehose ",
      OPT_IN_MODE: "ALL",
      DEFAULT_DELIVERY_STREAM_ARN: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/events",
      EVENT_TYPES: "bounce, Complaint,BOUNCE",
      EVENT_DESTINATION_NAME: "to-firehose",
      ROLE_PATH: "/mail/ses/",
      ROLE_NAME_PREFIX: "ses",
      PERMISSIONS_BOUNDARY_ARN: "arn:aws:iam::111122223333:policy/boundaries/ses",
      PROPAGATION_TIMEOUT_SECONDS: "30",
      SES_REQUESTS_PER_SECOND: "2.5",
      EVENT_CONCURRENCY: "4",
      RECONCILE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/111122223333/autowire-ReconcileQueue-X1.fifo",
      ROLE_SCOPE: " Delivery-Stream ",
    });

    // Assess
    expect(config).toMatchObject({
      optInTagKey: "email:firehose",
      optInMode: "all",
      defaultDeliveryStreamArn: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/events",
      eventTypes: ["BOUNCE", "COMPLAINT"],
      eventDestinationName: "to-firehose",
      rolePath: "/mail/ses/",
      roleNamePrefix: "ses",
      permissionsBoundaryArn: "arn:aws:iam::111122223333:policy/boundaries/ses",
      propagationTimeoutSeconds: 30,
      sesRequestsPerSecond: 2.5,
      eventConcurrency: 4,
      reconcileQueueUrl: "https://sqs.eu-west-1.amazonaws.com/111122223333/autowire-ReconcileQueue-X1.fifo",
      roleScope: "delivery-stream",
    });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ OPT_IN_MODE: "", EVENT_TYPES: "  ", DEFAULT_DELIVERY_STREAM_ARN: "" })).toMatchObject(
      {
        optInMode: "tag",
        eventTypes: [...ALL_EVENT_TYPES],
        defaultDeliveryStreamArn: undefined,
      },
    );
  });

  it("returns a frozen object", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.eventTypes)).toBe(true);
  });

  it.each([
    ["OPT_IN_MODE", "some", 'OPT_IN_MODE="some" is not valid: expected "tag" or "all".'],
    ["OPT_IN_TAG_KEY", "aws:reserved", 'OPT_IN_TAG_KEY="aws:reserved" is not valid: expected a tag key'],
    ["OPT_IN_TAG_KEY", "AWS:Reserved", 'OPT_IN_TAG_KEY="AWS:Reserved" is not valid'],
    ["OPT_IN_TAG_KEY", "k".repeat(129), "OPT_IN_TAG_KEY="],
    [
      "DEFAULT_DELIVERY_STREAM_ARN",
      "events",
      'DEFAULT_DELIVERY_STREAM_ARN="events" is not valid: expected a Firehose delivery stream ARN',
    ],
    [
      "EVENT_TYPES",
      "SEND,OPENED",
      'EVENT_TYPES="SEND,OPENED" is not valid: expected a comma-separated list of SEND, REJECT',
    ],
    ["EVENT_TYPES", "SEND,", 'EVENT_TYPES="SEND," is not valid'],
    [
      "EVENT_DESTINATION_NAME",
      "has space",
      'EVENT_DESTINATION_NAME="has space" is not valid: expected 1-63 letters, digits, _ or -.',
    ],
    ["EVENT_DESTINATION_NAME", "d".repeat(64), "EVENT_DESTINATION_NAME="],
    [
      "ROLE_PATH",
      "no-slashes",
      'ROLE_PATH="no-slashes" is not valid: expected an IAM path that starts and ends with "/"',
    ],
    ["ROLE_PATH", `/${"p".repeat(511)}/`, "ROLE_PATH is not valid: at most 512 characters are accepted."],
    ["ROLE_NAME_PREFIX", "p".repeat(33), "ROLE_NAME_PREFIX="],
    [
      "ROLE_NAME_PREFIX",
      "ses firehose",
      'ROLE_NAME_PREFIX="ses firehose" is not valid: expected 1-32 characters',
    ],
    [
      "PERMISSIONS_BOUNDARY_ARN",
      "arn:aws:iam::111122223333:role/x",
      'PERMISSIONS_BOUNDARY_ARN="arn:aws:iam::111122223333:role/x" is not valid: expected an IAM managed policy ARN',
    ],
    [
      "PROPAGATION_TIMEOUT_SECONDS",
      "-1",
      'PROPAGATION_TIMEOUT_SECONDS="-1" is not valid: expected a number from 0 to 900.',
    ],
    ["PROPAGATION_TIMEOUT_SECONDS", "901", 'PROPAGATION_TIMEOUT_SECONDS="901"'],
    ["PROPAGATION_TIMEOUT_SECONDS", "2m", 'PROPAGATION_TIMEOUT_SECONDS="2m"'],
    [
      "SES_REQUESTS_PER_SECOND",
      "0",
      'SES_REQUESTS_PER_SECOND="0" is not valid: expected a number from 0.1 to 1000.',
    ],
    [
      "EVENT_CONCURRENCY",
      "2.5",
      'EVENT_CONCURRENCY="2.5" is not valid: expected a whole number from 0 to 1000.',
    ],
    ["EVENT_CONCURRENCY", "1001", 'EVENT_CONCURRENCY="1001"'],
    ["EVENT_CONCURRENCY", "-1", 'EVENT_CONCURRENCY="-1"'],
    [
      "RECONCILE_QUEUE_URL",
      "https://sqs.us-east-1.amazonaws.com/111122223333/standard-queue",
      'RECONCILE_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/111122223333/standard-queue" is not valid: ' +
        "expected the URL of an SQS FIFO queue (https://sqs.<region>.amazonaws.com/<account>/<name>.fifo), " +
        "or leave it unset.",
    ],
    ["RECONCILE_QUEUE_URL", "arn:aws:sqs:us-east-1:111122223333:q.fifo", "RECONCILE_QUEUE_URL="],
    ["RECONCILE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/q.fifo", "RECONCILE_QUEUE_URL="],
    [
      "RECONCILE_QUEUE_URL",
      `https://sqs.us-east-1.amazonaws.com/111122223333/${"q".repeat(76)}.fifo`,
      "RECONCILE_QUEUE_URL=",
    ],
    [
      "ROLE_SCOPE",
      "stream",
      'ROLE_SCOPE="stream" is not valid: expected "configuration-set" or "delivery-stream".',
    ],
    ["ROLE_SCOPE", "configuration_set", 'ROLE_SCOPE="configuration_set" is not valid'],
  ])("rejects %s=%j with one message naming it and what is accepted", (name, value, message) => {
    // Act
    const act = () => loadConfig({ [name]: value });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it("accepts the partitions' stream ARNs", () => {
    expect(
      DELIVERY_STREAM_ARN_PATTERN.test("arn:aws-cn:firehose:cn-north-1:111122223333:deliverystream/s"),
    ).toBe(true);
    expect(
      DELIVERY_STREAM_ARN_PATTERN.test("arn:aws-us-gov:firehose:us-gov-west-1:111122223333:deliverystream/s"),
    ).toBe(true);
  });

  it.each([
    ["PROPAGATION_TIMEOUT_SECONDS", "0", { propagationTimeoutSeconds: 0 }],
    ["PROPAGATION_TIMEOUT_SECONDS", "900", { propagationTimeoutSeconds: 900 }],
    ["SES_REQUESTS_PER_SECOND", "0.1", { sesRequestsPerSecond: 0.1 }],
    ["SES_REQUESTS_PER_SECOND", "1000", { sesRequestsPerSecond: 1000 }],
    ["SES_REQUESTS_PER_SECOND", "2.25", { sesRequestsPerSecond: 2.25 }],
    ["ROLE_PATH", "/", { rolePath: "/" }],
    ["ROLE_PATH", `/${"p".repeat(510)}/`, { rolePath: `/${"p".repeat(510)}/` }],
    ["OPT_IN_TAG_KEY", "Firehose stream 2", { optInTagKey: "Firehose stream 2" }],
    // A local endpoint (the simulator) with the account/name path SQS's URLs have; names are up to 80 characters.
    [
      "RECONCILE_QUEUE_URL",
      `http://127.0.0.1:4566/111122223333/${"q".repeat(75)}.fifo`,
      { reconcileQueueUrl: `http://127.0.0.1:4566/111122223333/${"q".repeat(75)}.fifo` },
    ],
    [
      "PERMISSIONS_BOUNDARY_ARN",
      "arn:aws-us-gov:iam::aws:policy/boundaries/Ses_1",
      { permissionsBoundaryArn: "arn:aws-us-gov:iam::aws:policy/boundaries/Ses_1" },
    ],
  ])("accepts %s=%j, at the edge of what is valid", (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject(expected);
  });

  it.each([
    ["PROPAGATION_TIMEOUT_SECONDS", "x5"],
    ["PROPAGATION_TIMEOUT_SECONDS", "5x"],
    ["SES_REQUESTS_PER_SECOND", "1."],
    ["SES_REQUESTS_PER_SECOND", "1e2"],
    ["ROLE_PATH", "mail/"],
    ["ROLE_PATH", "/mail"],
    ["ROLE_PATH", "/mail/ x"],
    ["DEFAULT_DELIVERY_STREAM_ARN", "xarn:aws:firehose:eu-west-1:111122223333:deliverystream/s"],
    ["DEFAULT_DELIVERY_STREAM_ARN", "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s/x"],
    ["PERMISSIONS_BOUNDARY_ARN", "xarn:aws:iam::111122223333:policy/b"],
    ["PERMISSIONS_BOUNDARY_ARN", "arn:aws:iam::111122223333:policy/b c"],
    ["EVENT_TYPES", ","],
    ["EVENT_TYPES", "SEND,,BOUNCE"],
    ["RECONCILE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/q.fifo/x"],
    ["RECONCILE_QUEUE_URL", "xhttps://sqs.us-east-1.amazonaws.com/111122223333/q.fifo"],
  ])("rejects %s=%j: nothing may stand before or after what is accepted", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`${name}="${value}" is not valid: expected`);
  });

  it("reads process.env by default", () => {
    const saved = process.env.OPT_IN_MODE;
    process.env.OPT_IN_MODE = "all";
    try {
      expect(loadConfig().optInMode).toBe("all");
    } finally {
      if (saved === undefined) delete process.env.OPT_IN_MODE;
      else process.env.OPT_IN_MODE = saved;
    }
  });
});
