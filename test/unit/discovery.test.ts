// Unit tests (core layer): tag discovery against mocked clients — paging, the union of tagged and managed sets,
// ARNs of other regions and accounts ignored, and a tagging API failure that stops the run instead of finding nothing.
import { Logger } from "@aws-lambda-powertools/logger";
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
  ThrottledException,
} from "@aws-sdk/client-resource-groups-tagging-api";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { loadConfig } from "../../shared/config";
import { defaultDiscovery, discoverCandidates, type DiscoveryDeps } from "../../shared/discovery";
import { AutowireError, TagDiscoveryError } from "../../shared/errors";
import { roleNameFor } from "../../shared/naming";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const arn = (name: string, region = REGION, account = ACCOUNT, partition = "aws") =>
  `arn:${partition}:ses:${region}:${account}:configuration-set/${name}`;
const mapping = (resourceArn: string) => ({
  ResourceARN: resourceArn,
  Tags: [{ Key: "ses-firehose", Value: "enabled" }],
});

const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const iamMock = mockClient(IAMClient);

function deps(env: Record<string, string> = {}): DiscoveryDeps {
  return {
    // One attempt: a throttled page must surface here, not be retried away.
    tagging: new ResourceGroupsTaggingAPIClient({ region: REGION, maxAttempts: 1 }),
    iam: new IAMClient({ region: REGION }),
    config: loadConfig(env),
    logger: new Logger({ serviceName: "discovery-test", logLevel: "SILENT" }),
    region: REGION,
    accountId: ACCOUNT,
  };
}

const roleOf = (name: string, region = REGION) => roleNameFor("ses-firehose", region, name);

beforeEach(() => {
  taggingMock.reset();
  iamMock.reset();
});

describe("discoverCandidates", () => {
  it("reads every page of GetResources for configuration sets carrying the opt-in key, 100 at a time", async () => {
    // Prepare: three pages, the last one ending with AWS's empty token
    const pages = [
      { ResourceTagMappingList: [mapping(arn("c")), mapping(arn("a"))], PaginationToken: "p2" },
      { ResourceTagMappingList: [], PaginationToken: "p3" },
      { ResourceTagMappingList: [mapping(arn("b"))], PaginationToken: "" },
    ];
    const received: Record<string, unknown>[] = [];
    taggingMock.on(GetResourcesCommand).callsFake((input: Record<string, unknown>) => {
      received.push({ ...input }); // the paginator reuses one input object
      return pages.shift();
    });

    // Act
    const candidates = await discoverCandidates(deps({ OPT_IN_TAG_KEY: "team:email-events" }), new Set());

    // Assess
    expect(candidates).toEqual({ names: ["a", "b", "c"], tagged: 3, managed: 0, pages: 3 });
    const filters = {
      ResourceTypeFilters: ["ses:configuration-set"],
      TagFilters: [{ Key: "team:email-events" }],
      ResourcesPerPage: 100,
    };
    expect(received).toEqual([
      filters,
      { ...filters, PaginationToken: "p2" },
      { ...filters, PaginationToken: "p3" },
    ]);
  });

  it("unites the tagged sets with the sets our roles name, each once and in name order", async () => {
    // Prepare: "both" is tagged and has a role; "gone" only has a role (its set was deleted)
    taggingMock.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [mapping(arn("tagged")), mapping(arn("both"))],
      PaginationToken: "",
    });
    const roles = new Set([roleOf("both"), roleOf("gone"), roleOf("untagged-leftover")]);

    // Act
    const candidates = await discoverCandidates(deps(), roles);

    // Assess
    expect(candidates.names).toEqual(["both", "gone", "tagged", "untagged-leftover"]);
    expect(candidates).toMatchObject({ tagged: 2, managed: 3 });
    expect(iamMock).not.toHaveReceivedCommand(GetRoleCommand);
  });

  it("ignores ARNs of other regions, accounts, partitions and resource types, and roles of other regions", async () => {
    // Prepare
    taggingMock.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        mapping(arn("here")),
        mapping(arn("there", "us-east-1")),
        mapping(arn("theirs", REGION, "444455556666")),
        mapping(arn("china", REGION, ACCOUNT, "aws-cn")),
        mapping(`arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.com`),
        mapping(arn("not a name")),
        { Tags: [] },
      ],
      PaginationToken: "",
    });
    const roles = new Set([roleOf("ours"), roleOf("other-region-set", "us-east-1"), "someone-elses-role"]);

    // Act
    const candidates = await discoverCandidates(deps(), roles);

    // Assess
    expect(candidates.names).toEqual(["here", "ours"]);
  });

  it("reads the owner of a role whose name was shortened from its tags, and only when it is ours and of this region", async () => {
    // Prepare: set names long enough that the role name keeps only their start
    const long = (suffix: string) => `${"x".repeat(60)}-${suffix}`;
    taggingMock.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [], PaginationToken: "" });
    const tagsOf = (name: string, region = REGION) => [
      { Key: "managed-by", Value: "ses-firehose-autowire" },
      { Key: "ses-configuration-set", Value: name },
      { Key: "ses-region", Value: region },
    ];
    iamMock
      .on(GetRoleCommand, { RoleName: roleOf(long("a")) })
      .resolves({ Role: { Tags: tagsOf(long("a")) } as never })
      .on(GetRoleCommand, { RoleName: roleOf(long("b"), "us-east-1") })
      .resolves({ Role: { Tags: tagsOf(long("b"), "us-east-1") } as never })
      .on(GetRoleCommand, { RoleName: roleOf(long("c")) })
      .rejects(new NoSuchEntityException({ message: "gone", $metadata: {} }));

    // Act
    const candidates = await discoverCandidates(
      deps(),
      new Set([roleOf(long("a")), roleOf(long("b"), "us-east-1"), roleOf(long("c"))]),
    );

    // Assess
    expect(candidates.names).toEqual([long("a")]);
    expect(iamMock).toHaveReceivedCommandTimes(GetRoleCommand, 3);
  });

  it.each([
    [
      "access is denied",
      Object.assign(new Error("User is not authorized to perform: tag:GetResources"), {
        name: "AccessDeniedException",
      }),
      "AccessDeniedException: User is not authorized to perform: tag:GetResources.",
    ],
    [
      "the API stays throttled",
      new ThrottledException({ message: "Rate exceeded", $metadata: {} }),
      "ThrottledException: Rate exceeded.",
    ],
  ])(
    "fails clearly when %s, after the pages it could read, instead of finding no candidates",
    async (_, error, said) => {
      // Prepare: the second page fails
      taggingMock
        .on(GetResourcesCommand)
        .resolvesOnce({ ResourceTagMappingList: [mapping(arn("a"))], PaginationToken: "p2" })
        .rejects(error);

      // Act
      const attempt = discoverCandidates(deps(), new Set([roleOf("managed")]));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TagDiscoveryError);
      // A project error with a fixed name (bundles are minified: never the constructor's name): its report errorName.
      await expect(attempt).rejects.toBeInstanceOf(AutowireError);
      await expect(attempt).rejects.toMatchObject({ name: "TagDiscoveryError" });
      await expect(attempt).rejects.toThrow(
        `Tag discovery failed: the Resource Groups Tagging API's GetResources answered ${said} Nothing was reconciled.`,
      );
      await expect(attempt).rejects.toMatchObject({ cause: error });
    },
  );
});

describe("defaultDiscovery", () => {
  it("is tags in tag mode and list in all mode, where every set is a candidate", () => {
    expect(defaultDiscovery(loadConfig({}))).toBe("tags");
    expect(defaultDiscovery(loadConfig({ OPT_IN_MODE: "all" }))).toBe("list");
  });
});
