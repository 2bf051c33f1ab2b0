// Simulator layer (plumbing): what every simulated service receives — the parsed request, the world and the options.
import type { IncomingHttpHeaders } from "node:http";
import type { Invocation, Json, JsonObject, World } from "./state";
import { AwsError } from "./protocols";

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Aborted when the client goes away before the answer (a long poll given up). */
  signal?: AbortSignal;
}

/** Quotas the simulator enforces (AWS defaults unless changed). */
export interface Limits {
  /** SES: configuration sets per region (10,000, not adjustable). */
  configurationSetsPerRegion: number;
  /** SES: event destinations per configuration set (10, not adjustable). */
  eventDestinationsPerSet: number;
  /** IAM: roles per account (1,000 by default, up to 5,000 on request). */
  rolesPerAccount: number;
}

export const DEFAULT_LIMITS: Limits = {
  configurationSetsPerRegion: 10_000,
  eventDestinationsPerSet: 10,
  rolesPerAccount: 1_000,
};

/**
 * Answers Lambda `Invoke` with InvocationType RequestResponse. Return the function's result (serialised as
 * JSON); throw to report a function error (`X-Amz-Function-Error: Unhandled`).
 */
export type InvokeHook = (invocation: Invocation) => unknown;

export interface ServiceContext {
  world: World;
  now(): number;
  propagationDelayMs: number;
  deliveryStreamCreationMs: number;
  /** A tag change younger than this is not yet seen by the tagging API's GetResources. */
  tagIndexLagMs: number;
  limits: Limits;
  onInvoke: InvokeHook | undefined;
}

/** Parses a JSON request body into an object, or fails the way AWS does for a body it cannot read. */
export function jsonBody(req: SimRequest, code = "SerializationException"): JsonObject {
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString("utf8"));
  } catch {
    throw new AwsError(code, 400, "The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AwsError(code, 400, "The request body must be a JSON object.");
  }
  return parsed as JsonObject;
}

/** Field readers that fail with the service's validation error code naming the field and what is accepted. */
export class FieldReader {
  constructor(
    private readonly source: JsonObject,
    private readonly errorCode: string,
  ) {}

  optionalString(field: string): string | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw this.invalid(`${field} must be a string.`);
    return value;
  }

  string(field: string): string {
    const value = this.optionalString(field);
    if (value === undefined) throw this.invalid(`${field} is required.`);
    return value;
  }

  optionalNumber(field: string): number | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value))
      throw this.invalid(`${field} must be an integer.`);
    return value;
  }

  optionalBoolean(field: string): boolean | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") throw this.invalid(`${field} must be a boolean.`);
    return value;
  }

  optionalObject(field: string): JsonObject | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw this.invalid(`${field} must be an object.`);
    return value;
  }

  optionalArray(field: string): Json[] | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw this.invalid(`${field} must be a list.`);
    return value;
  }

  invalid(message: string): AwsError {
    return new AwsError(this.errorCode, 400, message);
  }
}
