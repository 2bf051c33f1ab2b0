// Test support: the backfill engine over the in-memory account — one object of deps and options per test, split
// by lifetime into runBackfill's per-process deps and per-run options as the adapters pass them.
import { Logger } from "@aws-lambda-powertools/logger";
import {
  runBackfill as runBackfillWith,
  type BackfillInput,
  type BackfillOptions,
} from "../../shared/backfill";
import { loadConfig } from "../../shared/config";
import { systemClock, type CoreDeps } from "../../shared/deps";
import { ACCOUNT, REGION, STREAM_ARN, type FakeAws } from "./fake-aws";

export const config = loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN });
export const logger = new Logger({ serviceName: "backfill-test", logLevel: "SILENT" });
/** The system clock without its waits: the throttled-set retry does not hold the tests up. */
const instantClock = { ...systemClock, sleep: async () => undefined };

/** What a test sets up in one object: the per-process deps and the run's options. */
export type BackfillDeps = CoreDeps & BackfillOptions;

export function depsFor(fake: FakeAws, extra: Partial<BackfillDeps> = {}, instant = true): BackfillDeps {
  return {
    ...fake.clients(),
    config,
    logger,
    region: REGION,
    accountId: ACCOUNT,
    pageSize: 10,
    ...(instant ? { clock: instantClock } : {}),
    ...extra,
  };
}

/** runBackfill with the test's one object split by lifetime, as the adapters pass them. */
export function runBackfill(input: BackfillInput, all: BackfillDeps) {
  const { concurrency, remainingTimeMs, stopMarginMs, reserveMs, pageSize, deliveryStreams, ...rest } = all;
  const { onListed, onResult, ...deps } = rest;
  const options: BackfillOptions = {
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(remainingTimeMs === undefined ? {} : { remainingTimeMs }),
    ...(stopMarginMs === undefined ? {} : { stopMarginMs }),
    ...(reserveMs === undefined ? {} : { reserveMs }),
    ...(pageSize === undefined ? {} : { pageSize }),
    ...(deliveryStreams === undefined ? {} : { deliveryStreams }),
    ...(onListed === undefined ? {} : { onListed }),
    ...(onResult === undefined ? {} : { onResult }),
  };
  return runBackfillWith(input, deps, options);
}
