// End-to-end test (built bundles + simulator): a burst of tag events — one Tag Change and one CloudTrail record per
// set, random order — through the built tagged function in Lambda-like containers, with the template's reserved
// concurrency and Lambda's throttling of asynchronous invocations emulated (bench/event-burst.ts; the full-size run
// with its unbounded baseline is `npm run bench`, docs/performance.md).
import {
  burstLowerBoundMs,
  reservedConcurrency,
  runEventBurst,
  throttledPercent,
  type BurstResult,
  type ContainerFactory,
} from "../../bench/event-burst";
import { loadTemplate } from "../support/cfn-template";
import { assertBuilt, startLambdaContainer, resultOf, type LambdaContainer } from "../support/lambda-runtime";

const SETS = 30;
const SES_RATE = 10;

const containers: LambdaContainer[] = [];
const builtBundles: ContainerFactory = async (fn, env) => {
  const container = await startLambdaContainer({ fn, env: { ...env, POWERTOOLS_LOG_LEVEL: "WARN" } });
  containers.push(container);
  return {
    async invoke(event) {
      const invocation = await container.invoke(event);
      try {
        return { ok: true, result: resultOf(invocation) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
  };
};

let result: BurstResult;

beforeAll(async () => {
  assertBuilt();
  result = await runEventBurst({ sets: SETS, sesRate: SES_RATE, bounded: true, containers: builtBundles });
  process.stderr.write(
    `burst of ${SETS} sets at ${SES_RATE} SES req/s: ${Math.round(result.wallMs)} ms, ` +
      `${(result.wallMs / burstLowerBoundMs(result, SES_RATE)).toFixed(2)}x the SES lower bound, ` +
      `${result.sesCalls} SES calls (+${result.sesThrottled} throttled), ${result.coalesced} events coalesced, ` +
      `${result.lambdaThrottles} Lambda throttles\n`,
  );
}, 600_000);

afterAll(async () => {
  await Promise.all(containers.map((container) => container.stop()));
});

describe(`a burst of ${SETS} sets tagged at once, under the template's concurrency bound`, () => {
  it("wires every set as documented and sends nothing to the dead-letter queue", () => {
    expect(result.events).toBe(2 * SETS);
    expect(result.wrongSets).toEqual([]);
    expect(result.deadLetters).toEqual([]);
    expect(result.functionErrors).toBe(0);
  });

  it("never runs more tagged-function containers than its reserved concurrency", () => {
    const bound = reservedConcurrency(loadTemplate(), "OnConfigurationSetTaggedFunction");
    expect(bound).toBeGreaterThan(0);
    expect(result.containersStarted.OnConfigurationSetTaggedFunction).toBeLessThanOrEqual(bound!);
    expect(result.peakConcurrency.OnConfigurationSetTaggedFunction).toBeLessThanOrEqual(bound!);
    expect(result.lambdaThrottles).toBeGreaterThan(0);
  });

  it("keeps SES throttling under 5% of its responses: the containers pace their share of the rate", () => {
    expect(throttledPercent(result)).toBeLessThan(5);
  });

  it("costs SES fewer calls than one look per event: duplicates in one container are coalesced", () => {
    // One look per event: 3 calls for a set's first look, 2 reads for its repeat. Two looks of one set racing in
    // two containers may add a read-back, so the count is bounded, not exact.
    const oneLookPerEvent = SETS * 3 + SETS * 2;
    expect(result.coalesced).toBeGreaterThan(0);
    expect(result.sesCalls).toBeLessThan(oneLookPerEvent);
    expect(result.sesCalls).toBeGreaterThanOrEqual(result.minimumSesCalls);
  });
});
