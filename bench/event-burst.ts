// Bench layer: a burst of tag events as a deploy handles it — the template's EventBridge rules route each event to
// its function (Lambda's asynchronous invocation emulated), the event functions queue each set on the template's
// reconcile queue (simulator SQS), and the emulated event source mapping drives ReconcileFunction under its
// MaximumConcurrency (test/support/sqs-event-source.ts). The baseline: no queue, every event reconciled at once.
import { SQSClient } from "@aws-sdk/client-sqs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { COALESCED_EVENTS_METRIC } from "../shared/telemetry";
import { roleNameFor } from "../shared/naming";
import { startSimulator, type Simulator } from "../simulator";
import { loadTemplate, resolve, serverlessFunctions, type CfnTemplate } from "../test/support/cfn-template";
import { matchesPattern, type Pattern } from "../test/support/event-pattern";
import {
  startLambdaContainer,
  type InvokeResult,
  type LambdaContainer,
} from "../test/support/lambda-runtime";
import {
  SqsEventSourceMapping,
  waitUntilQueueEmpty,
  type SqsInvoker,
} from "../test/support/sqs-event-source";
import {
  createTemplateQueues,
  eventSourceMappingOf,
  type TemplateEventSourceMapping,
  type TemplateQueue,
} from "../test/support/template-queues";
import { figure, type Figure } from "./results";

const FIXTURES = path.join(__dirname, "..", "test", "fixtures", "events");

export const EVENT_FUNCTIONS = [
  "OnConfigurationSetCreatedFunction",
  "OnConfigurationSetTaggedFunction",
  "OnConfigurationSetDeletedFunction",
] as const;
export type EventFunctionId = (typeof EVENT_FUNCTIONS)[number];

export type InvokeOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** One warm execution environment: one invocation at a time (the harness never sends it two at once). */
export interface BurstContainer {
  invoke(event: unknown): Promise<InvokeOutcome>;
  /** What the function printed (Powertools logs and EMF metrics), when the environment keeps it. */
  logLines?(): string[];
  stop?(): Promise<void>;
}

/** Starts a new execution environment of a function (a cold start), pointed at the simulator. */
export type ContainerFactory = (fn: EventFunctionId, env: Record<string, string>) => Promise<BurstContainer>;

export type BurstPath = "queued" | "inline";

export interface BurstOptions {
  /** Configuration sets tagged at once; each yields one Tag Change and one CloudTrail TagResource event. */
  sets: number;
  /** The simulator's SES limit (token bucket, one second of burst) and SES_REQUESTS_PER_SECOND alike. */
  sesRate: number;
  /**
   * "queued": the template's path — the event functions queue each set on ReconcileQueue, and the emulated event
   * source mapping (its BatchSize, MaximumConcurrency and ReportBatchItemFailures read from template.yaml) drives
   * ReconcileFunction. "inline": no queue (RECONCILE_QUEUE_URL unset), every event function reconciles at once,
   * nothing bounds them — the baseline.
   */
  path: BurstPath;
  /** Template parameters (default: the template's defaults, e.g. EventConcurrency). */
  parameters?: Record<string, string>;
  /** Execution environments of the event functions. */
  containers: ContainerFactory;
  /** Execution environments of ReconcileFunction (the "queued" path). */
  reconcileContainers?: ReconcileContainerFactory;
  /**
   * A harness limit on the event functions' environments running at once (default: none, as Lambda's
   * asynchronous invocation of an unreserved function); above it, events wait in the harness (no Lambda throttle).
   */
  environmentCap?: number;
  /** Seed of the event order, the events' IDs and Lambda's retry jitter. */
  seed?: number;
}

/** Starts a new execution environment of ReconcileFunction (a cold start), pointed at the simulator. */
export type ReconcileContainerFactory = (env: Record<string, string>) => Promise<BurstContainer>;

/** What the reconcile queue and its event source mapping did (the "queued" path). */
export interface QueueStats {
  maximumConcurrency: number;
  batchSize: number;
  /** Until the last event was queued by the event functions. */
  forwardedMs: number;
  invocations: number;
  meanBatchSize: number;
  peakConcurrency: number;
  containersStarted: number;
  itemFailures: number;
  functionErrors: number;
  invalidResponses: number;
  /** Messages in ReconcileDeadLetterQueue at the end. */
  deadLetterMessages: number;
}

export interface BurstResult {
  path: BurstPath;
  sets: number;
  events: number;
  wallMs: number;
  /** SES requests answered without throttling: what the run cost SES. */
  sesCalls: number;
  sesThrottled: number;
  /** The least SES calls the burst needs: GetConfigurationSet, GetConfigurationSetEventDestinations, Create… per set. */
  minimumSesCalls: number;
  /** Sets not wired as documented at the end. */
  wrongSets: string[];
  /** Events in the event functions' dead-letter queue, and (queued path) messages in the reconcile dead-letter queue. */
  deadLetters: { event: string; error: string }[];
  /** Event function invocations. */
  invocations: number;
  functionErrors: number;
  /** Events (inline) or queued messages (queued) that cost no reconcile of their own. */
  coalesced: number;
  containersStarted: Partial<Record<EventFunctionId, number>>;
  peakConcurrency: Partial<Record<EventFunctionId, number>>;
  queue?: QueueStats;
}

/** Lambda retries a function error twice, waiting 1 then 2 minutes, then sends the event to the OnFailure queue. */
const ERROR_RETRY_DELAYS_MS = [60_000, 120_000];
export const SES_CALLS_PER_NEW_SET = 3;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fixture(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as ReturnType<typeof fixture>;
}

/** An EventBridge event ID (a UUID's shape) drawn from the seeded generator: every event has its own, as in AWS. */
function eventId(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The burst: per set a Tag Change (no trail needed) and the CloudTrail record of the same TagResource call. */
export function burstEvents(sim: Simulator, names: readonly string[], at: Date, random: () => number) {
  const time = at.toISOString().replace(/\.\d+Z$/, "Z");
  const events: { label: string; event: unknown }[] = [];
  for (const name of names) {
    const arn = `arn:aws:ses:${sim.region}:${sim.accountId}:configuration-set/${name}`;
    const tagChange = fixture("tag-change-on-resource");
    events.push({
      label: `tag-change:${name}`,
      event: {
        ...tagChange,
        id: eventId(random),
        time,
        resources: [arn],
        detail: { ...tagChange.detail, tags: { "ses-firehose": "enabled" } },
      },
    });
    const cloudTrail = fixture("tag-resource");
    events.push({
      label: `cloudtrail:${name}`,
      event: {
        ...cloudTrail,
        id: eventId(random),
        time,
        detail: {
          ...cloudTrail.detail,
          eventTime: time,
          requestParameters: { resourceArn: arn, tags: [{ key: "ses-firehose", value: "enabled" }] },
        },
      },
    });
  }
  for (let i = events.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events;
}

interface Route {
  fn: EventFunctionId;
  pattern: Pattern;
}

function routesOf(template: CfnTemplate, parameters: Record<string, string>): Route[] {
  return serverlessFunctions(template).flatMap(([id, fn]) =>
    (EVENT_FUNCTIONS as readonly string[]).includes(id)
      ? Object.values(
          (fn.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: { Pattern: unknown } }>,
        )
          .filter((event) => event.Type === "EventBridgeRule")
          .map((event) => ({
            fn: id as EventFunctionId,
            pattern: resolve({ template, parameters }, event.Properties.Pattern) as Pattern,
          }))
      : [],
  );
}

function parameterDefault(template: CfnTemplate, name: string, parameters: Record<string, string>): string {
  return parameters[name] ?? String(template.Parameters[name]?.Default ?? "");
}

interface Pending {
  label: string;
  event: unknown;
  fn: EventFunctionId;
  readyAt: number;
  errors: number;
}

/** The values of a metric in a function's EMF log lines (Powertools Metrics), summed. */
export function metricSum(lines: readonly string[], metric: string): number {
  let sum = 0;
  for (const line of lines) {
    if (!line.includes(`"${metric}"`)) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (record._aws === undefined) continue;
    const value = record[metric];
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) if (typeof item === "number") sum += item;
  }
  return sum;
}

interface ReconcileConsumer {
  mapping: SqsEventSourceMapping;
  sqs: SQSClient;
  containers: BurstContainer[];
  stop(): Promise<void>;
}

/** The emulated event source mapping of ReconcileFunction: one warm environment per concurrency slot. */
function startReconcileConsumer(
  sim: Simulator,
  queue: TemplateQueue,
  settings: TemplateEventSourceMapping,
  env: Record<string, string>,
  factory: ReconcileContainerFactory,
): ReconcileConsumer {
  const sqs = new SQSClient({ ...sim.clientConfig(), maxAttempts: 3 });
  const bySlot = new Map<number, BurstContainer>();
  const containers: BurstContainer[] = [];
  const invoke: SqsInvoker = async (event, slot) => {
    let container = bySlot.get(slot);
    if (container === undefined) {
      container = await factory(env);
      bySlot.set(slot, container);
      containers.push(container);
    }
    const outcome = await container.invoke(event);
    // Lambda does not reuse an environment whose invocation timed out or whose process died.
    if (!outcome.ok && /Sandbox\.Timedout|Runtime\.ExitError/.test(outcome.error)) bySlot.delete(slot);
    return outcome;
  };
  const mapping = new SqsEventSourceMapping(
    sqs,
    {
      queueUrl: queue.url,
      eventSourceArn: queue.arn,
      region: sim.region,
      batchSize: settings.batchSize,
      maximumConcurrency: settings.maximumConcurrency,
      reportBatchItemFailures: settings.reportBatchItemFailures,
    },
    invoke,
  );
  mapping.start();
  return {
    mapping,
    sqs,
    containers,
    async stop() {
      await mapping.stop();
      await Promise.all(containers.map((container) => container.stop?.()));
      sqs.destroy();
    },
  };
}

/** Runs one burst against a fresh simulator; resolves when every event is handled or in a dead-letter queue. */
export async function runEventBurst(options: BurstOptions): Promise<BurstResult> {
  const template = loadTemplate();
  const parameters = options.parameters ?? {};
  const random = mulberry32(options.seed ?? 42);
  const queued = options.path === "queued";
  const sim = await startSimulator({
    propagationDelayMs: 0,
    rateLimits: {
      sesv2: { ratePerSecond: options.sesRate, burst: Math.max(1, Math.round(options.sesRate)) },
    },
    limits: { rolesPerAccount: options.sets + 1_000 },
  });
  let consumer: ReconcileConsumer | undefined;
  try {
    const streamArn = sim.state.createDeliveryStream("ses-events");
    const names = Array.from({ length: options.sets }, (_, i) => `burst-${String(i).padStart(4, "0")}`);
    for (const name of names) sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    const queues = queued ? createTemplateQueues(sim, template, parameters) : {};
    sim.callLog.reset();

    const env: Record<string, string> = {
      ...sim.endpointEnv(),
      DEFAULT_DELIVERY_STREAM_ARN: streamArn,
      SES_REQUESTS_PER_SECOND: String(options.sesRate),
      // The baseline has no bound to share the SES rate with: each container paces at the whole rate.
      EVENT_CONCURRENCY: queued ? parameterDefault(template, "EventConcurrency", parameters) : "0",
      PROPAGATION_TIMEOUT_SECONDS: parameterDefault(template, "PropagationTimeoutSeconds", parameters),
    };
    const routes = routesOf(template, parameters);
    const pending: Pending[] = [];
    for (const { label, event } of burstEvents(sim, names, new Date(), random)) {
      for (const route of routes.filter(({ pattern }) => matchesPattern(pattern, event))) {
        pending.push({ label, event, fn: route.fn, readyAt: 0, errors: 0 });
      }
    }

    const started = performance.now();
    let eventEnv = env;
    let settings: TemplateEventSourceMapping | undefined;
    if (queued) {
      settings = eventSourceMappingOf(template, "ReconcileFunction", parameters);
      const queue = queues[settings.queue];
      if (queue === undefined || options.reconcileContainers === undefined) {
        throw new Error(
          "The queued burst needs the template's reconcile queue and ReconcileFunction environments.",
        );
      }
      eventEnv = { ...env, RECONCILE_QUEUE_URL: queue.url };
      consumer = startReconcileConsumer(sim, queue, settings, env, options.reconcileContainers);
    }
    for (const item of pending) item.readyAt = started;
    const forwarding = await drainAsyncQueue(pending, eventEnv, options.containers, options.environmentCap);
    const forwardedMs = performance.now() - started;
    let queue: QueueStats | undefined;
    const deadLetters = [...forwarding.deadLetters];
    let coalesced = forwarding.coalesced;
    if (consumer !== undefined && settings !== undefined) {
      const reconcileQueue = queues[settings.queue]!;
      const lowerBoundMs = ((options.sets * SES_CALLS_PER_NEW_SET) / options.sesRate) * 1000;
      await waitUntilQueueEmpty(consumer.sqs, reconcileQueue.url, { timeoutMs: 10 * lowerBoundMs + 120_000 });
    }
    const wallMs = performance.now() - started;
    if (consumer !== undefined && settings !== undefined) {
      await consumer.stop();
      const { stats } = consumer.mapping;
      const deadLetterQueue = Object.values(queues).find((q) => q.logicalId !== settings!.queue);
      const dead =
        deadLetterQueue === undefined ? [] : (sim.state.getQueue(deadLetterQueue.name)?.messages ?? []);
      deadLetters.push(
        ...dead.map((message) => ({
          event: `${deadLetterQueue!.logicalId}: ${message.body}`,
          error: "redriven",
        })),
      );
      coalesced += consumer.containers.reduce(
        (sum, container) => sum + metricSum(container.logLines?.() ?? [], COALESCED_EVENTS_METRIC),
        0,
      );
      queue = {
        maximumConcurrency: settings.maximumConcurrency,
        batchSize: settings.batchSize,
        forwardedMs: Math.round(forwardedMs),
        invocations: stats.invocations,
        meanBatchSize:
          stats.invocations === 0
            ? 0
            : Math.round((stats.batchSizes.reduce((a, b) => a + b, 0) / stats.invocations) * 100) / 100,
        peakConcurrency: stats.peakConcurrency,
        containersStarted: consumer.containers.length,
        itemFailures: stats.itemFailures,
        functionErrors: stats.functionErrors,
        invalidResponses: stats.invalidResponses,
        deadLetterMessages: dead.length,
      };
    }

    const wrongSets: string[] = [];
    for (const name of names) {
      const set = sim.state.getConfigurationSet(name);
      const destination = set?.eventDestinations.find((d) => d.Name === "ses-firehose-autowire");
      const role = sim.state.getRole(roleNameFor("ses-firehose", sim.region, name));
      if (
        destination?.Enabled !== true ||
        role === undefined ||
        destination.KinesisFirehoseDestination?.DeliveryStreamArn !== streamArn
      ) {
        wrongSets.push(name);
      }
    }
    const ses = sim.callLog.entries({ service: "sesv2" });
    const sesThrottled = ses.filter((entry) => entry.status === 429).length;
    return {
      path: options.path,
      sets: options.sets,
      events: pending.length,
      wallMs,
      sesCalls: ses.length - sesThrottled,
      sesThrottled,
      minimumSesCalls: options.sets * SES_CALLS_PER_NEW_SET,
      wrongSets,
      deadLetters,
      invocations: forwarding.invocations,
      functionErrors: forwarding.functionErrors,
      coalesced,
      containersStarted: forwarding.containersStarted,
      peakConcurrency: forwarding.peakConcurrency,
      ...(queue === undefined ? {} : { queue }),
    };
  } finally {
    await consumer?.stop();
    await sim.stop();
  }
}

type AsyncQueueStats = Pick<
  BurstResult,
  "deadLetters" | "invocations" | "functionErrors" | "coalesced" | "containersStarted" | "peakConcurrency"
>;

/**
 * Lambda's asynchronous event queue for the event functions (no reserved concurrency: an event is handed to an idle
 * environment of its function, or a new one); a function error is retried after 1 and 2 minutes, then the event goes
 * to the dead-letter queue. `environmentCap` only spares the harness's machine: above it, events wait their turn.
 */
async function drainAsyncQueue(
  initial: Pending[],
  env: Record<string, string>,
  factory: ContainerFactory,
  environmentCap = Number.POSITIVE_INFINITY,
): Promise<AsyncQueueStats> {
  const stats: AsyncQueueStats = {
    deadLetters: [],
    invocations: 0,
    functionErrors: 0,
    coalesced: 0,
    containersStarted: {},
    peakConcurrency: {},
  };
  const idle = new Map<EventFunctionId, BurstContainer[]>();
  const active = new Map<EventFunctionId, number>();
  let pending = [...initial];
  let inFlight = 0;
  let wake: () => void = () => undefined;

  const run = async (item: Pending) => {
    const pool = idle.get(item.fn) ?? [];
    let container = pool.pop();
    if (container === undefined) {
      stats.containersStarted[item.fn] = (stats.containersStarted[item.fn] ?? 0) + 1;
      container = await factory(item.fn, env);
    }
    stats.invocations += 1;
    const outcome = await container.invoke(item.event);
    idle.set(item.fn, [...(idle.get(item.fn) ?? []), container]);
    if (outcome.ok) {
      const coalesced = (outcome.result as { coalesced?: unknown[] } | null)?.coalesced;
      stats.coalesced += Array.isArray(coalesced) ? coalesced.length : 0;
      return;
    }
    stats.functionErrors += 1;
    const delay = ERROR_RETRY_DELAYS_MS[item.errors];
    if (delay === undefined) stats.deadLetters.push({ event: item.label, error: outcome.error });
    else pending.push({ ...item, errors: item.errors + 1, readyAt: performance.now() + delay });
  };

  try {
    for (;;) {
      const now = performance.now();
      pending.sort((a, b) => a.readyAt - b.readyAt);
      const waiting: Pending[] = [];
      for (const item of pending) {
        const running = active.get(item.fn) ?? 0;
        if (item.readyAt > now || running >= environmentCap) {
          waiting.push(item);
          continue;
        }
        active.set(item.fn, running + 1);
        stats.peakConcurrency[item.fn] = Math.max(stats.peakConcurrency[item.fn] ?? 0, running + 1);
        inFlight += 1;
        void run(item).finally(() => {
          active.set(item.fn, (active.get(item.fn) ?? 1) - 1);
          inFlight -= 1;
          wake();
        });
      }
      pending = waiting;
      if (pending.length === 0 && inFlight === 0) return stats;
      const next = pending.reduce(
        (soonest, item) => Math.min(soonest, item.readyAt),
        Number.POSITIVE_INFINITY,
      );
      await new Promise<void>((resolveWait) => {
        const timer =
          Number.isFinite(next) && next > now
            ? setTimeout(resolveWait, Math.max(0, next - performance.now()))
            : undefined;
        wake = () => {
          if (timer !== undefined) clearTimeout(timer);
          resolveWait();
        };
      });
    }
  } finally {
    await Promise.all([...idle.values()].flat().map((container) => container.stop?.()));
  }
}

/**
 * Execution environments in this process: each is what a function's module scope builds at a cold start
 * (`eventRunDepsFromEnvironment`: config, paced SES client, coalescing memory, the queue client when
 * RECONCILE_QUEUE_URL is set) and runs the same `reconcileFromEvent` as the handler. Cheap enough for the unbounded
 * baseline's hundreds of environments, which child processes are not. Sets the simulator's endpoint variables on
 * process.env (the SDK reads them there).
 */
export function inProcessContainers(): ContainerFactory {
  return async (fn, env) => {
    if (env.RECONCILE_QUEUE_URL === undefined) delete process.env.RECONCILE_QUEUE_URL;
    Object.assign(process.env, env, { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" });
    const { eventRunDepsFromEnvironment, reconcileFromEvent } = await import("../shared/event-run");
    const accepted: Record<EventFunctionId, readonly string[]> = {
      OnConfigurationSetCreatedFunction: (await import("../functions/on-configuration-set-created/index"))
        .EVENT_NAMES,
      OnConfigurationSetTaggedFunction: (await import("../functions/on-configuration-set-tagged/index"))
        .EVENT_NAMES,
      OnConfigurationSetDeletedFunction: (await import("../functions/on-configuration-set-deleted/index"))
        .EVENT_NAMES,
    };
    const deps = {
      ...eventRunDepsFromEnvironment(process.env),
      removeOnly: fn === "OnConfigurationSetDeletedFunction",
    };
    const functionArn = `arn:aws:lambda:${env.AWS_REGION}:111122223333:function:${fn}`;
    return {
      async invoke(event) {
        const deadline = Date.now() + 300_000;
        const context = {
          invokedFunctionArn: functionArn,
          getRemainingTimeInMillis: () => deadline - Date.now(),
        };
        try {
          return { ok: true, result: await reconcileFromEvent(event, context, accepted[fn], deps) };
        } catch (err) {
          return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
        }
      },
      async stop() {
        deps.clients.sesv2.destroy();
        deps.queue?.sqs.destroy();
      },
    };
  };
}

function outcomeOf(invocation: InvokeResult): InvokeOutcome {
  return invocation.ok
    ? { ok: true, result: invocation.result }
    : { ok: false, error: `${invocation.error.errorType}: ${invocation.error.errorMessage}` };
}

function builtContainer(container: LambdaContainer): BurstContainer {
  return {
    invoke: async (event) => outcomeOf(await container.invoke(event)),
    logLines: () => container.logLines(),
    stop: () => container.stop(),
  };
}

/** The built bundles (dist/) of the event functions, each environment a child process (test/support/lambda-runtime). */
export function builtEventContainers(logLevel = "WARN"): ContainerFactory {
  return async (fn, env) =>
    builtContainer(await startLambdaContainer({ fn, env: { ...env, POWERTOOLS_LOG_LEVEL: logLevel } }));
}

/** The built ReconcileFunction bundle (dist/reconcile/index.js), each environment a child process. */
export function builtReconcileContainers(logLevel = "WARN"): ReconcileContainerFactory {
  return async (env) =>
    builtContainer(
      await startLambdaContainer({
        fn: "ReconcileFunction",
        env: { ...env, POWERTOOLS_LOG_LEVEL: logLevel },
      }),
    );
}

export interface EventBurstPlan {
  sets: number;
  sesRate: number;
  seed: number;
}

/** The SES lower bound of a burst: the least SES calls it needs, at the SES rate. */
export function burstLowerBoundMs(result: Pick<BurstResult, "minimumSesCalls">, sesRate: number): number {
  return (result.minimumSesCalls / sesRate) * 1000;
}

/** Throttled SES responses as a share of all SES responses, in percent. */
export function throttledPercent(result: Pick<BurstResult, "sesCalls" | "sesThrottled">): number {
  const answered = result.sesCalls + result.sesThrottled;
  return answered === 0 ? 0 : (100 * result.sesThrottled) / answered;
}

function summary(result: BurstResult, sesRate: number) {
  return {
    wallMs: Math.round(result.wallMs),
    ratioToLowerBound: Math.round((result.wallMs / burstLowerBoundMs(result, sesRate)) * 1000) / 1000,
    sesCalls: result.sesCalls,
    sesThrottled: result.sesThrottled,
    throttledPercent: Math.round(throttledPercent(result) * 10) / 10,
    wrongSets: result.wrongSets.length,
    deadLetters: result.deadLetters.length,
    invocations: result.invocations,
    functionErrors: result.functionErrors,
    coalesced: result.coalesced,
    containersStarted: result.containersStarted,
    peakConcurrency: result.peakConcurrency,
    ...(result.queue === undefined ? {} : { queue: result.queue }),
  };
}

/**
 * The burst through the template's reconcile queue, then without it (the baseline: every event reconciled at once
 * by its event function, unbounded), in this process, one after the other. The event functions run in-process
 * environments (the baseline needs hundreds); ReconcileFunction runs its built bundle in child processes.
 */
export async function benchEventBurst(plan: EventBurstPlan): Promise<Figure[]> {
  const containers = inProcessContainers();
  const bounded = await runEventBurst({
    ...plan,
    path: "queued",
    containers,
    reconcileContainers: builtReconcileContainers(),
  });
  const unbounded = await runEventBurst({ ...plan, path: "inline", containers });
  const lowerBoundMs = burstLowerBoundMs(bounded, plan.sesRate);
  return [
    figure({
      figure: `event-burst/${plan.sets}-sets`,
      description:
        "Wall time until every set of a burst is wired — one Tag Change and one CloudTrail TagResource per set, " +
        "random order — through the event functions, the reconcile queue (FIFO, one group per set) and " +
        "ReconcileFunction under the event source mapping's MaximumConcurrency (emulated); divided by the least " +
        "SES calls needed / SES rate.",
      inputs: {
        sets: plan.sets,
        events: bounded.events,
        sesRequestsPerSecond: plan.sesRate,
        simulatorBurst: Math.max(1, Math.round(plan.sesRate)),
        maximumConcurrency: bounded.queue?.maximumConcurrency,
        batchSize: bounded.queue?.batchSize,
        propagationDelayMs: 0,
        seed: plan.seed,
      },
      value: bounded.wallMs,
      unit: "ms",
      baseline: lowerBoundMs,
      baselineDescription: "lower bound: 3 SES calls per new set / SES rate",
      baselineRatio: unbounded.wallMs / lowerBoundMs,
      maxRatio: BURST_TARGET,
      checks: [
        { name: "sets not wired as documented", value: bounded.wrongSets.length, max: 0 },
        { name: "events or messages in a dead-letter queue", value: bounded.deadLetters.length, max: 0 },
        { name: "throttled SES responses (% of SES responses)", value: throttledPercent(bounded), max: 4.99 },
      ],
      details: { bounded: summary(bounded, plan.sesRate), unbounded: summary(unbounded, plan.sesRate) },
    }),
  ];
}

/** Wall time of a burst may be at most this many times its SES lower bound. */
export const BURST_TARGET = 1.3;
