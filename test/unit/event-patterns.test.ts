// Test (deployment layer): each EventBridge rule of template.yaml matches exactly the fixture events it should
// (docs/architecture.md, "Events"; docs/events.md), judged by the project's matcher and, independently, by moto's
// EventBridge matcher.
import { loadTemplate, resolve, serverlessFunctions } from "../support/cfn-template";
import { matchesPattern, type Pattern } from "../support/event-pattern";
import { FIXTURE_NAMES, fixtureEvent, type FixtureEvent } from "../support/fixture-events";
import { motoMatches } from "../support/moto-event-pattern";

const template = loadTemplate();

/** Every EventBridgeRule event of every function, with its pattern resolved (parameters default unless given). */
function rulesOf(parameters: Record<string, string> = {}) {
  return serverlessFunctions(template).flatMap(([logicalId, fn]) =>
    Object.entries(
      (fn.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    )
      .filter(([, event]) => event.Type === "EventBridgeRule")
      .map(([eventId, event]) => ({
        rule: `${logicalId}.${eventId}`,
        pattern: resolve({ template, parameters }, event.Properties.Pattern) as Pattern,
      })),
  );
}
const rules = rulesOf();

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
  // Only changes of the opt-in key: tag-change-on-resource-other-key reaches nothing.
  "OnConfigurationSetTaggedFunction.TagChangeOnResource": [
    "tag-change-on-resource",
    "tag-change-on-resource-removed",
  ],
};

/** Events that must reach no function at all: variants of the fixtures (each a fresh copy). */
function unwantedEvents(): Record<string, FixtureEvent> {
  const variant = (name: string, change: (event: FixtureEvent) => void) => {
    const event = fixtureEvent(name);
    change(event);
    return event;
  };
  const setArn = "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing";
  return {
    "failed SES call": fixtureEvent("create-failed-call"),
    "failed tag call": variant("tag-resource", (e) => (e.detail.errorCode = "AccessDenied")),
    "failed tagging API call": variant(
      "tagging-api-tag-resources",
      (e) => (e.detail.errorCode = "Throttling"),
    ),
    "read-only SES call": variant("tag-resource", (e) => {
      e.detail.eventName = "GetConfigurationSet";
      e.detail.readOnly = true;
      e.detail.requestParameters = { configurationSetName: "marketing" };
    }),
    "read-only tagging API call": variant("tagging-api-tag-resources", (e) => {
      e.detail.eventName = "GetResources";
      e.detail.readOnly = true;
      e.detail.requestParameters = { resourceTypeFilters: ["ses:configuration-set"] };
    }),
    "tagging API call on other resources": variant("tagging-api-tag-resources", (e) => {
      e.detail.requestParameters = { resourceARNList: ["arn:aws:s3:::bucket"], tags: { a: "b" } };
    }),
    "tagging API call on another region's sets": variant("tagging-api-tag-resources", (e) => {
      e.detail.requestParameters = {
        resourceARNList: ["arn:aws:ses:eu-west-1:111122223333:configuration-set/marketing"],
      };
    }),
    "Tag Change of another key": fixtureEvent("tag-change-on-resource-other-key"),
    "Tag Change on an SES identity": variant("tag-change-on-resource", (e) => {
      e.detail["resource-type"] = "identity";
      e.resources = ["arn:aws:ses:us-east-1:111122223333:identity/example.com"];
    }),
    "Tag Change on another service's resource": variant("tag-change-on-resource", (e) => {
      e.detail.service = "ec2";
      e.detail["resource-type"] = "instance";
      e.resources = ["arn:aws:ec2:us-east-1:111122223333:instance/i-0000000aaaaaaaaaa"];
    }),
    "tagging API call sent as aws.tag (the old, wrong source)": variant("tagging-api-tag-resources", (e) => {
      e.source = "aws.tag";
      e.detail.requestParameters = { resourceARNList: [setArn] };
    }),
  };
}

describe("EventBridge rules of template.yaml", () => {
  it('are exactly the five rules of docs/architecture.md, "Events"', () => {
    expect(rules.map(({ rule }) => rule).sort()).toEqual(Object.keys(EXPECTED_MATCHES).sort());
  });

  it.each(rules)("$rule matches exactly its fixtures and none of the others", ({ rule, pattern }) => {
    // Act
    const matched = FIXTURE_NAMES.filter((name) => matchesPattern(pattern, fixtureEvent(name)));
    // Assess
    expect(matched).toEqual(EXPECTED_MATCHES[rule]);
  });

  it.each(Object.keys(unwantedEvents()))("sends a %s to no function at all", (name) => {
    const event = unwantedEvents()[name];
    expect(rules.filter(({ pattern }) => matchesPattern(pattern, event)).map(({ rule }) => rule)).toEqual([]);
  });

  it("filters Tag Change on Resource on the OptInTagKey the stack is deployed with", () => {
    const tagChange = rulesOf({ OptInTagKey: "mail:firehose" }).find(({ rule }) =>
      rule.endsWith("TagChangeOnResource"),
    )!;
    const custom = fixtureEvent("tag-change-on-resource");
    custom.detail["changed-tag-keys"] = ["team", "mail:firehose"];
    expect(matchesPattern(tagChange.pattern, custom)).toBe(true);
    expect(matchesPattern(tagChange.pattern, fixtureEvent("tag-change-on-resource"))).toBe(false);
  });

  const cloudTrailRules = rules.filter(({ rule }) => !rule.endsWith("TagChangeOnResource"));
  it.each(cloudTrailRules)(
    "$rule ignores its own events once they carry an errorCode",
    ({ rule, pattern }) => {
      for (const name of EXPECTED_MATCHES[rule] ?? []) {
        const event = fixtureEvent(name);
        event.detail.errorCode = "AccessDenied";
        expect(matchesPattern(pattern, event)).toBe(false);
      }
    },
  );

  it("invokes the tagged function for a tagging API call naming one of our sets among other resources", () => {
    const tagging = rules.find(({ rule }) => rule.endsWith("TaggingApiTagResources"))!;
    const mixed = fixtureEvent("tagging-api-tag-resources");
    mixed.detail.requestParameters = {
      resourceARNList: [
        "arn:aws:s3:::bucket",
        "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing",
      ],
    };
    expect(matchesPattern(tagging.pattern, mixed)).toBe(true);
  });
});

describe("the same rules judged by moto's EventBridge matcher (moto.events.models.EventPattern)", () => {
  // One python3 run for every question (importing moto takes seconds): the default rules over every fixture and
  // unwanted event, and the rules of a stack deployed with another OptInTagKey over a Tag Change of that key.
  const custom = fixtureEvent("tag-change-on-resource");
  custom.detail["changed-tag-keys"] = ["mail:firehose"];
  const events: Record<string, unknown> = { ...unwantedEvents(), "custom-key": custom };
  for (const name of FIXTURE_NAMES) events[name] = fixtureEvent(name);
  const patterns: Record<string, unknown> = Object.fromEntries(
    rules.map(({ rule, pattern }) => [rule, pattern]),
  );
  for (const { rule, pattern } of rulesOf({ OptInTagKey: "mail:firehose" }))
    patterns[`custom:${rule}`] = pattern;
  const judged = motoMatches(patterns, events);
  const matches = "matches" in judged ? judged.matches : {};
  const itWithMoto = "matches" in judged ? it : it.skip;
  if ("unavailable" in judged) {
    it(`is skipped: ${judged.unavailable}`, () => expect(judged.unavailable).not.toBe(""));
  }

  itWithMoto("agrees with the expected routing of every fixture and every unwanted event", () => {
    const byDefaultRules = Object.fromEntries(rules.map(({ rule }) => [rule, matches[rule]]));
    expect(byDefaultRules).toEqual(EXPECTED_MATCHES);
  });

  itWithMoto("agrees that a custom OptInTagKey is what the Tag Change rule filters on", () => {
    expect(matches["custom:OnConfigurationSetTaggedFunction.TagChangeOnResource"]).toEqual(["custom-key"]);
    expect(matches["OnConfigurationSetTaggedFunction.TagChangeOnResource"]).not.toContain("custom-key");
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
