// Unit tests (adapter layer): the CLI in-process — flags, exit codes, table, --json, progress only on a terminal.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { main, USAGE, type CliClients, type CliIo } from "../../cli/main";
import { progressBar } from "../../cli/render";
import type { Outcome, Report, ReportEntry } from "../../shared/report";
import { streamRoleNameFor } from "../../shared/naming";

import { ACCOUNT, FakeAws, REGION, seedMixed, STREAM_ARN } from "../support/fake-aws";

const ENV = { DEFAULT_DELIVERY_STREAM_ARN: STREAM_ARN, SES_REQUESTS_PER_SECOND: "1000", AWS_REGION: REGION };

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

function capture(argv: string[], env: Record<string, string> = ENV, isTTY = false): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      argv,
      env,
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text), isTTY },
    },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

describe("ses-firehose-autowire CLI", () => {
  let fake: FakeAws;
  let sts: STSClient;
  let requestedRegions: (string | undefined)[];
  const deps = () => ({
    createClients: (options: { region?: string }): CliClients => {
      requestedRegions.push(options.region);
      return { ...fake.clients(), sts };
    },
  });

  beforeEach(() => {
    fake = new FakeAws();
    sts = new STSClient({ region: REGION });
    mockClient(sts)
      .on(GetCallerIdentityCommand)
      .resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/op` });
    requestedRegions = [];
  });

  it("shows the core's warnings on stderr as log lines while --json keeps stdout to the report", async () => {
    // Prepare: an opted-out set whose role has our name and path but not our managed-by tag
    const roleName = fake.addWiredSet("legacy", { "ses-firehose": "disabled" });
    fake.roles.get(roleName)!.tags = [];
    const stderr: string[] = [];
    const written = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const run = capture(["backfill", "--json"]);

    // Act
    let code: number;
    try {
      code = await main(run.io, deps());
    } finally {
      written.mockRestore();
    }

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(run.out()) as Report;
    expect(report.results).toEqual([
      expect.objectContaining({ configurationSet: "legacy", outcome: "removed" }),
    ]);
    expect(fake.roles.has(roleName)).toBe(true);
    // Only the log lines: on Node 20 the SDK also prints its Node-version notice to stderr.
    const logLines = stderr.filter((line) => line.startsWith("{"));
    const warnings = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: "WARN",
        message: "role with our name is not ours; left untouched",
        service: "ses-firehose-autowire-cli",
        roleName,
      }),
    ]);
  });

  it("backfills the candidates of tag discovery, prints a table with the counts and exits 0 when nothing failed", async () => {
    // Prepare: 10 sets, the 5 untagged ones hold nothing of ours
    seedMixed(fake, 10);
    const run = capture(["backfill"]);

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(0);
    const lines = run.out().split("\n");
    expect(lines[0]).toMatch(/^CONFIGURATION SET\s+OUTCOME\s+ACTIONS\s+ERROR$/);
    expect(lines.find((line) => line.startsWith("set-00005"))).toMatch(
      /^set-00005\s+created\s+CreateRole, PutRolePolicy, CreateConfigurationSetEventDestination$/,
    );
    expect(run.out()).toContain(`5 configuration sets in ${REGION} (account ${ACCOUNT}).`);
    expect(run.out()).toContain("created 2, updated 1, unchanged 1, removed 1, skipped 0, failed 0");
    expect(run.err()).toBe("");
    expect(fake.sets.get("set-00005")!.destinations.size).toBe(1);
    expect(fake.callsOf("ListConfigurationSetsCommand")).toHaveLength(0);
    expect(
      fake.callsOf("GetConfigurationSetCommand").map((input) => input.ConfigurationSetName),
    ).not.toContain("set-00000");
  });

  it("lists and visits every set with --full, and the report says so", async () => {
    // Prepare
    seedMixed(fake, 10);
    const run = capture(["backfill", "--full", "--json"]);

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(run.out()) as Report;
    expect(report.discovery).toBe("list");
    expect(report.counts).toEqual({
      created: 2,
      updated: 1,
      unchanged: 1,
      removed: 1,
      skipped: 5,
      failed: 0,
    });
    expect(fake.callsOf("GetResourcesCommand")).toHaveLength(0);
  });

  it("prints only the report of docs/contract.md with --json and exits 1 when a set failed", async () => {
    // Prepare
    fake.addSet("good", { "ses-firehose": "enabled" });
    fake.addSet("bad", { "ses-firehose": "not a stream!" });
    const run = capture(["backfill", "--json"], ENV, true);

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(run.out()) as Report;
    expect(Object.keys(report)).toEqual(["dryRun", "discovery", "region", "account", "counts", "results"]);
    expect(report).toMatchObject({ dryRun: false, discovery: "tags", region: REGION, account: ACCOUNT });
    expect(report.counts).toMatchObject({ created: 1, failed: 1 });
    expect(report.results.map((entry) => entry.configurationSet)).toEqual(["bad", "good"]);
    expect(report.results[0]!.error).toContain("not a stream!");
    expect(run.err()).toBe(""); // no progress bar with --json, even on a terminal
  });

  it("in delivery-stream scope, only a full audit deletes the stream roles no destination names, and says so", async () => {
    // Prepare: one set on the default stream, and a stream role left by sets that moved to another stream
    fake.addSet("tenant-1", { "ses-firehose": "enabled" });
    const stale = fake.addStreamRole(STREAM_ARN.replace("email-events", "old-events"));
    const inUse = streamRoleNameFor("ses-firehose", STREAM_ARN);
    const scope = { ...ENV, ROLE_SCOPE: "delivery-stream" };
    const named = capture(["backfill", "--only", "tenant-1", "--json"], scope);
    const tagged = capture(["backfill", "--json"], scope);
    const full = capture(["backfill", "--full"], scope);

    // Act
    const onlyCode = await main(named.io, deps());
    const staleAfterOnly = fake.roles.has(stale);
    const tagsCode = await main(tagged.io, deps());
    const staleAfterTags = fake.roles.has(stale);
    const code = await main(full.io, deps());

    // Assess: a run over named sets or over the sets tag discovery found cannot know that nothing names the role
    expect([onlyCode, tagsCode, code]).toEqual([0, 0, 0]);
    expect([staleAfterOnly, staleAfterTags]).toEqual([true, true]);
    expect(JSON.parse(named.out())).not.toHaveProperty("streamRoles");
    expect(JSON.parse(tagged.out())).not.toHaveProperty("streamRoles");
    expect([...fake.roles.keys()]).toEqual([inUse]);
    expect(full.out()).toContain(`delivery-stream roles in use: ${inUse}; removed: ${stale}`);
  });

  it("writes nothing with --dry-run and says so under the table", async () => {
    // Prepare
    seedMixed(fake, 10);
    const run = capture(["backfill", "--dry-run"]);

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(0);
    expect(fake.writeCalls()).toBe(0);
    expect(run.out()).toContain("dry run: nothing was changed, actions show what would be done");
  });

  it("limits the run to --only names and uses --region for every client", async () => {
    // Prepare
    seedMixed(fake, 10);
    const run = capture(["backfill", "--only", "set-00005, set-00006", "--region", "us-east-1", "--json"], {
      ...ENV,
      AWS_REGION: "eu-west-1",
    });

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(run.out()) as Report;
    expect(report.results.map((entry) => entry.configurationSet)).toEqual(["set-00005", "set-00006"]);
    expect(fake.callsOf("ListConfigurationSetsCommand")).toHaveLength(0);
    expect(requestedRegions).toEqual(["us-east-1"]);
  });

  it("shows a progress bar with counts, rate and ETA on stderr when stderr is a terminal", async () => {
    // Prepare
    seedMixed(fake, 10);
    const run = capture(["backfill", "--full"], ENV, true);

    // Act
    const code = await main(run.io, deps());

    // Assess: the last frame drawn (between cli-progress's cursor and clear-line escapes) is the finished bar
    expect(code).toBe(0);
    const frames = framesOf(run.err());
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[frames.length - 1]).toMatch(
      /^\[#{24}\] 10\/10 100% \| created 2 updated 1 unchanged 1 removed 1 skipped 5 failed 0 \| \d+\.\d sets\/s \| ETA \d+s\n?$/,
    );
    expect(run.out()).toMatch(/^CONFIGURATION SET/); // the table on stdout, untouched by the bar
  });

  it.each([
    [["backfill", "--bogus"], "Unknown option '--bogus'"],
    [["backfill", "--only", "ok,not ok"], '--only: Invalid configuration set name "not ok"'],
    [["backfill", "--only", ","], "--only: configurationSetNames is empty"],
    [["backfill", "--concurrency", "0"], '--concurrency "0" is not valid: expected an integer from 1 to 64.'],
    [["backfill", "--region", "mars"], '--region "mars" is not a region name'],
    [["backfill", "--dry-run=yes"], "--dry-run"],
    [[], "Missing command: expected `backfill`."],
    [["deploy"], "Unknown command `deploy`: the only command is `backfill`."],
  ])("exits 2 with the usage for %j", async (argv, message) => {
    // Prepare
    fake.addSet("a", { "ses-firehose": "enabled" });
    const run = capture(argv);

    // Act
    const code = await main(run.io, deps());

    // Assess
    expect(code).toBe(2);
    expect(run.err()).toContain(message);
    expect(run.err()).toContain(USAGE);
    expect(run.out()).toBe("");
    expect(fake.calls).toHaveLength(0);
  });

  it("exits 2 naming the variable when the configuration is invalid", async () => {
    const run = capture(["backfill"], { ...ENV, OPT_IN_MODE: "sometimes" });
    expect(await main(run.io, deps())).toBe(2);
    expect(run.err()).toContain('OPT_IN_MODE="sometimes" is not valid: expected "tag" or "all".');
  });

  it("exits 2 with a hint when the account cannot be determined", async () => {
    // Prepare
    mockClient(sts)
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError" }));
    const run = capture(["backfill"]);

    // Act / Assess
    expect(await main(run.io, deps())).toBe(2);
    expect(run.err()).toContain("CredentialsProviderError: Could not load credentials");
    expect(run.err()).toContain("Set --region or AWS_REGION");
  });

  it("exits 1 when the listing itself fails", async () => {
    // Prepare
    fake.addSet("a");
    fake.injectThrottling.set("ListConfigurationSetsCommand", 100);
    const run = capture(["backfill", "--full"]);

    // Act
    const code = await main(run.io, { createClients: () => ({ ...fake.clients({ maxAttempts: 1 }), sts }) });

    // Assess
    expect(code).toBe(1);
    expect(run.err()).toContain("backfill stopped: TooManyRequestsException");
  });

  it("exits 1 and names the tagging API when tag discovery cannot read the tag index", async () => {
    // Prepare
    fake.addSet("a", { "ses-firehose": "enabled" });
    const clients = { ...fake.clients({ maxAttempts: 1 }), sts };
    mockClient(clients.tagging)
      .on(GetResourcesCommand)
      .rejects(
        Object.assign(new Error("User is not authorized to perform: tag:GetResources"), {
          name: "AccessDeniedException",
        }),
      );
    const run = capture(["backfill"]);

    // Act
    const code = await main(run.io, { createClients: () => clients });

    // Assess
    expect(code).toBe(1);
    expect(run.err()).toContain(
      "backfill stopped: TagDiscoveryError: Tag discovery failed: the Resource Groups Tagging API's GetResources " +
        "answered AccessDeniedException: User is not authorized to perform: tag:GetResources",
    );
    expect(run.out()).toBe("");
    expect(fake.sesCalls()).toBe(0);
  });

  it("prints help and the version with exit 0", async () => {
    const help = capture(["--help"]);
    expect(await main(help.io, deps())).toBe(0);
    expect(help.out()).toBe(USAGE);
    const version = capture(["--version"]);
    expect(await main(version.io, deps())).toBe(0);
    expect(version.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

/** The frames a progress bar drew: the text between cli-progress's cursor and clear-line escapes. */
function framesOf(drawn: string): string[] {
  // eslint-disable-next-line no-control-regex
  return drawn.split(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/).filter((frame) => frame.trim() !== "");
}

describe("progress rendering", () => {
  const entry = (outcome: Outcome): ReportEntry => ({ configurationSet: "s", outcome, actions: [] });

  it("shows an open total and no ETA while pages are still being listed", () => {
    // Prepare
    let drawn = "";
    const progress = progressBar(
      { write: (text: string) => (drawn += text), isTTY: true, columns: 200 },
      true,
    );
    // Act: a first page of 1,000 names with more to come, 500 of them done
    progress.listed(1000, true);
    for (let i = 0; i < 500; i += 1) progress.result(entry(i === 0 ? "created" : "skipped"));
    progress.finish();
    // Assess
    expect(framesOf(drawn).at(-1)).toMatch(
      /^\[#{12}-{12}\] 500\/1000\+ 50% \| created 1 updated 0 unchanged 0 removed 0 skipped 499 failed 0 \| \d+\.\d sets\/s \| ETA …\n?$/,
    );
  });

  it("draws nothing when disabled (not a terminal, or --json)", () => {
    let drawn = "";
    const progress = progressBar({ write: (text: string) => (drawn += text), isTTY: true }, false);
    progress.listed(10, false);
    progress.result(entry("created"));
    progress.finish();
    expect(drawn).toBe("");
  });
});
