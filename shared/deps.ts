// Core layer: what the core depends on, grouped by lifetime — per process (CoreDeps) and per run (RunOptions).
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { AwsClients } from "./aws-clients";
import type { Config } from "./config";
import type { DeliveryStreamCache } from "./delivery-streams";

/** The one clock of the core: wall time in milliseconds, waiting, and jitter. Tests pass a fake one. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** [0, 1), as Math.random. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  random: () => Math.random(),
};

/** Built once per process (a Lambda container, a CLI run) and shared by every reconcile it makes. */
export interface CoreDeps extends AwsClients {
  config: Config;
  /** Powertools Logger; callers append per-set keys. */
  logger: Logger;
  region: string;
  accountId: string;
  /** Default systemClock. */
  clock?: Clock | undefined;
}

/** Decided per run: one event, one backfill invocation, one CLI command. Every field is optional. */
export interface RunOptions {
  /** Plan only: the entry lists the actions that would be taken and nothing is written. */
  dryRun?: boolean | undefined;
  /**
   * Only ever remove (the DeleteConfigurationSet function, whose role may not create): a set that exists and is
   * opted in is left to its create and tag events and reported `skipped`, instead of failing on AccessDenied.
   */
  removeOnly?: boolean | undefined;
  /**
   * Names of the roles under config.rolePath (the backfill's one ListRoles listing, docs/architecture.md
   * "Backfill"). When given, a role name absent from it is known absent: no GetRole, and a set neither opted in
   * nor owning a role costs one SES call.
   */
  managedRoleNames?: ReadonlySet<string> | undefined;
  /** DescribeDeliveryStream results shared by every reconcile of the run (createDeliveryStreamCache). */
  deliveryStreams?: DeliveryStreamCache | undefined;
  /** Milliseconds the caller has left (Lambda's getRemainingTimeInMillis); bounds the propagation retries. */
  remainingTimeMs?: (() => number) | undefined;
}

/** CoreDeps with its defaults filled in: the one place they are. */
export interface ResolvedDeps extends CoreDeps {
  clock: Clock;
}

export function resolveDeps(deps: CoreDeps): ResolvedDeps {
  return deps.clock === undefined ? { ...deps, clock: systemClock } : (deps as ResolvedDeps);
}
