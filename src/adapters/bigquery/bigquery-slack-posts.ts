import { readFileSync } from 'node:fs';
import { slackPostsTable } from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type { SlackPost, SlackPostKind, SlackPosts } from '../../ports/slack-posts.js';
import { ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';
import { cellTimestamp, unwrap } from './cells.js';
import { insertRow } from './insert-row.js';

// `slack_posts` on BigQuery (created by infra/ from the TableSpec): the posted ledger. Records
// are insertAll rows with insertId = post_key; `find` takes the earliest row of a key, so a
// duplicate row that slipped past insertId dedupe changes nothing.

export interface BigQuerySlackPostsDeps {
  sleep?: (ms: number) => Promise<void>;
  /** Resends of a failed record; default 2. */
  maxRetries?: number;
}

const findSql = readFileSync(new URL('./slack-post-find.sql', import.meta.url), 'utf8');

const kinds: readonly SlackPostKind[] = ['card', 'digest', 'alert'];

export class BigQuerySlackPosts implements SlackPosts {
  readonly table: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    deps: BigQuerySlackPostsDeps = {},
  ) {
    this.table = ownTable(warehouse.settings, slackPostsTable.name);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRetries = deps.maxRetries ?? 2;
  }

  async find(postKey: string): Promise<SlackPost | null> {
    const rows = await this.warehouse.runQuery({
      name: 'slack-post-find',
      sql: findSql.replaceAll('{{slack_posts}}', this.table),
      params: { post_key: postKey },
    });
    const row = rows[0];
    if (!row) return null;
    const kind = kinds.find((k) => k === unwrap(row.kind));
    const postedAt = toDate(row.posted_at);
    if (!kind || postedAt === null) {
      throw new AppError('slack_posts.bad_row', `slack_posts row ${postKey} is invalid`);
    }
    return {
      postKey: String(unwrap(row.post_key)),
      channelId: String(unwrap(row.channel_id)),
      messageTs: String(unwrap(row.message_ts)),
      kind,
      postedAt,
    };
  }

  record(post: SlackPost): Promise<void> {
    return insertRow(this.warehouse, {
      table: slackPostsTable.name,
      insertId: post.postKey,
      json: {
        post_key: post.postKey,
        channel_id: post.channelId,
        message_ts: post.messageTs,
        kind: post.kind,
        posted_at: post.postedAt.toISOString(),
      },
      code: 'slack_posts.write_failed',
      sleep: this.sleep,
      maxRetries: this.maxRetries,
    });
  }
}

/** A TIMESTAMP cell; null when NULL or not a timestamp. */
function toDate(value: unknown): Date | null {
  const date = cellTimestamp(value);
  return date === null || Number.isNaN(date.getTime()) ? null : date;
}
