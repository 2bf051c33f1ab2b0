// Test support (template -> simulator): the SQS queues template.yaml declares, created in the simulator with their
// CloudFormation properties as CreateQueue attributes, and the settings of a function's SQS event source mapping —
// so the harness runs the queue and the mapping as a deploy would configure them, not as a test guesses.
import type { Simulator } from "../../simulator";
import { resolve, type CfnTemplate } from "./cfn-template";

/** AWS::SQS::Queue properties that are CreateQueue attributes of the same name. */
const QUEUE_ATTRIBUTES = [
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
  "VisibilityTimeout",
  "MessageRetentionPeriod",
  "DelaySeconds",
  "MaximumMessageSize",
  "ReceiveMessageWaitTimeSeconds",
  "SqsManagedSseEnabled",
] as const;

export interface TemplateQueue {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
}

function getAttTarget(value: unknown): string | undefined {
  const args = (value as { "Fn::GetAtt"?: unknown } | null)?.["Fn::GetAtt"];
  const [resource] = Array.isArray(args)
    ? (args as string[])
    : typeof args === "string"
      ? args.split(".")
      : [];
  return resource;
}

/**
 * Creates every AWS::SQS::Queue of the template (dead-letter targets first), named after its logical ID (plus
 * `.fifo` for a FIFO queue, as CloudFormation names them); returns them by logical ID.
 */
export function createTemplateQueues(
  sim: Simulator,
  template: CfnTemplate,
  parameters: Record<string, string> = {},
): Record<string, TemplateQueue> {
  const declared = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::SQS::Queue",
  );
  const created: Record<string, TemplateQueue> = {};
  const create = (logicalId: string, properties: Record<string, unknown>): void => {
    if (created[logicalId] !== undefined) return;
    const resolved = resolve({ template, parameters }, properties) as Record<string, unknown>;
    const unknown = Object.keys(resolved).filter(
      (key) => !(QUEUE_ATTRIBUTES as readonly string[]).includes(key) && key !== "RedrivePolicy",
    );
    if (unknown.length > 0) {
      throw new Error(`${logicalId}: queue properties not emulated by the harness: ${unknown.join(", ")}`);
    }
    const attributes: Record<string, string> = {};
    for (const key of QUEUE_ATTRIBUTES) {
      if (resolved[key] !== undefined) attributes[key] = String(resolved[key]);
    }
    const redrive = properties.RedrivePolicy as
      { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
    if (redrive !== undefined) {
      const target = getAttTarget(redrive.deadLetterTargetArn);
      const targetProperties = target === undefined ? undefined : template.Resources[target]?.Properties;
      if (target === undefined || targetProperties === undefined) {
        throw new Error(
          `${logicalId}: the RedrivePolicy target must be !GetAtt <queue in this template>.Arn`,
        );
      }
      create(target, targetProperties);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: created[target]!.arn,
        maxReceiveCount: Number(resolve({ template, parameters }, redrive.maxReceiveCount)),
      });
    }
    const name = attributes.FifoQueue === "true" ? `${logicalId}.fifo` : logicalId;
    const url = sim.state.createQueue(name, attributes);
    created[logicalId] = { logicalId, name, url, arn: sim.state.getQueue(name)!.arn };
  };
  for (const [logicalId, resource] of declared) create(logicalId, resource.Properties ?? {});
  return created;
}

export interface TemplateEventSourceMapping {
  /** Logical ID of the queue it reads. */
  queue: string;
  batchSize: number;
  maximumConcurrency: number;
  reportBatchItemFailures: boolean;
}

/** The AWS::Lambda::EventSourceMapping that feeds `functionId` from an SQS queue of the template. */
export function eventSourceMappingOf(
  template: CfnTemplate,
  functionId: string,
  parameters: Record<string, string> = {},
): TemplateEventSourceMapping {
  const mappings = Object.values(template.Resources).filter(
    (resource) =>
      resource.Type === "AWS::Lambda::EventSourceMapping" &&
      (resource.Properties?.FunctionName as { Ref?: unknown } | undefined)?.Ref === functionId,
  );
  const [mapping] = mappings;
  if (mappings.length !== 1 || mapping === undefined) {
    throw new Error(
      `template.yaml has ${mappings.length} event source mappings for ${functionId}, expected 1`,
    );
  }
  const properties = mapping.Properties ?? {};
  const queue = getAttTarget(properties.EventSourceArn);
  if (queue === undefined)
    throw new Error(`${functionId}'s event source mapping does not read a queue of the template`);
  const resolved = resolve({ template, parameters }, properties) as {
    BatchSize?: unknown;
    ScalingConfig?: { MaximumConcurrency?: unknown };
    FunctionResponseTypes?: unknown[];
  };
  return {
    queue,
    // Lambda's default BatchSize for SQS is 10.
    batchSize: Number(resolved.BatchSize ?? 10),
    // Without ScalingConfig the mapping is bounded by the function's concurrency only (1000 here: Lambda's maximum).
    maximumConcurrency: Number(resolved.ScalingConfig?.MaximumConcurrency ?? 1000),
    reportBatchItemFailures: (resolved.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
  };
}
