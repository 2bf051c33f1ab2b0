// Simulator layer (IAM + STS, Query/XML): roles, inline policies, tags, permissions boundaries, caller identity.
import type { ServiceContext } from "../context";
import { AwsError, el, escapeXml, iso8601, members, queryXml, type WireResponse } from "../protocols";
import { decodePageToken, encodePageToken, type RoleRecord } from "../state";
import { MAX_TAGS_PER_RESOURCE, tagProblem } from "../tags";

export const IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/";
export const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
export const IAM_VERSION = "2010-05-08";
export const STS_VERSION = "2011-06-15";

export const IAM_OPERATIONS = new Set([
  "CreateRole",
  "GetRole",
  "DeleteRole",
  "ListRoles",
  "TagRole",
  "UntagRole",
  "ListRoleTags",
  "PutRolePolicy",
  "GetRolePolicy",
  "DeleteRolePolicy",
  "ListRolePolicies",
  "UpdateAssumeRolePolicy",
  "PutRolePermissionsBoundary",
  "DeleteRolePermissionsBoundary",
  "AttachRolePolicy",
  "DetachRolePolicy",
  "ListAttachedRolePolicies",
]);
export const STS_OPERATIONS = new Set(["GetCallerIdentity"]);

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = /^\/([\u0021-\u007f]*\/)?$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;
const MAX_TRUST_POLICY_CHARS = 2048;
const MAX_INLINE_POLICY_CHARS = 10240;

const validation = (field: string, value: string, constraint: string) =>
  new AwsError(
    "ValidationError",
    400,
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") {
    const field = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError(
      "ValidationError",
      400,
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function roleName(params: URLSearchParams): string {
  const name = required(params, "RoleName");
  if (!ROLE_NAME.test(name)) {
    throw validation("roleName", name, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  }
  return name;
}

function existingRole(ctx: ServiceContext, name: string): RoleRecord {
  const role = ctx.world.roles.get(name.toLowerCase());
  if (role === undefined)
    throw new AwsError("NoSuchEntity", 404, `The role with name ${name} cannot be found.`);
  return role;
}

/** Structural check of a policy document: the JSON IAM would reject outright. */
function policyDocument(params: URLSearchParams, name: string, maxChars: number, quota: string): string {
  const document = required(params, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new AwsError("MalformedPolicyDocument", 400, "This policy contains invalid Json");
  }
  const statement =
    typeof parsed === "object" && parsed !== null ? (parsed as { Statement?: unknown }).Statement : undefined;
  const statements = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  if (
    statements.length === 0 ||
    statements.some(
      (s: unknown) =>
        typeof s !== "object" ||
        s === null ||
        !["Allow", "Deny"].includes(String((s as { Effect?: unknown }).Effect)),
    )
  ) {
    throw new AwsError(
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy: every policy needs a Statement whose entries have Effect Allow or Deny.",
    );
  }
  if (document.replace(/\s/g, "").length > maxChars) {
    throw new AwsError("LimitExceeded", 409, `Cannot exceed quota for ${quota}: ${maxChars}`);
  }
  return document;
}

/** IAM's InvalidInput for a malformed managed-policy ARN. */
function validPolicyArn(arn: string): string {
  if (!POLICY_ARN.test(arn)) {
    throw new AwsError(
      "InvalidInput",
      400,
      `ARN ${arn} is not valid: expected arn:aws:iam::<account>:policy/<name>.`,
    );
  }
  return arn;
}

function boundaryArn(params: URLSearchParams): string | undefined {
  const arn = params.get("PermissionsBoundary");
  return arn === null ? undefined : validPolicyArn(arn);
}

function policyArn(params: URLSearchParams): string {
  return validPolicyArn(required(params, "PolicyArn"));
}

/** The path of a managed policy ARN: `arn:aws:iam::a:policy/path/name` -> `/path/`. */
function policyPath(arn: string): string {
  const resource = arn.slice(arn.indexOf(":policy") + ":policy".length);
  return resource.slice(0, resource.lastIndexOf("/") + 1);
}

/** `Prefix.member.N.Key` / `.Value` pairs, in order. */
function tagMembers(params: URLSearchParams, prefix: string): [string, string][] {
  const tags: [string, string][] = [];
  for (let index = 1; params.has(`${prefix}.member.${index}.Key`); index++) {
    const key = params.get(`${prefix}.member.${index}.Key`) as string;
    const value = params.get(`${prefix}.member.${index}.Value`) ?? "";
    const problem = tagProblem(key, value);
    if (problem !== undefined) throw new AwsError("InvalidInput", 400, problem);
    tags.push([key, value]);
  }
  return tags;
}

function stringMembers(params: URLSearchParams, prefix: string): string[] {
  const values: string[] = [];
  for (let index = 1; params.has(`${prefix}.member.${index}`); index++) {
    values.push(params.get(`${prefix}.member.${index}`) as string);
  }
  return values;
}

function applyTags(role: RoleRecord, tags: readonly [string, string][]): void {
  const keys = new Set(role.tags.keys());
  for (const [key] of tags) keys.add(key);
  if (keys.size > MAX_TAGS_PER_RESOURCE) {
    throw new AwsError("LimitExceeded", 409, `Cannot exceed quota for TagsPerRole: ${MAX_TAGS_PER_RESOURCE}`);
  }
  for (const [key, value] of tags) role.tags.set(key, value);
}

function maxItems(params: URLSearchParams, fallback: number): number {
  const raw = params.get("MaxItems");
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw validation("maxItems", raw, "Member must have value between 1 and 1000");
  }
  return value;
}

function marker(params: URLSearchParams): string | undefined {
  const raw = params.get("Marker");
  if (raw === null) return undefined;
  const key = decodePageToken(raw);
  if (key === undefined)
    throw new AwsError("InvalidInput", 400, "Invalid Marker: pass the Marker of a previous page.");
  return key;
}

/** IAM returns policy documents URL-encoded (RFC 3986) inside its XML. */
function encodedPolicy(document: string): string {
  return encodeURIComponent(document);
}

function tagsXml(tags: Map<string, string>): string {
  return members(
    "Tags",
    [...tags].map(([key, value]) => el("Key", key) + el("Value", value)),
  );
}

function roleXml(role: RoleRecord, full: boolean): string {
  return (
    el("Path", role.path) +
    el("RoleName", role.name) +
    el("RoleId", role.id) +
    el("Arn", role.arn) +
    el("CreateDate", iso8601(role.createdAt)) +
    el("AssumeRolePolicyDocument", encodedPolicy(role.assumeRolePolicyDocument)) +
    el("Description", role.description) +
    el("MaxSessionDuration", role.maxSessionDuration) +
    (full && role.permissionsBoundaryArn !== undefined
      ? `<PermissionsBoundary>${el("PermissionsBoundaryType", "Policy")}${el("PermissionsBoundaryArn", role.permissionsBoundaryArn)}</PermissionsBoundary>`
      : "") +
    (full && role.tags.size > 0 ? tagsXml(role.tags) : "") +
    (full ? "<RoleLastUsed/>" : "")
  );
}

function touch(ctx: ServiceContext, role: RoleRecord): void {
  role.lastChange = ctx.now();
}

export function handleIam(operation: string, params: URLSearchParams, ctx: ServiceContext): WireResponse {
  const { world } = ctx;
  const ok = (result: string) => queryXml(operation, IAM_XMLNS, result);
  switch (operation) {
    case "CreateRole": {
      const name = roleName(params);
      const path = params.get("Path") ?? "/";
      if (path.length > 512 || !PATH.test(path)) {
        throw validation(
          "path",
          path,
          "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)",
        );
      }
      const trust = policyDocument(
        params,
        "AssumeRolePolicyDocument",
        MAX_TRUST_POLICY_CHARS,
        "ACLSizePerRole",
      );
      const boundary = boundaryArn(params);
      const tags = tagMembers(params, "Tags");
      const durationRaw = params.get("MaxSessionDuration");
      const maxSessionDuration = durationRaw === null ? 3600 : Number(durationRaw);
      if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
        throw validation(
          "maxSessionDuration",
          String(durationRaw),
          "Member must have value between 3600 and 43200",
        );
      }
      if (world.roles.has(name.toLowerCase())) {
        throw new AwsError("EntityAlreadyExists", 409, `Role with name ${name} already exists.`);
      }
      if (world.roles.size >= ctx.limits.rolesPerAccount) {
        throw new AwsError(
          "LimitExceeded",
          409,
          `Cannot exceed quota for RolesPerAccount: ${ctx.limits.rolesPerAccount}`,
        );
      }
      const role: RoleRecord = {
        name,
        path,
        id: world.nextRoleId(),
        arn: world.roleArn(path, name),
        createdAt: ctx.now(),
        assumeRolePolicyDocument: trust,
        description: params.get("Description") ?? undefined,
        maxSessionDuration,
        permissionsBoundaryArn: boundary,
        tags: new Map(),
        inlinePolicies: new Map(),
        attachedPolicyArns: new Set(),
        lastChange: ctx.now(),
      };
      applyTags(role, tags);
      world.roles.set(name.toLowerCase(), role);
      return ok(`<Role>${roleXml(role, true)}</Role>`);
    }
    case "GetRole":
      return ok(`<Role>${roleXml(existingRole(ctx, roleName(params)), true)}</Role>`);
    case "DeleteRole": {
      const role = existingRole(ctx, roleName(params));
      if (role.inlinePolicies.size > 0) {
        throw new AwsError("DeleteConflict", 409, "Cannot delete entity, must delete policies first.");
      }
      if (role.attachedPolicyArns.size > 0) {
        throw new AwsError("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.");
      }
      world.roles.delete(role.name.toLowerCase());
      // IAM does not know who names a role: it deletes it. SES then cannot deliver; the simulator records it.
      const dangling = world.danglingDestinations(role.arn);
      if (dangling.length > 0) {
        world.danglingRoleDeletions.push({ roleArn: role.arn, time: ctx.now(), destinations: dangling });
      }
      return ok("");
    }
    case "ListRoles": {
      const prefix = params.get("PathPrefix") ?? "/";
      const page = world.roles.page(marker(params), maxItems(params, 100), (role) =>
        role.path.startsWith(prefix),
      );
      return ok(
        members(
          "Roles",
          page.items.map((role) => roleXml(role, false)),
        ) +
          el("IsTruncated", page.more) +
          (page.more && page.lastKey !== undefined ? el("Marker", encodePageToken(page.lastKey)) : ""),
      );
    }
    case "TagRole": {
      const role = existingRole(ctx, roleName(params));
      const tags = tagMembers(params, "Tags");
      if (tags.length === 0) throw new AwsError("InvalidInput", 400, "Tags must contain at least one tag.");
      applyTags(role, tags);
      return ok("");
    }
    case "UntagRole": {
      const role = existingRole(ctx, roleName(params));
      for (const key of stringMembers(params, "TagKeys")) role.tags.delete(key);
      return ok("");
    }
    case "ListRoleTags": {
      const role = existingRole(ctx, roleName(params));
      return ok(tagsXml(role.tags) + el("IsTruncated", false));
    }
    case "PutRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      const policyName = required(params, "PolicyName");
      if (!POLICY_NAME.test(policyName)) {
        throw validation(
          "policyName",
          policyName,
          "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        );
      }
      const document = policyDocument(params, "PolicyDocument", MAX_INLINE_POLICY_CHARS, "PolicySize");
      let total = document.replace(/\s/g, "").length;
      for (const [other, text] of role.inlinePolicies) {
        if (other !== policyName) total += text.replace(/\s/g, "").length;
      }
      if (total > MAX_INLINE_POLICY_CHARS) {
        throw new AwsError(
          "LimitExceeded",
          409,
          `Maximum policy size of ${MAX_INLINE_POLICY_CHARS} bytes exceeded for role ${role.name}`,
        );
      }
      role.inlinePolicies.set(policyName, document);
      touch(ctx, role);
      return ok("");
    }
    case "GetRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      const policyName = required(params, "PolicyName");
      const document = role.inlinePolicies.get(policyName);
      if (document === undefined) {
        throw new AwsError("NoSuchEntity", 404, `The role policy with name ${policyName} cannot be found.`);
      }
      return ok(
        el("RoleName", role.name) +
          el("PolicyName", policyName) +
          el("PolicyDocument", encodedPolicy(document)),
      );
    }
    case "DeleteRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      const policyName = required(params, "PolicyName");
      if (!role.inlinePolicies.delete(policyName)) {
        throw new AwsError("NoSuchEntity", 404, `The role policy with name ${policyName} cannot be found.`);
      }
      touch(ctx, role);
      return ok("");
    }
    case "ListRolePolicies": {
      const role = existingRole(ctx, roleName(params));
      const names = [...role.inlinePolicies.keys()].sort();
      const after = marker(params);
      const start = after === undefined ? 0 : names.findIndex((name) => name > after);
      const limit = maxItems(params, 100);
      const rest = start < 0 ? [] : names.slice(start);
      const page = rest.slice(0, limit);
      const more = rest.length > limit;
      return ok(
        members("PolicyNames", page.map(escapeXml)) +
          el("IsTruncated", more) +
          (more ? el("Marker", encodePageToken(page[page.length - 1] as string)) : ""),
      );
    }
    case "UpdateAssumeRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      role.assumeRolePolicyDocument = policyDocument(
        params,
        "PolicyDocument",
        MAX_TRUST_POLICY_CHARS,
        "ACLSizePerRole",
      );
      touch(ctx, role);
      return ok("");
    }
    case "PutRolePermissionsBoundary": {
      const role = existingRole(ctx, roleName(params));
      const arn = boundaryArn(params);
      if (arn === undefined) required(params, "PermissionsBoundary");
      role.permissionsBoundaryArn = arn;
      touch(ctx, role);
      return ok("");
    }
    case "DeleteRolePermissionsBoundary": {
      const role = existingRole(ctx, roleName(params));
      role.permissionsBoundaryArn = undefined;
      touch(ctx, role);
      return ok("");
    }
    case "AttachRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      const arn = policyArn(params);
      if (!arn.startsWith("arn:aws:iam::aws:") && !world.managedPolicies.has(arn)) {
        throw new AwsError("NoSuchEntity", 404, `Policy ${arn} does not exist or is not attachable.`);
      }
      role.attachedPolicyArns.add(arn);
      touch(ctx, role);
      return ok("");
    }
    case "DetachRolePolicy": {
      const role = existingRole(ctx, roleName(params));
      const arn = policyArn(params);
      if (!role.attachedPolicyArns.delete(arn)) {
        throw new AwsError("NoSuchEntity", 404, `Policy ${arn} was not found.`);
      }
      touch(ctx, role);
      return ok("");
    }
    case "ListAttachedRolePolicies": {
      const role = existingRole(ctx, roleName(params));
      const prefix = params.get("PathPrefix") ?? "/";
      const arns = [...role.attachedPolicyArns].filter((arn) => policyPath(arn).startsWith(prefix)).sort();
      const after = marker(params);
      const rest = after === undefined ? arns : arns.filter((arn) => arn > after);
      const limit = maxItems(params, 100);
      const page = rest.slice(0, limit);
      const more = rest.length > limit;
      return ok(
        members(
          "AttachedPolicies",
          page.map((arn) => el("PolicyName", arn.slice(arn.lastIndexOf("/") + 1)) + el("PolicyArn", arn)),
        ) +
          el("IsTruncated", more) +
          (more ? el("Marker", encodePageToken(page[page.length - 1] as string)) : ""),
      );
    }
    default:
      throw unknownQueryAction(operation, IAM_VERSION);
  }
}

export function handleSts(operation: string, ctx: ServiceContext): WireResponse {
  if (operation !== "GetCallerIdentity") throw unknownQueryAction(operation, STS_VERSION);
  const { accountId } = ctx.world;
  return queryXml(
    operation,
    STS_XMLNS,
    el("Arn", `arn:aws:iam::${accountId}:user/simulator`) +
      el("UserId", "AIDASIMULATOR000000000") +
      el("Account", accountId),
  );
}

export function unknownQueryAction(operation: string, version: string): AwsError {
  return new AwsError("InvalidAction", 400, `Could not find operation ${operation} for version ${version}`);
}
