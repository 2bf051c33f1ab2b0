// Test (deployment layer): template.yaml against the CloudFormation/SAM resource specification and docs/contract.md.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadAwsServiceSpecSync } from "@aws-cdk/aws-service-spec";
import { parseBackfillPayload } from "../../shared/backfill-payload";
import { loadConfig, ROLE_SCOPES } from "../../shared/config";
import {
  ANSWER_RESERVE_MS,
  CLEANUP_STOP_MARGIN_MS,
  DESIRED_STATE_PROPERTIES,
} from "../../shared/stack-lifecycle";
import {
  conditionHolds,
  FUNCTION_IDS,
  loadTemplate,
  resolve,
  ROOT,
  serverlessFunctions,
  type CfnTemplate,
} from "../support/cfn-template";

const template = loadTemplate();
const db = loadAwsServiceSpecSync();
const EVENT_FUNCTION_IDS = [
  "OnConfigurationSetCreatedFunction",
  "OnConfigurationSetTaggedFunction",
  "OnConfigurationSetDeletedFunction",
];
const CONTRACT_VARIABLES = [
  "OPT_IN_TAG_KEY",
  "OPT_IN_MODE",
  "DEFAULT_DELIVERY_STREAM_ARN",
  "EVENT_TYPES",
  "EVENT_DESTINATION_NAME",
  "ROLE_PATH",
  "ROLE_NAME_PREFIX",
  "PERMISSIONS_BOUNDARY_ARN",
  "PROPAGATION_TIMEOUT_SECONDS",
  "SES_REQUESTS_PER_SECOND",
  "ROLE_SCOPE",
];

// ------------------------------------------------------------------ specification check (CloudFormation + SAM)
type SpecType =
  | { type: "ref"; reference: { $ref: string } }
  | { type: "array" | "map"; element: SpecType }
  | { type: "union"; types: SpecType[] }
  | { type: string };

/**
 * SAM properties newer than the SAM part of the bundled specification (its EventBridgeRuleEvent predates them);
 * documented at https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventbridgerule.html
 */
const SAM_PROPERTIES_NEWER_THAN_RESOURCE_MODEL: Record<string, readonly string[]> = {
  EventBridgeRuleEvent: ["DeadLetterConfig", "RetryPolicy"],
};

function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || keys[0]!.startsWith("Fn::") || keys[0] === "Condition");
}

/** Unknown property names in `value` (recursively), per the type of the specification database. */
function unknownProperties(value: unknown, type: SpecType, where: string): string[] {
  if (isIntrinsic(value)) return [];
  if (type.type === "union") {
    const attempts = (type as { types: SpecType[] }).types.map((option) =>
      unknownProperties(value, option, where),
    );
    return attempts.some((errors) => errors.length === 0)
      ? []
      : attempts.sort((a, b) => a.length - b.length)[0]!;
  }
  if (type.type === "array") {
    if (!Array.isArray(value)) return [`${where}: expected a list`];
    return value.flatMap((item, index) =>
      unknownProperties(item, (type as { element: SpecType }).element, `${where}[${index}]`),
    );
  }
  if (type.type === "map") {
    if (value === null || typeof value !== "object") return [`${where}: expected a map`];
    return Object.entries(value).flatMap(([key, item]) =>
      unknownProperties(item, (type as { element: SpecType }).element, `${where}.${key}`),
    );
  }
  if (type.type === "ref") {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      return [`${where}: expected an object`];
    const definition = db.get("typeDefinition", (type as { reference: { $ref: string } }).reference.$ref);
    const newer = SAM_PROPERTIES_NEWER_THAN_RESOURCE_MODEL[definition.name] ?? [];
    const known = Object.fromEntries(Object.entries(value).filter(([key]) => !newer.includes(key)));
    return checkProperties(known, definition.properties as Record<string, { type: SpecType }>, where);
  }
  if (type.type === "json") return [];
  if (value !== null && typeof value === "object") return [`${where}: expected a ${type.type}`];
  return [];
}

function checkProperties(
  value: Record<string, unknown>,
  properties: Record<string, { type: SpecType }>,
  where: string,
) {
  return Object.entries(value).flatMap(([key, item]) => {
    const property = properties[key];
    return property === undefined
      ? [`${where}.${key}: no such property`]
      : unknownProperties(item, property.type, `${where}.${key}`);
  });
}

function resourceSpec(type: string) {
  const found = db.lookup("resource", "cloudFormationType", "equals", type);
  return found.length === 1 ? found[0] : undefined;
}

describe("template.yaml against the resource specification (@aws-cdk/aws-service-spec)", () => {
  it("is a SAM template", () => {
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
  });

  it.each(Object.entries(template.Resources))(
    "%s has a known type and only known properties",
    (logicalId, resource) => {
      // A Custom::<name> resource is an AWS::CloudFormation::CustomResource whose other properties are the provider's.
      if (resource.Type.startsWith("Custom::")) {
        const custom = resourceSpec("AWS::CloudFormation::CustomResource")!;
        expect(Object.keys(custom.properties)).toEqual(
          expect.arrayContaining(["ServiceToken", "ServiceTimeout"]),
        );
        expect(resource.Type).toMatch(/^Custom::[A-Za-z0-9_@-]{1,60}$/);
        expect(resource.Properties?.ServiceToken).toBeDefined();
        return;
      }
      const spec = resourceSpec(resource.Type);
      expect(spec?.cloudFormationType).toBe(resource.Type);
      const errors = checkProperties(
        resource.Properties ?? {},
        spec!.properties as Record<string, { type: SpecType }>,
        logicalId,
      );
      expect(errors).toEqual([]);
    },
  );

  it("Globals.Function holds only AWS::Serverless::Function properties", () => {
    const spec = resourceSpec("AWS::Serverless::Function")!;
    expect(
      checkProperties(
        template.Globals.Function,
        spec.properties as Record<string, { type: SpecType }>,
        "Globals.Function",
      ),
    ).toEqual([]);
  });

  it("the checker notices a misspelt nested property", () => {
    const spec = resourceSpec("AWS::S3::Bucket")!;
    const bucket = { PublicAccessBlockConfiguration: { BlockPublicAcl: true } };
    expect(checkProperties(bucket, spec.properties as Record<string, { type: SpecType }>, "Bucket")).toEqual([
      "Bucket.PublicAccessBlockConfiguration.BlockPublicAcl: no such property",
    ]);
  });
});

// ------------------------------------------------------------------ functions
describe("functions", () => {
  const functions = serverlessFunctions(template);

  it("are the six of docs/contract.md, on nodejs22.x", () => {
    expect(functions.map(([id]) => id).sort()).toEqual([...FUNCTION_IDS].sort());
    expect(template.Globals.Function.Runtime).toBe("nodejs22.x");
    for (const [, fn] of functions)
      expect(fn.Properties?.Runtime ?? template.Globals.Function.Runtime).toBe("nodejs22.x");
  });

  it.each(functions)(
    "%s is bundled by esbuild, minified with source maps, from an entry point that exists",
    (_id, fn) => {
      const metadata = fn.Metadata as { BuildMethod: string; BuildProperties: Record<string, unknown> };
      expect(metadata.BuildMethod).toBe("esbuild");
      expect(metadata.BuildProperties).toMatchObject({
        Minify: true,
        Sourcemap: true,
        Format: "cjs",
        Platform: "node",
      });
      const [entryPoint] = metadata.BuildProperties.EntryPoints as string[];
      expect(entryPoint).toMatch(/^functions\/[a-z-]+\/index\.ts$/);
      expect(existsSync(path.join(ROOT, entryPoint!))).toBe(true);
      expect(fn.Properties?.Handler ?? template.Globals.Function.Handler).toBe("index.handler");
    },
  );

  it("give every function every variable of docs/contract.md, from a parameter", () => {
    const variables = (template.Globals.Function.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(CONTRACT_VARIABLES));
  });

  it("with the parameters' defaults, configure the functions exactly like loadConfig's defaults", () => {
    const variables = resolve(
      { template },
      (template.Globals.Function.Environment as { Variables: unknown }).Variables,
    );
    const config = loadConfig(variables as Record<string, string>);
    expect({ ...config, defaultDeliveryStreamArn: undefined }).toEqual({
      ...loadConfig({}),
      defaultDeliveryStreamArn: undefined,
    });
    expect(config.defaultDeliveryStreamArn).toMatch(/DefaultDeliveryStream/);
  });

  // ReconcileFunction is invoked synchronously by its event source mapping: its failures stay on its queue (below).
  const asyncFunctions = functions.filter(([id]) => id !== "ReconcileFunction");

  it.each(asyncFunctions)("%s sends failed async invocations to the dead-letter queue", (_id, fn) => {
    expect(fn.Properties?.EventInvokeConfig).toMatchObject({
      MaximumRetryAttempts: expect.any(Number),
      DestinationConfig: {
        OnFailure: { Type: "SQS", Destination: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
      },
    });
  });

  it.each(functions)("%s logs to a log group with a retention", (id) => {
    const logGroup = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === "AWS::Logs::LogGroup" &&
        JSON.stringify(resource.Properties?.LogGroupName) ===
          JSON.stringify({ "Fn::Sub": `/aws/lambda/\${${id}}` }),
    );
    expect(logGroup?.Properties?.RetentionInDays).toEqual({ Ref: "LogRetentionInDays" });
  });

  it("every EventBridge rule retries and has a dead-letter queue", () => {
    const rules = asyncFunctions.flatMap(([, fn]) =>
      Object.values(
        (fn.Properties?.Events ?? {}) as Record<
          string,
          { Type: string; Properties: Record<string, unknown> }
        >,
      ),
    );
    expect(rules.length).toBe(5);
    for (const rule of rules) {
      expect(rule.Type).toBe("EventBridgeRule");
      expect(rule.Properties).toMatchObject({
        RetryPolicy: {
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
      });
    }
  });

  it("BackfillFunction may run 15 minutes, one at a time unless ReserveBackfillConcurrency=false", () => {
    expect(template.Resources.BackfillFunction?.Properties).toMatchObject({
      Timeout: 900,
      ReservedConcurrentExecutions: {
        "Fn::If": ["ReservesBackfillConcurrency", 1, { Ref: "AWS::NoValue" }],
      },
    });
    expect(template.Parameters?.ReserveBackfillConcurrency).toMatchObject({
      Default: "true",
      AllowedValues: ["true", "false"],
    });
    expect(template.Conditions?.ReservesBackfillConcurrency).toEqual({
      "Fn::Equals": [{ Ref: "ReserveBackfillConcurrency" }, "true"],
    });
  });

  it("only the backfill reserves concurrency: the burst bound is the reconcile queue's MaximumConcurrency", () => {
    const reserving = functions.filter(([, fn]) => fn.Properties?.ReservedConcurrentExecutions !== undefined);
    expect(reserving.map(([id]) => id)).toEqual(["BackfillFunction"]);
  });

  it.each(EVENT_FUNCTION_IDS)("%s queues its sets on ReconcileQueue (RECONCILE_QUEUE_URL)", (id) => {
    const fn = template.Resources[id]!;
    expect(fn.Properties?.Environment).toEqual({
      Variables: { RECONCILE_QUEUE_URL: { Ref: "ReconcileQueue" } },
    });
    // Resolved as the functions read it: the queue URL passes loadConfig's check.
    const url = `https://sqs.us-east-1.amazonaws.com/111122223333/ses-firehose-autowire-ReconcileQueue-AB12.fifo`;
    expect(loadConfig({ RECONCILE_QUEUE_URL: url }).reconcileQueueUrl).toBe(url);
  });
});

// ------------------------------------------------------------------ the reconcile queue
describe("the reconcile queue (docs/events.md, Bursts)", () => {
  const queue = template.Resources.ReconcileQueue!;
  const reconcileFunction = template.Resources.ReconcileFunction!;
  const globalTimeout = Number(template.Globals.Function.Timeout);

  it("is a high-throughput FIFO queue, deduplicating per message group, encrypted, deleted with the stack", () => {
    expect(queue).toMatchObject({
      Type: "AWS::SQS::Queue",
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
      Properties: {
        FifoQueue: true,
        DeduplicationScope: "messageGroup",
        FifoThroughputLimit: "perMessageGroupId",
        SqsManagedSseEnabled: true,
      },
    });
  });

  it("hides a delivered batch for six times the function's timeout (AWS's advice for Lambda consumers)", () => {
    const timeout = Number(reconcileFunction.Properties?.Timeout ?? globalTimeout);
    expect(queue.Properties?.VisibilityTimeout).toBe(6 * timeout);
    // A message must be able to use all its deliveries before it expires (an expired message is lost).
    expect(Number(queue.Properties?.MessageRetentionPeriod)).toBeGreaterThan(5 * 6 * timeout);
  });

  it("sends a set to its FIFO dead-letter queue after five deliveries; that queue keeps it 14 days", () => {
    expect(queue.Properties?.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": ["ReconcileDeadLetterQueue", "Arn"] },
      maxReceiveCount: 5,
    });
    expect(template.Resources.ReconcileDeadLetterQueue).toMatchObject({
      Type: "AWS::SQS::Queue",
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
      Properties: { FifoQueue: true, SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 },
    });
  });

  it("is consumed by ReconcileFunction: batches of 10, at most EventConcurrency at once, partial failures", () => {
    expect(template.Resources.ReconcileQueueEventSourceMapping).toEqual({
      Type: "AWS::Lambda::EventSourceMapping",
      Properties: {
        FunctionName: { Ref: "ReconcileFunction" },
        EventSourceArn: { "Fn::GetAtt": ["ReconcileQueue", "Arn"] },
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: { Ref: "EventConcurrency" } },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      },
    });
    // Not SAM's SQS event: that would attach AWSLambdaSQSQueueExecutionRole (every queue of the account).
    expect(reconcileFunction.Properties?.Events).toBeUndefined();
    // Lambda accepts a MaximumConcurrency of 2 to 1000: the parameter cannot go below.
    expect(template.Parameters.EventConcurrency).toMatchObject({ Type: "Number", Default: 2, MinValue: 2 });
    expect(Number(template.Parameters.EventConcurrency!.MaxValue)).toBeLessThanOrEqual(1000);
  });

  it("ReconcileFunction is deleted (with its event source mapping) before the cleanup runs", () => {
    expect([reconcileFunction.DependsOn].flat()).toContain("StackLifecycle");
  });
});

// ------------------------------------------------------------------ parameters
describe("parameters", () => {
  const constrained = (name: string) => {
    const parameter = template.Parameters[name]!;
    return (
      parameter.AllowedPattern !== undefined ||
      parameter.AllowedValues !== undefined ||
      parameter.MinValue !== undefined
    );
  };

  it("every parameter is constrained and its default passes its own constraint", () => {
    for (const [name, parameter] of Object.entries(template.Parameters)) {
      expect(`${name}: ${constrained(name)}`).toBe(`${name}: true`);
      const value = String(parameter.Default);
      if (parameter.AllowedPattern !== undefined)
        expect(new RegExp(String(parameter.AllowedPattern), "u").test(value)).toBe(true);
      if (parameter.AllowedValues !== undefined)
        expect((parameter.AllowedValues as unknown[]).map(String)).toContain(value);
    }
  });

  it.each([
    ["OptInTagKey", "aws:reserved", "OPT_IN_TAG_KEY"],
    [
      "DefaultDeliveryStreamArn",
      "arn:aws:kinesis:us-east-1:111122223333:stream/x",
      "DEFAULT_DELIVERY_STREAM_ARN",
    ],
    ["EventTypes", "SEND,SPAM", "EVENT_TYPES"],
    ["EventDestinationName", "has space", "EVENT_DESTINATION_NAME"],
    ["RolePath", "no-slashes", "ROLE_PATH"],
    ["RoleNamePrefix", "x".repeat(33), "ROLE_NAME_PREFIX"],
    ["PermissionsBoundaryArn", "AdministratorAccess", "PERMISSIONS_BOUNDARY_ARN"],
    ["SesRequestsPerSecond", "fast", "SES_REQUESTS_PER_SECOND"],
  ])("%s rejects %j, which the functions would reject too", (name, value, variable) => {
    const pattern = new RegExp(String(template.Parameters[name]!.AllowedPattern), "u");
    expect(pattern.test(value)).toBe(false);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it("RoleScope allows exactly the scopes the functions accept, and each one configures them", () => {
    expect(template.Parameters.RoleScope!.AllowedValues).toEqual([...ROLE_SCOPES]);
    for (const scope of ROLE_SCOPES) {
      const variables = resolve(
        withParameters({ RoleScope: scope }),
        (template.Globals.Function.Environment as { Variables: unknown }).Variables,
      ) as Record<string, string>;
      expect(loadConfig(variables).roleScope).toBe(scope);
    }
  });

  it("ReconcileSchedule accepts empty (no schedule) or a schedule expression", () => {
    const pattern = new RegExp(String(template.Parameters.ReconcileSchedule!.AllowedPattern));
    expect(["", "rate(1 day)", "cron(0 3 * * ? *)"].every((value) => pattern.test(value))).toBe(true);
    expect(pattern.test("daily")).toBe(false);
  });
});

// ------------------------------------------------------------------ install and uninstall
describe("the StackLifecycle custom resource", () => {
  const lifecycle = template.Resources.StackLifecycle!;

  it("is a Custom::SesFirehoseAutowire served by StackLifecycleFunction, answering within 1 to 3,600 s", () => {
    expect(lifecycle.Type).toBe("Custom::SesFirehoseAutowire");
    expect(lifecycle.Properties?.ServiceToken).toEqual({ "Fn::GetAtt": ["StackLifecycleFunction", "Arn"] });
    const timeout = lifecycle.Properties?.ServiceTimeout as number;
    expect(Number.isInteger(timeout) && timeout >= 1 && timeout <= 3600).toBe(true);
  });

  it("carries every setting that decides what is wired, from its parameter, so that an Update shows old and new", () => {
    const properties = lifecycle.Properties ?? {};
    for (const name of DESIRED_STATE_PROPERTIES.filter((p) => p !== "DefaultDeliveryStreamArn")) {
      expect(`${name}: ${JSON.stringify(properties[name])}`).toBe(
        `${name}: ${JSON.stringify({ Ref: name })}`,
      );
    }
    const variables = (template.Globals.Function.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(properties.DefaultDeliveryStreamArn).toEqual(variables.DEFAULT_DELIVERY_STREAM_ARN);
    expect(properties).toMatchObject({
      BackfillFunctionArn: { "Fn::GetAtt": ["BackfillFunction", "Arn"] },
      BackfillOnDeploy: { Ref: "BackfillOnDeploy" },
      CleanupOnDelete: { Ref: "CleanupOnDelete" },
    });
  });

  it("is deleted while its function's self-invoke policy and log group still exist", () => {
    expect(lifecycle.DependsOn).toEqual(
      expect.arrayContaining(["StackLifecycleSelfInvokePolicy", "StackLifecycleLogGroup"]),
    );
    expect(template.Resources.StackLifecycleSelfInvokePolicy?.Properties?.Roles).toEqual([
      { Ref: "StackLifecycleFunctionRole" },
    ]);
  });

  it.each(EVENT_FUNCTION_IDS)(
    "%s (and its rules) is deleted before the cleanup runs, so no event wires a set again meanwhile",
    (id) => {
      expect([template.Resources[id]?.DependsOn].flat()).toContain("StackLifecycle");
    },
  );

  it.each(["BackfillOnDeploy", "CleanupOnDelete"])(
    "parameter %s is true or false, true by default",
    (name) => {
      expect(template.Parameters[name]).toMatchObject({
        Type: "String",
        Default: "true",
        AllowedValues: ["true", "false"],
      });
    },
  );

  it("gives its function 15 minutes per invocation, more than the cleanup's stop margin and answer reserve", () => {
    const timeout = Number(template.Resources.StackLifecycleFunction?.Properties?.Timeout) * 1000;
    expect(timeout).toBe(900_000);
    expect(timeout).toBeGreaterThan(CLEANUP_STOP_MARGIN_MS + ANSWER_RESERVE_MS);
  });

  it("tells the user how to uninstall", () => {
    const outputs = resolve(withParameters({}), template.Outputs) as Record<string, { Value: string }>;
    expect(outputs.UninstallCommand?.Value).toBe(
      "sam delete --stack-name ses-firehose-autowire --region us-east-1",
    );
  });
});

// ------------------------------------------------------------------ optional resources
function withParameters(parameters: Record<string, string>) {
  return { template, parameters };
}

function conditionalResources(t: CfnTemplate, condition: string) {
  return Object.entries(t.Resources)
    .filter(([, resource]) => resource.Condition === condition)
    .map(([id]) => id)
    .sort();
}

describe("the optional default delivery stream", () => {
  it("is created, with its bucket and role, only when no stream ARN is given", () => {
    expect(conditionalResources(template, "CreateDefaultStream")).toEqual([
      "DefaultDeliveryStream",
      "DefaultDeliveryStreamRole",
      "DefaultStreamBucket",
      "DefaultStreamBucketPolicy",
    ]);
    expect(conditionHolds(withParameters({}), "CreateDefaultStream")).toBe(true);
    const given = { DefaultDeliveryStreamArn: "arn:aws:firehose:us-east-1:111122223333:deliverystream/mine" };
    expect(conditionHolds(withParameters(given), "CreateDefaultStream")).toBe(false);
    const variables = resolve(withParameters(given), template.Globals.Function.Environment) as {
      Variables: Record<string, string>;
    };
    expect(variables.Variables.DEFAULT_DELIVERY_STREAM_ARN).toBe(given.DefaultDeliveryStreamArn);
  });

  it("delivers DirectPut records to an encrypted bucket that blocks all public access and is kept on delete", () => {
    const bucket = template.Resources.DefaultStreamBucket!;
    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(template.Resources.DefaultDeliveryStream?.Properties).toMatchObject({
      DeliveryStreamType: "DirectPut",
      ExtendedS3DestinationConfiguration: { BucketARN: { "Fn::GetAtt": ["DefaultStreamBucket", "Arn"] } },
    });
  });

  it("gives Firehose a role that can write only to that bucket", () => {
    const role = resolve(withParameters({}), template.Resources.DefaultDeliveryStreamRole?.Properties) as {
      Policies: { PolicyDocument: { Statement: { Resource: string[] }[] } }[];
    };
    const resources = role.Policies.flatMap((policy) =>
      policy.PolicyDocument.Statement.flatMap((s) => s.Resource),
    );
    expect(resources.every((arn) => arn.includes("DefaultStreamBucket"))).toBe(true);
  });
});

describe("the periodic reconcile", () => {
  it("exists only when ReconcileSchedule is set, and runs a real (not dry) backfill", () => {
    expect(conditionalResources(template, "HasReconcileSchedule")).toEqual([
      "ReconcileSchedulePermission",
      "ReconcileScheduleRule",
    ]);
    expect(conditionHolds(withParameters({}), "HasReconcileSchedule")).toBe(false);
    expect(conditionHolds(withParameters({ ReconcileSchedule: "rate(1 day)" }), "HasReconcileSchedule")).toBe(
      true,
    );
    const rule = template.Resources.ReconcileScheduleRule!.Properties as {
      Targets: { Input: string; DeadLetterConfig: unknown }[];
    };
    // A full audit: only a run that lists every set may delete a delivery-stream role no destination names.
    expect(parseBackfillPayload(JSON.parse(rule.Targets[0]!.Input))).toEqual({
      dryRun: false,
      discovery: "list",
    });
    expect(rule.Targets[0]!.DeadLetterConfig).toBeDefined();
  });
});

describe("alarms and outputs", () => {
  it.each([
    ["DeadLetterQueueDepthAlarm", "DeadLetterQueue"],
    ["ReconcileDeadLetterQueueDepthAlarm", "ReconcileDeadLetterQueue"],
  ])("%s alarms on the depth of %s", (alarm, queue) => {
    expect(template.Resources[alarm]?.Properties).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: { "Fn::If": ["HasAlarmTopic", [{ Ref: "AlarmTopicArn" }], { Ref: "AWS::NoValue" }] },
    });
  });

  it("alarms on the errors of all six functions", () => {
    const metrics = template.Resources.FunctionErrorsAlarm?.Properties?.Metrics as {
      MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } };
    }[];
    const watched = metrics.flatMap((m) =>
      m.MetricStat?.Metric.MetricName === "Errors" ? [m.MetricStat.Metric.Dimensions[0]!.Value] : [],
    );
    expect(watched).toEqual(expect.arrayContaining(FUNCTION_IDS.map((id) => ({ Ref: id }))));
  });

  it("tell the user how to run a dry-run backfill and where failures land", () => {
    const outputs = resolve(withParameters({}), template.Outputs) as Record<string, { Value: string }>;
    expect(outputs.BackfillDryRunCommand?.Value).toBe(
      `sam remote invoke BackfillFunction --stack-name ses-firehose-autowire --event '{"dryRun":true}'`,
    );
    expect(outputs.DeadLetterQueueUrl).toBeDefined();
    expect(outputs.ReconcileDeadLetterQueueUrl).toBeDefined();
    expect(outputs.ReconcileFunctionName).toBeDefined();
  });
});

describe("samconfig.toml", () => {
  const samconfig = readFileSync(path.join(ROOT, "samconfig.toml"), "utf8");

  it("holds no account-specific value", () => {
    expect(samconfig).not.toMatch(/\d{12}/);
    expect(samconfig).not.toMatch(/^\s*(region|profile|s3_bucket)\s*=/m);
  });

  it("deploys with a managed bucket, the IAM capabilities and a change set to confirm", () => {
    expect(samconfig).toMatch(/^resolve_s3 = true$/m);
    expect(samconfig).toMatch(/^capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"$/m);
    expect(samconfig).toMatch(/^confirm_changeset = true$/m);
  });
});
