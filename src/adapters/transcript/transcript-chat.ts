import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Chat, ChatMessage, ResponseUrlMessage } from '../../ports/chat.js';
import { renderBlocks } from './render-blocks.js';

// The local stand-in for Slack's Web API when no Slack credentials are configured: every call is
// written to the terminal as readable text and appended to a JSON-lines transcript holding the
// exact Block Kit JSON (paste a message's blocks into Block Kit Builder to see it as Slack would).

export interface TranscriptEntry {
  at: string;
  method: string;
  channel?: string;
  user?: string;
  ts?: string;
  text: string;
  blocks?: readonly Record<string, unknown>[];
}

export interface TranscriptChatOptions {
  /** JSON-lines file; created with its directory. */
  file: string;
  /** Readable output; default: nowhere. */
  write?: (text: string) => void;
  /** Slack user id → email, for `userEmail` / `lookupUserByEmail` (a local directory). */
  users?: Readonly<Record<string, string>>;
  /** User group id → member ids. */
  userGroups?: Readonly<Record<string, readonly string[]>>;
  now?: () => Date;
}

export class TranscriptChat implements Chat {
  readonly entries: TranscriptEntry[] = [];
  private sequence = 0;
  private readonly write: (text: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: TranscriptChatOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.write = options.write ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
  }

  postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }> {
    const ts = this.nextTs();
    this.record({ method: 'chat.postMessage', channel, ts, ...message }, `#${channel}`);
    return Promise.resolve({ ts });
  }

  postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    this.record(
      { method: 'chat.postEphemeral', channel, user, ...message },
      `#${channel} (only @${user} sees this)`,
    );
    return Promise.resolve();
  }

  update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    this.record({ method: 'chat.update', channel, ts, ...message }, `#${channel} (updated ${ts})`);
    return Promise.resolve();
  }

  respond(_responseUrl: string, message: ResponseUrlMessage): Promise<void> {
    // The URL is a secret and meaningless locally: not recorded.
    this.record({ method: 'response_url', ...message }, 'reply');
    return Promise.resolve();
  }

  openView(_triggerId: string, view: Record<string, unknown>): Promise<void> {
    const blocks = Array.isArray(view.blocks) ? (view.blocks as Record<string, unknown>[]) : [];
    this.record({ method: 'views.open', text: 'modal', blocks }, 'modal');
    return Promise.resolve();
  }

  userEmail(userId: string): Promise<string | null> {
    return Promise.resolve(this.options.users?.[userId] ?? null);
  }

  lookupUserByEmail(email: string): Promise<string | null> {
    const wanted = email.toLowerCase();
    const match = Object.entries(this.options.users ?? {}).find(
      ([, e]) => e.toLowerCase() === wanted,
    );
    return Promise.resolve(match ? match[0] : null);
  }

  userGroupMembers(groupId: string): Promise<readonly string[]> {
    return Promise.resolve(this.options.userGroups?.[groupId] ?? []);
  }

  publishHomeView(userId: string, view: Record<string, unknown>): Promise<void> {
    const blocks = Array.isArray(view.blocks) ? (view.blocks as Record<string, unknown>[]) : [];
    this.record(
      { method: 'views.publish', user: userId, text: 'App Home', blocks },
      `App Home of @${userId}`,
    );
    return Promise.resolve();
  }

  /** A non-Slack event worth seeing in the transcript (the local pager's pages). */
  note(method: string, where: string, text: string): void {
    this.record({ method, text }, where);
  }

  private nextTs(): string {
    this.sequence += 1;
    const seconds = Math.floor(this.now().getTime() / 1000);
    return `${seconds}.${String(this.sequence).padStart(6, '0')}`;
  }

  private record(entry: Omit<TranscriptEntry, 'at'>, where: string): void {
    const full: TranscriptEntry = { at: this.now().toISOString(), ...entry };
    this.entries.push(full);
    appendFileSync(this.options.file, `${JSON.stringify(full)}\n`);
    const body = renderBlocks(entry.blocks, entry.text)
      .split('\n')
      .map((line) => `  │ ${line}`)
      .join('\n');
    this.write(`\n┌ ${where} · ${entry.method}\n${body}\n└\n`);
  }
}
