import type {
  RecommendationFilter,
  RecommendationStore,
  StoredRecommendation,
} from '../../ports/recommendations.js';

/** Recommendations held in memory (tests, embedded demos): keyed by recommendation id. */
export class MemoryRecommendationStore implements RecommendationStore {
  private readonly byId = new Map<string, StoredRecommendation>();
  private readonly runs = new Set<string>();

  constructor(entries: readonly StoredRecommendation[] = []) {
    for (const entry of entries) this.put(entry);
  }

  put(entry: StoredRecommendation): void {
    this.byId.set(entry.recommendation.id, entry);
  }

  find(id: string): Promise<StoredRecommendation | null> {
    return Promise.resolve(this.byId.get(id) ?? null);
  }

  list(filter: RecommendationFilter): Promise<StoredRecommendation[]> {
    const matches = [...this.byId.values()].filter(
      (e) =>
        (filter.teamId === undefined || e.teamId === filter.teamId) &&
        (filter.channelId === undefined || e.channelId === filter.channelId) &&
        (filter.ownerSlackId === undefined || e.ownerSlackIds.includes(filter.ownerSlackId)) &&
        (filter.kind === undefined || e.recommendation.kind === filter.kind) &&
        (filter.firstFoundSince === undefined ||
          (e.firstFoundAt !== undefined &&
            e.firstFoundAt.getTime() >= filter.firstFoundSince.getTime())),
    );
    matches.sort(
      (a, b) =>
        (b.recommendation.monthlySavingsUsd ?? -Infinity) -
          (a.recommendation.monthlySavingsUsd ?? -Infinity) ||
        (a.recommendation.id < b.recommendation.id ? -1 : 1),
    );
    return Promise.resolve(matches.slice(0, filter.limit ?? 100));
  }

  save(runId: string, foundAt: Date, entries: readonly StoredRecommendation[]): Promise<void> {
    if (this.runs.has(runId)) return Promise.resolve();
    this.runs.add(runId);
    for (const entry of entries) {
      const previous = this.byId.get(entry.recommendation.id);
      this.put({ ...entry, firstFoundAt: previous?.firstFoundAt ?? foundAt, foundAt });
    }
    return Promise.resolve();
  }
}
