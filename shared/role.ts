// Core layer: the IAM role of one configuration set — find, create, repair and remove it, only when it carries our marks.
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
import type { Config } from "./config";
import type { CoreDeps, RunOptions } from "./deps";
import { ForeignRoleError, isAwsError } from "./errors";
import { MANAGED_BY_TAG } from "./naming";
import { INLINE_POLICY_NAME, permissionsPolicyFor, policiesEquivalent } from "./policies";
import { setRoleSpec, type RoleSpec } from "./role-scope";
import { ignoring, read, startRun, write, type Run } from "./run-context";

/** The SDK names IAM's "NoSuchEntity" error NoSuchEntityException; lookalikes (and older SDKs) may use the code. */
export const NO_SUCH_ENTITY = ["NoSuchEntityException", "NoSuchEntity"] as const;

export type RoleIdentity = Pick<RoleSpec, "name">;

/** The configuration set's own role (the one of ROLE_SCOPE=configuration-set), whatever the scope now is. */
export function roleIdentity(run: Run): RoleSpec {
  return setRoleSpec(run.deps, run.name);
}

/** True when the run's role listing says the role does not exist (no listing: unknown, so false). */
export function roleKnownAbsent(run: Run, role: RoleIdentity): boolean {
  const listing = run.options.managedRoleNames;
  return listing !== undefined && !listing.has(role.name);
}

/** Under our path and tagged managed-by=ses-firehose-autowire: the only roles we ever change or delete. */
export function isOurs(role: Role, config: Config): boolean {
  return (
    role.Path === config.rolePath &&
    (role.Tags ?? []).some((tag) => tag.Key === MANAGED_BY_TAG.Key && tag.Value === MANAGED_BY_TAG.Value)
  );
}

/** Reads the role; undefined when it does not exist (or is known absent from the run's role listing). */
async function findRole(run: Run, role: RoleIdentity, trustListing = true): Promise<Role | undefined> {
  if (trustListing && roleKnownAbsent(run, role)) return undefined;
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

async function createRole(run: Run, role: RoleSpec): Promise<Role | undefined> {
  const { iam, config } = run.deps;
  try {
    await write(run, "CreateRole", () =>
      iam.send(
        new CreateRoleCommand({
          RoleName: role.name,
          Path: config.rolePath,
          AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
          Description: role.description,
          Tags: role.tags.map((tag) => ({ ...tag })),
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
export async function ensureRole(run: Run, role: RoleSpec, deliveryStreamArn: string): Promise<boolean> {
  const { iam, config, logger } = run.deps;
  const before = run.actions.length;
  // A shared role missing from the run's listing may have been created since by another set of the run: look.
  let existing = await findRole(run, role, !role.shared);
  if (existing === undefined) existing = await createRole(run, role);

  if (existing !== undefined) {
    if (!isOurs(existing, config)) throw foreignRole(run, role);
    const trust = role.trustPolicy;
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

/** Deletes the set's own role if it is ours: inline policy first, then the role. Never a shared role. */
export async function removeRole(run: Run, role: RoleIdentity = roleIdentity(run)): Promise<void> {
  const existing = await findRole(run, role);
  if (existing === undefined) return;
  if (!isOurs(existing, run.deps.config)) {
    run.deps.logger.warn("role with our name is not ours; left untouched", { roleName: role.name });
    return;
  }
  await deleteOurRole(run, role);
}

/**
 * Deletes a role the caller has read and found ours (a delivery-stream role no destination names), inline
 * policies first; in a dry run only plans it. Returns the writes made (or planned).
 */
export async function deleteManagedRole(
  roleName: string,
  deps: CoreDeps,
  options: RunOptions = {},
): Promise<string[]> {
  const run = startRun(roleName, deps, options, "DeleteRolePolicy");
  await deleteOurRole(run, { name: roleName });
  return run.actions;
}

/** Deletes a role already known to be ours (DeleteRole refuses while policies remain: they go first). */
async function deleteOurRole(run: Run, role: RoleIdentity): Promise<void> {
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
