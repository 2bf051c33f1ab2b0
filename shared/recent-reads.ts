// Adapter layer: coalesce duplicate events within one container — skip an event that a finished look already covers.

/**
 * How far an event's stated time may trail the real change: CloudTrail's `eventTime` and EventBridge's `time`
 * have one-second precision (truncated), plus a second for clock skew between AWS and the function.
 */
export const EVENT_TIME_SLACK_MS = 2_000;

/** Events older than this are always looked at (a redrive from the dead-letter queue must get a real look). */
export const COALESCING_WINDOW_MS = 15 * 60_000;

export interface RecentReadsOptions {
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
  windowMs?: number;
  /** At most this many sets are remembered (oldest forgotten first). */
  maxEntries?: number;
}

/**
 * The sets this container reconciled successfully, with the moment each reconcile began reading SES. One set's
 * events usually come two or three at once (CloudTrail, the tagging API, Tag Change on Resource, at-least-once
 * delivery). A reconcile is level-triggered: if a successful one started reading after an event's change
 * happened, it already saw that change, so the event needs no second look (which would cost SES reads).
 */
export class RecentReads {
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly readStartedAt = new Map<string, number>();

  constructor(options: RecentReadsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? COALESCING_WINDOW_MS;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Milliseconds since the epoch, for the caller to note before a reconcile starts. */
  clock(): number {
    return this.now();
  }

  /** True when a successful reconcile of `name` started reading after the event's change (with slack). */
  covers(name: string, eventTimeMs: number | undefined): boolean {
    if (eventTimeMs === undefined || this.now() - eventTimeMs > this.windowMs) return false;
    const started = this.readStartedAt.get(name);
    return started !== undefined && started >= eventTimeMs + EVENT_TIME_SLACK_MS;
  }

  /** Notes a successful reconcile of `name` that began at `startedAtMs`. */
  record(name: string, startedAtMs: number): void {
    const previous = this.readStartedAt.get(name);
    this.readStartedAt.delete(name);
    this.readStartedAt.set(name, Math.max(previous ?? startedAtMs, startedAtMs));
    if (this.readStartedAt.size > this.maxEntries) {
      const oldest = this.readStartedAt.keys().next().value;
      if (oldest !== undefined) this.readStartedAt.delete(oldest);
    }
  }
}

/** When the event's change happened: CloudTrail's `detail.eventTime`, else the envelope's `time`; undefined if neither parses. */
export function eventTimeOf(event: unknown): number | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const { detail, time } = event as { detail?: { eventTime?: unknown }; time?: unknown };
  for (const candidate of [detail?.eventTime, time]) {
    if (typeof candidate !== "string") continue;
    const parsed = Date.parse(candidate);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}
