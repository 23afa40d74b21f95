// `npm start` with SLACK_APP_TOKEN: the local stack connects over Socket Mode instead of listening
// on localhost, answers /bqcost on the socket, and disconnects on close. Slack's side is nock
// (Web API, apps.connections.open) and a local WebSocket server; the warehouse is empty, so the
// loop itself posts nothing.
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { startLocalStack, type LocalStack } from '../../src/cli/local-stack.js';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../fixtures/builders.js';
import { blockText, commandBody, type Reply } from '../helpers/slack.js';
import { FakeSlackSocket } from '../helpers/slack-socket.js';

const appToken = 'xapp-1-A0001-local';
const end = new Date('2026-11-20T00:00:00Z');

let fake: FakeSlackSocket;
let warehouse: DuckDbWarehouse;
let stack: LocalStack | undefined;
let out: string[];

function start(env: Record<string, string>): Promise<LocalStack> {
  const dir = tempDir('bqcost-socket-');
  return startLocalStack({
    config: loadConfig({ BQCOST_SLACK_PORT: '0', ...env }),
    warehouse,
    write: (text) => out.push(text),
    windowEnd: end,
    windowDays: 7,
    stateDir: dir,
    demo: false,
    serve: true,
  });
}

beforeEach(async () => {
  out = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  fake = await FakeSlackSocket.start();
  warehouse = await DuckDbWarehouse.open(':memory:');
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await warehouse.close();
  await fake.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('the local stack over Socket Mode', () => {
  it('connects instead of serving HTTP, answers /bqcost on the socket, disconnects on close', async () => {
    const open = nock('https://slack.com', { reqheaders: { authorization: `Bearer ${appToken}` } })
      .post('/api/apps.connections.open')
      .reply(200, { ok: true, url: fake.url });
    stack = await start({ SLACK_BOT_TOKEN: 'local-bot-token', SLACK_APP_TOKEN: appToken });
    expect(open.isDone()).toBe(true);
    expect(stack.socketMode).toBe(true);
    expect(stack.url).toBeNull();
    expect(stack.transcriptFile).toBeNull();
    expect(out.join('')).toContain('Slack: connected over Socket Mode (SLACK_APP_TOKEN)');
    expect(fake.sockets).toHaveLength(1);

    fake.send({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: Object.fromEntries(new URLSearchParams(commandBody('help'))),
    });
    const ack = await fake.ackOf('env-1');
    expect(blockText(ack.payload as Reply)).toContain('/bqcost summary');

    await stack.close();
    stack = undefined;
    await fake.until(() => fake.closes.length === 1);
    expect(fake.closes).toEqual([1000]);
  }, 60_000);

  it.each([
    [
      { SLACK_BOT_TOKEN: 'local-bot-token', SLACK_APP_TOKEN: '' },
      'SLACK_APP_TOKEN is missing or empty',
    ],
    [
      { SLACK_BOT_TOKEN: 'local-bot-token', SLACK_APP_TOKEN: 'user-token-not-an-app-token' },
      'SLACK_APP_TOKEN is not an app-level token',
    ],
    [{ SLACK_APP_TOKEN: appToken }, 'SLACK_BOT_TOKEN is missing or empty'],
  ])('refuses to start with %j, before the loop runs', async (env, message) => {
    await expect(start(env)).rejects.toThrow(message);
    expect(out.join('')).not.toContain('▶ analysisWorker');
    expect(fake.sockets).toHaveLength(0);
  });
});
