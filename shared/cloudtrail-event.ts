// Adapter layer: validate an "AWS API Call via CloudTrail" event (as `unknown`) and extract configuration set names.
import { MalformedEventError } from "./errors";
import { CONFIGURATION_SET_NAME_PATTERN } from "./naming";

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** The part of a CloudTrail record we read; the handlers type their event with it, shared code re-validates it. */
export interface CloudTrailDetail {
  eventSource: string;
  eventName: string;
  awsRegion?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: unknown;
}

export interface CloudTrailApiCall {
  source: string;
  eventSource: string;
  eventName: string;
  /** The account and region of the envelope (absent in hand-made test events). */
  account: string | undefined;
  region: string | undefined;
  errorCode: string | undefined;
  requestParameters: Readonly<Record<string, unknown>>;
}

/** Names found in the event, and the resources that were named but are not ours to look at (with why). */
export interface ExtractedNames {
  names: string[];
  ignored: string[];
}

const ACCEPTED_SHAPE =
  'an EventBridge event with "detail-type": "AWS API Call via CloudTrail", a "source" and a "detail" ' +
  'object carrying "eventSource" and "eventName"';
const CONFIGURATION_SET_ARN = /^arn:aws[a-z-]*:ses:([a-z0-9-]+):(\d{12}):configuration-set\/(.*)$/;
const ANY_ARN = /^arn:[^:]*:([^:]*):([^:]*):([^:]*):(.*)$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Validates the envelope; throws MalformedEventError saying what was wrong and what is accepted. */
export function parseCloudTrailEvent(event: unknown): CloudTrailApiCall {
  if (!isRecord(event))
    throw new MalformedEventError(`The event is not an object: expected ${ACCEPTED_SHAPE}.`);
  const detailType = event["detail-type"];
  if (detailType !== CLOUDTRAIL_DETAIL_TYPE) {
    throw new MalformedEventError(
      `The event's detail-type is ${JSON.stringify(detailType)}: expected ${ACCEPTED_SHAPE}.`,
    );
  }
  const source = optionalString(event, "source");
  const detail = event.detail;
  if (source === undefined || !isRecord(detail)) {
    throw new MalformedEventError(
      `The event has no "source" or no "detail" object: expected ${ACCEPTED_SHAPE}.`,
    );
  }
  const eventSource = optionalString(detail, "eventSource");
  const eventName = optionalString(detail, "eventName");
  if (eventSource === undefined || eventName === undefined) {
    throw new MalformedEventError(
      `The event's detail has no "eventSource" or "eventName": expected ${ACCEPTED_SHAPE}.`,
    );
  }
  const requestParameters = detail.requestParameters;
  return {
    source,
    eventSource,
    eventName,
    account: optionalString(event, "account"),
    region: optionalString(event, "region") ?? optionalString(detail, "awsRegion"),
    errorCode: optionalString(detail, "errorCode"),
    requestParameters: isRecord(requestParameters) ? requestParameters : {},
  };
}

function checkedName(name: string, where: string): string {
  if (!CONFIGURATION_SET_NAME_PATTERN.test(name)) {
    throw new MalformedEventError(
      `The event names configuration set ${JSON.stringify(name)} in ${where}: expected 1-64 letters, digits, _ or -.`,
    );
  }
  return name;
}

/** A configuration-set ARN of this account and region gives its name; any other ARN is noted as ignored. */
export function fromArn(
  arn: unknown,
  where: string,
  scope: { account: string; region: string },
  into: ExtractedNames,
): void {
  if (typeof arn !== "string") {
    throw new MalformedEventError(`The event's ${where} is not a string: expected an ARN.`);
  }
  const match = CONFIGURATION_SET_ARN.exec(arn);
  if (match === null) {
    const parts = ANY_ARN.exec(arn);
    if (parts === null) throw new MalformedEventError(`The event's ${where} "${arn}" is not an ARN.`);
    into.ignored.push(`${arn} (not an SES configuration set)`);
    return;
  }
  const [, region, account, name] = match as unknown as [string, string, string, string];
  if (region !== scope.region || account !== scope.account) {
    into.ignored.push(
      `${arn} (another region or account: this stack serves ${scope.region}/${scope.account})`,
    );
    return;
  }
  into.names.push(checkedName(name, where));
}

/** The first of `keys` present in `record` (CloudTrail writes lowerCamelCase; some services log PascalCase). */
function firstPresent(record: Readonly<Record<string, unknown>>, keys: readonly string[]): [string, unknown] {
  const key = keys.find((candidate) => record[candidate] !== undefined);
  return key === undefined ? ["", undefined] : [key, record[key]];
}

function nameAt(value: unknown, where: string, into: ExtractedNames): void {
  if (value === undefined) return;
  if (typeof value !== "string") throw new MalformedEventError(`The event's ${where} is not a string.`);
  into.names.push(checkedName(value, where));
}

/**
 * Every configuration set the call was about (docs/architecture.md, "Events"): `configurationSetName`,
 * `configurationSet.name`, a configuration-set `resourceArn`, or the configuration-set ARNs in `resourceARNList`, each
 * also in PascalCase (`ConfigurationSetName`, `ConfigurationSet.Name`, `ResourceArn`, `ResourceARNList`). Duplicates
 * removed.
 */
export function configurationSetNamesFrom(
  call: CloudTrailApiCall,
  scope: { account: string; region: string },
): ExtractedNames {
  const parameters = call.requestParameters;
  const found: ExtractedNames = { names: [], ignored: [] };
  const [nameKey, name] = firstPresent(parameters, ["configurationSetName", "ConfigurationSetName"]);
  nameAt(name, `requestParameters.${nameKey}`, found);
  const [setKey, configurationSet] = firstPresent(parameters, ["configurationSet", "ConfigurationSet"]);
  if (isRecord(configurationSet)) {
    const [innerKey, inner] = firstPresent(configurationSet, ["name", "Name"]);
    nameAt(inner, `requestParameters.${setKey}.${innerKey}`, found);
  }
  const [arnKey, resourceArn] = firstPresent(parameters, [
    "resourceArn",
    "ResourceArn",
    "resourceARN",
    "ResourceARN",
  ]);
  if (resourceArn !== undefined) fromArn(resourceArn, `requestParameters.${arnKey}`, scope, found);
  const [listKey, resourceARNList] = firstPresent(parameters, ["resourceARNList", "ResourceARNList"]);
  if (resourceARNList !== undefined) {
    if (!Array.isArray(resourceARNList)) {
      throw new MalformedEventError(`The event's requestParameters.${listKey} is not a list of ARNs.`);
    }
    resourceARNList.forEach((arn, index) =>
      fromArn(arn, `requestParameters.${listKey}[${index}]`, scope, found),
    );
  }
  if (found.names.length === 0 && found.ignored.length === 0) {
    throw new MalformedEventError(
      `No configuration set name in the ${call.eventName} event: expected requestParameters.configurationSetName, ` +
        "requestParameters.configurationSet.name, a configuration-set resourceArn or resourceARNList " +
        `(arn:aws:ses:${scope.region}:${scope.account}:configuration-set/<name>), in lowerCamelCase or PascalCase.`,
    );
  }
  return { names: [...new Set(found.names)], ignored: found.ignored };
}
