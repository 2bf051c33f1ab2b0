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
import * as world from "../support/reconcile-world";

describe("a configuration set that is already correct", () => {
  it("accepts a boundary that is already in place", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenRole(
      world.ourRole({
        PermissionsBoundary: {
          PermissionsBoundaryArn: world.BOUNDARY_ARN,
          PermissionsBoundaryType: "PermissionsBoundaryPolicy",
        },
      }),
    );

    // Act
    const entry = await reconcile(
      world.SET,
      world.depsWith({ PERMISSIONS_BOUNDARY_ARN: world.BOUNDARY_ARN }),
    );

    // Assess
    expect(entry.outcome).toBe("unchanged");
    expect(world.writesSent()).toEqual([]);
  });
});

describe("drift is repaired with the minimal write", () => {
  const otherSetTrust = trustPolicyFor(world.REGION, world.ACCOUNT, "someone-else");

  it.each([
    {
      drift: "a changed trust policy",
      prepare: (): void =>
        world.givenRole(world.ourRole({ AssumeRolePolicyDocument: world.encoded(otherSetTrust) })),
      write: "UpdateAssumeRolePolicy",
      input: {
        RoleName: () => world.roleName,
        PolicyDocument: () => JSON.stringify(trustPolicyFor(world.REGION, world.ACCOUNT, world.SET)),
      },
    },
    {
      drift: "a changed inline policy",
      prepare: (): void => world.givenRole(world.ourRole(), permissionsPolicyFor(world.OTHER_STREAM_ARN)),
      write: "PutRolePolicy",
      input: {
        RoleName: () => world.roleName,
        PolicyName: () => "firehose-put-record-batch",
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(world.STREAM_ARN)),
      },
    },
    {
      drift: "a missing inline policy",
      prepare: (): void => world.givenRole(world.ourRole(), null),
      write: "PutRolePolicy",
      input: {
        RoleName: () => world.roleName,
        PolicyDocument: () => JSON.stringify(permissionsPolicyFor(world.STREAM_ARN)),
      },
    },
    {
      drift: "a missing permissions boundary",
      prepare: (): void => undefined,
      env: { PERMISSIONS_BOUNDARY_ARN: world.BOUNDARY_ARN },
      write: "PutRolePermissionsBoundary",
      input: { RoleName: () => world.roleName, PermissionsBoundary: () => world.BOUNDARY_ARN },
    },
  ])("repairs $drift on the role", async ({ prepare, write, input, env }) => {
    // Prepare
    world.givenCorrectlyWiredSet();
    prepare();

    // Act
    const entry = await reconcile(world.SET, world.depsWith(env ?? {}));

    // Assess
    const sent = world.iam.calls().find((call) => call.args[0].constructor.name === `${write}Command`);
    expect(entry).toMatchObject({ outcome: "updated", actions: [write] });
    expect(world.writesSent()).toEqual([write]);
    expect(sent?.args[0].input).toMatchObject(
      Object.fromEntries(Object.entries(input).map(([key, value]) => [key, value()])),
    );
  });
});

describe("a configuration set that opts out", () => {
  it("removes policies someone added to our role before deleting it", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "disabled" });
    world.givenDestinations([]);
    world.givenRole(world.ourRole());
    world.iam
      .on(DeleteRoleCommand)
      .rejectsOnce(
        new DeleteConflictException({
          message: "Cannot delete entity, must delete policies first.",
          $metadata: {},
        }),
      )
      .resolves({});
    world.iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["extra"] });
    world.iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: "ReadOnly", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
    });

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "removed",
      actions: ["DeleteRolePolicy", "DeleteRolePolicy", "DetachRolePolicy", "DeleteRole"],
    });
    expect(world.iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: world.roleName,
      PolicyName: "extra",
    });
    expect(world.iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: world.roleName,
      PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    });
  });
});

describe("bad input fails the set clearly and creates nothing", () => {
  it("refuses to adopt a role with our name that lacks our marks", async () => {
    for (const role of [world.ourRole({ Path: "/" }), world.ourRole({ Tags: [] })]) {
      // Prepare
      world.ses.reset();
      world.iam.reset();
      world.firehose.reset();
      world.givenCorrectlyWiredSet();
      world.givenRole(role);

      // Act
      const entry = await reconcile(world.SET, world.depsWith());

      // Assess
      expect(entry.outcome).toBe("failed");
      expect(entry.error).toMatch(
        new RegExp(`IAM role ${world.roleName} already exists but is not managed by ses-firehose-autowire`),
      );
      expect(world.writesSent()).toEqual([]);
    }
  });
});

describe("concurrent reconciles of one set converge without an error", () => {
  it("reads back a role created meanwhile and completes it", async () => {
    // Prepare
    world.givenOptedInSet();
    world.iam.on(GetRoleCommand).rejectsOnce(world.noSuchEntity()).resolves({ Role: world.ourRole() });
    world.iam.on(GetRolePolicyCommand).rejects(world.noSuchEntity());
    world.iam
      .on(CreateRoleCommand)
      .rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "created",
      actions: ["PutRolePolicy", "CreateConfigurationSetEventDestination"],
    });
  });

  it("fails clearly if the role that already exists is not ours", async () => {
    // Prepare
    world.givenOptedInSet();
    world.iam.on(GetRoleCommand).resolves({ Role: world.ourRole({ Path: "/", Tags: [] }) });
    world.iam
      .on(CreateRoleCommand)
      .rejects(new EntityAlreadyExistsException({ message: "exists", $metadata: {} }));

    // Act: the run's listing of our path does not show it, so CreateRole is tried before any read
    const entry = await reconcile(world.SET, world.depsWith({}), { managedRoleNames: new Set() });

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toMatch(/not managed by ses-firehose-autowire/);
    expect(entry.actions).toEqual([]);
    expect(world.writesSent()).toEqual(["CreateRole"]); // the one IAM refused; nothing else was attempted
  });
});

describe("unexpected and edge responses", () => {
  const serviceError = (name: string, message: string) =>
    new IAMServiceException({ name, $fault: "client", message, $metadata: {} });

  it("reports the account's role quota when CreateRole is refused", async () => {
    // Prepare
    world.givenNewOptedInSet();
    world.iam
      .on(CreateRoleCommand)
      .rejects(serviceError("LimitExceededException", "Cannot exceed quota for RolesPerAccount: 1000"));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.error).toBe(
      "CreateRole failed with LimitExceededException: Cannot exceed quota for RolesPerAccount: 1000",
    );
    expect(world.writesSent()).toEqual(["CreateRole"]);
  });

  it("surfaces EntityAlreadyExists when the role vanished again before it could be read back", async () => {
    // Prepare
    world.givenNewOptedInSet();
    world.iam
      .on(CreateRoleCommand)
      .rejects(new EntityAlreadyExistsException({ message: "Role exists.", $metadata: {} }));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.error).toBe("CreateRole failed with EntityAlreadyExistsException: Role exists.");
  });

  it("fails when the inline policy cannot be read", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.iam.on(GetRolePolicyCommand).rejects(serviceError("AccessDenied", "no iam:GetRolePolicy"));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.error).toBe("GetRolePolicy failed with AccessDenied: no iam:GetRolePolicy");
    expect(world.writesSent()).toEqual([]);
  });

  it("fails when DeleteRole is refused for another reason, after removing the destination", async () => {
    // Prepare
    world.givenSet({ "ses-firehose": "disabled" });
    world.givenDestinations([world.ourDestination()]);
    world.givenRole(world.ourRole());
    world.iam.on(DeleteRoleCommand).rejects(serviceError("UnmodifiableEntityException", "protected"));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      actions: ["DeleteConfigurationSetEventDestination", "DeleteRolePolicy"],
      error: "DeleteRole failed with UnmodifiableEntityException: protected",
    });
  });

  it("deletes a role whose conflict cleared by itself", async () => {
    // Prepare
    world.givenSet(undefined);
    world.givenRole(world.ourRole());
    world.iam
      .on(DeleteRoleCommand)
      .rejectsOnce(new DeleteConflictException({ message: "conflict", $metadata: {} }))
      .resolves({});
    world.iam.on(ListRolePoliciesCommand).resolves({});
    world.iam.on(ListAttachedRolePoliciesCommand).resolves({});

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "removed", actions: ["DeleteRolePolicy", "DeleteRole"] });
  });

  it("never adopts an untagged role with our name", async () => {
    // Prepare
    world.givenCorrectlyWiredSet();
    world.givenRole(world.without(world.ourRole(), "Tags"));

    // Act
    const entry = await reconcile(world.SET, world.depsWith());

    // Assess
    expect(entry.outcome).toBe("failed");
    expect(world.writesSent()).toEqual([]);
  });
});
