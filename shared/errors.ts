// Core layer: the few named errors the provisioning core raises; mapped to outcomes only at the edge.

/** Invalid configuration (environment variables or CLI flags). The message names the setting and what is accepted. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The opt-in tag carries a value we cannot interpret. */
export class InvalidTagValueError extends Error {
  override readonly name = "InvalidTagValueError";
}

/** The delivery stream a configuration set asks for cannot be used (missing, not ACTIVE, other region/account). */
export class StreamNotUsableError extends Error {
  override readonly name = "StreamNotUsableError";
}

/** A role with our computed name that lacks our marks (path and managed-by tag): never adopted, changed or deleted. */
export class ForeignRoleError extends Error {
  override readonly name = "ForeignRoleError";
}

/** The configuration set already has the maximum number of event destinations (10), none of them ours. */
export class DestinationLimitError extends Error {
  override readonly name = "DestinationLimitError";
}

/** An event from which no configuration set name can be extracted. */
export class MalformedEventError extends Error {
  override readonly name = "MalformedEventError";
}

/** Narrows an unknown thrown value to something with a name and a message. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  if (typeof err === "object" && err !== null) {
    const { name, message } = err as { name?: unknown; message?: unknown };
    return {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : String(err),
    };
  }
  return { name: "Error", message: String(err) };
}

/** True when `err` is an AWS SDK service exception (or lookalike) with the given error name. */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return (
    typeof err === "object" && err !== null && names.includes((err as { name?: unknown }).name as string)
  );
}
