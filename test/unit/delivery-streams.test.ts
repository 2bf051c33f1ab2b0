// Core layer tests: resolving the delivery stream — exists, ACTIVE, same region and account — once per run.
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  FirehoseServiceException,
  ResourceNotFoundException,
  type DeliveryStreamStatus,
} from "@aws-sdk/client-firehose";
import { mockClient } from "aws-sdk-client-mock";
import { createDeliveryStreamCache, resolveDeliveryStream } from "../../shared/delivery-streams";
import { StreamNotUsableError } from "../../shared/errors";

const firehoseMock = mockClient(FirehoseClient);
const ARN = "arn:aws:firehose:eu-west-1:111122223333:deliverystream/email-events";
const base = {
  firehose: new FirehoseClient({ region: "eu-west-1" }),
  region: "eu-west-1",
  accountId: "111122223333",
};

function givenStatus(status: DeliveryStreamStatus): void {
  firehoseMock.on(DescribeDeliveryStreamCommand, { DeliveryStreamName: "email-events" }).resolves({
    DeliveryStreamDescription: { DeliveryStreamARN: ARN, DeliveryStreamStatus: status } as never,
  });
}

beforeEach(() => firehoseMock.reset());

describe("resolveDeliveryStream", () => {
  it("accepts an ACTIVE stream of the same region and account", async () => {
    // Prepare
    givenStatus("ACTIVE");

    // Act / Assess
    await expect(resolveDeliveryStream(ARN, base)).resolves.toBe(ARN);
  });

  it.each(["CREATING", "CREATING_FAILED", "DELETING", "DELETING_FAILED"] as const)(
    "refuses a stream that is %s, saying so",
    async (status) => {
      // Prepare
      givenStatus(status);

      // Act / Assess
      await expect(resolveDeliveryStream(ARN, base)).rejects.toThrow(
        new StreamNotUsableError(
          `Delivery stream "email-events" is ${status}, not ACTIVE: SES can only publish to an ACTIVE stream.`,
        ),
      );
    },
  );

  it("refuses a stream that does not exist, saying where it looked", async () => {
    // Prepare
    firehoseMock
      .on(DescribeDeliveryStreamCommand)
      .rejects(new ResourceNotFoundException({ message: "nope", $metadata: {} }));

    // Act / Assess
    await expect(resolveDeliveryStream(ARN, base)).rejects.toThrow(
      /^Delivery stream "email-events" does not exist in region eu-west-1, account 111122223333/,
    );
  });

  it.each([
    ["another region", "arn:aws:firehose:us-east-1:111122223333:deliverystream/email-events"],
    ["another account", "arn:aws:firehose:eu-west-1:444455556666:deliverystream/email-events"],
    ["another partition", "arn:aws-cn:firehose:eu-west-1:111122223333:deliverystream/email-events"],
  ])("refuses a stream of %s without calling Firehose", async (_, arn) => {
    // Act / Assess
    await expect(resolveDeliveryStream(arn, base)).rejects.toThrow(StreamNotUsableError);
    await expect(resolveDeliveryStream(arn, base)).rejects.toThrow(
      "only streams of this configuration set's region eu-west-1 and account 111122223333 are accepted",
    );
    expect(firehoseMock.calls()).toHaveLength(0);
  });

  it("refuses text that is not a stream ARN", async () => {
    await expect(resolveDeliveryStream("email-events", base)).rejects.toThrow(
      'Delivery stream "email-events" is not a delivery stream ARN.',
    );
  });

  it("describes each stream once per run, even for concurrent callers, and remembers absence too", async () => {
    // Prepare
    givenStatus("ACTIVE");
    const missing = "arn:aws:firehose:eu-west-1:111122223333:deliverystream/missing";
    firehoseMock
      .on(DescribeDeliveryStreamCommand, { DeliveryStreamName: "missing" })
      .rejects(new ResourceNotFoundException({ message: "nope", $metadata: {} }));
    const deps = { ...base, deliveryStreams: createDeliveryStreamCache() };

    // Act
    const results = await Promise.allSettled([
      resolveDeliveryStream(ARN, deps),
      resolveDeliveryStream(ARN, deps),
      resolveDeliveryStream(missing, deps),
      resolveDeliveryStream(missing, deps),
    ]);

    // Assess
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
    ]);
    expect(firehoseMock.calls()).toHaveLength(2);
  });

  it("does not cache an unexpected error, so the next reconcile asks again", async () => {
    // Prepare
    const deps = { ...base, deliveryStreams: createDeliveryStreamCache() };
    firehoseMock
      .on(DescribeDeliveryStreamCommand)
      .rejectsOnce(
        new FirehoseServiceException({
          name: "AccessDeniedException",
          $fault: "client",
          message: "denied",
          $metadata: {},
        }),
      )
      .resolves({
        DeliveryStreamDescription: { DeliveryStreamARN: ARN, DeliveryStreamStatus: "ACTIVE" } as never,
      });

    // Act
    const first = resolveDeliveryStream(ARN, deps);

    // Assess
    await expect(first).rejects.toThrow("denied");
    await expect(resolveDeliveryStream(ARN, deps)).resolves.toBe(ARN);
  });

  it("treats a description without a status as not ACTIVE", async () => {
    // Prepare
    firehoseMock.on(DescribeDeliveryStreamCommand).resolves({});

    // Act / Assess
    await expect(resolveDeliveryStream(ARN, base)).rejects.toThrow("is UNKNOWN, not ACTIVE");
  });
});
