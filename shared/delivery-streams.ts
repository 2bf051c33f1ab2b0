// Core layer: resolve the delivery stream a configuration set asks for — exists, ACTIVE, same region and account.
import { DescribeDeliveryStreamCommand, type FirehoseClient } from "@aws-sdk/client-firehose";
import { isAwsError, StreamNotUsableError } from "./errors";
import { parseDeliveryStreamArn, partitionFor } from "./naming";

/** What DescribeDeliveryStream said about one stream: its status, or absent. */
export type StreamStatus = { exists: false } | { exists: true; status: string; arn: string };

/**
 * Per-run cache of DescribeDeliveryStream results keyed by stream ARN. It holds promises, so concurrent
 * reconciles of sets that share a stream make one call between them.
 */
export type DeliveryStreamCache = Map<string, Promise<StreamStatus>>;

export function createDeliveryStreamCache(): DeliveryStreamCache {
  return new Map();
}

async function describe(firehose: FirehoseClient, name: string): Promise<StreamStatus> {
  try {
    const { DeliveryStreamDescription: description } = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }),
    );
    return {
      exists: true,
      status: description?.DeliveryStreamStatus ?? "UNKNOWN",
      arn: description?.DeliveryStreamARN ?? "",
    };
  } catch (err) {
    if (isAwsError(err, "ResourceNotFoundException")) return { exists: false };
    throw err;
  }
}

/**
 * Checks that the stream can receive events from this account's configuration sets; returns its ARN.
 * Throws StreamNotUsableError naming the stream and why; other errors (after the SDK's retries) propagate
 * and are not cached, so a later reconcile asks again.
 */
export async function resolveDeliveryStream(
  deliveryStreamArn: string,
  deps: {
    firehose: FirehoseClient;
    region: string;
    accountId: string;
    deliveryStreams?: DeliveryStreamCache | undefined;
  },
): Promise<string> {
  const parts = parseDeliveryStreamArn(deliveryStreamArn);
  if (parts === undefined) {
    throw new StreamNotUsableError(`Delivery stream "${deliveryStreamArn}" is not a delivery stream ARN.`);
  }
  if (
    parts.region !== deps.region ||
    parts.accountId !== deps.accountId ||
    parts.partition !== partitionFor(deps.region)
  ) {
    throw new StreamNotUsableError(
      `Delivery stream ${deliveryStreamArn} is in region ${parts.region}, account ${parts.accountId}: ` +
        `only streams of this configuration set's region ${deps.region} and account ${deps.accountId} are accepted.`,
    );
  }
  const cache = deps.deliveryStreams ?? createDeliveryStreamCache();
  let pending = cache.get(deliveryStreamArn);
  if (pending === undefined) {
    pending = describe(deps.firehose, parts.name);
    cache.set(deliveryStreamArn, pending);
    pending.catch(() => cache.delete(deliveryStreamArn));
  }
  const stream = await pending;
  if (!stream.exists) {
    throw new StreamNotUsableError(
      `Delivery stream "${parts.name}" does not exist in region ${deps.region}, account ${deps.accountId}: ` +
        `create it first or tag the configuration set with an existing stream.`,
    );
  }
  if (stream.status !== "ACTIVE") {
    throw new StreamNotUsableError(
      `Delivery stream "${parts.name}" is ${stream.status}, not ACTIVE: SES can only publish to an ACTIVE stream.`,
    );
  }
  return deliveryStreamArn;
}
