import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createSlackApp, type SlackApp } from '../../handlers/app.js';
import type { QueryAnswer } from '../../src/app/answer-query.js';
import type { Chat } from '../../src/ports/chat.js';
import { MemoryDedupeStore } from '../../src/adapters/memory/memory-dedupe.js';
import { requestUrlTemplate } from '../../src/cli/manifest.js';
import {
  botEvents,
  requiredBotScopes,
  scopeFreeMethods,
  slashCommands,
} from '../../src/slack-ids.js';
import { commandBody, listen, postSigned, testSecret, type Receiver } from '../helpers/slack.js';

// manifest.yml is the contract with Slack: what it declares must be what the code registers, and
// the bot asks for no scope it does not use.

interface Manifest {
  display_information?: { name?: string };
  features?: {
    slash_commands?: { command: string; url: string; usage_hint?: string }[];
    app_home?: { home_tab_enabled?: boolean };
  };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: {
    interactivity?: { is_enabled?: boolean; request_url?: string };
    event_subscriptions?: { request_url?: string; bot_events?: string[]; user_events?: string[] };
  };
}

const manifest = parse(
  readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8'),
) as Manifest;

// Every Web API method the Slack adapter calls (its `this.call('<method>', …)` sites).
const webChatSource = readFileSync(
  fileURLToPath(new URL('../../src/adapters/slack/web-chat.ts', import.meta.url)),
  'utf8',
);
const calledMethods = [...webChatSource.matchAll(/this\.call\(\s*'([\w.]+)'/g)].map((m) => m[1]!);
const isMethod = (s: string) => /^[a-z]+\.[\w.]+$/.test(s);

const unusedChat: Chat = {
  postMessage: () => Promise.reject(new Error('unused')),
  postEphemeral: () => Promise.reject(new Error('unused')),
  update: () => Promise.reject(new Error('unused')),
  respond: () => Promise.reject(new Error('unused')),
  openView: () => Promise.reject(new Error('unused')),
  userEmail: () => Promise.reject(new Error('unused')),
  lookupUserByEmail: () => Promise.reject(new Error('unused')),
  userGroupMembers: () => Promise.reject(new Error('unused')),
  publishHomeView: () => Promise.reject(new Error('unused')),
};

let secret: string;
let slack: SlackApp;
let receiver: Receiver;

beforeAll(async () => {
  secret = testSecret();
  slack = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: unusedChat,
    answer: () => Promise.reject(new Error('unused')) as Promise<QueryAnswer>,
    events: { dedupe: new MemoryDedupeStore() },
  });
  receiver = await listen(slack.requestListener);
});
afterAll(async () => {
  await receiver.close();
});

describe('manifest.yml', () => {
  const commands = (manifest.features?.slash_commands ?? []).map((c) => c.command);

  it('declares exactly the slash commands in src/slack-ids.ts', () => {
    expect([...commands].sort()).toEqual(Object.values(slashCommands).sort());
  });

  it('declares exactly the slash commands the app registers', () => {
    expect([...commands].sort()).toEqual([...slack.commands].sort());
  });

  it.each(Object.values(slashCommands))('%s is answered by a registered listener', async (name) => {
    const res = await postSigned(receiver.url, commandBody('help', { command: name }), { secret });
    expect(res.status).toBe(200);
    expect((res.json as { response_type?: string }).response_type).toBe('ephemeral');
  });

  it('asks for exactly the bot scopes in src/slack-ids.ts, and no user scopes', () => {
    expect([...(manifest.oauth_config?.scopes?.bot ?? [])].sort()).toEqual(
      Object.keys(requiredBotScopes).sort(),
    );
    expect(manifest.oauth_config?.scopes?.user ?? []).toEqual([]);
  });

  it('every Web API method the code calls is covered by a scope (or needs none)', () => {
    expect(calledMethods.length).toBeGreaterThanOrEqual(8);
    const covered = new Set<string>([
      ...Object.values(requiredBotScopes).flat(),
      ...scopeFreeMethods,
    ]);
    expect(calledMethods.filter((m) => !covered.has(m))).toEqual([]);
  });

  it('no scope is asked for a method the code does not call (least privilege)', () => {
    for (const [scope, uses] of Object.entries(requiredBotScopes)) {
      const methods = uses.filter(isMethod);
      if (scope === 'commands') {
        expect(uses).toEqual(Object.values(slashCommands));
        continue;
      }
      expect(methods.length, scope).toBeGreaterThan(0);
      for (const method of methods) expect(calledMethods, `${scope}: ${method}`).toContain(method);
    }
  });

  it('subscribes to exactly the events in src/slack-ids.ts, which the app listens to', () => {
    const declared = [...(manifest.settings?.event_subscriptions?.bot_events ?? [])].sort();
    expect(declared).toEqual(Object.values(botEvents).sort());
    expect(declared).toEqual([...slack.events].sort());
    expect(manifest.settings?.event_subscriptions?.user_events ?? []).toEqual([]);
    expect(manifest.features?.app_home?.home_tab_enabled).toBe(true);
  });

  it('points commands and interactivity at the receiver endpoint', () => {
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    const urls = [
      manifest.settings?.interactivity?.request_url,
      manifest.settings?.event_subscriptions?.request_url,
      ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
  });

  it('keeps the request URLs a per-environment template (bqcost manifest --url renders it)', () => {
    const urls = [
      manifest.settings?.interactivity?.request_url,
      manifest.settings?.event_subscriptions?.request_url,
      ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
    ];
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url).toBe(requestUrlTemplate);
  });
});
