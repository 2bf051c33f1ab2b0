// End-to-end test (built bundles + simulator): what the functions tell CloudWatch — every log line carries the
// service named by POWERTOOLS_SERVICE_NAME, metrics go to POWERTOOLS_METRICS_NAMESPACE with that service as
// dimension, and every metric the stack's dashboard plots is one a bundle really emits, with the same dimensions.
import {
  CreateConfigurationSetCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sesv2";
import { createEvent, startE2eWorld, tagEvent, untagEvent, type E2eWorld } from "../support/e2e";
import { loadTemplate, resolve } from "../support/cfn-template";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

/** One metric of an EMF record, as CloudWatch files it. */
interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** The metrics in a container's EMF lines (Powertools prints one JSON object per flush, with `_aws`). */
function emittedMetrics(container: LambdaContainer): EmittedMetric[] {
  return container.logRecords().flatMap((record) => {
    const aws = record._aws as
      | { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    if (aws === undefined) return [];
    return aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) =>
      Dimensions.flatMap((names) =>
        Metrics.map(({ Name }) => ({
          namespace: Namespace,
          name: Name,
          dimensions: Object.fromEntries(names.map((name) => [name, String(record[name])])),
        })),
      ),
    );
  });
}

/** The application log lines (Powertools' JSON with a level), without the EMF records. */
function logLinesOf(container: LambdaContainer): Record<string, unknown>[] {
  return container.logRecords().filter((record) => record._aws === undefined && "level" in record);
}

let world: E2eWorld;

beforeAll(async () => {
  assertBuilt();
  world = await startE2eWorld({ streams: ["analytics-stream"] });
  await world.clients.sesv2.send(
    new CreateConfigurationSetCommand({
      ConfigurationSetName: "observed",
      Tags: [{ Key: "ses-firehose", Value: "enabled" }],
    }),
  );
});

afterAll(async () => {
  await world?.stop();
});

describe("Powertools' standard variables in the built bundles", () => {
  it("a bundle's logs carry the service of POWERTOOLS_SERVICE_NAME and its metrics the namespace and dimension", async () => {
    // Prepare: two stacks' functions, told apart only by the variables the template sets
    const stackA = await world.container("OnConfigurationSetCreatedFunction", {
      env: { POWERTOOLS_SERVICE_NAME: "autowire-stack-a", POWERTOOLS_METRICS_NAMESPACE: "TeamA/Autowire" },
    });
    // Act
    resultOf(await stackA.invoke(createEvent("observed")));
    // Assert: every application log line names the service; the outcome metric is filed under it
    const lines = logLinesOf(stackA);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((line) => line.service)).toEqual(lines.map(() => "autowire-stack-a"));
    expect(emittedMetrics(stackA)).toContainEqual({
      namespace: "TeamA/Autowire",
      name: "Created",
      dimensions: { service: "autowire-stack-a" },
    });
  });

  it("without the variables, a bundle logs and files metrics under the project's defaults", async () => {
    // Prepare
    const plain = await world.container("OnConfigurationSetCreatedFunction");
    // Act: the set is wired by now, so this one is unchanged
    resultOf(await plain.invoke(createEvent("observed")));
    // Assert
    expect(new Set(logLinesOf(plain).map((line) => line.service))).toEqual(
      new Set(["ses-firehose-autowire"]),
    );
    expect(emittedMetrics(plain)).toContainEqual({
      namespace: "SesFirehoseAutowire",
      name: "Unchanged",
      dimensions: { service: "ses-firehose-autowire" },
    });
  });
});

describe("the stack's dashboard", () => {
  it("plots only metrics the bundles emit, under the namespace and dimensions they emit them with", async () => {
    // Prepare: the functions configured as the template configures them (stack name from the resolver), and
    // sets that end in every outcome
    const template = loadTemplate();
    const variables = (template.Globals.Function.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const scope = { template };
    const env = {
      POWERTOOLS_SERVICE_NAME: String(resolve(scope, variables.POWERTOOLS_SERVICE_NAME)),
      POWERTOOLS_METRICS_NAMESPACE: String(resolve(scope, variables.POWERTOOLS_METRICS_NAMESPACE)),
    };
    const created = await world.container("OnConfigurationSetCreatedFunction", { env });
    const tagged = await world.container("OnConfigurationSetTaggedFunction", { env });
    // The backfill paces SES at 1 request/s by default: not what this test is about.
    const backfill = await world.container("BackfillFunction", {
      env: { ...env, SES_REQUESTS_PER_SECOND: "1000" },
    });
    const sets: [string, string | undefined][] = [
      ["dash-wired", "enabled"],
      ["dash-untagged", undefined],
      ["dash-no-such-stream", "no-such-stream"],
    ];
    for (const [name, tag] of sets) {
      await world.clients.sesv2.send(
        new CreateConfigurationSetCommand({
          ConfigurationSetName: name,
          Tags: tag === undefined ? [] : [{ Key: "ses-firehose", Value: tag }],
        }),
      );
    }
    const arn = `arn:aws:ses:${world.region}:${world.accountId}:configuration-set/dash-wired`;
    // Act: created, unchanged, skipped, failed, updated (another stream), removed (untagged), a malformed event,
    // then a backfill run — each invocation flushing its metrics
    for (const [name] of sets) await created.invoke(createEvent(name));
    await created.invoke(createEvent("dash-wired"));
    await world.clients.sesv2.send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: [{ Key: "ses-firehose", Value: "analytics-stream" }],
      }),
    );
    await tagged.invoke(tagEvent("dash-wired", { "ses-firehose": "analytics-stream" }));
    await world.clients.sesv2.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["ses-firehose"] }));
    await tagged.invoke(untagEvent("dash-wired", ["ses-firehose"]));
    await created.invoke({ "detail-type": "AWS API Call via CloudTrail", source: "aws.ses" });
    resultOf(await backfill.invoke({ dryRun: false }));
    // Assert: each of the dashboard's own-namespace metrics was emitted, with exactly its dimensions
    const body = JSON.parse(
      String(resolve(scope, template.Resources.Dashboard!.Properties!.DashboardBody)),
    ) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const plotted = body.widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .map(expandShorthand())
      .filter((metric) => metric.namespace === env.POWERTOOLS_METRICS_NAMESPACE);
    const outcomeMetrics = ["Created", "Updated", "Removed", "Unchanged", "Skipped", "Failed"];
    expect(plotted.map((metric) => metric.name)).toEqual(
      expect.arrayContaining([...outcomeMetrics, ...outcomeMetrics.map((name) => `Backfill${name}`)]),
    );
    const emitted = [created, tagged, backfill]
      .flatMap(emittedMetrics)
      .map((metric) => JSON.stringify(metric));
    const notEmitted = plotted
      .filter((metric) => !emitted.includes(JSON.stringify(metric)))
      .map((metric) => `${metric.name} ${JSON.stringify(metric.dimensions)}`);
    expect(notEmitted).toEqual([]);
  });
});

/**
 * CloudWatch's metric-array shorthand: `[namespace, name, dim, value, …, {options}]`, where "." repeats the value
 * at the same position of the previous array and a leading "..." repeats all of it but the trailing values given.
 */
function expandShorthand(): (entry: unknown[]) => EmittedMetric {
  let previous: string[] = [];
  return (entry) => {
    const values = entry.filter((item): item is string => typeof item === "string");
    const full =
      values[0] === "..."
        ? [...previous.slice(0, previous.length - (values.length - 1)), ...values.slice(1)]
        : values.map((value, i) => (value === "." ? previous[i]! : value));
    previous = full;
    const [namespace, name, ...pairs] = full;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
    return { namespace: namespace!, name: name!, dimensions };
  };
}
