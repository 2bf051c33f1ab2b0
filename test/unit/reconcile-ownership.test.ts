// Core layer tests: reconcile only ever changes or deletes a role that carries both our marks, treats only
// EntityAlreadyExists as a concurrent create, and finishes deleting a role whose deletion conflicted.
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from "@aws-sdk/client-iam";
import {
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  type EventDestination,
} from "@aws-sdk/client-sesv2";
import { reconcile } from "../../shared/reconcile";
import {
  BOUNDARY_ARN,
  depsWith,
  givenDestinations,
  givenRole,
  givenSet,
  givenStream,
  iam,
  noSuchEntity,
  ourDestination,
  ourRole,
  roleName,
  ses,
  SET,
} from "../support/reconcile-world";

const ROLE_PATH = "/ses-firehose-autowire/";

/** The set tagged ses-firehose=<optIn>, its stream ACTIVE, with these destinations. */
function givenSetTagged(optIn: string, destinations: EventDestination[]): void {
  givenSet({ "ses-firehose": optIn });
  givenStream();
  givenDestinations(destinations);
}

/** An AWS error as the SDK deserialises an error code it has no class for. */
const awsError = (name: string, message: string) =>
  new IAMServiceException({ name, message, $fault: "client", $metadata: {} });

/** Roles with our name that lack one of our two marks: our path and the tag managed-by=ses-firehose-autowire. */
const lookAlikes: { what: string; marks: Partial<Role> }[] = [
  { what: "other tags but no managed-by", marks: { Tags: [{ Key: "ses-region", Value: "eu-west-1" }] } },
  { what: "no tags at all", marks: { Tags: [] } },
  { what: "managed-by naming another tool", marks: { Tags: [{ Key: "managed-by", Value: "terraform" }] } },
  {
    what: "our tool's name under another key",
    marks: { Tags: [{ Key: "owner", Value: "ses-firehose-autowire" }] },
  },
  { what: "our tag but another path", marks: { Path: "/" } },
];

describe("a role with our name that lacks one of our marks is foreign", () => {
  it.each(lookAlikes)("is never adopted by an opted-in set: $what", async ({ marks }) => {
    // Prepare: a set opting in, whose role name is taken by a look-alike with a drifted trust policy
    givenSetTagged("enabled", []);
    givenRole(ourRole({ ...marks, AssumeRolePolicyDocument: "%7B%7D" }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess: nothing written to the role, no destination pointing at it, one sentence saying why
    expect(entry.outcome).toBe("failed");
    expect(entry.error).toBe(
      `IAM role ${roleName} already exists but is not managed by ses-firehose-autowire (it must be under path ` +
        `${ROLE_PATH} and tagged managed-by=ses-firehose-autowire); it was left untouched: rename or delete it, ` +
        "or tag the configuration set differently.",
    );
    expect(entry.actions).toEqual([]);
    expect(iam).not.toHaveReceivedCommand(UpdateAssumeRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(CreateRoleCommand);
    expect(ses).not.toHaveReceivedCommand(CreateConfigurationSetEventDestinationCommand);
  });

  it.each(lookAlikes)("is never deleted when the set opts out: $what", async ({ marks }) => {
    // Prepare: the set opts out; our destination is there, the role with our name is not ours
    givenSetTagged("disabled", [ourDestination()]);
    givenRole(ourRole(marks));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess: our destination goes, the role and its policies stay
    expect(entry).toMatchObject({ outcome: "removed", actions: ["DeleteConfigurationSetEventDestination"] });
    expect(ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
      ConfigurationSetName: SET,
      EventDestinationName: "ses-firehose-autowire",
    });
    expect(iam).not.toHaveReceivedCommand(DeleteRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteRoleCommand);
  });

  it("adopts and repairs a role that carries both marks among other tags", async () => {
    // Prepare: our role, tagged by someone else too, with a trust policy that drifted
    givenSetTagged("enabled", [ourDestination()]);
    givenRole(
      ourRole({
        Tags: [
          { Key: "cost-center", Value: "mail" },
          { Key: "managed-by", Value: "ses-firehose-autowire" },
        ],
        AssumeRolePolicyDocument: "%7B%7D",
      }),
    );

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "updated", actions: ["UpdateAssumeRolePolicy"] });
    expect(iam).toHaveReceivedCommandWith(UpdateAssumeRolePolicyCommand, { RoleName: roleName });
    expect(iam).toHaveReceivedCommandWith(GetRolePolicyCommand, {
      RoleName: roleName,
      PolicyName: "firehose-put-record-batch",
    });
  });

  it("leaves a boundary someone put on our role alone when none is configured", async () => {
    // Prepare
    givenSetTagged("enabled", [ourDestination()]);
    givenRole(ourRole({ PermissionsBoundary: { PermissionsBoundaryArn: BOUNDARY_ARN } }));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({ outcome: "unchanged", actions: [] });
    expect(iam).not.toHaveReceivedCommand(PutRolePermissionsBoundaryCommand);
  });

  it("never takes a role it could not read for an absent one: no role is created", async () => {
    // Prepare
    givenSetTagged("enabled", []);
    iam.on(GetRoleCommand).rejects(awsError("AccessDenied", "not authorized to perform: iam:GetRole"));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: "GetRole failed with AccessDenied: not authorized to perform: iam:GetRole",
    });
    expect(iam).not.toHaveReceivedCommand(CreateRoleCommand);
  });
});

describe("only EntityAlreadyExists from CreateRole means another reconcile created the role", () => {
  it.each([
    ["LimitExceededException", "Cannot exceed quota for RolesPerAccount: 1000"],
    ["AccessDenied", "not authorized to perform: iam:CreateRole"],
    ["ServiceFailure", "internal error"],
  ])("fails on %s without reading the role back or adopting it", async (name, message) => {
    // Prepare: no role at first; CreateRole fails; a role with our marks would be there if read back
    givenSetTagged("enabled", []);
    givenRole(ourRole());
    iam.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolves({ Role: ourRole() });
    iam.on(CreateRoleCommand).rejects(awsError(name, message));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      actions: [],
      error: `CreateRole failed with ${name}: ${message}`,
    });
    expect(iam).toHaveReceivedCommandTimes(GetRoleCommand, 1);
    expect(iam).toHaveReceivedCommandWith(CreateRoleCommand, { RoleName: roleName, Path: ROLE_PATH });
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
    expect(ses).not.toHaveReceivedCommand(CreateConfigurationSetEventDestinationCommand);
  });

  it.each(["EntityAlreadyExistsException", "EntityAlreadyExists"])(
    "reads back and completes a role that %s says another reconcile created",
    async (name) => {
      // Prepare
      givenSetTagged("enabled", []);
      givenRole(ourRole());
      iam.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolves({ Role: ourRole() });
      iam.on(CreateRoleCommand).rejects(awsError(name, "Role with name exists."));

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess
      expect(entry).toMatchObject({
        outcome: "created",
        actions: ["CreateConfigurationSetEventDestination"],
      });
      expect(iam).toHaveReceivedCommandTimes(GetRoleCommand, 2);
      expect(iam).toHaveReceivedNthSpecificCommandWith(2, GetRoleCommand, { RoleName: roleName });
    },
  );
});

describe("a role whose deletion conflicts is emptied and deleted", () => {
  /** DeleteRole refuses once while policies others added remain (one inline, one attached); then `second`. */
  function givenPoliciesAddedByOthers(
    second: "DeleteRole succeeds" | "the role is gone",
    conflict: Error = new DeleteConflictException({
      message: "Cannot delete entity, must delete policies first.",
      $metadata: {},
    }),
  ): void {
    const deleteRole = iam.on(DeleteRoleCommand).rejectsOnce(conflict);
    if (second === "DeleteRole succeeds") deleteRole.resolves({});
    else deleteRole.rejects(noSuchEntity());
    iam.on(ListRolePoliciesCommand, { RoleName: roleName }).resolves({ PolicyNames: ["added-by-hand"] });
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: roleName }).resolves({
      AttachedPolicies: [
        { PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      ],
    });
  }

  it.each([
    ["DeleteConflictException", undefined],
    ["DeleteConflict", awsError("DeleteConflict", "Cannot delete entity, must detach all policies first.")],
  ])(
    "removes the policies others added after %s, then sends DeleteRole again: removed",
    async (_, conflict) => {
      // Prepare
      givenSetTagged("disabled", []);
      givenRole(ourRole());
      givenPoliciesAddedByOthers("DeleteRole succeeds", conflict);

      // Act
      const entry = await reconcile(SET, depsWith());

      // Assess: every removal was sent, in order, and the role really was deleted on the second try
      expect(entry).toMatchObject({
        outcome: "removed",
        actions: ["DeleteRolePolicy", "DeleteRolePolicy", "DetachRolePolicy", "DeleteRole"],
      });
      expect(iam).toHaveReceivedNthSpecificCommandWith(1, DeleteRolePolicyCommand, {
        RoleName: roleName,
        PolicyName: "firehose-put-record-batch",
      });
      expect(iam).toHaveReceivedNthSpecificCommandWith(2, DeleteRolePolicyCommand, {
        RoleName: roleName,
        PolicyName: "added-by-hand",
      });
      expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
        RoleName: roleName,
        PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      });
      expect(iam).toHaveReceivedCommandTimes(DeleteRoleCommand, 2);
      expect(iam).toHaveReceivedNthSpecificCommandWith(1, DeleteRoleCommand, { RoleName: roleName });
      expect(iam).toHaveReceivedNthSpecificCommandWith(2, DeleteRoleCommand, { RoleName: roleName });
    },
  );

  it.each([
    ["ListRolePolicies", (err: Error) => iam.on(ListRolePoliciesCommand).rejects(err)],
    ["ListAttachedRolePolicies", (err: Error) => iam.on(ListAttachedRolePoliciesCommand).rejects(err)],
  ] as const)("names %s when listing the added policies fails", async (operation, refuse) => {
    // Prepare
    givenSetTagged("disabled", []);
    givenRole(ourRole());
    givenPoliciesAddedByOthers("DeleteRole succeeds");
    refuse(awsError("AccessDenied", `not authorized to perform: iam:${operation}`));

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess
    expect(entry).toMatchObject({
      outcome: "failed",
      error: `${operation} failed with AccessDenied: not authorized to perform: iam:${operation}`,
    });
    expect(iam).toHaveReceivedCommandTimes(DeleteRoleCommand, 1);
  });

  it("treats policies and a role that vanish during the cleanup as already removed", async () => {
    // Prepare: a concurrent opt-out deletes everything while this one cleans up
    givenSetTagged("disabled", []);
    givenRole(ourRole());
    iam.on(DeleteRolePolicyCommand).rejects(noSuchEntity());
    iam.on(DetachRolePolicyCommand).rejects(noSuchEntity());
    givenPoliciesAddedByOthers("the role is gone");

    // Act
    const entry = await reconcile(SET, depsWith());

    // Assess: nothing failed, and nothing is claimed as removed by this run
    expect(entry).toMatchObject({ outcome: "skipped", actions: [] });
    expect(iam).toHaveReceivedCommandTimes(DeleteRoleCommand, 2);
  });
});
