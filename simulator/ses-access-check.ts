// Simulator layer (SES behaviour): what SES verifies before it accepts a Kinesis Firehose event destination.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { AwsError } from "./protocols";
import type { RoleRecord, World } from "./state";

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007e]*\/)?)([\w+=,.@-]{1,64})$/;
const STREAM_ARN = /^arn:aws:firehose:([a-z0-9-]+):(\d{12}):deliverystream\/([a-zA-Z0-9_.-]{1,64})$/;

export interface FirehoseTarget {
  iamRoleArn: string;
  deliveryStreamArn: string;
}

export interface AccessCheckInput {
  world: World;
  now: number;
  propagationDelayMs: number;
  configurationSetName: string;
}

/**
 * Like SES: assume the role as `ses.amazonaws.com` (trust policy evaluated with aws:SourceAccount and
 * aws:SourceArn of the configuration set; a role changed less than `propagationDelayMs` ago is not visible yet),
 * then check the role may `firehose:PutRecordBatch` on an ACTIVE stream (inline policies plus attached
 * managed policies the simulator knows). Policies are evaluated with
 * @cloud-copilot/iam-simulate. A permissions boundary is applied when it is a managed policy the simulator
 * knows (seeded); an unknown boundary ARN is treated as allowing everything.
 */
export async function checkFirehoseDestination(
  input: AccessCheckInput,
  target: FirehoseTarget,
): Promise<void> {
  const role = await assumableRole(input, target.iamRoleArn);
  if (role === undefined) {
    throw new AwsError("BadRequestException", 400, `Could not assume IAM role <${target.iamRoleArn}>.`);
  }
  if (!(await canPutRecords(input, role, target.deliveryStreamArn))) {
    throw new AwsError(
      "BadRequestException",
      400,
      `Could not access Kinesis Firehose Stream <${target.deliveryStreamArn}>.`,
    );
  }
}

async function assumableRole(input: AccessCheckInput, roleArn: string): Promise<RoleRecord | undefined> {
  const { world } = input;
  const match = ROLE_ARN.exec(roleArn);
  if (match === null || match[1] !== world.accountId) return undefined;
  const role = world.roles.get((match[3] as string).toLowerCase());
  if (role === undefined || role.path !== match[2]) return undefined;
  if (input.now - role.lastChange < input.propagationDelayMs) return undefined;
  const trustPolicy = parsePolicy(role.assumeRolePolicyDocument);
  if (trustPolicy === undefined) return undefined;
  const result = await runSimulation(
    {
      request: {
        principal: "ses.amazonaws.com",
        action: "sts:AssumeRole",
        resource: { resource: role.arn, accountId: world.accountId },
        contextVariables: {
          "aws:SourceAccount": world.accountId,
          "aws:SourceArn": world.configurationSetArn(input.configurationSetName),
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trustPolicy,
    },
    {},
  );
  return result.resultType === "single" && result.overallResult === "Allowed" ? role : undefined;
}

async function canPutRecords(input: AccessCheckInput, role: RoleRecord, streamArn: string): Promise<boolean> {
  const { world } = input;
  const match = STREAM_ARN.exec(streamArn);
  if (match === null || match[1] !== world.region || match[2] !== world.accountId) return false;
  const stream = world.deliveryStreams.get(match[3] as string);
  if (stream === undefined || world.streamStatus(stream, input.now) !== "ACTIVE") return false;

  const documents: [string, string][] = [...role.inlinePolicies];
  for (const arn of role.attachedPolicyArns) {
    const document = world.managedPolicies.get(arn);
    if (document !== undefined) documents.push([arn, document]);
  }
  const identityPolicies = documents.flatMap(([name, document]) => {
    const policy = parsePolicy(document);
    return policy === undefined ? [] : [{ name, policy }];
  });
  if (identityPolicies.length === 0) return false;
  const boundaryDocument =
    role.permissionsBoundaryArn === undefined
      ? undefined
      : world.managedPolicies.get(role.permissionsBoundaryArn);
  const boundary = boundaryDocument === undefined ? undefined : parsePolicy(boundaryDocument);

  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${world.accountId}:assumed-role/${role.name}/ses`,
        action: "firehose:PutRecordBatch",
        resource: { resource: streamArn, accountId: world.accountId },
        contextVariables: {},
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(boundary === undefined
        ? {}
        : { permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }] }),
    },
    {},
  );
  return result.resultType === "single" && result.overallResult === "Allowed";
}

function parsePolicy(document: string): object | undefined {
  try {
    const parsed: unknown = JSON.parse(document);
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
