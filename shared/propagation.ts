// Core layer: retry SES's two IAM-propagation rejections (SPEC §2.2) with exponential backoff and full jitter.
import { describeError } from "./errors";

/** First backoff ceiling (the first wait is at most this), and the cap of every later wait. */
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 8_000;
/** Time kept back from the Lambda's remaining time so a spent budget still leaves room to report. */
export const SAFETY_MARGIN_MS = 10_000;

const PROPAGATION_MESSAGES = [/could not assume iam role/i, /could not access kinesis firehose stream/i];

/** Raised when SES still rejects the role once the budget is spent; keeps the last SES message. */
export class PropagationTimeoutError extends Error {
  override readonly name = "PropagationTimeoutError";
}

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
  sleep: (ms: number) => Promise<void>;
  /** [0, 1), as Math.random. */
  random: () => number;
  now: () => number;
  /** Told about each wait, for a log line. */
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`; while it fails with a propagation error, waits random × min(cap, first × 2^n) and tries
 * again, as long as the wait ends inside the budget. Any other error is thrown at once.
 */
export async function withPropagationRetry<T>(
  operation: () => Promise<T>,
  options: PropagationRetryOptions,
): Promise<T> {
  const started = options.now();
  const deadline = started + options.budgetMs;
  const attempt = async (n: number): Promise<T> => {
    try {
      return await operation();
    } catch (err) {
      if (!isPropagationError(err)) throw err;
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** n);
      const delayMs = Math.floor(options.random() * ceiling);
      if (options.now() + delayMs >= deadline) {
        const seconds = Math.round((options.now() - started) / 100) / 10;
        throw new PropagationTimeoutError(
          `SES still rejected the role after ${n + 1} attempts over ${seconds} s ` +
            `(IAM propagation budget ${Math.round(options.budgetMs / 1000)} s spent): ${describeError(err).message}`,
          { cause: err },
        );
      }
      options.onRetry?.(n + 1, delayMs, err);
      await options.sleep(delayMs);
      return attempt(n + 1);
    }
  };
  return attempt(0);
}
