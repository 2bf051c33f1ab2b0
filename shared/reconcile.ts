// Core layer: reconcile one configuration set to what its tags ask for (docs/architecture.md). Level-triggered, idempotent.
import { GetConfigurationSetCommand, type Tag } from "@aws-sdk/client-sesv2";
import type { CoreDeps, RunOptions } from "./deps";
import { resolveDeliveryStream } from "./delivery-streams";
import { desiredStateFor } from "./desired-state";
import { AutowireError, describeError, InvalidConfigurationSetNameError, isAwsError } from "./errors";
import {
  deleteOurDestination,
  desiredDestination,
  destinationLimitError,
  ensureEventDestination,
  MAX_EVENT_DESTINATIONS,
  ours,
  readDestinations,
  removeEventDestination,
} from "./event-destination";
import { CONFIGURATION_SET_NAME_PATTERN } from "./naming";
import type { Outcome, ReportEntry } from "./report";
import { ensureRole, removeRole, roleIdentity } from "./role";
import { listingHasStreamRoles, roleSpecFor } from "./role-scope";
import type { EventDestination } from "@aws-sdk/client-sesv2";
import { startRun, type Run } from "./run-context";

/** A reconcile's entry, and for a failed one the error underneath (callers decide on its type, e.g. throttling). */
export interface Reconciled {
  entry: ReportEntry;
  cause?: unknown;
}

async function optIn(run: Run, requestedStreamArn: string): Promise<ReportEntry> {
  const { config, logger } = run.deps;
  run.operation = "DescribeDeliveryStream";
  const deliveryStreamArn = await resolveDeliveryStream(requestedStreamArn, {
    ...run.deps,
    deliveryStreams: run.options.deliveryStreams,
  });
  const destinations = await readDestinations(run);
  const current = ours(destinations, config);
  if (current === undefined && destinations.length >= MAX_EVENT_DESTINATIONS)
    throw destinationLimitError(run);
  const role = roleSpecFor(run.deps, run.name, deliveryStreamArn);
  const roleChanged = await ensureRole(run, role, deliveryStreamArn);
  const destination = await ensureEventDestination(
    run,
    current,
    desiredDestination(config, role.arn, deliveryStreamArn),
  );
  if (role.shared) await removeSetRoleAfterRepointing(run, current);
  const outcome: Outcome =
    destination === "created" ? "created" : run.actions.length > 0 ? "updated" : "unchanged";
  logger.info(outcome === "unchanged" ? "unchanged: already publishing to Firehose" : `${outcome} wiring`, {
    deliveryStreamArn,
    roleChanged,
  });
  return { configurationSet: run.name, outcome, actions: run.actions, roleArn: role.arn, deliveryStreamArn };
}

/**
 * ROLE_SCOPE=delivery-stream: the destination now names the stream's role, so nothing names the set's own role
 * (left from ROLE_SCOPE=configuration-set) any more: delete it. Looked for only when the destination named it
 * before, or the run's role listing holds it, so a set already on its stream's role costs no IAM call here.
 */
async function removeSetRoleAfterRepointing(run: Run, before: EventDestination | undefined): Promise<void> {
  const own = roleIdentity(run);
  const named = before?.KinesisFirehoseDestination?.IamRoleArn === own.arn;
  if (named || run.options.managedRoleNames?.has(own.name) === true) await removeRole(run, own);
}

/**
 * With the run's role listing, a set whose own role and every stream role are absent cannot have our destination
 * (the role comes first).
 */
function nothingOursListed(run: Run): boolean {
  const listing = run.options.managedRoleNames;
  return (
    listing !== undefined &&
    !listing.has(roleIdentity(run).name) &&
    !listingHasStreamRoles(listing, run.deps.config.roleNamePrefix)
  );
}

async function optOut(run: Run, reason: string, setExists: boolean): Promise<ReportEntry> {
  if (run.options.optOutEverySet === true && run.options.dryRun !== true) {
    // Uninstalling: one SES call per set, as a destination may remain on a set whose role was deleted by hand.
    await deleteOurDestination(run);
  } else if (setExists && (run.options.optOutEverySet === true || !nothingOursListed(run))) {
    await removeEventDestination(run);
  }
  await removeRole(run);
  const outcome = run.actions.length > 0 ? "removed" : "skipped";
  run.deps.logger.info(
    outcome === "removed" ? `removed: ${reason}` : `skipped: ${reason}, nothing of ours present`,
  );
  return { configurationSet: run.name, outcome, actions: run.actions };
}

/**
 * The failed entry for `err`. Our own errors (AutowireError) are expected, per-set problems and read as their
 * message; anything else is unexpected and names the AWS operation in flight. `errorName` is the error's name.
 */
function failure(run: Run, err: unknown): Reconciled {
  const { name, message } = describeError(err);
  const expected = err instanceof AutowireError;
  const error = expected ? message : `${run.operation} failed with ${name}: ${message}`;
  run.deps.logger[expected ? "warn" : "error"]("failed", { error, errorName: name });
  return {
    entry: { configurationSet: run.name, outcome: "failed", actions: run.actions, error, errorName: name },
    cause: err,
  };
}

async function converge(run: Run): Promise<ReportEntry> {
  if (!CONFIGURATION_SET_NAME_PATTERN.test(run.name)) {
    throw new InvalidConfigurationSetNameError(
      `Configuration set name "${run.name}" is not valid: expected 1-64 letters, digits, _ or -.`,
    );
  }
  if (run.options.optOutEverySet === true) return optOut(run, "the stack is being uninstalled", true);
  let tags: Tag[];
  try {
    ({ Tags: tags = [] } = await run.deps.sesv2.send(
      new GetConfigurationSetCommand({ ConfigurationSetName: run.name }),
    ));
  } catch (err) {
    if (!isAwsError(err, "NotFoundException")) throw err;
    return optOut(run, "configuration set does not exist", false);
  }
  const desired = desiredStateFor(tags, run.deps.config, run.deps);
  if (!desired.optedIn) return optOut(run, desired.reason, true);
  if (run.options.removeOnly) {
    run.deps.logger.info("skipped: the set exists and is opted in; its create and tag events wire it");
    return { configurationSet: run.name, outcome: "skipped", actions: [] };
  }
  return optIn(run, desired.deliveryStreamArn);
}

/** reconcile, also giving back the error of a failed entry. Never throws. */
export async function reconcileSet(
  configurationSetName: string,
  deps: CoreDeps,
  options: RunOptions = {},
): Promise<Reconciled> {
  const run = startRun(configurationSetName, deps, options, "GetConfigurationSet");
  try {
    return { entry: await converge(run) };
  } catch (err) {
    return failure(run, err);
  }
}

/**
 * Reads the configuration set and converges what we manage to what its tags ask for: role + inline policy +
 * Firehose event destination when opted in, none of them when opted out or gone (docs/architecture.md).
 * Never throws for a per-set problem: every error becomes a `failed` entry with one clear sentence.
 */
export async function reconcile(
  configurationSetName: string,
  deps: CoreDeps,
  options: RunOptions = {},
): Promise<ReportEntry> {
  return (await reconcileSet(configurationSetName, deps, options)).entry;
}
