// Test (adapter layer): reading AWS's "Tag Change on Resource" events, documented shape and odd variants.
import { MalformedEventError } from "../../shared/errors";
import {
  configurationSetNamesFromTagChange,
  isTagChangeEvent,
  parseTagChangeEvent,
} from "../../shared/tag-change-event";
import { fixtureEvent } from "../support/fixture-events";

const SCOPE = { region: "us-east-1", account: "111122223333" };

describe("parseTagChangeEvent", () => {
  it("reads the resources, the changed keys, account and region of the documented shape", () => {
    expect(parseTagChangeEvent(fixtureEvent("tag-change-on-resource-removed"))).toEqual({
      source: "aws.tag",
      account: "111122223333",
      region: "us-east-1",
      resources: ["arn:aws:ses:us-east-1:111122223333:configuration-set/marketing"],
      changedTagKeys: ["ses-firehose"],
    });
  });

  it("tolerates a missing detail, odd changed keys and a missing envelope account or region", () => {
    const event = fixtureEvent("tag-change-on-resource");
    event.detail = { "changed-tag-keys": ["ses-firehose", 7] };
    delete event.account;
    delete event.region;
    expect(parseTagChangeEvent(event)).toMatchObject({
      account: undefined,
      region: undefined,
      changedTagKeys: undefined,
    });
  });

  it("refuses anything that is not a tag change, or one without resources, saying what is accepted", () => {
    expect(isTagChangeEvent(fixtureEvent("tag-resource"))).toBe(false);
    expect(() => parseTagChangeEvent(fixtureEvent("tag-resource"))).toThrow(MalformedEventError);
    const noResources = fixtureEvent("tag-change-on-resource");
    delete noResources.resources;
    expect(() => parseTagChangeEvent(noResources)).toThrow(/has no "resources"/);
  });
});

const ACCEPTED =
  'expected an EventBridge event with "detail-type": "Tag Change on Resource" and "resources": a list of ' +
  "configuration-set ARNs.";

describe("isTagChangeEvent", () => {
  it("is true for the documented event and false for other detail-types or for what is not an event object", () => {
    expect(isTagChangeEvent(fixtureEvent("tag-change-on-resource"))).toBe(true);
    expect(isTagChangeEvent({ "detail-type": "AWS API Call via CloudTrail" })).toBe(false);
    expect(isTagChangeEvent(null)).toBe(false);
    expect(isTagChangeEvent("Tag Change on Resource")).toBe(false);
    expect(isTagChangeEvent([fixtureEvent("tag-change-on-resource")])).toBe(false);
  });
});

describe("parseTagChangeEvent, what it refuses and what it tolerates", () => {
  it.each([
    ["a CloudTrail event", fixtureEvent("tag-resource")],
    ["null", null],
    ["nothing", undefined],
    ["a list holding the event", [fixtureEvent("tag-change-on-resource")]],
  ])("refuses %s with the accepted shape in full", (_label, event) => {
    expect(() => parseTagChangeEvent(event)).toThrow(
      new MalformedEventError(`The event is not a tag change: ${ACCEPTED}`),
    );
  });

  it.each([
    ["missing", undefined],
    ["an empty list", []],
    ["a single ARN instead of a list", "arn:aws:ses:us-east-1:111122223333:configuration-set/marketing"],
  ])('refuses "resources" %s, saying what is accepted', (_label, resources) => {
    const event = { ...fixtureEvent("tag-change-on-resource"), resources };
    expect(() => parseTagChangeEvent(event)).toThrow(
      new MalformedEventError(`The tag change event has no "resources": ${ACCEPTED}`),
    );
  });

  it("reads any changed key when detail is missing or not an object (null or a list)", () => {
    for (const detail of [undefined, null, [{ "changed-tag-keys": ["team"] }]]) {
      const event = { ...fixtureEvent("tag-change-on-resource"), detail };
      expect(parseTagChangeEvent(event).changedTagKeys).toBeUndefined();
    }
  });

  it("keeps changed keys that are all strings, and reads any key when they are not a list or not all strings", () => {
    const withKeys = (keys: unknown): unknown => ({
      ...fixtureEvent("tag-change-on-resource"),
      detail: { "changed-tag-keys": keys },
    });
    expect(parseTagChangeEvent(withKeys(["team", "ses-firehose"])).changedTagKeys).toEqual([
      "team",
      "ses-firehose",
    ]);
    expect(parseTagChangeEvent(withKeys([7, "ses-firehose"])).changedTagKeys).toBeUndefined();
    expect(parseTagChangeEvent(withKeys("ses-firehose")).changedTagKeys).toBeUndefined();
    expect(parseTagChangeEvent(withKeys({ 0: "ses-firehose" })).changedTagKeys).toBeUndefined();
  });

  it("counts an empty or non-string source, account or region as absent (source then empty)", () => {
    const empty = { ...fixtureEvent("tag-change-on-resource"), source: "", account: "", region: "" };
    expect(parseTagChangeEvent(empty)).toMatchObject({ source: "", account: undefined, region: undefined });
    const odd = {
      ...fixtureEvent("tag-change-on-resource"),
      source: 7,
      account: 111122223333,
      region: ["us-east-1"],
    };
    expect(parseTagChangeEvent(odd)).toMatchObject({ source: "", account: undefined, region: undefined });
    const missing: Record<string, unknown> = fixtureEvent("tag-change-on-resource");
    delete missing.source;
    expect(parseTagChangeEvent(missing).source).toBe("");
  });
});

describe("configurationSetNamesFromTagChange", () => {
  it("keeps this region's and account's sets once each, and notes the rest as ignored", () => {
    const change = parseTagChangeEvent({
      ...fixtureEvent("tag-change-on-resource"),
      resources: [
        "arn:aws:ses:us-east-1:111122223333:configuration-set/a",
        "arn:aws:ses:us-east-1:111122223333:configuration-set/a",
        "arn:aws:ses:eu-west-1:111122223333:configuration-set/b",
        "arn:aws:ses:us-east-1:111122223333:identity/example.com",
      ],
    });
    const { names, ignored } = configurationSetNamesFromTagChange(change, SCOPE);
    expect(names).toEqual(["a"]);
    expect(ignored).toEqual([
      "arn:aws:ses:eu-west-1:111122223333:configuration-set/b (another region or account: this stack serves us-east-1/111122223333)",
      "arn:aws:ses:us-east-1:111122223333:identity/example.com (not an SES configuration set)",
    ]);
  });

  it("refuses a resource that is not an ARN, or a set name SES cannot have", () => {
    const notArn = parseTagChangeEvent({
      ...fixtureEvent("tag-change-on-resource"),
      resources: ["marketing"],
    });
    expect(() => configurationSetNamesFromTagChange(notArn, SCOPE)).toThrow(
      'The event\'s resources[0] "marketing" is not an ARN.',
    );
    const badName = parseTagChangeEvent({
      ...fixtureEvent("tag-change-on-resource"),
      resources: ["arn:aws:ses:us-east-1:111122223333:configuration-set/has space"],
    });
    expect(() => configurationSetNamesFromTagChange(badName, SCOPE)).toThrow(/expected 1-64 letters/);
  });

  it("names the position of the resource it refuses", () => {
    const second = parseTagChangeEvent({
      ...fixtureEvent("tag-change-on-resource"),
      resources: ["arn:aws:ses:us-east-1:111122223333:configuration-set/a", 42],
    });
    expect(() => configurationSetNamesFromTagChange(second, SCOPE)).toThrow(/^The event's resources\[1\] /);
  });
});
