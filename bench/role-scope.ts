// Bench layer: figure 5 — ROLE_SCOPE=delivery-stream: the calls to wire a new set whose stream's role exists, and
// the IAM roles a 2,000-set account uses in each scope, both against the configuration-set scope in the same run.
import { runBackfillStep } from "../shared/backfill-run";
import type { Config } from "../shared/config";
import { reconcile } from "../shared/reconcile";
import { startSimulator, type Simulator } from "../simulator";
import { countCalls } from "./api-calls";
import { figure, type Figure } from "./results";
import { configFor, reconcileDeps, silentLogger, simulatorClients, STREAM_NAME, TAG_KEY } from "./world";

export interface RoleScopeBenchOptions {
  /** Configuration sets of the account whose roles are counted (2,000 in the full run). */
  sets: number;
  /** Delivery streams they publish to, round-robin (3 in the full run). */
  streams: number;
  /** Backfill worker pool. */
  concurrency: number;
}

async function newSetCalls(sim: Simulator, config: Config, name: string) {
  sim.state.createConfigurationSet(name, { [TAG_KEY]: "enabled" });
  sim.callLog.reset();
  const entry = await reconcile(name, reconcileDeps(sim, config, simulatorClients(sim)));
  if (entry.outcome !== "created") throw new Error(`${name} came out ${entry.outcome}: ${entry.error}`);
  const calls = countCalls(sim);
  const iamWrites = Object.entries(calls.byOperation)
    .filter(([operation]) => operation.startsWith("iam:") && !/^iam:(Get|List)/.test(operation))
    .reduce((sum, [, count]) => sum + count, 0);
  return { ...calls, iamWrites };
}

/** Full audit of every set (the real run step, as the schedule runs it); roles under our path after it. */
async function auditAndCountRoles(sim: Simulator, config: Config, concurrency: number) {
  const started = performance.now();
  sim.callLog.reset();
  const step = await runBackfillStep(
    { dryRun: false, discovery: "list" },
    {
      ...simulatorClients(sim),
      config,
      logger: silentLogger(),
      region: sim.region,
      accountId: sim.accountId,
    },
    { concurrency },
  );
  if (step.status !== "complete") throw new Error("the audit did not finish in one step");
  if (step.report.counts.failed > 0)
    throw new Error(`failed sets: ${JSON.stringify(step.report.results[0])}`);
  return {
    roles: sim.state.roleNames(config.rolePath).length,
    counts: step.report.counts,
    streamRoles: step.report.streamRoles,
    calls: countCalls(sim),
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export async function benchRoleScope(options: RoleScopeBenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const calls = await startSimulator({ propagationDelayMs: 0 });
  try {
    calls.state.createDeliveryStream(STREAM_NAME);
    const perSet = configFor(calls);
    const perStream = configFor(calls, { ROLE_SCOPE: "delivery-stream" });
    const baseline = await newSetCalls(calls, perSet, "per-set-new");
    await newSetCalls(calls, perStream, "first-on-stream"); // creates the stream's role
    const measured = await newSetCalls(calls, perStream, "next-on-stream");
    figures.push(
      figure({
        figure: "role-scope/new-set-stream-role-exists",
        description:
          "All calls to wire a new set in delivery-stream scope when its stream's role already exists (no IAM write).",
        inputs: { roleScope: "delivery-stream", streamRoleExists: true, propagationDelayMs: 0 },
        value: measured.total,
        unit: "calls",
        baseline: baseline.total,
        baselineDescription: "the same new set in configuration-set scope (creates its own role), same run",
        maxRatio: 1,
        checks: [
          { name: "IAM write calls", value: measured.iamWrites, max: 0 },
          { name: "SES calls (scarce)", value: measured.sesv2, max: 3 },
          { name: "write calls", value: measured.writes, max: 1 },
        ],
        details: { deliveryStream: measured, configurationSet: baseline },
      }),
    );
  } finally {
    await calls.stop();
  }

  const sim = await startSimulator({ propagationDelayMs: 0, limits: { rolesPerAccount: 5_000 } });
  try {
    const streams = Array.from({ length: options.streams }, (_, i) => `events-${i}`);
    for (const stream of streams) sim.state.createDeliveryStream(stream);
    for (let i = 0; i < options.sets; i += 1) {
      sim.state.createConfigurationSet(`tenant-${String(i).padStart(5, "0")}`, {
        [TAG_KEY]: streams[i % streams.length]!,
      });
    }
    const perStream = await auditAndCountRoles(
      sim,
      configFor(sim, { ROLE_SCOPE: "delivery-stream" }),
      options.concurrency,
    );
    const switched = await auditAndCountRoles(sim, configFor(sim), options.concurrency);
    const dangling = sim.state.danglingRoleDeletions().length;
    figures.push(
      figure({
        figure: `role-scope/roles-for-${options.sets}-sets`,
        description: `IAM roles used by ${options.sets} opted-in sets on ${options.streams} streams in delivery-stream scope, against configuration-set scope.`,
        inputs: { sets: options.sets, streams: options.streams, concurrency: options.concurrency },
        value: perStream.roles,
        unit: "roles",
        baseline: switched.roles,
        baselineDescription:
          "the same account after switching to configuration-set scope (one role per opted-in set)",
        maxRatio: 1,
        checks: [
          { name: "roles beyond one per stream", value: perStream.roles - options.streams, max: 0 },
          {
            // Only the sets racing for a stream's first CreateRole may try it (EntityAlreadyExists, then read back).
            name: "CreateRole calls in delivery-stream scope",
            value: perStream.calls.byOperation["iam:CreateRole"] ?? 0,
            max: options.streams * options.concurrency,
          },
          { name: "DeleteRole calls that left a destination naming the role", value: dangling, max: 0 },
        ],
        details: { deliveryStream: perStream, configurationSet: switched },
      }),
    );
  } finally {
    await sim.stop();
  }
  return figures;
}
