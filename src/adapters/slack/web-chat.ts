import {
  ErrorCode,
  WebClient,
  type ChatPostMessageArguments,
  type RetryOptions,
} from '@slack/web-api';
import { AppError } from '../../errors.js';
import type { Chat, ChatMessage, ResponseUrlMessage } from '../../ports/chat.js';
import { TtlCache } from './ttl-cache.js';

// The Web API client retries for ~30 minutes by default, also on non-429 errors; inside a request
// or a worker that means timeouts and duplicate posts (chat.postMessage has no idempotency key).
// So: a few quick retries for transport errors and 5xx, and 429s handled here, honouring
// Retry-After only up to a cap — beyond it the call fails as retryable for the caller to decide.
export const boundedRetryConfig: RetryOptions = {
  retries: 2,
  factor: 2,
  minTimeout: 200,
  maxTimeout: 1000,
  maxRetryTime: 5000,
};

export interface SlackWebChatOptions {
  retryConfig?: RetryOptions;
  /** Longest Retry-After (seconds) worth waiting for; default 5. */
  maxRetryAfterSeconds?: number;
  /** How many 429s in a row are waited out; default 1. */
  rateLimitRetries?: number;
  /** Per HTTP request, ms; default 10 000. */
  timeoutMs?: number;
  slackApiUrl?: string;
  sleep?: (ms: number) => Promise<void>;
  /** How long a user's email (users.info) is reused, ms; default 5 minutes. */
  userEmailTtlMs?: number;
  /** How long email → user id and user group members are reused, ms; default 15 minutes. */
  directoryTtlMs?: number;
  /** Epoch ms; a test clock for the caches. */
  now?: () => number;
}

export const responseUrlPrefix = 'https://hooks.slack.com/';

export function isAllowedResponseUrl(url: string): boolean {
  if (!url.startsWith(responseUrlPrefix)) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com' && !parsed.port;
  } catch {
    return false;
  }
}

export class SlackWebChat implements Chat {
  private readonly client: WebClient;
  private readonly maxRetryAfterSeconds: number;
  private readonly rateLimitRetries: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly emails: TtlCache<string | null>;
  private readonly userIds: TtlCache<string | null>;
  private readonly groups: TtlCache<readonly string[]>;

  constructor(token: string, options: SlackWebChatOptions = {}) {
    if (!token) throw new AppError('config.missing', 'SLACK_BOT_TOKEN is missing or empty');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.client = new WebClient(token, {
      retryConfig: options.retryConfig ?? boundedRetryConfig,
      rejectRateLimitedCalls: true,
      timeout: this.timeoutMs,
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    });
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 5;
    this.rateLimitRetries = options.rateLimitRetries ?? 1;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const now = options.now ?? Date.now;
    this.emails = new TtlCache(options.userEmailTtlMs ?? 5 * 60_000, now);
    const directoryTtlMs = options.directoryTtlMs ?? 15 * 60_000;
    this.userIds = new TtlCache(directoryTtlMs, now);
    this.groups = new TtlCache(directoryTtlMs, now);
  }

  async postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }> {
    const result = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({ channel, ...payload(message) } as ChatPostMessageArguments),
    );
    return { ts: result.ts ?? '' };
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({ channel, user, ...payload(message) } as never),
    );
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    await this.call('chat.update', () =>
      this.client.chat.update({ channel, ts, ...payload(message) } as never),
    );
  }

  async openView(triggerId: string, view: Record<string, unknown>): Promise<void> {
    await this.call('views.open', () =>
      this.client.views.open({ trigger_id: triggerId, view } as never),
    );
  }

  async publishHomeView(userId: string, view: Record<string, unknown>): Promise<void> {
    await this.call('views.publish', () =>
      this.client.views.publish({ user_id: userId, view } as never),
    );
  }

  // Directory answers are cached for a while (see TtlCache): a click or an App Home visit must
  // not wait on Slack for what it asked a minute ago; a failure is not cached.
  userEmail(userId: string): Promise<string | null> {
    return this.emails.get(userId, async () => {
      const result = await this.call('users.info', () => this.client.users.info({ user: userId }));
      const email = result.user?.profile?.email;
      return typeof email === 'string' && email !== '' ? email : null;
    });
  }

  /** users_not_found is an answer (null, cached like any other); every other error surfaces. */
  lookupUserByEmail(email: string): Promise<string | null> {
    const key = email.trim().toLowerCase();
    return this.userIds.get(key, async () => {
      const result = await this.call('users.lookupByEmail', () =>
        this.client.users.lookupByEmail({ email: key }).catch((error: unknown) => {
          if (platformErrorOf(error) === 'users_not_found') return null;
          throw error;
        }),
      );
      const id = result?.user?.id;
      return typeof id === 'string' && id !== '' ? id : null;
    });
  }

  userGroupMembers(groupId: string): Promise<readonly string[]> {
    return this.groups.get(groupId, async () => {
      const result = await this.call('usergroups.users.list', () =>
        this.client.usergroups.users.list({ usergroup: groupId }),
      );
      return (result.users ?? []).filter((u): u is string => typeof u === 'string');
    });
  }

  async respond(responseUrl: string, message: ResponseUrlMessage): Promise<void> {
    if (!isAllowedResponseUrl(responseUrl)) {
      // The URL itself is a secret (it can post for a while): never in the message.
      throw new AppError('slack.response_url_refused', 'response_url is not on hooks.slack.com', {
        userMessage: 'Sorry, that reply could not be delivered.',
      });
    }
    let response: Response;
    try {
      response = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          ...payload(message),
          response_type: message.responseType ?? 'ephemeral',
          replace_original: message.replaceOriginal ?? false,
        }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new AppError('slack.request_failed', 'response_url request failed', {
        cause: error,
        retryable: true,
        userMessage: slackDown,
      });
    }
    if (!response.ok) {
      throw new AppError('slack.http_error', `response_url answered HTTP ${response.status}`, {
        retryable: response.status === 429 || response.status >= 500,
        userMessage: slackDown,
      });
    }
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const retryAfter = rateLimitedFor(error);
        if (
          retryAfter !== null &&
          attempt < this.rateLimitRetries &&
          retryAfter <= this.maxRetryAfterSeconds
        ) {
          await this.sleep(retryAfter * 1000);
          continue;
        }
        throw toAppError(method, error);
      }
    }
  }
}

const slackDown = 'Slack did not accept the message; please try again in a minute.';

function payload(message: ChatMessage): { text: string; blocks?: unknown[] } {
  return message.blocks
    ? { text: message.text, blocks: [...message.blocks] }
    : { text: message.text };
}

interface SlackErrorShape {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
}

function platformErrorOf(error: unknown): string | null {
  const e = error as SlackErrorShape | null;
  return e?.code === ErrorCode.PlatformError ? (e.data?.error ?? null) : null;
}

function rateLimitedFor(error: unknown): number | null {
  const e = error as SlackErrorShape | null;
  return e?.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number'
    ? e.retryAfter
    : null;
}

/** Web API errors as AppError; `retryable` says whether trying again later can help. */
export function toAppError(method: string, error: unknown): AppError {
  const e = (error ?? {}) as SlackErrorShape;
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new AppError('slack.rate_limited', `${method}: rate limited (${e.retryAfter} s)`, {
        cause: error,
        retryable: true,
        userMessage: 'Slack is rate limiting bqcost; please try again in a minute.',
      });
    case ErrorCode.HTTPError:
      return new AppError('slack.http_error', `${method}: HTTP ${e.statusCode}`, {
        cause: error,
        retryable: (e.statusCode ?? 500) >= 500,
        userMessage: slackDown,
      });
    case ErrorCode.PlatformError:
      return new AppError('slack.platform_error', `${method}: ${e.data?.error ?? 'error'}`, {
        cause: error,
        retryable: false,
        userMessage: 'Slack refused the message (is bqcost in this channel?).',
      });
    case ErrorCode.RequestError:
      return new AppError('slack.request_failed', `${method}: request failed`, {
        cause: error,
        retryable: true,
        userMessage: slackDown,
      });
    default:
      return new AppError('slack.unknown', `${method}: unexpected error`, {
        cause: error,
        retryable: false,
        userMessage: slackDown,
      });
  }
}
