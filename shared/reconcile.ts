// Core layer: reconcile one configuration set to its desired state (SPEC §2.1). Level-triggered, idempotent.
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
  type EventDestinationDefinition,
  type Tag,
} from "@aws-sdk/client-sesv2";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { AwsClients } from "./aws-clients";
import type { Config, EventType } from "./config";
import { type DeliveryStreamCache, resolveDeliveryStream } from "./delivery-streams";
import { desiredStateFor } from "./desired-state";
import {
  describeError,
  DestinationLimitError,
  ForeignRoleError,
  InvalidTagValueError,
  isAwsError,
  StreamNotUsableError,
} from "./errors";
import {
  CONFIGURATION_SET_NAME_PATTERN,
  CONFIGURATION_SET_TAG_KEY,
  MANAGED_BY_TAG,
  partitionFor,
  REGION_TAG_KEY,
  roleArnFor,
  roleNameFor,
} from "./naming";
import { INLINE_POLICY_NAME, permissionsPolicyFor, policiesEquivalent, trustPolicyFor } from "./policies";
import { PropagationTimeoutError, propagationBudgetMs, realSleep, withPropagationRetry } from "./propagation";
import type { Outcome, ReportEntry } from "./report";

/** SES allows 10 event destinations per configuration set; the limit is not adjustable. */
export const MAX_EVENT_DESTINATIONS = 10;

export interface ReconcileDeps extends AwsClients {
  config: Config;
  logger: Logger;
  region: string;
  accountId: string;
  /** Plan only: the entry lists the actions that would be taken and nothing is written. */
  dryRun?: boolean | undefined;
  /** Milliseconds the caller has left (Lambda's getRemainingTimeInMillis); bounds the propagation retries. */
  remainingTimeMs?: (() => number) | undefined;
  /** Per-run cache of DescribeDeliveryStream results (createDeliveryStreamCache), shared by all reconciles of a run. */
  deliveryStreams?: DeliveryStreamCache | undefined;
  /**
   * Names of the roles under config.rolePath (one ListRoles listing, SPEC §7). When given, a role name absent
   * from it is known absent: no GetRole, and a set neither opted in nor owning a role costs one SES call.
   */
  managedRoleNames?: ReadonlySet<string> | undefined;
  /**
   * Only ever remove (the DeleteConfigurationSet function, whose role may not create): a set that exists and is
   * opted in is left to its create and tag events and reported `skipped`, instead of failing on AccessDenied.
   */
  removeOnly?: boolean | undefined;
  /**
   * Treat every set as opted out, whatever its tags say (the stack is being uninstalled, docs/uninstall.md): no
   * GetConfigurationSet, our destination deleted by name (one SES call, NotFound meaning nothing to do) even when
   * the run's role listing has no role for the set, then our role. Nothing is ever created.
   */
  optOutEverySet?: boolean | undefined;
  /** Injected for tests; default setTimeout, Math.random and Date.now. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  now?: (() => number) | undefined;
}

/** The SDK names IAM's "NoSuchEntity" error NoSuchEntityException; lookalikes (and older SDKs) may use the code. */
const NO_SUCH_ENTITY = ["NoSuchEntityException", "NoSuchEntity"] as const;

const EXPECTED_ERRORS = [InvalidTagValueError, StreamNotUsableError, ForeignRoleError, DestinationLimitError];

/** The state of one reconcile: what it wrote (or would write) and the AWS operation in flight, for error messages. */
interface Run {
  readonly name: string;
  readonly deps: ReconcileDeps;
  readonly actions: string[];
  operation: string;
}

async function read<T>(run: Run, operation: string, call: () => Promise<T>): Promise<T> {
  run.operation = operation;
  return call();
}

/** Performs a write (or, in a dry run, only plans it) and records it in `actions` once it has succeeded. */
async function write(run: Run, action: string, call: () => Promise<unknown>): Promise<void> {
  run.operation = action;
  if (!run.deps.dryRun) await call();
  run.actions.push(action);
}

/* ----------------------------------------------------------------- role -- */

interface RoleIdentity {
  name: string;
  arn: string;
}

function roleIdentity(run: Run): RoleIdentity {
  const { config, region, accountId } = run.deps;
  const name = roleNameFor(config.roleNamePrefix, region, run.name);
  return { name, arn: roleArnFor(partitionFor(region), accountId, config.rolePath, name) };
}

function isOurs(role: Role, config: Config): boolean {
  return (
    role.Path === config.rolePath &&
    (role.Tags ?? []).some((tag) => tag.Key === MANAGED_BY_TAG.Key && tag.Value === MANAGED_BY_TAG.Value)
  );
}

/** Reads the role; undefined when it does not exist (or is known absent from the run's role listing). */
async function findRole(run: Run, role: RoleIdentity, trustListing = true): Promise<Role | undefined> {
  const listing = run.deps.managedRoleNames;
  if (trustListing && listing !== undefined && !listing.has(role.name)) return undefined;
  try {
    const { Role: found } = await read(run, "GetRole", () =>
      run.deps.iam.send(new GetRoleCommand({ RoleName: role.name })),
    );
    return found;
  } catch (err) {
    if (isAwsError(err, ...NO_SUCH_ENTITY)) return undefined;
    throw err;
  }
}

function foreignRole(run: Run, role: RoleIdentity): ForeignRoleError {
  return new ForeignRoleError(
    `IAM role ${role.name} already exists but is not managed by ses-firehose-autowire (it must be under path ` +
      `${run.deps.config.rolePath} and tagged ${MANAGED_BY_TAG.Key}=${MANAGED_BY_TAG.Value}); it was left ` +
      `untouched: rename or delete it, or tag the configuration set differently.`,
  );
}

async function createRole(run: Run, role: RoleIdentity): Promise<Role | undefined> {
  const { iam, config, region } = run.deps;
  try {
    await write(run, "CreateRole", () =>
      iam.send(
        new CreateRoleCommand({
          RoleName: role.name,
          Path: config.rolePath,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(region, run.deps.accountId, run.name)),
          Description: `Lets SES configuration set ${run.name} (${region}) publish events to Kinesis Data Firehose.`,
          Tags: [
            { ...MANAGED_BY_TAG },
            { Key: CONFIGURATION_SET_TAG_KEY, Value: run.name },
            { Key: REGION_TAG_KEY, Value: region },
          ],
          ...(config.permissionsBoundaryArn === undefined
            ? {}
            : { PermissionsBoundary: config.permissionsBoundaryArn }),
        }),
      ),
    );
    run.deps.logger.info("created role", { roleName: role.name, roleArn: role.arn });
    return undefined;
  } catch (err) {
    if (!isAwsError(err, "EntityAlreadyExistsException", "EntityAlreadyExists")) throw err;
    run.deps.logger.info("role created concurrently; reading it back", { roleName: role.name });
    const existing = await findRole(run, role, false);
    if (existing === undefined) {
      run.operation = "CreateRole";
      throw err;
    }
    return existing;
  }
}

/** Creates the role, or repairs its trust policy, boundary and inline policy; returns true when it wrote. */
async function ensureRole(run: Run, role: RoleIdentity, deliveryStreamArn: string): Promise<boolean> {
  const { iam, config, region, accountId, logger } = run.deps;
  const before = run.actions.length;
  let existing = await findRole(run, role);
  if (existing === undefined) existing = await createRole(run, role);

  if (existing !== undefined) {
    if (!isOurs(existing, config)) throw foreignRole(run, role);
    const trust = trustPolicyFor(region, accountId, run.name);
    if (!policiesEquivalent(existing.AssumeRolePolicyDocument, trust)) {
      await write(run, "UpdateAssumeRolePolicy", () =>
        iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: JSON.stringify(trust) }),
        ),
      );
      logger.info("repaired trust policy", { roleName: role.name });
    }
    const boundary = config.permissionsBoundaryArn;
    if (boundary !== undefined && existing.PermissionsBoundary?.PermissionsBoundaryArn !== boundary) {
      await write(run, "PutRolePermissionsBoundary", () =>
        iam.send(
          new PutRolePermissionsBoundaryCommand({ RoleName: role.name, PermissionsBoundary: boundary }),
        ),
      );
      logger.info("repaired permissions boundary", { roleName: role.name, permissionsBoundaryArn: boundary });
    }
  }

  const permissions = permissionsPolicyFor(deliveryStreamArn);
  const current = existing === undefined ? undefined : await readInlinePolicy(run, role);
  if (current === undefined || !policiesEquivalent(current, permissions)) {
    await write(run, "PutRolePolicy", () =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: role.name,
          PolicyName: INLINE_POLICY_NAME,
          PolicyDocument: JSON.stringify(permissions),
        }),
      ),
    );
    logger.info(existing === undefined ? "put permissions policy" : "repaired permissions policy", {
      roleName: role.name,
      deliveryStreamArn,
    });
  }
  return run.actions.length > before;
}

async function readInlinePolicy(run: Run, role: RoleIdentity): Promise<string | undefined> {
  try {
    const { PolicyDocument } = await read(run, "GetRolePolicy", () =>
      run.deps.iam.send(new GetRolePolicyCommand({ RoleName: role.name, PolicyName: INLINE_POLICY_NAME })),
    );
    return PolicyDocument;
  } catch (err) {
    if (isAwsError(err, ...NO_SUCH_ENTITY)) return undefined;
    throw err;
  }
}

/** Deletes our role: inline policy first, then the role (DeleteRole refuses while policies remain). */
async function removeRole(run: Run): Promise<void> {
  const role = roleIdentity(run);
  const existing = await findRole(run, role);
  if (existing === undefined) return;
  if (!isOurs(existing, run.deps.config)) {
    run.deps.logger.warn("role with our name is not ours; left untouched", { roleName: role.name });
    return;
  }
  const { iam } = run.deps;
  const before = run.actions.length;
  await ignoring(NO_SUCH_ENTITY, () =>
    write(run, "DeleteRolePolicy", () =>
      iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: INLINE_POLICY_NAME })),
    ),
  );
  try {
    await ignoring(NO_SUCH_ENTITY, () =>
      write(run, "DeleteRole", () => iam.send(new DeleteRoleCommand({ RoleName: role.name }))),
    );
  } catch (err) {
    if (!isAwsError(err, "DeleteConflictException", "DeleteConflict")) throw err;
    await detachEverything(run, role);
    await ignoring(NO_SUCH_ENTITY, () =>
      write(run, "DeleteRole", () => iam.send(new DeleteRoleCommand({ RoleName: role.name }))),
    );
  }
  if (run.actions.length > before) run.deps.logger.info("removed role", { roleName: role.name });
}

/** Someone added policies to our role: remove them all so the role can be deleted. */
async function detachEverything(run: Run, role: RoleIdentity): Promise<void> {
  const { iam } = run.deps;
  run.operation = "ListRolePolicies";
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: role.name })) {
    for (const policyName of page.PolicyNames ?? []) {
      await ignoring(NO_SUCH_ENTITY, () =>
        write(run, "DeleteRolePolicy", () =>
          iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: policyName })),
        ),
      );
    }
  }
  run.operation = "ListAttachedRolePolicies";
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: role.name })) {
    for (const { PolicyArn } of page.AttachedPolicies ?? []) {
      await ignoring(NO_SUCH_ENTITY, () =>
        write(run, "DetachRolePolicy", () =>
          iam.send(new DetachRolePolicyCommand({ RoleName: role.name, PolicyArn })),
        ),
      );
    }
  }
}

async function ignoring(errorNames: readonly string[], call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isAwsError(err, ...errorNames)) throw err;
  }
}

/* ---------------------------------------------------------- destination -- */

async function readDestinations(run: Run): Promise<EventDestination[]> {
  const { EventDestinations } = await read(run, "GetConfigurationSetEventDestinations", () =>
    run.deps.sesv2.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: run.name })),
  );
  return EventDestinations ?? [];
}

function ours(destinations: readonly EventDestination[], config: Config): EventDestination | undefined {
  return destinations.find((destination) => destination.Name === config.eventDestinationName);
}

/** Our destination as it should be; every field set, so comparing needs no guesswork. */
interface DesiredDestination extends EventDestinationDefinition {
  Enabled: true;
  MatchingEventTypes: EventType[];
  KinesisFirehoseDestination: { IamRoleArn: string; DeliveryStreamArn: string };
}

function desiredDestination(config: Config, roleArn: string, deliveryStreamArn: string): DesiredDestination {
  return {
    Enabled: true,
    MatchingEventTypes: [...config.eventTypes],
    KinesisFirehoseDestination: { IamRoleArn: roleArn, DeliveryStreamArn: deliveryStreamArn },
  };
}

/** Differences that matter: role ARN, stream ARN, enabled flag, and event types compared as sets. */
function destinationDiffers(current: EventDestination, desired: DesiredDestination): boolean {
  const currentTypes = new Set<string>(current.MatchingEventTypes ?? []);
  const desiredTypes = new Set<string>(desired.MatchingEventTypes);
  return (
    current.Enabled !== true ||
    current.KinesisFirehoseDestination?.IamRoleArn !== desired.KinesisFirehoseDestination.IamRoleArn ||
    current.KinesisFirehoseDestination?.DeliveryStreamArn !==
      desired.KinesisFirehoseDestination.DeliveryStreamArn ||
    currentTypes.size !== desiredTypes.size ||
    [...desiredTypes].some((type) => !currentTypes.has(type))
  );
}

/** Creates or repairs our destination; returns "created", "updated" or "unchanged". */
async function ensureEventDestination(
  run: Run,
  current: EventDestination | undefined,
  desired: DesiredDestination,
): Promise<"created" | "updated" | "unchanged"> {
  const { sesv2, config, logger } = run.deps;
  const retry = <T>(call: () => Promise<T>): Promise<T> =>
    withPropagationRetry(call, {
      budgetMs: propagationBudgetMs(config.propagationTimeoutSeconds, run.deps.remainingTimeMs),
      sleep: run.deps.sleep ?? realSleep,
      random: run.deps.random ?? Math.random,
      now: run.deps.now ?? Date.now,
      onRetry: (attempt, delayMs, err) =>
        logger.info("SES cannot use the role yet (IAM propagation); retrying", {
          attempt,
          delayMs,
          error: describeError(err).message,
        }),
    });
  const key = { ConfigurationSetName: run.name, EventDestinationName: config.eventDestinationName };

  if (current === undefined) {
    try {
      await write(run, "CreateConfigurationSetEventDestination", () =>
        retry(() =>
          sesv2.send(
            new CreateConfigurationSetEventDestinationCommand({ ...key, EventDestination: desired }),
          ),
        ),
      );
      logger.info("created event destination", { eventDestinationName: config.eventDestinationName });
      return "created";
    } catch (err) {
      if (isAwsError(err, "LimitExceededException")) {
        throw new DestinationLimitError(destinationLimitMessage(run));
      }
      if (!isAwsError(err, "AlreadyExistsException")) throw err;
      logger.info("event destination created concurrently; reading it back");
      const readBack = ours(await readDestinations(run), config);
      if (readBack === undefined) {
        run.operation = "CreateConfigurationSetEventDestination";
        throw err;
      }
      current = readBack;
    }
  }
  if (!destinationDiffers(current, desired)) return "unchanged";
  await write(run, "UpdateConfigurationSetEventDestination", () =>
    retry(() =>
      sesv2.send(new UpdateConfigurationSetEventDestinationCommand({ ...key, EventDestination: desired })),
    ),
  );
  logger.info("repaired event destination", { eventDestinationName: config.eventDestinationName });
  return "updated";
}

function destinationLimitMessage(run: Run): string {
  return (
    `Configuration set ${run.name} already has ${MAX_EVENT_DESTINATIONS} event destinations, the SES maximum, ` +
    `and none is named ${run.deps.config.eventDestinationName}: remove one so ours can be added (nothing was created).`
  );
}

/* ------------------------------------------------------------- outcomes -- */

async function optIn(run: Run, requestedStreamArn: string): Promise<ReportEntry> {
  const { config, logger } = run.deps;
  run.operation = "DescribeDeliveryStream";
  const deliveryStreamArn = await resolveDeliveryStream(requestedStreamArn, run.deps);
  const destinations = await readDestinations(run);
  const current = ours(destinations, config);
  if (current === undefined && destinations.length >= MAX_EVENT_DESTINATIONS) {
    throw new DestinationLimitError(destinationLimitMessage(run));
  }
  const role = roleIdentity(run);
  const roleChanged = await ensureRole(run, role, deliveryStreamArn);
  const destination = await ensureEventDestination(
    run,
    current,
    desiredDestination(config, role.arn, deliveryStreamArn),
  );
  const outcome: Outcome =
    destination === "created" ? "created" : run.actions.length > 0 ? "updated" : "unchanged";
  logger.info(outcome === "unchanged" ? "unchanged: already publishing to Firehose" : `${outcome} wiring`, {
    deliveryStreamArn,
    roleChanged,
  });
  return { configurationSet: run.name, outcome, actions: run.actions, roleArn: role.arn, deliveryStreamArn };
}

/** Deletes our destination by name; NotFound (no such set, or no such destination) means there is nothing to do. */
async function deleteOurDestination(run: Run): Promise<void> {
  const { config, sesv2, logger } = run.deps;
  await ignoring(["NotFoundException"], async () => {
    await write(run, "DeleteConfigurationSetEventDestination", () =>
      sesv2.send(
        new DeleteConfigurationSetEventDestinationCommand({
          ConfigurationSetName: run.name,
          EventDestinationName: config.eventDestinationName,
        }),
      ),
    );
    logger.info("removed event destination", { eventDestinationName: config.eventDestinationName });
  });
}

async function optOut(run: Run, reason: string, setExists: boolean): Promise<ReportEntry> {
  const { config, logger, managedRoleNames } = run.deps;
  const roleKnownAbsent = managedRoleNames !== undefined && !managedRoleNames.has(roleIdentity(run).name);
  const uninstalling = run.deps.optOutEverySet === true;
  if (uninstalling && run.deps.dryRun !== true) {
    // One SES call per set: a destination may remain on a set whose role was deleted by hand.
    await deleteOurDestination(run);
  } else if (setExists && (!roleKnownAbsent || uninstalling)) {
    if (ours(await readDestinations(run), config) !== undefined) await deleteOurDestination(run);
  }
  await removeRole(run);
  const outcome = run.actions.length > 0 ? "removed" : "skipped";
  logger.info(outcome === "removed" ? `removed: ${reason}` : `skipped: ${reason}, nothing of ours present`);
  return { configurationSet: run.name, outcome, actions: run.actions };
}

function failure(run: Run, err: unknown): ReportEntry {
  const { name, message } = describeError(err);
  const expected =
    EXPECTED_ERRORS.some((type) => err instanceof type) || err instanceof PropagationTimeoutError;
  const error = expected ? message : `${run.operation} failed with ${name}: ${message}`;
  run.deps.logger[expected ? "warn" : "error"]("failed", { error, errorName: name });
  return { configurationSet: run.name, outcome: "failed", actions: run.actions, error };
}

/**
 * Reads the configuration set and converges what we manage to what its tags ask for (SPEC §2.1):
 * role + inline policy + Firehose event destination when opted in, none of them when opted out or gone.
 * Never throws for a per-set problem: every error becomes a `failed` entry with one clear sentence.
 */
export async function reconcile(configurationSetName: string, deps: ReconcileDeps): Promise<ReportEntry> {
  const run: Run = { name: configurationSetName, deps, actions: [], operation: "GetConfigurationSet" };
  if (!CONFIGURATION_SET_NAME_PATTERN.test(configurationSetName)) {
    const error = `Configuration set name "${configurationSetName}" is not valid: expected 1-64 letters, digits, _ or -.`;
    deps.logger.warn("failed", { error });
    return { configurationSet: configurationSetName, outcome: "failed", actions: [], error };
  }
  try {
    if (deps.optOutEverySet) return await optOut(run, "the stack is being uninstalled", true);
    let tags: Tag[];
    try {
      ({ Tags: tags = [] } = await deps.sesv2.send(
        new GetConfigurationSetCommand({ ConfigurationSetName: configurationSetName }),
      ));
    } catch (err) {
      if (!isAwsError(err, "NotFoundException")) throw err;
      return await optOut(run, "configuration set does not exist", false);
    }
    const desired = desiredStateFor(tags, deps.config, deps);
    if (!desired.optedIn) return await optOut(run, desired.reason, true);
    if (deps.removeOnly) {
      deps.logger.info("skipped: the set exists and is opted in; its create and tag events wire it");
      return { configurationSet: configurationSetName, outcome: "skipped", actions: [] };
    }
    return await optIn(run, desired.deliveryStreamArn);
  } catch (err) {
    return failure(run, err);
  }
}
