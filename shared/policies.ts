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
  } catch {
    return undefined;
  }
}

type Canonical = string | Canonical[] | { [key: string]: Canonical };

function sortedStrings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return [...new Set(list.map((item) => String(item)))].sort();
}

const LIST_FIELDS = new Set(["Action", "NotAction", "Resource", "NotResource"]);
const PRINCIPAL_FIELDS = new Set(["Principal", "NotPrincipal"]);

function canonicalPrincipal(value: unknown): Canonical {
  if (typeof value !== "object" || value === null) return String(value);
  return Object.fromEntries(
    Object.entries(value)
      .map(([type, ids]): [string, Canonical] => [type, sortedStrings(ids)])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Condition keys are case-insensitive in IAM ("AWS:SourceAccount" = "aws:sourceaccount"); values are sets. */
function canonicalCondition(value: unknown): Canonical {
  if (typeof value !== "object" || value === null) return String(value);
  return Object.fromEntries(
    Object.entries(value)
      .map(([operator, keys]): [string, Canonical] => [
        operator,
        typeof keys !== "object" || keys === null
          ? String(keys)
          : Object.fromEntries(
              Object.entries(keys as Record<string, unknown>)
                .map(([key, values]): [string, Canonical] => [key.toLowerCase(), sortedStrings(values)])
                .sort(([a], [b]) => a.localeCompare(b)),
            ),
      ])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function canonicalStatement(statement: unknown): string {
  if (typeof statement !== "object" || statement === null) return JSON.stringify(statement);
  const fields: [string, Canonical][] = Object.entries({ Sid: "", ...statement }).map(([field, value]) => {
    if (LIST_FIELDS.has(field)) return [field, sortedStrings(value)];
    if (PRINCIPAL_FIELDS.has(field)) return [field, canonicalPrincipal(value)];
    if (field === "Condition") return [field, canonicalCondition(value)];
    return [field, String(value)];
  });
  return JSON.stringify(Object.fromEntries(fields.sort(([a], [b]) => a.localeCompare(b))));
}

/** A form in which two policies that IAM treats the same are equal strings. */
export function canonicalPolicy(policy: unknown): string {
  if (typeof policy !== "object" || policy === null) return JSON.stringify(policy ?? null);
  const { Version, Statement } = policy as { Version?: unknown; Statement?: unknown };
  const statements = (Array.isArray(Statement) ? Statement : [Statement]).map(canonicalStatement).sort();
  return JSON.stringify({ Version: Version ?? null, Statement: statements });
}

/** True when `actual` (an object, JSON or URL-encoded JSON as IAM returns it) means the same as `expected`. */
export function policiesEquivalent(actual: unknown, expected: PolicyDocument): boolean {
  const parsed = typeof actual === "string" ? parsePolicyDocument(actual) : actual;
  return parsed !== undefined && canonicalPolicy(parsed) === canonicalPolicy(expected);
}
