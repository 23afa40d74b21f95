import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../../src/adapters/slack/ttl-cache.js';

describe('TtlCache', () => {
  it('reuses an answer until it expires, then loads again', async () => {
    let clock = 0;
    let loads = 0;
    const cache = new TtlCache<string | null>(100, () => clock);
    const load = () => Promise.resolve(++loads === 1 ? null : 'U1');
    await expect(cache.get('k', load)).resolves.toBeNull();
    clock = 99;
    await expect(cache.get('k', load)).resolves.toBeNull();
    clock = 100;
    await expect(cache.get('k', load)).resolves.toBe('U1');
    expect(loads).toBe(2);
  });

  it('forgets a failed load so the next caller tries again', async () => {
    const cache = new TtlCache<string>(1000, () => 0);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(cache.get('k', () => Promise.resolve('ok'))).resolves.toBe('ok');
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = new TtlCache<number>(1000, () => 0, 2);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('c', load);
    await cache.get('b', load);
    expect(loads).toBe(3);
    await expect(cache.get('a', load)).resolves.toBe(4);
  });
});
