// Core layer tests: the IAM role of a configuration set (shared/role.ts) through reconcile — create, repair, remove, never adopt.
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { permissionsPolicyFor, trustPolicyFor } from "../../shared/policies";
import { reconcile } from "../../shared/reconcile";
import {
  REGION,
  ACCOUNT,
  SET,
  STREAM_ARN,
  OTHER_STREAM_ARN,
  BOUNDARY_ARN,
  ses,
  iam,
  firehose,
  depsWith,
  writesSent,
  noSuchEntity,
  givenSet,
  givenStream,
  givenDestinations,
  ourDestination,
  roleName,
  without,
  encoded,
  ourRole,
  givenRole,
  givenCorrectlyWiredSet,
} from "../support/reconcile-world";

describe("a configuration set that is already correct", () => {
  it("accepts a boundary that is already in place", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenRole(
      ourRole({
        PermissionsBoundary: {
          PermissionsBoundaryArn: BOUNDARY_ARN,
          PermissionsBoundaryType: "PermissionsBoundaryPolicy",
        },
      }),
    );

    // Act
    const entry = await reconcile(SET, depsWith({ PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN }));

    // Assess
    expect(entry.outcome).toBe("unchanged");
    expect(writesSent()).toEqual([]);
  });
});

describe("drift is repaired with the minimal write", () => {
  const otherSetTrust = trustPolicyFor(REGION, ACCOUNT, "someone-else");

  it.each([
    {
      drift: "a changed trust policy",
      prepare: (): void => givenRole(ourRole({ AssumeRolePolicyDocument: encoded(otherSetTrust) })),
      write: "UpdateAssumeRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyDocument: () => JSON.stringify(trustPolicyFor(REGION, ACCOUNT, SET)),
      },
    },
    {
      drift: "a changed inline policy",
      prepare: (): void => givenRole(ourRole(), permissionsPolicyFor(OTHER_STREAM_ARN)),
      write: "PutRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyName: () => "firehose-put-record-batch",
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(STREAM_ARN)),
      },
    },
    {
      drift: "a missing inline policy",
      prepare: (): void => givenRole(ourRole(), null),
      write: "PutRolePolicy",
      input: {
        RoleName: () => roleName,
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(STREAM_ARN)),
      },
    },
    {
      drift: "a missing permissions boundary",
      prepare: (): void => undefined,
      env: { PERMISSIONS_BOUNDARY_ARN: BOUNDARY_ARN },
      write: "PutRolePermissionsBoundary",
      input: { RoleName: () => roleName, PermissionsBoundary: () => BOUNDARY_ARN },
    },
  ])("repairs $drift on the role", async ({ prepare, write, input, env }) => {
    // Prepare
    givenCorrectlyWiredSet();
    prepare();

    // Act
    const entry = await reconcile(SET, depsWith(env ?? {}));

    // Assess
    const sent = iam.calls().find((call) => call.args[0].constructor.name === `${write}Command`);
    expect(entry).toMatchObject({ outcome: "updated", actions: [write] });
    expect(writesSent()).toEqual([write]);
    expect(sent?.args[0].input).toMatchObject(
      Object.fromEntries(Object.entries(input).map(([key, value]) => [key, value()])),
    );
  });
});

describe("a configuration set that opts out", () => {
  it("removes policies someone added to our role before deleting it", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([]);
    givenRole(ourRole());
    iam
      .on(DeleteRoleCommand)
      .rejectsOnce(
        new DeleteConflictException({
          message: "Cannot delete entity, must delete policies first.",
          $metadata: {},
        }),
      )
      .resolves({});
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["extra"] });
    iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: "ReadOnly", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
    });

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "removed",
      actions: ["DeleteRolePolicy", "DeleteRolePolicy", "DetachRolePolicy", "DeleteRole"],
    });
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: roleName,
      PolicyName: "extra",
    });
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: roleName,
      PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
  });
});

describe("bad input fails the set clearly and creates nothing", () => {
  it("refuses to adopt a role with our name that lacks our marks", async () => {
    for (const role of [ourRole({ Path: "/" }), ourRole({ Tags: [] })]) {
      // Prepare
      ses.reset();
      iam.reset();
      firehose.reset();
      givenCorrectlyWiredSet();
      givenRole(role);

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess
      expect(entry.outcome).toBe("failed");
      expect(entry.error).toMatch(
        new RegExp(`IAM role ${roleName} already exists but is not managed by ses-firehose-autowire`),
      );
      expect(writesSent()).toEqual([]);
    }
  });
});

describe("concurrent reconciles of one set converge without an error", () => {
  it("reads back a role created meanwhile and completes it", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    iam.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolves({ Role: ourRole() });
    iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
  });

  it("fails clearly if the role that already exists is not ours", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    iam.on(GetRoleCommand).resolves({ Role: ourRole({ Path: "/", Tags: [] }) });
    iam.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act: the run's listing of our path does not show it, so CreateRole is tried before any read
    const entry = await reconcile(SET, depsWith({}), { managedRoleNames: new Set() });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/not managed by ses-firehose-autowire/);
    expect(entry.actions).toEqual([]);
    expect(writesSent()).toEqual(["CreateRole"]); // the one IAM refused; nothing else was attempted
  });
});

describe("unexpected and edge responses", () => {
  const serviceError = (name: string, message: string) =>
    new IAMServiceException({ name, $fault: "client", message, $metadata: {} });

  it("reports the account's role quota when CreateRole is refused", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    iam
      .on(CreateRoleCommand)
      .rejects(serviceError("LimitExceededException", "Cannot exceed quota for RolesPerAccount: 1000"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe(
      "CreateRole failed with LimitExceededException: Cannot exceed quota for RolesPerAccount: 1000",
    );
    expect(writesSent()).toEqual(["CreateRole"]);
  });

  it("surfaces EntityAlreadyExists when the role vanished again before it could be read back", async () => {
    // Prepare
    givenSet({ "ses-firehose": "enabled" });
    givenStream();
    givenDestinations([]);
    givenRole(undefined);
    iam
      .on(CreateRoleCommand)
      .rejects(new EntityAlreadyExistsException({ message: "Role exists.", $metadata: {} }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe("CreateRole failed with EntityAlreadyExistsException: Role exists.");
  });

  it("fails when the inline policy cannot be read", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    iam.on(GetRolePolicyCommand).rejects(serviceError("AccessDenied", "no iam:GetRolePolicy"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.error).toBe("GetRolePolicy failed with AccessDenied: no iam:GetRolePolicy");
    expect(writesSent()).toEqual([]);
  });

  it("fails when DeleteRole is refused for another reason, after removing the destination", async () => {
    // Prepare
    givenSet({ "ses-firehose": "disabled" });
    givenDestinations([ourDestination()]);
    givenRole(ourRole());
    iam.on(DeleteRoleCommand).rejects(serviceError("UnmodifiableEntityException", "protected"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy"],
      error: "DeleteRole failed with UnmodifiableEntityException: protected",
    });
  });

  it("deletes a role whose conflict cleared by itself", async () => {
    // Prepare
    givenSet(undefined);
    givenRole(ourRole());
    iam
      .on(DeleteRoleCommand)
      .rejectsOnce(new DeleteConflictException({ message: "conflict", $metadata: {} }))
      .resolves({});
    iam.on(ListRolePoliciesCommand).resolves({});
    iam.on(ListAttachedRolePoliciesCommand).resolves({});

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "removed", actions: ["DeleteRolePolicy", "DeleteRole"] });
  });

  it("never adopts an untagged role with our name", async () => {
    // Prepare
    givenCorrectlyWiredSet();
    givenRole(without(ourRole(), "Tags"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(writesSent()).toEqual([]);
  });
});
