// Simulator layer (Lambda, REST-JSON): Invoke. Asynchronous invocations are queued for the test harness to drain.
import type { ServiceContext, SimRequest } from "../context";
import { AwsError, requestId, restJson, type WireResponse } from "../protocols";
import type { Invocation } from "../state";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export function resolveLambdaOperation(
  req: SimRequest,
): { operation: string; functionName: string } | undefined {
  const match = INVOKE_PATH.exec(req.path);
  if (match === null || req.method !== "POST") return undefined;
  try {
    return { operation: "Invoke", functionName: decodeURIComponent(match[1] as string) };
  } catch {
    return undefined;
  }
}

/**
 * `Event` -> 202 and the invocation is queued; `DryRun` -> 204; `RequestResponse` -> answered by the
 * `onInvoke` hook when one is set, else 400 InvalidParameterValueException (the simulator runs no code itself).
 */
export async function handleLambdaInvoke(
  functionName: string,
  req: SimRequest,
  ctx: ServiceContext,
): Promise<WireResponse> {
  const header = req.headers["x-amz-invocation-type"];
  const invocationType = (Array.isArray(header) ? header[0] : header) ?? "RequestResponse";
  if (invocationType !== "Event" && invocationType !== "RequestResponse" && invocationType !== "DryRun") {
    throw new AwsError(
      "InvalidParameterValueException",
      400,
      `InvocationType '${invocationType}' is invalid: accepted values are Event, RequestResponse, DryRun.`,
    );
  }
  const invocation: Invocation = {
    functionName,
    qualifier: req.query.get("Qualifier") ?? undefined,
    invocationType,
    payload: req.body.toString("utf8"),
    time: ctx.now(),
  };
  if (invocationType === "DryRun") return { status: 204, headers: {}, body: "" };
  if (invocationType === "Event") {
    ctx.world.invocations.push(invocation);
    return { status: 202, headers: { "x-amzn-requestid": requestId() }, body: "" };
  }
  if (ctx.onInvoke === undefined) {
    throw new AwsError(
      "InvalidParameterValueException",
      400,
      "The simulator queues asynchronous invocations only (InvocationType Event); set an onInvoke hook to answer RequestResponse.",
    );
  }
  const headers = { "x-amz-executed-version": "$LATEST" };
  try {
    const result = await ctx.onInvoke(invocation);
    return restJson(200, result ?? null, headers);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return restJson(
      200,
      { errorType: error.name, errorMessage: error.message },
      { ...headers, "x-amz-function-error": "Unhandled" },
    );
  }
}
