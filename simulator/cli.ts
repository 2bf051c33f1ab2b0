// Simulator layer (command line): `npm run simulator -- --port 4566 --propagation-delay 3` serves until SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { startSimulator, type SimulatorOptions } from "./index";

const USAGE = `Usage: npm run simulator -- [options]

  --port <n>                 port on 127.0.0.1 (default 4566; 0 picks a free port)
  --region <code>            region of SES and Firehose resources (default us-east-1)
  --account-id <12 digits>   account in every ARN (default 111122223333)
  --propagation-delay <s>    seconds before SES can assume a new or changed IAM role (default 0)
  --tag-index-lag <s>        seconds before the tagging API's GetResources sees a tag change (default 0)
  --stream <name>            create an ACTIVE delivery stream at start (repeatable)
  --ses-rate <n>             SES v2 requests per second (token bucket, burst = n; default unlimited)
  --help                     show this text`;

class UsageError extends Error {}

function number(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag} "${raw}" is not valid: expected a number from ${min} to ${max}.`);
  }
  return value;
}

function parse(argv: string[]): { options: SimulatorOptions; streams: string[] } | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        region: { type: "string" },
        "account-id": { type: "string" },
        "propagation-delay": { type: "string" },
        "tag-index-lag": { type: "string" },
        stream: { type: "string", multiple: true },
        "ses-rate": { type: "string" },
        help: { type: "boolean" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help === true) return "help";
  const port = number("port", values.port, 0, 65535) ?? 4566;
  if (!Number.isInteger(port))
    throw new UsageError(`--port "${values.port}" is not valid: expected an integer.`);
  const delay = number("propagation-delay", values["propagation-delay"], 0, 3600);
  const lag = number("tag-index-lag", values["tag-index-lag"], 0, 3600);
  const sesRate = number("ses-rate", values["ses-rate"], 0.001, 100000);
  const region = values.region;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new UsageError(`--region "${region}" is not valid: expected a region code such as us-east-1.`);
  }
  const accountId = values["account-id"];
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new UsageError(`--account-id "${accountId}" is not valid: expected 12 digits.`);
  }
  return {
    options: {
      port,
      ...(region === undefined ? {} : { region }),
      ...(accountId === undefined ? {} : { accountId }),
      ...(delay === undefined ? {} : { propagationDelayMs: delay * 1000 }),
      ...(lag === undefined ? {} : { tagIndexLagMs: lag * 1000 }),
      ...(sesRate === undefined
        ? {}
        : { rateLimits: { sesv2: { ratePerSecond: sesRate, burst: Math.max(1, sesRate) } } }),
    },
    streams: values.stream ?? [],
  };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sim = await startSimulator(parsed.options);
  for (const stream of parsed.streams) sim.state.createDeliveryStream(stream);
  process.stdout.write(
    `AWS simulator listening on ${sim.url} (account ${sim.accountId}, region ${sim.region})\n`,
  );
  for (const stream of parsed.streams)
    process.stdout.write(`delivery stream: ${sim.state.getDeliveryStream(stream)?.arn}\n`);
  process.stdout.write("Export these to point the AWS SDK and CLI at it:\n");
  for (const [name, value] of Object.entries(sim.endpointEnv()))
    process.stdout.write(`export ${name}=${value}\n`);

  const shutdown = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping after ${sim.callLog.size} requests\n`);
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
