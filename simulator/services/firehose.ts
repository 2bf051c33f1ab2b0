// Simulator layer (Firehose, JSON 1.1): delivery streams with their status, addressed by X-Amz-Target.
import { FieldReader, jsonBody, type ServiceContext, type SimRequest } from "../context";
import { AwsError, epochSeconds, json11, type WireResponse } from "../protocols";

export const FIREHOSE_TARGET_PREFIX = "Firehose_20150804.";
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const STREAM_TYPES = new Set(["DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"]);

const invalid = (message: string) => new AwsError("InvalidArgumentException", 400, message);

function streamName(body: FieldReader): string {
  const name = body.string("DeliveryStreamName");
  if (!STREAM_NAME.test(name)) {
    throw invalid(`DeliveryStreamName '${name}' is invalid: use 1 to 64 characters from [a-zA-Z0-9_.-].`);
  }
  return name;
}

function notFound(ctx: ServiceContext, name: string): AwsError {
  return new AwsError(
    "ResourceNotFoundException",
    400,
    `Firehose ${name} under account ${ctx.world.accountId} not found.`,
  );
}

export function handleFirehose(operation: string, req: SimRequest, ctx: ServiceContext): WireResponse {
  const { world } = ctx;
  const body = new FieldReader(jsonBody(req), "InvalidArgumentException");
  switch (operation) {
    case "CreateDeliveryStream": {
      const name = streamName(body);
      const type = body.optionalString("DeliveryStreamType") ?? "DirectPut";
      if (!STREAM_TYPES.has(type)) {
        throw invalid(
          `DeliveryStreamType '${type}' is invalid: accepted values are ${[...STREAM_TYPES].join(", ")}.`,
        );
      }
      if (world.deliveryStreams.has(name)) {
        throw new AwsError(
          "ResourceInUseException",
          400,
          `Firehose ${name} under accountId ${world.accountId} already exists`,
        );
      }
      const now = ctx.now();
      const arn = world.deliveryStreamArn(name);
      world.deliveryStreams.set(name, {
        name,
        arn,
        type,
        createdAt: now,
        activeAt: now + ctx.deliveryStreamCreationMs,
        statusOverride: undefined,
        versionId: 1,
      });
      return json11({ DeliveryStreamARN: arn });
    }
    case "DescribeDeliveryStream": {
      const name = streamName(body);
      const stream = world.deliveryStreams.get(name);
      if (stream === undefined) throw notFound(ctx, name);
      return json11({
        DeliveryStreamDescription: {
          DeliveryStreamName: stream.name,
          DeliveryStreamARN: stream.arn,
          DeliveryStreamStatus: world.streamStatus(stream, ctx.now()),
          DeliveryStreamType: stream.type,
          VersionId: String(stream.versionId),
          CreateTimestamp: epochSeconds(stream.createdAt),
          Destinations: [],
          HasMoreDestinations: false,
        },
      });
    }
    case "ListDeliveryStreams": {
      const limit = body.optionalNumber("Limit") ?? 10;
      if (limit < 1 || limit > 10000) throw invalid(`Limit must be between 1 and 10000, got ${limit}.`);
      const type = body.optionalString("DeliveryStreamType");
      const after = body.optionalString("ExclusiveStartDeliveryStreamName");
      const page = world.deliveryStreams.page(
        after,
        limit,
        (stream) => type === undefined || stream.type === type,
      );
      return json11({
        DeliveryStreamNames: page.items.map((stream) => stream.name),
        HasMoreDeliveryStreams: page.more,
      });
    }
    case "DeleteDeliveryStream": {
      const name = streamName(body);
      if (!world.deliveryStreams.delete(name)) throw notFound(ctx, name);
      return json11({});
    }
    default:
      throw new AwsError(
        "UnknownOperationException",
        400,
        `Unknown operation ${FIREHOSE_TARGET_PREFIX}${operation}.`,
      );
  }
}
