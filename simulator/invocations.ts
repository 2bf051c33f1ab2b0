// Simulator layer (test API): the queue of asynchronous Lambda invocations the harness reads and drains.
import type { Invocation, World } from "./state";

export type { Invocation } from "./state";

export class InvocationQueue {
  constructor(private readonly world: World) {}

  get size(): number {
    return this.world.invocations.length;
  }

  /** A copy of the queued invocations, oldest first, optionally for one function. */
  list(functionName?: string): Invocation[] {
    return this.world.invocations.filter(
      (inv) => functionName === undefined || inv.functionName === functionName,
    );
  }

  /** Removes and returns the oldest invocation. */
  shift(): Invocation | undefined {
    return this.world.invocations.shift();
  }

  /** Removes and returns every queued invocation, oldest first. */
  drain(): Invocation[] {
    return this.world.invocations.splice(0, this.world.invocations.length);
  }

  /** The payload parsed as JSON. */
  static payloadOf(invocation: Invocation): unknown {
    return invocation.payload === "" ? undefined : (JSON.parse(invocation.payload) as unknown);
  }
}
