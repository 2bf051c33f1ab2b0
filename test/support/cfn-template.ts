// Test support: template.yaml parsed with yaml-cfn, and a small resolver for the intrinsics its policies and
// patterns use (Ref, Fn::Sub, Fn::If, Fn::GetAtt, Fn::Join, Fn::FindInMap), given parameter values and a test account/region.
import { readFileSync } from "node:fs";
import path from "node:path";
import { yamlParse } from "yaml-cfn";

export interface CfnResource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  Transform?: string;
  Parameters: Record<string, Record<string, unknown>>;
  Conditions: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Globals: { Function: Record<string, unknown> };
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, Record<string, unknown>>;
}

export const ROOT = path.join(__dirname, "..", "..");

export function loadTemplate(): CfnTemplate {
  return yamlParse(readFileSync(path.join(ROOT, "template.yaml"), "utf8")) as CfnTemplate;
}

/** The six functions of docs/contract.md (their logical IDs in template.yaml). */
export const FUNCTION_IDS = [
  "OnConfigurationSetCreatedFunction",
  "OnConfigurationSetTaggedFunction",
  "OnConfigurationSetDeletedFunction",
  "ReconcileFunction",
  "BackfillFunction",
  "StackLifecycleFunction",
] as const;
export type FunctionId = (typeof FUNCTION_IDS)[number];

export const TEST_ACCOUNT = "111122223333";
export const TEST_REGION = "us-east-1";

export interface ResolveScope {
  template: CfnTemplate;
  /** Parameter values; absent ones take the template's Default. */
  parameters?: Record<string, string>;
}

function parameterValue(scope: ResolveScope, name: string): string {
  const pseudo: Record<string, string> = {
    "AWS::AccountId": TEST_ACCOUNT,
    "AWS::Region": TEST_REGION,
    "AWS::Partition": "aws",
    "AWS::StackName": "ses-firehose-autowire",
    "AWS::URLSuffix": "amazonaws.com",
  };
  if (name in pseudo) return pseudo[name]!;
  if (scope.parameters?.[name] !== undefined) return scope.parameters[name];
  const parameter = scope.template.Parameters[name];
  if (parameter !== undefined) return String(parameter.Default ?? "");
  if (scope.template.Resources[name] !== undefined) return `${name}-physical-id`;
  throw new Error(`unresolvable Ref ${name}`);
}

/** Evaluates a condition of the template (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition). */
export function conditionHolds(scope: ResolveScope, name: string): boolean {
  const evaluate = (expression: unknown): boolean => {
    const [[fn, args]] = Object.entries(expression as Record<string, unknown>) as [[string, unknown]];
    const list = args as unknown[];
    switch (fn) {
      case "Fn::Equals":
        return resolve(scope, list[0]) === resolve(scope, list[1]);
      case "Fn::Not":
        return !evaluate(list[0]);
      case "Fn::And":
        return list.every(evaluate);
      case "Fn::Or":
        return list.some(evaluate);
      case "Condition":
        return conditionHolds(scope, args as string);
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  };
  const expression = scope.template.Conditions[name];
  if (expression === undefined) throw new Error(`unknown condition ${name}`);
  return evaluate(expression);
}

const NO_VALUE = Symbol("AWS::NoValue");

/** Resolves intrinsics to plain values; Fn::GetAtt gives a recognisable fake ARN. */
export function resolve(scope: ResolveScope, value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((item) => resolve(scope, item)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && (first[0] === "Ref" || first[0].startsWith("Fn::"))) {
    const [fn, args] = first;
    if (fn === "Ref") return args === "AWS::NoValue" ? NO_VALUE : parameterValue(scope, args as string);
    if (fn === "Fn::Sub") {
      const [text, variables] = Array.isArray(args)
        ? (args as [string, Record<string, unknown>])
        : [args as string, {}];
      return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
        if (name in variables) return String(resolve(scope, variables[name]));
        return name.includes(".") ? `arn:aws:test:::${name}` : parameterValue(scope, name);
      });
    }
    if (fn === "Fn::FindInMap") {
      const [map, key, attribute] = (resolve(scope, args) as string[]).map(String);
      const value = scope.template.Mappings?.[map!]?.[key!]?.[attribute!];
      if (value === undefined) throw new Error(`Fn::FindInMap: no ${map}.${key}.${attribute}`);
      return value;
    }
    if (fn === "Fn::If") {
      const [condition, whenTrue, whenFalse] = args as [string, unknown, unknown];
      return resolve(scope, conditionHolds(scope, condition) ? whenTrue : whenFalse);
    }
    if (fn === "Fn::GetAtt") {
      const [resource, attribute] = Array.isArray(args) ? (args as string[]) : (args as string).split(".");
      const type = scope.template.Resources[resource!]?.Type ?? "";
      if (type === "AWS::Serverless::Function" && attribute === "Arn") {
        return `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${resource}`;
      }
      if (type === "AWS::SQS::Queue" && attribute === "Arn")
        return `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:${resource}`;
      if (type === "AWS::KinesisFirehose::DeliveryStream" && attribute === "Arn") {
        return `arn:aws:firehose:${TEST_REGION}:${TEST_ACCOUNT}:deliverystream/${resource}`;
      }
      return `arn:aws:test:${TEST_REGION}:${TEST_ACCOUNT}:${resource}/${attribute}`;
    }
    if (fn === "Fn::Join") {
      const [separator, parts] = args as [string, unknown[]];
      return (resolve(scope, parts) as unknown[]).join(separator);
    }
    throw new Error(`unsupported intrinsic ${fn}`);
  }
  return Object.fromEntries(
    entries
      .map(([key, item]) => [key, resolve(scope, item)] as const)
      .filter(([, item]) => item !== NO_VALUE),
  );
}

export function serverlessFunctions(template: CfnTemplate): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::Serverless::Function",
  );
}
