import { describe, expect, it } from 'vitest';
import { createPacer, slackRetryAfterSeconds, type PacerClock } from '../../src/app/pacer.js';
import { AppError } from '../../src/errors.js';

/** Virtual time: sleeps resolve in time order when `run` advances the clock. */
class FakeClock implements PacerClock {
  private t = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
    });
  }

  /** Runs until `done` settles, advancing time to each next timer when nothing else can run. */
  async run<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    void done.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return done;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error('deadlock: nothing scheduled and not settled');
      this.t = next.at;
      next.resolve();
    }
  }
}

function rateLimited(retryAfter: number): AppError {
  const cause = Object.assign(new Error('A rate limit was exceeded'), {
    code: 'slack_webapi_rate_limited_error',
    retryAfter,
  });
  return new AppError('slack.rate_limited', `chat.postMessage: rate limited (${retryAfter} s)`, {
    cause,
    retryable: true,
  });
}

describe('createPacer', () => {
  it('delivers a burst of 100 posts to one channel, all, in order, ≥ 1 s apart', async () => {
    const clock = new FakeClock();
    const pacer = createPacer({ clock });
    const sent: { n: number; at: number }[] = [];
    const burst = Array.from({ length: 100 }, (_, n) =>
      pacer.pace('C1', () => {
        sent.push({ n, at: clock.now() });
        return Promise.resolve(`ts-${n}`);
      }),
    );
    const results = await clock.run(Promise.all(burst));
    expect(results).toEqual(Array.from({ length: 100 }, (_, n) => `ts-${n}`));
    expect(sent.map((s) => s.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    for (let i = 1; i < sent.length; i++) {
      expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
    expect(sent[99]!.at).toBe(99_000);
  });

  it('paces channels independently: two channels interleave', async () => {
    const clock = new FakeClock();
    const pacer = createPacer({ clock });
    const sent: string[] = [];
    const posts = [];
    for (let i = 0; i < 3; i++) {
      for (const channel of ['A', 'B']) {
        posts.push(
          pacer.pace(channel, () => {
            sent.push(`${channel}${i}@${clock.now()}`);
            return Promise.resolve();
          }),
        );
      }
    }
    await clock.run(Promise.all(posts));
    expect(sent).toEqual(['A0@0', 'B0@0', 'A1@1000', 'B1@1000', 'A2@2000', 'B2@2000']);
  });

  it('honours a configurable interval', async () => {
    const clock = new FakeClock();
    const pacer = createPacer({ clock, intervalMs: 250 });
    const at: number[] = [];
    await clock.run(
      Promise.all(
        [1, 2, 3].map(() => pacer.pace('C', () => Promise.resolve(at.push(clock.now())))),
      ),
    );
    expect(at).toEqual([0, 250, 500]);
  });

  it('waits out a Retry-After and sends the same post again; the queue behind it waits too', async () => {
    const clock = new FakeClock();
    const limited: [string, number][] = [];
    const pacer = createPacer({ clock, onRateLimited: (c, s) => limited.push([c, s]) });
    const calls: string[] = [];
    let first = true;
    const a = pacer.pace('C', () => {
      calls.push(`a@${clock.now()}`);
      if (first) {
        first = false;
        return Promise.reject(rateLimited(7));
      }
      return Promise.resolve('a');
    });
    const b = pacer.pace('C', () => {
      calls.push(`b@${clock.now()}`);
      return Promise.resolve('b');
    });
    const other = pacer.pace('D', () => {
      calls.push(`d@${clock.now()}`);
      return Promise.resolve('d');
    });
    expect(await clock.run(Promise.all([a, b, other]))).toEqual(['a', 'b', 'd']);
    expect(calls).toEqual(['a@0', 'd@0', 'a@7000', 'b@8000']);
    expect(limited).toEqual([['C', 7]]);
  });

  it('gives up after maxRateLimitRetries 429s in a row, and the channel keeps going', async () => {
    const clock = new FakeClock();
    const pacer = createPacer({ clock, maxRateLimitRetries: 2 });
    let calls = 0;
    const doomed = pacer.pace('C', () => {
      calls++;
      return Promise.reject(rateLimited(1));
    });
    const after = pacer.pace('C', () => Promise.resolve('next'));
    const [failure, next] = await clock.run(Promise.all([doomed.catch((e: unknown) => e), after]));
    expect(calls).toBe(3);
    expect((failure as AppError).code).toBe('slack.rate_limited');
    expect(next).toBe('next');
  });

  it('passes other errors straight through, once, without stopping the queue', async () => {
    const clock = new FakeClock();
    const pacer = createPacer({ clock });
    let calls = 0;
    const failing = pacer.pace('C', () => {
      calls++;
      return Promise.reject(new AppError('slack.platform_error', 'channel_not_found'));
    });
    const ok = pacer.pace('C', () => Promise.resolve(clock.now()));
    const [failure, at] = await clock.run(Promise.all([failing.catch((e: unknown) => e), ok]));
    expect(calls).toBe(1);
    expect((failure as AppError).code).toBe('slack.platform_error');
    expect(at).toBe(1000);
  });

  it('reads Retry-After from the Web API adapter’s rate-limit error', () => {
    expect(slackRetryAfterSeconds(rateLimited(30))).toBe(30);
    expect(slackRetryAfterSeconds(new AppError('slack.rate_limited', 'no cause'))).toBe(1);
    expect(slackRetryAfterSeconds(new AppError('slack.http_error', 'HTTP 500'))).toBeNull();
    expect(slackRetryAfterSeconds(new Error('x'))).toBeNull();
  });
});
