import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { slackPostsTable } from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type { SlackPost, SlackPostKind, SlackPosts } from '../../ports/slack-posts.js';
import { tableDdl } from './table-ddl.js';

// `slack_posts` on DuckDB: the posted ledger. Like processed_events, no constraint on the key;
// records are conditional inserts through one queue, and reads take the earliest row per key.

const recordSql = `INSERT INTO slack_posts (post_key, channel_id, message_ts, kind, posted_at)
SELECT CAST($key AS VARCHAR), CAST($channel AS VARCHAR), CAST($ts AS VARCHAR),
  CAST($kind AS VARCHAR), CAST($at AS TIMESTAMP)
WHERE NOT EXISTS (SELECT 1 FROM slack_posts WHERE post_key = CAST($key AS VARCHAR))`;

const findSql = `SELECT post_key, channel_id, message_ts, kind, posted_at FROM slack_posts
WHERE post_key = CAST($key AS VARCHAR)
ORDER BY posted_at, message_ts
LIMIT 1`;

const kinds: readonly SlackPostKind[] = ['card', 'digest', 'alert'];

export class DuckDbSlackPosts implements SlackPosts {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbSlackPosts> {
    await connection.run(tableDdl(slackPostsTable));
    return new DuckDbSlackPosts(connection);
  }

  async find(postKey: string): Promise<SlackPost | null> {
    let rows: Record<string, unknown>[];
    try {
      const reader = await this.connection.runAndReadAll(findSql, { key: postKey });
      rows = reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      throw new AppError('slack_posts.read_failed', `cannot read slack_posts: ${text(error)}`, {
        cause: error,
        retryable: true,
      });
    }
    const row = rows[0];
    if (!row) return null;
    const kind = kinds.find((k) => k === row.kind);
    if (!kind) throw new AppError('slack_posts.bad_row', `unknown kind ${String(row.kind)}`);
    return {
      postKey: String(row.post_key),
      channelId: String(row.channel_id),
      messageTs: String(row.message_ts),
      kind,
      postedAt: row.posted_at instanceof Date ? row.posted_at : new Date(String(row.posted_at)),
    };
  }

  record(post: SlackPost): Promise<void> {
    const run = this.queue.then(async () => {
      try {
        await this.connection.run(recordSql, {
          key: post.postKey,
          channel: post.channelId,
          ts: post.messageTs,
          kind: post.kind,
          at: timestampValue(BigInt(post.postedAt.getTime()) * 1000n),
        });
      } catch (error) {
        throw new AppError('slack_posts.write_failed', `cannot write slack_posts: ${text(error)}`, {
          cause: error,
          retryable: true,
        });
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
