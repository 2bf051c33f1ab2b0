// Integration test (simulator CLI and separate processes): `npm run simulator` serves SDK clients and exits cleanly.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { DescribeDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
} from "@aws-sdk/client-resource-groups-tagging-api";
import {
  CreateConfigurationSetCommand,
  GetConfigurationSetCommand,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { startSimulator } from "../../simulator";

const ROOT = path.resolve(__dirname, "../..");
const CLI = ["--import", "tsx", "simulator/cli.ts"];

/** Resolves with everything printed once `pattern` has appeared on stdout. */
async function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) resolve(output);
    });
    child.once("exit", (code) => reject(new Error(`simulator exited early with ${code}: ${output}`)));
  });
}

describe("npm run simulator", () => {
  it("prints its URL and env lines, serves the SDK, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [...CLI, "--port", "0", "--stream", "events", "--account-id", "444455556666"],
      {
        cwd: ROOT,
      },
    );
    try {
      const output = await waitForOutput(child, /export AWS_SECRET_ACCESS_KEY=.*\n/);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
      const firehose = new FirehoseClient({
        endpoint: url,
        region: "us-east-1",
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
        maxAttempts: 1,
      });
      const described = await firehose.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: "events" }),
      );
      firehose.destroy();

      expect(output).toContain(`export AWS_ENDPOINT_URL=${url}`);
      expect(described.DeliveryStreamDescription?.DeliveryStreamARN).toBe(
        "arn:aws:firehose:us-east-1:444455556666:deliverystream/events",
      );
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("--tag-index-lag keeps a tag change out of GetResources while SES already has it", async () => {
    const child = spawn(process.execPath, [...CLI, "--port", "0", "--tag-index-lag", "30"], { cwd: ROOT });
    try {
      const output = await waitForOutput(child, /export AWS_SECRET_ACCESS_KEY=.*\n/);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
      const config = {
        endpoint: url,
        region: "us-east-1",
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
        maxAttempts: 1,
      };
      const ses = new SESv2Client(config);
      const tagging = new ResourceGroupsTaggingAPIClient(config);
      await ses.send(
        new CreateConfigurationSetCommand({
          ConfigurationSetName: "fresh",
          Tags: [{ Key: "ses-firehose", Value: "enabled" }],
        }),
      );
      const fromSes = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "fresh" }));
      const fromIndex = await tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: "ses-firehose" }] }),
      );
      ses.destroy();
      tagging.destroy();

      expect(output).toContain(`export AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=${url}`);
      expect(fromSes.Tags).toEqual([{ Key: "ses-firehose", Value: "enabled" }]);
      expect(fromIndex.ResourceTagMappingList).toEqual([]);
    } finally {
      child.kill("SIGTERM");
    }
    await once(child, "exit");
  });

  it("exits 2 with the usage for a bad flag", () => {
    const result = spawnSync(process.execPath, [...CLI, "--propagation-delay", "soon"], {
      cwd: ROOT,
      encoding: "utf8",
    });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--propagation-delay "soon" is not valid: expected a number');
    expect(result.stderr).toContain("Usage: npm run simulator");
  });

  it("exits 2 for an unknown flag", () => {
    const result = spawnSync(process.execPath, [...CLI, "--colour"], { cwd: ROOT, encoding: "utf8" });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--colour");
  });
});

describe("endpointEnv", () => {
  it("points an SDK client in another process at the simulator through AWS_ENDPOINT_URL", async () => {
    const sim = await startSimulator({ accountId: "777788889999" });
    try {
      const script =
        'const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");' +
        "new STSClient({ maxAttempts: 1 }).send(new GetCallerIdentityCommand({}))" +
        ".then((r) => console.log(r.Account), (e) => { console.error(e); process.exit(1); });";
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...sim.endpointEnv() };
      const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, env });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const [code] = await once(child, "exit");

      expect(code).toBe(0);
      expect(stdout.trim()).toBe("777788889999");
      expect(sim.callLog.count({ service: "sts", operation: "GetCallerIdentity", status: 200 })).toBe(1);
    } finally {
      await sim.stop();
    }
  });
});
