// Bench layer: figure 3 — AWS calls per reconcile, counted from the simulator's call log (SES counted apart).
import { runBackfill } from "../shared/backfill";
import { reconcile } from "../shared/reconcile";
import { startSimulator, type Simulator } from "../simulator";
import { figure, type Figure } from "./results";
import {
  configFor,
  isWrite,
  reconcileDeps,
  seedMix,
  seedSet,
  silentLogger,
  simulatorClients,
  STREAM_NAME,
  total,
  type Mix,
} from "./world";

export interface CallCounts {
  total: number;
  writes: number;
  sesv2: number;
  iam: number;
  firehose: number;
  describeDeliveryStream: number;
  /** SES CreateConfigurationSetEventDestination answered "Could not assume / access" (IAM propagation). */
  propagationRetries: number;
  byOperation: Record<string, number>;
}

export function countCalls(sim: Simulator): CallCounts {
  const entries = sim.callLog.entries();
  const propagationRetries = entries.filter(
    (entry) =>
      entry.service === "sesv2" &&
      /EventDestination$/.test(entry.operation) &&
      entry.errorCode === "BadRequestException",
  ).length;
  return {
    total: entries.length,
    writes: entries.filter((entry) => isWrite(entry.operation)).length,
    sesv2: entries.filter((entry) => entry.service === "sesv2").length,
    iam: entries.filter((entry) => entry.service === "iam").length,
    firehose: entries.filter((entry) => entry.service === "firehose").length,
    describeDeliveryStream: sim.callLog.count({ operation: "DescribeDeliveryStream" }),
    propagationRetries,
    byOperation: sim.callLog.countByOperation(),
  };
}

export interface ApiCallBenchOptions {
  /** Sets in the backfill that shares one stream. */
  backfillMix: Mix;
}

export async function benchApiCalls(options: ApiCallBenchOptions): Promise<Figure[]> {
  const sim = await startSimulator({ propagationDelayMs: 0, limits: { rolesPerAccount: 100_000 } });
  try {
    sim.state.createDeliveryStream(STREAM_NAME);
    const config = configFor(sim);
    const deps = () => reconcileDeps(sim, config, simulatorClients(sim));

    // An already-correct set, fully verified: destination, role trust policy and inline policy are all read.
    seedSet(sim, config, "already-correct", "correct");
    sim.callLog.reset();
    const correct = await reconcile("already-correct", deps());
    const correctCalls = countCalls(sim);
    if (correct.outcome !== "unchanged") throw new Error(`already-correct set came out ${correct.outcome}`);

    // A new opted-in set: everything created.
    seedSet(sim, config, "brand-new", "new");
    sim.callLog.reset();
    const created = await reconcile("brand-new", deps());
    const newCalls = countCalls(sim);
    if (created.outcome !== "created")
      throw new Error(`new set came out ${created.outcome}: ${created.error}`);

    // A backfill over many sets that share one stream: DescribeDeliveryStream once per run.
    const names = seedMix(sim, config, options.backfillMix, "shared");
    const clients = simulatorClients(sim);
    sim.callLog.reset();
    const backfill = await runBackfill(
      { dryRun: false, configurationSetNames: Object.values(names).flat() },
      { ...clients, config, logger: silentLogger(), region: sim.region, accountId: sim.accountId },
    );
    const backfillCalls = countCalls(sim);
    const failed = backfill.results.filter((entry) => entry.outcome === "failed");
    if (failed.length > 0) throw new Error(`backfill failed sets: ${JSON.stringify(failed.slice(0, 3))}`);
    const optedIn = options.backfillMix.new + options.backfillMix.correct;

    return [
      figure({
        figure: "api-calls/already-correct",
        description: "SES calls to reconcile a set that is already correct, fully verified (0 writes).",
        inputs: {
          reconcile: "one set, no role listing",
          verified: ["destination", "trust policy", "inline policy"],
        },
        value: correctCalls.sesv2,
        unit: "SES calls",
        baseline: 2,
        baselineDescription: "budget of the issue: at most 2 SES calls",
        maxRatio: 1,
        checks: [
          { name: "write calls", value: correctCalls.writes, max: 0 },
          { name: "IAM calls", value: correctCalls.iam, max: 2 },
          { name: "DescribeDeliveryStream calls", value: correctCalls.describeDeliveryStream, max: 1 },
        ],
        details: { ...correctCalls },
      }),
      figure({
        figure: "api-calls/new-set",
        description: "All calls to wire a new opted-in set (propagation retries not counted).",
        inputs: { reconcile: "one new set, no role listing", propagationDelayMs: 0 },
        value: newCalls.total - newCalls.propagationRetries,
        unit: "calls",
        baseline: 8,
        baselineDescription: "budget of the issue: at most 8 calls in all",
        maxRatio: 1,
        checks: [{ name: "SES calls (scarce)", value: newCalls.sesv2 - newCalls.propagationRetries, max: 3 }],
        details: { ...newCalls },
      }),
      figure({
        figure: "api-calls/backfill-shared-stream",
        description: "DescribeDeliveryStream calls in one backfill run whose opted-in sets share one stream.",
        inputs: { sets: total(options.backfillMix), mix: options.backfillMix, optedInSets: optedIn },
        value: backfillCalls.describeDeliveryStream,
        unit: "DescribeDeliveryStream",
        baseline: 1,
        baselineDescription: "budget of the issue: each stream described at most once per run",
        maxRatio: 1,
        details: {
          withoutPerRunCache: optedIn,
          sesv2: backfillCalls.sesv2,
          iam: backfillCalls.iam,
          writes: backfillCalls.writes,
          byOperation: backfillCalls.byOperation,
        },
      }),
    ];
  } finally {
    await sim.stop();
  }
}
