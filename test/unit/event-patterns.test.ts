// Test (deployment layer): each EventBridge rule of template.yaml matches exactly the fixture events it should (docs/architecture.md, "Events").
import { loadTemplate, resolve, serverlessFunctions } from "../support/cfn-template";
import { matchesPattern, type Pattern } from "../support/event-pattern";
import { FIXTURE_NAMES, fixtureEvent } from "../support/fixture-events";

const template = loadTemplate();

/** Every EventBridgeRule event of every function, with its pattern resolved for the test account and region. */
const rules = serverlessFunctions(template).flatMap(([logicalId, fn]) =>
  Object.entries(
    (fn.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  )
    .filter(([, event]) => event.Type === "EventBridgeRule")
    .map(([eventId, event]) => ({
      rule: `${logicalId}.${eventId}`,
      pattern: resolve({ template }, event.Properties.Pattern) as Pattern,
    })),
);

const EXPECTED_MATCHES: Record<string, string[]> = {
  "OnConfigurationSetCreatedFunction.CreateConfigurationSet": [
    "create-v1",
    "create-v2-tagged",
    "create-v2-untagged",
  ],
  "OnConfigurationSetDeletedFunction.DeleteConfigurationSet": ["delete-configuration-set"],
  // The SES rule cannot filter on requestParameters (their CloudTrail shape is unconfirmed): the identity
  // tag call reaches the function, which ignores it (see handlers.test.ts).
  "OnConfigurationSetTaggedFunction.SesTagResource": [
    "tag-resource",
    "tag-resource-identity",
    "tag-resource-stream-name",
    "untag-resource",
  ],
  "OnConfigurationSetTaggedFunction.TaggingApiTagResources": ["tagging-api-tag-resources"],
};

describe("EventBridge rules of template.yaml", () => {
  it("are exactly the four rules of docs/architecture.md, Events", () => {
    expect(rules.map(({ rule }) => rule).sort()).toEqual(Object.keys(EXPECTED_MATCHES).sort());
  });

  it.each(rules)("$rule matches exactly its fixtures and none of the others", ({ rule, pattern }) => {
    // Act
    const matched = FIXTURE_NAMES.filter((name) => matchesPattern(pattern, fixtureEvent(name)));
    // Assess
    expect(matched).toEqual(EXPECTED_MATCHES[rule]);
  });

  it("sends a failed call (errorCode present) to no function at all", () => {
    const event = fixtureEvent("create-failed-call");
    expect(rules.filter(({ pattern }) => matchesPattern(pattern, event))).toEqual([]);
  });

  it.each(rules)("$rule ignores its own events once they carry an errorCode", ({ rule, pattern }) => {
    for (const name of EXPECTED_MATCHES[rule] ?? []) {
      const event = fixtureEvent(name);
      event.detail.errorCode = "AccessDenied";
      expect(matchesPattern(pattern, event)).toBe(false);
    }
  });

  it("does not invoke the tagged function for a tagging API call on other resources, or another region's sets", () => {
    const tagging = rules.find(({ rule }) => rule.endsWith("TaggingApiTagResources"))!;
    const onBuckets = fixtureEvent("tagging-api-tag-resources");
    onBuckets.detail.requestParameters = { resourceARNList: ["arn:aws:s3:::bucket"], tags: { a: "b" } };
    const otherRegion = fixtureEvent("tagging-api-tag-resources");
    otherRegion.detail.requestParameters = {
      resourceARNList: ["arn:aws:ses:eu-west-1:111122223333:configuration-set/marketing"],
    };
    const mixed = fixtureEvent("tagging-api-tag-resources");
    mixed.detail.requestParameters = {
      resourceARNList: [
        "arn:aws:s3:::bucket",
        "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing",
      ],
    };
    expect(matchesPattern(tagging.pattern, onBuckets)).toBe(false);
    expect(matchesPattern(tagging.pattern, otherRegion)).toBe(false);
    expect(matchesPattern(tagging.pattern, mixed)).toBe(true);
  });
});

describe("the test matcher itself", () => {
  it("implements exists, prefix, alternatives, nesting and array fields as EventBridge documents", () => {
    const pattern: Pattern = { a: ["x", "y"], b: { c: [{ exists: false }], d: [{ prefix: "arn:" }] } };
    expect(matchesPattern(pattern, { a: "y", b: { d: "arn:1" } })).toBe(true);
    expect(matchesPattern(pattern, { a: ["z", "x"], b: { d: ["no", "arn:2"] } })).toBe(true);
    expect(matchesPattern(pattern, { a: "z", b: { d: "arn:1" } })).toBe(false);
    expect(matchesPattern(pattern, { a: "x", b: { c: 1, d: "arn:1" } })).toBe(false);
    expect(matchesPattern(pattern, { a: "x", b: { d: "urn:1" } })).toBe(false);
    expect(matchesPattern(pattern, { a: "x" })).toBe(false);
    expect(matchesPattern({ a: [{ exists: true }] }, { a: 0 })).toBe(true);
    expect(matchesPattern({ a: [{ exists: true }] }, {})).toBe(false);
  });

  it("refuses operators it does not implement rather than guessing", () => {
    expect(() => matchesPattern({ a: [{ "anything-but": "x" }] }, { a: "y" })).toThrow(
      /unsupported pattern operator/,
    );
    expect(() => matchesPattern({ a: [] }, { a: "y" })).toThrow(/empty alternatives/);
  });
});
