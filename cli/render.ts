// Adapter layer (CLI): what the operator sees — a progress line on a terminal, the report as a table.
import { OUTCOMES, type OutcomeCounts, type Report } from "../shared/report";
import type { StreamRoleCleanup } from "../shared/stream-roles";

export interface ProgressState {
  done: number;
  /** Sets known so far; `totalFinal` says whether the listing has ended. */
  total: number;
  totalFinal: boolean;
  counts: OutcomeCounts;
  elapsedMs: number;
}

const BAR_WIDTH = 24;

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** One line: `[#####-------] 1200/10000 12% | created 3 … | 1.0 sets/s | ETA 2h 26m`. */
export function progressLine(state: ProgressState): string {
  const { done, total, totalFinal, counts, elapsedMs } = state;
  const fraction = total === 0 ? 0 : Math.min(1, done / total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  const totalText = totalFinal ? String(total) : `${total}+`;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const tally = OUTCOMES.map((outcome) => `${outcome} ${counts[outcome]}`).join(" ");
  const eta = totalFinal && rate > 0 ? `ETA ${formatDuration(((total - done) / rate) * 1000)}` : "ETA …";
  return `${bar} ${done}/${totalText} ${Math.floor(fraction * 100)}% | ${tally} | ${rate.toFixed(1)} sets/s | ${eta}`;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/** The report as an aligned table (set, outcome, actions, error) followed by the counts. */
export function reportTable(report: Report & { streamRoles?: StreamRoleCleanup }): string {
  const header = ["CONFIGURATION SET", "OUTCOME", "ACTIONS", "ERROR"];
  const rows = [...report.results]
    .sort((a, b) => a.configurationSet.localeCompare(b.configurationSet))
    .map((entry) => [
      entry.configurationSet,
      entry.outcome,
      entry.actions.join(", ") || "-",
      entry.error ?? "",
    ]);
  const widths = header
    .slice(0, 3)
    .map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < 3 ? pad(cell, widths[column]!) : cell))
      .join("  ")
      .trimEnd();
  const total = report.results.length;
  const summary =
    `${total} configuration set${total === 1 ? "" : "s"} in ${report.region} (account ${report.account})` +
    `${report.dryRun ? ", dry run: nothing was changed, actions show what would be done" : ""}.\n` +
    OUTCOMES.map((outcome) => `${outcome} ${report.counts[outcome]}`).join(", ");
  return (
    [line(header), ...rows.map(line), "", summary, ...streamRoleLines(report.streamRoles)].join("\n") + "\n"
  );
}

/** What a full audit decided about the shared delivery-stream roles (docs/role-scope.md). */
function streamRoleLines(cleanup: StreamRoleCleanup | undefined): string[] {
  if (cleanup === undefined) return [];
  const list = (names: readonly string[]) => (names.length === 0 ? "none" : names.join(", "));
  return [
    `delivery-stream roles in use: ${list(cleanup.inUse)}; removed: ${list(cleanup.removed)}`,
    ...cleanup.kept.map(({ roleName, reason }) => `kept ${roleName}: ${reason}`),
    ...(cleanup.skipped === undefined ? [] : [`no unused role removed: ${cleanup.skipped}`]),
  ];
}
