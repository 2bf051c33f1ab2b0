// Unit tests (infrastructure layer): Powertools' standard variables name the service and the metrics namespace,
// with the project's defaults when a variable is unset or empty; the outcome metrics are counted per outcome.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  addOutcomeMetrics,
  createLogger,
  createMetrics,
  telemetrySettings,
} from "../../shared/telemetry";

/** The first JSON object `act` prints (Powertools writes to stdout, EMF and log lines alike). */
function printed(act: () => void, marker: string): Record<string, unknown> {
  const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    act();
    const lines = [...write.mock.calls, ...log.mock.calls].map(([text]) => String(text));
    const line = lines.find((text) => text.includes(marker));
    if (line === undefined) throw new Error(`nothing with ${marker} printed: ${lines.join("\n")}`);
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
}

describe("telemetrySettings", () => {
  it("takes POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE when set", () => {
    expect(
      telemetrySettings({
        POWERTOOLS_SERVICE_NAME: "stack-a",
        POWERTOOLS_METRICS_NAMESPACE: "Team/Autowire",
      }),
    ).toEqual({ serviceName: "stack-a", namespace: "Team/Autowire" });
  });

  it.each([
    ["unset", {}],
    ["empty", { POWERTOOLS_SERVICE_NAME: "", POWERTOOLS_METRICS_NAMESPACE: "" }],
    ["blank", { POWERTOOLS_SERVICE_NAME: "  ", POWERTOOLS_METRICS_NAMESPACE: " " }],
  ])("falls back to the project's names when %s", (_case, env) => {
    expect(telemetrySettings(env)).toEqual({
      serviceName: DEFAULT_SERVICE_NAME,
      namespace: DEFAULT_METRICS_NAMESPACE,
    });
    expect(DEFAULT_SERVICE_NAME).toBe("ses-firehose-autowire");
  });
});

describe("createLogger and createMetrics", () => {
  it("log and file metrics under the service and namespace of the environment", () => {
    // Prepare
    const env = { POWERTOOLS_SERVICE_NAME: "stack-b", POWERTOOLS_METRICS_NAMESPACE: "Ns/B" };
    const metrics = createMetrics(env);
    // Act
    addOutcomeMetrics(metrics, [
      { configurationSet: "a", outcome: "created", actions: [] },
      { configurationSet: "b", outcome: "created", actions: [] },
      { configurationSet: "c", outcome: "failed", actions: [], error: "boom" },
    ]);
    const emf = printed(() => metrics.publishStoredMetrics(), '"_aws"');
    const line = printed(() => createLogger(env).info("reconciled"), "reconciled");
    // Assert
    expect(line).toMatchObject({ level: "INFO", message: "reconciled", service: "stack-b" });
    expect(emf).toMatchObject({
      service: "stack-b",
      Created: 2,
      Failed: 1,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "Ns/B",
            Dimensions: [["service"]],
            Metrics: expect.arrayContaining([
              { Name: "Created", Unit: MetricUnit.Count },
              { Name: "Failed", Unit: MetricUnit.Count },
            ]),
          },
        ],
      },
    });
  });
});
