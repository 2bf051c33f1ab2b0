// Core layer: the StackLifecycle custom resource's request and answer (docs/uninstall.md) — what CloudFormation (or a
// cleanup continuation) sent, its properties read and validated, and the answer built from it. No decisions here:
// what each request does is in stack-lifecycle.ts. Request shapes are typed by @types/aws-lambda (type-only).
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import type { BackfillPayload } from "./backfill-payload";
import type { CustomResourceAnswer } from "./custom-resource-response";
import { describeError, InvalidLifecycleInputError } from "./errors";

export type StackLifecycleRequest = CloudFormationCustomResourceEvent;

/** The payload a cleanup invocation hands to the next one: the original request, when it began, the cleanup cursor. */
export interface StackLifecycleContinuation {
  stackLifecycleContinuation: { request: StackLifecycleRequest; startedAt: number; cleanup: BackfillPayload };
}

/** CloudFormation's wait when the resource sets no ServiceTimeout (and the most it accepts): one hour. */
const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const REQUEST_FIELDS = [
  "RequestType",
  "ResponseURL",
  "StackId",
  "RequestId",
  "LogicalResourceId",
  "ServiceToken",
] as const;

function parseRequest(value: unknown): StackLifecycleRequest {
  if (!isRecord(value)) throw new InvalidLifecycleInputError(`Expected a JSON object, got ${typeof value}.`);
  const missing = REQUEST_FIELDS.filter((field) => typeof value[field] !== "string" || value[field] === "");
  const type = value.RequestType;
  if (missing.length > 0 || !["Create", "Update", "Delete"].includes(type as string)) {
    throw new InvalidLifecycleInputError(
      `Not a CloudFormation custom-resource request (missing or invalid: ${missing.join(", ") || "RequestType"}). ` +
        "Accepted: the request CloudFormation sends for the StackLifecycle resource (RequestType Create, Update " +
        "or Delete, with ResponseURL, StackId, RequestId, LogicalResourceId), or a continuation this function wrote.",
    );
  }
  if (type !== "Create" && typeof value.PhysicalResourceId !== "string") {
    throw new InvalidLifecycleInputError(`A ${String(type)} request must carry PhysicalResourceId.`);
  }
  if (!isRecord(value.ResourceProperties)) value.ResourceProperties = {};
  return value as unknown as StackLifecycleRequest;
}

/** Accepts a CloudFormation request or a continuation; anything else throws (it cannot be answered). */
export function parseLifecycleInput(event: unknown): {
  request: StackLifecycleRequest;
  continuation?: StackLifecycleContinuation["stackLifecycleContinuation"];
} {
  if (isRecord(event) && "stackLifecycleContinuation" in event) {
    const continuation = event.stackLifecycleContinuation;
    if (
      !isRecord(continuation) ||
      typeof continuation.startedAt !== "number" ||
      !isRecord(continuation.cleanup) ||
      !isRecord(continuation.cleanup.continuation)
    ) {
      throw new InvalidLifecycleInputError("The continuation is not one this function wrote.");
    }
    const request = parseRequest(continuation.request);
    if (request.RequestType !== "Delete") {
      throw new InvalidLifecycleInputError("Only a Delete request is continued in a new invocation.");
    }
    return {
      request,
      continuation: continuation as StackLifecycleContinuation["stackLifecycleContinuation"],
    };
  }
  return { request: parseRequest(event) };
}

/** CloudFormation sends every property value as a string; "true"/"false" (any case) and booleans are accepted. */
export function flag(request: StackLifecycleRequest, name: string): boolean {
  const value: unknown = request.ResourceProperties[name] ?? "true";
  const text = String(value).toLowerCase();
  if (text === "true" || text === "false") return text === "true";
  throw new InvalidLifecycleInputError(
    `Property ${name}=${JSON.stringify(value)} is not valid: expected "true" or "false".`,
  );
}

export function serviceTimeoutMs(request: StackLifecycleRequest): number {
  const seconds = Number(request.ResourceProperties.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_SECONDS);
  const valid = Number.isInteger(seconds) && seconds >= 1 && seconds <= DEFAULT_SERVICE_TIMEOUT_SECONDS;
  return (valid ? seconds : DEFAULT_SERVICE_TIMEOUT_SECONDS) * 1000;
}

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;

export function backfillFunctionArn(request: StackLifecycleRequest): string {
  const value: unknown = request.ResourceProperties.BackfillFunctionArn;
  if (typeof value !== "string" || !LAMBDA_ARN.test(value)) {
    throw new InvalidLifecycleInputError(
      `Property BackfillFunctionArn=${JSON.stringify(value)} is not valid: expected the BackfillFunction's ARN ` +
        "(arn:aws:lambda:<region>:<account>:function:<name>).",
    );
  }
  return value;
}

/** Region and name of the stack, from its ARN (arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>). */
function stackOf(request: StackLifecycleRequest): { region: string; name: string } {
  const [, , , region = "", , resource = ""] = request.StackId.split(":");
  return { region, name: resource.split("/")[1] ?? "<stack>" };
}

/** `ses-firehose-autowire/<region>/<stack name>`; the same id is echoed on Update and Delete. */
function physicalResourceIdFor(request: StackLifecycleRequest): string {
  if (request.RequestType !== "Create") return request.PhysicalResourceId;
  const stack = stackOf(request);
  return `ses-firehose-autowire/${stack.region}/${stack.name}`;
}

export function answerFor(
  request: StackLifecycleRequest,
  status: CustomResourceAnswer["Status"],
  reason: string,
  data?: Record<string, string>,
): CustomResourceAnswer {
  return {
    Status: status,
    Reason: reason,
    PhysicalResourceId: physicalResourceIdFor(request),
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    ...(data === undefined ? {} : { Data: data }),
  };
}

/** What a person can do when the cleanup cannot finish: fix and delete again, or delete without it. */
export function cleanupRemedy(request: StackLifecycleRequest): string {
  return (
    `Fix the cause (log group of ${request.ServiceToken.split(":").pop() ?? "StackLifecycleFunction"}) ` +
    "and delete the stack again (the cleanup starts over and skips what is gone), or delete it without the cleanup: " +
    `aws cloudformation delete-stack --stack-name ${stackOf(request).name} --retain-resources ${request.LogicalResourceId}`
  );
}

/** FAILED with what went wrong and, for a Delete, what a person can do about it. */
export function failure(request: StackLifecycleRequest, detail: string): CustomResourceAnswer {
  const what = request.RequestType === "Delete" ? "Cleanup failed" : `${request.RequestType} failed`;
  const remedy = request.RequestType === "Delete" ? ` ${cleanupRemedy(request)}` : "";
  const sentence = /[.!?)]$/.test(detail) ? detail : `${detail}.`;
  return answerFor(request, "FAILED", `${what}: ${sentence}${remedy}`);
}

export function failedAnswer(request: StackLifecycleRequest, err: unknown): CustomResourceAnswer {
  const { name, message } = describeError(err);
  return failure(request, err instanceof InvalidLifecycleInputError ? message : `${name}: ${message}`);
}
