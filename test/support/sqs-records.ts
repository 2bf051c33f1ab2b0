// Test support: SQS records as Lambda's event source mapping delivers them from a FIFO queue (@types/aws-lambda
// SQSRecord; the record shape of the Lambda guide's "Using Lambda with Amazon SQS" example event, FIFO attributes).
import { createHash, randomUUID } from "node:crypto";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { ReconcileMessage } from "../../shared/reconcile-queue";

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

let sequence = 10_000_000_000_000_000_000n;

/** One delivered record of `message` (its body, group and deduplication ID as sent). */
export function sqsRecordOf(
  message: Pick<ReconcileMessage, "MessageBody" | "MessageGroupId" | "MessageDeduplicationId">,
  queueArn = "arn:aws:sqs:us-east-1:111122223333:autowire-ReconcileQueue-1A2B3C.fifo",
  receiveCount = 1,
): SQSRecord {
  sequence += 1n;
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID().replace(/-/g, "")}`,
    body: message.MessageBody,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(now - 1_000),
      SenderId: "AROAEXAMPLE:OnConfigurationSetTaggedFunction",
      ApproximateFirstReceiveTimestamp: String(now),
      SequenceNumber: sequence.toString(),
      MessageGroupId: message.MessageGroupId,
      MessageDeduplicationId: message.MessageDeduplicationId,
    },
    messageAttributes: {},
    md5OfBody: md5(message.MessageBody),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(":")[3] ?? "us-east-1",
  };
}

/** A batch of records, in the order given. */
export function sqsEventOf(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
