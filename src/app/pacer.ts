import { isAppError } from '../errors.js';

// Slack allows about one message per second per channel and answers bursts with 429 and a
// Retry-After. The pacer queues posts per channel (FIFO), spaces each channel's posts by the
// interval, lets channels run independently, and on a 429 waits the Retry-After and tries the
// same post again — nothing is dropped, only delayed. After `maxRateLimitRetries` 429s in a row
// the error goes to the caller (a worker rethrows it as retryable; the posted ledger keeps the
// redelivery from posting twice).

export interface PacerClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface PacerOptions {
  /** Minimum gap between the starts of two posts to one channel; default 1000 ms. */
  intervalMs?: number;
  /** 429s waited out per post before giving up; default 3. */
  maxRateLimitRetries?: number;
  clock?: PacerClock;
  /** Seconds to wait when `error` is a rate limit, else null. Default: Slack's (below). */
  retryAfterSeconds?: (error: unknown) => number | null;
  /** Told about every 429 (the composition root logs the `slack_rate_limited` metric). */
  onRateLimited?: (channel: string, retryAfterSeconds: number) => void;
}

export interface Pacer {
  /** Runs `post` when the channel's turn comes; resolves or rejects with its result. */
  pace<T>(channel: string, post: () => Promise<T>): Promise<T>;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The Web API adapter reports a 429 it did not wait out as AppError `slack.rate_limited`, the
 * Slack client's error (with `retryAfter` in seconds) as its cause.
 */
export function slackRetryAfterSeconds(error: unknown): number | null {
  if (!isAppError(error) || error.code !== 'slack.rate_limited') return null;
  const retryAfter = (error.cause as { retryAfter?: unknown } | undefined)?.retryAfter;
  return typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : 1;
}

export function createPacer(options: PacerOptions = {}): Pacer {
  const intervalMs = options.intervalMs ?? 1000;
  const maxRetries = options.maxRateLimitRetries ?? 3;
  const clock = options.clock ?? realClock;
  const retryAfterOf = options.retryAfterSeconds ?? slackRetryAfterSeconds;
  const tails = new Map<string, Promise<void>>();
  /** Earliest start of the channel's next post. */
  const nextAt = new Map<string, number>();

  async function waitTurn(channel: string): Promise<void> {
    const wait = (nextAt.get(channel) ?? 0) - clock.now();
    if (wait > 0) await clock.sleep(wait);
  }

  async function run<T>(channel: string, post: () => Promise<T>): Promise<T> {
    for (let rateLimited = 0; ; rateLimited++) {
      await waitTurn(channel);
      nextAt.set(channel, clock.now() + intervalMs);
      try {
        return await post();
      } catch (error) {
        const seconds = retryAfterOf(error);
        if (seconds === null) throw error;
        options.onRateLimited?.(channel, seconds);
        nextAt.set(channel, Math.max(nextAt.get(channel) ?? 0, clock.now() + seconds * 1000));
        if (rateLimited >= maxRetries) throw error;
      }
    }
  }

  return {
    pace<T>(channel: string, post: () => Promise<T>): Promise<T> {
      const previous = tails.get(channel) ?? Promise.resolve();
      const result = previous.then(() => run(channel, post));
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(channel, tail);
      // Forget idle channels so a long-running process does not keep one entry per channel.
      void tail.then(() => {
        if (tails.get(channel) === tail) tails.delete(channel);
      });
      return result;
    },
  };
}
