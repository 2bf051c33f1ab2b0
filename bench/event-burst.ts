// Bench layer: a burst of tag events through the event functions, with Lambda's asynchronous invocation emulated —
// the template's EventBridge rules route each event, the functions' reserved concurrency bounds the containers
// (or nothing does: the baseline), and invocations beyond the bound are throttled and retried as Lambda documents.
import { loadTemplate, resolve, serverlessFunctions, type CfnTemplate } from "../test/support/cfn-template";
import { matchesPattern, type Pattern } from "../test/support/event-pattern";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startSimulator, type Simulator } from "../simulator";
import { roleNameFor } from "../shared/naming";
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
}

/** Starts a new execution environment of a function (a cold start), pointed at the simulator. */
export type ContainerFactory = (fn: EventFunctionId, env: Record<string, string>) => Promise<BurstContainer>;

export interface BurstOptions {
  /** Configuration sets tagged at once; each yields one Tag Change and one CloudTrail TagResource event. */
  sets: number;
  /** The simulator's SES limit (token bucket, one second of burst) and SES_REQUESTS_PER_SECOND alike. */
  sesRate: number;
  /** true: the template's ReservedConcurrentExecutions bounds each function; false: no bound (the baseline). */
  bounded: boolean;
  /** Template parameters (default: the template's defaults, e.g. EventConcurrency). */
  parameters?: Record<string, string>;
  containers: ContainerFactory;
  /** Seed of the event order and of Lambda's retry jitter. */
  seed?: number;
}

export interface BurstResult {
  sets: number;
  events: number;
  bound: Partial<Record<EventFunctionId, number>>;
  wallMs: number;
  /** SES requests answered without throttling: what the run cost SES. */
  sesCalls: number;
  sesThrottled: number;
  /** The least SES calls the burst needs: GetConfigurationSet, GetConfigurationSetEventDestinations, Create… per set. */
  minimumSesCalls: number;
  /** Sets not wired as documented at the end. */
  wrongSets: string[];
  deadLetters: { event: string; error: string }[];
  invocations: number;
  lambdaThrottles: number;
  functionErrors: number;
  coalesced: number;
  containersStarted: Partial<Record<EventFunctionId, number>>;
  peakConcurrency: Partial<Record<EventFunctionId, number>>;
}

/** Lambda retries a function error twice, waiting 1 then 2 minutes, then sends the event to the OnFailure queue. */
const ERROR_RETRY_DELAYS_MS = [60_000, 120_000];
/** Throttled asynchronous invocations: retried after 1 s, growing exponentially to 5 minutes (Lambda docs). */
const THROTTLE_RETRY_CAP_MS = 300_000;
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

/** The template's ReservedConcurrentExecutions of a function, or undefined when it reserves none. */
export function reservedConcurrency(
  template: CfnTemplate,
  fn: EventFunctionId,
  parameters: Record<string, string> = {},
): number | undefined {
  const value = template.Resources[fn]?.Properties?.ReservedConcurrentExecutions;
  const resolved = (resolve({ template, parameters }, { value }) as { value?: unknown }).value;
  return resolved === undefined ? undefined : Number(resolved);
}

function parameterDefault(template: CfnTemplate, name: string, parameters: Record<string, string>): string {
  return parameters[name] ?? String(template.Parameters[name]?.Default ?? "");
}

interface Pending {
  label: string;
  event: unknown;
  fn: EventFunctionId;
  readyAt: number;
  throttles: number;
  errors: number;
}

/** Runs one burst against a fresh simulator; resolves when every event is handled or in the dead-letter queue. */
export async function runEventBurst(options: BurstOptions): Promise<BurstResult> {
  const template = loadTemplate();
  const parameters = options.parameters ?? {};
  const random = mulberry32(options.seed ?? 42);
  const sim = await startSimulator({
    propagationDelayMs: 0,
    rateLimits: {
      sesv2: { ratePerSecond: options.sesRate, burst: Math.max(1, Math.round(options.sesRate)) },
    },
    limits: { rolesPerAccount: options.sets + 1_000 },
  });
  try {
    const streamArn = sim.state.createDeliveryStream("ses-events");
    const names = Array.from({ length: options.sets }, (_, i) => `burst-${String(i).padStart(4, "0")}`);
    for (const name of names) sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    sim.callLog.reset();

    const env: Record<string, string> = {
      ...sim.endpointEnv(),
      DEFAULT_DELIVERY_STREAM_ARN: streamArn,
      SES_REQUESTS_PER_SECOND: String(options.sesRate),
      EVENT_CONCURRENCY: options.bounded ? parameterDefault(template, "EventConcurrency", parameters) : "0",
      PROPAGATION_TIMEOUT_SECONDS: parameterDefault(template, "PropagationTimeoutSeconds", parameters),
    };
    const routes = routesOf(template, parameters);
    const bound: BurstResult["bound"] = {};
    for (const fn of EVENT_FUNCTIONS) {
      const reserved = options.bounded ? reservedConcurrency(template, fn, parameters) : undefined;
      if (reserved !== undefined) bound[fn] = reserved;
    }

    const started = performance.now();
    const pending: Pending[] = [];
    for (const { label, event } of burstEvents(sim, names, new Date(), random)) {
      for (const route of routes.filter(({ pattern }) => matchesPattern(pattern, event))) {
        pending.push({ label, event, fn: route.fn, readyAt: started, throttles: 0, errors: 0 });
      }
    }
    const result = await drainAsyncQueue(pending, bound, env, options.containers, random);
    const wallMs = performance.now() - started;

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
      sets: options.sets,
      events: pending.length,
      bound,
      wallMs,
      sesCalls: ses.length - sesThrottled,
      sesThrottled,
      minimumSesCalls: options.sets * SES_CALLS_PER_NEW_SET,
      wrongSets,
      ...result,
    };
  } finally {
    await sim.stop();
  }
}

type QueueStats = Pick<
  BurstResult,
  | "deadLetters"
  | "invocations"
  | "lambdaThrottles"
  | "functionErrors"
  | "coalesced"
  | "containersStarted"
  | "peakConcurrency"
>;

/**
 * Lambda's asynchronous event queue for the event functions: an event is handed to an idle environment of its
 * function (a new one while the function is under its reserved concurrency); above the bound it is throttled and
 * retried after 1 s, 2 s, 4 s … up to 5 minutes (with jitter); a function error is retried after 1 and 2 minutes,
 * then the event goes to the dead-letter queue.
 */
async function drainAsyncQueue(
  initial: Pending[],
  bound: BurstResult["bound"],
  env: Record<string, string>,
  factory: ContainerFactory,
  random: () => number,
): Promise<QueueStats> {
  const stats: QueueStats = {
    deadLetters: [],
    invocations: 0,
    lambdaThrottles: 0,
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

  for (;;) {
    const now = performance.now();
    pending.sort((a, b) => a.readyAt - b.readyAt);
    const waiting: Pending[] = [];
    for (const item of pending) {
      if (item.readyAt > now) {
        waiting.push(item);
        continue;
      }
      const running = active.get(item.fn) ?? 0;
      if (running >= (bound[item.fn] ?? Number.POSITIVE_INFINITY)) {
        stats.lambdaThrottles += 1;
        const base = Math.min(THROTTLE_RETRY_CAP_MS, 1000 * 2 ** item.throttles);
        waiting.push({ ...item, throttles: item.throttles + 1, readyAt: now + base * (0.5 + random() / 2) });
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
    const next = pending.reduce((soonest, item) => Math.min(soonest, item.readyAt), Number.POSITIVE_INFINITY);
    await new Promise<void>((resolveWait) => {
      const timer = Number.isFinite(next)
        ? setTimeout(resolveWait, Math.max(0, next - performance.now()))
        : undefined;
      wake = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolveWait();
      };
    });
  }
}

/**
 * Execution environments in this process: each is what a function's module scope builds at a cold start
 * (`eventRunDepsFromEnvironment`: config, paced SES client, coalescing memory) and runs the same
 * `reconcileFromEvent` as the handler. Cheap enough for the unbounded baseline's hundreds of environments, which
 * child processes are not. Sets the simulator's endpoint variables on process.env (the SDK reads them there).
 */
export function inProcessContainers(): ContainerFactory {
  return async (fn, env) => {
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
    };
  };
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
    lambdaThrottles: result.lambdaThrottles,
    functionErrors: result.functionErrors,
    coalesced: result.coalesced,
    containersStarted: result.containersStarted,
    peakConcurrency: result.peakConcurrency,
  };
}

/** The burst with the template's bound, then without it (the baseline), in this process, one after the other. */
export async function benchEventBurst(plan: EventBurstPlan): Promise<Figure[]> {
  const containers = inProcessContainers();
  const bounded = await runEventBurst({ ...plan, bounded: true, containers });
  const unbounded = await runEventBurst({ ...plan, bounded: false, containers });
  const lowerBoundMs = burstLowerBoundMs(bounded, plan.sesRate);
  return [
    figure({
      figure: `event-burst/${plan.sets}-sets`,
      description:
        "Wall time until every set of a burst is wired — one Tag Change and one CloudTrail TagResource per set, " +
        "random order — through the tagged function under the template's reserved concurrency, with Lambda's " +
        "asynchronous throttling and retries emulated; divided by the least SES calls needed / SES rate.",
      inputs: {
        sets: plan.sets,
        events: bounded.events,
        sesRequestsPerSecond: plan.sesRate,
        simulatorBurst: Math.max(1, Math.round(plan.sesRate)),
        reservedConcurrency: bounded.bound,
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
        { name: "events in the dead-letter queue", value: bounded.deadLetters.length, max: 0 },
        { name: "throttled SES responses (% of SES responses)", value: throttledPercent(bounded), max: 4.99 },
      ],
      details: { bounded: summary(bounded, plan.sesRate), unbounded: summary(unbounded, plan.sesRate) },
    }),
  ];
}

/** Wall time of a burst may be at most this many times its SES lower bound. */
export const BURST_TARGET = 1.3;
