import type { RecommendationStore, StoredRecommendation } from '../../ports/recommendations.js';

/** Recommendations held in memory (tests, embedded demos): keyed by recommendation id. */
export class MemoryRecommendationStore implements RecommendationStore {
  private readonly byId = new Map<string, StoredRecommendation>();

  constructor(entries: readonly StoredRecommendation[] = []) {
    for (const entry of entries) this.put(entry);
  }

  put(entry: StoredRecommendation): void {
    this.byId.set(entry.recommendation.id, entry);
  }

  find(id: string): Promise<StoredRecommendation | null> {
    return Promise.resolve(this.byId.get(id) ?? null);
  }
}
