// Bench layer: the shape of bench/results.json, target checks, machine info and the printed table.
import os from "node:os";
import { round } from "./stats";

/** One extra condition a figure must meet besides its ratio (e.g. "0 writes"). */
export interface Check {
  name: string;
  value: number;
  /** The check passes when value <= max. */
  max: number;
  pass: boolean;
}

export interface Figure {
  /** Stable identifier, e.g. "bundle-size/backfill". */
  figure: string;
  /** What the figure measures, in a sentence. */
  description: string;
  inputs: Record<string, unknown>;
  value: number;
  unit: string;
  baseline: number;
  /** What the baseline is. */
  baselineDescription: string;
  ratio: number;
  /** The baseline's ratio computed the same way, when the ratio is not value / baseline (e.g. propagation). */
  baselineRatio?: number;
  /** "<= 1.15": the ratio must not exceed the number. */
  target: string;
  /** Extra conditions; the figure passes only if all of them pass too. */
  checks: Check[];
  pass: boolean;
  details?: Record<string, unknown>;
}

export interface BenchResults {
  date: string;
  mode: "full" | "smoke";
  /** Set by hand when a committed file combines groups from separate runs: which figures come from when. */
  note?: string;
  machine: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    totalMemoryMb: number;
  };
  durationSeconds: number;
  pass: boolean;
  figures: Figure[];
}

/** A figure as measured: the ratio, target and verdicts are derived by `figure()`. */
export interface FigureInput extends Omit<Figure, "ratio" | "target" | "checks" | "pass"> {
  /** Defaults to value / baseline. */
  ratio?: number;
  /** The highest acceptable ratio. */
  maxRatio: number;
  checks?: Array<Omit<Check, "pass">>;
}

/** Builds a figure: rounds the numbers, evaluates the ratio against its target and every check. */
export function figure(input: FigureInput): Figure {
  const ratio = round(input.ratio ?? input.value / input.baseline, 3);
  const checks = (input.checks ?? []).map((check) => ({ ...check, pass: check.value <= check.max }));
  return {
    figure: input.figure,
    description: input.description,
    inputs: input.inputs,
    value: round(input.value, 3),
    unit: input.unit,
    baseline: round(input.baseline, 3),
    baselineDescription: input.baselineDescription,
    ratio,
    ...(input.baselineRatio === undefined ? {} : { baselineRatio: round(input.baselineRatio, 3) }),
    target: `<= ${input.maxRatio}`,
    checks,
    pass: ratio <= input.maxRatio && checks.every((check) => check.pass),
    ...(input.details === undefined ? {} : { details: input.details }),
  };
}

export function machineInfo(): BenchResults["machine"] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A fixed-width table: figure, value, baseline, ratio, target, PASS/MISS, and failed checks below. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.figure,
    `${f.value} ${f.unit}`,
    `${f.baseline} ${f.unit}`,
    String(f.ratio),
    f.target,
    f.pass ? "PASS" : "MISS",
  ]);
  const header = ["figure", "value", "baseline", "ratio", "target", ""];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => pad(cell, widths[column]!, column >= 1 && column <= 3)).join("  ");
  const out = [line(header), widths.map((width) => "-".repeat(width)).join("  ")];
  figures.forEach((f, index) => {
    out.push(line(rows[index]!));
    for (const check of f.checks.filter((c) => !c.pass)) {
      out.push(`    check failed: ${check.name}: ${check.value} > ${check.max}`);
    }
  });
  return out.join("\n");
}
