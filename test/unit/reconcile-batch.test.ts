// Test (adapter layer): the Lambda-agnostic batch run — scope from the function ARN, odd records, odd SQS answers.
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { reconcile } from "../../shared/reconcile";
import { reconcileQueuedBatch } from "../../shared/reconcile-batch";
import { reconcileMessageFor } from "../../shared/reconcile-queue";
import { queueReconciles } from "../../shared/reconcile-queue-send";
import { answerEveryReconcile, testEventRunDeps } from "../support/event-handlers";

jest.mock("../../shared/reconcile");
const reconcileMock = jest.mocked(reconcile);

const deps = testEventRunDeps;
const context = (arn: string) => ({ invokedFunctionArn: arn, getRemainingTimeInMillis: () => 60_000 });
const bodyFor = (configurationSet: string, region: string) =>
  reconcileMessageFor({ configurationSet, account: "111122223333", region, trigger: "TagResource" }, "e")
    .MessageBody;

beforeEach(() => {
  answerEveryReconcile(reconcileMock, "unchanged");
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

describe("reconcileQueuedBatch", () => {
  it("takes the region from the function ARN when the function's own region is not given", async () => {
    // Act
    const result = await reconcileQueuedBatch(
      {
        Records: [
          { messageId: "1", body: bodyFor("eu-set", "eu-west-1") },
          { messageId: "2", body: bodyFor("us-set", "us-east-1") },
        ],
      },
      context("arn:aws:lambda:eu-west-1:111122223333:function:ReconcileFunction"),
      deps(),
    );
    // Assess
    expect(result.failedMessageIds).toEqual(["2"]);
    expect(reconcileMock.mock.calls.map(([name, core]) => [name, core.region])).toEqual([
      ["eu-set", "eu-west-1"],
    ]);
  });

  it("reads a message's scope as it is when the function ARN gives none (a local invoke)", async () => {
    const result = await reconcileQueuedBatch(
      { Records: [{ messageId: "1", body: bodyFor("local-set", "us-east-1") }] },
      context("local"),
      deps(),
    );
    expect(result).toEqual({
      failedMessageIds: [],
      results: [{ configurationSet: "local-set", outcome: "unchanged", actions: [] }],
      coalesced: [],
    });
  });

  it("refuses a null record as not an SQS message", async () => {
    await expect(reconcileQueuedBatch({ Records: [null] }, context("local"), deps())).rejects.toThrow(
      'Record 0 of the SQS batch has no string "messageId" and "body"',
    );
    await expect(reconcileQueuedBatch(null, context("local"), deps())).rejects.toThrow(/not an SQS batch/);
  });
});

describe("queueReconciles", () => {
  const sqs = mockClient(SQSClient);
  const queue = { sqs: new SQSClient({ region: "eu-west-1" }), url: "http://localhost/111122223333/q.fifo" };
  const request = {
    configurationSet: "a",
    account: "111122223333",
    region: "eu-west-1",
    trigger: "TagResource",
  };

  beforeEach(() => sqs.reset());

  it("takes an answer without a Failed list as all sent", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: "a", MessageId: "m", MD5OfMessageBody: "x" }] });
    await expect(queueReconciles(queue, [request], "e")).resolves.toBeUndefined();
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it("says what it knows of an entry refused without a code or message", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: "a", SenderFault: true } as never] });
    await expect(queueReconciles(queue, [request], "e")).rejects.toThrow(
      "1 configuration set(s) could not be queued for reconcile: a: error (no message)",
    );
  });
});
