import { describe, expect, it } from 'vitest';
import { BigQueryDedupeStore } from '../../../src/adapters/bigquery/bigquery-dedupe.js';
import { isAppError } from '../../../src/errors.js';
import {
  apiError,
  expectInsertAll,
  expectQuery,
  harness,
  installNockGuards,
  param,
  paramsOf,
  recordedSleeps,
  token,
  type InsertAllBody,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// nock at the REST level: a query job for `seen`, tabledata.insertAll for `mark`.

installNockGuards();

function store() {
  const { warehouse } = harness();
  const { sleep, sleeps } = recordedSleeps();
  return { dedupe: new BigQueryDedupeStore(warehouse, { sleep }), sleeps };
}

describe('BigQueryDedupeStore', () => {
  it('seen: one query with the key as a named parameter', async () => {
    const { dedupe } = store();
    const bodies: InsertBody[] = [];
    expectQuery('job_processed_event_seen_1', bodies, { hit: 'INTEGER' }, [['1']]);
    expectQuery('job_processed_event_seen_2', bodies, { hit: 'INTEGER' }, []);
    expect(await dedupe.seen('pubsub:bqcost-notifications:k1')).toBe(true);
    expect(await dedupe.seen("it's'; DROP TABLE x --")).toBe(false);
    expect(bodies[0]?.configuration.query.query).toContain(
      'SELECT 1 AS hit FROM `acme-analytics`.`bqcost`.processed_events WHERE dedupe_key = @key LIMIT 1',
    );
    expect(paramsOf(bodies[0])).toEqual({ key: param('STRING', 'pubsub:bqcost-notifications:k1') });
    expect(paramsOf(bodies[1])).toEqual({ key: param('STRING', "it's'; DROP TABLE x --") });
  });

  it('mark: one insertAll row with insertId = the key', async () => {
    const { dedupe } = store();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('processed_events', bodies, [
      200,
      { kind: 'bigquery#tableDataInsertAllResponse' },
    ]);
    await dedupe.mark('pubsub:t:k1', 'pubsub', new Date('2026-11-28T10:00:00Z'));
    expect(bodies[0]?.rows).toEqual([
      {
        insertId: 'pubsub:t:k1',
        json: {
          dedupe_key: 'pubsub:t:k1',
          source: 'pubsub',
          processed_at: '2026-11-28T10:00:00.000Z',
        },
      },
    ]);
  });

  it('mark: resends the same row after a 503, gives up retryable after the retries', async () => {
    const { dedupe, sleeps } = store();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('processed_events', bodies, [503, apiError(503, 'backendError', 'try later')]);
    expectInsertAll('processed_events', bodies, [200, {}]);
    await dedupe.mark('k', 'slack_event', new Date('2026-11-28T10:00:00Z'));
    expect(bodies.map((b) => b.rows[0]?.insertId)).toEqual(['k', 'k']);
    expect(sleeps).toEqual([200]);

    for (let i = 0; i < 3; i++)
      expectInsertAll('processed_events', [], [503, apiError(503, 'backendError', 'down')]);
    const error = await dedupe.mark('k', 'pubsub', new Date()).catch((e: unknown) => e);
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'dedupe.write_failed',
      true,
    ]);
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as Error).message)).not.toContain(token);
  });

  it('mark: a rejected row or a 403 is not retried', async () => {
    const { dedupe, sleeps } = store();
    expectInsertAll(
      'processed_events',
      [],
      [
        200,
        { insertErrors: [{ index: 0, errors: [{ reason: 'invalid', message: 'no such field' }] }] },
      ],
    );
    const rejected = await dedupe.mark('k', 'pubsub', new Date()).catch((e: unknown) => e);
    expect(isAppError(rejected) && rejected.retryable).toBe(false);
    expectInsertAll('processed_events', [], [403, apiError(403, 'accessDenied', 'no')]);
    const denied = await dedupe.mark('k', 'pubsub', new Date()).catch((e: unknown) => e);
    expect(isAppError(denied) && [denied.code, denied.retryable]).toEqual([
      'dedupe.write_failed',
      false,
    ]);
    expect(sleeps).toEqual([]);
  });
});
