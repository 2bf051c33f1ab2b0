// Core layer: where a backfill's configuration sets come from — the listing, the orphan phase, or given names — with cursors.
import { GetRoleCommand, paginateListRoles } from "@aws-sdk/client-iam";
import { paginateListConfigurationSets } from "@aws-sdk/client-sesv2";
import type { CoreDeps } from "./deps";
import { isAwsError } from "./errors";
import {
  CONFIGURATION_SET_TAG_KEY,
  configurationSetFromRoleName,
  MANAGED_BY_TAG,
  REGION_TAG_KEY,
  roleNameFor,
} from "./naming";
import { NO_SUCH_ENTITY } from "./role";

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
}

/** One set to reconcile, and the cursor pointing just after it (undefined when it is the last one). */
export interface WorkItem {
  name: string;
  after: BackfillCursor | undefined;
}

/** What the sources need besides CoreDeps. */
export interface ListingOptions {
  /** ListConfigurationSets page size. */
  pageSize: number;
  /** Called per ListConfigurationSets page: names on it, and whether more pages follow (progress totals). */
  onListed?: ((names: number, morePages: boolean) => void) | undefined;
  /** ListConfigurationSets pages fetched so far, counted for the run's summary. */
  pages: { count: number };
}

const ORPHAN_PHASE: BackfillCursor = { phase: "orphans", index: 0 };

async function* listedSets(
  deps: CoreDeps,
  listing: ListingOptions,
  start: BackfillCursor | undefined,
  seen: Set<string> | undefined,
): AsyncGenerator<WorkItem> {
  let pageToken = start?.pageToken;
  let skip = start?.index ?? 0;
  const paginator = paginateListConfigurationSets(
    {
      client: deps.sesv2,
      pageSize: listing.pageSize,
      ...(pageToken === undefined ? {} : { startingToken: pageToken }),
    },
    {},
  );
  for await (const page of paginator) {
    listing.pages.count += 1;
    const names = page.ConfigurationSets ?? [];
    for (const name of names) seen?.add(name);
    const nextToken = page.NextToken;
    listing.onListed?.(Math.max(0, names.length - skip), nextToken !== undefined);
    for (let index = skip; index < names.length; index += 1) {
      const after: BackfillCursor | undefined =
        index + 1 < names.length
          ? { ...(pageToken === undefined ? {} : { pageToken }), index: index + 1 }
          : nextToken === undefined
            ? ORPHAN_PHASE
            : { pageToken: nextToken, index: 0 };
      yield { name: names[index]!, after };
    }
    skip = 0;
    pageToken = nextToken;
  }
}

/**
 * The set a role under our path was made for, when that role is of this region: read from the role name
 * (configurationSetFromRoleName), or from the role's tags when the set's name was shortened in it.
 */
async function roleOwner(deps: CoreDeps, roleName: string): Promise<string | undefined> {
  const reading = configurationSetFromRoleName(deps.config.roleNamePrefix, deps.region, roleName);
  if (reading.kind === "set") return reading.configurationSet;
  if (reading.kind === "other") return undefined;
  try {
    const { Role: role } = await deps.iam.send(new GetRoleCommand({ RoleName: roleName }));
    const tag = (key: string) => role?.Tags?.find((t) => t.Key === key)?.Value;
    const ours = tag(MANAGED_BY_TAG.Key) === MANAGED_BY_TAG.Value && tag(REGION_TAG_KEY) === deps.region;
    return ours ? tag(CONFIGURATION_SET_TAG_KEY) : undefined;
  } catch (err) {
    if (isAwsError(err, ...NO_SUCH_ENTITY)) return undefined;
    throw err;
  }
}

/**
 * After every listed set: roles under our path whose configuration set is gone (a DeleteConfigurationSet event
 * that was missed). Each is reconciled under its set's name, which removes the role. When this invocation did
 * not list every set itself (a continued run carries no names), the listing is read again: 1 SES call per 1,000.
 */
async function* orphanedSets(
  deps: CoreDeps,
  listing: ListingOptions,
  managedRoleNames: ReadonlySet<string>,
  afterRole: string | undefined,
  seen: ReadonlySet<string> | undefined,
): AsyncGenerator<WorkItem> {
  if (managedRoleNames.size === 0) return;
  let listed = seen;
  if (listed === undefined) {
    const names = new Set<string>();
    const paginator = paginateListConfigurationSets({ client: deps.sesv2, pageSize: listing.pageSize }, {});
    for await (const page of paginator) {
      listing.pages.count += 1;
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
    yield { name: owner, after: { ...ORPHAN_PHASE, afterRole: roleName } };
  }
}

/** Every configuration set of the region from `start` on, then the orphan phase. */
export async function* everySet(
  deps: CoreDeps,
  listing: ListingOptions,
  start: BackfillCursor | undefined,
  managedRoleNames: ReadonlySet<string>,
): AsyncGenerator<WorkItem> {
  // Names are kept only when this invocation lists from the first page, so the orphan phase need not list again.
  const seen = start === undefined ? new Set<string>() : undefined;
  if (start?.phase !== "orphans") yield* listedSets(deps, listing, start, seen);
  const afterRole = start?.phase === "orphans" ? start.afterRole : undefined;
  yield* orphanedSets(deps, listing, managedRoleNames, afterRole, seen);
}

/** Exactly the given names from `start` on. */
export async function* givenSets(
  names: readonly string[],
  start: BackfillCursor | undefined,
): AsyncGenerator<WorkItem> {
  for (let index = start?.index ?? 0; index < names.length; index += 1) {
    yield { name: names[index]!, after: index + 1 < names.length ? { index: index + 1 } : undefined };
  }
}

/** Names of the roles under our path, from one paginated ListRoles (IAM returns no tags here; names suffice). */
export async function listManagedRoleNames(deps: Pick<CoreDeps, "iam" | "config">): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const page of paginateListRoles(
    { client: deps.iam, pageSize: 1000 },
    { PathPrefix: deps.config.rolePath },
  )) {
    for (const role of page.Roles ?? []) if (role.RoleName !== undefined) names.add(role.RoleName);
  }
  return names;
}
