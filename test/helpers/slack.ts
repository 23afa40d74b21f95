import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

// Signed Slack requests against a real local receiver: HMAC-SHA256 "v0" over v0:{ts}:{raw body}.

export function testSecret(): string {
  return randomBytes(16).toString('hex');
}

export function sign(secret: string, timestamp: number, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

export interface Receiver {
  url: string;
  close(): Promise<void>;
}

export async function listen(listener: RequestListener): Promise<Receiver> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

export const hookUrl = 'https://hooks.slack.com/commands/T0001/1234/abcdef';

/** The form body Slack sends for a slash command (x-www-form-urlencoded). */
export function commandBody(text: string, overrides: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'legacy-unused',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0001',
    channel_name: 'data',
    user_id: 'U0001',
    user_name: 'ana',
    command: '/bqcost',
    text,
    api_app_id: 'A0001',
    response_url: hookUrl,
    trigger_id: '1.2.3',
    ...overrides,
  }).toString();
}

export interface PostOptions {
  secret: string;
  /** Epoch seconds; default now. */
  timestamp?: number;
  signature?: string;
  contentType?: string;
  /** More headers, e.g. X-Slack-Retry-Num on an Events API retry. */
  headers?: Record<string, string>;
}

export async function postSigned(
  url: string,
  rawBody: string,
  options: PostOptions,
): Promise<{ status: number; text: string; json: unknown }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  // node:http rather than fetch: nock's fetch interceptor cannot pass a POST body through.
  const payload = Buffer.from(rawBody, 'utf8');
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
            'content-length': payload.length,
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': options.signature ?? sign(options.secret, timestamp, payload),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    },
  );
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status, text, json };
}

export interface Reply {
  response_type?: string;
  text?: string;
  blocks?: { type: string; text?: { text: string }; elements?: { text: string }[] }[];
}

/** All text of a reply's blocks, for assertions. */
export function blockText(reply: Reply): string {
  return (reply.blocks ?? [])
    .map((b) => b.text?.text ?? (b.elements ?? []).map((e) => e.text).join(' '))
    .join('\n');
}

/** Sends a signed /bqcost command and checks the reply is ephemeral and within Block Kit limits. */
export async function ephemeralCommand(url: string, secret: string, text: string): Promise<Reply> {
  const res = await postSigned(url, commandBody(text), { secret });
  expect(res.status).toBe(200);
  const reply = res.json as Reply;
  expect(reply.response_type).toBe('ephemeral');
  expect(reply.blocks!.length).toBeGreaterThan(0);
  expect(reply.blocks!.length).toBeLessThanOrEqual(50);
  for (const block of reply.blocks!) {
    if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
    if (block.type === 'header') expect(block.text!.text.length).toBeLessThanOrEqual(150);
  }
  return reply;
}

/** An Events API delivery (event_callback) as Slack posts it: JSON. */
export function eventBody(
  event: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    token: 'legacy-unused',
    team_id: 'T0001',
    api_app_id: 'A0001',
    event,
    type: 'event_callback',
    event_id: 'Ev0001',
    event_time: 1_700_000_000,
    authorizations: [{ team_id: 'T0001', user_id: 'U0BOT', is_bot: true }],
    ...overrides,
  });
}

/** Posts a signed Events API delivery; `retry` sets X-Slack-Retry-Num (Slack's redelivery). */
export function postEvent(
  url: string,
  secret: string,
  body: string,
  retry?: number,
): Promise<{ status: number; text: string; json: unknown }> {
  return postSigned(url, body, {
    secret,
    contentType: 'application/json',
    ...(retry === undefined
      ? {}
      : { headers: { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_error' } }),
  });
}

/**
 * A value shaped like a Slack token (`xoxb-…`), for the tests of the code that must detect or
 * scrub such values. Assembled at run time so the repository holds no string a secret scanner
 * would take for a real token.
 */
export function tokenShaped(prefix: 'xoxb' | 'xoxp' | 'xapp', ...parts: string[]): string {
  return [prefix, ...parts].join('-');
}
