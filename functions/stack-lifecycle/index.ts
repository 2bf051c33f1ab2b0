// Adapter layer (Lambda): StackLifecycleFunction — the StackLifecycle custom resource's handler (docs/uninstall.md).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { createAwsClients, sdkClientConfig } from "../../shared/aws-clients";
import { runBackfillStep } from "../../shared/backfill-run";
import { loadConfig } from "../../shared/config";
import { sendAnswer } from "../../shared/custom-resource-response";
import { scopeFromFunctionArn } from "../../shared/event-scope";
import { attachPacer, TokenBucketPacer } from "../../shared/pacing";
import { CLEANUP_STOP_MARGIN_MS, handleStackLifecycle } from "../../shared/stack-lifecycle";
import { createTaggingClient } from "../../shared/tagging-client";
import { createLogger } from "../../shared/telemetry";

// Built once per container. The configuration is read when a cleanup needs it, so that an invalid one still gets
// its FAILED answer to CloudFormation instead of a cold-start failure that leaves the stack waiting.
// The cleanup lists every set (discovery "list"): the tagging client is part of the backfill's dependencies but is
// not called here.
const clients = {
  ...createAwsClients({ maxAttempts: 12 }),
  tagging: createTaggingClient({ maxAttempts: 12 }),
};
const lambda = new LambdaClient(sdkClientConfig());
const logger = createLogger();
let pacer: TokenBucketPacer | undefined;

export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  const scope = scopeFromFunctionArn(context.invokedFunctionArn);
  return handleStackLifecycle(event, {
    logger,
    functionArn: context.invokedFunctionArn,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    now: Date.now,
    invokeAsync: async (functionArn, payload) => {
      await lambda.send(
        new InvokeCommand({
          FunctionName: functionArn,
          InvocationType: "Event",
          Payload: JSON.stringify(payload),
        }),
      );
    },
    cleanupStep: (payload, remainingTimeMs) => {
      const config = loadConfig();
      pacer ??= new TokenBucketPacer({ ratePerSecond: config.sesRequestsPerSecond });
      attachPacer(clients.sesv2, pacer);
      if (scope === undefined)
        throw new Error(`Cannot read region and account from ${context.invokedFunctionArn}`);
      return runBackfillStep(
        payload,
        {
          ...clients,
          config,
          logger,
          region: process.env.AWS_REGION ?? scope.region,
          accountId: scope.account,
        },
        { remainingTimeMs, stopMarginMs: CLEANUP_STOP_MARGIN_MS, reserveMs: 0, optOutEverySet: true },
      );
    },
    answer: async (request, answer, remainingTimeMs) => {
      const attempts = await sendAnswer(request.ResponseURL, answer, {
        remainingTimeMs,
        onRetry: (attempt, delayMs, error) =>
          logger.warn("answer not delivered; retrying", { attempt, delayMs, error: error.message }),
      });
      logger.info("answer delivered", { attempts });
    },
  });
}
