// Simulator layer (server): one HTTP server on 127.0.0.1 routing SES v2, IAM, STS, Firehose, the Resource Groups
// Tagging API, Lambda and SQS by protocol.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DEFAULT_LIMITS,
  type InvokeHook,
  type Limits,
  type ServiceContext,
  type SimRequest,
} from "./context";
import { AwsError, renderError, type Protocol, type WireResponse } from "./protocols";
import { FIREHOSE_TARGET_PREFIX, handleFirehose } from "./services/firehose";
import {
  handleIam,
  handleSts,
  IAM_OPERATIONS,
  IAM_VERSION,
  IAM_XMLNS,
  STS_OPERATIONS,
  STS_VERSION,
  STS_XMLNS,
  unknownQueryAction,
} from "./services/iam";
import { handleLambdaInvoke, resolveLambdaOperation } from "./services/lambda";
import { handleSes, resolveSesOperation } from "./services/sesv2";
import { handleSqs, SQS_ERROR_NAMESPACE, SQS_TARGET_PREFIX, sqsError } from "./services/sqs";
import { handleTagging, TAGGING_TARGET_PREFIX } from "./services/tagging";
import { SimulatorState } from "./seeding";
import { World } from "./state";
import {
  CallLog,
  FaultInjector,
  SERVICE_NAMES,
  TokenBucket,
  type FaultOptions,
  type RateLimits,
  type ServiceName,
} from "./traffic";
import { InvocationQueue } from "./invocations";

export interface SimulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Region of the SES and Firehose resources (default us-east-1). */
  region?: string;
  /** 12-digit account ID used in every ARN (default 111122223333). */
  accountId?: string;
  /** A role created or changed less than this long ago cannot be assumed by SES (default 0). */
  propagationDelayMs?: number;
  /** A new delivery stream stays CREATING this long (default 0: ACTIVE at once). */
  deliveryStreamCreationMs?: number;
  /** The tagging API's GetResources sees a tag change only this long after it was made (default 0). */
  tagIndexLagMs?: number;
  /** Per-service token buckets; services without one are not limited (default: none). */
  rateLimits?: RateLimits;
  /** Seeded fault injection (default: none). */
  faults?: FaultOptions | undefined;
  /** Quotas; AWS defaults for anything left out. */
  limits?: Partial<Limits>;
  /** Answers Lambda RequestResponse invocations (default: none -> 400). */
  onInvoke?: InvokeHook | undefined;
  /** Clock for timestamps and IAM propagation (default Date.now). Rate limits use the real monotonic clock. */
  clock?: () => number;
}

/** Options that can change while the server runs. */
export type RuntimeOptions = Pick<
  SimulatorOptions,
  | "propagationDelayMs"
  | "deliveryStreamCreationMs"
  | "tagIndexLagMs"
  | "rateLimits"
  | "faults"
  | "limits"
  | "onInvoke"
  | "clock"
>;

export interface Simulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** Environment for an SDK client in another process: AWS_ENDPOINT_URL(_<SERVICE>), region, dummy credentials. */
  endpointEnv(): Record<string, string>;
  /** Constructor options for an SDK client in this process: endpoint, region, dummy credentials. */
  clientConfig(): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Change options while running; rate-limit buckets and the fault PRNG restart from the new settings. */
  setOptions(options: RuntimeOptions): void;
  /** Direct seeding and inspection; bypasses rate limits, faults and the call log. */
  readonly state: SimulatorState;
  /** Every request answered over HTTP. */
  readonly callLog: CallLog;
  /** Lambda invocations received with InvocationType Event. */
  readonly invocations: InvocationQueue;
  stop(): Promise<void>;
}

interface Routed {
  service: ServiceName | "unknown";
  protocol: Protocol;
  operation: string;
  /** XML namespace (Query) or error shape namespace (JSON 1.0). */
  namespace?: string;
  run: () => WireResponse | Promise<WireResponse>;
}

const THROTTLE_ERRORS: Record<ServiceName, () => AwsError> = {
  sesv2: () => new AwsError("TooManyRequestsException", 429, "Too many requests"),
  iam: () => new AwsError("Throttling", 400, "Rate exceeded"),
  sts: () => new AwsError("Throttling", 400, "Rate exceeded"),
  firehose: () => new AwsError("LimitExceededException", 400, "Rate exceeded"),
  tagging: () => new AwsError("ThrottledException", 400, "Rate exceeded"),
  lambda: () => new AwsError("TooManyRequestsException", 429, "Rate exceeded"),
  sqs: () => sqsError("RequestThrottled", "RequestThrottled", 403, "Request is throttled."),
};
const SERVER_ERRORS: Record<ServiceName, () => AwsError> = {
  sesv2: () =>
    new AwsError("InternalServiceErrorException", 500, "The request failed because of an internal error."),
  iam: () =>
    new AwsError("ServiceFailure", 500, "The request processing has failed because of an unknown error."),
  sts: () =>
    new AwsError("InternalFailure", 500, "The request processing has failed because of an unknown error."),
  firehose: () =>
    new AwsError("ServiceUnavailableException", 503, "The service is unavailable. Back off and retry."),
  tagging: () =>
    new AwsError(
      "InternalServiceException",
      500,
      "The request processing failed because of an unknown error, exception, or failure.",
    ),
  lambda: () =>
    new AwsError("ServiceException", 500, "The AWS Lambda service encountered an internal error."),
  sqs: () =>
    sqsError("InternalError", "InternalError", 500, "We encountered an internal error. Please try again."),
};

const DUMMY_CREDENTIALS = { accessKeyId: "AKIASIMULATOR0000000", secretAccessKey: "simulator-secret-key" };

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "111122223333";
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new RangeError(`region "${region}" is not valid: expected an AWS region code such as us-east-1.`);
  }
  if (!/^\d{12}$/.test(accountId))
    throw new RangeError(`accountId "${accountId}" is not valid: expected 12 digits.`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port ${port} is not valid: expected an integer from 0 to 65535.`);
  }

  const world = new World(region, accountId);
  const callLog = new CallLog();
  let clock = options.clock ?? Date.now;
  let buckets = new Map<ServiceName, TokenBucket>();
  let faults: FaultInjector | undefined;
  const ctx: ServiceContext = {
    world,
    now: () => clock(),
    propagationDelayMs: 0,
    deliveryStreamCreationMs: 0,
    tagIndexLagMs: 0,
    limits: { ...DEFAULT_LIMITS },
    onInvoke: undefined,
  };

  const setOptions = (next: RuntimeOptions): void => {
    if (next.propagationDelayMs !== undefined)
      ctx.propagationDelayMs = nonNegative("propagationDelayMs", next.propagationDelayMs);
    if (next.deliveryStreamCreationMs !== undefined) {
      ctx.deliveryStreamCreationMs = nonNegative("deliveryStreamCreationMs", next.deliveryStreamCreationMs);
    }
    if (next.tagIndexLagMs !== undefined)
      ctx.tagIndexLagMs = nonNegative("tagIndexLagMs", next.tagIndexLagMs);
    if (next.limits !== undefined) ctx.limits = { ...ctx.limits, ...next.limits };
    if ("onInvoke" in next) ctx.onInvoke = next.onInvoke;
    if (next.clock !== undefined) clock = next.clock;
    if (next.rateLimits !== undefined) {
      const fresh = new Map<ServiceName, TokenBucket>();
      for (const [service, limit] of Object.entries(next.rateLimits)) {
        if (!SERVICE_NAMES.includes(service as ServiceName)) {
          throw new RangeError(
            `rateLimits.${service} is not a simulated service: use ${SERVICE_NAMES.join(", ")}.`,
          );
        }
        if (limit !== undefined) fresh.set(service as ServiceName, new TokenBucket(limit));
      }
      buckets = fresh;
    }
    if ("faults" in next) faults = next.faults === undefined ? undefined : new FaultInjector(next.faults);
  };
  setOptions(options);

  const route = (req: SimRequest): Routed => {
    const target = header(req, "x-amz-target");
    if (target?.startsWith(TAGGING_TARGET_PREFIX) === true) {
      const operation = target.slice(TAGGING_TARGET_PREFIX.length);
      return {
        service: "tagging",
        protocol: "aws-json-1.1",
        operation,
        run: () => handleTagging(operation, req, ctx),
      };
    }
    if (target?.startsWith(SQS_TARGET_PREFIX) === true) {
      const operation = target.slice(SQS_TARGET_PREFIX.length);
      return {
        service: "sqs",
        protocol: "aws-json-1.0",
        operation,
        namespace: SQS_ERROR_NAMESPACE,
        run: () => handleSqs(operation, req, ctx),
      };
    }
    if (target !== undefined) {
      const operation = target.startsWith(FIREHOSE_TARGET_PREFIX)
        ? target.slice(FIREHOSE_TARGET_PREFIX.length)
        : target;
      return {
        service: target.startsWith(FIREHOSE_TARGET_PREFIX) ? "firehose" : "unknown",
        protocol: "aws-json-1.1",
        operation,
        run: () => handleFirehose(operation, req, ctx),
      };
    }
    if (req.path.startsWith("/v2/email/")) {
      const ses = resolveSesOperation(req);
      return {
        service: "sesv2",
        protocol: "rest-json",
        operation: ses?.operation ?? "Unknown",
        run: () => {
          if (ses === undefined) throw unknownRestOperation(req);
          return handleSes(ses, req, ctx);
        },
      };
    }
    if (req.path.startsWith("/2015-03-31/functions/")) {
      const lambda = resolveLambdaOperation(req);
      return {
        service: "lambda",
        protocol: "rest-json",
        operation: lambda?.operation ?? "Unknown",
        run: () => {
          if (lambda === undefined) throw unknownRestOperation(req);
          return handleLambdaInvoke(lambda.functionName, req, ctx);
        },
      };
    }
    if (req.method === "POST" && req.path === "/") {
      const params = new URLSearchParams(req.body.toString("utf8"));
      const action = params.get("Action") ?? "";
      const version = params.get("Version") ?? "";
      const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([a-z0-9-]+)\//.exec(
        header(req, "authorization") ?? "",
      )?.[1];
      if (version === STS_VERSION || (version === "" && scope === "sts") || STS_OPERATIONS.has(action)) {
        return {
          service: "sts",
          protocol: "aws-query",
          operation: action,
          namespace: STS_XMLNS,
          run: () => handleSts(action, ctx),
        };
      }
      return {
        service: "iam",
        protocol: "aws-query",
        operation: action,
        namespace: IAM_XMLNS,
        run: () => {
          if (!IAM_OPERATIONS.has(action)) throw unknownQueryAction(action, version || IAM_VERSION);
          return handleIam(action, params, ctx);
        },
      };
    }
    return {
      service: "unknown",
      protocol: "rest-json",
      operation: "Unknown",
      run: () => {
        throw unknownRestOperation(req);
      },
    };
  };

  const answer = async (req: SimRequest): Promise<WireResponse> => {
    const routed = route(req);
    let injected: "rate-limit" | "throttle" | "server-error" | undefined;
    let response: WireResponse;
    try {
      if (routed.service !== "unknown") {
        const service = routed.service;
        const bucket = buckets.get(service);
        if (bucket !== undefined && !bucket.tryTake()) {
          injected = "rate-limit";
          throw THROTTLE_ERRORS[service]();
        }
        const injector = faults;
        if (injector !== undefined && injector.applies(service, routed.operation)) {
          if (injector.latencyMs > 0) await sleep(injector.latencyMs);
          const fault = injector.draw();
          if (fault !== undefined) {
            injected = fault;
            throw (fault === "throttle" ? THROTTLE_ERRORS : SERVER_ERRORS)[service]();
          }
        }
      }
      response = await routed.run();
    } catch (err) {
      const error =
        err instanceof AwsError
          ? err
          : routed.service === "unknown"
            ? new AwsError("InternalFailure", 500, String(err))
            : SERVER_ERRORS[routed.service]();
      if (!(err instanceof AwsError)) process.stderr.write(`simulator: unexpected error: ${String(err)}\n`);
      response = renderError(routed.protocol, error, routed.namespace);
      callLog.record({
        service: routed.service,
        operation: routed.operation,
        status: response.status,
        errorCode: error.code,
        ...(injected === undefined ? {} : { injected }),
        time: clock(),
      });
      return response;
    }
    callLog.record({
      service: routed.service,
      operation: routed.operation,
      status: response.status,
      time: clock(),
    });
    return response;
  };

  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    const gone = new AbortController();
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) gone.abort();
    });
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
      const req: SimRequest = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body: Buffer.concat(chunks),
        signal: gone.signal,
      };
      answer(req).then(
        (response) => {
          const body = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : response.body;
          outgoing.writeHead(response.status, { ...response.headers, "content-length": String(body.length) });
          outgoing.end(body);
        },
        (err: unknown) => {
          outgoing.writeHead(500, { "content-type": "text/plain" });
          outgoing.end(`simulator failure: ${String(err)}`);
        },
      );
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${actualPort}`;

  return {
    url,
    port: actualPort,
    region,
    accountId,
    endpointEnv: () => ({
      AWS_ENDPOINT_URL: url,
      AWS_ENDPOINT_URL_SESV2: url,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ENDPOINT_URL_FIREHOSE: url,
      AWS_ENDPOINT_URL_STS: url,
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: url,
      AWS_ENDPOINT_URL_LAMBDA: url,
      AWS_ENDPOINT_URL_SQS: url,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    }),
    clientConfig: () => ({ endpoint: url, region, credentials: { ...DUMMY_CREDENTIALS } }),
    setOptions,
    state: new SimulatorState(
      world,
      () => clock(),
      () => ctx.deliveryStreamCreationMs,
      url,
    ),
    callLog,
    invocations: new InvocationQueue(world),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        world.isStopping = true;
        world.wakeLongPolls();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unknownRestOperation(req: SimRequest): AwsError {
  return new AwsError("UnknownOperationException", 404, `No operation matches ${req.method} ${req.path}.`);
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${name} must be a number >= 0, got ${value}.`);
  return value;
}
