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
    expect(ignored).toHaveLength(2);
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
});
