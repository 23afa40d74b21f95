import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createSlackApp, type SlackApp } from '../../handlers/app.js';
import type { QueryAnswer } from '../../src/app/answer-query.js';
import type { Chat } from '../../src/ports/chat.js';
import { slashCommands } from '../../src/slack-ids.js';
import { commandBody, listen, postSigned, testSecret, type Receiver } from '../helpers/slack.js';

// manifest.yml is the contract with Slack: what it declares must be what the code registers, and
// the bot asks for no scope it does not use.

interface Manifest {
  display_information?: { name?: string };
  features?: { slash_commands?: { command: string; url: string; usage_hint?: string }[] };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: { interactivity?: { is_enabled?: boolean; request_url?: string } };
}

const manifest = parse(
  readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8'),
) as Manifest;

// Why each scope: commands (/bqcost), chat:write (answers, cards, digests), users:read.email
// (owner routing via users.lookupByEmail; the email in users.info for `/bqcost me`), users:read
// (users.info itself, which `/bqcost me` calls).
const neededBotScopes = ['chat:write', 'commands', 'users:read', 'users:read.email'];

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
    botToken: 'xoxb-test',
    chat: unusedChat,
    answer: () => Promise.reject(new Error('unused')) as Promise<QueryAnswer>,
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

  it('asks for the least bot scopes and no user scopes', () => {
    expect([...(manifest.oauth_config?.scopes?.bot ?? [])].sort()).toEqual(neededBotScopes);
    expect(manifest.oauth_config?.scopes?.user ?? []).toEqual([]);
  });

  it('points commands and interactivity at the receiver endpoint', () => {
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    const urls = [
      manifest.settings?.interactivity?.request_url,
      ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
  });
});
