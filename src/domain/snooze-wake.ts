// When a recommendation deserves a new card. A snoozed card stays quiet until its snooze ends,
// unless its figure grew past the threshold since it was snoozed: then it wakes early. An open
// card is posted again only when its figure moved materially since the previous run. Both need
// a relative AND an absolute move: +50 % of $4 is not news, and neither is +$100 on $90,000.

export interface MoveThreshold {
  /** Relative move, as a fraction of the earlier figure (0.5 = 50 %). */
  ratio: number;
  /** Absolute move in USD per month. */
  usd: number;
}

/** Wake a snoozed card when its monthly saving grew by ≥ 50 % and ≥ $100 since the snooze. */
export const defaultWakeThreshold: MoveThreshold = { ratio: 0.5, usd: 100 };
/** Re-post an open card when its monthly saving moved by ≥ 25 % and ≥ $50 either way. */
export const defaultChangeThreshold: MoveThreshold = { ratio: 0.25, usd: 50 };

export type WakeDecision =
  | { wake: true; reason: string }
  | { wake: false; reason: 'unknown_then' | 'unknown_now' | 'not_grown' };

/**
 * Should a snoozed recommendation wake, given its monthly saving when it was snoozed and now?
 * An unknown figure (null) on either side never wakes a card: growth cannot be shown, and a
 * card woken without a number to show would be noise.
 */
export function shouldWake(
  snoozedUsd: number | null,
  currentUsd: number | null,
  threshold: MoveThreshold = defaultWakeThreshold,
): WakeDecision {
  if (snoozedUsd === null) return { wake: false, reason: 'unknown_then' };
  if (currentUsd === null) return { wake: false, reason: 'unknown_now' };
  const growth = currentUsd - snoozedUsd;
  if (growth < threshold.usd || growth < threshold.ratio * Math.max(0, snoozedUsd)) {
    return { wake: false, reason: 'not_grown' };
  }
  return {
    wake: true,
    reason: `its estimated saving grew from ${usd(snoozedUsd)} to ${usd(currentUsd)} a month since it was snoozed`,
  };
}

/**
 * Did the figure move materially between two runs? Unknown → known is news (a figure to act
 * on); known → unknown is not (nothing new to show); unknown → unknown is no change.
 */
export function materialChange(
  previousUsd: number | null,
  currentUsd: number | null,
  threshold: MoveThreshold = defaultChangeThreshold,
): boolean {
  if (previousUsd === null) return currentUsd !== null;
  if (currentUsd === null) return false;
  const move = Math.abs(currentUsd - previousUsd);
  return move >= threshold.usd && move >= threshold.ratio * Math.abs(previousUsd);
}

function usd(value: number): string {
  return `$${value.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
}
