import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startSlackServer, type SlackServer } from '../src/index.js';
import { commandBody, postSigned, testSecret } from './helpers/slack.js';

// The embedded Slack receiver as the process starts it: config in, a listening server out.

let server: SlackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const base = { BQCOST_DB: ':memory:', BQCOST_SLACK_PORT: '0' };

describe('startSlackServer', () => {
  it.each([
    [{}, 'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are missing'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET is missing'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '' }, 'SLACK_SIGNING_SECRET is missing'],
    [{ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: ' ' }, 'SLACK_BOT_TOKEN is missing'],
  ])('refuses to start with %j', async (env, message) => {
    await expect(startSlackServer(loadConfig({ ...base, ...env }))).rejects.toThrow(message);
  });

  it('starts with both set and answers a signed /bqcost help', async () => {
    const secret = testSecret();
    server = await startSlackServer(
      loadConfig({ ...base, SLACK_SIGNING_SECRET: secret, SLACK_BOT_TOKEN: 'xoxb-1' }),
    );
    const res = await postSigned(server.url, commandBody('help'), { secret });
    expect(res.status).toBe(200);
    expect(res.text).toContain('/bqcost summary');
    const forged = await postSigned(server.url, commandBody('help'), { secret: testSecret() });
    expect(forged.status).toBe(401);
  });
});
