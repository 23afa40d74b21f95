import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BigQueryAlertLog, bigQueryDdl } from '../../../src/adapters/bigquery/bigquery-alerts.js';
import { alertEventsTable } from '../../../src/domain/tables.js';
import { alertEvent } from '../../fixtures/alert-events.js';
import {
  apiError,
  expectInsertAll,
  expectQuery,
  harness,
  installNockGuards,
  paramsOf,
  recordedSleeps,
  rejection,
  token,
  type InsertAllBody,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// The BigQuery alert log at the REST level: insertAll with insertId = the step key, deduping
// reads through jobs.insert + getQueryResults with the SQL and named parameters we expect.

installNockGuards();

const table = '`acme-analytics`.`bqcost`.alert_events';
const sqlOf = (file: string) =>
  readFileSync(
    new URL(`../../../src/adapters/bigquery/${file}`, import.meta.url),
    'utf8',
  ).replaceAll('{{alert_events}}', table);

function log() {
  const { warehouse } = harness();
  const { sleep, sleeps } = recordedSleeps();
  return { alerts: new BigQueryAlertLog(warehouse, { sleep }), sleeps };
}

const fields = {
  alert_id: 'STRING',
  step: 'STRING',
  channel_id: 'STRING',
  message_ts: 'STRING',
  actor_slack_id: 'STRING',
  pagerduty_dedup_key: 'STRING',
  idempotency_key: 'STRING',
  occurred_at: 'TIMESTAMP',
};
const at = new Date('2026-11-28T09:00:00.250Z');
const posted = alertEvent('posted', at);
const cells = (e: typeof posted) => [
  e.alertId,
  e.step,
  e.channelId,
  e.messageTs,
  e.actorSlackId,
  e.pagerdutyDedupKey,
  e.idempotencyKey,
  String(e.occurredAt.getTime() * 1000),
];

describe('BigQueryAlertLog.append', () => {
  it('sends one row with insertId = the step key', async () => {
    const { alerts } = log();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('alert_events', bodies, [200, {}]);
    expect(await alerts.append(posted)).toEqual({ recorded: true });
    expect(bodies[0]!.rows).toEqual([
      {
        insertId: posted.idempotencyKey,
        json: {
          alert_id: 'anom_1',
          step: 'posted',
          channel_id: 'C0TEAM',
          message_ts: '1700000000.000100',
          actor_slack_id: null,
          pagerduty_dedup_key: null,
          idempotency_key: posted.idempotencyKey,
          occurred_at: '2026-11-28T09:00:00.250Z',
        },
      },
    ]);
  });

  it('resends 503 and 429 with the same insertId, then gives up retryable', async () => {
    const { alerts, sleeps } = log();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('alert_events', bodies, [503, apiError(503, 'backendError', 'later')]);
    expectInsertAll('alert_events', bodies, [429, apiError(429, 'rateLimitExceeded', 'slow down')]);
    expectInsertAll('alert_events', bodies, [500, apiError(500, 'internalError', 'x')]);
    const error = await rejection(alerts.append(posted));
    expect([error.code, error.retryable]).toEqual(['alerts.internalError', true]);
    expect(bodies.map((b) => b.rows[0]!.insertId)).toEqual(Array(3).fill(posted.idempotencyKey));
    expect(sleeps).toEqual([200, 400]);
    expect(JSON.stringify([error.message, error.cause])).not.toContain(token);
  });

  it('does not retry a permanent rejection', async () => {
    const { alerts } = log();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('alert_events', bodies, [
      200,
      { insertErrors: [{ index: 0, errors: [{ reason: 'invalid', message: 'bad step' }] }] },
    ]);
    const error = await rejection(alerts.append(posted));
    expect([error.code, error.retryable]).toEqual(['alerts.insert_rejected', false]);
    expect(bodies).toHaveLength(1);
  });

  it('refuses an invalid row without a request', async () => {
    const { alerts } = log();
    const error = await rejection(alerts.append({ ...posted, messageTs: null }));
    expect(error.code).toBe('alerts.invalid_event');
  });
});

describe('BigQueryAlertLog reads', () => {
  it('eventsFor: the deduping SQL with an ARRAY<STRING> of alert ids', async () => {
    const { alerts } = log();
    const bodies: InsertBody[] = [];
    expectQuery('job_alert_events_for_1', bodies, fields, [cells(posted)]);
    expect(await alerts.eventsFor(['anom_1', 'anom_2'])).toEqual([posted]);
    expect(bodies[0]!.configuration.query.query).toBe(sqlOf('alert-events-for.sql'));
    expect(bodies[0]!.configuration.query.query).toContain(
      'QUALIFY ROW_NUMBER() OVER (PARTITION BY idempotency_key ORDER BY occurred_at) = 1',
    );
    expect(paramsOf(bodies[0])).toEqual({
      alert_ids: {
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'anom_1' }, { value: 'anom_2' }] },
      },
    });
    expect(await alerts.eventsFor([])).toEqual([]);
  });

  it('openAlertEvents: partition-filtered to the open window, closed alerts excluded', async () => {
    const { alerts } = log();
    const bodies: InsertBody[] = [];
    const escalated = alertEvent('escalated', new Date('2026-11-28T09:30:00Z'));
    expectQuery('job_open_alert_events_1', bodies, fields, [cells(posted), cells(escalated)]);
    expect(await alerts.openAlertEvents()).toEqual([posted, escalated]);
    const sql = bodies[0]!.configuration.query.query;
    expect(sql).toBe(sqlOf('open-alert-events.sql'));
    expect(sql).toContain(
      'WHERE occurred_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @open_days DAY)',
    );
    expect(sql).toContain('step IN UNNEST(@closing_steps)');
    expect(paramsOf(bodies[0])).toEqual({
      open_days: { parameterType: { type: 'INT64' }, parameterValue: { value: 7 } },
      closing_steps: {
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'acknowledged' }, { value: 'resolved' }] },
      },
    });
  });
});

describe('alert_events DDL', () => {
  it('follows the TableSpec: columns, REQUIRED as NOT NULL, day partitions, clustering, no keys', () => {
    const ddl = bigQueryDdl(alertEventsTable, table);
    expect(ddl.startsWith(`CREATE TABLE IF NOT EXISTS ${table} (`)).toBe(true);
    for (const c of alertEventsTable.columns) {
      expect(ddl).toContain(`  ${c.name} ${c.type}${c.mode === 'REQUIRED' ? ' NOT NULL' : ''} `);
    }
    expect(ddl).toContain('PARTITION BY DATE(occurred_at)\nCLUSTER BY alert_id');
    expect(ddl).not.toMatch(/PRIMARY KEY|UNIQUE/i);
    expect(bigQueryDdl({ ...alertEventsTable, description: "it's" }, table)).toContain("'it\\'s'");
  });
});
