// Core layer: after a full audit, delete the delivery-stream roles that no destination of ours names any more.
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { GetConfigurationSetEventDestinationsCommand } from "@aws-sdk/client-sesv2";
import { describeError, isAwsError } from "./errors";
import { isStreamRoleName, REGION_TAG_KEY } from "./naming";
import type { CoreDeps, RunOptions } from "./deps";
import { deleteManagedRole, isOurs } from "./role";
import type { ReportEntry } from "./report";

/** What a full audit decided about the delivery-stream roles (an additive part of the backfill report). */
export interface StreamRoleCleanup {
  /** Delivery-stream roles a destination of ours still names: kept. */
  inUse: string[];
  /** Delivery-stream roles no destination names, deleted (in a dry run: that would be deleted). */
  removed: string[];
  /** Unused roles kept this time, each with the reason (made after the audit began, not ours, a failed call). */
  kept: { roleName: string; reason: string }[];
  /** Set when nothing was deleted because the audit could not learn every destination; says why. */
  skipped?: string;
}

export interface StreamRoleCleanupInput {
  /** Role names under our path at the start of this invocation (the backfill's one ListRoles listing). */
  listedRoles: ReadonlySet<string>;
  /** Delivery-stream role names the destinations of the audited sets name after their reconcile. */
  inUse: ReadonlySet<string>;
  /** Sets whose reconcile failed: their destination was not read or not changed, so it is read here. */
  failedSets: readonly string[];
  /** Failed sets the run counted but could not carry: if any, their destinations are unknown. */
  failedSetsOmitted: number;
  /** When the audit began: a role made after it may be named by a set the audit had already passed. */
  auditStartedAt: Date;
}

/** Whether the clean-up had anything to decide (it is reported only then, so scope-less runs look as before). */
export function decidedAnything(cleanup: StreamRoleCleanup): boolean {
  return (
    cleanup.inUse.length + cleanup.removed.length + cleanup.kept.length > 0 || cleanup.skipped !== undefined
  );
}

/** The delivery-stream role names among the roles the entries' destinations name. */
export function streamRolesNamedBy(entries: readonly ReportEntry[], prefix: string): string[] {
  const names = new Set<string>();
  for (const entry of entries) {
    if (entry.outcome === "failed" || entry.roleArn === undefined) continue;
    const name = entry.roleArn.slice(entry.roleArn.lastIndexOf("/") + 1);
    if (isStreamRoleName(prefix, name)) names.add(name);
  }
  return [...names].sort();
}

/** The role our destination on a failed set names now, or undefined (no destination of ours, or the set is gone). */
async function roleNamedBy(set: string, deps: CoreDeps): Promise<string | undefined> {
  try {
    const { EventDestinations = [] } = await deps.sesv2.send(
      new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: set }),
    );
    const ours = EventDestinations.find(
      (destination) => destination.Name === deps.config.eventDestinationName,
    );
    const arn = ours?.KinesisFirehoseDestination?.IamRoleArn;
    return arn?.slice(arn.lastIndexOf("/") + 1);
  } catch (err) {
    if (isAwsError(err, "NotFoundException")) return undefined;
    throw err;
  }
}

/**
 * A delivery-stream role is shared, so one set's opt-out never deletes it: only a complete audit knows that no
 * destination of ours names it. Call this after every configuration set of the region was reconciled (a full
 * listing, or the uninstall after it removed every destination, with an empty `inUse`). It deletes only roles
 * under our path with our managed-by tag and this region's tag, made before the audit began.
 */
export async function removeUnusedStreamRoles(
  input: StreamRoleCleanupInput,
  deps: CoreDeps,
  options: RunOptions = {},
): Promise<StreamRoleCleanup> {
  const prefix = deps.config.roleNamePrefix;
  const inUse = new Set(input.inUse);
  const candidates = [...input.listedRoles].filter((name) => isStreamRoleName(prefix, name)).sort();
  const result: StreamRoleCleanup = { inUse: [], removed: [], kept: [] };
  if (candidates.length === 0) return { ...result, inUse: [...inUse].sort() };

  if (input.failedSetsOmitted > 0) {
    return {
      ...result,
      inUse: [...inUse].sort(),
      skipped: `${input.failedSetsOmitted} failed configuration sets were not carried to the end of the run, so the roles their destinations name are unknown; fix the failures and run a full audit again.`,
    };
  }
  for (const set of input.failedSets) {
    try {
      const named = await roleNamedBy(set, deps);
      if (named !== undefined) inUse.add(named);
    } catch (err) {
      const { name, message } = describeError(err);
      return {
        ...result,
        inUse: [...inUse].sort(),
        skipped: `the destinations of failed configuration set ${set} could not be read (${name}: ${message}), so a role it names might be deleted; run a full audit again.`,
      };
    }
  }

  for (const roleName of candidates) {
    if (inUse.has(roleName)) {
      result.inUse.push(roleName);
      continue;
    }
    const reason = await deleteIfUnused(roleName, input.auditStartedAt, deps, options, result);
    if (reason !== undefined) result.kept.push({ roleName, reason });
  }
  for (const name of inUse) if (!result.inUse.includes(name)) result.inUse.push(name);
  result.inUse.sort();
  return result;
}

/** Deletes one unused delivery-stream role when it is ours, of this region and older than the audit; else says why not. */
async function deleteIfUnused(
  roleName: string,
  auditStartedAt: Date,
  deps: CoreDeps,
  options: RunOptions,
  result: StreamRoleCleanup,
): Promise<string | undefined> {
  try {
    const { Role: role } = await deps.iam.send(new GetRoleCommand({ RoleName: roleName }));
    if (role === undefined || !isOurs(role, deps.config)) return "not managed by ses-firehose-autowire";
    const region = role.Tags?.find((tag) => tag.Key === REGION_TAG_KEY)?.Value;
    if (region !== deps.region) return `a role of region ${region ?? "(untagged)"}, not ${deps.region}`;
    if (role.CreateDate !== undefined && role.CreateDate >= auditStartedAt) {
      return "made after this audit began; the next full audit decides";
    }
    await deleteManagedRole(roleName, deps, options);
    deps.logger.info("removed delivery-stream role no destination names", {
      roleName,
      dryRun: options.dryRun,
    });
    result.removed.push(roleName);
    return undefined;
  } catch (err) {
    if (isAwsError(err, "NoSuchEntityException", "NoSuchEntity")) return undefined; // gone already
    const { name, message } = describeError(err);
    deps.logger.error("could not remove an unused delivery-stream role", { roleName, error: message });
    return `${name}: ${message}`;
  }
}
