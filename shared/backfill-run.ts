// Core layer: one backfill run across invocations — the step each invocation runs, the continuation it hands on and
// the final report. The payload and its validation are in backfill-payload.ts.
import { randomUUID } from "node:crypto";
import { runBackfill, type BackfillDeps, type BackfillOptions } from "./backfill";
import { invalid, type BackfillPayload } from "./backfill-payload";
import { defaultDiscovery, type Discovery } from "./discovery";
import { resolveDeps } from "./deps";
import { BackfillStalledError } from "./errors";
import { countOutcomes, emptyCounts, OUTCOMES, type OutcomeCounts, type Report } from "./report";
import {
  decidedAnything,
  removeUnusedStreamRoles,
  type StreamRoleCleanup,
  streamRolesNamedBy,
} from "./stream-roles";

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
