// Test (core layer, wall clock): the system clock the core uses when none is injected really waits and ticks.
import { systemClock } from "../../shared/deps";

describe("systemClock", () => {
  it("sleeps with a timer and reads the wall time", async () => {
    // Act
    const started = systemClock.now();
    await systemClock.sleep(20);
    const elapsed = systemClock.now() - started;

    // Assess
    expect(elapsed).toBeGreaterThanOrEqual(15);
    expect(Math.abs(started - Date.now())).toBeLessThan(1_000);
  });

  it("draws jitter in [0, 1)", () => {
    const draws = Array.from({ length: 1_000 }, () => systemClock.random());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(new Set(draws).size).toBeGreaterThan(990);
  });
});
