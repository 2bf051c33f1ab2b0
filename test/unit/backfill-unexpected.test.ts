// Unit tests (core layer): the engine around a reconcile that throws, and SDK pages with missing fields.
import { Logger } from "@aws-lambda-powertools/logger";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { ListConfigurationSetsCommand, SESv2Client, TooManyRequestsException } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { runBackfill } from "../../shared/backfill";
import { loadConfig } from "../../shared/config";
import { systemClock, type CoreDeps, type RunOptions } from "../../shared/deps";
import { reconcileSet } from "../../shared/reconcile";
import type { ReportEntry } from "../../shared/report";

jest.mock("../../shared/reconcile", () => ({ reconcileSet: jest.fn() }));
const reconcileMock = jest.mocked(reconcileSet);

const sesMock = mockClient(SESv2Client);
const iamMock = mockClient(IAMClient);

function deps(extra: Partial<CoreDeps> = {}): CoreDeps {
  return {
    sesv2: new SESv2Client({ region: "us-east-1" }),
    iam: new IAMClient({ region: "us-east-1" }),
    firehose: new FirehoseClient({ region: "us-east-1" }),
    config: loadConfig({}),
    logger: new Logger({ serviceName: "t", logLevel: "SILENT" }),
    region: "us-east-1",
    accountId: "111122223333",
    clock: { ...systemClock, sleep: async () => undefined },
    ...extra,
  };
}

const skipped = (name: string): ReportEntry => ({ configurationSet: name, outcome: "skipped", actions: [] });
const reconciled = (name: string) => ({ entry: skipped(name) });

beforeEach(() => {
  sesMock.reset();
  iamMock.reset();
  reconcileMock.mockReset();
  iamMock
    .on(ListRolesCommand)
    .resolves({ Roles: [{ RoleName: undefined } as never, { RoleName: "r" } as never] });
});

describe("runBackfill around reconcile", () => {
  it("turns an unexpected exception into a failed entry for that set and carries on", async () => {
    // Prepare
    reconcileMock.mockImplementation(async (name) => {
      if (name === "b") throw new TypeError("Cannot read properties of undefined");
      return reconciled(name);
    });

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["a", "b", "c"] }, deps());

    // Assess
    expect(run.results).toEqual(
      expect.arrayContaining([
        skipped("a"),
        skipped("c"),
        {
          configurationSet: "b",
          outcome: "failed",
          actions: [],
          error: "TypeError: Cannot read properties of undefined",
          errorName: "TypeError",
        },
      ]),
    );
    expect(run.managedRoleCount).toBe(1);
  });

  it("retries a set whose reconcile threw a throttling error, passing the injected clock and the run's options on", async () => {
    // Prepare
    const seen: [CoreDeps, RunOptions | undefined][] = [];
    reconcileMock
      .mockImplementationOnce(async () => {
        throw new TooManyRequestsException({ message: "Too many requests", $metadata: {} });
      })
      .mockImplementation(async (name, d, options) => {
        seen.push([d, options]);
        return reconciled(name);
      });
    const clock = { now: () => 5, random: () => 0.5, sleep: async () => undefined };

    // Act
    const run = await runBackfill({ dryRun: true, configurationSetNames: ["a"] }, deps({ clock }));

    // Assess
    expect(run.results).toEqual([skipped("a")]);
    expect(seen[0]?.[0].clock).toBe(clock);
    expect(seen[0]?.[1]).toMatchObject({ dryRun: true });
  });

  it("gives up on a throttled set when the time left is shorter than the wait", async () => {
    // Prepare
    reconcileMock.mockRejectedValue(
      new TooManyRequestsException({ message: "Too many requests", $metadata: {} }),
    );

    // Act
    const run = await runBackfill({ dryRun: false, configurationSetNames: ["a"] }, deps(), {
      remainingTimeMs: () => 100_000,
      stopMarginMs: 0,
      reserveMs: 99_000,
    });

    // Assess
    expect(run.results).toEqual([
      expect.objectContaining({
        outcome: "failed",
        error: "TooManyRequestsException: Too many requests",
        errorName: "TooManyRequestsException",
      }),
    ]);
    expect(reconcileMock).toHaveBeenCalledTimes(1);
  });

  it("copes with a listing page that has no ConfigurationSets field", async () => {
    // Prepare
    sesMock
      .on(ListConfigurationSetsCommand)
      .resolvesOnce({ NextToken: "t2" })
      .resolvesOnce({ ConfigurationSets: ["x"] });
    reconcileMock.mockImplementation(async (name) => reconciled(name));
    const listed: [number, boolean][] = [];

    // Act
    const run = await runBackfill({ dryRun: false }, deps(), {
      onListed: (n, more) => listed.push([n, more]),
    });

    // Assess
    expect(run.results).toEqual([skipped("x")]);
    expect(listed).toEqual([
      [0, true],
      [1, false],
    ]);
  });
});
