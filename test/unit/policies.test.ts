// Core layer tests: the trust and permissions policies equal the AWS documentation's, compare semantically, and
// allow exactly what they should when evaluated by an IAM policy simulator.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import {
  canonicalPolicy,
  INLINE_POLICY_NAME,
  parsePolicyDocument,
  permissionsPolicyFor,
  policiesEquivalent,
  streamTrustPolicyFor,
  trustPolicyFor,
} from "../../shared/policies";
import { documentedPolicies } from "../support/documented-policies";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const SET = "marketing";
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/email-events`;
const SET_ARN = `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${SET}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/ses-firehose-marketing-0a1b2c3d`;
const STREAM_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ses-firehose-autowire/ses-firehose.stream.email-events-0a1b2c3d`;

/** The documentation's example with its placeholders filled in, as a fresh copy. */
function documented(policy: "trustPolicy" | "permissionsPolicy", streamName = "email-events"): unknown {
  return documentedPolicies({ region: REGION, configurationSet: SET, streamName })[policy];
}

describe("the policies are the AWS documentation's, placeholders filled", () => {
  it("builds the trust policy exactly as documented", () => {
    // Act
    const trust = trustPolicyFor(REGION, ACCOUNT, SET);

    // Assess
    expect(trust).toEqual(documented("trustPolicy"));
    expect(JSON.stringify(trust)).toBe(JSON.stringify(documented("trustPolicy")));
  });

  it("builds the permissions policy exactly as documented", () => {
    // Act
    const permissions = permissionsPolicyFor(STREAM_ARN);

    // Assess
    expect(JSON.stringify(permissions)).toBe(JSON.stringify(documented("permissionsPolicy")));
    expect(INLINE_POLICY_NAME).toBe("firehose-put-record-batch");
  });

  it("builds the delivery-stream role's trust policy as the documented one, aws:SourceArn widened by ArnLike", () => {
    // Prepare: the documentation's trust policy, its SourceArn moved from StringEquals to ArnLike with "*" as the set
    const expected = documented("trustPolicy") as {
      Statement: { Condition: Record<string, Record<string, string>> }[];
    };
    const condition = expected.Statement[0]!.Condition;
    const { "AWS:SourceArn": setArn, ...rest } = condition.StringEquals!;
    condition.StringEquals = rest;
    condition.ArnLike = { "AWS:SourceArn": setArn!.replace(/\/marketing$/, "/*") };

    // Act
    const trust = streamTrustPolicyFor(REGION, ACCOUNT);

    // Assess
    expect(trust).toEqual(expected);
    expect(streamTrustPolicyFor("cn-north-1", ACCOUNT).Statement[0]?.Condition?.ArnLike).toEqual({
      "AWS:SourceArn": `arn:aws-cn:ses:cn-north-1:${ACCOUNT}:configuration-set/*`,
    });
  });

  it("uses the partition of the region in the configuration set ARN", () => {
    // Act
    const china = trustPolicyFor("cn-north-1", ACCOUNT, SET);
    const govCloud = trustPolicyFor("us-gov-west-1", ACCOUNT, SET);

    // Assess
    expect(china.Statement[0]?.Condition?.StringEquals?.["AWS:SourceArn"]).toBe(
      `arn:aws-cn:ses:cn-north-1:${ACCOUNT}:configuration-set/${SET}`,
    );
    expect(govCloud.Statement[0]?.Condition?.StringEquals?.["AWS:SourceArn"]).toBe(
      `arn:aws-us-gov:ses:us-gov-west-1:${ACCOUNT}:configuration-set/${SET}`,
    );
  });
});

describe("policies compare semantically, as IAM returns them", () => {
  const trust = trustPolicyFor(REGION, ACCOUNT, SET);

  it("treats URL-encoded, reordered and respelled input as equal", () => {
    // Prepare: IAM's rendering — URL-encoded, keys reordered, single values as lists, condition key in lower case
    const asIamReturnsIt = encodeURIComponent(
      JSON.stringify({
        Statement: [
          {
            Condition: { StringEquals: { "aws:sourcearn": [SET_ARN], "aws:SourceAccount": ACCOUNT } },
            Action: ["sts:AssumeRole"],
            Principal: { Service: ["ses.amazonaws.com"] },
            Effect: "Allow",
            Sid: "",
          },
        ],
        Version: "2012-10-17",
      }),
    );

    // Act / Assess
    expect(policiesEquivalent(asIamReturnsIt, trust)).toBe(true);
    expect(policiesEquivalent(JSON.stringify(trust), trust)).toBe(true);
    expect(policiesEquivalent(trust, trust)).toBe(true);
  });

  it("treats a missing Sid as the empty Sid, and statement order as irrelevant", () => {
    // Prepare
    const two = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Deny", Action: "firehose:DeleteDeliveryStream", Resource: "*" },
        { Sid: "", Effect: "Allow", Action: "firehose:PutRecordBatch", Resource: STREAM_ARN },
      ],
    } as const;
    const reversed = { ...two, Statement: [two.Statement[1], { ...two.Statement[0], Sid: "" }] };

    // Act / Assess
    expect(canonicalPolicy(two)).toBe(canonicalPolicy(reversed));
    expect(
      policiesEquivalent(
        { Version: "2012-10-17", Statement: [two.Statement[1]] },
        permissionsPolicyFor(STREAM_ARN),
      ),
    ).toBe(true);
  });

  it.each([
    ["another configuration set", trustPolicyFor(REGION, ACCOUNT, "other")],
    ["another account", trustPolicyFor(REGION, "444455556666", SET)],
    [
      "another principal",
      { ...trust, Statement: [{ ...trust.Statement[0]!, Principal: { Service: "sns.amazonaws.com" } }] },
    ],
    ["no condition", { ...trust, Statement: [{ ...trust.Statement[0]!, Condition: {} }] }],
    ["Deny instead of Allow", { ...trust, Statement: [{ ...trust.Statement[0]!, Effect: "Deny" as const }] }],
    [
      "an extra statement",
      {
        ...trust,
        Statement: [
          trust.Statement[0]!,
          { Effect: "Allow" as const, Principal: "*" as const, Action: "sts:AssumeRole" },
        ],
      },
    ],
  ])("tells a trust policy with %s apart", (_, drifted) => {
    // Act / Assess
    expect(policiesEquivalent(encodeURIComponent(JSON.stringify(drifted)), trust)).toBe(false);
  });

  it("compares a delivery-stream role's ArnLike trust policy as IAM returns it", () => {
    // Prepare: URL-encoded, operators and keys reordered, the condition key lower-cased, values as lists
    const stream = streamTrustPolicyFor(REGION, ACCOUNT);
    const asIamReturnsIt = encodeURIComponent(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Condition: {
              ArnLike: { "aws:sourcearn": [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/*`] },
              StringEquals: { "aws:SourceAccount": [ACCOUNT] },
            },
            Principal: { Service: "ses.amazonaws.com" },
            Action: "sts:AssumeRole",
            Effect: "Allow",
          },
        ],
      }),
    );

    // Act / Assess
    expect(policiesEquivalent(asIamReturnsIt, stream)).toBe(true);
  });

  it.each([
    ["the configuration set's own trust policy", trustPolicyFor(REGION, ACCOUNT, SET)],
    ["another region", streamTrustPolicyFor("us-east-1", ACCOUNT)],
    ["another account", streamTrustPolicyFor(REGION, "444455556666")],
    [
      "StringLike instead of ArnLike",
      JSON.parse(JSON.stringify(streamTrustPolicyFor(REGION, ACCOUNT)).replace('"ArnLike"', '"StringLike"')),
    ],
    [
      "no aws:SourceAccount",
      JSON.parse(
        JSON.stringify(streamTrustPolicyFor(REGION, ACCOUNT)).replace(/"StringEquals":\{[^}]*\},/, ""),
      ),
    ],
  ])("tells a delivery-stream trust policy with %s apart", (_, drifted) => {
    // Act / Assess
    expect(
      policiesEquivalent(encodeURIComponent(JSON.stringify(drifted)), streamTrustPolicyFor(REGION, ACCOUNT)),
    ).toBe(false);
  });

  it("tells a permissions policy for another stream apart", () => {
    expect(
      policiesEquivalent(
        permissionsPolicyFor(STREAM_ARN.replace("email-events", "x")),
        permissionsPolicyFor(STREAM_ARN),
      ),
    ).toBe(false);
  });

  it.each([undefined, "", "%7Bnot json", "{not json", "%E0%A4%A", "not a policy", "null", "42"])(
    "never takes the unreadable document %j for ours",
    (text) => {
      // Act / Assess
      expect(policiesEquivalent(text, trust)).toBe(false);
    },
  );

  it.each(["Action", "NotAction", "Resource", "NotResource"])(
    "treats the order and repetition of %s values as irrelevant, and tells other values apart",
    (field) => {
      // Prepare
      const listing = (values: string[]) => ({
        Version: "2012-10-17" as const,
        Statement: [{ Effect: "Allow" as const, [field]: values }],
      });

      // Act / Assess
      expect(policiesEquivalent(listing(["b:Two", "a:One", "b:Two"]), listing(["a:One", "b:Two"]))).toBe(
        true,
      );
      expect(policiesEquivalent(listing(["a:One"]), listing(["a:One", "b:Two"]))).toBe(false);
      expect(policiesEquivalent(listing(["a:One", "c:Three"]), listing(["a:One", "b:Two"]))).toBe(false);
    },
  );

  it("tells a permissions policy with another action apart", () => {
    // Prepare
    const permissions = permissionsPolicyFor(STREAM_ARN);
    const putRecord = {
      ...permissions,
      Statement: [{ ...permissions.Statement[0]!, Action: "firehose:PutRecord" }],
    };

    // Act / Assess
    expect(policiesEquivalent(putRecord, permissions)).toBe(false);
  });

  it.each([
    ["no Version", { Statement: trust.Statement }],
    ["the 2008 Version", { ...trust, Version: "2008-10-17" }],
  ])("tells a trust policy with %s apart", (_, drifted) => {
    expect(policiesEquivalent(JSON.stringify(drifted), trust)).toBe(false);
  });

  it.each(["Principal", "NotPrincipal"])(
    "treats the order of %s types and of their values as irrelevant, and tells other values apart",
    (field) => {
      // Prepare
      const naming = (principal: unknown) => ({
        Version: "2012-10-17" as const,
        Statement: [{ Effect: "Allow" as const, Action: "sts:AssumeRole", [field]: principal }],
      });
      const expected = naming({ AWS: [ROLE_ARN, ACCOUNT], Service: "ses.amazonaws.com" });

      // Act / Assess
      expect(
        policiesEquivalent(naming({ Service: ["ses.amazonaws.com"], AWS: [ACCOUNT, ROLE_ARN] }), expected),
      ).toBe(true);
      expect(policiesEquivalent(naming({ AWS: [ROLE_ARN, ACCOUNT] }), expected)).toBe(false);
      expect(policiesEquivalent(naming({ AWS: ACCOUNT, Service: "ses.amazonaws.com" }), expected)).toBe(
        false,
      );
      expect(policiesEquivalent(naming("*"), expected)).toBe(false);
      expect(policiesEquivalent(naming("*"), naming("*"))).toBe(true);
    },
  );

  it("treats the order of condition operators, of their keys and of their values as irrelevant", () => {
    // Prepare
    const conditioned = (condition: unknown) => ({
      Version: "2012-10-17" as const,
      Statement: [{ ...trust.Statement[0]!, Condition: condition as Record<string, Record<string, string>> }],
    });
    const expected = conditioned({
      ArnLike: { "aws:SourceArn": [SET_ARN, `${SET_ARN}-2`] },
      StringEquals: { "aws:SourceAccount": ACCOUNT, "aws:PrincipalOrgID": "o-1" },
    });

    // Act / Assess
    expect(
      policiesEquivalent(
        conditioned({
          StringEquals: { "AWS:PrincipalOrgID": ["o-1"], "aws:SourceAccount": [ACCOUNT, ACCOUNT] },
          ArnLike: { "aws:SourceArn": [`${SET_ARN}-2`, SET_ARN] },
        }),
        expected,
      ),
    ).toBe(true);
    expect(
      policiesEquivalent(
        conditioned({
          StringEquals: { "aws:SourceArn": [SET_ARN, `${SET_ARN}-2`] },
          ArnLike: { "aws:SourceAccount": ACCOUNT, "aws:PrincipalOrgID": "o-1" },
        }),
        expected,
      ),
    ).toBe(false);
  });

  it("reads plain JSON with surrounding whitespace as written, without URL-decoding its values", () => {
    // Prepare: a value holding a percent sign that URL-decoding would change
    const referer = {
      ...trust,
      Statement: [
        { ...trust.Statement[0]!, Condition: { StringLike: { "aws:Referer": "https://a.example/x%20y" } } },
      ],
    };

    // Act / Assess
    expect(parsePolicyDocument(`\n  ${JSON.stringify(referer, null, 2)}\n`)).toEqual(referer);
  });

  it("parses both plain and URL-encoded JSON", () => {
    expect(parsePolicyDocument(JSON.stringify(trust))).toEqual(trust);
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(trust)))).toEqual(trust);
    expect(parsePolicyDocument(undefined)).toBeUndefined();
  });

  it("keeps odd shapes comparable rather than throwing", () => {
    // Prepare: a statement that is not an object, a principal "*", condition operators with scalar values
    const odd = {
      Version: "2012-10-17",
      Statement: ["x", { Effect: "Allow", Principal: "*", Condition: { Bool: "true" } }],
    };

    // Act / Assess
    expect(canonicalPolicy(odd)).toBe(canonicalPolicy(JSON.parse(JSON.stringify(odd))));
    expect(canonicalPolicy({ Statement: { Effect: "Allow" } })).toBe(
      canonicalPolicy({ Statement: [{ Effect: "Allow" }] }),
    );
  });

  it("keeps odd shapes apart: null, a string and an object of its characters are three different things", () => {
    // Prepare: a statement, a condition block and an operator's keys, each null, a string, or a look-alike object
    const withStatement = (statement: unknown) => ({ Version: "2012-10-17", Statement: [statement] });
    const withCondition = (condition: unknown) => withStatement({ Effect: "Allow", Condition: condition });
    const shapes = [
      withStatement(null),
      withStatement({}),
      withStatement("ab"),
      withStatement({ 0: "a", 1: "b" }),
      withCondition(null),
      withCondition("ab"),
      withCondition({ 0: "a", 1: "b" }),
      withCondition({ Bool: null }),
      withCondition({ Bool: "ab" }),
      withCondition({ Bool: { 0: "a", 1: "b" } }),
      { Version: "ab", Statement: [] },
      "ab",
      { 0: "a", 1: "b" },
    ];

    // Act
    const canonical = shapes.map(canonicalPolicy);

    // Assess
    expect(new Set(canonical).size).toBe(shapes.length);
  });
});

type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

async function assumeRole(
  principal: string,
  context: Record<string, string>,
  trust = trustPolicyFor(REGION, ACCOUNT, SET),
  roleArn = ROLE_ARN,
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: "sts:AssumeRole",
        resource: { resource: roleArn, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trust,
    },
    {},
  );
  if (result.resultType === "error") throw new Error(result.errors.message);
  return result.overallResult as Decision;
}

async function putRecordBatch(streamArn: string): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: ROLE_ARN,
        action: "firehose:PutRecordBatch",
        resource: { resource: streamArn, accountId: ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [{ name: INLINE_POLICY_NAME, policy: permissionsPolicyFor(STREAM_ARN) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") throw new Error(result.errors.message);
  return result.overallResult as Decision;
}

describe("the trust policy, evaluated by @cloud-copilot/iam-simulate", () => {
  const right = { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": SET_ARN };

  it.each([
    {
      who: "SES for this set and account",
      principal: "ses.amazonaws.com",
      context: right,
      expected: "Allowed",
    },
    {
      who: "SES for another configuration set",
      principal: "ses.amazonaws.com",
      context: { ...right, "aws:SourceArn": SET_ARN.replace(`/${SET}`, "/other") },
      expected: "ImplicitlyDenied",
    },
    {
      who: "SES for a set of the same name in another region",
      principal: "ses.amazonaws.com",
      context: { ...right, "aws:SourceArn": SET_ARN.replace(REGION, "us-east-1") },
      expected: "ImplicitlyDenied",
    },
    {
      who: "SES on behalf of another account",
      principal: "ses.amazonaws.com",
      context: { ...right, "aws:SourceAccount": "444455556666" },
      expected: "ImplicitlyDenied",
    },
    {
      who: "SES without aws:SourceAccount",
      principal: "ses.amazonaws.com",
      context: { "aws:SourceArn": SET_ARN },
      expected: "ImplicitlyDenied",
    },
    {
      who: "another service principal",
      principal: "sns.amazonaws.com",
      context: right,
      expected: "ImplicitlyDenied",
    },
    {
      who: "a user of the same account",
      principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      context: right,
      expected: "ImplicitlyDenied",
    },
  ])("lets $who assume the role: $expected", async ({ principal, context, expected }) => {
    // Act
    const decision = await assumeRole(principal, context);

    // Assess
    expect(decision).toBe(expected);
  });
});

describe("the delivery-stream role's trust policy, evaluated by @cloud-copilot/iam-simulate", () => {
  const assumeStreamRole = (principal: string, context: Record<string, string>) =>
    assumeRole(principal, context, streamTrustPolicyFor(REGION, ACCOUNT), STREAM_ROLE_ARN);
  const setArn = (name: string, region = REGION, account = ACCOUNT) =>
    `arn:aws:ses:${region}:${account}:configuration-set/${name}`;

  it.each(["marketing", "transactional", "tenant-0042", "A_b-9", "x".repeat(64)])(
    "lets SES assume it for any configuration set of this account and region: %s",
    async (name) => {
      // Act
      const decision = await assumeStreamRole("ses.amazonaws.com", {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": setArn(name),
      });

      // Assess
      expect(decision).toBe("Allowed");
    },
  );

  // Each denial next to its allowed twin: the same request with only the one thing that makes it wrong changed.
  const allowed = {
    principal: "ses.amazonaws.com",
    context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": setArn("tenant-1") },
  };
  it.each([
    {
      denied: "another account (its aws:SourceAccount and its set's ARN)",
      principal: "ses.amazonaws.com",
      context: {
        "aws:SourceAccount": "444455556666",
        "aws:SourceArn": setArn("tenant-1", REGION, "444455556666"),
      },
    },
    {
      denied: "another account's set, claimed with this account as the source account",
      principal: "ses.amazonaws.com",
      context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": setArn("tenant-1", REGION, "444455556666") },
    },
    {
      denied: "a configuration set of another region",
      principal: "ses.amazonaws.com",
      context: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": setArn("tenant-1", "us-east-1") },
    },
    {
      denied: "another SES resource type of this account and region (an identity)",
      principal: "ses.amazonaws.com",
      context: {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": `arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.com`,
      },
    },
    {
      denied: "another service, with SES's own context",
      principal: "sns.amazonaws.com",
      context: allowed.context,
    },
    {
      denied: "a user of the same account",
      principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      context: allowed.context,
    },
    {
      denied: "a request without aws:SourceArn",
      principal: "ses.amazonaws.com",
      context: { "aws:SourceAccount": ACCOUNT },
    },
    {
      denied: "a request without aws:SourceAccount",
      principal: "ses.amazonaws.com",
      context: { "aws:SourceArn": setArn("tenant-1") },
    },
  ])(
    "denies $denied, and allows its twin from SES for this account's set",
    async ({ principal, context }) => {
      // Act
      const twin = await assumeStreamRole(allowed.principal, allowed.context);
      const decision = await assumeStreamRole(principal, context);

      // Assess
      expect(twin).toBe("Allowed");
      expect(decision).toBe("ImplicitlyDenied");
    },
  );
});

describe("the permissions policy, evaluated by @cloud-copilot/iam-simulate", () => {
  it.each([
    { stream: "its own stream", arn: STREAM_ARN, expected: "Allowed" },
    {
      stream: "another stream",
      arn: STREAM_ARN.replace("email-events", "other-events"),
      expected: "ImplicitlyDenied",
    },
    {
      stream: "the same name in another region",
      arn: STREAM_ARN.replace(REGION, "us-east-1"),
      expected: "ImplicitlyDenied",
    },
  ])("allows PutRecordBatch on $stream: $expected", async ({ arn, expected }) => {
    // Act
    const decision = await putRecordBatch(arn);

    // Assess
    expect(decision).toBe(expected);
  });
});
