// Core layer tests: the report of docs/contract.md — counts per outcome and the run summary.
import { buildReport, countOutcomes, emptyCounts, OUTCOMES, type ReportEntry } from "../../shared/report";

const entry = (configurationSet: string, outcome: ReportEntry["outcome"]): ReportEntry => ({
  configurationSet,
  outcome,
  actions: [],
});

describe("report", () => {
  it("starts every outcome at zero", () => {
    expect(emptyCounts()).toEqual({
      created: 0,
      updated: 0,
      unchanged: 0,
      removed: 0,
      skipped: 0,
      failed: 0,
    });
    expect(Object.keys(emptyCounts())).toEqual([...OUTCOMES]);
  });

  it("counts outcomes, adding to running counts when given", () => {
    // Prepare
    const running = countOutcomes([entry("a", "created")]);

    // Act
    const counts = countOutcomes(
      [entry("b", "created"), entry("c", "failed"), entry("d", "skipped")],
      running,
    );

    // Assess
    expect(counts).toEqual({ created: 2, updated: 0, unchanged: 0, removed: 0, skipped: 1, failed: 1 });
  });

  it("builds the documented report shape", () => {
    // Prepare
    const results = [
      {
        configurationSet: "marketing",
        outcome: "created" as const,
        actions: ["CreateRole", "PutRolePolicy", "CreateConfigurationSetEventDestination"],
        roleArn: "arn:aws:iam::111122223333:role/ses-firehose-autowire/r",
        deliveryStreamArn: "arn:aws:firehose:us-east-1:111122223333:deliverystream/s",
      },
      { configurationSet: "bad", outcome: "failed" as const, actions: [], error: "clear message" },
    ];

    // Act
    const report = buildReport({ dryRun: false, region: "us-east-1", account: "111122223333" }, results);

    // Assess
    expect(report).toEqual({
      dryRun: false,
      region: "us-east-1",
      account: "111122223333",
      counts: { created: 1, updated: 0, unchanged: 0, removed: 0, skipped: 0, failed: 1 },
      results,
    });
  });
});
