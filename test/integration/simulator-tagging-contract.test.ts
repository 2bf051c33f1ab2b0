// Integration test (simulator contract): the official Resource Groups Tagging API client against the simulator —
// GetResources over the same tags SES v2 holds (lagging by the configured index lag), TagResources, UntagResources.
import {
  GetResourcesCommand,
  InternalServiceException,
  InvalidParameterException,
  paginateGetResources,
  PaginationTokenExpiredException,
  ResourceGroupsTaggingAPIClient,
  TagResourcesCommand,
  ThrottledException,
  UntagResourcesCommand,
  type ResourceTagMapping,
} from "@aws-sdk/client-resource-groups-tagging-api";
import {
  DeleteConfigurationSetCommand,
  GetConfigurationSetCommand,
  SESv2Client,
  TagResourceCommand,
} from "@aws-sdk/client-sesv2";
import { startSimulator, type Simulator } from "../../simulator";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const arnOf = (name: string) => `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${name}`;
/** A fresh input each time: the SDK's paginator writes the page token into the input object it is given. */
const optedIn = () => ({
  ResourceTypeFilters: ["ses:configuration-set"],
  TagFilters: [{ Key: "ses-firehose" }],
});

let sim: Simulator;
let tagging: ResourceGroupsTaggingAPIClient;
let ses: SESv2Client;
let now = 1_800_000_000_000;

async function listAll(input: ReturnType<typeof optedIn>, pageSize = 100) {
  const mappings: ResourceTagMapping[] = [];
  const tokens: (string | undefined)[] = [];
  for await (const page of paginateGetResources({ client: tagging, pageSize }, input)) {
    tokens.push(page.PaginationToken);
    mappings.push(...(page.ResourceTagMappingList ?? []));
  }
  return { mappings, tokens, arns: mappings.map((mapping) => mapping.ResourceARN) };
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, region: REGION, accountId: ACCOUNT });
  const config = { ...sim.clientConfig(), maxAttempts: 1 };
  tagging = new ResourceGroupsTaggingAPIClient(config);
  ses = new SESv2Client(config);
});

afterAll(async () => {
  tagging.destroy();
  ses.destroy();
  await sim.stop();
});

beforeEach(() => {
  sim.state.reset();
  sim.callLog.reset();
  now = 1_800_000_000_000;
  sim.setOptions({ tagIndexLagMs: 0, rateLimits: {}, faults: undefined, clock: () => now });
});

describe("Resource Groups Tagging API: GetResources", () => {
  it("lists every set that carries the key, whatever its value, once across pages, ending with an empty token", async () => {
    // Prepare
    for (let i = 0; i < 5; i += 1) sim.state.createConfigurationSet(`in-${i}`, { "ses-firehose": "enabled" });
    sim.state.createConfigurationSet("out", { "ses-firehose": "disabled" });
    sim.state.createConfigurationSet("other-key", { team: "mail" });
    sim.state.createConfigurationSet("untagged");

    // Act
    const { mappings, tokens, arns } = await listAll(optedIn(), 2);

    // Assess
    expect(arns).toEqual([...["in-0", "in-1", "in-2", "in-3", "in-4", "out"].map(arnOf)]);
    expect(tokens).toHaveLength(3);
    expect(tokens.at(-1)).toBe("");
    expect(mappings[5]).toEqual({
      ResourceARN: arnOf("out"),
      Tags: [{ Key: "ses-firehose", Value: "disabled" }],
    });
    expect(sim.callLog.count({ service: "tagging", operation: "GetResources" })).toBe(3);
  });

  it("matches tag values and resource types, and lists previously tagged sets with no tags when unfiltered", async () => {
    // Prepare
    sim.state.createConfigurationSet("a", { "ses-firehose": "enabled", team: "mail" });
    sim.state.createConfigurationSet("b", { "ses-firehose": "audit" });
    sim.state.createConfigurationSet("c", { team: "mail" });
    sim.state.untagConfigurationSet("c", ["team"]);
    sim.state.createConfigurationSet("never-tagged");
    const get = async (input: object) =>
      ((await tagging.send(new GetResourcesCommand(input))).ResourceTagMappingList ?? []).map(
        (mapping) => mapping.ResourceARN,
      );

    // Act / Assess
    expect(await get({ TagFilters: [{ Key: "ses-firehose", Values: ["audit", "x"] }] })).toEqual([
      arnOf("b"),
    ]);
    expect(await get({ TagFilters: [{ Key: "ses-firehose" }, { Key: "team", Values: ["mail"] }] })).toEqual([
      arnOf("a"),
    ]);
    expect(await get({ ResourceTypeFilters: ["ec2:instance"] })).toEqual([]);
    expect(await get({ ResourceTypeFilters: ["ses"], TagFilters: [{ Key: "ses-firehose" }] })).toHaveLength(
      2,
    );
    const unfiltered = await tagging.send(new GetResourcesCommand({}));
    expect(unfiltered.ResourceTagMappingList).toContainEqual({ ResourceARN: arnOf("c"), Tags: [] });
    expect(unfiltered.ResourceTagMappingList?.map((m) => m.ResourceARN)).not.toContain(arnOf("never-tagged"));
    expect(await get({ ResourceARNList: [arnOf("b"), arnOf("missing")] })).toEqual([arnOf("b")]);
  });

  it("shows a tag change only once the index lag has passed, and a deleted set until its deletion is indexed", async () => {
    // Prepare
    sim.setOptions({ tagIndexLagMs: 60_000 });
    sim.state.createConfigurationSet("seeded", { "ses-firehose": "enabled" });
    sim.state.createConfigurationSet("late");
    sim.state.createConfigurationSet("deleted", { "ses-firehose": "enabled" });

    // Act: tag one set and delete another through SES v2 itself
    await ses.send(
      new TagResourceCommand({
        ResourceArn: arnOf("late"),
        Tags: [{ Key: "ses-firehose", Value: "enabled" }],
      }),
    );
    await ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "deleted" }));
    const during = await listAll(optedIn());
    now += 60_000;
    const after = await listAll(optedIn());

    // Assess: SES itself knew at once
    const { Tags } = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "late" }));
    expect(Tags).toEqual([{ Key: "ses-firehose", Value: "enabled" }]);
    expect(during.arns).toEqual([arnOf("deleted"), arnOf("seeded")]);
    expect(after.arns).toEqual([arnOf("late"), arnOf("seeded")]);
  });

  it.each([
    [{ ResourcesPerPage: 101 }, "ResourcesPerPage must be between 1 and 100, got 101."],
    [{ TagsPerPage: 50 }, "TagsPerPage must be between 100 and 500, got 50."],
    [{ ResourceARNList: [arnOf("a")], ResourcesPerPage: 10 }, "You can't specify both ResourceARNList"],
    [{ TagFilters: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}` })) }, "up to 50 keys"],
    [{ PaginationToken: "not-a-token" }, "PaginationToken is not valid"],
  ])("answers %j with InvalidParameterException saying what is accepted", async (input, message) => {
    const attempt = tagging.send(new GetResourcesCommand(input));
    await expect(attempt).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(attempt).rejects.toThrow(message);
  });

  it("answers PaginationTokenExpiredException for a token older than 15 minutes", async () => {
    // Prepare
    for (const name of ["a", "b"]) sim.state.createConfigurationSet(name, { "ses-firehose": "enabled" });
    const first = await tagging.send(new GetResourcesCommand({ ...optedIn(), ResourcesPerPage: 1 }));
    expect(first.PaginationToken).toMatch(/./);

    // Act
    now += 15 * 60_000 + 1;
    const attempt = tagging.send(
      new GetResourcesCommand({ ...optedIn(), PaginationToken: first.PaginationToken }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PaginationTokenExpiredException);
  });

  it("answers ThrottledException past its rate limit and InternalServiceException for an injected 5xx", async () => {
    sim.setOptions({ rateLimits: { tagging: { ratePerSecond: 0.001, burst: 1 } } });
    await tagging.send(new GetResourcesCommand({}));
    await expect(tagging.send(new GetResourcesCommand({}))).rejects.toBeInstanceOf(ThrottledException);
    sim.setOptions({
      rateLimits: {},
      faults: { seed: 1, serverErrorRate: 1, operations: ["tagging:GetResources"] },
    });
    await expect(tagging.send(new GetResourcesCommand({}))).rejects.toBeInstanceOf(InternalServiceException);
  });
});

describe("Resource Groups Tagging API: TagResources and UntagResources", () => {
  it("changes the same tags SES v2 reads, and reports each resource it could not change in FailedResourcesMap", async () => {
    // Prepare
    sim.state.createConfigurationSet("a");
    sim.state.createConfigurationSet("b", { keep: "me" });
    const otherRegion = `arn:aws:ses:eu-west-1:${ACCOUNT}:configuration-set/a`;
    const bucket = "arn:aws:s3:::some-bucket";

    // Act
    const tagged = await tagging.send(
      new TagResourcesCommand({
        ResourceARNList: [arnOf("a"), arnOf("b"), arnOf("missing"), otherRegion, bucket],
        Tags: { "ses-firehose": "enabled" },
      }),
    );
    const untagged = await tagging.send(
      new UntagResourcesCommand({ ResourceARNList: [arnOf("b")], TagKeys: ["ses-firehose"] }),
    );

    // Assess
    expect(tagged.FailedResourcesMap).toEqual({
      [arnOf("missing")]: {
        StatusCode: 404,
        ErrorCode: "NotFoundException",
        ErrorMessage: "Configuration set <missing> does not exist.",
      },
      [otherRegion]: expect.objectContaining({ StatusCode: 400, ErrorCode: "InvalidParameterException" }),
      [bucket]: expect.objectContaining({ StatusCode: 500, ErrorCode: "InternalServiceException" }),
    });
    expect(untagged.FailedResourcesMap).toEqual({});
    const read = async (name: string) =>
      (await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: name }))).Tags;
    expect(await read("a")).toEqual([{ Key: "ses-firehose", Value: "enabled" }]);
    expect(await read("b")).toEqual([{ Key: "keep", Value: "me" }]);
    expect((await listAll(optedIn())).arns).toEqual([arnOf("a")]);
  });

  it("rejects a request with no ARN, more than 20 ARNs, or a reserved tag key", async () => {
    const tooMany = Array.from({ length: 21 }, (_, i) => arnOf(`s${i}`));
    await expect(
      tagging.send(new TagResourcesCommand({ ResourceARNList: tooMany, Tags: { a: "b" } })),
    ).rejects.toThrow("ResourceARNList must be a list of 1 to 20 strings.");
    await expect(
      tagging.send(new TagResourcesCommand({ ResourceARNList: [arnOf("a")], Tags: { "aws:x": "b" } })),
    ).rejects.toThrow("reserved prefix 'aws:'");
    await expect(
      tagging.send(new UntagResourcesCommand({ ResourceARNList: [], TagKeys: ["a"] })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
