// Infrastructure layer: client-side pacing of AWS calls (a token bucket) attached to one SDK client as middleware.
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceInputTypes, ServiceOutputTypes, SESv2Client } from "@aws-sdk/client-sesv2";
import type { FinalizeRequestMiddleware } from "@smithy/types";

export interface PacerOptions {
  /** Sustained requests per second (SES_REQUESTS_PER_SECOND). */
  ratePerSecond: number;
  /** Requests that may go at once after an idle period; 1 keeps the spacing strict. */
  burst?: number;
  /** Milliseconds clock; injected by tests. */
  now?: () => number;
  /** Waits `ms` milliseconds; injected by tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PacerStats {
  ratePerSecond: number;
  /** Requests let through so far (every attempt, SDK retries included, when attached as middleware). */
  acquired: number;
  /** Total milliseconds callers spent waiting for a slot. */
  waitedMs: number;
}

/**
 * A token bucket kept as a schedule of reservations (GCRA): each caller reserves the next free slot at the
 * moment it asks, then sleeps until that slot. Because slots are reserved, not measured after waking, a timer
 * that fires late does not push later slots back, so N requests take (N - burst) / rate seconds, no more.
 */
export class TokenBucketPacer {
  readonly ratePerSecond: number;
  private readonly intervalMs: number;
  private readonly burstWindowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private nextSlotAt = Number.NEGATIVE_INFINITY;
  private acquired = 0;
  private waitedMs = 0;

  constructor(options: PacerOptions) {
    const burst = options.burst ?? 1;
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}.`);
    }
    if (!Number.isInteger(burst) || burst < 1)
      throw new RangeError(`burst must be an integer >= 1, got ${burst}.`);
    this.ratePerSecond = options.ratePerSecond;
    this.intervalMs = 1000 / options.ratePerSecond;
    this.burstWindowMs = (burst - 1) * this.intervalMs;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /** Resolves when the caller may send one request. */
  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(this.nextSlotAt, now - this.burstWindowMs);
    this.nextSlotAt = slot + this.intervalMs;
    this.acquired += 1;
    const wait = slot - now;
    if (wait > 0) {
      this.waitedMs += wait;
      await this.sleep(wait);
    }
  }

  stats(): PacerStats {
    return { ratePerSecond: this.ratePerSecond, acquired: this.acquired, waitedMs: this.waitedMs };
  }
}

export const PACING_MIDDLEWARE_NAME = "sesFirehoseAutowirePacing";

/**
 * Paces every HTTP attempt of `client`. The middleware sits in the finalizeRequest step after the SDK's retry
 * middleware, so each retry attempt takes a slot too. Scoped to this client instance only.
 */
export function attachPacer(client: SESv2Client, pacer: TokenBucketPacer): void {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(PACING_MIDDLEWARE_NAME))) return;
  const paced: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
    await pacer.acquire();
    return next(args);
  };
  client.middlewareStack.addRelativeTo(paced, {
    name: PACING_MIDDLEWARE_NAME,
    relation: "after",
    toMiddleware: "retryMiddleware",
    override: true,
  });
}
