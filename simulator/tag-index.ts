// Simulator layer (state): the Resource Groups Tagging API's index of tags — eventually consistent, behind SES by a lag.

/** One state of a resource's tags as the index learns it; `tags` undefined: the resource was deleted. */
interface TagVersion {
  at: number;
  tags: ReadonlyMap<string, string> | undefined;
}

export interface IndexedResource {
  arn: string;
  tags: ReadonlyMap<string, string>;
}

/**
 * Every change to a configuration set's tags (SES v2 or the tagging API) is recorded with its time; a query at
 * `now` with lag `L` sees, per resource, the newest change made at or before `now - L`. A resource whose first
 * tags are younger than the lag is not listed yet, and a deleted one is listed until its deletion is indexed.
 * Resources never tagged are never listed; ones whose tags were all removed are listed with no tags (AWS:
 * "tagged or previously tagged"). Changes recorded at -Infinity (seeded state) are indexed at once.
 */
export class TagIndex {
  private readonly versions = new Map<string, TagVersion[]>();

  record(arn: string, tags: ReadonlyMap<string, string> | undefined, at: number): void {
    const history = this.versions.get(arn);
    if (history === undefined) {
      // Deleting (or clearing) a resource the index never saw changes nothing.
      if (tags === undefined || tags.size === 0) return;
      this.versions.set(arn, [{ at, tags: new Map(tags) }]);
      return;
    }
    history.push({ at, tags: tags === undefined ? undefined : new Map(tags) });
  }

  /** The resources the index shows at `now` with the given lag, sorted by ARN. */
  visible(now: number, lagMs: number): IndexedResource[] {
    const cutoff = now - lagMs;
    const shown: IndexedResource[] = [];
    for (const [arn, history] of this.versions) {
      let index = history.length - 1;
      while (index >= 0 && history[index]!.at > cutoff) index -= 1;
      if (index < 0) continue;
      // Older versions are never shown again while the clock moves forward (a lag raised later applies from then).
      if (index > 0) history.splice(0, index);
      const tags = history[0]!.tags;
      if (tags === undefined) {
        if (history.length === 1) this.versions.delete(arn);
        continue;
      }
      shown.push({ arn, tags });
    }
    return shown.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  clear(): void {
    this.versions.clear();
  }
}
