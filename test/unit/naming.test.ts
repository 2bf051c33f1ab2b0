// Core layer tests: role names and ARNs (docs/core.md, "What gets created"), including property-based tests over arbitrary valid inputs.
import fc from "fast-check";
import {
  CONFIGURATION_SET_NAME_PATTERN,
  CONFIGURATION_SET_TAG_KEY,
  DELIVERY_STREAM_TAG_KEY,
  configurationSetArnFor,
  configurationSetArnPatternFor,
  configurationSetFromRoleName,
  deliveryStreamArnFor,
  MANAGED_BY_TAG,
  isStreamRoleName,
  parseDeliveryStreamArn,
  partitionFor,
  REGION_TAG_KEY,
  roleArnFor,
  roleNameFor,
  streamRoleNameFor,
} from "../../shared/naming";

const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const setName = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const region = fc.constantFrom(
  "us-east-1",
  "eu-west-1",
  "ap-southeast-2",
  "eu-central-2",
  "cn-north-1",
  "us-gov-west-1",
  "il-central-1",
);
const prefix = fc.stringMatching(/^[\w+=,.@-]{1,32}$/);

describe("roleNameFor", () => {
  it("reads as prefix-name-hash for a short name", () => {
    // Act
    const name = roleNameFor("ses-firehose", "eu-west-1", "marketing");

    // Assess
    expect(name).toMatch(/^ses-firehose-marketing-[0-9a-f]{8}$/);
  });

  it("shortens a long name to fit 64 characters and keeps the hash", () => {
    // Act
    const name = roleNameFor("ses-firehose", "eu-west-1", "n".repeat(64));

    // Assess
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^ses-firehose-n{42}-[0-9a-f]{8}$/);
  });

  it("is at most 64 valid IAM characters for any valid name, region and prefix", () => {
    fc.assert(
      fc.property(prefix, region, setName, (p, r, n) => {
        const name = roleNameFor(p, r, n);
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).toMatch(IAM_ROLE_NAME);
      }),
    );
  });

  it("is deterministic", () => {
    fc.assert(
      fc.property(region, setName, (r, n) => {
        expect(roleNameFor("ses-firehose", r, n)).toBe(roleNameFor("ses-firehose", r, n));
      }),
    );
  });

  it("is distinct, case-insensitively, for distinct (region, name) pairs", () => {
    fc.assert(
      fc.property(region, setName, region, setName, (r1, n1, r2, n2) => {
        fc.pre(r1 !== r2 || n1 !== n2);
        expect(roleNameFor("ses-firehose", r1, n1).toLowerCase()).not.toBe(
          roleNameFor("ses-firehose", r2, n2).toLowerCase(),
        );
      }),
    );
  });

  it("is distinct for names that differ only in case (IAM role names are case-insensitive)", () => {
    fc.assert(
      fc.property(
        region,
        setName.filter((n) => n.toLowerCase() !== n.toUpperCase()),
        (r, n) => {
          expect(roleNameFor("ses-firehose", r, n.toLowerCase()).toLowerCase()).not.toBe(
            roleNameFor("ses-firehose", r, n.toUpperCase()).toLowerCase(),
          );
        },
      ),
    );
  });

  it("is distinct for long names that share the kept prefix", () => {
    // Prepare
    const a = "x".repeat(60) + "aaaa";
    const b = "x".repeat(60) + "bbbb";

    // Act / Assess
    expect(roleNameFor("ses-firehose", "eu-west-1", a)).not.toBe(roleNameFor("ses-firehose", "eu-west-1", b));
  });

  it("is distinct for the same name in two regions", () => {
    expect(roleNameFor("p", "eu-west-1", "m")).not.toBe(roleNameFor("p", "us-east-1", "m"));
  });
});

describe("configurationSetFromRoleName (the reverse of roleNameFor)", () => {
  it("reads the set back from any name made for this region, or says the name was shortened", () => {
    fc.assert(
      fc.property(prefix, region, setName, (p, r, name) => {
        const roleName = roleNameFor(p, r, name);
        const shortened = name.length > 64 - p.length - 10; // room left by "prefix-" and "-hhhhhhhh"
        expect(configurationSetFromRoleName(p, r, roleName)).toEqual(
          shortened ? { kind: "shortened" } : { kind: "set", configurationSet: name },
        );
      }),
    );
  });

  it("recognises another region's role and another prefix as not this deployment's", () => {
    const roleName = roleNameFor("ses-firehose", "us-east-1", "marketing");
    expect(configurationSetFromRoleName("ses-firehose", "eu-west-1", roleName)).toEqual({ kind: "other" });
    expect(configurationSetFromRoleName("other-prefix", "us-east-1", roleName)).toEqual({ kind: "other" });
    expect(configurationSetFromRoleName("ses-firehose", "us-east-1", roleName)).toEqual({
      kind: "set",
      configurationSet: "marketing",
    });
  });

  it("never reads a full-length role name of another prefix as a shortened one of ours (no GetRole for it)", () => {
    // A 64-character name of another deployment's prefix: its middle would pass for a shortened set name.
    const roleName = roleNameFor("team-b", "us-east-1", "n".repeat(64));
    expect(roleName).toHaveLength(64);
    expect(configurationSetFromRoleName("sfa", "us-east-1", roleName)).toEqual({ kind: "other" });
  });

  it("leaves a shortened name of another region to the role's tags", () => {
    const roleName = roleNameFor("ses-firehose", "us-east-1", "n".repeat(64));
    expect(configurationSetFromRoleName("ses-firehose", "eu-west-1", roleName)).toEqual({
      kind: "shortened",
    });
  });
});

const streamName = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/);
const account = fc.constantFrom("111122223333", "444455556666");

describe("streamRoleNameFor (ROLE_SCOPE=delivery-stream)", () => {
  const arn = deliveryStreamArnFor("eu-west-1", "111122223333", "email-events");

  it("reads as prefix.stream.S-hash for a short stream name", () => {
    // Act
    const name = streamRoleNameFor("ses-firehose", arn);

    // Assess
    expect(name).toMatch(/^ses-firehose\.stream\.email-events-[0-9a-f]{8}$/);
    expect(isStreamRoleName("ses-firehose", name)).toBe(true);
  });

  it("shortens a long stream name to fit 64 characters and keeps the hash", () => {
    // Act
    const name = streamRoleNameFor(
      "ses-firehose",
      deliveryStreamArnFor("eu-west-1", "111122223333", "s".repeat(64)),
    );

    // Assess
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^ses-firehose\.stream\.s{35}-[0-9a-f]{8}$/);
  });

  it("is at most 64 valid IAM characters, and deterministic, for any stream, region and prefix", () => {
    fc.assert(
      fc.property(prefix, region, account, streamName, (p, r, a, s) => {
        const name = streamRoleNameFor(p, deliveryStreamArnFor(r, a, s));
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).toMatch(IAM_ROLE_NAME);
        expect(streamRoleNameFor(p, deliveryStreamArnFor(r, a, s))).toBe(name);
      }),
    );
  });

  it("is distinct, case-insensitively, for distinct streams (name, region or account)", () => {
    fc.assert(
      fc.property(region, account, streamName, region, account, streamName, (r1, a1, s1, r2, a2, s2) => {
        fc.pre(r1 !== r2 || a1 !== a2 || s1 !== s2);
        expect(streamRoleNameFor("ses-firehose", deliveryStreamArnFor(r1, a1, s1)).toLowerCase()).not.toBe(
          streamRoleNameFor("ses-firehose", deliveryStreamArnFor(r2, a2, s2)).toLowerCase(),
        );
      }),
    );
  });

  it("never equals, case-insensitively, a configuration set's role name: the two scopes never collide", () => {
    fc.assert(
      fc.property(prefix, region, setName, streamName, (p, r, n, s) => {
        const setRole = roleNameFor(p, r, n);
        expect(streamRoleNameFor(p, deliveryStreamArnFor(r, "111122223333", s)).toLowerCase()).not.toBe(
          setRole.toLowerCase(),
        );
        expect(isStreamRoleName(p, setRole)).toBe(false);
      }),
    );
  });

  it("a set named like a stream role still gets a set role (set names cannot contain '.')", () => {
    expect(isStreamRoleName("ses-firehose", roleNameFor("ses-firehose", "eu-west-1", "stream-events"))).toBe(
      false,
    );
  });
});

describe("partitions and ARNs", () => {
  it.each([
    ["us-east-1", "aws"],
    ["eu-west-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["cn-northwest-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["us-iso-east-1", "aws-iso"],
    ["us-isob-east-1", "aws-iso-b"],
  ])("puts %s in partition %s", (r, partition) => {
    expect(partitionFor(r)).toBe(partition);
  });

  it("builds the pattern of every configuration set of one account and region", () => {
    expect(configurationSetArnPatternFor("cn-north-1", "111122223333")).toBe(
      "arn:aws-cn:ses:cn-north-1:111122223333:configuration-set/*",
    );
  });

  it("builds the role, configuration set and stream ARNs", () => {
    expect(roleArnFor("aws", "111122223333", "/p/", "r")).toBe("arn:aws:iam::111122223333:role/p/r");
    expect(configurationSetArnFor("cn-north-1", "111122223333", "m")).toBe(
      "arn:aws-cn:ses:cn-north-1:111122223333:configuration-set/m",
    );
    expect(deliveryStreamArnFor("eu-west-1", "111122223333", "s")).toBe(
      "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s",
    );
  });

  it("splits a delivery stream ARN and refuses anything else", () => {
    expect(
      parseDeliveryStreamArn("arn:aws-us-gov:firehose:us-gov-west-1:111122223333:deliverystream/a.b_c-d"),
    ).toEqual({
      partition: "aws-us-gov",
      region: "us-gov-west-1",
      accountId: "111122223333",
      name: "a.b_c-d",
    });
    expect(parseDeliveryStreamArn("arn:aws:kinesis:eu-west-1:111122223333:stream/s")).toBeUndefined();
    expect(parseDeliveryStreamArn("arn:aws:firehose:eu-west-1:1111:deliverystream/s")).toBeUndefined();
  });

  it("round-trips any stream name through its ARN", () => {
    fc.assert(
      fc.property(region, fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/), (r, name) => {
        expect(parseDeliveryStreamArn(deliveryStreamArnFor(r, "111122223333", name))).toEqual({
          partition: partitionFor(r),
          region: r,
          accountId: "111122223333",
          name,
        });
      }),
    );
  });
});

describe("what a name or ARN must look like", () => {
  it.each([
    ["x", true],
    ["Marketing_2024-eu", true],
    ["a".repeat(64), true],
    ["", false],
    ["a".repeat(65), false],
    ["has space", false],
    ["dots.not.allowed", false],
    ["-/../x", false],
    ["ok\nnext", false],
    [" padded", false],
    ["trailing!", false],
  ])("takes %j for a configuration set name: %s", (name, valid) => {
    expect(CONFIGURATION_SET_NAME_PATTERN.test(name)).toBe(valid);
  });

  it.each([
    "xarn:aws:firehose:eu-west-1:111122223333:deliverystream/s",
    "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s/extra",
    "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s ",
  ])("refuses a stream ARN with anything around it: %j", (arn) => {
    expect(parseDeliveryStreamArn(arn)).toBeUndefined();
  });

  it("marks a managed role with the documented tag keys (docs/core.md, docs/role-scope.md)", () => {
    expect([MANAGED_BY_TAG, CONFIGURATION_SET_TAG_KEY, REGION_TAG_KEY, DELIVERY_STREAM_TAG_KEY]).toEqual([
      { Key: "managed-by", Value: "ses-firehose-autowire" },
      "ses-configuration-set",
      "ses-region",
      "ses-delivery-stream",
    ]);
  });
});
