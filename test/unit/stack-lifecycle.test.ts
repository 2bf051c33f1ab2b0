// Core layer tests: the StackLifecycle custom resource — what each CloudFormation request does, the one answer it
// gets (status, reason, ids), the cleanup's continuation across invocations, and the answer before the deadline.
import { Logger } from "@aws-lambda-powertools/logger";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import type { BackfillPayload } from "../../shared/backfill-payload";
import type { BackfillStep } from "../../shared/backfill-run";
import type { CustomResourceAnswer } from "../../shared/custom-resource-response";
import { emptyCounts, type ReportEntry } from "../../shared/report";
import {
  ANSWER_RESERVE_MS,
  handleStackLifecycle,
  type StackLifecycleDeps,
} from "../../shared/stack-lifecycle";
import { parseLifecycleInput } from "../../shared/stack-lifecycle-request";
import { InvalidLifecycleInputError } from "../../shared/errors";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/mail-events/5b6f1a30-9d6e-11ef-8c7e-0a1b2c3d4e5f`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:mail-events-StackLifecycleFunction-AbC123`;
const BACKFILL_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:mail-events-BackfillFunction-XyZ789`;
const PHYSICAL_ID = `ses-firehose-autowire/${REGION}/mail-events`;
const PROPERTIES = {
  ServiceToken: FUNCTION_ARN,
  ServiceTimeout: "3600",
  BackfillFunctionArn: BACKFILL_ARN,
  BackfillOnDeploy: "true",
  CleanupOnDelete: "true",
  OptInTagKey: "ses-firehose",
  OptInMode: "tag",
  DefaultDeliveryStreamArn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/ses-events`,
  EventTypes: "SEND,BOUNCE",
  EventDestinationName: "ses-firehose-autowire",
  RolePath: "/ses-firehose-autowire/",
  RoleNamePrefix: "ses-firehose",
  PermissionsBoundaryArn: "",
};

function request(
  type: "Create" | "Update" | "Delete",
  properties: Record<string, string> = {},
  old: Record<string, string> = {},
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: FUNCTION_ARN,
    ResponseURL:
      "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x?X-Amz-Signature=s",
    StackId: STACK_ID,
    RequestId: "a3d2f1e0-1111-2222-3333-444455556666",
    LogicalResourceId: "StackLifecycle",
    ResourceType: "Custom::SesFirehoseAutowire",
    ResourceProperties: { ...PROPERTIES, ...properties },
  };
  if (type === "Create") return { ...common, RequestType: "Create" };
  if (type === "Delete") return { ...common, RequestType: "Delete", PhysicalResourceId: PHYSICAL_ID };
  return {
    ...common,
    RequestType: "Update",
    PhysicalResourceId: PHYSICAL_ID,
    OldResourceProperties: { ...PROPERTIES, ...old },
  };
}

interface Fake {
  deps: StackLifecycleDeps;
  answers: CustomResourceAnswer[];
  invokes: { functionArn: string; payload: unknown }[];
  steps: BackfillPayload[];
  clock: { now: number; remaining: number };
}

const complete = (results: ReportEntry[], invocations = 1): BackfillStep => {
  const counts = emptyCounts();
  for (const entry of results) counts[entry.outcome] += 1;
  return {
    status: "complete",
    report: {
      dryRun: false,
      discovery: "list",
      region: REGION,
      account: ACCOUNT,
      counts,
      results,
      runId: "run-1",
      startedAt: "2026-12-02T00:00:00.000Z",
      invocations,
      failuresOmitted: 0,
    },
  };
};

const continued = (processedSoFar: number): BackfillStep => ({
  status: "continue",
  payload: {
    dryRun: false,
    continuation: {
      runId: "run-1",
      startedAt: "2026-12-02T00:00:00.000Z",
      invocation: 1,
      cursor: { index: processedSoFar },
      counts: { ...emptyCounts(), removed: processedSoFar },
      failures: [],
      failuresOmitted: 0,
    },
  },
  progress: {
    continued: true,
    runId: "run-1",
    invocation: 1,
    processed: processedSoFar,
    processedSoFar,
    counts: { ...emptyCounts(), removed: processedSoFar },
  },
});

function fake(step: (payload: BackfillPayload) => Promise<BackfillStep> = async () => complete([])): Fake {
  const answers: CustomResourceAnswer[] = [];
  const invokes: Fake["invokes"] = [];
  const steps: BackfillPayload[] = [];
  const clock = { now: 1_000_000, remaining: 900_000 };
  return {
    answers,
    invokes,
    steps,
    clock,
    deps: {
      logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
      functionArn: FUNCTION_ARN,
      remainingTimeMs: () => clock.remaining,
      now: () => clock.now,
      invokeAsync: async (functionArn, payload) => {
        invokes.push({ functionArn, payload });
      },
      cleanupStep: async (payload) => {
        steps.push(payload);
        return step(payload);
      },
      answer: async (_request, answer) => {
        answers.push(answer);
      },
    },
  };
}

const removed = (name: string): ReportEntry => ({
  configurationSet: name,
  outcome: "removed",
  actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy", "DeleteRole"],
});

describe("Create", () => {
  it("invokes the backfill asynchronously, then answers SUCCESS with a physical id and the request's ids", async () => {
    // Prepare
    const { deps, answers, invokes } = fake();
    // Act
    const result = await handleStackLifecycle(request("Create"), deps);
    // Assess
    expect(invokes).toEqual([{ functionArn: BACKFILL_ARN, payload: { dryRun: false } }]);
    expect(answers).toEqual([
      {
        Status: "SUCCESS",
        Reason: expect.stringContaining("Backfill started (stack created)"),
        PhysicalResourceId: PHYSICAL_ID,
        StackId: STACK_ID,
        RequestId: "a3d2f1e0-1111-2222-3333-444455556666",
        LogicalResourceId: "StackLifecycle",
        Data: { BackfillStarted: "true" },
      },
    ]);
    expect(result).toEqual({ status: "answered", answer: answers[0] });
  });

  it("with BackfillOnDeploy false answers SUCCESS and invokes nothing", async () => {
    const { deps, answers, invokes } = fake();
    await handleStackLifecycle(request("Create", { BackfillOnDeploy: "FALSE" }), deps);
    expect(invokes).toEqual([]);
    expect(answers[0]).toMatchObject({ Status: "SUCCESS", Data: { BackfillStarted: "false" } });
  });

  it.each([
    ["BackfillOnDeploy", "yes", 'Property BackfillOnDeploy="yes" is not valid: expected "true" or "false".'],
    ["CleanupOnDelete", "1", 'Property CleanupOnDelete="1" is not valid: expected "true" or "false".'],
    [
      "BackfillFunctionArn",
      "BackfillFunction",
      'Property BackfillFunctionArn="BackfillFunction" is not valid',
    ],
  ])("with %s=%j answers FAILED naming the property and what is accepted", async (name, value, message) => {
    const { deps, answers, invokes } = fake();
    await handleStackLifecycle(request("Create", { [name]: value }), deps);
    expect(invokes).toEqual([]);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.Status).toBe("FAILED");
    expect(answers[0]?.Reason).toContain(`Create failed: ${message}`);
    expect(answers[0]?.PhysicalResourceId).toBe(PHYSICAL_ID);
  });

  it("answers FAILED with the error when the backfill cannot be invoked", async () => {
    const { deps, answers } = fake();
    deps.invokeAsync = async () => {
      throw Object.assign(new Error("User is not authorized to perform: lambda:InvokeFunction"), {
        name: "AccessDeniedException",
      });
    };
    await handleStackLifecycle(request("Create"), deps);
    expect(answers[0]).toMatchObject({
      Status: "FAILED",
      Reason:
        "Create failed: AccessDeniedException: User is not authorized to perform: lambda:InvokeFunction.",
    });
  });
});

describe("Update", () => {
  it("with unchanged properties answers SUCCESS with the same physical id and starts no backfill", async () => {
    const { deps, answers, invokes } = fake();
    await handleStackLifecycle(request("Update"), deps);
    expect(invokes).toEqual([]);
    expect(answers[0]).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: PHYSICAL_ID });
  });

  it("starts a backfill when a setting that decides the wiring changed, and says which", async () => {
    const { deps, answers, invokes } = fake();
    await handleStackLifecycle(request("Update", { OptInMode: "all", EventTypes: "SEND" }), deps);
    expect(invokes).toEqual([{ functionArn: BACKFILL_ARN, payload: { dryRun: false } }]);
    expect(answers[0]).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: PHYSICAL_ID,
      Reason: expect.stringContaining("OptInMode, EventTypes changed"),
    });
  });

  it("starts none when only BackfillOnDeploy or CleanupOnDelete changed, or BackfillOnDeploy is false", async () => {
    const first = fake();
    await handleStackLifecycle(request("Update", { CleanupOnDelete: "false" }), first.deps);
    const second = fake();
    await handleStackLifecycle(
      request("Update", { BackfillOnDeploy: "false", OptInMode: "all" }),
      second.deps,
    );
    expect([...first.invokes, ...second.invokes]).toEqual([]);
    expect(first.answers[0]?.Reason).toBe(
      "Updated; no backfill started: no setting that changes the wiring changed.",
    );
    expect(second.answers[0]?.Reason).toBe("Updated; no backfill started: BackfillOnDeploy is false.");
  });
});

describe("Delete", () => {
  it("with CleanupOnDelete false answers SUCCESS and runs no cleanup", async () => {
    const { deps, answers, steps } = fake();
    await handleStackLifecycle(request("Delete", { CleanupOnDelete: "false" }), deps);
    expect(steps).toEqual([]);
    expect(answers[0]).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: PHYSICAL_ID });
    expect(answers[0]?.Reason).toMatch(/left in place/);
  });

  it("with an unreadable CleanupOnDelete (a Create that failed on it) answers SUCCESS and removes nothing", async () => {
    const { deps, answers, steps } = fake();
    await handleStackLifecycle(request("Delete", { CleanupOnDelete: "maybe" }), deps);
    expect(steps).toEqual([]);
    expect(answers[0]).toMatchObject({ Status: "SUCCESS" });
    expect(answers[0]?.Reason).toMatch(/CleanupOnDelete="maybe" is not valid.*Nothing was removed/);
  });

  it("cleans up in one invocation and answers SUCCESS with the counts", async () => {
    const { deps, answers, steps, invokes } = fake(async () =>
      complete([removed("a"), removed("b"), { configurationSet: "c", outcome: "skipped", actions: [] }]),
    );
    await handleStackLifecycle(request("Delete"), deps);
    // Every set is listed: a destination of ours can sit on a set that neither carries the tag nor has our role.
    expect(steps).toEqual([{ dryRun: false, discovery: "list" }]);
    expect(invokes).toEqual([]);
    expect(answers).toEqual([
      expect.objectContaining({
        Status: "SUCCESS",
        PhysicalResourceId: PHYSICAL_ID,
        Reason: `Removed every event destination and role this stack made in ${REGION}: 2 removed, 1 skipped (1 invocation(s)).`,
      }),
    ]);
  });

  it("continues in a new invocation of itself without answering, then answers once at the end", async () => {
    // Prepare
    const first = fake(async () => continued(600));
    // Act: the request
    const result = await handleStackLifecycle(request("Delete"), first.deps);
    // Assess: no answer, one continuation carrying the request, when it started and the cursor
    expect(result).toEqual({ status: "continued", invocation: 1, processedSoFar: 600 });
    expect(first.answers).toEqual([]);
    expect(first.invokes).toHaveLength(1);
    const [{ functionArn, payload }] = first.invokes as [{ functionArn: string; payload: unknown }];
    expect(functionArn).toBe(FUNCTION_ARN);
    expect(payload).toEqual({
      stackLifecycleContinuation: {
        request: request("Delete"),
        startedAt: 1_000_000,
        cleanup: (continued(600) as Extract<BackfillStep, { status: "continue" }>).payload,
      },
    });
    // Act: the continuation
    const second = fake(async () => complete([removed("z")], 2));
    await handleStackLifecycle(JSON.parse(JSON.stringify(payload)), second.deps);
    // Assess
    expect(second.steps).toEqual([(continued(600) as Extract<BackfillStep, { status: "continue" }>).payload]);
    expect(second.answers).toEqual([
      expect.objectContaining({ Status: "SUCCESS", PhysicalResourceId: PHYSICAL_ID }),
    ]);
  });

  it("gives the cleanup only the time left before the ServiceTimeout, minus the answer's reserve", async () => {
    // Prepare: 100 s into a cleanup whose resource waits 300 s
    const { deps, clock } = fake();
    let remaining = 0;
    deps.cleanupStep = async (_payload, remainingTimeMs) => {
      remaining = remainingTimeMs();
      return complete([]);
    };
    clock.now = 1_100_000;
    const input = {
      stackLifecycleContinuation: {
        request: request("Delete", { ServiceTimeout: "300" }),
        startedAt: 1_000_000,
        cleanup: (continued(1) as Extract<BackfillStep, { status: "continue" }>).payload,
      },
    };
    // Act
    await handleStackLifecycle(input, deps);
    // Assess
    expect(remaining).toBe(200_000 - ANSWER_RESERVE_MS);
  });

  it("answers FAILED with the progress and what to do when the ServiceTimeout is too close for another invocation", async () => {
    const { deps, answers, invokes, clock } = fake(async () => {
      clock.now += 3_560_000;
      return continued(3400);
    });
    await handleStackLifecycle(request("Delete"), deps);
    expect(invokes).toEqual([]);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.Status).toBe("FAILED");
    expect(answers[0]?.Reason).toContain(
      "Cleanup not finished within the resource's ServiceTimeout (3600 s)",
    );
    expect(answers[0]?.Reason).toContain("3400 configuration sets done so far (3400 removed)");
    expect(answers[0]?.Reason).toContain(
      "aws cloudformation delete-stack --stack-name mail-events --retain-resources StackLifecycle",
    );
  });

  it("answers FAILED naming the sets it could not clean, and what to do", async () => {
    const { deps, answers } = fake(async () =>
      complete([
        removed("a"),
        {
          configurationSet: "b",
          outcome: "failed",
          actions: [],
          error: "DeleteRole failed with AccessDenied: not authorized",
        },
      ]),
    );
    await handleStackLifecycle(request("Delete"), deps);
    expect(answers[0]?.Status).toBe("FAILED");
    expect(answers[0]?.Reason).toMatch(
      /^Cleanup left 1 configuration set\(s\) not cleaned \(1 removed, 1 failed\): b: DeleteRole failed with AccessDenied: not authorized\. Fix the cause/,
    );
  });

  it("answers FAILED when the cleanup throws (e.g. the listing is refused)", async () => {
    const { deps, answers } = fake(async () => {
      throw Object.assign(new Error("not authorized to perform iam:ListRoles"), { name: "AccessDenied" });
    });
    await handleStackLifecycle(request("Delete"), deps);
    expect(answers[0]?.Reason).toMatch(
      /^Cleanup failed: AccessDenied: not authorized to perform iam:ListRoles\. Fix/,
    );
  });

  it("answers FAILED before the deadline when AWS does not answer, and starts nothing afterwards", async () => {
    // Prepare: 60 ms left before the answer's reserve; the cleanup hangs, then tries to continue
    const { deps, answers, invokes, clock } = fake();
    clock.remaining = ANSWER_RESERVE_MS + 60;
    let release: () => void = () => undefined;
    deps.cleanupStep = () =>
      new Promise((resolve) => {
        release = () => resolve(continued(5));
      });
    // Act
    const result = await handleStackLifecycle(request("Delete"), deps);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    // Assess
    expect(result.status).toBe("answered");
    expect(answers).toHaveLength(1);
    expect(answers[0]?.Reason).toMatch(/^Cleanup failed: no answer from AWS within 0 s/);
    expect(invokes).toEqual([]);
  });
});

describe("input", () => {
  it.each([
    ["a scheduled event", { source: "aws.events", "detail-type": "Scheduled Event" }],
    ["a request without ResponseURL", { ...request("Create"), ResponseURL: undefined }],
    ["an unknown RequestType", { ...request("Create"), RequestType: "Import" }],
    ["an Update without PhysicalResourceId", { ...request("Update"), PhysicalResourceId: undefined }],
    ["a broken continuation", { stackLifecycleContinuation: { startedAt: "x" } }],
    [
      "a continuation of a Create",
      {
        stackLifecycleContinuation: {
          request: request("Create"),
          startedAt: 1,
          cleanup: { continuation: {} },
        },
      },
    ],
    ["not an object", "Delete"],
  ])(
    "refuses %s with one message (it cannot be answered: it ends in the dead-letter queue)",
    (_case, input) => {
      expect(() => parseLifecycleInput(input)).toThrow(InvalidLifecycleInputError);
    },
  );

  it("says what is accepted", () => {
    expect(() => parseLifecycleInput({})).toThrow(
      /Not a CloudFormation custom-resource request \(missing or invalid: RequestType, ResponseURL, StackId, RequestId, LogicalResourceId, ServiceToken\)\. Accepted: /,
    );
  });

  it("accepts booleans as well as CloudFormation's strings, and a request without properties", async () => {
    const { deps, invokes, answers } = fake();
    const create = { ...request("Create") } as Record<string, unknown>;
    create.ResourceProperties = { ...PROPERTIES, BackfillOnDeploy: true };
    await handleStackLifecycle(create, deps);
    expect(invokes).toHaveLength(1);
    const bare = { ...request("Delete"), ResourceProperties: undefined };
    await handleStackLifecycle(bare, deps);
    expect(answers.map((a) => a.Status)).toEqual(["SUCCESS", "SUCCESS"]);
  });
});
