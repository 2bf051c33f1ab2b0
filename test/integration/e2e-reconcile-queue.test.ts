// End-to-end test (built bundle + simulator): ReconcileFunction fed reconcile-queue batches as Lambda's SQS event source
// mapping delivers them — each set reconciled once per batch, remove-only kept, partial batch failures.
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { reconcileMessageFor, type ReconcileRequest } from "../../shared/reconcile-queue";
import { readWiring, startE2eWorld, unwiredProblems, wiringProblems, type E2eWorld } from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";
import { sqsEventOf, sqsRecordOf } from "../support/sqs-records";

let world: E2eWorld;
let reconciler: LambdaContainer;
let eventCount = 0;

/** A delivered message asking for `name`, as one of the event functions would have sent it. */
function recordFor(name: string, fields: Partial<ReconcileRequest> = {}): SQSRecord {
  eventCount += 1;
  const request: ReconcileRequest = {
    configurationSet: name,
    account: world.accountId,
    region: world.region,
    eventTime: new Date().toISOString(),
    trigger: "TagResource",
    ...fields,
  };
  return sqsRecordOf(reconcileMessageFor(request, `event-${eventCount}`));
}

async function deliver(records: SQSRecord[]): Promise<string[]> {
  const response = resultOf(await reconciler.invoke<SQSBatchResponse>(sqsEventOf(records)));
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

beforeAll(async () => {
  assertBuilt();
  world = await startE2eWorld();
  reconciler = await world.container("ReconcileFunction");
});

afterAll(async () => {
  await world?.stop();
});

describe("ReconcileFunction, through the built bundle", () => {
  it("wires every set of a burst's batch, reading each set once however many of its events were queued", async () => {
    // Prepare: two sets tagged at once; "alpha" got three events (Tag Change, SES TagResource, tagging API)
    world.sim.state.createConfigurationSet("alpha", { "ses-firehose": "enabled" });
    world.sim.state.createConfigurationSet("beta", { "ses-firehose": "enabled" });
    world.sim.callLog.reset();
    // Act
    const failed = await deliver([
      recordFor("alpha", { trigger: "Tag Change on Resource" }),
      recordFor("beta", { trigger: "TagResources" }),
      recordFor("alpha", { trigger: "TagResource" }),
      recordFor("alpha", { trigger: "TagResources" }),
    ]);
    // Assess
    expect(failed).toEqual([]);
    for (const name of ["alpha", "beta"]) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
    expect(world.sim.callLog.count({ service: "sesv2", operation: "GetConfigurationSet" })).toBe(2);
  });

  it("removes a deleted set's role on a remove-only message", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("gamma", { "ses-firehose": "enabled" });
    expect(await deliver([recordFor("gamma")])).toEqual([]);
    world.sim.state.deleteConfigurationSet("gamma");
    // Act
    const failed = await deliver([
      recordFor("gamma", { removeOnly: true, trigger: "DeleteConfigurationSet" }),
    ]);
    // Assess
    expect(failed).toEqual([]);
    expect(unwiredProblems(await readWiring(world, "gamma"))).toEqual([]);
  });

  it("returns only the failed set's and the invalid messages, and wires the rest of the batch", async () => {
    // Prepare: "delta" asks for a stream that does not exist; one message is not ours at all
    world.sim.state.createConfigurationSet("delta", { "ses-firehose": "no-such-stream" });
    world.sim.state.createConfigurationSet("epsilon", { "ses-firehose": "enabled" });
    const records = [
      recordFor("delta"),
      recordFor("epsilon"),
      sqsRecordOf({ MessageBody: '{"hello":"world"}', MessageGroupId: "x", MessageDeduplicationId: "y" }),
      recordFor("delta", { trigger: "Tag Change on Resource" }),
    ];
    // Act
    const failed = await deliver(records);
    // Assess
    expect(failed).toEqual([records[2]!.messageId, records[0]!.messageId, records[3]!.messageId]);
    expect(wiringProblems(world, await readWiring(world, "epsilon"), world.defaultStreamArn)).toEqual([]);
    const logged = reconciler.logRecords();
    expect(logged).toContainEqual(
      expect.objectContaining({
        message: "malformed reconcile message: left on the queue for its dead-letter queue",
        body: '{"hello":"world"}',
      }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ MalformedEvents: 1, Failed: 1, Created: 1 }));
  });
});
