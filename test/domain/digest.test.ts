import { describe, expect, it } from 'vitest';
import {
  dayNumber,
  digestChannelSchema,
  digestChannelsFromRouting,
  expectedSpend,
  factUsd,
  knownDays,
  median,
  spendByDay,
  spendDigest,
  topMovers,
  type DigestScope,
  type KnownDays,
} from '../../src/domain/digest.js';
import type { CostFact, FactDimension } from '../../src/domain/facts.js';
import { resolvePricing } from '../../src/domain/pricing.js';

// Prices pinned: $6.25/TiB on demand, ENTERPRISE pay-as-you-go $0.06 per slot-hour.
// 2026-11-27 is a Friday.
const pricing = resolvePricing('us');
const TiB = 2 ** 40;
const D = dayNumber('2026-11-27');
const day = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);
const org: DigestScope = { dimension: 'org' };

/** A fact costing `usd` on demand (bytes = usd / $6.25 TiB). */
function fact(
  dayN: number,
  usd: number,
  dimension: FactDimension = 'total',
  key = '',
  over: Partial<CostFact> = {},
): CostFact {
  return {
    day: day(dayN),
    dimension,
    key,
    reservationId: null,
    edition: null,
    jobs: 1,
    onDemandBytesBilled: (usd / 6.25) * TiB,
    reservationSlotMs: 0,
    onDemandSlotMs: 0,
    ...over,
  };
}

const allKnown: KnownDays = { first: D - 60, last: D };

describe('digest channels', () => {
  it('accepts the org, one dimension’s keys, and label values of one label key', () => {
    for (const scope of [
      { dimension: 'org' },
      { dimension: 'project', keys: ['proj-a', 'proj-b'] },
      { dimension: 'label', keys: ['team:data', 'team:web'] },
    ]) {
      expect(digestChannelSchema.safeParse({ channelId: 'C0123', scope }).success).toBe(true);
    }
  });

  it('rejects labels of different keys (a job would count twice), bad ids and empty scopes', () => {
    const bad = [
      { channelId: 'C0123', scope: { dimension: 'label', keys: ['team:data', 'env:prod'] } },
      { channelId: 'C0123', scope: { dimension: 'label', keys: ['no-colon'] } },
      { channelId: 'C0123', scope: { dimension: 'project', keys: [] } },
      { channelId: 'C0123', scope: { dimension: 'table', keys: ['a.b.c'] } },
      { channelId: '#general', scope: { dimension: 'org' } },
    ];
    for (const input of bad) expect(digestChannelSchema.safeParse(input).success).toBe(false);
  });
});

describe('money per fact and per day', () => {
  it('prices on-demand bytes at list price and reservation slot-hours at the edition rate', () => {
    expect(factUsd(fact(D, 12.5), pricing)).toBeCloseTo(12.5, 9);
    const reserved = fact(D, 0, 'total', '', {
      reservationId: 'admin:US.etl',
      edition: 'ENTERPRISE',
      onDemandBytesBilled: 0,
      reservationSlotMs: 100 * 3.6e6,
    });
    expect(factUsd(reserved, pricing)).toBeCloseTo(6, 9);
  });

  it('sums a scoped channel’s keys of its dimension only', () => {
    const facts = [
      fact(D, 100),
      fact(D, 30, 'project', 'proj-a'),
      fact(D, 20, 'project', 'proj-b'),
      fact(D, 50, 'project', 'proj-c'),
      fact(D, 40, 'user', 'proj-a'),
      fact(D - 1, 7, 'project', 'proj-a'),
    ];
    const spend = spendByDay(facts, { dimension: 'project', keys: ['proj-a', 'proj-b'] }, pricing);
    expect(spend.get(D)).toBeCloseTo(50, 9);
    expect(spend.get(D - 1)).toBeCloseTo(7, 9);
    expect(spendByDay(facts, org, pricing).get(D)).toBeCloseTo(100, 9);
  });

  it('matches a user scope’s emails whatever their case (routing files are hand-written)', () => {
    const facts = [fact(D, 12, 'user', 'ana@example.com'), fact(D, 5, 'user', 'bo@example.com')];
    const spend = spendByDay(facts, { dimension: 'user', keys: ['Ana@Example.com'] }, pricing);
    expect(spend.get(D)).toBeCloseTo(12, 9);
  });

  it('knows whole days: the cut first day is left out, the last job’s day is in', () => {
    expect(
      knownDays({
        firstCreationTime: new Date('2026-10-01T10:00:00Z'),
        lastCreationTime: new Date('2026-11-27T23:50:00Z'),
      }),
    ).toEqual({ first: dayNumber('2026-10-02'), last: D });
    // BigQuery's stored facts: an exclusive, midnight watermark ends the day before it.
    expect(
      knownDays({
        firstCreationTime: new Date('2026-10-01T00:00:00Z'),
        lastCreationTime: new Date('2026-11-28T00:00:00Z'),
      }),
    ).toEqual({ first: dayNumber('2026-10-01'), last: D });
    expect(knownDays({ firstCreationTime: null, lastCreationTime: null })).toBeNull();
  });
});

describe('expectedSpend', () => {
  it('takes the median of the previous 4 same weekdays (a weekly batch is expected)', () => {
    const spend = new Map<number, number>();
    for (let d = D - 28; d < D; d += 1) spend.set(d, 10);
    // Fridays: 200, 220, 180, 900 (one outlier week) → median 210.
    spend.set(D - 7, 200);
    spend.set(D - 14, 220);
    spend.set(D - 21, 180);
    spend.set(D - 28, 900);
    const e = expectedSpend(spend, allKnown, D);
    expect(e).toMatchObject({ method: 'same_weekday_median', sampleDays: 4, usd: 210 });
    expect(e.description).toBe('median of the previous 4 Fridays');
  });

  it('counts a day with history and no facts as $0', () => {
    const spend = new Map<number, number>([
      [D - 7, 100],
      [D - 14, 100],
    ]);
    // D − 21 and D − 28 have no facts but lie in the history: $0 each → median of 0,0,100,100.
    expect(expectedSpend(spend, allKnown, D).usd).toBe(50);
  });

  it('falls back to the median of the previous 14 days with fewer than 3 earlier weekdays', () => {
    const spend = new Map<number, number>();
    for (let back = 1; back <= 14; back += 1) spend.set(D - back, back);
    const e = expectedSpend(spend, { first: D - 14, last: D }, D);
    expect(e).toMatchObject({ method: 'trailing_median', sampleDays: 14, usd: 7.5 });
  });

  it('is unknown, not $0, with under 7 days of history', () => {
    const e = expectedSpend(new Map(), { first: D - 6, last: D }, D);
    expect(e).toMatchObject({ method: 'insufficient_history', usd: null, sampleDays: 6 });
    expect(e.description).toContain('6 day(s) of history');
  });

  it('median of an even and an odd sample', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('topMovers', () => {
  const facts = [
    fact(D, 300, 'project', 'proj-a'),
    fact(D - 7, 100, 'project', 'proj-a'),
    fact(D, 10, 'project', 'proj-b'),
    fact(D - 7, 90, 'project', 'proj-b'),
    fact(D, 55, 'user', 'ana@example.com'),
    fact(D - 7, 50, 'user', 'ana@example.com'),
    fact(D, 42, 'label', 'team:new'),
    fact(D, 5, 'project', 'proj-c'),
    fact(D - 7, 5, 'project', 'proj-c'),
    // Other days and dimensions never count.
    fact(D - 1, 1000, 'project', 'proj-b'),
    fact(D, 999, 'query_pattern', 'h1'),
    fact(D, 999, 'table', 'p.d.t'),
  ];

  it('ranks the day against the same weekday a week earlier by the size of the change', () => {
    const movers = topMovers(facts, org, allKnown, D, pricing, 10)!;
    expect(movers.map((m) => [m.scope, Math.round(m.deltaUsd * 100) / 100])).toEqual([
      ['project:proj-a', 200],
      ['project:proj-b', -80],
      ['label:team:new', 42],
      ['user:ana@example.com', 5],
    ]);
    expect(movers[0]).toMatchObject({ usd: 300, previousUsd: 100 });
    expect(topMovers(facts, org, allKnown, D, pricing, 2)).toHaveLength(2);
  });

  it('keeps a scoped channel to its own keys', () => {
    const movers = topMovers(
      facts,
      { dimension: 'project', keys: ['proj-b', 'proj-c'] },
      allKnown,
      D,
      pricing,
      10,
    )!;
    expect(movers.map((m) => m.scope)).toEqual(['project:proj-b']);
  });

  it('is null when a week earlier has no history', () => {
    expect(topMovers(facts, org, { first: D - 6, last: D }, D, pricing, 10)).toBeNull();
  });
});

describe('spendDigest', () => {
  it('reports the day, the expected value, the delta and a four-week trend of known days', () => {
    const facts: CostFact[] = [];
    for (let d = D - 40; d <= D; d += 1) facts.push(fact(d, d === D ? 130 : 100));
    const out = spendDigest({
      channelId: 'C1',
      scope: org,
      day: D,
      facts,
      days: { first: D - 21, last: D },
      pricing,
      moversLimit: 5,
    });
    expect(out.day).toBe('2026-11-27');
    expect(out.weekday).toBe('Friday');
    expect(out.spend!.usd).toBeCloseTo(130, 9);
    expect(out.spend!.expected).toMatchObject({ method: 'same_weekday_median', sampleDays: 3 });
    expect(out.spend!.expected.usd).toBeCloseTo(100, 9);
    expect(out.spend!.deltaUsd).toBeCloseTo(30, 9);
    // Only the 22 days inside the history, oldest first.
    expect(out.trend).toHaveLength(22);
    expect(out.trend[0]!.day).toBe(day(D - 21));
    expect(out.trend.at(-1)).toMatchObject({ day: '2026-11-27' });
    expect(out.spend!.method).toContain('$6.25/TiB');
  });

  it('leaves the day unknown when the history does not reach it', () => {
    const out = spendDigest({
      channelId: 'C1',
      scope: org,
      day: D,
      facts: [fact(D - 1, 100)],
      days: { first: D - 30, last: D - 1 },
      pricing,
      moversLimit: 5,
    });
    expect(out.spend!.usd).toBeNull();
    expect(out.spend!.deltaUsd).toBeNull();
    expect(out.movers).toBeNull();
    expect(out.trend.at(-1)!.day).toBe(day(D - 1));
  });
});

describe('digestChannelsFromRouting', () => {
  const none = {};
  it('gives the default channel the organisation and each routed channel its own spend', () => {
    const channels = digestChannelsFromRouting({
      defaultChannel: 'C0DEFAULT',
      projects: {
        'proj-b': { channel: 'C0DATA' },
        'proj-a': { channel: 'C0DATA' },
        // The default channel already sees everything.
        'proj-z': { channel: 'C0DEFAULT' },
        // Owners only: no channel of its own.
        'proj-o': {},
      },
      users: {
        'ana@example.com': { channel: 'C0DATA' },
        'bo@example.com': { channel: 'C0PEOPLE' },
      },
      labels: {
        'team:web': { channel: 'C0WEB' },
        'team:mobile': { channel: 'C0WEB' },
        'env:prod': { channel: 'C0WEB' },
      },
      datasets: { 'proj-a.sales': { channel: 'C0SALES' } },
      tables: { 'proj-a.sales.orders': { channel: 'C0SALES' } },
    });
    expect(channels).toEqual([
      { channelId: 'C0DEFAULT', scope: { dimension: 'org' } },
      // Projects win over the users in the same channel (a user's jobs may be elsewhere).
      { channelId: 'C0DATA', scope: { dimension: 'project', keys: ['proj-a', 'proj-b'] } },
      { channelId: 'C0PEOPLE', scope: { dimension: 'user', keys: ['bo@example.com'] } },
      {
        channelId: 'C0SALES',
        scope: { dimension: 'none', reason: expect.stringContaining('datasets or tables') },
      },
      {
        channelId: 'C0WEB',
        scope: { dimension: 'label', keys: ['team:mobile', 'team:web'] },
        note: expect.stringContaining('env:prod'),
      },
    ]);
    for (const c of channels) expect(digestChannelSchema.safeParse(c).success).toBe(true);
    expect(
      digestChannelsFromRouting({
        defaultChannel: 'C0DEFAULT',
        projects: none,
        users: none,
        labels: none,
        datasets: none,
        tables: none,
      }),
    ).toEqual([{ channelId: 'C0DEFAULT', scope: { dimension: 'org' } }]);
  });

  it('a channel without a spend scope gets no spend, trend or movers', () => {
    const out = spendDigest({
      channelId: 'C0SALES',
      scope: { dimension: 'none', reason: 'tables only' },
      day: D,
      facts: [fact(D, 100), fact(D, 100, 'project', 'proj-a')],
      days: allKnown,
      pricing,
      moversLimit: 5,
    });
    expect(out).toMatchObject({ spend: null, trend: [], movers: null, scopeNote: 'tables only' });
  });
});
