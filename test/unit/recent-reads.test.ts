// Test (adapter layer): which duplicate events one container may coalesce, on a fake clock.
import {
  COALESCING_WINDOW_MS,
  EVENT_TIME_SLACK_MS,
  eventTimeOf,
  RecentReads,
} from "../../shared/recent-reads";

describe("RecentReads", () => {
  let now: number;
  let reads: RecentReads;

  beforeEach(() => {
    now = Date.parse("2026-12-02T05:00:00Z");
    reads = new RecentReads({ now: () => now, maxEntries: 2 });
  });

  it("covers an event whose change happened at least the slack before a finished look began", () => {
    // Prepare: the change at T, the look began at T + slack
    const change = now;
    now += EVENT_TIME_SLACK_MS;
    reads.record("a", reads.clock());
    // Assess
    expect(reads.covers("a", change)).toBe(true);
    expect(reads.covers("a", change + 1)).toBe(false);
    expect(reads.covers("b", change)).toBe(false);
  });

  it("never covers an event without a time, or one older than the window (a redrive gets a real look)", () => {
    const change = now;
    now += 60_000;
    reads.record("a", now);
    expect(reads.covers("a", undefined)).toBe(false);
    now = change + COALESCING_WINDOW_MS + 1;
    expect(reads.covers("a", change)).toBe(false);
  });

  it("keeps the latest look of a set, and forgets the oldest set past its size", () => {
    reads.record("a", now + 10_000);
    reads.record("a", now + 5_000);
    reads.record("b", now + 10_000);
    now += 20_000;
    expect(reads.covers("a", now - 20_000 + 8_000)).toBe(true);
    reads.record("c", now);
    expect(reads.covers("a", now - 20_000)).toBe(false);
    expect(reads.covers("b", now - 20_000)).toBe(true);
  });
});

describe("eventTimeOf", () => {
  it("prefers CloudTrail's eventTime, falls back to the envelope's time, and gives up on anything else", () => {
    expect(eventTimeOf({ time: "2025-01-01T00:00:07Z", detail: { eventTime: "2025-01-01T00:00:05Z" } })).toBe(
      Date.parse("2025-01-01T00:00:05Z"),
    );
    expect(eventTimeOf({ time: "2025-01-01T00:00:07Z", detail: { eventTime: "soon" } })).toBe(
      Date.parse("2025-01-01T00:00:07Z"),
    );
    expect(eventTimeOf({ time: 7 })).toBeUndefined();
    expect(eventTimeOf(null)).toBeUndefined();
  });
});
