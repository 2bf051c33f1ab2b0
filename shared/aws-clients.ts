// Infrastructure layer: the AWS SDK v3 clients, built once by each entry point and passed into the core.
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { IAMClient } from "@aws-sdk/client-iam";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient } from "@aws-sdk/client-sqs";

export interface AwsClients {
  sesv2: SESv2Client;
  iam: IAMClient;
  firehose: FirehoseClient;
}

export interface ClientOptions {
  region?: string;
  /** Attempts per call, throttling and 5xx included; the SDK's adaptive mode paces retries with a token bucket. */
  maxAttempts?: number;
}

/**
 * Endpoints are never set here: the SDK itself reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
 * (SESV2, IAM, FIREHOSE, STS, RESOURCE_GROUPS_TAGGING_API, LAMBDA, SQS), so the same code runs against AWS and the
 * local simulator.
 */
export function sdkClientConfig(options: ClientOptions = {}) {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    retryMode: "adaptive" as const,
    maxAttempts: options.maxAttempts ?? 8,
  };
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const config = sdkClientConfig(options);
  return { sesv2: new SESv2Client(config), iam: new IAMClient(config), firehose: new FirehoseClient(config) };
}

/**
 * The reconcile queue's client (event functions only; docs/events.md, "Bursts"). client-sqs checks the MD5 of every
 * message body SQS acknowledges (MD5OfMessageBody) and throws on a mismatch. Left to itself it sends each call to the
 * QueueUrl's host rather than the endpoint the SDK resolved; `useQueueUrlAsEndpoint: false` makes the endpoint
 * variables (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL) decide, as for every other client. SQS's regional endpoint
 * serves every queue URL of its region.
 */
export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return new SQSClient({ ...sdkClientConfig(options), useQueueUrlAsEndpoint: false });
}
