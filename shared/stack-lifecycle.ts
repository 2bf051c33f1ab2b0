// Core layer: the StackLifecycle custom resource (docs/uninstall.md) — start a backfill on Create (and on an Update that
// changes what is wired), remove everything this stack made on Delete across invocations, and always answer once.
// CloudFormation's request shapes are typed by @types/aws-lambda (type-only: no Lambda runtime code in here).
import type { Logger } from "@aws-lambda-powertools/logger";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import type { BackfillPayload, BackfillStep } from "./backfill-run";
import type { CustomResourceAnswer } from "./custom-resource-response";
import { describeError, InvalidLifecycleInputError } from "./errors";
import { OUTCOMES } from "./report";

export type StackLifecycleRequest = CloudFormationCustomResourceEvent;

/** The payload a cleanup invocation hands to the next one: the original request, when it began, the cleanup cursor. */
export interface StackLifecycleContinuation {
  stackLifecycleContinuation: { request: StackLifecycleRequest; startedAt: number; cleanup: BackfillPayload };
}

/** Resource properties whose change changes what should be wired: an Update changing one starts a backfill. */
export const DESIRED_STATE_PROPERTIES = [
  "OptInTagKey",
  "OptInMode",
  "DefaultDeliveryStreamArn",
  "EventTypes",
  "EventDestinationName",
  "RolePath",
  "RoleNamePrefix",
  "PermissionsBoundaryArn",
] as const;

/** Time kept back in every invocation to send the answer (its PUT and retries) before Lambda stops the function. */
export const ANSWER_RESERVE_MS = 10_000;
/** A cleanup invocation takes no new set when less than this remains; the sets in flight then finish. */
export const CLEANUP_STOP_MARGIN_MS = 30_000;
/** CloudFormation's wait when the resource sets no ServiceTimeout (and the most it accepts): one hour. */
const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

export interface StackLifecycleDeps {
  logger: Logger;
  /** ARN of this function (the continuation invokes it). */
  functionArn: string;
  /** Lambda's remaining time of this invocation. */
  remainingTimeMs(): number;
  now(): number;
  /** Asynchronous invoke (InvocationType Event) of a function with a JSON payload. */
  invokeAsync(functionArn: string, payload: unknown): Promise<void>;
  /** One invocation's share of the cleanup: the backfill engine with every set treated as opted out. */
  cleanupStep(payload: BackfillPayload, remainingTimeMs: () => number): Promise<BackfillStep>;
  /** Delivers the answer to the request's ResponseURL (retrying); rejects when it cannot. */
  answer(
    request: StackLifecycleRequest,
    answer: CustomResourceAnswer,
    remainingTimeMs: () => number,
  ): Promise<void>;
}

export type StackLifecycleResult =
  | { status: "answered"; answer: CustomResourceAnswer }
  | { status: "continued"; invocation: number; processedSoFar: number };

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
function flag(request: StackLifecycleRequest, name: string): boolean {
  const value: unknown = request.ResourceProperties[name] ?? "true";
  const text = String(value).toLowerCase();
  if (text === "true" || text === "false") return text === "true";
  throw new InvalidLifecycleInputError(
    `Property ${name}=${JSON.stringify(value)} is not valid: expected "true" or "false".`,
  );
}

function serviceTimeoutMs(request: StackLifecycleRequest): number {
  const seconds = Number(request.ResourceProperties.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_SECONDS);
  const valid = Number.isInteger(seconds) && seconds >= 1 && seconds <= DEFAULT_SERVICE_TIMEOUT_SECONDS;
  return (valid ? seconds : DEFAULT_SERVICE_TIMEOUT_SECONDS) * 1000;
}

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;

function backfillFunctionArn(request: StackLifecycleRequest): string {
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

function answerFor(
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
function cleanupRemedy(request: StackLifecycleRequest): string {
  return (
    `Fix the cause (log group of ${request.ServiceToken.split(":").pop() ?? "StackLifecycleFunction"}) ` +
    "and delete the stack again (the cleanup starts over and skips what is gone), or delete it without the cleanup: " +
    `aws cloudformation delete-stack --stack-name ${stackOf(request).name} --retain-resources ${request.LogicalResourceId}`
  );
}

async function startBackfill(
  request: StackLifecycleRequest,
  why: string,
  deps: StackLifecycleDeps,
): Promise<CustomResourceAnswer> {
  const arn = backfillFunctionArn(request);
  await deps.invokeAsync(arn, { dryRun: false });
  deps.logger.info("backfill started", { backfillFunctionArn: arn, why });
  return answerFor(
    request,
    "SUCCESS",
    `Backfill started (${why}); it runs on its own, its report is in ${arn.split(":").pop()}'s log group.`,
    { BackfillStarted: "true" },
  );
}

async function createOrUpdate(
  request: StackLifecycleRequest,
  deps: StackLifecycleDeps,
): Promise<CustomResourceAnswer> {
  const backfillOnDeploy = flag(request, "BackfillOnDeploy");
  flag(request, "CleanupOnDelete");
  if (request.RequestType === "Create") {
    if (!backfillOnDeploy) {
      return answerFor(request, "SUCCESS", "BackfillOnDeploy is false: no backfill started.", {
        BackfillStarted: "false",
      });
    }
    return startBackfill(request, "stack created", deps);
  }
  const before = (request as Extract<StackLifecycleRequest, { RequestType: "Update" }>).OldResourceProperties;
  const changed = DESIRED_STATE_PROPERTIES.filter(
    (name) => JSON.stringify(before?.[name]) !== JSON.stringify(request.ResourceProperties[name]),
  );
  if (changed.length === 0 || !backfillOnDeploy) {
    const why =
      changed.length === 0 ? "no setting that changes the wiring changed" : "BackfillOnDeploy is false";
    return answerFor(request, "SUCCESS", `Updated; no backfill started: ${why}.`, {
      BackfillStarted: "false",
    });
  }
  return startBackfill(request, `${changed.join(", ")} changed`, deps);
}

function countsText(counts: Record<string, number>): string {
  return OUTCOMES.filter((outcome) => counts[outcome]! > 0)
    .map((outcome) => `${counts[outcome]} ${outcome}`)
    .join(", ");
}

async function cleanup(
  request: StackLifecycleRequest,
  continuation: StackLifecycleContinuation["stackLifecycleContinuation"] | undefined,
  deps: StackLifecycleDeps,
): Promise<StackLifecycleResult> {
  let cleanupOnDelete: boolean;
  try {
    cleanupOnDelete = flag(request, "CleanupOnDelete");
  } catch (err) {
    // A resource whose Create failed on bad properties must still delete (the rollback would otherwise be stuck).
    const reason = `${describeError(err).message} Nothing was removed.`;
    return { status: "answered", answer: answerFor(request, "SUCCESS", reason) };
  }
  if (!cleanupOnDelete) {
    const reason =
      "CleanupOnDelete is false: the roles and event destinations this stack made were left in place.";
    return { status: "answered", answer: answerFor(request, "SUCCESS", reason) };
  }
  const startedAt = continuation?.startedAt ?? deps.now();
  const serviceDeadline = startedAt + serviceTimeoutMs(request);
  const remaining = () => Math.min(deps.remainingTimeMs(), serviceDeadline - deps.now()) - ANSWER_RESERVE_MS;
  const step = await deps.cleanupStep(
    continuation?.cleanup ?? { dryRun: false, discovery: "list" },
    remaining,
  );

  if (step.status === "continue") {
    const { progress } = step;
    if (serviceDeadline - deps.now() < CLEANUP_STOP_MARGIN_MS + 2 * ANSWER_RESERVE_MS) {
      const reason =
        `Cleanup not finished within the resource's ServiceTimeout (${serviceTimeoutMs(request) / 1000} s): ` +
        `${progress.processedSoFar} configuration sets done so far (${countsText(progress.counts)}). ` +
        "SES allows about one call per second: raise SesRequestsPerSecond if your account's limit is higher. " +
        cleanupRemedy(request);
      return { status: "answered", answer: answerFor(request, "FAILED", reason) };
    }
    const next: StackLifecycleContinuation = {
      stackLifecycleContinuation: { request, startedAt, cleanup: step.payload },
    };
    await deps.invokeAsync(deps.functionArn, next);
    deps.logger.info("cleanup continues in a new invocation", { ...progress });
    return { status: "continued", invocation: progress.invocation, processedSoFar: progress.processedSoFar };
  }

  const { report } = step;
  const failed = report.results.filter((entry) => entry.outcome === "failed");
  if (report.counts.failed > 0) {
    const examples = failed
      .slice(0, 5)
      .map((entry) => `${entry.configurationSet}: ${entry.error ?? "unknown error"}`)
      .join("; ");
    const reason =
      `Cleanup left ${report.counts.failed} configuration set(s) not cleaned (${countsText(report.counts)}): ` +
      `${examples}. ${cleanupRemedy(request)}`;
    return { status: "answered", answer: answerFor(request, "FAILED", reason) };
  }
  const reason =
    `Removed every event destination and role this stack made in ${report.region}: ` +
    `${countsText(report.counts) || "nothing to remove"} (${report.invocations} invocation(s)).`;
  return { status: "answered", answer: answerFor(request, "SUCCESS", reason) };
}

/** FAILED with what went wrong and, for a Delete, what a person can do about it. */
function failure(request: StackLifecycleRequest, detail: string): CustomResourceAnswer {
  const what = request.RequestType === "Delete" ? "Cleanup failed" : `${request.RequestType} failed`;
  const remedy = request.RequestType === "Delete" ? ` ${cleanupRemedy(request)}` : "";
  const sentence = /[.!?)]$/.test(detail) ? detail : `${detail}.`;
  return answerFor(request, "FAILED", `${what}: ${sentence}${remedy}`);
}

function failedAnswer(request: StackLifecycleRequest, err: unknown): CustomResourceAnswer {
  const { name, message } = describeError(err);
  return failure(request, err instanceof InvalidLifecycleInputError ? message : `${name}: ${message}`);
}

const DEADLINE = Symbol("deadline");

async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof DEADLINE> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(DEADLINE), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Handles one invocation: a CloudFormation request, or a cleanup continuation. Exactly one answer is sent per
 * request — by the invocation that finishes it, or with FAILED and a reason when the work cannot finish in time
 * (AWS unreachable, an error, the ServiceTimeout) — always ANSWER_RESERVE_MS before Lambda's timeout.
 */
export async function handleStackLifecycle(
  event: unknown,
  deps: StackLifecycleDeps,
): Promise<StackLifecycleResult> {
  const { request, continuation } = parseLifecycleInput(event);
  deps.logger.appendKeys({ requestType: request.RequestType, requestId: request.RequestId });
  let answered = false;
  // Once the deadline has answered, work still running in the background must not start anything new.
  const guarded: StackLifecycleDeps = {
    ...deps,
    invokeAsync: (arn, payload) =>
      answered ? Promise.reject(new Error("already answered")) : deps.invokeAsync(arn, payload),
  };
  const work = (async (): Promise<StackLifecycleResult> => {
    try {
      if (request.RequestType === "Delete") return await cleanup(request, continuation, guarded);
      return { status: "answered", answer: await createOrUpdate(request, guarded) };
    } catch (err) {
      deps.logger.error("request failed", { error: describeError(err) });
      return { status: "answered", answer: failedAnswer(request, err) };
    }
  })();
  const waitedMs = deps.remainingTimeMs() - ANSWER_RESERVE_MS;
  const outcome = await beforeDeadline(work, waitedMs);
  if (outcome !== DEADLINE && outcome.status === "continued") return outcome;
  answered = true;
  const answer =
    outcome === DEADLINE
      ? failure(
          request,
          `no answer from AWS within ${Math.round(Math.max(0, waitedMs) / 1000)} s (SES, IAM or Lambda ` +
            "unreachable or too slow from this function: check its network access).",
        )
      : outcome.answer;
  deps.logger[answer.Status === "SUCCESS" ? "info" : "error"]("answering CloudFormation", {
    status: answer.Status,
    reason: answer.Reason,
    physicalResourceId: answer.PhysicalResourceId,
  });
  await deps.answer(request, answer, deps.remainingTimeMs);
  return { status: "answered", answer };
}
