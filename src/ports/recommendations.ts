import type { Anomaly, Recommendation, RecommendationKind } from '../domain/analysis.js';

// Where findings live between the analysis worker and Slack. A card's listener looks a
// recommendation up by id: the button value is only a hint, so the listener checks the result
// belongs to the request's team and channel.

export interface StoredRecommendation {
  recommendation: Recommendation;
  teamId: string;
  /** The channel its card was posted to (owner routing). */
  channelId: string;
  /** Slack user ids of the target's owners (owner routing). */
  ownerSlackIds: readonly string[];
  /** First and latest analysis run that found it; absent for entries built by hand in tests. */
  firstFoundAt?: Date;
  foundAt?: Date;
}

export interface RecommendationFilter {
  teamId?: string;
  channelId?: string;
  /** Only recommendations this Slack user owns. */
  ownerSlackId?: string;
  kind?: RecommendationKind;
  /** Found (first) at or after this instant: "new" recommendations. */
  firstFoundSince?: Date;
  /** Default 100. Sorted by monthly savings desc, nulls last, then id. */
  limit?: number;
}

export interface RecommendationStore {
  find(id: string): Promise<StoredRecommendation | null>;
  /** The latest version of each recommendation matching the filter. */
  list(filter: RecommendationFilter): Promise<StoredRecommendation[]>;
  /**
   * Stores one analysis run's findings (append-only; the latest run's row wins). Idempotent per
   * `runId`: saving the same run twice stores it once.
   */
  save(runId: string, foundAt: Date, entries: readonly StoredRecommendation[]): Promise<void>;
}

export interface StoredAnomaly {
  anomaly: Anomaly;
  runId: string;
  foundAt: Date;
}

export interface AnomalyStore {
  find(id: string): Promise<StoredAnomaly | null>;
  /** Idempotent per `runId`, like RecommendationStore.save. */
  save(runId: string, foundAt: Date, anomalies: readonly Anomaly[]): Promise<void>;
}
