// Core layer: the context of one reconcile — its deps and options, what it wrote (or, in a dry run, would write).
import type { CoreDeps, ResolvedDeps, RunOptions } from "./deps";
import { resolveDeps } from "./deps";
import { isAwsError } from "./errors";

/** The state of one reconcile: what it wrote (or would write) and the AWS operation in flight, for error messages. */
export interface Run {
  /** The configuration set. */
  readonly name: string;
  readonly deps: ResolvedDeps;
  readonly options: RunOptions;
  readonly actions: string[];
  operation: string;
}

export function startRun(name: string, deps: CoreDeps, options: RunOptions, operation: string): Run {
  return { name, deps: resolveDeps(deps), options, actions: [], operation };
}

/** Performs a read, remembering its operation name for the message of an unexpected failure. */
export async function read<T>(run: Run, operation: string, call: () => Promise<T>): Promise<T> {
  run.operation = operation;
  return call();
}

/** Performs a write (or, in a dry run, only plans it) and records it in `actions` once it has succeeded. */
export async function write(run: Run, action: string, call: () => Promise<unknown>): Promise<void> {
  run.operation = action;
  if (!run.options.dryRun) await call();
  run.actions.push(action);
}

/** Runs `call`, treating the AWS errors named as success (a delete of something already gone). */
export async function ignoring(errorNames: readonly string[], call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isAwsError(err, ...errorNames)) throw err;
  }
}
