import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { MemorySlackPosts } from '../../src/adapters/memory/memory-slack-posts.js';
import { createPacer } from '../../src/app/pacer.js';
import {
  digestPostKey,
  ledgeredPostOnce,
  newRecommendationsCutoffHourUtc,
  sendDigest,
  type SendDigestDeps,
} from '../../src/app/send-digest.js';
import type { DigestChannel } from '../../src/domain/digest.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { schedules } from '../../src/domain/topology.js';
import { AppError } from '../../src/errors.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import type { Warehouse } from '../../src/ports/warehouse.js';
import { digestMessage } from '../../handlers/blocks/digest.js';
import { ackEvent } from '../fixtures/ack-events.js';
import { job, tempDir, writeNdjson } from '../fixtures/builders.js';
import { storedRecommendation } from '../fixtures/stored-recommendations.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';

// The digest for Friday 2026-11-27, built at 08:00 the next morning from an embedded warehouse
// with job history from 2026-10-01. Prices pinned: $6.25/TiB on demand, ENTERPRISE
// pay-as-you-go $0.06 per slot-hour.
//
// Per day:          proj-a (ana, team:data)  proj-b (bo, team:web)  proj-c (reservation)  proj-d (carl)
//   weekday            1 TiB  $6.25             2 TiB  $12.50         10 slot-h  $0.60      1 TiB $6.25
//   Friday             4 TiB  $25               2 TiB  $12.50         10 slot-h  $0.60      (halves from
//   D (Fri 11-27)      8 TiB  $50             0.5 TiB  $3.125         10 slot-h  $0.60      11-11: $3.125)
// plus, on D, a SCRIPT parent repeating 100 TiB of its children (must not count).

const TiB = 2 ** 40;
const day = '2026-11-27';
const now = new Date('2026-11-28T08:00:00Z');
const carlChanged = '2026-11-11';
const days: Date[] = [];
for (let t = Date.UTC(2026, 9, 1); t <= Date.UTC(2026, 10, 27); t += 86_400_000)
  days.push(new Date(t));
const iso = (d: Date) => d.toISOString().slice(0, 10);

function history(): Record<string, unknown>[] {
  return days.flatMap((d) => {
    const at = (hour: number) => new Date(d.getTime() + hour * 3_600_000);
    const friday = d.getUTCDay() === 5;
    const isD = iso(d) === day;
    const rows = [
      job({
        createdAt: at(9),
        projectId: 'proj-a',
        userEmail: 'ana@example.com',
        labels: { team: 'data' },
        bytesBilled: (isD ? 8 : friday ? 4 : 1) * TiB,
      }),
      job({
        createdAt: at(10),
        projectId: 'proj-b',
        userEmail: 'bo@example.com',
        labels: { team: 'web' },
        bytesBilled: (isD ? 0.5 : 2) * TiB,
      }),
      job({
        createdAt: at(11),
        projectId: 'proj-c',
        userEmail: 'etl@proj-c.iam.gserviceaccount.com',
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        bytesBilled: 3 * TiB,
        slotMs: 10 * 3.6e6,
      }),
      job({
        createdAt: at(12),
        projectId: 'proj-d',
        userEmail: 'carl@example.com',
        hash: 'h-carl',
        bytesBilled: (iso(d) >= carlChanged ? 0.5 : 1) * TiB,
      }),
    ];
    if (isD)
      rows.push(
        job({
          createdAt: at(13),
          projectId: 'proj-a',
          userEmail: 'ana@example.com',
          statementType: 'SCRIPT',
          bytesBilled: 100 * TiB,
        }),
      );
    return rows;
  });
}

const orgChannel: DigestChannel = { channelId: 'C0FINOPS', scope: { dimension: 'org' } };
const webChannel: DigestChannel = {
  channelId: 'C0WEB',
  scope: { dimension: 'project', keys: ['proj-b'] },
};
const salesChannel: DigestChannel = {
  channelId: 'C0SALES',
  scope: { dimension: 'none', reason: 'routed by tables only' },
};

let warehouse: DuckDbWarehouse;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  warehouse = await DuckDbWarehouse.open(':memory:');
  const path = writeNdjson(join(dir, 'jobs.jsonl'), history());
  await warehouse.importFile({ view: 'jobs', path, name: 'jobs.jsonl' }, { strict: true });
});

afterAll(async () => {
  await warehouse?.close();
  await rm(dir, { recursive: true, force: true });
});

const rec = storedRecommendation;
const at = (isoTime: string) => new Date(isoTime);

function recommendations(): MemoryRecommendationStore {
  const org = { channelId: 'C0FINOPS' };
  return new MemoryRecommendationStore([
    // New: first found by the morning analysis after D, before the digest's 08:00 cut-off.
    rec('r-new', {
      ...org,
      firstFoundAt: at('2026-11-28T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 100, summary: 'Partition <big> & wide table' },
    }),
    // Found after the cut-off: new in tomorrow's digest, open today.
    rec('r-late', {
      ...org,
      firstFoundAt: at('2026-11-28T09:00:00Z'),
      recommendation: { monthlySavingsUsd: 10 },
    }),
    // Old, with an unknown saving: counted apart, never as $0.
    rec('r-unknown', {
      ...org,
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: null, kind: 'sql_antipattern', target: 'h-x' },
    }),
    // New but dismissed already: not listed as new, not open.
    rec('r-new-dismissed', {
      ...org,
      firstFoundAt: at('2026-11-28T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 500 },
    }),
    rec('r-snooze-soon', {
      ...org,
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 40 },
    }),
    rec('r-snooze-later', {
      ...org,
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 60 },
    }),
    // Its snooze ended yesterday: open again.
    rec('r-snooze-ended', {
      ...org,
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 20 },
    }),
    rec('r-accepted', {
      ...org,
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: {
        kind: 'cap_bytes_billed',
        target: 'carl@example.com',
        monthlySavingsUsd: 90,
      },
    }),
    rec('r-too-early', {
      ...org,
      firstFoundAt: at('2026-11-20T05:00:00Z'),
      recommendation: { kind: 'sql_antipattern', target: 'h-carl', monthlySavingsUsd: 15 },
    }),
    // The recommendations-only channel's.
    rec('r-sales', {
      channelId: 'C0SALES',
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 25 },
    }),
    // Another channel's.
    rec('r-web', {
      channelId: 'C0WEB',
      firstFoundAt: at('2026-11-01T05:00:00Z'),
      recommendation: { monthlySavingsUsd: 7 },
    }),
  ]);
}

function ledgerWithEvents(): MemoryLedger {
  const ledger = new MemoryLedger();
  ledger.rows.push(
    ackEvent({
      recommendationId: 'r-new-dismissed',
      action: 'dismissed',
      occurredAt: at('2026-11-28T06:00:00Z'),
    }),
    ackEvent({
      recommendationId: 'r-snooze-soon',
      action: 'snoozed',
      snoozeUntil: at('2026-11-29T00:00:00Z'),
      occurredAt: at('2026-11-22T10:00:00Z'),
    }),
    ackEvent({
      recommendationId: 'r-snooze-later',
      action: 'snoozed',
      snoozeUntil: at('2026-12-20T00:00:00Z'),
      occurredAt: at('2026-11-22T10:00:00Z'),
    }),
    ackEvent({
      recommendationId: 'r-snooze-ended',
      action: 'snoozed',
      snoozeUntil: at('2026-11-27T00:00:00Z'),
      occurredAt: at('2026-11-20T10:00:00Z'),
    }),
    ackEvent({
      recommendationId: 'r-accepted',
      action: 'accepted',
      occurredAt: at('2026-11-10T15:00:00Z'),
    }),
    ackEvent({
      recommendationId: 'r-too-early',
      action: 'accepted',
      occurredAt: at('2026-11-25T15:00:00Z'),
    }),
  );
  return ledger;
}

interface Post {
  channel: string;
  message: ChatMessage;
}

function fakeChat(fail: (channel: string) => Error | null = () => null) {
  const posts: Post[] = [];
  return {
    posts,
    postMessage: async (channel: string, message: ChatMessage) => {
      await Promise.resolve();
      const error = fail(channel);
      if (error) throw error;
      posts.push({ channel, message });
      return { ts: `1764316800.00010${posts.length}` };
    },
  };
}

/** The production PostOnce: the posted ledger (in memory) and the pacer on a virtual clock. */
function ledgered(chat: ReturnType<typeof fakeChat>) {
  const posts = new MemorySlackPosts();
  let ms = now.getTime();
  const pacer = createPacer({
    clock: {
      now: () => ms,
      sleep: async (wait) => {
        ms += wait;
        await Promise.resolve();
      },
    },
  });
  return { posts, postOnce: ledgeredPostOnce({ posts, chat, pacer, clock: { now: () => now } }) };
}

let chat: ReturnType<typeof fakeChat>;
let deps: SendDigestDeps;

beforeEach(() => {
  chat = fakeChat();
  deps = {
    warehouse,
    store: recommendations(),
    ledger: ledgerWithEvents(),
    chat,
    pricing: resolvePricing('us'),
    clock: { now: () => now },
    channels: [orgChannel, webChannel, salesChannel],
    render: digestMessage,
  };
});

const textOf = (message: ChatMessage) =>
  (message.blocks ?? [])
    .map((b) => {
      const block = b as { text?: { text: string }; elements?: { text: string }[] };
      return block.text?.text ?? block.elements?.map((e) => e.text).join(' ') ?? '';
    })
    .join('\n');

describe('sendDigest', () => {
  it('posts one digest per channel with the day’s spend against the same-weekday median', async () => {
    const results = await sendDigest(deps, day);
    expect(results.map((r) => [r.channel, r.ts, r.status])).toEqual([
      ['C0FINOPS', '1764316800.000101', 'posted'],
      ['C0WEB', '1764316800.000102', 'posted'],
      ['C0SALES', '1764316800.000103', 'posted'],
    ]);
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0FINOPS', 'C0WEB', 'C0SALES']);

    const org = results[0]!.digest;
    // D: 50 + 3.125 + 0.60 + 3.125 (the SCRIPT parent left out).
    expect(org.spend!.usd).toBeCloseTo(56.85, 9);
    // Previous Fridays 11-20, 11-13: 25 + 12.5 + 0.6 + 3.125 = 41.225; 11-06, 10-30: carl at
    // $6.25 = 44.35 → median 42.7875.
    expect(org.spend!.expected).toMatchObject({ method: 'same_weekday_median', sampleDays: 4 });
    expect(org.spend!.expected.usd).toBeCloseTo(42.7875, 9);
    expect(org.spend!.deltaUsd).toBeCloseTo(14.0625, 9);
    expect(org.trend).toHaveLength(28);
    expect(org.trend[0]!.day).toBe('2026-10-31');
    expect(org.trend.at(-1)!.usd).toBeCloseTo(56.85, 9);
    // A Tuesday in the trend: 6.25 + 12.5 + 0.6 + 3.125.
    expect(org.trend.find((t) => t.day === '2026-11-24')!.usd).toBeCloseTo(22.475, 9);

    // Movers: D against Friday 11-20, largest change first, ties by name.
    expect(
      org.movers!.map((m) => [m.scope, Math.round(m.deltaUsd * 1000) / 1000, m.previousUsd]),
    ).toEqual([
      ['label:team:data', 25, 25],
      ['project:proj-a', 25, 25],
      ['user:ana@example.com', 25, 25],
      ['label:team:web', -9.375, 12.5],
      ['project:proj-b', -9.375, 12.5],
    ]);

    const web = results[1]!.digest;
    expect(web.spend!.usd).toBeCloseTo(3.125, 9);
    expect(web.spend!.expected.usd).toBeCloseTo(12.5, 9);
    expect(web.movers!.map((m) => m.scope)).toEqual(['project:proj-b']);

    const sales = results[2]!.digest;
    expect(sales.spend).toBeNull();
    expect(textOf(chat.posts[2]!.message)).toContain('not tracked in this channel');
  });

  it('lists new, open, snoozed and accepted recommendations from the store and the ledger', async () => {
    const [org, web] = await sendDigest(deps, day);
    const d = org!.digest;
    expect(d.newRecommendations.items.map((r) => r.id)).toEqual(['r-new']);
    expect(d.newRecommendations).toMatchObject({
      total: 1,
      since: new Date('2026-11-27T08:00:00Z'),
      until: new Date('2026-11-28T08:00:00Z'),
    });
    // Open: r-new 100, r-snooze-ended 20, r-late 10, and r-unknown (counted, not summed).
    expect(d.openSavings).toEqual({
      count: 4,
      knownMonthlyUsd: 130,
      unknownCount: 1,
      truncated: false,
    });
    expect(d.snoozesEnding.items.map((s) => [s.id, s.snoozeUntil.toISOString()])).toEqual([
      ['r-snooze-soon', '2026-11-29T00:00:00.000Z'],
    ]);
    // carl's cost per day halved the day after acceptance: 6.25 → 3.125, × 30 days.
    expect(d.realized.counts).toEqual({ saved: 1, not_saved: 0, too_early: 1, unknown: 0 });
    expect(d.realized.savedMonthlyUsd).toBeCloseTo(93.75, 9);
    expect(d.realized.items.map((r) => [r.id, r.status])).toEqual([
      ['r-accepted', 'saved'],
      ['r-too-early', 'too_early'],
    ]);

    expect(web!.digest.openSavings).toMatchObject({ count: 1, knownMonthlyUsd: 7 });
    expect(web!.digest.realized.items).toEqual([]);

    const text = textOf(chat.posts[0]!.message);
    expect(text).toContain('*Spend on 2026-11-27:* $56.85');
    expect(text).toContain(
      '*Expected:* $42.79 — median of the previous 4 Fridays · +$14.06 (+33%)',
    );
    expect(text).toContain(
      '*Open savings:* $130.00/month across 3 recommendation(s) + 1 recommendation(s) with an unknown saving (not counted as $0)',
    );
    expect(text).toContain('Partition &lt;big&gt; &amp; wide table');
    expect(text).toContain(
      '*Realized savings:* $93.75/month measured (1 saved, 1 too early to tell)',
    );
    expect(chat.posts[0]!.message.text).toBe(
      'bqcost digest for 2026-11-27: $56.85 spent (expected $42.79); 4 open recommendation(s)',
    );
  });

  it('posts each channel once when the same tick is delivered twice', async () => {
    const { posts, postOnce } = ledgered(chat);
    await sendDigest({ ...deps, postOnce }, day);
    const again = await sendDigest({ ...deps, postOnce }, day);
    expect(chat.posts).toHaveLength(3);
    expect(again.map((r) => [r.channel, r.status, r.ts])).toEqual([
      ['C0FINOPS', 'already_posted', '1764316800.000101'],
      ['C0WEB', 'already_posted', '1764316800.000102'],
      ['C0SALES', 'already_posted', '1764316800.000103'],
    ]);
    expect(posts.rows.map((r) => [r.postKey, r.channelId, r.kind, r.messageTs])).toEqual([
      [digestPostKey('C0FINOPS', day), 'C0FINOPS', 'digest', '1764316800.000101'],
      ['digest:v1:C0WEB:2026-11-27', 'C0WEB', 'digest', '1764316800.000102'],
      ['digest:v1:C0SALES:2026-11-27', 'C0SALES', 'digest', '1764316800.000103'],
    ]);
    // Another day is another digest.
    await sendDigest({ ...deps, postOnce }, '2026-11-26');
    expect(chat.posts).toHaveLength(6);
  });

  it('posts the other channels when one fails, then throws retryable; the redelivery posts only the missing one', async () => {
    let down = true;
    chat = fakeChat((channel) =>
      down && channel === 'C0WEB'
        ? new AppError('slack.http_error', 'chat.postMessage: HTTP 503', { retryable: true })
        : null,
    );
    const { postOnce } = ledgered(chat);
    const error = await sendDigest({ ...deps, chat, postOnce }, day).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'digest.post_failed', retryable: true });
    expect((error as AppError).message).toContain('C0WEB: slack.http_error');
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0FINOPS', 'C0SALES']);

    down = false;
    const results = await sendDigest({ ...deps, chat, postOnce }, day);
    expect(results.map((r) => [r.channel, r.status])).toEqual([
      ['C0FINOPS', 'already_posted'],
      ['C0WEB', 'posted'],
      ['C0SALES', 'already_posted'],
    ]);
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0FINOPS', 'C0SALES', 'C0WEB']);
  });

  it('a store failure for one channel does not stop the others', async () => {
    const store = recommendations();
    const list = store.list.bind(store);
    store.list = (filter) =>
      filter.channelId === 'C0WEB'
        ? Promise.reject(new AppError('store.unavailable', 'store down', { retryable: true }))
        : list(filter);
    await expect(sendDigest({ ...deps, store }, day)).rejects.toMatchObject({
      code: 'digest.post_failed',
      retryable: true,
    });
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0FINOPS', 'C0SALES']);
  });

  it('measures realized savings once for all channels', async () => {
    const store = recommendations();
    store.put(
      rec('r-web-accepted', {
        channelId: 'C0WEB',
        firstFoundAt: at('2026-11-01T05:00:00Z'),
        recommendation: { kind: 'pricing_model', target: 'proj-b', monthlySavingsUsd: 50 },
      }),
    );
    const ledger = ledgerWithEvents();
    ledger.rows.push(
      ackEvent({
        recommendationId: 'r-web-accepted',
        action: 'accepted',
        occurredAt: at('2026-11-10T15:00:00Z'),
      }),
    );
    let fullReads = 0;
    const spy: Warehouse = Object.create(warehouse) as Warehouse;
    spy.costFacts = (window) => {
      fullReads += 1;
      return warehouse.costFacts(window);
    };
    const [org, web] = await sendDigest({ ...deps, store, ledger, warehouse: spy }, day);
    expect(fullReads).toBe(1);
    expect(org!.digest.realized.counts).toEqual({
      saved: 1,
      not_saved: 0,
      too_early: 1,
      unknown: 0,
    });
    // proj-b cost the same $12.50 a day before and after (D itself is outside the after-window).
    expect(web!.digest.realized.items).toEqual([
      {
        id: 'r-web-accepted',
        kind: 'pricing_model',
        target: 'proj-b',
        status: 'not_saved',
        realizedMonthlyUsd: 0,
        estimatedMonthlySavingsUsd: 50,
      },
    ]);
  });

  it('a permanent failure (bot not in the channel) is not retryable', async () => {
    chat = fakeChat((channel) =>
      channel === 'C0SALES'
        ? new AppError('slack.platform_error', 'chat.postMessage: not_in_channel')
        : null,
    );
    await expect(sendDigest({ ...deps, chat }, day)).rejects.toMatchObject({
      code: 'digest.post_failed',
      retryable: false,
    });
    expect(chat.posts).toHaveLength(2);
  });

  it('a warehouse failure posts nothing and surfaces as it came', async () => {
    const failing: Warehouse = Object.create(warehouse) as Warehouse;
    failing.costFactsFor = () =>
      Promise.reject(new AppError('warehouse.backendError', 'BigQuery down', { retryable: true }));
    await expect(sendDigest({ ...deps, warehouse: failing }, day)).rejects.toMatchObject({
      code: 'warehouse.backendError',
      retryable: true,
    });
    expect(chat.posts).toEqual([]);
  });

  it('reads one window of facts for all channels: four weeks back through the day', async () => {
    const reads: { start: string; end: string; dimensions: readonly string[] }[] = [];
    const spy: Warehouse = Object.create(warehouse) as Warehouse;
    spy.costFactsFor = (window, dimensions) => {
      reads.push({
        start: window.start.toISOString(),
        end: window.end.toISOString(),
        dimensions,
      });
      return warehouse.costFactsFor(window, dimensions);
    };
    await sendDigest({ ...deps, warehouse: spy, channels: [orgChannel, webChannel] }, day);
    expect(reads).toEqual([
      {
        start: '2026-10-30T00:00:00.000Z',
        end: '2026-11-28T00:00:00.000Z',
        dimensions: ['total', 'project', 'user', 'label'],
      },
    ]);
  });

  it('says unknown, not $0, for a day the history does not reach', async () => {
    const [org] = await sendDigest({ ...deps, channels: [orgChannel] }, '2026-11-28');
    expect(org!.digest.spend!.usd).toBeNull();
    expect(textOf(chat.posts[0]!.message)).toContain('*Spend on 2026-11-28:* unknown');
  });

  it('posts nothing to a recommendations-only channel with nothing to report', async () => {
    const quiet: DigestChannel = {
      channelId: 'C0QUIET',
      scope: { dimension: 'none', reason: 'tables only' },
    };
    const results = await sendDigest({ ...deps, channels: [quiet, webChannel] }, day);
    expect(results.map((r) => [r.channel, r.status, r.ts])).toEqual([
      ['C0QUIET', 'nothing_to_report', null],
      ['C0WEB', 'posted', '1764316800.000101'],
    ]);
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0WEB']);
  });

  it('rejects a day that is not YYYY-MM-DD', async () => {
    await expect(sendDigest(deps, '2026-13-45')).rejects.toMatchObject({ code: 'digest.bad_day' });
    await expect(sendDigest(deps, 'yesterday')).rejects.toMatchObject({ code: 'digest.bad_day' });
    expect(chat.posts).toEqual([]);
  });

  it('cuts new recommendations at the hour the daily-digest schedule fires', () => {
    const cron = schedules.find((s) => s.name === 'daily-digest')!.cron;
    expect(cron).toBe(`0 ${newRecommendationsCutoffHourUtc} * * *`);
  });
});
