// Bench layer: figure 2 — time from reconcile start to destination created for a new set, through the simulator's
// IAM propagation delay, against a naive fixed-sleep strategy measured the same way.
import type { ServiceInputTypes, ServiceOutputTypes, SESv2Client } from "@aws-sdk/client-sesv2";
import type { FinalizeRequestMiddleware } from "@smithy/types";
import { reconcile } from "../shared/reconcile";
import { setTimeout as sleep } from "node:timers/promises";
import { systemClock } from "../shared/deps";
import { startSimulator } from "../simulator";
import { figure, type Figure } from "./results";
import { median } from "./stats";
import { configFor, reconcileDeps, seedSet, simulatorClients, STREAM_NAME } from "./world";

export const PROPAGATION_TARGET = 1.25;
/** What a naive implementation does: sleep a fixed 10 s after creating the role, then create the destination. */
export const FIXED_SLEEP_MS = 10_000;

export interface PropagationBenchOptions {
  delaysMs: readonly number[];
  /** New sets reconciled at once per delay (each is one sample; they do not share roles). */
  trials: number;
  /**
   * Trial i starts i × this later: the simulator serves every trial on one thread, so trials that start together
   * would queue behind each other's first calls and measure the queue, not the strategy.
   */
  staggerMs: number;
  fixedSleepMs?: number;
}

/** Counts the HTTP attempts a client makes for one command (a finalizeRequest middleware sees each retry). */
function countAttempts(client: SESv2Client, commandName: string): { count: number } {
  const counter = { count: 0 };
  const middleware: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next, context) => async (args) => {
      if (context.commandName === commandName) counter.count += 1;
      return next(args);
    };
  client.middlewareStack.add(middleware, { step: "finalizeRequest", name: "benchAttemptCounter" });
  return counter;
}

interface Trial {
  elapsedMs: number;
  createAttempts: number;
}

export async function benchPropagation(options: PropagationBenchOptions): Promise<Figure[]> {
  const fixedSleepMs = options.fixedSleepMs ?? FIXED_SLEEP_MS;
  const figures: Figure[] = [];
  for (const delayMs of options.delaysMs) {
    const sim = await startSimulator({ propagationDelayMs: delayMs });
    try {
      sim.state.createDeliveryStream(STREAM_NAME);
      const config = configFor(sim);

      /** One new set through the real core; `wait` decides the strategy between SES's rejections. */
      const trial = async (name: string, wait?: (ms: number) => Promise<void>): Promise<Trial> => {
        seedSet(sim, config, name, "new");
        // Trials run at once, so each has its own clients and counts its own destination-create attempts.
        const clients = simulatorClients(sim);
        const attempts = countAttempts(clients.sesv2, "CreateConfigurationSetEventDestinationCommand");
        const started = performance.now();
        const entry = await reconcile(name, {
          ...reconcileDeps(sim, config, clients),
          ...(wait === undefined ? {} : { clock: { ...systemClock, sleep: wait } }),
        });
        const elapsedMs = performance.now() - started;
        if (entry.outcome !== "created") throw new Error(`${name} came out ${entry.outcome}: ${entry.error}`);
        return { elapsedMs, createAttempts: attempts.count };
      };

      // The trials overlap (staggered starts); the fixed-sleep baseline runs alongside them, on the same machine load.
      const backoff = Array.from({ length: options.trials }, async (_, i) => {
        await sleep(i * options.staggerMs);
        return trial(`backoff-${delayMs}-${i}`);
      });
      const fixed = trial(`fixed-sleep-${delayMs}`, () => sleep(fixedSleepMs));
      const [backoffTrials, fixedTrial] = await Promise.all([Promise.all(backoff), fixed]);
      const elapsed = backoffTrials.map((t) => t.elapsedMs);
      const attempts = backoffTrials.map((t) => t.createAttempts);
      const value = median(elapsed);
      figures.push(
        figure({
          figure: `propagation/${delayMs / 1000}s`,
          description:
            "Median time from reconcile start to event destination created for a new set, divided by the " +
            "simulated IAM propagation delay.",
          inputs: {
            propagationDelayMs: delayMs,
            trials: options.trials,
            trialStaggerMs: options.staggerMs,
            strategy: "exponential backoff, full jitter (shared/propagation.ts)",
          },
          value,
          unit: "ms",
          baseline: fixedTrial.elapsedMs,
          baselineDescription: `naive strategy, same reconcile: a fixed ${fixedSleepMs / 1000} s sleep between attempts`,
          ratio: value / delayMs,
          baselineRatio: fixedTrial.elapsedMs / delayMs,
          maxRatio: PROPAGATION_TARGET,
          details: {
            elapsedMs: elapsed.map(Math.round),
            createAttempts: attempts,
            medianCreateAttempts: median(attempts),
            ratioIs: "median elapsed / propagation delay (the least any strategy can take)",
            fixedSleepCreateAttempts: fixedTrial.createAttempts,
          },
        }),
      );
    } finally {
      await sim.stop();
    }
  }
  return figures;
}
