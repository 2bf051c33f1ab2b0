// Simulator layer (traffic): per-service rate limits, seeded fault injection and the call log tests read.

export type ServiceName = "sesv2" | "iam" | "sts" | "firehose" | "tagging" | "lambda" | "sqs";
export const SERVICE_NAMES: readonly ServiceName[] = [
  "sesv2",
  "iam",
  "sts",
  "firehose",
  "tagging",
  "lambda",
  "sqs",
];

/** A token bucket: `burst` requests at once, refilled at `ratePerSecond`. */
export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}
export type RateLimits = Partial<Record<ServiceName, RateLimit>>;

export interface FaultOptions {
  /** Seed of the PRNG: the same seed and the same sequence of requests give the same faults. */
  seed: number;
  /** Probability (0..1) that a matching request is answered with the service's throttling error. */
  throttleRate?: number;
  /** Probability (0..1) that a matching request is answered with the service's 5xx error. */
  serverErrorRate?: number;
  /** Added delay before every matching request is answered. */
  latencyMs?: number;
  /** Only these operations (`"CreateRole"` or `"iam:CreateRole"`); all when absent. */
  operations?: readonly string[];
}

export type FaultKind = "throttle" | "server-error";

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError(
        `Invalid rate limit ${JSON.stringify(limit)}: ratePerSecond must be > 0 and burst >= 1.`,
      );
    }
    this.tokens = limit.burst;
    this.last = this.now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + ((now - this.last) / 1000) * this.limit.ratePerSecond,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** mulberry32: a tiny, well-distributed, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly random: () => number;
  private readonly operations: ReadonlySet<string> | undefined;

  constructor(private readonly options: FaultOptions) {
    for (const key of ["throttleRate", "serverErrorRate"] as const) {
      const rate = options[key] ?? 0;
      if (!(rate >= 0 && rate <= 1))
        throw new RangeError(`faults.${key} must be between 0 and 1, got ${rate}.`);
    }
    if (!((options.latencyMs ?? 0) >= 0)) throw new RangeError(`faults.latencyMs must be >= 0.`);
    this.random = seededRandom(options.seed);
    this.operations = options.operations === undefined ? undefined : new Set(options.operations);
  }

  applies(service: ServiceName, operation: string): boolean {
    return (
      this.operations === undefined ||
      this.operations.has(operation) ||
      this.operations.has(`${service}:${operation}`)
    );
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** One PRNG draw per matching request decides its fate. */
  draw(): FaultKind | undefined {
    const throttle = this.options.throttleRate ?? 0;
    const serverError = this.options.serverErrorRate ?? 0;
    if (throttle === 0 && serverError === 0) return undefined;
    const roll = this.random();
    if (roll < throttle) return "throttle";
    if (roll < throttle + serverError) return "server-error";
    return undefined;
  }
}

export interface CallLogEntry {
  /** "unknown" for requests no simulated service recognised. */
  service: ServiceName | "unknown";
  operation: string;
  status: number;
  errorCode?: string;
  /** What the simulator injected, if anything: a rate-limit rejection or a seeded fault. */
  injected?: "rate-limit" | FaultKind;
  /** Epoch milliseconds of the simulator clock when the answer was sent. */
  time: number;
}

export interface CallFilter {
  service?: ServiceName | "unknown";
  operation?: string;
  status?: number;
  errorCode?: string;
}

/** Every request the server answered, in order. */
export class CallLog {
  private readonly log: CallLogEntry[] = [];

  record(entry: CallLogEntry): void {
    this.log.push(entry);
  }

  /** A copy of the entries, optionally filtered. */
  entries(filter: CallFilter = {}): CallLogEntry[] {
    return this.log.filter((entry) => matches(entry, filter));
  }

  count(filter: CallFilter = {}): number {
    let total = 0;
    for (const entry of this.log) if (matches(entry, filter)) total += 1;
    return total;
  }

  /** Counts keyed `service:Operation`, e.g. `{ "iam:CreateRole": 3 }`. */
  countByOperation(filter: CallFilter = {}): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.log) {
      if (!matches(entry, filter)) continue;
      const key = `${entry.service}:${entry.operation}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Counts keyed by service. */
  countByService(filter: CallFilter = {}): Partial<Record<ServiceName | "unknown", number>> {
    const counts: Partial<Record<ServiceName | "unknown", number>> = {};
    for (const entry of this.log) {
      if (matches(entry, filter)) counts[entry.service] = (counts[entry.service] ?? 0) + 1;
    }
    return counts;
  }

  get size(): number {
    return this.log.length;
  }

  reset(): void {
    this.log.length = 0;
  }
}

function matches(entry: CallLogEntry, filter: CallFilter): boolean {
  return (
    (filter.service === undefined || entry.service === filter.service) &&
    (filter.operation === undefined || entry.operation === filter.operation) &&
    (filter.status === undefined || entry.status === filter.status) &&
    (filter.errorCode === undefined || entry.errorCode === filter.errorCode)
  );
}
