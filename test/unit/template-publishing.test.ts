// Unit tests (deployment layer): what template.yaml publishes and shows — the AWS Serverless Application Repository
// metadata (one version with package.json, files that exist), deletion policies, the Powertools variables, the
// dashboard and its URL, and the build options every function shares.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_METRICS_NAMESPACE } from "../../shared/telemetry";
import { FUNCTION_IDS, ROOT, loadTemplate, resolve, type CfnResource } from "../support/cfn-template";

const template = loadTemplate();
const raw = template as unknown as {
  Metadata: { "AWS::ServerlessRepo::Application": Record<string, unknown> };
  Mappings: Record<string, Record<string, Record<string, string>>>;
};
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  license: string;
  homepage: string;
  repository: { url: string };
};
const sar = raw.Metadata["AWS::ServerlessRepo::Application"];

describe("AWS Serverless Application Repository metadata", () => {
  // Field rules: AWS SAM developer guide, "AWS SAM template Metadata section properties".
  it("has every field, within the repository's rules", () => {
    expect(Object.keys(sar).sort()).toEqual(
      [
        "Author",
        "Description",
        "HomePageUrl",
        "Labels",
        "LicenseUrl",
        "Name",
        "ReadmeUrl",
        "SemanticVersion",
        "SourceCodeUrl",
        "SpdxLicenseId",
      ].sort(),
    );
    expect(sar.Name).toMatch(/^[a-zA-Z0-9-]{1,140}$/);
    expect(String(sar.Description).length).toBeLessThanOrEqual(256);
    expect(String(sar.Author)).toMatch(/^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/);
    expect(String(sar.Author).length).toBeLessThanOrEqual(127);
    const labels = sar.Labels as string[];
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.length).toBeLessThanOrEqual(10);
    for (const label of labels) expect(label).toMatch(/^[a-zA-Z0-9+\-_:/@]{1,127}$/);
  });

  it("uses no intrinsic function (the repository does not resolve them)", () => {
    expect(JSON.stringify(sar)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
  });

  it("has package.json's version: there is one version", () => {
    expect(sar.SemanticVersion).toBe(packageJson.version);
  });

  it("has package.json's licence, home page and repository", () => {
    expect(sar.SpdxLicenseId).toBe(packageJson.license);
    expect(sar.HomePageUrl).toBe(packageJson.homepage);
    expect(sar.SourceCodeUrl).toBe(packageJson.repository.url);
  });

  it.each(["LicenseUrl", "ReadmeUrl"])("%s names a file of the repository", (field) => {
    expect(existsSync(path.join(ROOT, String(sar[field])))).toBe(true);
  });

  it("LICENSE is the full Apache License 2.0 text: all nine sections and the end of the terms", () => {
    const license = readFileSync(path.join(ROOT, String(sar.LicenseUrl)), "utf8");
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    const sections = [...license.matchAll(/^ {3}(\d)\. ([A-Z][a-z]+)/gm)].map(([, n]) => Number(n));
    expect(sections).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(license).toContain("END OF TERMS AND CONDITIONS");
  });

  it("CHANGELOG.md has a section for this version", () => {
    const changelog = readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(
      new RegExp(`^## \\[${packageJson.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"),
    );
  });
});

describe("deletion policies", () => {
  const stateful: [string, CfnResource][] = Object.entries(template.Resources).filter(([, resource]) =>
    ["AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::S3::Bucket"].includes(resource.Type),
  );

  it.each(stateful)("%s says what happens to it on delete and on replacement", (_id, resource) => {
    expect(["Delete", "Retain", "Snapshot", "RetainExceptOnCreate"]).toContain(resource.DeletionPolicy);
    expect(resource.UpdateReplacePolicy).toBe(resource.DeletionPolicy === "Retain" ? "Retain" : "Delete");
  });

  it("keeps the default stream's bucket (users' email events) and deletes the stack's own queue", () => {
    expect(template.Resources.DefaultStreamBucket?.DeletionPolicy).toBe("Retain");
    expect(template.Resources.DeadLetterQueue?.DeletionPolicy).toBe("Delete");
  });
});

describe("Powertools' standard variables", () => {
  const variables = (template.Globals.Function.Environment as { Variables: Record<string, unknown> })
    .Variables;

  it("name the service after the stack, so two stacks' logs and metrics can be told apart", () => {
    expect(variables.POWERTOOLS_SERVICE_NAME).toEqual({ Ref: "AWS::StackName" });
  });

  it("file metrics under the namespace the code uses when the variable is unset", () => {
    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe(DEFAULT_METRICS_NAMESPACE);
  });
});

interface Widget {
  type: "metric" | "log";
  width: number;
  height: number;
  x: number;
  y: number;
  properties: { title: string; region: string; metrics?: unknown[][]; query?: string };
}

describe("the dashboard", () => {
  const dashboard = template.Resources.Dashboard!;
  const bodyText = String(resolve({ template }, dashboard.Properties!.DashboardBody));
  const body = JSON.parse(bodyText) as { widgets: Widget[] };
  const titles = body.widgets.map((widget) => widget.properties.title.toLowerCase());
  const metricsOf = (title: RegExp) =>
    JSON.stringify(
      body.widgets.filter((w) => title.test(w.properties.title)).map((w) => w.properties.metrics),
    );

  it("is a CloudWatch dashboard whose body is JSON once the stack's values are substituted", () => {
    expect(dashboard.Type).toBe("AWS::CloudWatch::Dashboard");
    expect(body.widgets.length).toBeGreaterThanOrEqual(6);
    for (const widget of body.widgets) expect(widget.properties.region).toBe("us-east-1");
  });

  it.each([
    ["outcomes by kind", /outcome/],
    ["failures", /failure/],
    ["dead-letter queue depth", /dead-letter queue/],
    ["propagation retries", /propagation/],
    ["backfill progress", /backfill progress/],
    ["throttling", /throttl/],
  ])("shows %s", (_what, title) => {
    expect(titles.some((text) => title.test(text))).toBe(true);
  });

  it("plots the outcomes in the functions' namespace, for this stack's service only", () => {
    expect(metricsOf(/by outcome/)).toContain(
      JSON.stringify([DEFAULT_METRICS_NAMESPACE, "Created", "service", "ses-firehose-autowire"]),
    );
  });

  it("watches this stack's queues and the errors and throttles of all six functions", () => {
    expect(metricsOf(/dead-letter/i)).toContain('"QueueName","arn:aws:test:::DeadLetterQueue.QueueName"');
    expect(metricsOf(/dead-letter/i)).toContain('"...","arn:aws:test:::ReconcileDeadLetterQueue.QueueName"');
    // The reconcile backlog: how many sets wait, and for how long (the age on the same queue, "." = as above).
    expect(metricsOf(/backlog/i)).toContain('"...","arn:aws:test:::ReconcileQueue.QueueName"');
    expect(metricsOf(/backlog/i)).toContain('[".","ApproximateAgeOfOldestMessage",".","."');
    for (const fn of FUNCTION_IDS) {
      expect(metricsOf(/^failures$/i)).toContain(`"${fn}-physical-id"`);
      expect(metricsOf(/throttles/)).toContain(`"${fn}-physical-id"`);
    }
  });

  it("queries only this stack's log groups, for messages the code really logs", () => {
    const sources = ["shared", "functions"].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts"))
        .map((file) => readFileSync(path.join(ROOT, dir, file), "utf8")),
    );
    const queries = body.widgets.flatMap((widget) => widget.properties.query ?? []);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const query of queries) {
      for (const [, group] of query.matchAll(/SOURCE '([^']+)'/g)) {
        expect(template.Resources[group!.replace(/-physical-id$/, "")]?.Type).toBe("AWS::Logs::LogGroup");
      }
      const phrases = [...query.matchAll(/message like '([^']+)'/g)].map(([, phrase]) => phrase!);
      expect(phrases.length).toBeGreaterThan(0);
      for (const phrase of phrases) expect(sources.some((source) => source.includes(phrase))).toBe(true);
    }
  });

  it("stays compact: the packaged template has a 51,200-byte limit", () => {
    expect(Buffer.byteLength(bodyText)).toBeLessThan(6_000);
  });

  it("is named per stack and region (dashboard names are unique per account, across regions)", () => {
    expect(dashboard.Properties!.DashboardName).toEqual({ "Fn::Sub": "${AWS::StackName}-${AWS::Region}" });
  });

  it("has its console URL in the Outputs, on the partition's own console domain", () => {
    const output = template.Outputs.DashboardUrl!;
    expect(resolve({ template }, output.Value)).toBe(
      "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/Dashboard-physical-id",
    );
    expect(raw.Mappings.ConsoleDomain).toEqual({
      aws: { Domain: "console.aws.amazon.com" },
      "aws-cn": { Domain: "console.amazonaws.cn" },
      "aws-us-gov": { Domain: "console.amazonaws-us-gov.com" },
    });
    // Other partitions have no console domain in the map: the output is left out there rather than fail the deploy.
    expect(output.Condition).toBe("HasKnownConsole");
  });
});

describe("build options", () => {
  const builds = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Metadata?.BuildMethod === "esbuild",
  );

  it.each(builds)(
    "%s is minified and takes packages' ES module builds (tree-shaken SDK)",
    (_id, resource) => {
      const properties = (resource.Metadata as { BuildProperties: Record<string, unknown> }).BuildProperties;
      expect(properties).toMatchObject({ Minify: true, MainFields: "module,main", Sourcemap: true });
    },
  );
});
