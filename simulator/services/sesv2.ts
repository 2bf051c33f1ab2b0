// Simulator layer (SES v2, REST-JSON): configuration sets, event destinations and tags, routed as the installed client sends them.
import { FieldReader, jsonBody, type ServiceContext, type SimRequest } from "../context";
import { AwsError, restJson, type WireResponse } from "../protocols";
import { checkFirehoseDestination } from "../ses-access-check";
import {
  decodePageToken,
  encodePageToken,
  type ConfigurationSetRecord,
  type EventDestinationRecord,
  type Json,
  type JsonObject,
} from "../state";
import { mergeTags, parseTagList } from "../tags";

export const SES_EVENT_TYPES = new Set([
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "OPEN",
  "CLICK",
  "RENDERING_FAILURE",
  "DELIVERY_DELAY",
  "SUBSCRIPTION",
]);
const DESTINATION_TARGETS = [
  "KinesisFirehoseDestination",
  "CloudWatchDestination",
  "SnsDestination",
  "EventBridgeDestination",
  "PinpointDestination",
] as const;
const CONFIGURATION_SET_OPTIONS = [
  "TrackingOptions",
  "DeliveryOptions",
  "ReputationOptions",
  "SendingOptions",
  "SuppressionOptions",
  "VdmOptions",
  "ArchivingOptions",
  "MessageSecurityOptions",
] as const;
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CONFIGURATION_SET_ARN = /^arn:aws:ses:([a-z0-9-]+):(\d{12}):configuration-set\/(.+)$/;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
}

/** Method + path of each operation, from the http traits in @aws-sdk/client-sesv2 3.1176's bundled schemas. */
const ROUTES: readonly Route[] = [
  { method: "POST", pattern: /^\/v2\/email\/configuration-sets$/, operation: "CreateConfigurationSet" },
  { method: "POST", pattern: /^\/v2\/email\/list-configuration-sets$/, operation: "ListConfigurationSets" },
  // Older clients (before the POST form) sent GET with NextToken/PageSize in the query string.
  { method: "GET", pattern: /^\/v2\/email\/configuration-sets$/, operation: "ListConfigurationSets" },
  { method: "GET", pattern: /^\/v2\/email\/configuration-sets\/([^/]+)$/, operation: "GetConfigurationSet" },
  {
    method: "DELETE",
    pattern: /^\/v2\/email\/configuration-sets\/([^/]+)$/,
    operation: "DeleteConfigurationSet",
  },
  {
    method: "POST",
    pattern: /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations$/,
    operation: "CreateConfigurationSetEventDestination",
  },
  {
    method: "GET",
    pattern: /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations$/,
    operation: "GetConfigurationSetEventDestinations",
  },
  {
    method: "PUT",
    pattern: /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations\/([^/]+)$/,
    operation: "UpdateConfigurationSetEventDestination",
  },
  {
    method: "DELETE",
    pattern: /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations\/([^/]+)$/,
    operation: "DeleteConfigurationSetEventDestination",
  },
  { method: "POST", pattern: /^\/v2\/email\/tags$/, operation: "TagResource" },
  { method: "GET", pattern: /^\/v2\/email\/tags$/, operation: "ListTagsForResource" },
  { method: "DELETE", pattern: /^\/v2\/email\/tags$/, operation: "UntagResource" },
];

export interface SesRoute {
  operation: string;
  pathParams: string[];
}

/** The operation a request addresses, or undefined for a path/method SES v2 does not have (here). */
export function resolveSesOperation(req: SimRequest): SesRoute | undefined {
  for (const route of ROUTES) {
    if (route.method !== req.method) continue;
    const match = route.pattern.exec(req.path);
    if (match === null) continue;
    try {
      return {
        operation: route.operation,
        pathParams: match.slice(1).map((part) => decodeURIComponent(part)),
      };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const badRequest = (message: string) => new AwsError("BadRequestException", 400, message);

export async function handleSes(
  route: SesRoute,
  req: SimRequest,
  ctx: ServiceContext,
): Promise<WireResponse> {
  const { world } = ctx;
  const [first = "", second = ""] = route.pathParams;
  switch (route.operation) {
    case "CreateConfigurationSet": {
      const body = new FieldReader(jsonBody(req, "BadRequestException"), "BadRequestException");
      const name = body.string("ConfigurationSetName");
      validateName(name, "configuration set");
      if (world.configurationSets.has(name)) {
        throw new AwsError("AlreadyExistsException", 400, `Configuration set <${name}> already exists.`);
      }
      if (world.configurationSets.size >= ctx.limits.configurationSetsPerRegion) {
        throw new AwsError(
          "LimitExceededException",
          400,
          `Maximum number of configuration sets (${ctx.limits.configurationSetsPerRegion}) reached.`,
        );
      }
      const tags = new Map<string, string>();
      const tagList = body.optionalArray("Tags");
      if (tagList !== undefined) applyTags(tags, tagList);
      const options: JsonObject = {};
      for (const key of CONFIGURATION_SET_OPTIONS) {
        const value = body.optionalObject(key);
        if (value !== undefined) options[key] = value;
      }
      const set: ConfigurationSetRecord = {
        name,
        arn: world.configurationSetArn(name),
        createdAt: ctx.now(),
        tags,
        destinations: new Map(),
        options,
      };
      world.configurationSets.set(name, set);
      world.tagsChanged(set, ctx.now());
      return restJson(200, {});
    }
    case "ListConfigurationSets": {
      const params =
        req.method === "GET"
          ? queryParams(req)
          : new FieldReader(jsonBody(req, "BadRequestException"), "BadRequestException");
      const pageSize = params.optionalNumber("PageSize") ?? DEFAULT_PAGE_SIZE;
      if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        throw badRequest(`PageSize must be between 1 and ${MAX_PAGE_SIZE}, got ${pageSize}.`);
      }
      const after = resumeKey(params.optionalString("NextToken"));
      const filter = params.optionalObject("Filter") ?? {};
      const contains = filter["CONFIGURATION_SET_NAME_CONTAINS"];
      if (contains !== undefined && typeof contains !== "string") {
        throw badRequest("Filter.CONFIGURATION_SET_NAME_CONTAINS must be a string.");
      }
      const page = world.configurationSets.page(
        after,
        pageSize,
        contains === undefined ? undefined : (set) => set.name.includes(contains),
      );
      return restJson(200, {
        ConfigurationSets: page.items.map((set) => set.name),
        ...(page.more && page.lastKey !== undefined ? { NextToken: encodePageToken(page.lastKey) } : {}),
      });
    }
    case "GetConfigurationSet": {
      const set = existingSet(ctx, first);
      return restJson(200, { ConfigurationSetName: set.name, ...set.options, Tags: tagList(set.tags) });
    }
    case "DeleteConfigurationSet": {
      existingSet(ctx, first);
      world.deleteConfigurationSet(first, ctx.now());
      return restJson(200, {});
    }
    case "CreateConfigurationSetEventDestination": {
      const set = existingSet(ctx, first);
      const body = new FieldReader(jsonBody(req, "BadRequestException"), "BadRequestException");
      const destinationName = body.string("EventDestinationName");
      validateName(destinationName, "event destination");
      const definition = body.optionalObject("EventDestination");
      if (definition === undefined) throw badRequest("EventDestination is required.");
      if (set.destinations.has(destinationName)) {
        throw new AwsError(
          "AlreadyExistsException",
          400,
          `Event destination <${destinationName}> already exists in configuration set <${set.name}>.`,
        );
      }
      assertRoomForDestination(ctx, set);
      const record = destinationFrom(destinationName, definition, undefined);
      await verifyTarget(ctx, set.name, record);
      // Re-check after the asynchronous policy evaluation: a concurrent request may have changed the set.
      if (world.configurationSets.get(set.name) !== set) throw notFoundSet(set.name);
      if (set.destinations.has(destinationName)) {
        throw new AwsError(
          "AlreadyExistsException",
          400,
          `Event destination <${destinationName}> already exists in configuration set <${set.name}>.`,
        );
      }
      assertRoomForDestination(ctx, set);
      set.destinations.set(destinationName, record);
      return restJson(200, {});
    }
    case "GetConfigurationSetEventDestinations": {
      const set = existingSet(ctx, first);
      return restJson(200, { EventDestinations: [...set.destinations.values()].map(renderDestination) });
    }
    case "UpdateConfigurationSetEventDestination": {
      const set = existingSet(ctx, first);
      const current = set.destinations.get(second);
      if (current === undefined) throw notFoundDestination(set.name, second);
      const body = new FieldReader(jsonBody(req, "BadRequestException"), "BadRequestException");
      const definition = body.optionalObject("EventDestination");
      if (definition === undefined) throw badRequest("EventDestination is required.");
      const record = destinationFrom(second, definition, current);
      await verifyTarget(ctx, set.name, record);
      if (!set.destinations.has(second)) throw notFoundDestination(set.name, second);
      set.destinations.set(second, record);
      return restJson(200, {});
    }
    case "DeleteConfigurationSetEventDestination": {
      const set = existingSet(ctx, first);
      if (!set.destinations.delete(second)) throw notFoundDestination(set.name, second);
      return restJson(200, {});
    }
    case "TagResource": {
      const body = new FieldReader(jsonBody(req, "BadRequestException"), "BadRequestException");
      const set = setForArn(ctx, body.string("ResourceArn"));
      const tags = body.optionalArray("Tags");
      if (tags === undefined) throw badRequest("Tags is required.");
      applyTags(set.tags, tags);
      world.tagsChanged(set, ctx.now());
      return restJson(200, {});
    }
    case "UntagResource": {
      const arn = req.query.get("ResourceArn");
      if (arn === null) throw badRequest("ResourceArn is required.");
      const keys = req.query.getAll("TagKeys");
      if (keys.length === 0) throw badRequest("TagKeys is required.");
      const set = setForArn(ctx, arn);
      for (const key of keys) set.tags.delete(key);
      world.tagsChanged(set, ctx.now());
      return restJson(200, {});
    }
    case "ListTagsForResource": {
      const arn = req.query.get("ResourceArn");
      if (arn === null) throw badRequest("ResourceArn is required.");
      return restJson(200, { Tags: tagList(setForArn(ctx, arn).tags) });
    }
    default:
      throw new AwsError("UnknownOperationException", 404, `Unknown operation ${route.operation}.`);
  }
}

function validateName(name: string, what: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw badRequest(
      `Invalid ${what} name <${name}>: use 1 to 64 characters, only letters (A-Z, a-z), numbers (0-9), underscores (_) and dashes (-).`,
    );
  }
}

function assertRoomForDestination(ctx: ServiceContext, set: ConfigurationSetRecord): void {
  if (set.destinations.size >= ctx.limits.eventDestinationsPerSet) {
    throw new AwsError(
      "LimitExceededException",
      400,
      `Configuration set <${set.name}> already has the maximum of ${ctx.limits.eventDestinationsPerSet} event destinations.`,
    );
  }
}

function notFoundSet(name: string): AwsError {
  return new AwsError("NotFoundException", 404, `Configuration set <${name}> does not exist.`);
}

function notFoundDestination(setName: string, name: string): AwsError {
  return new AwsError(
    "NotFoundException",
    404,
    `Event destination <${name}> does not exist in configuration set <${setName}>.`,
  );
}

function existingSet(ctx: ServiceContext, name: string): ConfigurationSetRecord {
  const set = ctx.world.configurationSets.get(name);
  if (set === undefined) throw notFoundSet(name);
  return set;
}

function setForArn(ctx: ServiceContext, arn: string): ConfigurationSetRecord {
  const match = CONFIGURATION_SET_ARN.exec(arn);
  if (match === null) {
    throw badRequest(
      `Invalid resource ARN <${arn}>: the simulator tags configuration sets only (arn:aws:ses:<region>:<account>:configuration-set/<name>).`,
    );
  }
  const name = match[3] as string;
  if (match[1] !== ctx.world.region || match[2] !== ctx.world.accountId) throw notFoundSet(name);
  return existingSet(ctx, name);
}

function applyTags(tags: Map<string, string>, list: readonly Json[]): void {
  const parsed = parseTagList(list);
  if ("problem" in parsed) throw badRequest(parsed.problem);
  const problem = mergeTags(tags, parsed.tags);
  if (problem !== undefined) throw badRequest(problem);
}

function tagList(tags: Map<string, string>): { Key: string; Value: string }[] {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

function resumeKey(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = decodePageToken(token);
  if (key === undefined)
    throw badRequest(`Invalid NextToken <${token}>: pass the NextToken of a previous page.`);
  return key;
}

/** GET-style list parameters read from the query string through the same reader as a body. */
function queryParams(req: SimRequest): FieldReader {
  const source: JsonObject = {};
  const token = req.query.get("NextToken");
  const size = req.query.get("PageSize");
  if (token !== null) source["NextToken"] = token;
  if (size !== null) source["PageSize"] = Number(size);
  return new FieldReader(source, "BadRequestException");
}

/** Builds the stored destination from a definition; on update, fields left out keep their current values. */
function destinationFrom(
  name: string,
  definition: JsonObject,
  current: EventDestinationRecord | undefined,
): EventDestinationRecord {
  const reader = new FieldReader(definition, "BadRequestException");
  const enabled = reader.optionalBoolean("Enabled") ?? current?.enabled ?? false;
  const types = reader.optionalArray("MatchingEventTypes");
  let matchingEventTypes = current?.matchingEventTypes;
  if (types !== undefined) {
    const invalid = types.filter((type) => typeof type !== "string" || !SES_EVENT_TYPES.has(type));
    if (invalid.length > 0) {
      throw badRequest(
        `Invalid MatchingEventTypes ${JSON.stringify(invalid)}: accepted values are ${[...SES_EVENT_TYPES].join(", ")}.`,
      );
    }
    matchingEventTypes = types as string[];
  }
  if (matchingEventTypes === undefined || matchingEventTypes.length === 0) {
    throw badRequest("MatchingEventTypes must list at least one event type.");
  }
  const targets = DESTINATION_TARGETS.filter((key) => reader.optionalObject(key) !== undefined);
  if (targets.length > 1) throw badRequest(`Specify exactly one destination, got ${targets.join(" and ")}.`);
  const targetKey = targets[0] ?? current?.targetKey;
  const target = targets[0] === undefined ? current?.target : reader.optionalObject(targets[0]);
  if (targetKey === undefined || target === undefined) {
    throw badRequest(`Specify exactly one destination: ${DESTINATION_TARGETS.join(", ")}.`);
  }
  if (targetKey === "KinesisFirehoseDestination") {
    const firehose = new FieldReader(target, "BadRequestException");
    firehose.string("IamRoleArn");
    firehose.string("DeliveryStreamArn");
  }
  return { name, enabled, matchingEventTypes: [...new Set(matchingEventTypes)], targetKey, target };
}

async function verifyTarget(
  ctx: ServiceContext,
  setName: string,
  record: EventDestinationRecord,
): Promise<void> {
  if (record.targetKey !== "KinesisFirehoseDestination") return;
  await checkFirehoseDestination(
    {
      world: ctx.world,
      now: ctx.now(),
      propagationDelayMs: ctx.propagationDelayMs,
      configurationSetName: setName,
    },
    {
      iamRoleArn: record.target["IamRoleArn"] as string,
      deliveryStreamArn: record.target["DeliveryStreamArn"] as string,
    },
  );
}

function renderDestination(record: EventDestinationRecord): JsonObject {
  return {
    Name: record.name,
    Enabled: record.enabled,
    MatchingEventTypes: record.matchingEventTypes,
    [record.targetKey]: record.target,
  };
}
