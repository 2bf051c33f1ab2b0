// Test support: the JSON event fixtures of test/fixtures/events, loaded fresh (callers may mutate their copy).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const EVENTS_DIR = path.join(__dirname, "..", "fixtures", "events");

export const FIXTURE_NAMES: readonly string[] = readdirSync(EVENTS_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => file.replace(/\.json$/, ""))
  .sort();

export type FixtureEvent = Record<string, unknown> & { detail: Record<string, unknown> };

export function fixtureEvent(name: string): FixtureEvent {
  return JSON.parse(readFileSync(path.join(EVENTS_DIR, `${name}.json`), "utf8")) as FixtureEvent;
}
