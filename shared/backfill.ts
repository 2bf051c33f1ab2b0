// Core layer: backfill — list the configuration sets (or take the given names) and reconcile each one, paced and bounded.
import { paginateListRoles } from "@aws-sdk/client-iam";
import type { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { paginateListConfigurationSets } from "@aws-sdk/client-sesv2";
import { createDeliveryStreamCache } from "./delivery-streams";
import { discoverCandidates, roleOwner, type Discovery } from "./discovery";
import { describeError, isAwsError } from "./errors";
import { roleNameFor } from "./naming";
import { reconcile, type ReconcileDeps } from "./reconcile";
import type { ReportEntry } from "./report";

export const CONFIGURATION_SET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Where a backfill continues. Every set before this position (in listing order) has been reconciled. */
export interface BackfillCursor {
  /** Listing mode: the NextToken that fetched the page holding the next set; absent for the first page. */
  pageToken?: string;
  /** Sets of that page (or, with explicit names, of the name list) already reconciled. */
  index: number;
  /** Every listed set is done: the run is cleaning up roles whose configuration set no longer exists. */
  phase?: "orphans";
  /** Orphan phase: the last role examined (roles are taken in name order). */
  afterRole?: string;
  /** Tag discovery: the last candidate taken. Candidates are taken in name order, so every name up to it is done. */
  afterSet?: string;
}

export interface BackfillInput {
  dryRun: boolean;
  /** Reconcile exactly these sets (validated and de-duplicated) instead of listing them all. */
  configurationSetNames?: readonly string[];
  /** Without names: `list` every set (the default here) or `tags`, only the candidates (shared/discovery.ts). */
  discovery?: Discovery;
  cursor?: BackfillCursor;
}

/** ReconcileDeps without what the engine decides itself, plus the engine's own knobs. `sleep` also paces its retries. */
export interface BackfillDeps extends Omit<ReconcileDeps, "dryRun" | "remainingTimeMs" | "managedRoleNames"> {
  /** The Resource Groups Tagging API, read by tag discovery. */
  tagging: ResourceGroupsTaggingAPIClient;
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
  /** Called per ListConfigurationSets page: names on it, and whether more pages follow (progress totals). */
  onListed?: (names: number, morePages: boolean) => void;
  /** Called once per configuration set as soon as it is done (progress bars, structured logs). */
  onResult?: (entry: ReportEntry) => void;
}

export interface BackfillRun {
  /** One entry per configuration set reconciled by this call, in completion order. */
  results: ReportEntry[];
  /** True when every set has been reconciled; otherwise `cursor` says where to continue. */
  complete: boolean;
  cursor?: BackfillCursor;
  /** Roles found under the role path by the one ListRoles listing of this call. */
  managedRoleCount: number;
  /** ListConfigurationSets pages fetched by this call. */
  listPages: number;
  /** How the sets were found: `list`, or `tags` (explicit names count as `list`: each is visited as given). */
  discovery: Discovery;
  /** Tag discovery: the candidates found by this call, those before its cursor included. */
  candidates?: number;
}

/** The backfill input (payload or flags) is not acceptable. The message says what was wrong and what is accepted. */
export class InvalidBackfillInputError extends Error {
  override readonly name = "InvalidBackfillInputError";
}

const THROTTLING_ERRORS = [
  "TooManyRequestsException",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
];
/** How reconcile words an AWS error it could not get past: "<Operation> failed with <ErrorName>: …". */
const THROTTLED_ENTRY = new RegExp(`failed with (${THROTTLING_ERRORS.join("|")})\\b`);
const THROTTLED_SET_RETRIES = 3;

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

interface WorkItem {
  name: string;
  /** The cursor pointing just after this item; undefined when it is the last one. */
  after: BackfillCursor | undefined;
}

const ORPHAN_PHASE: BackfillCursor = { phase: "orphans", index: 0 };

async function* listedSets(
  deps: BackfillDeps,
  start: BackfillCursor | undefined,
  pages: { count: number },
  seen: Set<string> | undefined,
) {
  let pageToken = start?.pageToken;
  let skip = start?.index ?? 0;
  const paginator = paginateListConfigurationSets(
    {
      client: deps.sesv2,
      pageSize: deps.pageSize ?? 1000,
      ...(pageToken === undefined ? {} : { startingToken: pageToken }),
    },
    {},
  );
  for await (const page of paginator) {
    pages.count += 1;
    const names = page.ConfigurationSets ?? [];
    for (const name of names) seen?.add(name);
    const nextToken = page.NextToken;
    deps.onListed?.(Math.max(0, names.length - skip), nextToken !== undefined);
    for (let index = skip; index < names.length; index += 1) {
      const after: BackfillCursor | undefined =
        index + 1 < names.length
          ? { ...(pageToken === undefined ? {} : { pageToken }), index: index + 1 }
          : nextToken === undefined
            ? ORPHAN_PHASE
            : { pageToken: nextToken, index: 0 };
      yield { name: names[index]!, after } satisfies WorkItem;
    }
    skip = 0;
    pageToken = nextToken;
  }
}

/**
 * After every listed set: roles under our path whose configuration set is gone (a DeleteConfigurationSet event
 * that was missed). Each is reconciled under its set's name, which removes the role. When this invocation did
 * not list every set itself (a continued run carries no names), the listing is read again: 1 SES call per 1,000.
 */
async function* orphanedSets(
  deps: BackfillDeps,
  managedRoleNames: ReadonlySet<string>,
  afterRole: string | undefined,
  pages: { count: number },
  seen: ReadonlySet<string> | undefined,
) {
  if (managedRoleNames.size === 0) return;
  let listed = seen;
  if (listed === undefined) {
    const names = new Set<string>();
    const paginator = paginateListConfigurationSets(
      { client: deps.sesv2, pageSize: deps.pageSize ?? 1000 },
      {},
    );
    for await (const page of paginator) {
      pages.count += 1;
      for (const name of page.ConfigurationSets ?? []) names.add(name);
    }
    listed = names;
  }
  const listedRoles = new Set<string>();
  for (const name of listed) listedRoles.add(roleNameFor(deps.config.roleNamePrefix, deps.region, name));
  const candidates = [...managedRoleNames]
    .filter((role) => !listedRoles.has(role) && (afterRole === undefined || role > afterRole))
    .sort();
  for (const roleName of candidates) {
    const owner = await roleOwner(deps, roleName);
    if (owner === undefined || listed.has(owner)) continue;
    deps.logger.info("role outlived its configuration set; reconciling it", {
      roleName,
      configurationSet: owner,
    });
    yield { name: owner, after: { ...ORPHAN_PHASE, afterRole: roleName } } satisfies WorkItem;
  }
}

async function* everySet(
  deps: BackfillDeps,
  start: BackfillCursor | undefined,
  managedRoleNames: ReadonlySet<string>,
  pages: { count: number },
) {
  // Names are kept only when this invocation lists from the first page, so the orphan phase need not list again.
  const seen = start === undefined ? new Set<string>() : undefined;
  if (start?.phase !== "orphans") yield* listedSets(deps, start, pages, seen);
  const afterRole = start?.phase === "orphans" ? start.afterRole : undefined;
  yield* orphanedSets(deps, managedRoleNames, afterRole, pages, seen);
}

function* candidateSets(names: readonly string[], afterSet: string | undefined) {
  const remaining = afterSet === undefined ? names : names.filter((name) => name > afterSet);
  for (const [index, name] of remaining.entries()) {
    const last = index + 1 === remaining.length;
    yield { name, after: last ? undefined : { index: 0, afterSet: name } } satisfies WorkItem;
  }
}

async function* givenSets(names: readonly string[], start: BackfillCursor | undefined) {
  for (let index = start?.index ?? 0; index < names.length; index += 1) {
    yield {
      name: names[index]!,
      after: index + 1 < names.length ? { index: index + 1 } : undefined,
    } satisfies WorkItem;
  }
}

/** Names of the roles under our path, from one paginated ListRoles (IAM returns no tags here; names suffice). */
export async function listManagedRoleNames(deps: Pick<BackfillDeps, "iam" | "config">): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const page of paginateListRoles(
    { client: deps.iam, pageSize: 1000 },
    { PathPrefix: deps.config.rolePath },
  )) {
    for (const role of page.Roles ?? []) if (role.RoleName !== undefined) names.add(role.RoleName);
  }
  return names;
}

function throttled(entry: ReportEntry): boolean {
  return entry.outcome === "failed" && THROTTLED_ENTRY.test(entry.error ?? "");
}

async function reconcileOrReport(name: string, reconcileDeps: ReconcileDeps): Promise<ReportEntry> {
  try {
    return await reconcile(name, reconcileDeps);
  } catch (err) {
    // reconcile reports per-set problems itself; anything thrown is unexpected and still gets its one entry.
    const { name: errorName, message } = describeError(err);
    const error = `${errorName}: ${message}`;
    return isAwsError(err, ...THROTTLING_ERRORS)
      ? { configurationSet: name, outcome: "failed", actions: [], error: `Reconcile failed with ${error}` }
      : { configurationSet: name, outcome: "failed", actions: [], error };
  }
}

/**
 * Reconciles one set. The SDK's adaptive retry handles throttling; if a set still ends throttled (a long burst
 * from another tool on the account), it waits and tries that set again rather than report a failure.
 * reconcile is idempotent, so a second try converges from wherever the first one stopped.
 */
async function reconcileOne(
  name: string,
  reconcileDeps: ReconcileDeps,
  sleep: (ms: number) => Promise<void>,
) {
  const actions: string[] = [];
  for (let attempt = 0; ; attempt += 1) {
    const entry = await reconcileOrReport(name, reconcileDeps);
    actions.push(...entry.actions);
    const waitMs = 2000 * 2 ** attempt;
    const timeLeft = reconcileDeps.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
    if (!throttled(entry) || attempt >= THROTTLED_SET_RETRIES || timeLeft <= waitMs) {
      return { ...entry, actions };
    }
    reconcileDeps.logger.warn("configuration set still throttled after the SDK's retries; trying it again", {
      configurationSet: name,
      waitMs,
      error: entry.error,
    });
    await sleep(waitMs);
  }
}

/**
 * Reconciles every configuration set (listed with the SDK paginator, or exactly `input.configurationSetNames`)
 * with at most `concurrency` at once. When the remaining time falls under the stop margin it takes no new set,
 * lets the ones in flight finish and returns a cursor: each set is reconciled exactly once across calls.
 */
export async function runBackfill(input: BackfillInput, deps: BackfillDeps): Promise<BackfillRun> {
  const remaining = deps.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const stopMarginMs = deps.stopMarginMs ?? 90_000;
  const reserveMs = deps.reserveMs ?? 20_000;
  const concurrency = deps.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new InvalidBackfillInputError(
      `concurrency ${concurrency} is not valid: expected an integer from 1 to 64.`,
    );
  }
  const names =
    input.configurationSetNames === undefined
      ? undefined
      : validateConfigurationSetNames(input.configurationSetNames);

  const managedRoleNames = await listManagedRoleNames(deps);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const reconcileDeps: ReconcileDeps = {
    sesv2: deps.sesv2,
    iam: deps.iam,
    firehose: deps.firehose,
    config: deps.config,
    logger: deps.logger,
    region: deps.region,
    accountId: deps.accountId,
    dryRun: input.dryRun,
    managedRoleNames,
    deliveryStreams: deps.deliveryStreams ?? createDeliveryStreamCache(),
    remainingTimeMs: () => remaining() - reserveMs,
    sleep,
    ...(deps.random === undefined ? {} : { random: deps.random }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  };

  const pages = { count: 0 };
  const discovery: Discovery = names === undefined ? (input.discovery ?? "list") : "list";
  const candidates =
    discovery === "tags" && names === undefined
      ? await discoverCandidates(deps, managedRoleNames)
      : undefined;
  let source: Iterator<WorkItem> | AsyncIterator<WorkItem>;
  if (names !== undefined) {
    source = givenSets(names, input.cursor);
    deps.onListed?.(Math.max(0, names.length - (input.cursor?.index ?? 0)), false);
  } else if (candidates !== undefined) {
    const afterSet = input.cursor?.afterSet;
    source = candidateSets(candidates.names, afterSet);
    deps.onListed?.(
      candidates.names.filter((name) => afterSet === undefined || name > afterSet).length,
      false,
    );
  } else {
    source = everySet(deps, input.cursor, managedRoleNames, pages);
  }
  const results: ReportEntry[] = [];
  let exhausted = false;
  let lastTaken: WorkItem | undefined;

  const worker = async () => {
    while (!exhausted && remaining() >= stopMarginMs) {
      const next = await source.next();
      if (next.done === true) {
        exhausted = true;
        return;
      }
      lastTaken = next.value;
      const entry = await reconcileOne(next.value.name, reconcileDeps, sleep);
      results.push(entry);
      deps.onResult?.(entry);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: concurrency }, worker));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure !== undefined) throw failure.reason;

  const cursor = lastTaken === undefined ? (input.cursor ?? { index: 0 }) : lastTaken.after;
  const complete = exhausted || cursor === undefined;
  return {
    results,
    complete,
    ...(complete || cursor === undefined ? {} : { cursor }),
    managedRoleCount: managedRoleNames.size,
    listPages: pages.count,
    discovery,
    ...(candidates === undefined ? {} : { candidates: candidates.names.length }),
  };
}
