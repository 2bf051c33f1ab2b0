// Core layer: the StackLifecycle custom resource (docs/uninstall.md) — start a backfill on Create (and on an Update that
// changes what is wired), remove everything this stack made on Delete across invocations, and always answer once.
// The request's parsing and the answer's text are in stack-lifecycle-request.ts; the decisions are here.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { BackfillPayload } from "./backfill-payload";
import type { BackfillStep } from "./backfill-run";
import type { CustomResourceAnswer } from "./custom-resource-response";
import { describeError } from "./errors";
import { OUTCOMES } from "./report";
import {
  answerFor,
  backfillFunctionArn,
  cleanupRemedy,
  failedAnswer,
  failure,
  flag,
  parseLifecycleInput,
  serviceTimeoutMs,
  type StackLifecycleContinuation,
  type StackLifecycleRequest,
} from "./stack-lifecycle-request";

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
