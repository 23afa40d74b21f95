import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbAlertLog, alertEventsDdl } from '../../../src/adapters/duckdb/duckdb-alerts.js';
import { alertEventsTable } from '../../../src/domain/tables.js';
import { isAppError } from '../../../src/errors.js';
import { alertEvent } from '../../fixtures/alert-events.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 9, minutes));

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let log: DuckDbAlertLog;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  log = await DuckDbAlertLog.open(connection);
});
afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

const rawCount = async () =>
  Number(
    (await connection.runAndReadAll('SELECT count(*)::INTEGER FROM alert_events')).getRows()[0]![0],
  );

describe('DuckDbAlertLog', () => {
  it('creates alert_events with the TableSpec columns, loose like BigQuery', async () => {
    const described = (
      await connection.runAndReadAll('DESCRIBE alert_events')
    ).getRowObjectsJS() as { column_name: string; column_type: string; null: string }[];
    expect(described.map((c) => c.column_name)).toEqual(
      alertEventsTable.columns.map((c) => c.name),
    );
    expect(described.find((c) => c.column_name === 'occurred_at')?.column_type).toBe('TIMESTAMP');
    expect(described.every((c) => c.null === 'YES')).toBe(true);
    expect(alertEventsDdl).not.toMatch(/PRIMARY|UNIQUE|NOT NULL/);
  });

  it('records a step once per idempotency key, also when appends race', async () => {
    const posted = alertEvent('posted', at(0));
    expect(await log.append(posted)).toEqual({ recorded: true });
    expect(await log.append({ ...posted, occurredAt: at(1) })).toEqual({ recorded: false });
    const escalated = alertEvent('escalated', at(30));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        log.append({ ...escalated, messageTs: `1700000600.00020${i}` }),
      ),
    );
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await rawCount()).toBe(2);
  });

  it('records once per key across two logs on two connections of one database', async () => {
    const other = await DuckDbAlertLog.open(await instance.connect());
    let recorded = 0;
    for (let i = 0; i < 20; i++) {
      const event = alertEvent('posted', at(i), { alertId: `anom_${i}` });
      const results = await Promise.all([log, other, log, other].map((l) => l.append(event)));
      recorded += results.filter((r) => r.recorded).length;
    }
    expect(recorded).toBe(20);
    expect(await rawCount()).toBe(20);
  });

  it('reads the events of the given alerts back, oldest first, with every field', async () => {
    await log.append(alertEvent('paged', at(60)));
    await log.append(alertEvent('posted', at(0)));
    await log.append(alertEvent('escalated', at(30)));
    await log.append(alertEvent('posted', at(5), { alertId: 'anom_2' }));
    const events = await log.eventsFor(['anom_1']);
    expect(events).toEqual([
      alertEvent('posted', at(0)),
      alertEvent('escalated', at(30)),
      alertEvent('paged', at(60)),
    ]);
    expect(await log.eventsFor([])).toEqual([]);
    expect((await log.eventsFor(['anom_1', 'anom_2'])).map((e) => e.alertId)).toEqual([
      'anom_1',
      'anom_2',
      'anom_1',
      'anom_1',
    ]);
  });

  it('dedupes rows that share a key (as a best-effort BigQuery insert can leave them)', async () => {
    const posted = alertEvent('posted', at(0));
    await log.append(posted);
    await connection.run(
      `INSERT INTO alert_events SELECT * REPLACE (occurred_at + INTERVAL 1 MINUTE AS occurred_at) FROM alert_events`,
    );
    expect(await rawCount()).toBe(2);
    expect(await log.eventsFor(['anom_1'])).toEqual([posted]);
    expect(await log.openAlertEvents()).toEqual([posted]);
  });

  it('lists only alerts that are neither acknowledged nor resolved as open', async () => {
    for (const [id, steps] of [
      ['open_posted', ['posted']],
      ['open_paged', ['posted', 'escalated', 'paged']],
      ['acked', ['posted', 'acknowledged']],
      ['resolved', ['posted', 'escalated', 'resolved']],
    ] as const) {
      for (const [i, step] of steps.entries()) {
        await log.append(alertEvent(step, at(i * 30), { alertId: id }));
      }
    }
    const open = await log.openAlertEvents();
    expect([...new Set(open.map((e) => e.alertId))].sort()).toEqual(['open_paged', 'open_posted']);
    const unresolved = await log.openAlertEvents({ includeAcknowledged: true });
    expect([...new Set(unresolved.map((e) => e.alertId))].sort()).toEqual([
      'acked',
      'open_paged',
      'open_posted',
    ]);
    expect(open.filter((e) => e.alertId === 'open_paged').map((e) => e.step)).toEqual([
      'posted',
      'escalated',
      'paged',
    ]);
  });

  it('refuses an invalid event without writing it', async () => {
    const error: unknown = await log
      .append(alertEvent('paged', at(0), { pagerdutyDedupKey: null }))
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('alerts.invalid_event');
    expect(await rawCount()).toBe(0);
  });

  it('turns a failed write into a retryable AppError', async () => {
    await connection.run('DROP TABLE alert_events');
    const error: unknown = await log.append(alertEvent('posted', at(0))).catch((e: unknown) => e);
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'alerts.append_failed',
      true,
    ]);
    const read: unknown = await log.openAlertEvents().catch((e: unknown) => e);
    expect(isAppError(read) && [read.code, read.retryable]).toEqual(['alerts.read_failed', true]);
  });

  it('keeps its rows in the database file across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bqcost-alerts-'));
    try {
      const path = join(dir, 'alerts.duckdb');
      const first = await DuckDBInstance.create(path);
      const c1 = await first.connect();
      await (await DuckDbAlertLog.open(c1)).append(alertEvent('posted', at(0)));
      c1.closeSync();
      first.closeSync();
      const second = await DuckDBInstance.create(path);
      const c2 = await second.connect();
      const reopened = await DuckDbAlertLog.open(c2);
      expect(await reopened.openAlertEvents()).toEqual([alertEvent('posted', at(0))]);
      expect(await reopened.append(alertEvent('posted', at(3)))).toEqual({ recorded: false });
      c2.closeSync();
      second.closeSync();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
