import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BigQueryLedger } from '../../../src/adapters/bigquery/bigquery-ledger.js';
import { ackEvent } from '../../fixtures/ack-events.js';
import {
  apiError,
  expectInsertAll,
  expectQuery,
  harness,
  installNockGuards,
  micros,
  recordedSleeps,
  rejection,
  token,
  type InsertAllBody,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// nock at the REST level: tabledata.insertAll for appends, jobs.insert + getQueryResults for
// reads. A stub auth client hands out a fixed token that every interceptor requires.

installNockGuards();

function ledgerHarness() {
  const { warehouse } = harness();
  const { sleep, sleeps } = recordedSleeps();
  return { ledger: new BigQueryLedger(warehouse, { sleep, random: () => 0.5 }), sleeps };
}

const event = ackEvent({
  action: 'snoozed',
  snoozeUntil: new Date('2026-12-05T00:00:00Z'),
  reason: { code: null, text: 'quarter end' },
  occurredAt: new Date('2026-11-28T10:00:00.250Z'),
});

describe('BigQueryLedger.append', () => {
  it('sends one row with insertId = the idempotency key', async () => {
    const { ledger } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendation_events', bodies, [
      200,
      { kind: 'bigquery#tableDataInsertAllResponse' },
    ]);
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.rows).toEqual([
      {
        insertId: event.idempotencyKey,
        json: {
          event_id: event.eventId,
          recommendation_id: 'rec-1',
          action: 'snoozed',
          actor_slack_id: 'U111',
          actor_email: 'ana@example.com',
          reason_code: null,
          reason_text: 'quarter end',
          snooze_until: '2026-12-05T00:00:00.000Z',
          team_id: 'T1',
          channel_id: 'C1',
          message_ts: '1764290000.000100',
          source_request_id: 'trigger-1',
          idempotency_key: event.idempotencyKey,
          occurred_at: '2026-11-28T10:00:00.250Z',
        },
      },
    ]);
  });

  it('retries 503 and 429 with the same insertId, then succeeds', async () => {
    const { ledger, sleeps } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendation_events', bodies, [
      503,
      apiError(503, 'backendError', 'try later'),
    ]);
    expectInsertAll('recommendation_events', bodies, [
      429,
      apiError(429, 'rateLimitExceeded', 'slow down'),
    ]);
    expectInsertAll('recommendation_events', bodies, [200, {}]);
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(bodies.map((b) => b.rows[0]?.insertId)).toEqual(Array(3).fill(event.idempotencyKey));
    expect(sleeps).toEqual([150, 300]);
  });

  it('gives up after the bounded retries with a retryable AppError', async () => {
    const { ledger } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    for (let i = 0; i < 3; i++)
      expectInsertAll('recommendation_events', bodies, [500, apiError(500, 'internalError', 'x')]);
    const error = await rejection(ledger.append(event));
    expect(error).toMatchObject({ code: 'ledger.internalError', retryable: true });
    expect(error.message).toMatch(/gave up after 2 retries/);
    expect(bodies).toHaveLength(3);
  });

  it('turns insertErrors into an AppError naming the row, without retrying', async () => {
    const { ledger } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendation_events', bodies, [
      200,
      {
        insertErrors: [
          {
            index: 0,
            errors: [{ reason: 'invalid', location: 'snooze_until', message: 'Invalid timestamp' }],
          },
        ],
      },
    ]);
    const error = await rejection(ledger.append(event));
    expect(error.code).toBe('ledger.insert_rejected');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(event.eventId);
    expect(error.message).toContain('recommendation rec-1');
    expect(error.message).toContain('invalid at snooze_until: Invalid timestamp');
    expect(bodies).toHaveLength(1);
  });

  it('resends a row whose insertErrors are transient (same insertId)', async () => {
    const { ledger } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendation_events', bodies, [
      200,
      { insertErrors: [{ index: 0, errors: [{ reason: 'backendError', message: 'oops' }] }] },
    ]);
    expectInsertAll('recommendation_events', bodies, [200, {}]);
    expect(await ledger.append(event)).toEqual({ recorded: true });
    expect(bodies.map((b) => b.rows[0]?.insertId)).toEqual([
      event.idempotencyKey,
      event.idempotencyKey,
    ]);
  });

  it('403: not retried, a user message about the permission, no token in the error', async () => {
    const { ledger } = ledgerHarness();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendation_events', bodies, [
      403,
      apiError(403, 'accessDenied', 'Access Denied: Table'),
    ]);
    const error = await rejection(ledger.append(event));
    expect(error).toMatchObject({ code: 'ledger.accessDenied', retryable: false });
    expect(error.userMessage).toMatch(/dataEditor/);
    expect(JSON.stringify({ ...error, cause: error.cause, message: error.message })).not.toContain(
      token,
    );
    expect(bodies).toHaveLength(1);
  });

  it('rejects an invalid event without a request', async () => {
    const { ledger } = ledgerHarness();
    const error = await rejection(ledger.append({ ...event, idempotencyKey: 'short' }));
    expect(error.code).toBe('ledger.invalid_event');
  });
});

describe('BigQueryLedger.eventsFor', () => {
  it('reads with the deduping SQL and a named ARRAY<STRING> parameter', async () => {
    const { ledger } = ledgerHarness();
    const jobId = 'job_recommendation_events_for_1';
    const sent: InsertBody[] = [];
    const fields = {
      event_id: 'STRING',
      recommendation_id: 'STRING',
      action: 'STRING',
      actor_slack_id: 'STRING',
      actor_email: 'STRING',
      reason_code: 'STRING',
      reason_text: 'STRING',
      snooze_until: 'TIMESTAMP',
      team_id: 'STRING',
      channel_id: 'STRING',
      message_ts: 'STRING',
      source_request_id: 'STRING',
      idempotency_key: 'STRING',
      occurred_at: 'TIMESTAMP',
    };
    expectQuery(jobId, sent, fields, [
      [
        event.eventId,
        'rec-1',
        'snoozed',
        'U111',
        'ana@example.com',
        null,
        'quarter end',
        micros(event.snoozeUntil!.toISOString()),
        'T1',
        'C1',
        '1764290000.000100',
        'trigger-1',
        event.idempotencyKey,
        micros(event.occurredAt.toISOString()),
      ],
    ]);

    expect(await ledger.eventsFor(['rec-1', 'rec-2'])).toEqual([event]);
    const sql = readFileSync(
      new URL('../../../src/adapters/bigquery/recommendation-events-for.sql', import.meta.url),
      'utf8',
    ).replaceAll('{{recommendation_events}}', '`acme-analytics`.`bqcost`.recommendation_events');
    expect(sent[0]!.configuration.query.query).toBe(sql);
    expect(sql).toContain(
      'QUALIFY ROW_NUMBER() OVER (PARTITION BY idempotency_key ORDER BY occurred_at, event_id) = 1',
    );
    expect(sent[0]!.configuration.query.queryParameters).toEqual([
      {
        name: 'recommendation_ids',
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'rec-1' }, { value: 'rec-2' }] },
      },
    ]);
  });

  it('makes no request for no ids', async () => {
    const { ledger } = ledgerHarness();
    expect(await ledger.eventsFor([])).toEqual([]);
  });
});

describe('recommendation_events DDL', () => {
  it('is partitioned by day of occurred_at, clustered by recommendation_id, no keys', () => {
    const ddl = readFileSync(
      new URL('../../../src/adapters/bigquery/recommendation-events.sql', import.meta.url),
      'utf8',
    );
    expect(ddl).toContain('PARTITION BY DATE(occurred_at)');
    expect(ddl).toContain('CLUSTER BY recommendation_id');
    expect(ddl).not.toMatch(/PRIMARY KEY/i);
  });
});
