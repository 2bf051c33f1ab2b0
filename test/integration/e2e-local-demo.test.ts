// End-to-end test (demo): `npm run local`'s runDemo, with a short propagation delay, so the demo cannot silently rot.
import { runDemo } from "../../scripts/local-demo";

describe("npm run local (scripts/local-demo.ts)", () => {
  it("plays every step, prints the final table, and finds the final state right", async () => {
    // Prepare
    let output = "";
    // Act
    const result = await runDemo({
      propagationDelayMs: 300,
      color: false,
      write: (text) => {
        output += text;
      },
    });
    // Assess
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.elapsedMs).toBeLessThan(60_000);
    for (const line of [
      "marketing: created — CreateRole, PutRolePolicy, CreateConfigurationSetEventDestination",
      "transactional: skipped — no change",
      "transactional: created — CreateRole, PutRolePolicy, CreateConfigurationSetEventDestination",
      "marketing: removed — DeleteConfigurationSetEventDestination, DeleteRolePolicy, DeleteRole",
      "transactional: removed — DeleteRolePolicy, DeleteRole",
      "Backfill, dry run",
      "✓ Final state is right",
    ]) {
      expect(output).toContain(line);
    }
    expect(output).toMatch(
      /legacy\s+arn:…\/analytics-stream\s+ses-firehose-autowire \(enabled, 10 types\)\s+analytics-stream\s+ses-firehose-legacy-[0-9a-f]{8}/,
    );
    expect(output).toMatch(
      /receipts\s+enabled\s+ses-firehose-autowire \(enabled, 10 types\)\s+ses-events\s+ses-firehose-receipts-[0-9a-f]{8}/,
    );
    expect(output).toMatch(/newsletters\s+-\s+-\s+-\s+-/);
    expect(output).not.toContain("\x1b[");
  });
});
