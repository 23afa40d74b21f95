import type { StoredRecommendation } from './recommendations.js';

// Earlier versions of recommendations (every run stores its own row), for the analysis worker:
// what the previous run said, and what a recommendation said when it was snoozed.

export interface VersionQuery {
  recommendationId: string;
  /** The version current at this instant: the latest row found at or before it. */
  at: Date;
}

export interface StoredVersion extends StoredRecommendation {
  runId: string;
  foundAt: Date;
}

export interface RecommendationHistory {
  /**
   * For each query (one per id), the version current at its instant, leaving out rows of `excludeRunId` (the
   * run asking: a redelivered run must compare against the run before it, not itself). Ids with
   * no such version are absent from the map.
   */
  versionsAt(
    queries: readonly VersionQuery[],
    excludeRunId?: string,
  ): Promise<Map<string, StoredVersion>>;
}
