// Test support: a local HTTP server standing in for CloudFormation's pre-signed S3 ResponseURL. It records every PUT
// (method, headers, body) and can refuse the first ones, to show that an answer is retried; and a CloudFormation
// custom-resource request for the StackLifecycle resource, shaped as AWS documents it.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import type { CustomResourceAnswer } from "../../shared/custom-resource-response";

export interface ReceivedPut {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent; `answer` is it parsed. */
  raw: string;
  answer: CustomResourceAnswer;
  /** Milliseconds since the server started. */
  atMs: number;
}

export interface ResponseUrlServer {
  /** A URL with a path and query, as a pre-signed S3 URL has. */
  url(name?: string): string;
  /** Every request answered 200 (the ones refused are not included). */
  readonly received: ReceivedPut[];
  /** Requests refused with 503 so far. */
  readonly refused: number;
  /** Refuse the next `count` requests with HTTP 503 (S3's "SlowDown"-like answer). */
  refuseNext(count: number): void;
  /** Resolves when `count` answers have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<ReceivedPut[]>;
  stop(): Promise<void>;
}

export async function startResponseUrlServer(): Promise<ResponseUrlServer> {
  const received: ReceivedPut[] = [];
  const started = performance.now();
  let toRefuse = 0;
  let refused = 0;
  const waiters: (() => void)[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (toRefuse > 0) {
        toRefuse -= 1;
        refused += 1;
        response.writeHead(503).end("<Error><Code>SlowDown</Code></Error>");
        return;
      }
      const raw = Buffer.concat(chunks).toString("utf8");
      received.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        raw,
        answer: JSON.parse(raw) as CustomResourceAnswer,
        atMs: performance.now() - started,
      });
      response.writeHead(200).end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name = randomUUID()) =>
      `http://127.0.0.1:${port}/cloudformation-custom-resource-response-useast1/${name}?X-Amz-Signature=test`,
    received,
    get refused() {
      return refused;
    },
    refuseNext(count) {
      toRefuse = count;
    },
    waitFor(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${received.length} answer(s) after ${timeoutMs} ms, expected ${count}`)),
          timeoutMs,
        );
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve([...received]);
          } else waiters.push(check);
        };
        check();
      });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}

export interface LifecycleRequestOptions {
  responseUrl: string;
  region: string;
  accountId: string;
  serviceToken: string;
  properties: Record<string, string>;
  oldProperties?: Record<string, string>;
  physicalResourceId?: string;
}

/**
 * A request as CloudFormation sends it to a Lambda-backed custom resource (fields and string-typed property values
 * as in the AWS CloudFormation User Guide, "Custom resource request objects").
 */
export function lifecycleRequest(
  requestType: "Create" | "Update" | "Delete",
  options: LifecycleRequestOptions,
): CloudFormationCustomResourceEvent {
  const stackId = `arn:aws:cloudformation:${options.region}:${options.accountId}:stack/ses-firehose-autowire/5b6f1a30-9d6e-11ef-8c7e-0a1b2c3d4e5f`;
  const common = {
    ServiceToken: options.serviceToken,
    ResponseURL: options.responseUrl,
    StackId: stackId,
    RequestId: randomUUID(),
    LogicalResourceId: "StackLifecycle",
    ResourceType: "Custom::SesFirehoseAutowire",
    ResourceProperties: { ServiceToken: options.serviceToken, ...options.properties },
  };
  if (requestType === "Create") return { ...common, RequestType: "Create" };
  const physicalResourceId = options.physicalResourceId ?? "missing";
  if (requestType === "Delete")
    return { ...common, RequestType: "Delete", PhysicalResourceId: physicalResourceId };
  return {
    ...common,
    RequestType: "Update",
    PhysicalResourceId: physicalResourceId,
    OldResourceProperties: { ServiceToken: options.serviceToken, ...(options.oldProperties ?? {}) },
  };
}
