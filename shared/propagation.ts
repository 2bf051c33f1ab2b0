// Core layer: retry SES's two IAM-propagation rejections (docs/architecture.md, "IAM propagation") with full jitter.
import type { Clock } from "./deps";
import { describeError, PropagationTimeoutError } from "./errors";

/** First backoff ceiling (the first wait is at most this, and no ceiling is lower), and the cap of every wait. */
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 8_000;
/**
 * A wait is at most this fraction of the time already spent retrying. The time spent so far then grows
 * geometrically (exponential backoff), yet SES is asked again soon after the role becomes usable: the overshoot
 * past the propagation delay stays a small fraction of it (median ~13% for 3-8 s delays, bench/ figure 2)
 * instead of up to a whole 8 s wait, at a few more SES calls (~7 for 3 s, ~12 for 8 s, ~26 for 60 s).
 */
export const ELAPSED_FRACTION = 0.5;
/** Time kept back from the Lambda's remaining time so a spent budget still leaves room to report. */
export const SAFETY_MARGIN_MS = 10_000;

/**
 * The one place the project reads an error's message: SES gives these two rejections no name of their own (both
 * are BadRequestException, like every invalid input), so their text is all that tells them apart.
 */
const PROPAGATION_MESSAGES = [/could not assume iam role/i, /could not access kinesis firehose stream/i];

/** True only for SES's BadRequestException "Could not assume IAM role …" / "Could not access Kinesis Firehose Stream …". */
export function isPropagationError(err: unknown): boolean {
  const { name, message } = describeError(err);
  return name === "BadRequestException" && PROPAGATION_MESSAGES.some((pattern) => pattern.test(message));
}

/** min(configured budget, remaining Lambda time − safety margin), never negative. */
export function propagationBudgetMs(
  propagationTimeoutSeconds: number,
  remainingTimeMs?: (() => number) | undefined,
  safetyMarginMs = SAFETY_MARGIN_MS,
): number {
  const configured = propagationTimeoutSeconds * 1000;
  if (remainingTimeMs === undefined) return configured;
  return Math.max(0, Math.min(configured, remainingTimeMs() - safetyMarginMs));
}

export interface PropagationRetryOptions {
  budgetMs: number;
  clock: Clock;
  /** Told about each wait, for a log line. */
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/**
 * Runs `operation`; while it fails with a propagation error, waits random × min(cap, max(first, fraction ×
 * time spent so far)) — full jitter — and tries again, as long as the wait ends inside the budget. Any other
 * error is thrown at once.
 */
export async function withPropagationRetry<T>(
  operation: () => Promise<T>,
  options: PropagationRetryOptions,
): Promise<T> {
  const { clock } = options;
  const started = clock.now();
  const deadline = started + options.budgetMs;
  const attempt = async (n: number): Promise<T> => {
    try {
      return await operation();
    } catch (err) {
      if (!isPropagationError(err)) throw err;
      const spent = clock.now() - started;
      const ceiling = Math.min(MAX_DELAY_MS, Math.max(FIRST_DELAY_MS, ELAPSED_FRACTION * spent));
      const delayMs = Math.floor(clock.random() * ceiling);
      if (clock.now() + delayMs >= deadline) {
        const seconds = Math.round((clock.now() - started) / 100) / 10;
        throw new PropagationTimeoutError(
          `SES still rejected the role after ${n + 1} attempts over ${seconds} s ` +
            `(IAM propagation budget ${Math.round(options.budgetMs / 1000)} s spent): ${describeError(err).message}`,
          { cause: err },
        );
      }
      options.onRetry?.(n + 1, delayMs, err);
      await clock.sleep(delayMs);
      return attempt(n + 1);
    }
  };
  return attempt(0);
}
