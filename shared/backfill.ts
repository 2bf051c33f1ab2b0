// Core layer: backfill — list or discover the configuration sets (or take the given names) and reconcile each one, paced and bounded.
import type { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import {
  candidateSets,
  everySet,
  givenSets,
  listManagedRoleNames,
  type BackfillCursor,
  type WorkItem,
} from "./backfill-sources";
import { resolveDeps, type CoreDeps, type ResolvedDeps, type RunOptions } from "./deps";
import { createDeliveryStreamCache, type DeliveryStreamCache } from "./delivery-streams";
import { discoverCandidates, type Discovery } from "./discovery";
import { describeError, InvalidBackfillInputError, isThrottled } from "./errors";
import { CONFIGURATION_SET_NAME_PATTERN } from "./naming";
import { reconcileSet, type Reconciled } from "./reconcile";
import type { ReportEntry } from "./report";

export type { BackfillCursor } from "./backfill-sources";

export interface BackfillInput {
  dryRun: boolean;
  /** Reconcile exactly these sets (validated and de-duplicated) instead of listing them all. */
  configurationSetNames?: readonly string[];
  /** Without names: `list` every set (the default here) or `tags`, only the candidates (shared/discovery.ts). */
  discovery?: Discovery;
  cursor?: BackfillCursor;
}

/** CoreDeps plus the one client only the backfill uses (kept out of the event functions' bundles). */
export interface BackfillDeps extends CoreDeps {
  /** The Resource Groups Tagging API, read by tag discovery. */
  tagging: ResourceGroupsTaggingAPIClient;
}

/** The engine's per-run knobs; every one has a default (filled in by backfillSettings). */
export interface BackfillOptions {
  /** Configuration sets reconciled at once (default 4): IAM and Firehose calls of one overlap SES calls of others. */
  concurrency?: number;
  /** Milliseconds left in this invocation (Lambda's getRemainingTimeInMillis); unlimited when absent. */
  remainingTimeMs?: () => number;
  /** Stop taking new sets when fewer than this many milliseconds remain (default 90,000). */
  stopMarginMs?: number;
  /** Time kept back from each reconcile's propagation budget for the hand-over (default 20,000 ms). */
  reserveMs?: number;
  /** ListConfigurationSets page size (default 1,000). */
  pageSize?: number;
  /** DescribeDeliveryStream results shared by the run's reconciles (default: a new cache per run). */
  deliveryStreams?: DeliveryStreamCache;
  /** Called per ListConfigurationSets page: names on it, and whether more pages follow (progress totals). */
  onListed?: (names: number, morePages: boolean) => void;
  /** Called once per configuration set as soon as it is done (progress bars, structured logs). */
  onResult?: (entry: ReportEntry) => void;
  /** Remove what we made from every set, whatever its tags say (the uninstall, RunOptions.optOutEverySet). */
  optOutEverySet?: boolean;
}

export interface BackfillRun {
  /** One entry per configuration set reconciled by this call, in completion order. */
  results: ReportEntry[];
  /** True when every set has been reconciled; otherwise `cursor` says where to continue. */
  complete: boolean;
  cursor?: BackfillCursor;
  /** Roles found under the role path by the one ListRoles listing of this call. */
  managedRoleCount: number;
  /** Their names (a full audit decides from them which delivery-stream roles are unused). */
  managedRoleNames: ReadonlySet<string>;
  /** ListConfigurationSets pages fetched by this call. */
  listPages: number;
  /** How the sets were found: `list`, or `tags` (explicit names count as `list`: each is visited as given). */
  discovery: Discovery;
  /** Tag discovery: the candidates found by this call, those before its cursor included. */
  candidates?: number;
}

const THROTTLED_SET_RETRIES = 3;
const FIRST_THROTTLED_WAIT_MS = 2000;

/** Validates and de-duplicates configuration set names, keeping their order. Throws one clear message. */
export function validateConfigurationSetNames(names: readonly unknown[]): string[] {
  if (names.length === 0) {
    throw new InvalidBackfillInputError(
      "configurationSetNames is empty: list at least one configuration set name, or leave it out to backfill all.",
    );
  }
  const invalid = names.filter(
    (name) => typeof name !== "string" || !CONFIGURATION_SET_NAME_PATTERN.test(name),
  );
  if (invalid.length > 0) {
    throw new InvalidBackfillInputError(
      `Invalid configuration set name${invalid.length > 1 ? "s" : ""} ${invalid.map((n) => JSON.stringify(n)).join(", ")}: ` +
        "a name is 1-64 letters, digits, _ or -.",
    );
  }
  return [...new Set(names as string[])];
}

/** The options with their defaults: the one place they are filled in. */
function backfillSettings(options: BackfillOptions) {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new InvalidBackfillInputError(
      `concurrency ${concurrency} is not valid: expected an integer from 1 to 64.`,
    );
  }
  return {
    concurrency,
    remainingTimeMs: options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY),
    stopMarginMs: options.stopMarginMs ?? 90_000,
    reserveMs: options.reserveMs ?? 20_000,
    pageSize: options.pageSize ?? 1000,
    deliveryStreams: options.deliveryStreams ?? createDeliveryStreamCache(),
  };
}

/** reconcile reports per-set problems itself; anything it throws is unexpected and still gets its one entry. */
async function reconcileOrReport(name: string, deps: CoreDeps, options: RunOptions): Promise<Reconciled> {
  try {
    return await reconcileSet(name, deps, options);
  } catch (err) {
    const { name: errorName, message } = describeError(err);
    return {
      entry: {
        configurationSet: name,
        outcome: "failed",
        actions: [],
        error: `${errorName}: ${message}`,
        errorName,
      },
      cause: err,
    };
  }
}

/**
 * Reconciles one set. The SDK's adaptive retry handles throttling; if a set still ends throttled (a long burst
 * from another tool on the account), it waits and tries that set again rather than report a failure. Throttled
 * is decided on the error itself (isThrottled), never on the entry's wording. reconcile is idempotent, so a
 * second try converges from wherever the first one stopped.
 */
async function reconcileOne(name: string, deps: ResolvedDeps, options: RunOptions): Promise<ReportEntry> {
  const actions: string[] = [];
  for (let attempt = 0; ; attempt += 1) {
    const { entry, cause } = await reconcileOrReport(name, deps, options);
    actions.push(...entry.actions);
    const waitMs = FIRST_THROTTLED_WAIT_MS * 2 ** attempt;
    const timeLeft = options.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
    if (!isThrottled(cause) || attempt >= THROTTLED_SET_RETRIES || timeLeft <= waitMs) {
      return { ...entry, actions };
    }
    deps.logger.warn("configuration set still throttled after the SDK's retries; trying it again", {
      configurationSet: name,
      waitMs,
      error: entry.error,
      errorName: entry.errorName,
    });
    await deps.clock.sleep(waitMs);
  }
}

/**
 * Reconciles every configuration set (listed with the SDK paginator, or exactly `input.configurationSetNames`)
 * with at most `concurrency` at once. When the remaining time falls under the stop margin it takes no new set,
 * lets the ones in flight finish and returns a cursor: each set is reconciled exactly once across calls.
 */
export async function runBackfill(
  input: BackfillInput,
  deps: BackfillDeps,
  options: BackfillOptions = {},
): Promise<BackfillRun> {
  const settings = backfillSettings(options);
  const names =
    input.configurationSetNames === undefined
      ? undefined
      : validateConfigurationSetNames(input.configurationSetNames);
  const resolved = resolveDeps(deps);

  const managedRoleNames = await listManagedRoleNames(deps);
  const remaining = settings.remainingTimeMs;
  const runOptions: RunOptions = {
    dryRun: input.dryRun,
    managedRoleNames,
    deliveryStreams: settings.deliveryStreams,
    remainingTimeMs: () => remaining() - settings.reserveMs,
    ...(options.optOutEverySet === true ? { optOutEverySet: true } : {}),
  };

  const pages = { count: 0 };
  const listing = { pageSize: settings.pageSize, onListed: options.onListed, pages };
  const discovery: Discovery = names === undefined ? (input.discovery ?? "list") : "list";
  const candidates =
    names === undefined && discovery === "tags"
      ? await discoverCandidates(deps, managedRoleNames)
      : undefined;
  let source: AsyncIterator<WorkItem>;
  if (names !== undefined) {
    source = givenSets(names, input.cursor);
    options.onListed?.(Math.max(0, names.length - (input.cursor?.index ?? 0)), false);
  } else if (candidates !== undefined) {
    const afterSet = input.cursor?.afterSet;
    const remainingNames = candidates.names.filter((name) => afterSet === undefined || name > afterSet);
    source = candidateSets(remainingNames);
    options.onListed?.(remainingNames.length, false);
  } else {
    source = everySet(deps, listing, input.cursor, managedRoleNames);
  }
  const results: ReportEntry[] = [];
  let exhausted = false;
  let lastTaken: WorkItem | undefined;

  const worker = async () => {
    while (!exhausted && remaining() >= settings.stopMarginMs) {
      const next = await source.next();
      if (next.done === true) {
        exhausted = true;
        return;
      }
      lastTaken = next.value;
      const entry = await reconcileOne(next.value.name, resolved, runOptions);
      results.push(entry);
      options.onResult?.(entry);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: settings.concurrency }, worker));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure !== undefined) throw failure.reason;

  const cursor = lastTaken === undefined ? (input.cursor ?? { index: 0 }) : lastTaken.after;
  const complete = exhausted || cursor === undefined;
  return {
    results,
    complete,
    ...(complete || cursor === undefined ? {} : { cursor }),
    managedRoleCount: managedRoleNames.size,
    managedRoleNames,
    listPages: pages.count,
    discovery,
    ...(candidates === undefined ? {} : { candidates: candidates.names.length }),
  };
}
