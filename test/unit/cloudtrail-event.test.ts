// Test (adapter layer): envelope validation and defensive configuration set name extraction (docs/architecture.md, "Events").
import { configurationSetNamesFrom, parseCloudTrailEvent } from "../../shared/cloudtrail-event";
import { MalformedEventError } from "../../shared/errors";
import { fixtureEvent } from "../support/fixture-events";

const scope = { account: "111122223333", region: "us-east-1" };

function namesOf(event: unknown) {
  return configurationSetNamesFrom(parseCloudTrailEvent(event), scope);
}

function withParameters(requestParameters: unknown) {
  const event = fixtureEvent("tag-resource");
  event.detail.requestParameters = requestParameters;
  return event;
}

describe("parseCloudTrailEvent", () => {
  it("reads source, event name, account, region and the error code of a failed call", () => {
    // Prepare
    const event = fixtureEvent("create-failed-call");
    // Act
    const call = parseCloudTrailEvent(event);
    // Assess
    expect(call).toMatchObject({
      source: "aws.ses",
      eventSource: "ses.amazonaws.com",
      eventName: "CreateConfigurationSet",
      account: "111122223333",
      region: "us-east-1",
      errorCode: "AlreadyExistsException",
    });
  });

  it("falls back to detail.awsRegion when the envelope has no region, and tolerates missing requestParameters", () => {
    const event = fixtureEvent("create-v1");
    delete event.region;
    delete event.account;
    event.detail.requestParameters = null;
    const call = parseCloudTrailEvent(event);
    expect(call.region).toBe("us-east-1");
    expect(call.account).toBeUndefined();
    expect(call.requestParameters).toEqual({});
  });

  it("reads the region from the envelope when the CloudTrail record has no awsRegion", () => {
    // Prepare
    const event = fixtureEvent("create-v1");
    delete event.detail.awsRegion;
    // Act
    const call = parseCloudTrailEvent(event);
    // Assess
    expect(call.region).toBe("us-east-1");
  });

  it.each([
    ["empty", ""],
    ["not a string", 7],
  ])(
    "takes an envelope region or account that is %s as absent (region from detail.awsRegion)",
    (_, value) => {
      // Prepare
      const event = { ...fixtureEvent("create-v1"), region: value, account: value };
      event.detail.awsRegion = "eu-west-1";
      // Act
      const call = parseCloudTrailEvent(event);
      // Assess
      expect(call).toMatchObject({ region: "eu-west-1", account: undefined });
    },
  );

  it("says in full what was wrong and what is accepted", () => {
    expect(() => parseCloudTrailEvent({ ...fixtureEvent("create-v1"), source: "" })).toThrow(
      new MalformedEventError(
        'The event has no "source" or no "detail" object: expected an EventBridge event with "detail-type": ' +
          '"AWS API Call via CloudTrail", a "source" and a "detail" object carrying "eventSource" and "eventName".',
      ),
    );
  });

  it.each([
    ["a string", "not an event", /not an object/],
    ["null", null, /not an object/],
    [
      "another detail-type",
      { ...fixtureEvent("create-v1"), "detail-type": "Scheduled Event" },
      /detail-type is "Scheduled Event"/,
    ],
    ["no source", { ...fixtureEvent("create-v1"), source: undefined }, /no "source"/],
    ["a detail that is a list", { ...fixtureEvent("create-v1"), detail: [] }, /no "detail" object/],
    ["an empty source", { ...fixtureEvent("create-v1"), source: "" }, /no "source"/],
    ["a source that is not a string", { ...fixtureEvent("create-v1"), source: 7 }, /no "source"/],
    [
      "no eventName",
      { ...fixtureEvent("create-v1"), detail: { eventSource: "ses.amazonaws.com" } },
      /no "eventSource" or "eventName"/,
    ],
    [
      "no eventSource",
      { ...fixtureEvent("create-v1"), detail: { eventName: "CreateConfigurationSet" } },
      /no "eventSource" or "eventName"/,
    ],
    [
      "an empty eventName",
      { ...fixtureEvent("create-v1"), detail: { eventSource: "ses.amazonaws.com", eventName: "" } },
      /no "eventSource" or "eventName"/,
    ],
    [
      "an eventSource that is not a string",
      { ...fixtureEvent("create-v1"), detail: { eventSource: ["ses"], eventName: "CreateConfigurationSet" } },
      /no "eventSource" or "eventName"/,
    ],
  ])("rejects %s with a message saying what is accepted", (_label, event, message) => {
    expect(() => parseCloudTrailEvent(event)).toThrow(MalformedEventError);
    expect(() => parseCloudTrailEvent(event)).toThrow(message);
    expect(() => parseCloudTrailEvent(event)).toThrow(/expected an EventBridge event with "detail-type"/);
  });
});

describe("configurationSetNamesFrom", () => {
  it.each([
    ["create-v2-tagged", ["marketing"]],
    ["create-v2-untagged", ["transactional"]],
    ["create-v1", ["legacy-v1"]],
    ["delete-configuration-set", ["marketing"]],
    ["tag-resource", ["marketing"]],
    ["tag-resource-stream-name", ["marketing"]],
    ["untag-resource", ["marketing"]],
    ["tagging-api-tag-resources", ["marketing", "transactional"]],
  ])("finds the configuration sets of %s", (fixture, expected) => {
    expect(namesOf(fixtureEvent(fixture))).toEqual({ names: expected, ignored: [] });
  });

  it("ignores a tag call on an email identity", () => {
    const found = namesOf(fixtureEvent("tag-resource-identity"));
    expect(found.names).toEqual([]);
    expect(found.ignored).toEqual([
      "arn:aws:ses:us-east-1:111122223333:identity/example.com (not an SES configuration set)",
    ]);
  });

  it("keeps only this region's and account's configuration sets from a tagging API call, once each", () => {
    const event = fixtureEvent("tagging-api-tag-resources");
    event.detail.requestParameters = {
      resourceARNList: [
        "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing",
        "arn:aws:ses:eu-west-1:111122223333:configuration-set/marketing-eu",
        "arn:aws:ses:us-east-1:444455556666:configuration-set/other-account",
        "arn:aws:s3:::some-bucket",
        "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing",
      ],
    };
    const found = namesOf(event);
    expect(found.names).toEqual(["marketing"]);
    expect(found.ignored).toHaveLength(3);
    expect(found.ignored[0]).toMatch(/another region or account/);
  });

  it.each(["resourceARN", "ResourceARN"])(
    "reads a configuration-set ARN spelled %s like resourceArn",
    (key) => {
      expect(
        namesOf(withParameters({ [key]: "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing" })),
      ).toEqual({ names: ["marketing"], ignored: [] });
    },
  );

  it.each([
    ["aws-cn", "cn-north-1"],
    ["aws-us-gov", "us-gov-west-1"],
  ])("finds a configuration set in the %s partition", (partition, region) => {
    // Prepare
    const event = withParameters({
      resourceArn: `arn:${partition}:ses:${region}:111122223333:configuration-set/marketing`,
    });
    // Act
    const found = configurationSetNamesFrom(parseCloudTrailEvent(event), { ...scope, region });
    // Assess
    expect(found).toEqual({ names: ["marketing"], ignored: [] });
  });

  it("collects every place a name can be, without duplicates", () => {
    const found = namesOf(
      withParameters({
        configurationSetName: "a",
        configurationSet: { name: "b" },
        resourceArn: "arn:aws:ses:us-east-1:111122223333:configuration-set/a",
      }),
    );
    expect(found.names).toEqual(["a", "b"]);
  });

  it.each([
    [
      "no name anywhere",
      {},
      /No configuration set name in the TagResource event: expected requestParameters.configurationSetName/,
    ],
    ["a configurationSet without a name", { configurationSet: {} }, /No configuration set name/],
    ["a name that is not a string", { configurationSetName: 42 }, /configurationSetName is not a string/],
    [
      "a v1 name that is not a string",
      { configurationSet: { name: ["x"] } },
      /configurationSet.name is not a string/,
    ],
    [
      "an invalid name",
      { configurationSetName: "has space" },
      /"has space" in requestParameters.configurationSetName: expected 1-64 letters/,
    ],
    [
      "a name over 64 characters",
      { configurationSetName: "x".repeat(65) },
      /expected 1-64 letters, digits, _ or -/,
    ],
    [
      "a configuration-set ARN with an invalid name",
      { resourceArn: "arn:aws:ses:us-east-1:111122223333:configuration-set/bad/name" },
      /"bad\/name" in requestParameters.resourceArn/,
    ],
    [
      "a resourceArn that is not a string",
      { resourceArn: 7 },
      /resourceArn is not a string: expected an ARN/,
    ],
    [
      "a resourceArn that is not an ARN",
      { resourceArn: "marketing" },
      /resourceArn "marketing" is not an ARN/,
    ],
    [
      "a resourceARNList that is not a list",
      { resourceARNList: "arn:aws:ses:us-east-1:111122223333:configuration-set/a" },
      /resourceARNList is not a list of ARNs/,
    ],
    ["an empty resourceARNList", { resourceARNList: [] }, /No configuration set name/],
    [
      "a resourceARNList item that is not a string",
      { resourceARNList: ["arn:aws:ses:us-east-1:111122223333:configuration-set/a", 7] },
      "The event's requestParameters.resourceARNList[1] is not a string: expected an ARN.",
    ],
  ])("treats %s as a malformed event", (_label, parameters, message) => {
    const event = withParameters(parameters);
    expect(() => namesOf(event)).toThrow(MalformedEventError);
    expect(() => namesOf(event)).toThrow(message);
  });

  it.each([
    "see arn:aws:ses:us-east-1:111122223333:configuration-set/marketing",
    "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing\nother",
    "see arn:aws:s3:::some-bucket",
    "arn:aws:s3:::some-bucket\nother",
  ])(
    "treats a resourceArn with text around the ARN (%j) as malformed, never reading a name from it",
    (arn) => {
      expect(() => namesOf(withParameters({ resourceArn: arn }))).toThrow(
        new MalformedEventError(`The event's requestParameters.resourceArn "${arn}" is not an ARN.`),
      );
    },
  );

  it("says in full where a name is expected when there is none", () => {
    expect(() => namesOf(withParameters({ tags: { "ses-firehose": "enabled" } }))).toThrow(
      new MalformedEventError(
        "No configuration set name in the TagResource event: expected requestParameters.configurationSetName, " +
          "requestParameters.configurationSet.name, a configuration-set resourceArn or resourceARNList " +
          "(arn:aws:ses:us-east-1:111122223333:configuration-set/<name>), in lowerCamelCase or PascalCase.",
      ),
    );
  });
});

describe("configurationSetNamesFrom, PascalCase request parameters", () => {
  it("reads ConfigurationSetName, ConfigurationSet.Name, ResourceArn and ResourceARNList like their lowerCamelCase twins", () => {
    const arn = (name: string) => `arn:aws:ses:us-east-1:111122223333:configuration-set/${name}`;
    expect(
      namesOf(
        withParameters({
          ConfigurationSetName: "a",
          ConfigurationSet: { Name: "b" },
          ResourceArn: arn("c"),
          ResourceARNList: [arn("d"), arn("a")],
        }),
      ),
    ).toEqual({ names: ["a", "b", "c", "d"], ignored: [] });
  });

  it("names the PascalCase field that is malformed", () => {
    expect(() => namesOf(withParameters({ ResourceARNList: "arn:aws:ses:x" }))).toThrow(
      "The event's requestParameters.ResourceARNList is not a list of ARNs.",
    );
    expect(() => namesOf(withParameters({ ConfigurationSet: { Name: 3 } }))).toThrow(
      "The event's requestParameters.ConfigurationSet.Name is not a string.",
    );
  });
});
