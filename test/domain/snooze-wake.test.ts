import { describe, expect, it } from 'vitest';
import {
  defaultChangeThreshold,
  defaultWakeThreshold,
  materialChange,
  shouldWake,
} from '../../src/domain/snooze-wake.js';

describe('shouldWake (default +50 % and +$100)', () => {
  it.each([
    // snoozed, now, wake?, reason
    [200, 300, true, null],
    [200, 299.99, false, 'not_grown'],
    [1000, 1499, false, 'not_grown'],
    [1000, 1500, true, null],
    [10, 150, true, null],
    [10, 109, false, 'not_grown'], // +990 % but only +$99
    [100_000, 100_500, false, 'not_grown'], // +$500 but +0.5 %
    [500, 400, false, 'not_grown'],
    [0, 100, true, null],
    [0, 99, false, 'not_grown'],
    [null, 5000, false, 'unknown_then'],
    [300, null, false, 'unknown_now'],
    [null, null, false, 'unknown_then'],
  ] as const)('snoozed at %s, now %s → wake %s', (then, now, wake, reason) => {
    const decision = shouldWake(then, now);
    expect(decision.wake).toBe(wake);
    if (reason !== null) expect(decision.reason).toBe(reason);
  });

  it('says why, with both figures', () => {
    expect(shouldWake(200, 1234.4)).toEqual({
      wake: true,
      reason: 'its estimated saving grew from $200 to $1,234 a month since it was snoozed',
    });
  });

  it('takes a configured threshold', () => {
    expect(shouldWake(100, 120, { ratio: 0.1, usd: 10 }).wake).toBe(true);
    expect(shouldWake(100, 120, defaultWakeThreshold).wake).toBe(false);
  });
});

describe('materialChange (default ±25 % and ±$50)', () => {
  it.each([
    [200, 250, true],
    [200, 249, false],
    [200, 150, true],
    [200, 151, false],
    [1000, 1200, false], // +$200 but +20 %
    [40, 80, false], // +100 % but +$40
    [null, 10, true],
    [10, null, false],
    [null, null, false],
  ] as const)('%s → %s: changed %s', (previous, current, changed) => {
    expect(materialChange(previous, current)).toBe(changed);
  });

  it('takes a configured threshold', () => {
    expect(materialChange(100, 105, { ratio: 0.01, usd: 1 })).toBe(true);
    expect(materialChange(100, 105, defaultChangeThreshold)).toBe(false);
  });
});
