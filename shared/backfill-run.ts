// Core layer: one backfill run across invocations — payload validation, the continuation state and the final report.
import { randomUUID } from "node:crypto";
import {
  runBackfill,
  validateConfigurationSetNames,
  type BackfillCursor,
  type BackfillDeps,
  type BackfillOptions,
} from "./backfill";
import { defaultDiscovery, DISCOVERIES, type Discovery } from "./discovery";
import { resolveDeps } from "./deps";
import { BackfillStalledError, InvalidBackfillInputError } from "./errors";
import {
  countOutcomes,
  emptyCounts,
  OUTCOMES,
  type OutcomeCounts,
  type Report,
  type ReportEntry,
} from "./report";
import {
  decidedAnything,
  removeUnusedStreamRoles,
  type StreamRoleCleanup,
  streamRolesNamedBy,
} from "./stream-roles";

/** What an operator (or the schedule) sends. */
export interface BackfillRequest {
  dryRun: boolean;
  configurationSetNames?: string[];
  /** `tags` or `list`; absent: the default of the opt-in mode (defaultDiscovery). */
  discovery?: Discovery;
}

/**
 * Carried from one invocation to the next: small and bounded whatever the account holds (async invoke payloads
 * are limited to 1 MB; a tags run carries the last candidate's name, not the candidate list: docs/backfill.md).
 */
export interface BackfillContinuation {
  runId: string;
  startedAt: string;
  /** 1 for the first invocation of the run. */
  invocation: number;
  cursor: BackfillCursor;
  /** Outcomes of the invocations so far. */
  counts: OutcomeCounts;
  /** Failed entries of the invocations so far (at most MAX_CARRIED_FAILURES; every entry is also logged). */
  failures: ReportEntry[];
  /** Failures beyond MAX_CARRIED_FAILURES, counted but not carried. */
  failuresOmitted: number;
  /** Delivery-stream roles named by the destinations reconciled so far (few: one per stream in use). */
  streamRolesInUse?: string[];
}

export interface BackfillPayload extends BackfillRequest {
  continuation?: BackfillContinuation;
}

/** The report of docs/contract.md plus the run's identity, returned by the invocation that finishes the run. */
export interface BackfillReport extends Report {
  runId: string;
  startedAt: string;
  invocations: number;
  failuresOmitted: number;
  /** After a full audit that found delivery-stream roles: which are in use, which were removed (docs/backfill.md). */
  streamRoles?: StreamRoleCleanup;
}

/** Returned by an invocation that handed the rest of the run to a new invocation. */
export interface BackfillProgress {
  continued: true;
  runId: string;
  invocation: number;
  processed: number;
  processedSoFar: number;
  counts: OutcomeCounts;
}

export type BackfillStep =
  | { status: "continue"; payload: BackfillPayload; progress: BackfillProgress }
  | { status: "complete"; report: BackfillReport };

export interface BackfillStepOptions extends BackfillOptions {
  /** Default randomUUID. */
  newRunId?: () => string;
}

export const MAX_CARRIED_FAILURES = 100;
const ACCEPTED =
  'Accepted: {"dryRun": boolean, "configurationSetNames": string[], "discovery": "tags" | "list"} (all optional; ' +
  'dryRun defaults to false, discovery to "tags" in tag mode and "list" in all mode), ' +
  "or an EventBridge Scheduled Event whose detail has that shape.";
const PAYLOAD_KEYS = new Set(["dryRun", "configurationSetNames", "discovery", "continuation"]);

function invalid(problem: string): InvalidBackfillInputError {
  return new InvalidBackfillInputError(`Invalid backfill payload: ${problem}. ${ACCEPTED}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

function parseContinuation(value: unknown): BackfillContinuation {
  const broken = () => invalid("continuation is not one this function wrote; start a new run without it");
  if (!isRecord(value)) throw broken();
  const { runId, startedAt, invocation, cursor, counts, failures, failuresOmitted } = value;
  const cursorOk =
    isRecord(cursor) &&
    isCount(cursor.index) &&
    (cursor.pageToken === undefined || typeof cursor.pageToken === "string") &&
    (cursor.phase === undefined || cursor.phase === "orphans") &&
    (cursor.afterRole === undefined || typeof cursor.afterRole === "string") &&
    (cursor.afterSet === undefined || typeof cursor.afterSet === "string");
  const { streamRolesInUse } = value;
  const rolesOk =
    streamRolesInUse === undefined ||
    (Array.isArray(streamRolesInUse) && streamRolesInUse.every((name) => typeof name === "string"));
  const countsOk = isRecord(counts) && OUTCOMES.every((outcome) => isCount(counts[outcome]));
  const failuresOk =
    Array.isArray(failures) &&
    failures.every(
      (entry) =>
        isRecord(entry) &&
        typeof entry.configurationSet === "string" &&
        entry.outcome === "failed" &&
        Array.isArray(entry.actions),
    );
  if (
    typeof runId !== "string" ||
    typeof startedAt !== "string" ||
    !isCount(invocation) ||
    invocation < 1 ||
    !cursorOk ||
    !countsOk ||
    !failuresOk ||
    !rolesOk ||
    !isCount(failuresOmitted)
  ) {
    throw broken();
  }
  return value as unknown as BackfillContinuation;
}

/**
 * Validates the Lambda payload. Unknown keys or wrong types throw one InvalidBackfillInputError that says what
 * was wrong and what is accepted; nothing is done. A Scheduled Event envelope is unwrapped to its detail.
 */
export function parseBackfillPayload(event: unknown): BackfillPayload {
  if (event === null || event === undefined) return { dryRun: false };
  if (!isRecord(event))
    throw invalid(`expected a JSON object, got ${Array.isArray(event) ? "an array" : typeof event}`);
  if (event["detail-type"] === "Scheduled Event" && event.source === "aws.events") {
    return parseBackfillPayload(event.detail ?? {});
  }
  const unknown = Object.keys(event).filter((key) => !PAYLOAD_KEYS.has(key));
  if (unknown.length > 0)
    throw invalid(`unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}`);
  const { dryRun = false, configurationSetNames, discovery, continuation } = event;
  if (typeof dryRun !== "boolean")
    throw invalid(`dryRun must be true or false, got ${JSON.stringify(dryRun)}`);
  const payload: BackfillPayload = { dryRun };
  if (configurationSetNames !== undefined) {
    if (!Array.isArray(configurationSetNames)) {
      throw invalid(
        `configurationSetNames must be an array of names, got ${JSON.stringify(configurationSetNames)}`,
      );
    }
    try {
      payload.configurationSetNames = validateConfigurationSetNames(configurationSetNames);
    } catch (err) {
      throw invalid((err as Error).message.replace(/\.$/, ""));
    }
  }
  if (discovery !== undefined) {
    if (!(DISCOVERIES as readonly unknown[]).includes(discovery)) {
      throw invalid(`discovery must be "tags" or "list", got ${JSON.stringify(discovery)}`);
    }
    if (discovery === "tags" && payload.configurationSetNames !== undefined) {
      throw invalid(
        'discovery "tags" finds the sets itself; with configurationSetNames exactly those are reconciled: send one or the other',
      );
    }
    payload.discovery = discovery as Discovery;
  }
  if (continuation !== undefined) payload.continuation = parseContinuation(continuation);
  return payload;
}

function addCounts(into: OutcomeCounts, more: OutcomeCounts): OutcomeCounts {
  const sum = { ...into };
  for (const outcome of OUTCOMES) sum[outcome] += more[outcome];
  return sum;
}

/**
 * Runs one invocation's share of a backfill. It ends either complete (the report of the whole run: counts of
 * every invocation, this invocation's results plus the failures carried from earlier ones) or with the payload
 * of the next invocation, which starts exactly after the last set this one took.
 */
export async function runBackfillStep(
  payload: BackfillPayload,
  deps: BackfillDeps,
  options: BackfillStepOptions = {},
): Promise<BackfillStep> {
  const previous = payload.continuation;
  const runId = previous?.runId ?? (options.newRunId ?? randomUUID)();
  const startedAt = previous?.startedAt ?? new Date(resolveDeps(deps).clock.now()).toISOString();
  const invocation = (previous?.invocation ?? 0) + 1;
  const { onResult } = options;
  if (payload.discovery === "tags" && deps.config.optInMode === "all") {
    throw invalid(
      'discovery "tags" cannot find untagged sets, which OPT_IN_MODE=all opts in: send "list" or leave discovery out',
    );
  }
  const discovery = payload.discovery ?? defaultDiscovery(deps.config);

  const run = await runBackfill(
    {
      dryRun: payload.dryRun,
      discovery,
      ...(payload.configurationSetNames === undefined
        ? {}
        : { configurationSetNames: payload.configurationSetNames }),
      ...(previous === undefined ? {} : { cursor: previous.cursor }),
    },
    deps,
    {
      ...options,
      onResult: (entry) => {
        deps.logger.info("configuration set backfilled", {
          runId,
          invocation,
          dryRun: payload.dryRun,
          ...entry,
        });
        onResult?.(entry);
      },
    },
  );

  const counts = addCounts(previous?.counts ?? emptyCounts(), countOutcomes(run.results));
  const failedNow = run.results.filter((entry) => entry.outcome === "failed");
  const carried = [...(previous?.failures ?? []), ...failedNow];
  const failures = carried.slice(0, MAX_CARRIED_FAILURES);
  const failuresOmitted = (previous?.failuresOmitted ?? 0) + carried.length - failures.length;
  const processedSoFar = OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);
  const streamRolesInUse = [
    ...new Set([
      ...(previous?.streamRolesInUse ?? []),
      ...streamRolesNamedBy(run.results, deps.config.roleNamePrefix),
    ]),
  ].sort();

  if (!run.complete && run.cursor !== undefined) {
    if (run.results.length === 0) {
      throw new BackfillStalledError(
        "Backfill made no progress: the invocation had less time left than the stop margin when it started. " +
          "Give the function a longer timeout (900 s is recommended).",
      );
    }
    const remainingNames = payload.configurationSetNames?.slice(run.cursor.index);
    const next: BackfillPayload = {
      dryRun: payload.dryRun,
      discovery: run.discovery,
      ...(remainingNames === undefined ? {} : { configurationSetNames: remainingNames }),
      continuation: {
        runId,
        startedAt,
        invocation,
        cursor: remainingNames === undefined ? run.cursor : { index: 0 },
        counts,
        failures,
        failuresOmitted,
        ...(streamRolesInUse.length === 0 ? {} : { streamRolesInUse }),
      },
    };
    return {
      status: "continue",
      payload: next,
      progress: { continued: true, runId, invocation, processed: run.results.length, processedSoFar, counts },
    };
  }

  const results = [...(previous?.failures ?? []), ...run.results];
  const streamRoles = isFullAudit(payload, run.discovery)
    ? await removeUnusedStreamRoles(
        {
          listedRoles: run.managedRoleNames,
          inUse: new Set(streamRolesInUse),
          failedSets: results
            .filter((entry) => entry.outcome === "failed")
            .map((entry) => entry.configurationSet),
          failedSetsOmitted: previous?.failuresOmitted ?? 0,
          auditStartedAt: new Date(startedAt),
        },
        deps,
        { dryRun: payload.dryRun },
      )
    : undefined;
  return {
    status: "complete",
    report: {
      dryRun: payload.dryRun,
      discovery: run.discovery,
      region: deps.region,
      account: deps.accountId,
      counts,
      results,
      runId,
      startedAt,
      invocations: invocation,
      failuresOmitted: previous?.failuresOmitted ?? 0,
      ...(streamRoles !== undefined && decidedAnything(streamRoles) ? { streamRoles } : {}),
    },
  };
}

/**
 * Only a run that listed and reconciled every configuration set knows which roles no destination names: a run
 * over named sets, or over the sets tag discovery found, does not (docs/role-scope.md).
 */
function isFullAudit(payload: BackfillPayload, discovery: Discovery): boolean {
  return payload.configurationSetNames === undefined && discovery === "list";
}
