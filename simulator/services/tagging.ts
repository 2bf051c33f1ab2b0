// Simulator layer (Resource Groups Tagging API, JSON 1.1): GetResources over the tag index, TagResources and
// UntagResources over the same tags SES v2 holds. Shapes from @aws-sdk/client-resource-groups-tagging-api's model.
import { FieldReader, jsonBody, type ServiceContext, type SimRequest } from "../context";
import { AwsError, json11, type WireResponse } from "../protocols";
import type { ConfigurationSetRecord, JsonObject } from "../state";
import { mergeTags, tagProblem } from "../tags";

export const TAGGING_TARGET_PREFIX = "ResourceGroupsTaggingAPI_20170126.";
/** A PaginationToken is valid for a maximum of 15 minutes (PaginationTokenExpiredException). */
export const PAGINATION_TOKEN_LIFETIME_MS = 15 * 60_000;
const CONFIGURATION_SET_RESOURCE_TYPE = "ses:configuration-set";
const ARN = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

const invalid = (message: string) => new AwsError("InvalidParameterException", 400, message);

interface TagFilter {
  key: string;
  values: string[];
}

/** Reads a list of strings, with its length bounds, or fails naming the field. */
function stringList(body: FieldReader, field: string, min: number, max: number): string[] | undefined {
  const list = body.optionalArray(field);
  if (list === undefined) return undefined;
  if (list.length < min || list.length > max || list.some((item) => typeof item !== "string")) {
    throw invalid(`${field} must be a list of ${min} to ${max} strings.`);
  }
  return list as string[];
}

function tagFilters(body: FieldReader): TagFilter[] {
  const list = body.optionalArray("TagFilters") ?? [];
  if (list.length > 50) throw invalid("TagFilters can include up to 50 keys.");
  return list.map((item) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw invalid("Each TagFilter must be an object with a Key and optional Values.");
    }
    const filter = new FieldReader(item, "InvalidParameterException");
    const key = filter.string("Key");
    if (key.length < 1 || key.length > 128) throw invalid("TagFilter Key must be 1 to 128 characters long.");
    return { key, values: stringList(filter, "Values", 0, 20) ?? [] };
  });
}

function bounded(body: FieldReader, field: string, min: number, max: number): number | undefined {
  const value = body.optionalNumber(field);
  if (value !== undefined && (value < min || value > max)) {
    throw invalid(`${field} must be between ${min} and ${max}, got ${value}.`);
  }
  return value;
}

function encodeToken(afterArn: string, issuedAt: number): string {
  return Buffer.from(JSON.stringify({ afterArn, issuedAt }), "utf8").toString("base64url");
}

function decodeToken(token: string, now: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const { afterArn, issuedAt } = (parsed ?? {}) as { afterArn?: unknown; issuedAt?: unknown };
  if (typeof afterArn !== "string" || typeof issuedAt !== "number") {
    throw invalid("The specified PaginationToken is not valid: pass the PaginationToken of a previous page.");
  }
  if (now - issuedAt > PAGINATION_TOKEN_LIFETIME_MS) {
    throw new AwsError(
      "PaginationTokenExpiredException",
      400,
      "A PaginationToken is valid for a maximum of 15 minutes. Your request was denied because the specified PaginationToken has expired.",
    );
  }
  return afterArn;
}

/** `ses` or `ses:configuration-set` select configuration sets, the only taggable resources simulated here. */
function selectsConfigurationSets(filters: readonly string[]): boolean {
  return filters.length === 0 || filters.some((f) => f === "ses" || f === CONFIGURATION_SET_RESOURCE_TYPE);
}

function matchesTags(tags: ReadonlyMap<string, string>, filters: readonly TagFilter[]): boolean {
  return filters.every(({ key, values }) => {
    const value = tags.get(key);
    return value !== undefined && (values.length === 0 || values.includes(value));
  });
}

function getResources(body: FieldReader, ctx: ServiceContext): WireResponse {
  const perPage = bounded(body, "ResourcesPerPage", 1, 100);
  const tagsPerPage = bounded(body, "TagsPerPage", 100, 500);
  const token = body.optionalString("PaginationToken");
  const filters = tagFilters(body);
  const types = stringList(body, "ResourceTypeFilters", 0, 100) ?? [];
  const arns = stringList(body, "ResourceARNList", 1, 100);
  const includeCompliance = body.optionalBoolean("IncludeComplianceDetails") ?? false;
  const excludeCompliant = body.optionalBoolean("ExcludeCompliantResources") ?? false;
  if (excludeCompliant && !includeCompliance) {
    throw invalid("ExcludeCompliantResources can be used only with IncludeComplianceDetails set to true.");
  }
  if (arns !== undefined && (perPage !== undefined || tagsPerPage !== undefined || token)) {
    throw invalid(
      "You can't specify both ResourceARNList and any of the pagination parameters (ResourcesPerPage, TagsPerPage, PaginationToken).",
    );
  }
  const now = ctx.now();
  const after = token ? decodeToken(token, now) : undefined;
  // No tag policies are simulated: every resource is compliant, so ExcludeCompliantResources leaves none.
  const matching = ctx.world.tagIndex
    .visible(now, ctx.tagIndexLagMs)
    .filter(
      (resource) =>
        !excludeCompliant &&
        selectsConfigurationSets(types) &&
        matchesTags(resource.tags, filters) &&
        (arns === undefined || arns.includes(resource.arn)) &&
        (after === undefined || resource.arn > after),
    );
  const page = arns === undefined ? matching.slice(0, perPage ?? 50) : matching;
  const last = page.at(-1);
  const more = arns === undefined && page.length < matching.length && last !== undefined;
  return json11({
    // AWS ends the listing with an empty string, not a missing token (boto/boto3#2513, aws/aws-sdk-go#4121).
    PaginationToken: more ? encodeToken(last.arn, now) : "",
    ResourceTagMappingList: page.map((resource) => ({
      ResourceARN: resource.arn,
      Tags: [...resource.tags].map(([Key, Value]) => ({ Key, Value })),
      ...(includeCompliance
        ? {
            ComplianceDetails: {
              NoncompliantKeys: [],
              KeysWithNoncompliantValues: [],
              ComplianceStatus: true,
            },
          }
        : {}),
    })),
  });
}

interface Failure {
  StatusCode: number;
  ErrorCode: string;
  ErrorMessage: string;
}

/** The configuration set an ARN of TagResources / UntagResources addresses, or why it cannot be changed. */
function targetOf(arn: string, ctx: ServiceContext): ConfigurationSetRecord | Failure {
  const match = ARN.exec(arn);
  if (match === null) {
    return {
      StatusCode: 400,
      ErrorCode: "InvalidParameterException",
      ErrorMessage: `${arn} is not a valid ARN.`,
    };
  }
  const [, , service, region, account, resource = ""] = match;
  if (service !== "ses" || !resource.startsWith("configuration-set/")) {
    return {
      StatusCode: 500,
      ErrorCode: "InternalServiceException",
      ErrorMessage: `The resource type of ${arn} is not supported by this simulator (configuration sets only).`,
    };
  }
  if (region !== ctx.world.region || account !== ctx.world.accountId) {
    return {
      StatusCode: 400,
      ErrorCode: "InvalidParameterException",
      ErrorMessage: `You can only tag resources of Region ${ctx.world.region} in account ${ctx.world.accountId}: ${arn}.`,
    };
  }
  const name = resource.slice("configuration-set/".length);
  const set = ctx.world.configurationSets.get(name);
  if (set === undefined) {
    return {
      StatusCode: 404,
      ErrorCode: "NotFoundException",
      ErrorMessage: `Configuration set <${name}> does not exist.`,
    };
  }
  return set;
}

/** Applies `change` to each ARN's set; what fails is reported per ARN, as AWS does, not as an error. */
function changeEach(
  arns: readonly string[],
  ctx: ServiceContext,
  change: (set: ConfigurationSetRecord) => Failure | undefined,
): WireResponse {
  const failed: Record<string, Failure> = {};
  for (const arn of arns) {
    const target = targetOf(arn, ctx);
    const failure = "StatusCode" in target ? target : change(target);
    if (failure !== undefined) failed[arn] = failure;
    else ctx.world.tagsChanged(target as ConfigurationSetRecord, ctx.now());
  }
  return json11({ FailedResourcesMap: failed });
}

function tagMap(body: FieldReader): [string, string][] {
  const tags: JsonObject | undefined = body.optionalObject("Tags");
  if (tags === undefined) throw invalid("Tags is required.");
  const entries = Object.entries(tags);
  if (entries.length < 1 || entries.length > 50) throw invalid("Tags must hold 1 to 50 tags.");
  return entries.map(([key, value]) => {
    if (typeof value !== "string") throw invalid(`The value of tag '${key}' must be a string.`);
    const problem = tagProblem(key, value);
    if (problem !== undefined) throw invalid(problem);
    return [key, value];
  });
}

export function handleTagging(operation: string, req: SimRequest, ctx: ServiceContext): WireResponse {
  const body = new FieldReader(jsonBody(req, "InvalidParameterException"), "InvalidParameterException");
  switch (operation) {
    case "GetResources":
      return getResources(body, ctx);
    case "TagResources": {
      const arns = stringList(body, "ResourceARNList", 1, 20);
      if (arns === undefined) throw invalid("ResourceARNList is required.");
      const tags = tagMap(body);
      return changeEach(arns, ctx, (set) => {
        const problem = mergeTags(set.tags, tags);
        return problem === undefined
          ? undefined
          : { StatusCode: 400, ErrorCode: "BadRequestException", ErrorMessage: problem };
      });
    }
    case "UntagResources": {
      const arns = stringList(body, "ResourceARNList", 1, 20);
      if (arns === undefined) throw invalid("ResourceARNList is required.");
      const keys = stringList(body, "TagKeys", 1, 50);
      if (keys === undefined) throw invalid("TagKeys is required.");
      return changeEach(arns, ctx, (set) => {
        for (const key of keys) set.tags.delete(key);
        return undefined;
      });
    }
    default:
      throw new AwsError(
        "UnknownOperationException",
        400,
        `Unknown operation ${TAGGING_TARGET_PREFIX}${operation}.`,
      );
  }
}
