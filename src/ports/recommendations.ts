import type { Recommendation } from '../domain/analysis.js';

// Where a recommendation card's listener looks a recommendation up by id: the button value is
// only a hint, so the listener checks the result belongs to the request's team and channel.

export interface StoredRecommendation {
  recommendation: Recommendation;
  teamId: string;
  /** The channel its card was posted to. */
  channelId: string;
  /** Slack user ids of the target's owners (owner routing). */
  ownerSlackIds: readonly string[];
}

export interface RecommendationStore {
  find(id: string): Promise<StoredRecommendation | null>;
}
