// Adapter layer: the body every event-driven function shares (Lambda-agnostic): scope check, reconcile, log, count, fail.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { createAwsClients, type AwsClients } from "./aws-clients";
import { configurationSetNamesFrom, parseCloudTrailEvent } from "./cloudtrail-event";
import { loadConfig, type Config } from "./config";
import { AutowireError, describeError, MalformedEventError } from "./errors";
import { reconcile } from "./reconcile";
import type { ReportEntry } from "./report";
import {
  addOutcomeMetrics,
  createLogger,
  createMetrics,
  IGNORED_EVENTS_METRIC,
  MALFORMED_EVENTS_METRIC,
} from "./telemetry";

/** The two things we need from Lambda's Context, so this module stays free of Lambda types. */
export interface InvocationContext {
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

export interface EventRunDeps {
  clients: AwsClients;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The function's own region (AWS_REGION); the function ARN's region when absent. */
  region?: string | undefined;
  /** Passed to reconcile: only remove, never create or repair (the DeleteConfigurationSet function). */
  removeOnly?: boolean | undefined;
}

export type EventRunResult =
  { status: "ignored"; reason: string } | { status: "reconciled"; results: ReportEntry[] };

/** Thrown after every set was tried, so Lambda retries the event and, in the end, sends it to the dead-letter queue. */
export class ConfigurationSetsFailedError extends AutowireError {
  override readonly name = "ConfigurationSetsFailedError";
  constructor(readonly failed: readonly ReportEntry[]) {
    super(
      `Reconcile failed for ${failed.length} configuration set(s): ` +
        failed.map((entry) => `${entry.configurationSet}: ${entry.error ?? "unknown error"}`).join("; "),
    );
  }
}

/**
 * What every event-driven function builds once per container, at module scope: an invalid configuration fails
 * the cold start with the ConfigError's message, before any event is read.
 */
export function eventRunDepsFromEnvironment(env: NodeJS.ProcessEnv = process.env): EventRunDeps {
  return {
    config: loadConfig(env),
    clients: createAwsClients(),
    logger: createLogger(),
    metrics: createMetrics(),
    region: env.AWS_REGION,
  };
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:/;

/** Region and account of a Lambda function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`). */
export function scopeFromFunctionArn(arn: string): { region: string; account: string } | undefined {
  const match = LAMBDA_ARN.exec(arn);
  return match === null ? undefined : { region: match[1]!, account: match[2]! };
}

async function reconcileOne(name: string, context: InvocationContext, deps: EventRunDeps, scope: Scope) {
  const { clients, config, logger } = deps;
  logger.appendKeys({ configurationSet: name });
  try {
    const entry = await reconcile(
      name,
      { ...clients, config, logger, region: scope.region, accountId: scope.account },
      { remainingTimeMs: () => context.getRemainingTimeInMillis(), removeOnly: deps.removeOnly },
    ).catch((err: unknown): ReportEntry => {
      const { name: errorName, message } = describeError(err);
      return {
        configurationSet: name,
        outcome: "failed",
        actions: [],
        error: `${errorName}: ${message}`,
        errorName,
      };
    });
    if (entry.outcome === "failed")
      logger.error("reconcile failed", { outcome: entry.outcome, error: entry.error });
    else logger.info(`reconciled: ${entry.outcome}`, { outcome: entry.outcome, actions: entry.actions });
    return entry;
  } finally {
    logger.removeKeys(["configurationSet"]);
  }
}

interface Scope {
  region: string;
  account: string;
}

function ignore(deps: EventRunDeps, reason: string, level: "debug" | "warn"): EventRunResult {
  deps.logger[level](`event ignored: ${reason}`);
  deps.metrics.addMetric(IGNORED_EVENTS_METRIC, MetricUnit.Count, 1);
  return { status: "ignored", reason };
}

async function run(
  event: unknown,
  context: InvocationContext,
  eventNames: readonly string[],
  deps: EventRunDeps,
): Promise<EventRunResult> {
  const call = parseCloudTrailEvent(event);
  if (call.errorCode !== undefined)
    return ignore(deps, `the ${call.eventName} call failed (${call.errorCode})`, "debug");
  if (!eventNames.includes(call.eventName)) {
    return ignore(deps, `${call.eventName} is not handled here (expected ${eventNames.join(", ")})`, "warn");
  }
  const own = scopeFromFunctionArn(context.invokedFunctionArn);
  const ownRegion = deps.region ?? own?.region;
  const region = call.region ?? ownRegion;
  const account = call.account ?? own?.account;
  if (region === undefined || account === undefined) {
    throw new MalformedEventError(
      "The event has no account or region and the function ARN does not give them.",
    );
  }
  const scope: Scope = { region, account };
  if (
    (ownRegion !== undefined && scope.region !== ownRegion) ||
    (own !== undefined && scope.account !== own.account)
  ) {
    return ignore(
      deps,
      `the event is from ${scope.region}/${scope.account}: one stack serves one region`,
      "warn",
    );
  }
  const { names, ignored } = configurationSetNamesFrom(call, scope);
  for (const resource of ignored) deps.logger.debug("resource ignored", { resource });
  if (names.length === 0)
    return ignore(deps, `no configuration set of ${scope.region}/${scope.account}`, "debug");
  const results: ReportEntry[] = [];
  for (const name of names) results.push(await reconcileOne(name, context, deps, scope));
  addOutcomeMetrics(deps.metrics, results);
  const failed = results.filter((entry) => entry.outcome === "failed");
  if (failed.length > 0) throw new ConfigurationSetsFailedError(failed);
  return { status: "reconciled", results };
}

/**
 * Handles one EventBridge event for the given CloudTrail event names: failed calls, other event names and other
 * regions/accounts are ignored; an event without an extractable name or with a failed reconcile throws.
 */
export async function reconcileFromEvent(
  event: unknown,
  context: InvocationContext,
  eventNames: readonly string[],
  deps: EventRunDeps,
): Promise<EventRunResult> {
  try {
    return await run(event, context, eventNames, deps);
  } catch (err) {
    if (err instanceof MalformedEventError) {
      deps.metrics.addMetric(MALFORMED_EVENTS_METRIC, MetricUnit.Count, 1);
      deps.logger.error("malformed event: sending it to the dead-letter queue", {
        error: err.message,
        event,
      });
    }
    throw err;
  } finally {
    deps.metrics.publishStoredMetrics();
  }
}
