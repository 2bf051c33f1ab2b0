// Test (adapter layer): the three event-driven functions fed every fixture event (docs/architecture.md, "Events").
import { FirehoseClient, DescribeDeliveryStreamCommand } from "@aws-sdk/client-firehose";
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { reconcile } from "../../shared/reconcile";
import { answerEveryReconcile, eventHandlersUnder, type EventHandlerName } from "../support/event-handlers";
import { FIXTURE_NAMES, fixtureEvent } from "../support/fixture-events";
import { lambdaContext } from "../support/lambda-context";

jest.mock("../../shared/reconcile");
const reconcileMock = jest.mocked(reconcile);

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/ses-events`;
const ENV = {
  AWS_REGION: REGION,
  DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN,
  POWERTOOLS_LOG_LEVEL: "SILENT",
  PROPAGATION_TIMEOUT_SECONDS: "0",
};

type HandlerName = EventHandlerName;
const handlers = eventHandlersUnder(ENV);

function contextOf(functionName = "OnConfigurationSetFunction", account = ACCOUNT): Context {
  return lambdaContext({ functionName, region: REGION, account });
}

function invoke(name: HandlerName, event: unknown, context = contextOf()) {
  return handlers[name](event as never, context);
}

/** The configuration sets the handler asked the core to reconcile, in order. */
function reconciledSets(): string[] {
  return reconcileMock.mock.calls.map(([name]) => name);
}

let stdout: jest.SpyInstance;

beforeEach(() => {
  answerEveryReconcile(reconcileMock, "unchanged");
  stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(() => stdout.mockRestore());

/** Which sets each function reconciles for each fixture: [] means the event is ignored. */
const EXPECTED: Record<string, Record<HandlerName, string[]>> = {
  "create-failed-call": { created: [], tagged: [], deleted: [] },
  "create-v1": { created: ["legacy-v1"], tagged: [], deleted: [] },
  "create-v2-tagged": { created: ["marketing"], tagged: [], deleted: [] },
  "create-v2-untagged": { created: ["transactional"], tagged: [], deleted: [] },
  "delete-configuration-set": { created: [], tagged: [], deleted: ["marketing"] },
  "tag-resource": { created: [], tagged: ["marketing"], deleted: [] },
  "tag-resource-identity": { created: [], tagged: [], deleted: [] },
  "tag-resource-stream-name": { created: [], tagged: ["marketing"], deleted: [] },
  "tag-change-on-resource": { created: [], tagged: ["marketing"], deleted: [] },
  "tag-change-on-resource-other-key": { created: [], tagged: [], deleted: [] },
  "tag-change-on-resource-removed": { created: [], tagged: ["marketing"], deleted: [] },
  "tagging-api-tag-resources": { created: [], tagged: ["marketing", "transactional"], deleted: [] },
  "untag-resource": { created: [], tagged: ["marketing"], deleted: [] },
};

describe("the delete function only ever removes", () => {
  it("asks the core for remove-only reconciles, so a recreated and re-tagged set is left to its own events", async () => {
    // Act
    await invoke("deleted", fixtureEvent("delete-configuration-set"));
    await invoke("created", fixtureEvent("create-v2-tagged"));

    // Assess
    const modes = reconcileMock.mock.calls.map(([name, , options]) => [name, options?.removeOnly === true]);
    expect(modes).toEqual([
      ["marketing", true],
      ["marketing", false],
    ]);
  });
});

describe("every fixture event through every function", () => {
  it("has an expectation for every fixture in test/fixtures/events", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...FIXTURE_NAMES]);
  });

  const cases = Object.entries(EXPECTED).flatMap(([fixture, byHandler]) =>
    (Object.entries(byHandler) as [HandlerName, string[]][]).map(([handler, sets]) => ({
      fixture,
      handler,
      sets,
    })),
  );

  it.each(cases)("$handler reconciles $sets for $fixture", async ({ fixture, handler, sets }) => {
    // Act
    const result = await invoke(handler, fixtureEvent(fixture));
    // Assess
    expect(reconciledSets()).toEqual(sets);
    if (sets.length === 0) expect(result).toMatchObject({ status: "ignored" });
    else
      expect(result).toEqual({
        status: "reconciled",
        results: sets.map((s) => expect.objectContaining({ configurationSet: s })),
      });
  });
});

describe("ignored events", () => {
  it("ignores a failed call, saying so in the result", async () => {
    const result = await invoke("created", fixtureEvent("create-failed-call"));
    expect(result).toEqual({
      status: "ignored",
      reason: "the CreateConfigurationSet call failed (AlreadyExistsException)",
    });
  });

  it("ignores a tag call on an identity instead of failing it", async () => {
    const result = await invoke("tagged", fixtureEvent("tag-resource-identity"));
    expect(result).toEqual({ status: "ignored", reason: `no configuration set of ${REGION}/${ACCOUNT}` });
  });

  it("ignores an event from another region: one stack serves one region", async () => {
    const event = fixtureEvent("tag-resource");
    event.region = "eu-west-1";
    await expect(invoke("tagged", event)).resolves.toMatchObject({
      status: "ignored",
      reason: expect.stringMatching(/eu-west-1/),
    });
    expect(reconciledSets()).toEqual([]);
  });

  it("ignores an event of another account than the function's", async () => {
    const event = fixtureEvent("create-v1");
    event.account = "444455556666";
    await expect(invoke("created", event)).resolves.toMatchObject({ status: "ignored" });
    expect(reconciledSets()).toEqual([]);
  });

  it("takes the account from the function ARN when the event has none", async () => {
    const event = fixtureEvent("tag-resource");
    delete event.account;
    await invoke("tagged", event);
    expect(reconcileMock.mock.calls[0]?.[1]).toMatchObject({ accountId: ACCOUNT, region: REGION });
  });

  it("counts ignored events in the EMF metrics", async () => {
    await invoke("created", fixtureEvent("create-failed-call"));
    const emf = stdout.mock.calls
      .map(([line]) => String(line))
      .find((line) => line.includes("IgnoredEvents"));
    expect(emf).toBeDefined();
    expect(JSON.parse(emf!)).toMatchObject({ IgnoredEvents: 1, service: "ses-firehose-autowire" });
  });
});

describe("the three tag paths and their odd shapes", () => {
  const SET_ARN = (name: string, region = REGION, account = ACCOUNT) =>
    `arn:aws:ses:${region}:${account}:configuration-set/${name}`;

  it("reads a Tag Change's set from resources[], keeping only this region's and account's sets", async () => {
    // Prepare
    const event = fixtureEvent("tag-change-on-resource");
    event.resources = [
      SET_ARN("elsewhere", "eu-west-1"),
      SET_ARN("marketing"),
      SET_ARN("theirs", REGION, "444455556666"),
      `arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.com`,
    ];
    // Act
    const result = await invoke("tagged", event);
    // Assess
    expect(reconciledSets()).toEqual(["marketing"]);
    expect(result).toMatchObject({ status: "reconciled" });
  });

  it("ignores a Tag Change whose resources are all another region's, account's or type's", async () => {
    const event = fixtureEvent("tag-change-on-resource");
    event.resources = [SET_ARN("elsewhere", "eu-west-1"), "arn:aws:s3:::a-bucket"];
    await expect(invoke("tagged", event)).resolves.toEqual({
      status: "ignored",
      reason: `no configuration set of ${REGION}/${ACCOUNT}`,
    });
    expect(reconciledSets()).toEqual([]);
  });

  it("ignores a Tag Change of other keys only, and looks when the event does not say which keys changed", async () => {
    await expect(invoke("tagged", fixtureEvent("tag-change-on-resource-other-key"))).resolves.toEqual({
      status: "ignored",
      reason: "the tag change does not concern the opt-in key ses-firehose",
    });
    const withoutDetail = fixtureEvent("tag-change-on-resource");
    delete (withoutDetail as Record<string, unknown>).detail;
    const oddKeys = fixtureEvent("tag-change-on-resource");
    oddKeys.detail["changed-tag-keys"] = "ses-firehose";
    await invoke("tagged", withoutDetail);
    await invoke("tagged", oddKeys);
    expect(reconciledSets()).toEqual(["marketing", "marketing"]);
  });

  it("sends a Tag Change without resources to the dead-letter queue, saying what is accepted", async () => {
    const event = fixtureEvent("tag-change-on-resource");
    event.resources = [];
    await expect(invoke("tagged", event)).rejects.toThrow(
      'The tag change event has no "resources": expected an EventBridge event with "detail-type": ' +
        '"Tag Change on Resource" and "resources": a list of configuration-set ARNs.',
    );
    event.resources = [42];
    await expect(invoke("tagged", event)).rejects.toThrow("The event's resources[0] is not a string");
  });

  it("leaves a Tag Change to the tagged function only", async () => {
    await expect(invoke("created", fixtureEvent("tag-change-on-resource"))).resolves.toMatchObject({
      status: "ignored",
      reason: expect.stringMatching(/Tag Change on Resource is not handled here/),
    });
  });

  it.each([
    ["ResourceArn", { ResourceArn: SET_ARN("marketing"), Tags: [{ Key: "ses-firehose", Value: "on" }] }],
    ["ResourceARNList", { ResourceARNList: [SET_ARN("marketing"), SET_ARN("x", "eu-west-1")] }],
    ["ConfigurationSetName", { ConfigurationSetName: "marketing" }],
    ["ConfigurationSet.Name", { ConfigurationSet: { Name: "marketing" } }],
  ])("accepts the PascalCase request parameter %s", async (_key, requestParameters) => {
    const event = fixtureEvent("tag-resource");
    event.detail.requestParameters = requestParameters;
    await invoke("tagged", event);
    expect(reconciledSets()).toEqual(["marketing"]);
  });
});

describe("duplicates of one change in one container", () => {
  const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

  it("looks once when a set's second event describes a change the first look already saw", async () => {
    // Prepare: the Tag Change and the CloudTrail record of one tag change, 5 s ago (a set no other test uses:
    // the handler's memory lives as long as its container, here the test file)
    const arn = `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/duplicated`;
    const tagChange = fixtureEvent("tag-change-on-resource");
    tagChange.time = secondsAgo(5);
    tagChange.resources = [arn];
    const cloudTrail = fixtureEvent("tag-resource");
    cloudTrail.time = secondsAgo(4);
    cloudTrail.detail.eventTime = secondsAgo(5);
    cloudTrail.detail.requestParameters = { resourceArn: arn };
    // Act
    await invoke("tagged", tagChange);
    const second = await invoke("tagged", cloudTrail);
    // Assess
    expect(reconciledSets()).toEqual(["duplicated"]);
    expect(second).toEqual({ status: "reconciled", results: [], coalesced: ["duplicated"] });
  });

  it("looks again at a change newer than the last look, after a failed look, and at an old (redriven) event", async () => {
    // Prepare
    const now = fixtureEvent("tag-resource");
    now.detail.eventTime = new Date().toISOString();
    now.detail.requestParameters = {
      resourceArn: `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/fresh`,
    };
    reconcileMock.mockImplementationOnce(async (configurationSet) => ({
      configurationSet,
      outcome: "failed",
      actions: [],
      error: "TooManyRequestsException: Too Many Requests",
    }));
    const old = fixtureEvent("untag-resource");
    // Act
    await expect(invoke("tagged", now)).rejects.toThrow(/TooManyRequestsException/);
    await invoke("tagged", now);
    await invoke("tagged", now);
    await invoke("tagged", old);
    await invoke("tagged", old);
    // Assess: every one of them got a look
    expect(reconciledSets()).toEqual(["fresh", "fresh", "fresh", "marketing", "marketing"]);
  });
});

describe("events that must end in the dead-letter queue", () => {
  it("throws on an event with no extractable configuration set name", async () => {
    const event = fixtureEvent("create-v2-untagged");
    event.detail.requestParameters = { somethingElse: true };
    await expect(invoke("created", event)).rejects.toThrow(
      /No configuration set name in the CreateConfigurationSet event/,
    );
    expect(reconciledSets()).toEqual([]);
  });

  it("throws on an event that is not a CloudTrail API call", async () => {
    await expect(
      invoke("deleted", { "detail-type": "Scheduled Event", source: "aws.events", detail: {} }),
    ).rejects.toThrow(/detail-type is "Scheduled Event"/);
  });

  it("throws on an event without account when the function ARN gives none", async () => {
    const event = fixtureEvent("create-v1");
    delete event.account;
    const context = { ...contextOf(), invokedFunctionArn: "not-an-arn" };
    await expect(invoke("created", event, context)).rejects.toThrow(/no account or region/);
  });

  it("reconciles every set, then throws naming each failed set and its error", async () => {
    // Prepare
    reconcileMock.mockImplementation(async (configurationSet) =>
      configurationSet === "marketing"
        ? { configurationSet, outcome: "failed", actions: [], error: 'Tag ses-firehose="maybe" is not valid' }
        : { configurationSet, outcome: "created", actions: ["CreateRole"] },
    );
    // Act
    const run = invoke("tagged", fixtureEvent("tagging-api-tag-resources"));
    // Assess
    await expect(run).rejects.toThrow(
      'Reconcile failed for 1 configuration set(s): marketing: Tag ses-firehose="maybe" is not valid',
    );
    expect(reconciledSets()).toEqual(["marketing", "transactional"]);
    const emf = stdout.mock.calls.map(([line]) => String(line)).find((line) => line.includes('"Failed"'));
    expect(JSON.parse(emf!)).toMatchObject({ Failed: 1, Created: 1 });
  });

  it("turns an unexpected exception of the core into a failed set, and still tries the others", async () => {
    reconcileMock.mockImplementationOnce(async () => {
      throw Object.assign(new Error("User is not authorized to perform ses:GetConfigurationSet"), {
        name: "AccessDeniedException",
      });
    });
    await expect(invoke("tagged", fixtureEvent("tagging-api-tag-resources"))).rejects.toThrow(
      "marketing: AccessDeniedException: User is not authorized to perform ses:GetConfigurationSet",
    );
    expect(reconciledSets()).toEqual(["marketing", "transactional"]);
  });
});

describe("through the real provisioning core (AWS clients mocked)", () => {
  const ses = mockClient(SESv2Client);
  const iam = mockClient(IAMClient);
  const firehose = mockClient(FirehoseClient);

  beforeEach(() => {
    ses.reset();
    iam.reset();
    firehose.reset();
    const actual = jest.requireActual<typeof import("../../shared/reconcile")>("../../shared/reconcile");
    reconcileMock.mockImplementation(actual.reconcile);
  });

  it("wires a configuration set tagged enabled: role, policy and event destination to the default stream", async () => {
    // Prepare
    ses
      .on(GetConfigurationSetCommand)
      .resolves({ ConfigurationSetName: "marketing", Tags: [{ Key: "ses-firehose", Value: "enabled" }] });
    ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: [] });
    ses.on(CreateConfigurationSetEventDestinationCommand).resolves({});
    firehose.on(DescribeDeliveryStreamCommand).resolves({
      DeliveryStreamDescription: {
        DeliveryStreamName: "ses-events",
        DeliveryStreamARN: STREAM_ARN,
        DeliveryStreamStatus: "ACTIVE",
        DeliveryStreamType: "DirectPut",
        VersionId: "1",
        Destinations: [],
        HasMoreDestinations: false,
      },
    });
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: "no such role", $metadata: {} }));
    iam.on(CreateRoleCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    // Act
    const result = await invoke("tagged", fixtureEvent("tag-resource"));
    // Assess
    expect(result).toMatchObject({
      status: "reconciled",
      results: [{ configurationSet: "marketing", outcome: "created", deliveryStreamArn: STREAM_ARN }],
    });
    expect(iam).toHaveReceivedCommandWith(CreateRoleCommand, { Path: "/ses-firehose-autowire/" });
    expect(ses).toHaveReceivedCommandWith(CreateConfigurationSetEventDestinationCommand, {
      ConfigurationSetName: "marketing",
      EventDestinationName: "ses-firehose-autowire",
      EventDestination: expect.objectContaining({
        Enabled: true,
        KinesisFirehoseDestination: {
          DeliveryStreamArn: STREAM_ARN,
          IamRoleArn: expect.stringMatching(
            /^arn:aws:iam::111122223333:role\/ses-firehose-autowire\/ses-firehose-marketing-[0-9a-f]{8}$/,
          ),
        },
      }),
    });
  });

  it("fails the invocation when SES denies access, so the event is retried and reaches the DLQ", async () => {
    ses
      .on(GetConfigurationSetCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    await expect(invoke("created", fixtureEvent("create-v2-tagged"))).rejects.toThrow(
      /marketing: .*not authorized/,
    );
  });
});

describe("configuration at cold start", () => {
  it("fails to load with the ConfigError naming the variable and the accepted values", async () => {
    process.env.OPT_IN_MODE = "sometimes";
    try {
      await jest.isolateModulesAsync(async () => {
        await expect(import("../../functions/on-configuration-set-deleted/index")).rejects.toThrow(
          'OPT_IN_MODE="sometimes" is not valid: expected "tag" or "all".',
        );
      });
    } finally {
      delete process.env.OPT_IN_MODE;
    }
  });
});
