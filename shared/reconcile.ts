// Core layer: reconcile one configuration set to its desired state (SPEC §2.1). Level-triggered, idempotent.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { AwsClients } from "./aws-clients";
import type { Config } from "./config";
import type { ReportEntry } from "./report";

export interface ReconcileDeps extends AwsClients {
  config: Config;
  logger: Logger;
  region: string;
  accountId: string;
  /** Plan only: the entry lists the actions that would be taken and nothing is written. */
  dryRun?: boolean;
  /** Milliseconds the caller has left (Lambda's getRemainingTimeInMillis); bounds the propagation retries. */
  remainingTimeMs?: () => number;
}

export async function reconcile(configurationSetName: string, deps: ReconcileDeps): Promise<ReportEntry> {
  void deps;
  throw new Error(`reconcile(${configurationSetName}) is being written in issue 2`);
}
