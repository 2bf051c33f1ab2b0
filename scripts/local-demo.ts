// Demo layer (`npm run local`): the whole product on the embedded simulator — the built handler bundles played
// through create / tag / untag / delete events and a dry-run and real backfill, then the final state, checked.
import {
  CreateConfigurationSetCommand,
  DeleteConfigurationSetCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sesv2";
import type { BackfillReport } from "../shared/backfill-run";
import type { ReportEntry } from "../shared/report";
import {
  createEvent,
  deleteEvent,
  readWiring,
  ROLE_PATH,
  startE2eWorld,
  tagEvent,
  unwiredProblems,
  untagEvent,
  wiringProblems,
  type E2eWorld,
  type Wiring,
} from "../test/support/e2e";
import { assertBuilt, type LambdaContainer } from "../test/support/lambda-runtime";

export interface DemoOptions {
  /** How long a new or changed role stays unassumable by SES (default 4 s, like a slow day in IAM). */
  propagationDelayMs?: number;
  /** Where the account of each step goes (default stdout). */
  write?: (text: string) => void;
  /** ANSI colours (default: when stdout is a terminal and NO_COLOR is unset). */
  color?: boolean;
}

export interface DemoResult {
  ok: boolean;
  /** What is not as expected at the end (empty when ok). */
  problems: string[];
  elapsedMs: number;
}

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

const ANALYTICS_STREAM = "analytics-stream";

function painter(enabled: boolean) {
  const paint = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    bold: paint("1"),
    dim: paint("2"),
    green: paint("32"),
    red: paint("31"),
    cyan: paint("36"),
    yellow: paint("33"),
  };
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  const [header = [], ...body] = rows;
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...body.map(line)].join("\n");
}

/** Runs the demo; never throws for a wrong end state (that is `ok: false`), always stops the simulator. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const c = painter(options.color ?? (process.stdout.isTTY === true && process.env.NO_COLOR === undefined));
  const say = (text = "") => write(`${text}\n`);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const propagationDelayMs = options.propagationDelayMs ?? 4_000;

  assertBuilt();
  let world: E2eWorld | undefined;
  try {
    world = await startE2eWorld({ propagationDelayMs, streams: [ANALYTICS_STREAM] });
    const w = world;
    const { sesv2 } = w.clients;
    const setArn = (name: string) => `arn:aws:ses:${w.region}:${w.accountId}:configuration-set/${name}`;
    say(c.bold("ses-firehose-autowire — local demo"));
    say(
      c.dim(
        `Simulated AWS at ${w.sim.url} (account ${w.accountId}, ${w.region}); IAM propagation delay ` +
          `${seconds(propagationDelayMs)}. Functions run from dist/ in their own Node.js processes.`,
      ),
    );
    say(
      c.dim(
        `Delivery streams: ses-events (the default, DEFAULT_DELIVERY_STREAM_ARN) and ${ANALYTICS_STREAM}.`,
      ),
    );
    const [created, tagged, deleted, backfill] = await Promise.all([
      w.container("OnConfigurationSetCreatedFunction"),
      w.container("OnConfigurationSetTaggedFunction"),
      w.container("OnConfigurationSetDeletedFunction"),
      // The demo account has no 1 request/second SES limit; keep the backfill quick.
      w.container("BackfillFunction", { env: { SES_REQUESTS_PER_SECOND: "20" } }),
    ]);

    let stepNumber = 0;
    const step = (title: string) => {
      stepNumber += 1;
      say();
      say(c.bold(c.cyan(`${stepNumber}. ${title}`)));
    };
    const user = (text: string) => say(`   ${c.dim("you:")} ${text}`);
    /** SES's "Could not assume IAM role" answers so far: the propagation delay being ridden out. */
    const refusals = () =>
      w.sim.callLog.count({ operation: "CreateConfigurationSetEventDestination", status: 400 });
    const deliver = async (fn: LambdaContainer, label: string, event: unknown) => {
      const rejectedBefore = refusals();
      say(`   ${c.dim("CloudTrail -> EventBridge ->")} ${label}`);
      const invocation = await fn.invoke<EventResult>(event);
      const rejected = refusals() - rejectedBefore;
      if (!invocation.ok) {
        say(`   ${c.red("x")} ${invocation.error.errorType}: ${invocation.error.errorMessage}`);
        return;
      }
      const { result } = invocation;
      if (result.status === "ignored") {
        say(`   ${c.yellow("-")} ignored: ${result.reason}`);
        return;
      }
      for (const entry of result.results) {
        const actions = entry.actions.length > 0 ? entry.actions.join(", ") : "no change";
        say(
          `   ${entry.outcome === "failed" ? c.red("x") : c.green("✓")} ${entry.configurationSet}: ${c.bold(entry.outcome)} — ${actions}`,
        );
      }
      const note =
        rejected > 0
          ? ` — SES refused the new role ${rejected}× while IAM propagated; retried with backoff`
          : "";
      say(c.dim(`     ${seconds(invocation.durationMs)}${note}`));
    };

    step("A configuration set is created with the opt-in tag");
    user(
      "aws sesv2 create-configuration-set --configuration-set-name marketing --tags Key=ses-firehose,Value=enabled",
    );
    await sesv2.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: "marketing",
        Tags: [{ Key: "ses-firehose", Value: "enabled" }],
      }),
    );
    await deliver(
      created,
      "OnConfigurationSetCreatedFunction",
      createEvent("marketing", { tags: { "ses-firehose": "enabled" } }),
    );

    step("A configuration set is created without the tag: left alone");
    user("aws sesv2 create-configuration-set --configuration-set-name transactional");
    await sesv2.send(new CreateConfigurationSetCommand({ ConfigurationSetName: "transactional" }));
    await deliver(created, "OnConfigurationSetCreatedFunction", createEvent("transactional"));

    step("It is tagged with a stream name: wired to that stream");
    user(
      `aws sesv2 tag-resource --resource-arn …:configuration-set/transactional --tags Key=ses-firehose,Value=${ANALYTICS_STREAM}`,
    );
    await sesv2.send(
      new TagResourceCommand({
        ResourceArn: setArn("transactional"),
        Tags: [{ Key: "ses-firehose", Value: ANALYTICS_STREAM }],
      }),
    );
    await deliver(
      tagged,
      "OnConfigurationSetTaggedFunction",
      tagEvent("transactional", { "ses-firehose": ANALYTICS_STREAM }),
    );

    step("The tag is removed from marketing: destination and role removed");
    user("aws sesv2 untag-resource --resource-arn …:configuration-set/marketing --tag-keys ses-firehose");
    await sesv2.send(
      new UntagResourceCommand({ ResourceArn: setArn("marketing"), TagKeys: ["ses-firehose"] }),
    );
    await deliver(tagged, "OnConfigurationSetTaggedFunction", untagEvent("marketing", ["ses-firehose"]));

    step("transactional is deleted: its role is removed");
    user("aws sesv2 delete-configuration-set --configuration-set-name transactional");
    await sesv2.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "transactional" }));
    await deliver(deleted, "OnConfigurationSetDeletedFunction", deleteEvent("transactional"));

    step("Sets that existed before the stack was deployed (no events for them)");
    const existing: [string, Record<string, string>][] = [
      ["receipts", { "ses-firehose": "enabled" }],
      ["legacy", { "ses-firehose": w.streamArn(ANALYTICS_STREAM) }],
      ["newsletters", {}],
    ];
    for (const [name, tags] of existing) {
      const shown = Object.entries(tags).map(([key, value]) => `${key}=${value}`);
      say(`   ${name} ${c.dim(shown.length > 0 ? shown.join(" ") : "(no tag)")}`);
      w.sim.state.createConfigurationSet(name, tags);
    }

    const runBackfill = async (dryRun: boolean) => {
      const writesBefore =
        w.sim.callLog.count({ service: "iam" }) + w.sim.callLog.count({ service: "sesv2" });
      const refusedBefore = refusals();
      const invocation = await backfill.invoke<BackfillReport>({ dryRun });
      if (!invocation.ok) {
        say(`   ${c.red("x")} ${invocation.error.errorType}: ${invocation.error.errorMessage}`);
        return;
      }
      const report = invocation.result;
      for (const entry of [...report.results].sort((a, b) =>
        a.configurationSet.localeCompare(b.configurationSet),
      )) {
        const actions = entry.actions.length > 0 ? entry.actions.join(", ") : "nothing to do";
        say(`   ${entry.configurationSet.padEnd(12)} ${c.bold(entry.outcome.padEnd(9))} ${c.dim(actions)}`);
      }
      const counts = Object.entries(report.counts)
        .filter(([, count]) => count > 0)
        .map(([outcome, count]) => `${outcome} ${count}`)
        .join(", ");
      const calls =
        w.sim.callLog.count({ service: "iam" }) + w.sim.callLog.count({ service: "sesv2" }) - writesBefore;
      const refused = refusals() - refusedBefore;
      const note = refused > 0 ? `; SES refused the new roles ${refused}× while IAM propagated` : "";
      say(c.dim(`     ${counts} — ${calls} IAM/SES calls, ${seconds(invocation.durationMs)}${note}`));
    };

    step("Backfill, dry run: the plan, nothing written");
    user(`sam remote invoke BackfillFunction --event '{"dryRun": true}'`);
    await runBackfill(true);

    step("Backfill: wire them");
    user(`sam remote invoke BackfillFunction --event '{"dryRun": false}'`);
    await runBackfill(false);

    step("Final state, read back through the AWS SDK");
    const expected: Record<string, "default" | "analytics" | "none"> = {
      marketing: "none",
      receipts: "default",
      legacy: "analytics",
      newsletters: "none",
    };
    const wirings: Wiring[] = [];
    for (const name of [...w.sim.state.configurationSetNames()].sort())
      wirings.push(await readWiring(w, name));
    const streamName = (arn: string | undefined) => arn?.split("/").pop() ?? "-";
    say(
      table([
        [
          "configuration set",
          "tag ses-firehose",
          "destination",
          "-> stream",
          "role (under " + ROLE_PATH + ")",
        ],
        ...wirings.map((wiring) => [
          wiring.configurationSet,
          w.sim.state
            .getConfigurationSet(wiring.configurationSet)
            ?.tags["ses-firehose"]?.replace(/^arn:.*\//, "arn:…/") ?? "-",
          wiring.destination === undefined
            ? "-"
            : `${wiring.destination.Name} (${wiring.destination.Enabled === true ? "enabled" : "disabled"}, ${wiring.destination.MatchingEventTypes?.length ?? 0} types)`,
          streamName(wiring.destination?.KinesisFirehoseDestination?.DeliveryStreamArn),
          wiring.role?.arn.split("/").pop() ?? "-",
        ]),
      ])
        .split("\n")
        .map((line) => `   ${line}`)
        .join("\n"),
    );
    const problems: string[] = [];
    const names = wirings.map((wiring) => wiring.configurationSet);
    if (names.join(",") !== Object.keys(expected).sort().join(",")) {
      problems.push(
        `configuration sets are ${names.join(", ")}, expected ${Object.keys(expected).sort().join(", ")}`,
      );
    }
    for (const wiring of wirings) {
      const want = expected[wiring.configurationSet];
      if (want === "none") problems.push(...unwiredProblems(wiring));
      else if (want !== undefined) {
        const stream = want === "default" ? w.defaultStreamArn : w.streamArn(ANALYTICS_STREAM);
        problems.push(...wiringProblems(w, wiring, stream));
      }
    }
    const roles = w.sim.state.roleNames(ROLE_PATH);
    const wantedRoles = wirings
      .filter((wiring) => wiring.role !== undefined)
      .map((wiring) => wiring.roleName);
    if (roles.length !== 2 || roles.some((role) => !wantedRoles.includes(role))) {
      problems.push(
        `managed roles are ${roles.join(", ") || "none"}; expected exactly those of receipts and legacy`,
      );
    }
    const elapsedMs = performance.now() - started;
    say();
    if (problems.length === 0) {
      say(
        c.green(
          `✓ Final state is right: 2 sets publish to Firehose with the documented role and policies, the others carry nothing of ours (${seconds(elapsedMs)}).`,
        ),
      );
    } else {
      say(c.red("x The final state is not right:"));
      for (const problem of problems) say(c.red(`  - ${problem}`));
    }
    return { ok: problems.length === 0, problems, elapsedMs };
  } finally {
    await world?.stop();
  }
}

if (require.main === module) {
  runDemo().then(
    (result) => {
      process.exitCode = result.ok ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`local demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
