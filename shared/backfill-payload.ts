// Core layer: a backfill's Lambda payload — what an operator, the schedule or a previous invocation sends, and its
// validation: one InvalidBackfillInputError saying what was wrong and what is accepted (docs/backfill.md).
import { validateConfigurationSetNames, type BackfillCursor } from "./backfill";
import { DISCOVERIES, type Discovery } from "./discovery";
import { InvalidBackfillInputError } from "./errors";
import { OUTCOMES, type OutcomeCounts, type ReportEntry } from "./report";

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
  /** Failed entries of the invocations so far (at most MAX_CARRIED_FAILURES of backfill-run.ts; every entry is also logged). */
  failures: ReportEntry[];
  /** Failures beyond MAX_CARRIED_FAILURES, counted but not carried. */
  failuresOmitted: number;
  /** Delivery-stream roles named by the destinations reconciled so far (few: one per stream in use). */
  streamRolesInUse?: string[];
}

export interface BackfillPayload extends BackfillRequest {
  continuation?: BackfillContinuation;
}

const ACCEPTED =
  'Accepted: {"dryRun": boolean, "configurationSetNames": string[], "discovery": "tags" | "list"} (all optional; ' +
  'dryRun defaults to false, discovery to "tags" in tag mode and "list" in all mode), ' +
  "or an EventBridge Scheduled Event whose detail has that shape.";
const PAYLOAD_KEYS = new Set(["dryRun", "configurationSetNames", "discovery", "continuation"]);

export function invalid(problem: string): InvalidBackfillInputError {
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
