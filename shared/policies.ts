// Core layer: the trust and permissions policy documents of docs/core.md "What gets created" (the AWS documentation's own), and their semantic comparison.
import { configurationSetArnFor, configurationSetArnPatternFor } from "./naming";

/** Name of the inline permissions policy put on every role we manage. */
export const INLINE_POLICY_NAME = "firehose-put-record-batch";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: Record<string, string | string[]> | "*";
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** SES (`ses.amazonaws.com`) may assume the role under these conditions: the one statement both scopes share. */
function sesTrustPolicy(condition: Record<string, Record<string, string>>): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: condition,
      },
    ],
  };
}

/** SES may assume the role, only for this account and this configuration set (the seed's trust policy). */
export function trustPolicyFor(
  region: string,
  accountId: string,
  configurationSetName: string,
): PolicyDocument {
  return sesTrustPolicy({
    StringEquals: {
      "AWS:SourceAccount": accountId,
      "AWS:SourceArn": configurationSetArnFor(region, accountId, configurationSetName),
    },
  });
}

/**
 * The trust policy of a role shared by every set publishing to one stream (ROLE_SCOPE=delivery-stream): SES may
 * assume it for any configuration set of this account in this region, and for nothing else. The confused-deputy
 * guard stays: aws:SourceAccount must be this account and aws:SourceArn a configuration set ARN of this region
 * and account (a request without aws:SourceArn matches no ArnLike and is denied).
 */
export function streamTrustPolicyFor(region: string, accountId: string): PolicyDocument {
  return sesTrustPolicy({
    StringEquals: { "AWS:SourceAccount": accountId },
    ArnLike: { "AWS:SourceArn": configurationSetArnPatternFor(region, accountId) },
  });
}

/** The role may put record batches into this one delivery stream (the seed's permissions policy). */
export function permissionsPolicyFor(deliveryStreamArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "", Effect: "Allow", Action: ["firehose:PutRecordBatch"], Resource: [deliveryStreamArn] },
    ],
  };
}

/** Parses a policy as IAM returns it (URL-encoded JSON, RFC 3986) or as plain JSON; undefined when it is neither. */
export function parsePolicyDocument(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed.startsWith("{") ? trimmed : decodeURIComponent(trimmed)) as unknown;
  } /* Stryker disable next-line BlockStatement: equivalent, an empty catch block returns undefined all the same */ catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * One JSON text per meaning. IAM's policy grammar has no ordered lists — every list is a set, and a single value
 * means the same as a list holding it — and the keys of an object are unordered.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    const items = [...new Set(value.map(canonicalJson))].sort();
    // Stryker disable next-line StringLiteral: equivalent, JSON texts are self-delimiting, so lists joined without a comma still differ exactly when the lists do
    return items.length === 1 ? items[0]! : `[${items.join(",")}]`;
  }
  if (isObject(value)) {
    const fields = Object.entries(value).map(
      ([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`,
    );
    // Stryker disable next-line StringLiteral: equivalent, each field starts with its quoted key, so fields joined without a comma still differ exactly when the objects do
    return `{${fields.sort().join(",")}}`;
  }
  return JSON.stringify(String(value));
}

/** Condition keys are case-insensitive in IAM ("AWS:SourceAccount" = "aws:sourceaccount"). */
function lowerCaseKeys(keys: Record<string, unknown>): Record<string, unknown> {
  // Stryker disable next-line MethodExpression: equivalent, upper case would be one spelling per ASCII key all the same
  return Object.fromEntries(Object.entries(keys).map(([key, values]) => [key.toLowerCase(), values]));
}

function lowerCaseConditionKeys(condition: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(condition).map(([operator, keys]) => [
      operator,
      isObject(keys) ? lowerCaseKeys(keys) : keys,
    ]),
  );
}

/** A missing Sid is the empty Sid; condition keys are compared in lower case. */
function normalizedStatement(statement: unknown): unknown {
  if (!isObject(statement)) return statement;
  const { Condition } = statement;
  return {
    Sid: "",
    ...statement,
    ...(isObject(Condition) && { Condition: lowerCaseConditionKeys(Condition) }),
  };
}

/** A form in which two policies that IAM treats the same are equal strings. */
export function canonicalPolicy(policy: unknown): string {
  if (!isObject(policy)) return canonicalJson(policy);
  const { Statement } = policy;
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  return canonicalJson({ ...policy, Statement: statements.map(normalizedStatement) });
}

/** True when `actual` (an object, JSON or URL-encoded JSON as IAM returns it) means the same as `expected`. */
export function policiesEquivalent(actual: unknown, expected: PolicyDocument): boolean {
  const parsed = typeof actual === "string" ? parsePolicyDocument(actual) : actual;
  return canonicalPolicy(parsed) === canonicalPolicy(expected);
}
