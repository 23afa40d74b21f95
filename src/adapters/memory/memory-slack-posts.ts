import type { SlackPost, SlackPosts } from '../../ports/slack-posts.js';

/** The posted ledger in memory (tests, the in-process bus without a database). */
export class MemorySlackPosts implements SlackPosts {
  readonly rows: SlackPost[] = [];

  find(postKey: string): Promise<SlackPost | null> {
    return Promise.resolve(this.rows.find((r) => r.postKey === postKey) ?? null);
  }

  record(post: SlackPost): Promise<void> {
    if (!this.rows.some((r) => r.postKey === post.postKey)) this.rows.push({ ...post });
    return Promise.resolve();
  }
}
