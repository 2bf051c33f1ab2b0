// Simulator layer (validation): the AWS tag rules shared by SES and IAM (50 per resource, key 1-128, value 0-256, no aws:).
import type { Json } from "./state";

export const MAX_TAGS_PER_RESOURCE = 50;

/** Reads `[{Key, Value}]`; returns a problem description instead of the tags when the list breaks a rule. */
export function parseTagList(list: readonly Json[]): { tags: [string, string][] } | { problem: string } {
  const tags: [string, string][] = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      return { problem: "Each tag must be an object with Key and Value." };
    }
    const key = item["Key"];
    const value = item["Value"] ?? "";
    if (typeof key !== "string" || typeof value !== "string")
      return { problem: "Tag Key and Value must be strings." };
    const problem = tagProblem(key, value);
    if (problem !== undefined) return { problem };
    tags.push([key, value]);
  }
  return { tags };
}

export function tagProblem(key: string, value: string): string | undefined {
  if (key.length < 1 || key.length > 128) return `Tag key '${key}' must be 1 to 128 characters long.`;
  if (key.toLowerCase().startsWith("aws:")) return `Tag key '${key}' uses the reserved prefix 'aws:'.`;
  if (value.length > 256) return `The value of tag '${key}' must be at most 256 characters long.`;
  return undefined;
}

/** Merges new tags into existing ones; returns the problem if the result would exceed the per-resource limit. */
export function mergeTags(
  existing: Map<string, string>,
  incoming: readonly [string, string][],
): string | undefined {
  const keys = new Set(existing.keys());
  for (const [key] of incoming) keys.add(key);
  if (keys.size > MAX_TAGS_PER_RESOURCE) {
    return `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${keys.size}.`;
  }
  for (const [key, value] of incoming) existing.set(key, value);
  return undefined;
}
