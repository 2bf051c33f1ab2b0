// Unit test (simulator internals): sorted paging with opaque tokens, token buckets and the seeded fault PRNG.
import fc from "fast-check";
import { decodePageToken, encodePageToken, SortedIndex } from "../../simulator/state";
import { FaultInjector, seededRandom, TokenBucket } from "../../simulator/traffic";

/** Pages through the whole index the way a client follows NextToken. */
function pageThrough(
  index: SortedIndex<string>,
  pageSize: number,
  between: (page: number) => void = () => {},
) {
  const seen: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = index.page(after, pageSize);
    seen.push(...result.items);
    if (!result.more || result.lastKey === undefined) return seen;
    after = decodePageToken(encodePageToken(result.lastKey));
    between(page);
  }
  throw new Error("paging did not terminate");
}

describe("SortedIndex paging", () => {
  it("returns every key exactly once, in sorted order, for any page size", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 })),
        fc.integer({ min: 1, max: 20 }),
        (keys, size) => {
          const index = new SortedIndex<string>();
          for (const key of keys) index.set(key, key);

          const seen = pageThrough(index, size);

          expect(seen).toEqual([...keys].sort());
        },
      ),
    );
  });

  it("never repeats or skips a surviving key when keys are deleted between pages", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1 }),
        fc.integer({ min: 1, max: 7 }),
        fc.nat(),
        (keys, size, seed) => {
          const index = new SortedIndex<string>();
          for (const key of keys) index.set(key, key);
          const deleted = new Set<string>();
          const random = seededRandom(seed);

          const seen = pageThrough(index, size, () => {
            const victim = keys[Math.floor(random() * keys.length)] as string;
            if (index.delete(victim)) deleted.add(victim);
          });

          const survivors = keys.filter((key) => !deleted.has(key)).sort();
          expect(seen).toEqual([...new Set(seen)].sort());
          expect(seen.filter((key) => !deleted.has(key))).toEqual(survivors);
        },
      ),
    );
  });

  it("applies a filter without counting rejected values towards the page size", () => {
    const index = new SortedIndex<number>();
    for (let i = 0; i < 100; i++) index.set(String(i).padStart(3, "0"), i);

    const page = index.page(undefined, 5, (value) => value % 10 === 0);

    expect(page.items).toEqual([0, 10, 20, 30, 40]);
    expect(page.more).toBe(true);
  });

  it("rejects a token it did not issue", () => {
    expect(decodePageToken("not-a-token")).toBeUndefined();
    expect(decodePageToken(Buffer.from('{"x":1}').toString("base64url"))).toBeUndefined();
  });
});

describe("TokenBucket", () => {
  it("allows the burst, then refills at the configured rate", () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, () => now);

    const burst = [bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()];
    now += 499;
    const tooSoon = bucket.tryTake();
    now += 1;
    const refilled = bucket.tryTake();

    expect(burst).toEqual([true, true, true, false]);
    expect(tooSoon).toBe(false);
    expect(refilled).toBe(true);
  });

  it("refuses a rate limit that could never admit a request", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond must be > 0/);
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});

describe("FaultInjector", () => {
  it("gives the same sequence of faults for the same seed and a different one for another seed", () => {
    const draws = (seed: number) => {
      const injector = new FaultInjector({ seed, throttleRate: 0.25, serverErrorRate: 0.25 });
      return Array.from({ length: 200 }, () => injector.draw() ?? "none");
    };

    expect(draws(3)).toEqual(draws(3));
    expect(draws(3)).not.toEqual(draws(4));
  });

  it("injects at roughly the configured rates", () => {
    const injector = new FaultInjector({ seed: 11, throttleRate: 0.1, serverErrorRate: 0.2 });
    const counts = { throttle: 0, "server-error": 0, none: 0 };

    for (let i = 0; i < 20_000; i++) counts[injector.draw() ?? "none"] += 1;

    expect(counts.throttle / 20_000).toBeCloseTo(0.1, 1);
    expect(counts["server-error"] / 20_000).toBeCloseTo(0.2, 1);
  });

  it("matches operations by bare name or service:Operation", () => {
    const injector = new FaultInjector({ seed: 1, operations: ["CreateRole", "sesv2:GetConfigurationSet"] });

    expect(injector.applies("iam", "CreateRole")).toBe(true);
    expect(injector.applies("sesv2", "GetConfigurationSet")).toBe(true);
    expect(injector.applies("sesv2", "ListConfigurationSets")).toBe(false);
  });

  it("refuses rates outside 0..1", () => {
    expect(() => new FaultInjector({ seed: 1, throttleRate: 1.5 })).toThrow(/between 0 and 1/);
  });
});
