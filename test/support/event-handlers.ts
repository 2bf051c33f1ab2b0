// Test support: the event functions' handlers loaded under a test environment (their module scope runs then, as at a
// cold start), dependencies for the Lambda-agnostic runs, and a reconcile mock's default answer.
import type { Context } from "aws-lambda";
import { createAwsClients } from "../../shared/aws-clients";
import { loadConfig } from "../../shared/config";
import type { EventRunDeps } from "../../shared/event-run";
import type { reconcile } from "../../shared/reconcile";
import type { Outcome, ReportEntry } from "../../shared/report";
import { createLogger, createMetrics } from "../../shared/telemetry";

export type EventHandler = (event: never, context: Context) => Promise<unknown>;
export type EventHandlerName = "created" | "tagged" | "deleted";

/**
 * The three handlers, imported in `beforeAll` with `env` added to process.env (restored in `afterAll`). The object
 * is filled when the suite's tests run.
 */
export function eventHandlersUnder(env: Record<string, string>): Record<EventHandlerName, EventHandler> {
  const handlers = {} as Record<EventHandlerName, EventHandler>;
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, env);
    handlers.created = (await import("../../functions/on-configuration-set-created/index"))
      .handler as EventHandler;
    handlers.tagged = (await import("../../functions/on-configuration-set-tagged/index"))
      .handler as EventHandler;
    handlers.deleted = (await import("../../functions/on-configuration-set-deleted/index"))
      .handler as EventHandler;
  });
  afterAll(() => {
    process.env = saved;
  });
  return handlers;
}

/** What an event run needs, with the default configuration and real (unused or mocked) clients. */
export function testEventRunDeps(): EventRunDeps {
  return {
    clients: createAwsClients({ region: "eu-west-1" }),
    config: loadConfig({}),
    logger: createLogger(),
    metrics: createMetrics(),
  };
}

/** Makes the mocked core answer `outcome` (no actions) for every set. */
export function answerEveryReconcile(mock: jest.MockedFunction<typeof reconcile>, outcome: Outcome): void {
  mock.mockReset();
  mock.mockImplementation(async (configurationSet): Promise<ReportEntry> => ({
    configurationSet,
    outcome,
    actions: [],
  }));
}
