// Infrastructure layer: the one answer to a CloudFormation custom-resource request — a PUT of the response object to
// the request's pre-signed ResponseURL (empty content type), kept under CloudFormation's 4,096-byte limit, retried.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { AnswerNotDeliveredError } from "./errors";

/** The response object CloudFormation reads from the ResponseURL (docs/uninstall.md, "The answer"). */
export interface CustomResourceAnswer {
  Status: "SUCCESS" | "FAILED";
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, string>;
}

/** "The total size of the response body can't exceed 4096 bytes" (AWS CloudFormation, custom resource response objects). */
export const MAX_RESPONSE_BYTES = 4096;
const TRUNCATED = " […truncated: the full text is in the function's log]";

const bytes = (answer: CustomResourceAnswer) => Buffer.byteLength(JSON.stringify(answer), "utf8");

/** The JSON body, with Reason shortened (never cut inside a character) so that the whole body fits 4,096 bytes. */
export function responseBody(answer: CustomResourceAnswer): string {
  if (bytes(answer) <= MAX_RESPONSE_BYTES) return JSON.stringify(answer);
  const characters = Array.from(answer.Reason);
  let low = 0;
  let high = characters.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const candidate = { ...answer, Reason: characters.slice(0, middle).join("") + TRUNCATED };
    if (bytes(candidate) <= MAX_RESPONSE_BYTES) low = middle;
    else high = middle - 1;
  }
  const fitted = { ...answer, Reason: characters.slice(0, low).join("") + TRUNCATED };
  if (bytes(fitted) > MAX_RESPONSE_BYTES) {
    throw new AnswerNotDeliveredError(
      "The response cannot fit CloudFormation's 4,096 bytes even without a reason: its Data is too large.",
    );
  }
  return JSON.stringify(fitted);
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** CloudFormation's ResponseURL is a pre-signed HTTPS S3 URL; plain HTTP is accepted only on loopback (local tests). */
function responseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AnswerNotDeliveredError(`ResponseURL ${JSON.stringify(text)} is not a URL.`);
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) return url;
  throw new AnswerNotDeliveredError(
    `ResponseURL must be an https:// URL (CloudFormation's pre-signed S3 URL), got ${url.protocol}//${url.host}.`,
  );
}

function putOnce(url: URL, body: string, timeoutMs: number): Promise<void> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: "PUT",
        // S3 signs the pre-signed URL without a content type: any other value breaks the signature.
        headers: { "content-type": "", "content-length": Buffer.byteLength(body, "utf8") },
        timeout: timeoutMs,
      },
      (response: IncomingMessage) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk.length < 500 ? chunk : chunk.slice(0, 500)));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status}${text === "" ? "" : `: ${text.slice(0, 300)}`}`));
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(body);
  });
}

export interface AnswerOptions {
  /** Milliseconds the caller still has (Lambda's remaining time minus what it keeps for itself). */
  remainingTimeMs: () => number;
  /** Attempts at most (default 6). */
  maxAttempts?: number;
  /** Longest wait for one attempt (default 10,000 ms), shortened to the remaining time. */
  attemptTimeoutMs?: number;
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * PUTs the answer to the ResponseURL; a failed attempt (network error, timeout, non-2xx) is retried with full-jitter
 * backoff (0.25 s doubling, at most 4 s) while attempts and time remain. Resolves with the number of attempts used.
 */
export async function sendAnswer(
  url: string,
  answer: CustomResourceAnswer,
  options: AnswerOptions,
): Promise<number> {
  const target = responseUrl(url);
  const body = responseBody(answer);
  const maxAttempts = options.maxAttempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    const timeoutMs = Math.max(1, Math.min(options.attemptTimeoutMs ?? 10_000, options.remainingTimeMs()));
    try {
      await putOnce(target, body, timeoutMs);
      return attempt;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const delayMs = Math.round(random() * Math.min(4000, 250 * 2 ** (attempt - 1)));
      if (attempt >= maxAttempts || options.remainingTimeMs() <= delayMs + 1000) {
        throw new AnswerNotDeliveredError(
          `The answer could not be delivered to CloudFormation after ${attempt} attempt(s): ${error.message}`,
          { cause: error },
        );
      }
      options.onRetry?.(attempt, delayMs, error);
      await sleep(delayMs);
    }
  }
}
