import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLedger } from '../../../src/adapters/duckdb/duckdb-ledger.js';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { recordAck, type AckInput } from '../../../src/app/record-ack.js';
import { deriveState } from '../../../src/domain/ledger.js';
import { ackEvent } from '../../fixtures/ack-events.js';

// The click path's cache, batching and "known ids" (see DuckDbLedger): the results must be the
// same as reading the table every time, under duplicates, races, failures and restarts.

let warehouse: DuckDbWarehouse;
let ledger: DuckDbLedger;

beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  ledger = await DuckDbLedger.open(await warehouse.connect());
});
afterEach(async () => {
  await warehouse.close();
});

const rowCount = async () =>
  Number((await warehouse.sql('SELECT count(*) AS n FROM recommendation_events'))[0]?.n);

const clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const noSleep = () => Promise.resolve();
const click = (overrides: Partial<AckInput> = {}): AckInput => ({
  recommendationId: 'rec-1',
  action: 'accepted',
  actorSlackId: 'U111',
  actorEmail: null,
  reason: null,
  snoozeUntil: null,
  teamId: 'T1',
  channelId: 'C1',
  messageTs: '1764290000.000100',
  sourceRequestId: 'trigger-1',
  ...overrides,
});

describe('DuckDbLedger cache and batching', () => {
  it('a fresh ledger over existing rows reads them (and dedupes them) from the table', async () => {
    const first = ackEvent({ recommendationId: 'rec-a' });
    const second = ackEvent({
      recommendationId: 'rec-a',
      action: 'reopened',
      version: 1,
      occurredAt: new Date('2026-11-28T11:00:00Z'),
    });
    await ledger.append(first);
    await ledger.append(second);
    await warehouse.sql('INSERT INTO recommendation_events SELECT * FROM recommendation_events');
    expect(await rowCount()).toBe(4);

    const reopened = await DuckDbLedger.open(await warehouse.connect());
    expect(await reopened.eventsFor(['rec-a'])).toEqual([first, second]);
    expect(await reopened.eventsFor(['rec-zzz'])).toEqual([]);
    // A key in the table is answered from the cache now: no second row.
    expect(await reopened.append({ ...first, eventId: 'again' })).toEqual({ recorded: false });
    expect(await rowCount()).toBe(4);
  });

  it('survives a restart of a database file: the ids with events are loaded at open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bqcost-ledger-'));
    try {
      const path = join(dir, 'bqcost.duckdb');
      const before = await DuckDbWarehouse.open(path);
      const event = ackEvent({ recommendationId: 'rec-file' });
      await (await DuckDbLedger.open(await before.connect())).append(event);
      await before.close();

      const after = await DuckDbWarehouse.open(path);
      try {
        const reopened = await DuckDbLedger.open(await after.connect());
        expect(await reopened.eventsFor(['rec-file'])).toEqual([event]);
        const result = await recordAck(
          { ledger: reopened, clock, sleep: noSleep },
          click({ recommendationId: 'rec-file', actorSlackId: event.actorSlackId }),
        );
        expect(result.outcome).toBe('invalid_transition');
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('events appended after a read are seen by the next read, in ledger order', async () => {
    expect(await ledger.eventsFor(['rec-1'])).toEqual([]);
    const late = ackEvent({ occurredAt: new Date('2026-11-28T12:00:00Z') });
    const early = ackEvent({
      actorSlackId: 'U222',
      occurredAt: new Date('2026-11-28T09:00:00Z'),
    });
    await ledger.append(late);
    await ledger.append(early);
    expect(await ledger.eventsFor(['rec-1'])).toEqual([early, late]);
    expect(await ledger.eventsFor(['rec-1', 'rec-1'])).toEqual([early, late]);
  });

  it('reads and appends issued together see a consistent ledger', async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      ackEvent({ recommendationId: `rec-${i % 3}`, actorSlackId: `U${i}` }),
    );
    const outcomes = await Promise.all(
      events.flatMap((e) => [ledger.eventsFor([e.recommendationId]), ledger.append(e)]),
    );
    expect(outcomes.filter((o) => 'recorded' in o && o.recorded)).toHaveLength(30);
    for (let r = 0; r < 3; r++) {
      const fromCache = await ledger.eventsFor([`rec-${r}`]);
      const fresh = await (
        await DuckDbLedger.open(await warehouse.connect())
      ).eventsFor([`rec-${r}`]);
      expect(fromCache).toHaveLength(10);
      expect(fromCache).toEqual(fresh);
    }
  });

  it('a key repeated inside one batch is one row and one `recorded`', async () => {
    const event = ackEvent();
    // The first append starts a statement; the other 49 wait and go as one batch.
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ledger.append({ ...event, eventId: `ev-${i}` })),
    );
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await rowCount()).toBe(1);
  });

  it('50 racing identical clicks through recordAck record one event; distinct clicks all land', async () => {
    const deps = { ledger, clock, sleep: noSleep };
    const same = await Promise.all(Array.from({ length: 50 }, () => recordAck(deps, click())));
    expect(same.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    const distinct = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        recordAck(deps, click({ recommendationId: `rec-d${i}`, actorSlackId: `U${i}` })),
      ),
    );
    expect(distinct.every((r) => r.outcome === 'recorded')).toBe(true);
    expect(await rowCount()).toBe(51);
  });

  it('accept and dismiss racing on one card: both are kept, the earlier one decides', async () => {
    const deps = { ledger, clock, sleep: noSleep };
    await Promise.all([
      recordAck(deps, click({ actorSlackId: 'U1' })),
      recordAck(
        { ...deps, clock: { now: () => new Date('2026-11-28T10:00:01Z') } },
        click({
          actorSlackId: 'U2',
          action: 'dismissed',
          reason: { code: 'not_worth_it', text: null },
        }),
      ),
    ]);
    const events = await ledger.eventsFor(['rec-1']);
    expect(events.map((e) => e.action)).toEqual(['accepted', 'dismissed']);
    expect(deriveState(events, clock.now()).state).toBe('accepted');
  });

  it('a failed append is reported retryable, forgets the cache, and the retry records once', async () => {
    await ledger.eventsFor(['rec-1']);
    await warehouse.sql('ALTER TABLE recommendation_events RENAME TO recommendation_events_away');
    const event = ackEvent();
    await expect(ledger.append(event)).rejects.toMatchObject({
      code: 'ledger.append_failed',
      retryable: true,
    });
    await warehouse.sql('ALTER TABLE recommendation_events_away RENAME TO recommendation_events');
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(await ledger.append(event)).toEqual({ recorded: false });
    expect(await ledger.eventsFor(['rec-1'])).toEqual([event]);
    expect(await rowCount()).toBe(1);
  });

  it('a write that landed but was reported failed is found by the next read', async () => {
    const event = ackEvent();
    await ledger.eventsFor(['rec-1']);
    // Another writer (or a write whose answer was lost) puts the row in behind the cache.
    const other = await DuckDbLedger.open(await warehouse.connect());
    await other.append(event);
    // Our cache says rec-1 has no events; the insert's NOT EXISTS still keeps the key unique.
    expect(await ledger.append({ ...event, eventId: 'retry' })).toEqual({ recorded: false });
    expect(await rowCount()).toBe(1);
  });

  it('a failed read rejects retryable and the next read goes to the table', async () => {
    await ledger.append(ackEvent({ recommendationId: 'rec-r' }));
    const cold = await DuckDbLedger.open(await warehouse.connect());
    await warehouse.sql('ALTER TABLE recommendation_events RENAME TO recommendation_events_away');
    await expect(cold.eventsFor(['rec-r'])).rejects.toMatchObject({
      code: 'ledger.read_failed',
      retryable: true,
    });
    await warehouse.sql('ALTER TABLE recommendation_events_away RENAME TO recommendation_events');
    expect(await cold.eventsFor(['rec-r'])).toHaveLength(1);
  });

  it('keeps at most `cacheSize` recommendations in memory and rereads evicted ones', async () => {
    const small = await DuckDbLedger.open(await warehouse.connect(), { cacheSize: 2 });
    const events = ['a', 'b', 'c'].map((id) => ackEvent({ recommendationId: `rec-${id}` }));
    for (const e of events) await small.append(e);
    for (const e of events) expect(await small.eventsFor([e.recommendationId])).toEqual([e]);
    expect(await small.eventsFor(['rec-a', 'rec-b', 'rec-c'])).toHaveLength(3);
  });
});
