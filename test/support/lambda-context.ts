// Test support: one Lambda Context, shaped as the Node.js runtime passes it (@types/aws-lambda), for handler tests.
import type { Context } from "aws-lambda";

export interface LambdaContextOptions {
  functionName: string;
  region: string;
  account: string;
  memoryLimitInMB?: string;
  /** Default: a minute left. */
  getRemainingTimeInMillis?: () => number;
}

export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName, region, account } = options;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: options.memoryLimitInMB ?? "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/11/26/[$LATEST]abcdef",
    getRemainingTimeInMillis: options.getRemainingTimeInMillis ?? (() => 60_000),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
