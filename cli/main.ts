// Adapter layer (CLI): `ses-firehose-autowire backfill` — flags and environment to one backfill run, exit code 0/1/2.
import { parseArgs } from "node:util";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Logger } from "@aws-lambda-powertools/logger";
import packageJson from "../package.json";
import type { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { createAwsClients, sdkClientConfig, type AwsClients } from "../shared/aws-clients";
import { runBackfill, validateConfigurationSetNames } from "../shared/backfill";
import { loadConfig, type Environment } from "../shared/config";
import { AutowireError, ConfigError, describeError, InvalidBackfillInputError } from "../shared/errors";
import { defaultDiscovery } from "../shared/discovery";
import { attachPacer, TokenBucketPacer } from "../shared/pacing";
import { buildReport } from "../shared/report";
import { decidedAnything, removeUnusedStreamRoles, streamRolesNamedBy } from "../shared/stream-roles";
import { createTaggingClient } from "../shared/tagging-client";
import { progressBar, reportTable } from "./render";

export const USAGE = `Usage: ses-firehose-autowire backfill [--dry-run] [--only a,b] [--full] [--json] [--region R] [--concurrency N]

Wires every configuration set opted in by tag to Kinesis Data Firehose (and removes what is no longer
wanted), with the same reconcile the Lambda functions use. In tag mode it visits only the candidates: the
sets the Resource Groups Tagging API lists with the opt-in tag key, and the sets our roles were made for.

Options:
  --dry-run          show the plan; change nothing
  --only a,b         reconcile only these configuration sets (names: 1-64 letters, digits, _ or -)
  --full             full audit: list and visit every configuration set (the default in OPT_IN_MODE=all)
  --json             print only the report as JSON on stdout
  --region R         AWS region (default: AWS_REGION, then your AWS config)
  --concurrency N    configuration sets reconciled at once, 1-64 (default 4)
  -h, --help         show this help
  --version          show the version

Configuration comes from the same environment variables as the functions (OPT_IN_TAG_KEY, OPT_IN_MODE,
DEFAULT_DELIVERY_STREAM_ARN, EVENT_TYPES, ROLE_PATH, SES_REQUESTS_PER_SECOND, ...); credentials from the
standard AWS chain; endpoints from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>.

Warnings of the run (e.g. a role with our name that is not ours, left untouched) are logged on stderr as JSON
lines; with --json, stdout holds only the report.

Exit codes: 0 nothing failed, 1 a configuration set failed (or the run could not finish), 2 bad usage or configuration.
`;

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface CliClients extends AwsClients {
  sts: STSClient;
  tagging: ResourceGroupsTaggingAPIClient;
}

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  argv: readonly string[];
  env: Environment;
  stdout: TextSink;
  stderr: TextSink & { isTTY?: boolean };
}

export interface CliDeps {
  /** Builds the AWS clients for a region (undefined: the SDK's default chain); replaced in tests. */
  createClients?: (options: { region?: string; maxAttempts: number }) => CliClients;
  /** The core's logger; default a Powertools Logger at WARN, which writes warnings and errors to stderr. */
  logger?: Logger;
}

/** Service name of the CLI's log lines. */
export const CLI_SERVICE_NAME = "ses-firehose-autowire-cli";

class UsageError extends AutowireError {
  override readonly name = "UsageError";
}

interface Options {
  dryRun: boolean;
  only?: string[];
  full: boolean;
  json: boolean;
  region?: string;
  concurrency: number;
}

type Parsed = { kind: "help" } | { kind: "version" } | { kind: "backfill"; options: Options };

function parse(argv: readonly string[]): Parsed {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        "dry-run": { type: "boolean" },
        only: { type: "string" },
        full: { type: "boolean" },
        json: { type: "boolean" },
        region: { type: "string" },
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(describeError(err).message);
  }
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  if (positionals.length === 0) throw new UsageError("Missing command: expected `backfill`.");
  if (positionals[0] !== "backfill" || positionals.length > 1) {
    throw new UsageError(`Unknown command \`${positionals.join(" ")}\`: the only command is \`backfill\`.`);
  }
  const options: Options = {
    dryRun: values["dry-run"] === true,
    full: values.full === true,
    json: values.json === true,
    concurrency: 4,
  };
  if (values.only !== undefined) {
    const names = values.only.split(",").map((name) => name.trim());
    try {
      options.only = validateConfigurationSetNames(
        names.filter((name) => name !== "").length === 0 ? [] : names,
      );
    } catch (err) {
      throw new UsageError(`--only: ${describeError(err).message}`);
    }
  }
  if (values.region !== undefined) {
    if (!REGION_PATTERN.test(values.region)) {
      throw new UsageError(`--region "${values.region}" is not a region name (e.g. us-east-1).`);
    }
    options.region = values.region;
  }
  if (values.concurrency !== undefined) {
    const n = Number(values.concurrency);
    if (!/^\d+$/.test(values.concurrency) || n < 1 || n > 64) {
      throw new UsageError(
        `--concurrency "${values.concurrency}" is not valid: expected an integer from 1 to 64.`,
      );
    }
    options.concurrency = n;
  }
  return { kind: "backfill", options };
}

function defaultClients(options: { region?: string; maxAttempts: number }): CliClients {
  return {
    ...createAwsClients(options),
    sts: new STSClient(sdkClientConfig(options)),
    tagging: createTaggingClient(options),
  };
}

/** Runs the CLI; returns the exit code. Never calls process.exit, so tests run it in-process. */
export async function main(io: CliIo, deps: CliDeps = {}): Promise<number> {
  let parsed: Parsed;
  let config;
  try {
    parsed = parse(io.argv);
    config = loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof ConfigError)) throw err;
    io.stderr.write(`ses-firehose-autowire: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.kind === "help") {
    io.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === "version") {
    io.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  const { options } = parsed;
  const region = options.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const clients = (deps.createClients ?? defaultClients)({
    ...(region === undefined ? {} : { region }),
    maxAttempts: 12,
  });
  const pacer = new TokenBucketPacer({ ratePerSecond: config.sesRequestsPerSecond });
  attachPacer(clients.sesv2, pacer);

  let resolvedRegion: string;
  let account: string;
  try {
    resolvedRegion = await clients.sesv2.config.region();
    const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
    if (identity.Account === undefined) throw new Error("STS GetCallerIdentity returned no account");
    account = identity.Account;
  } catch (err) {
    const { name, message } = describeError(err);
    io.stderr.write(
      `ses-firehose-autowire: cannot determine the AWS region and account (${name}: ${message}). ` +
        "Set --region or AWS_REGION, and credentials through the standard AWS chain (AWS_PROFILE, environment, SSO, ...).\n",
    );
    return 2;
  }

  // Progress only on a terminal, and never with --json (stdout then carries the report alone).
  const progress = progressBar(io.stderr, io.stderr.isTTY === true && !options.json);
  // Node's Console sends warn and error to stderr: stdout keeps only what main writes there.
  const logger = deps.logger ?? new Logger({ serviceName: CLI_SERVICE_NAME, logLevel: "WARN" });
  const startedAt = new Date();
  const coreDeps = { ...clients, config, logger, region: resolvedRegion, accountId: account };
  try {
    const run = await runBackfill(
      {
        dryRun: options.dryRun,
        discovery: options.full ? "list" : defaultDiscovery(config),
        ...(options.only === undefined ? {} : { configurationSetNames: options.only }),
      },
      coreDeps,
      {
        concurrency: options.concurrency,
        onListed: (names, morePages) => progress.listed(names, morePages),
        onResult: (entry) => progress.result(entry),
      },
    );
    // Listing every set is a full audit: only then may a shared delivery-stream role no destination names go.
    const streamRoles =
      options.only === undefined && run.discovery === "list"
        ? await removeUnusedStreamRoles(
            {
              listedRoles: run.managedRoleNames,
              inUse: new Set(streamRolesNamedBy(run.results, config.roleNamePrefix)),
              failedSets: run.results.filter((e) => e.outcome === "failed").map((e) => e.configurationSet),
              failedSetsOmitted: 0,
              auditStartedAt: startedAt,
            },
            coreDeps,
            { dryRun: options.dryRun },
          )
        : undefined;
    progress.finish();
    const results = [...run.results].sort((a, b) => a.configurationSet.localeCompare(b.configurationSet));
    const report = {
      ...buildReport(
        { dryRun: options.dryRun, discovery: run.discovery, region: resolvedRegion, account },
        results,
      ),
      ...(streamRoles !== undefined && decidedAnything(streamRoles) ? { streamRoles } : {}),
    };
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : reportTable(report));
    return report.counts.failed > 0 ? 1 : 0;
  } catch (err) {
    progress.finish();
    const { name, message } = describeError(err);
    io.stderr.write(`ses-firehose-autowire: backfill stopped: ${name}: ${message}\n`);
    return err instanceof InvalidBackfillInputError ? 2 : 1;
  }
}
