import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLedger } from '../../../src/adapters/duckdb/duckdb-ledger.js';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { ackEvent } from '../../fixtures/ack-events.js';

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

describe('DuckDbLedger', () => {
  it('round-trips every field through the shared database', async () => {
    const event = ackEvent({
      action: 'dismissed',
      reason: { code: 'done_elsewhere', text: "fixed in dbt — it's <gone>" },
      actorEmail: null,
      channelId: null,
      messageTs: null,
      occurredAt: new Date('2026-11-28T10:00:00.123Z'),
    });
    const snooze = ackEvent({
      action: 'snoozed',
      recommendationId: 'rec-2',
      snoozeUntil: new Date('2026-12-05T00:00:00Z'),
      reason: { code: null, text: 'quarter end' },
    });
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(await ledger.append(snooze)).toEqual({ recorded: true });
    expect(await ledger.eventsFor(['rec-1'])).toEqual([event]);
    expect(await ledger.eventsFor(['rec-2', 'rec-1', 'rec-9'])).toHaveLength(2);
    expect(await ledger.eventsFor(['rec-2'])).toEqual([snooze]);
    expect(await ledger.eventsFor([])).toEqual([]);
  });

  it('records a key once: the second append says so', async () => {
    const event = ackEvent();
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(await ledger.append({ ...event, eventId: 'retry' })).toEqual({ recorded: false });
    expect(await rowCount()).toBe(1);
  });

  it('20 concurrent appends of one key → one row, one `recorded`', async () => {
    const event = ackEvent();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ledger.append({ ...event, eventId: `ev-${i}` })),
    );
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await rowCount()).toBe(1);
  });

  it('20 concurrent appends of distinct keys → 20 rows', async () => {
    const events = Array.from({ length: 20 }, (_, i) => ackEvent({ actorSlackId: `U${i}` }));
    const results = await Promise.all(events.map((e) => ledger.append(e)));
    expect(results.every((r) => r.recorded)).toBe(true);
    expect(await rowCount()).toBe(20);
    expect(await ledger.eventsFor(['rec-1'])).toHaveLength(20);
  });

  it('readers count a duplicate row that got in some other way once', async () => {
    const event = ackEvent();
    await ledger.append(event);
    await warehouse.sql('INSERT INTO recommendation_events SELECT * FROM recommendation_events');
    expect(await rowCount()).toBe(2);
    expect(await ledger.eventsFor(['rec-1'])).toHaveLength(1);
  });

  it('has no key constraint (BigQuery has none either)', async () => {
    const rows = await warehouse.sql(
      `SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'recommendation_events'`,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('rejects an invalid event before writing', async () => {
    await expect(ledger.append(ackEvent({ idempotencyKey: 'nope' }))).rejects.toMatchObject({
      code: 'ledger.invalid_event',
    });
    expect(await rowCount()).toBe(0);
  });
});

describe('recommendation_events schema parity', () => {
  it('has the same columns in DuckDB as in the BigQuery DDL, none NOT NULL-enforced here', async () => {
    const ddl = readFileSync(
      new URL('../../../src/adapters/bigquery/recommendation-events.sql', import.meta.url),
      'utf8',
    );
    const bigQueryColumns = [...ddl.matchAll(/^\s+([a-z_]+) (STRING|TIMESTAMP)/gm)].map(
      (m) => m[1],
    );
    const rows = await warehouse.sql(
      `SELECT column_name FROM duckdb_columns() WHERE table_name = 'recommendation_events' ORDER BY column_index`,
    );
    expect(rows.map((r) => r.column_name)).toEqual(bigQueryColumns);
    expect(bigQueryColumns).toHaveLength(14);
  });
});
