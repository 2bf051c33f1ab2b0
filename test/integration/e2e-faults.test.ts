// End-to-end test (built bundles + simulator): a 200-set backfill with 10% throttling and 10% 5xx injected on every
// operation ends fully correct — the SDK's adaptive retry does the work, nothing is reported failed. It takes about
// three minutes, nearly all of it waiting: throttling injected at random, whatever the request rate, keeps pushing
// the adaptive client-side rate limiter down to its floor (real throttling eases as the rate drops).
import type { BackfillPayload } from "../../shared/backfill-payload";
import type { BackfillProgress, BackfillReport } from "../../shared/backfill-run";
import {
  readWiring,
  ROLE_PATH,
  startE2eWorld,
  unwiredProblems,
  wiringProblems,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

const OPTED_IN = Array.from({ length: 170 }, (_, i) => `tenant-${String(i).padStart(3, "0")}`);
const OPTED_OUT = Array.from({ length: 30 }, (_, i) => `internal-${String(i).padStart(2, "0")}`);

let world: E2eWorld;
let backfill: LambdaContainer;

beforeAll(async () => {
  assertBuilt();
  // Every answer of every operation has a 20% chance of being an injected fault: 10% throttling, 10% 5xx.
  world = await startE2eWorld({
    faults: { seed: 20261126, throttleRate: 0.1, serverErrorRate: 0.1 },
  });
  for (const name of OPTED_IN) world.sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
  for (const name of OPTED_OUT) world.sim.state.createConfigurationSet(name);
  // SES pacing raised: the simulator has no 1 request/second limit here; the faults are the point.
  backfill = await world.container("BackfillFunction", { env: { SES_REQUESTS_PER_SECOND: "1000" } });
});

afterAll(async () => {
  await world?.stop();
});

describe("a 200-set backfill with 10% throttling and 10% server errors injected on every operation", () => {
  it("wires every opted-in set, touches no other, and reports no failure", async () => {
    // Act: the run, and any continuation it hands to Lambda
    let step = resultOf(await backfill.invoke<BackfillReport | BackfillProgress>({ dryRun: false }));
    while (world.sim.invocations.size > 0) {
      const payload = JSON.parse(world.sim.invocations.shift()?.payload ?? "{}") as BackfillPayload;
      step = resultOf(await backfill.invoke<BackfillReport | BackfillProgress>(payload));
    }
    const report = step as BackfillReport;
    const entries = world.sim.callLog.entries();
    const injected = (kind: "throttle" | "server-error", service?: string) =>
      entries.filter(
        (entry) => entry.injected === kind && (service === undefined || entry.service === service),
      ).length;
    world.sim.setOptions({ faults: undefined });
    // Assess: the faults really happened (Firehose is asked once per run, so only SES and IAM are checked per service)
    expect(injected("throttle")).toBeGreaterThan(entries.length * 0.07);
    expect(injected("server-error")).toBeGreaterThan(entries.length * 0.07);
    for (const service of ["sesv2", "iam"] as const) {
      expect(injected("throttle", service)).toBeGreaterThan(0);
      expect(injected("server-error", service)).toBeGreaterThan(0);
    }
    // ...and the report and the account say every set is right
    // (tag discovery, the default, found its candidates through the faulty tagging API too: the untagged sets
    // are not candidates, so none is reported)
    expect(report.results.filter((entry) => entry.outcome === "failed")).toEqual([]);
    expect(report.discovery).toBe("tags");
    expect(report.counts).toEqual({
      created: OPTED_IN.length,
      updated: 0,
      unchanged: 0,
      removed: 0,
      skipped: 0,
      failed: 0,
    });
    const problems: string[] = [];
    for (const name of OPTED_IN) {
      problems.push(...wiringProblems(world, await readWiring(world, name), world.defaultStreamArn));
    }
    for (const name of OPTED_OUT) problems.push(...unwiredProblems(await readWiring(world, name)));
    expect(problems).toEqual([]);
    expect(world.sim.state.roleNames(ROLE_PATH)).toHaveLength(OPTED_IN.length);
  }, 600_000);
});
