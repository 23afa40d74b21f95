import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { BigQuerySlackPosts } from '../../../src/adapters/bigquery/bigquery-slack-posts.js';
import { tableDdl } from '../../../src/adapters/duckdb/table-ddl.js';
import { slackPostsTable } from '../../../src/domain/tables.js';
import { isAppError } from '../../../src/errors.js';
import {
  apiError,
  bq,
  expectInsert,
  expectInsertAll,
  expectQuery,
  expectResults,
  harness,
  installNockGuards,
  micros,
  page,
  param,
  paramsOf,
  recordedSleeps,
  type InsertAllBody,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

installNockGuards();

const fields = {
  post_key: 'STRING',
  channel_id: 'STRING',
  message_ts: 'STRING',
  kind: 'STRING',
  posted_at: 'TIMESTAMP',
};

function posts() {
  const { warehouse } = harness();
  const { sleep, sleeps } = recordedSleeps();
  return { ledger: new BigQuerySlackPosts(warehouse, { sleep }), sleeps };
}

describe('BigQuerySlackPosts', () => {
  it('find: the earliest row of the key, by named parameter; null when there is none', async () => {
    const { ledger } = posts();
    const bodies: InsertBody[] = [];
    const job1 = 'job_slack_post_find_1';
    const job2 = 'job_slack_post_find_2';
    expectQuery(job1, bodies, fields, [
      ['card:run-1:rec-a', 'C0FINOPS', '1764320400.000100', 'card', micros('2026-11-28T08:00:00Z')],
    ]);
    expectQuery(job2, bodies, fields, []);
    expect(await ledger.find('card:run-1:rec-a')).toEqual({
      postKey: 'card:run-1:rec-a',
      channelId: 'C0FINOPS',
      messageTs: '1764320400.000100',
      kind: 'card',
      postedAt: new Date('2026-11-28T08:00:00Z'),
    });
    expect(await ledger.find('card:run-1:rec-b')).toBeNull();
    expect(
      bodies[0]?.configuration.query.query
        .replace(/--.*\n/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ).toBe(
      'SELECT post_key, channel_id, message_ts, kind, posted_at FROM `acme-analytics`.`bqcost`.slack_posts ' +
        'WHERE post_key = @post_key ORDER BY posted_at, message_ts LIMIT 1',
    );
    expect(paramsOf(bodies[0])).toEqual({ post_key: param('STRING', 'card:run-1:rec-a') });
  });

  it('find: a row of an unknown kind is an error, not a post', async () => {
    const { ledger } = posts();
    const scope = bq();
    const job = 'job_slack_post_find_1';
    expectInsert(scope, job, []);
    expectResults(
      scope,
      job,
      page(job, fields, [['k', 'C1', '1.1', 'banner', micros('2026-11-28T08:00:00Z')]]),
    );
    await expect(ledger.find('k')).rejects.toMatchObject({ code: 'slack_posts.bad_row' });
  });

  it('record: insertAll with insertId = post_key; a 503 is resent with the same row', async () => {
    const { ledger, sleeps } = posts();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('slack_posts', bodies, [503, apiError(503, 'backendError', 'later')]);
    expectInsertAll('slack_posts', bodies, [200, {}]);
    await ledger.record({
      postKey: 'digest:C1:2026-11-27',
      channelId: 'C1',
      messageTs: '1764320400.000200',
      kind: 'digest',
      postedAt: new Date('2026-11-28T08:00:01Z'),
    });
    expect(sleeps).toEqual([200]);
    expect(bodies.map((b) => b.rows)).toEqual([
      [
        {
          insertId: 'digest:C1:2026-11-27',
          json: {
            post_key: 'digest:C1:2026-11-27',
            channel_id: 'C1',
            message_ts: '1764320400.000200',
            kind: 'digest',
            posted_at: '2026-11-28T08:00:01.000Z',
          },
        },
      ],
      bodies[0]?.rows,
    ]);
  });

  it('record: a permission error is surfaced, not retried', async () => {
    const { ledger, sleeps } = posts();
    expectInsertAll('slack_posts', [], [403, apiError(403, 'accessDenied', 'no')]);
    const error = await ledger
      .record({
        postKey: 'k',
        channelId: 'C',
        messageTs: '1.1',
        kind: 'card',
        postedAt: new Date(),
      })
      .catch((e: unknown) => e);
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'slack_posts.write_failed',
      false,
    ]);
    expect(sleeps).toEqual([]);
  });
});

describe('slack-post-find.sql on DuckDB (the same text, @param → $param)', () => {
  it('answers the earliest row of the key, with duplicate rows present', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(tableDdl(slackPostsTable));
      await connection.run(`INSERT INTO slack_posts VALUES
        ('k1', 'C1', '1.300', 'card', TIMESTAMP '2026-11-28 08:00:03'),
        ('k1', 'C1', '1.100', 'card', TIMESTAMP '2026-11-28 08:00:01'),
        ('k2', 'C1', '1.200', 'card', TIMESTAMP '2026-11-28 08:00:00')`);
      const sql = readFileSync(
        new URL('../../../src/adapters/bigquery/slack-post-find.sql', import.meta.url),
        'utf8',
      )
        .replaceAll('{{slack_posts}}', 'slack_posts')
        .replaceAll('@post_key', '$post_key');
      const rows = (await connection.runAndReadAll(sql, { post_key: 'k1' })).getRowObjectsJS();
      expect(rows.map((r) => r.message_ts)).toEqual(['1.100']);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
