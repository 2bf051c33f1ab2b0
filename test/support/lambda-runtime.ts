// Test support (Lambda runtime emulator): run the built bundles in dist/ unmodified, each in its own warm child
// process ("container") with the simulator's endpoint variables, a Lambda-shaped context and the function's timeout.
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import { FUNCTION_IDS, loadTemplate, type CfnTemplate, type FunctionId } from "./cfn-template";

const ROOT = path.join(__dirname, "..", "..");
const CONTAINER_SCRIPT = path.join(__dirname, "lambda-container.cjs");

interface FunctionSettings {
  /** Folder under dist/ (from the esbuild EntryPoint). */
  folder: string;
  timeoutMs: number;
  memoryMb: number;
}

/** Bundle folder, timeout and memory of a function, read from template.yaml so they cannot drift from a deploy. */
let template: CfnTemplate | undefined;

export function functionSettings(fn: FunctionId): FunctionSettings {
  template ??= loadTemplate();
  const resource = template.Resources[fn];
  if (resource === undefined) throw new Error(`template.yaml has no ${fn}`);
  const properties = resource.Properties ?? {};
  const globals = template.Globals.Function;
  const entryPoint = (resource.Metadata as { BuildProperties?: { EntryPoints?: string[] } } | undefined)
    ?.BuildProperties?.EntryPoints?.[0];
  if (entryPoint === undefined) throw new Error(`${fn} has no esbuild EntryPoint in template.yaml`);
  return {
    folder: path.basename(path.dirname(entryPoint)),
    timeoutMs: Number(properties.Timeout ?? globals.Timeout ?? 3) * 1000,
    memoryMb: Number(properties.MemorySize ?? globals.MemorySize ?? 128),
  };
}

export function bundlePath(fn: FunctionId): string {
  return path.join(ROOT, "dist", functionSettings(fn).folder, "index.js");
}

export const CLI_PATH = path.join(ROOT, "dist", "cli.js");

/** Fails with the fix when `npm run build` has not been run (the e2e suite tests the bundles, not the sources). */
export function assertBuilt(): void {
  const missing = [...FUNCTION_IDS.map((fn) => bundlePath(fn)), CLI_PATH].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`Built bundles missing (${missing.join(", ")}): run \`npm run build\` first.`);
  }
}

/** What the Lambda runtime reports for a failed invocation (`errorType` / `errorMessage`, as in `sam remote invoke`). */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  stack?: string;
}

export type InvokeResult<T = unknown> =
  | { ok: true; result: T; durationMs: number }
  | { ok: false; phase: "init" | "invoke" | "timeout"; error: LambdaError; durationMs: number };

export interface ContainerOptions {
  fn: FunctionId;
  /** The function's environment: simulator endpoints and the variables of docs/contract.md. Nothing else is inherited. */
  env: Record<string, string>;
  region?: string;
  accountId?: string;
  /** Physical function name (default `ses-firehose-autowire-<logical id>`). */
  functionName?: string;
  /** Function timeout; the context's remaining time counts down from it (default: the template's). */
  timeoutMs?: number;
  /** Default: the template's. */
  memoryMb?: number;
}

export interface InvokeOptions {
  /** This invocation's timeout instead of the container's (e.g. a tiny one to force a backfill continuation). */
  timeoutMs?: number;
}

/** A warm Lambda execution environment for one function: one invocation at a time, module scope kept. */
export interface LambdaContainer {
  readonly functionName: string;
  readonly functionArn: string;
  invoke<T = unknown>(event: unknown, options?: InvokeOptions): Promise<InvokeResult<T>>;
  /** Everything the function printed (Powertools JSON logs, EMF metrics), one entry per line. */
  logLines(): string[];
  /** The JSON log lines, parsed (non-JSON lines are skipped). */
  logRecords(): Record<string, unknown>[];
  stop(): Promise<void>;
}

interface Reply {
  id: string;
  ok: boolean;
  result?: unknown;
  phase?: "init" | "invoke";
  error?: LambdaError;
}

/** Environment of a function bundle: only what Lambda would set, plus `env`. */
function containerEnv(
  options: ContainerOptions,
  functionName: string,
  region: string,
  memoryMb: number,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    ...options.env,
  };
}

/** Starts a container: forks Node.js, requires the bundle (its module scope runs now, like a cold start). */
export async function startLambdaContainer(options: ContainerOptions): Promise<LambdaContainer> {
  const region = options.region ?? options.env.AWS_REGION ?? "us-east-1";
  const accountId = options.accountId ?? "111122223333";
  const functionName = options.functionName ?? `ses-firehose-autowire-${options.fn}`;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const settings = functionSettings(options.fn);
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
  const memoryMb = options.memoryMb ?? settings.memoryMb;

  const child: ChildProcess = fork(CONTAINER_SCRIPT, [bundlePath(options.fn)], {
    env: containerEnv(options, functionName, region, memoryMb),
    execArgv: [],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts.filter((line) => line !== ""));
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  const pending = new Map<string, (reply: Reply) => void>();
  child.on("message", (message: Reply | { ready: true }) => {
    if ("id" in message) pending.get(message.id)?.(message);
  });
  const exited = once(child, "exit");
  child.on("exit", (code, signal) => {
    for (const resolve of pending.values()) {
      resolve({
        id: "",
        ok: false,
        phase: "invoke",
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `container exited (${signal ?? code})`,
        },
      });
    }
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) =>
      reject(
        new Error(`${options.fn} container exited with ${code} before it was ready: ${lines.join("\n")}`),
      ),
    );
  });

  let queue: Promise<unknown> = Promise.resolve();
  const runOne = async <T>(event: unknown, invokeOptions: InvokeOptions): Promise<InvokeResult<T>> => {
    const id = randomUUID();
    const started = performance.now();
    const limitMs = invokeOptions.timeoutMs ?? timeoutMs;
    const reply = await new Promise<Reply | "timeout">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), limitMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.send({
        id,
        event,
        functionName,
        functionArn,
        memoryMb,
        requestId: id,
        deadline: Date.now() + limitMs,
      });
    });
    pending.delete(id);
    const durationMs = performance.now() - started;
    if (reply === "timeout") {
      // Lambda stops an invocation at its timeout; the environment is not reused.
      child.kill("SIGKILL");
      return {
        ok: false,
        phase: "timeout",
        error: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${limitMs} ms` },
        durationMs,
      };
    }
    if (reply.ok) return { ok: true, result: reply.result as T, durationMs };
    return {
      ok: false,
      phase: reply.phase ?? "invoke",
      error: reply.error ?? { errorType: "Unknown", errorMessage: "no error details" },
      durationMs,
    };
  };

  return {
    functionName,
    functionArn,
    invoke<T>(event: unknown, invokeOptions: InvokeOptions = {}): Promise<InvokeResult<T>> {
      // One invocation at a time per execution environment, as in Lambda.
      const next = queue.then(() => runOne<T>(event, invokeOptions));
      queue = next.catch(() => undefined);
      return next;
    },
    logLines: () => [...lines],
    logRecords: () =>
      lines.flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** Throws with the function's error (type and message) unless the invocation succeeded; returns its result. */
export function resultOf<T>(invocation: InvokeResult<T>): T {
  if (!invocation.ok) {
    throw new Error(
      `invocation failed (${invocation.phase}): ${invocation.error.errorType}: ${invocation.error.errorMessage}`,
    );
  }
  return invocation.result;
}
