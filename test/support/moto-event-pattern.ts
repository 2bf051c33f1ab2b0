// Test support: moto's EventBridge pattern matcher (Python, moto 5.2.1 preinstalled here and in CI) run from jest in
// a child process, so the project's own matcher (event-pattern.ts) is not the only judge of template.yaml's rules.
import { spawnSync } from "node:child_process";
import path from "node:path";

const SCRIPT = path.join(__dirname, "moto_event_pattern.py");
const MOTO_MISSING = 3;

/**
 * For each pattern (resolved: no intrinsics), the names of the events moto says it matches, in input order; or
 * why moto cannot judge here (python3 or moto missing), for the caller to skip with that message.
 */
export function motoMatches(
  patterns: Record<string, unknown>,
  events: Record<string, unknown>,
): { matches: Record<string, string[]> } | { unavailable: string } {
  const run = spawnSync("python3", [SCRIPT], {
    input: JSON.stringify({ patterns, events }),
    encoding: "utf8",
    timeout: 120_000,
  });
  if (run.error !== undefined) return { unavailable: `python3 cannot be run (${run.error.message})` };
  if (run.status === MOTO_MISSING) return { unavailable: run.stderr.trim() };
  if (run.status !== 0) throw new Error(`moto matcher failed (${run.status}): ${run.stderr}`);
  return { matches: JSON.parse(run.stdout) as Record<string, string[]> };
}
