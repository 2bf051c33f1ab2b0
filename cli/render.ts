// Adapter layer (CLI): what the operator sees — a progress bar on a terminal (cli-progress), the report as a
// table (cli-table3).
import { Format, SingleBar, type Options, type Params } from "cli-progress";
import Table from "cli-table3";
import { OUTCOMES, emptyCounts, type OutcomeCounts, type Report, type ReportEntry } from "../shared/report";
import type { StreamRoleCleanup } from "../shared/stream-roles";

/** What the bar shows beside cli-progress's own value, total and ETA. */
export interface ProgressPayload {
  /** Whether the listing has ended: until then the total is open ("1000+") and there is no ETA. */
  totalFinal: boolean;
  counts: OutcomeCounts;
}

/**
 * One line: `[#####-------] 1200/10000 12% | created 3 … | 1.0 sets/s | ETA 2h26m`. The bar, the ETA (cli-progress's
 * moving estimate) and the redraw pacing are cli-progress's; the open total and the outcome tally are ours.
 */
export function progressFormat(options: Options, params: Params, payload: ProgressPayload): string {
  const bar = Format.BarFormat(params.progress, options);
  const totalText = payload.totalFinal ? String(params.total) : `${params.total}+`;
  const elapsedSeconds = ((params.stopTime ?? Date.now()) - params.startTime) / 1000;
  const rate = elapsedSeconds > 0 ? params.value / elapsedSeconds : 0;
  const tally = OUTCOMES.map((outcome) => `${outcome} ${payload.counts[outcome]}`).join(" ");
  const etaKnown = payload.totalFinal && typeof params.eta === "number" && Number.isFinite(params.eta);
  const eta = etaKnown ? Format.TimeFormat(params.eta, options, 1) : "…";
  const percent = Math.floor(Math.min(1, params.progress) * 100);
  return `[${bar}] ${params.value}/${totalText} ${percent}% | ${tally} | ${rate.toFixed(1)} sets/s | ETA ${eta}`;
}

/** The stream the bar draws on: cli-progress writes to it and reads `isTTY` and `columns`. */
export type ProgressStream = { write(text: string): unknown; isTTY?: boolean; columns?: number };

export interface Progress {
  listed(names: number, morePages: boolean): void;
  result(entry: ReportEntry): void;
  finish(): void;
}

/** A progress bar on `stream` (redrawn at most 10 times a second); a no-op when `enabled` is false. */
export function progressBar(stream: ProgressStream, enabled: boolean): Progress {
  if (!enabled) return { listed: () => undefined, result: () => undefined, finish: () => undefined };
  const payload: ProgressPayload = { totalFinal: false, counts: emptyCounts() };
  const bar = new SingleBar({
    // cli-progress only calls write() on the stream and reads isTTY/columns (lib/terminal.js).
    stream: stream as unknown as NodeJS.WritableStream,
    format: progressFormat,
    barsize: 24,
    barCompleteChar: "#",
    barIncompleteChar: "-",
    fps: 10,
    etaBuffer: 100,
    hideCursor: true,
    linewrap: false,
  });
  let total = 0;
  bar.start(0, 0, payload);
  return {
    listed(names, morePages) {
      total += names;
      payload.totalFinal = !morePages;
      bar.setTotal(total);
      bar.update(payload);
    },
    result(entry) {
      payload.counts[entry.outcome] += 1;
      bar.increment(1, payload);
    },
    finish() {
      bar.stop();
    },
  };
}

/** Column layout only: no borders, two spaces between columns (cli-table3 with its box characters blanked). */
const PLAIN: Partial<Record<Table.CharName, string>> = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/** The report as an aligned table (set, outcome, actions, error) followed by the counts. */
export function reportTable(report: Report & { streamRoles?: StreamRoleCleanup }): string {
  const table = new Table({
    head: ["CONFIGURATION SET", "OUTCOME", "ACTIONS", "ERROR"],
    chars: PLAIN,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  const entries = [...report.results].sort((a, b) => a.configurationSet.localeCompare(b.configurationSet));
  for (const entry of entries) {
    table.push([entry.configurationSet, entry.outcome, entry.actions.join(", ") || "-", entry.error ?? ""]);
  }
  const total = report.results.length;
  const summary =
    `${total} configuration set${total === 1 ? "" : "s"} in ${report.region} (account ${report.account})` +
    `${report.dryRun ? ", dry run: nothing was changed, actions show what would be done" : ""}.\n` +
    OUTCOMES.map((outcome) => `${outcome} ${report.counts[outcome]}`).join(", ");
  const rows = table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd());
  return [...rows, "", summary, ...streamRoleLines(report.streamRoles)].join("\n") + "\n";
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
