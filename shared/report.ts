// Core layer: the report format of docs/contract.md — one entry per configuration set, and the run summary.

export const OUTCOMES = ["created", "updated", "unchanged", "removed", "skipped", "failed"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What reconcile returns for one configuration set. In a dry run `actions` lists what would be done. */
export interface ReportEntry {
  configurationSet: string;
  outcome: Outcome;
  actions: string[];
  roleArn?: string;
  deliveryStreamArn?: string;
  error?: string;
  /** A failed entry's machine-readable error identity: our error class's name or the AWS error name. */
  errorName?: string;
}

export type OutcomeCounts = Record<Outcome, number>;

export interface Report {
  dryRun: boolean;
  region: string;
  account: string;
  counts: OutcomeCounts;
  results: ReportEntry[];
}

export function emptyCounts(): OutcomeCounts {
  return { created: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0, failed: 0 };
}

export function countOutcomes(
  results: readonly ReportEntry[],
  into: OutcomeCounts = emptyCounts(),
): OutcomeCounts {
  for (const result of results) into[result.outcome] += 1;
  return into;
}

export function buildReport(
  run: { dryRun: boolean; region: string; account: string },
  results: ReportEntry[],
): Report {
  return { ...run, counts: countOutcomes(results), results };
}
