import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAllowedResponseUrl, SlackWebChat } from '../../../src/adapters/slack/web-chat.js';
import { AppError } from '../../../src/errors.js';

const api = 'https://slack.com';
const message = { text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };

let slept: number[];
function chat(options: ConstructorParameters<typeof SlackWebChat>[1] = {}): SlackWebChat {
  return new SlackWebChat('test-bot-token', {
    // Transport and 5xx retries without real waiting.
    retryConfig: { retries: 2, minTimeout: 1, maxTimeout: 1 },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  slept = [];
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('SlackWebChat (Web API)', () => {
  it('posts a message with the token, text and blocks', async () => {
    let sent: Record<string, unknown> = {};
    const scope = nock(api, { reqheaders: { authorization: 'Bearer test-bot-token' } })
      .post('/api/chat.postMessage', (body: Record<string, unknown>) => {
        sent = body;
        return true;
      })
      .reply(200, { ok: true, ts: '1700000000.000100', channel: 'C1' });
    await expect(chat().postMessage('C1', message)).resolves.toEqual({ ts: '1700000000.000100' });
    expect(scope.isDone()).toBe(true);
    expect(sent.channel).toBe('C1');
    expect(sent.text).toBe('hi');
    expect(JSON.parse(String(sent.blocks))).toEqual(message.blocks);
  });

  it('waits out a 429 with Retry-After once, then succeeds', async () => {
    const scope = nock(api)
      .post('/api/chat.postEphemeral')
      .reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '2' })
      .post('/api/chat.postEphemeral')
      .reply(200, { ok: true, message_ts: '1.2' });
    await chat().postEphemeral('C1', 'U1', message);
    expect(scope.isDone()).toBe(true);
    expect(slept).toEqual([2000]);
  });

  it('does not wait longer than the cap: a long Retry-After is a retryable error', async () => {
    const scope = nock(api)
      .post('/api/chat.update')
      .reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '120' });
    const error = await rejection(chat().update('C1', '1.2', message));
    expect(scope.isDone()).toBe(true);
    expect(slept).toEqual([]);
    expect(error.code).toBe('slack.rate_limited');
    expect(error.retryable).toBe(true);
  });

  it('gives up after one rate-limit wait', async () => {
    const scope = nock(api)
      .post('/api/chat.update')
      .times(2)
      .reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' });
    const error = await rejection(chat().update('C1', '1.2', message));
    expect(scope.isDone()).toBe(true);
    expect(slept).toEqual([1000]);
    expect(error.code).toBe('slack.rate_limited');
  });

  it('surfaces a 500 after the bounded retries as a retryable AppError', async () => {
    const scope = nock(api).post('/api/chat.postMessage').times(3).reply(500, 'oops');
    const error = await rejection(chat().postMessage('C1', message));
    expect(scope.isDone()).toBe(true);
    expect(error.code).toBe('slack.http_error');
    expect(error.retryable).toBe(true);
    expect(error.userMessage).not.toContain('xoxb');
  });

  it('maps a platform error (ok: false) to a non-retryable AppError', async () => {
    const scope = nock(api)
      .post('/api/chat.postMessage')
      .reply(200, { ok: false, error: 'channel_not_found' });
    const error = await rejection(chat().postMessage('C404', message));
    expect(scope.isDone()).toBe(true);
    expect(error.code).toBe('slack.platform_error');
    expect(error.message).toContain('channel_not_found');
    expect(error.retryable).toBe(false);
  });

  it('opens a modal with views.open: trigger_id and the view as JSON', async () => {
    let sent: Record<string, unknown> = {};
    const scope = nock(api)
      .post('/api/views.open', (body: Record<string, unknown>) => {
        sent = body;
        return true;
      })
      .reply(200, { ok: true, view: { id: 'V1' } });
    const view = { type: 'modal', callback_id: 'cb', title: { type: 'plain_text', text: 't' } };
    await chat().openView('1.2.3', view);
    expect(scope.isDone()).toBe(true);
    expect(sent.trigger_id).toBe('1.2.3');
    expect(JSON.parse(String(sent.view))).toEqual(view);
  });

  it('surfaces an expired trigger (views.open ok: false) as a non-retryable AppError', async () => {
    nock(api).post('/api/views.open').reply(200, { ok: false, error: 'expired_trigger_id' });
    const error = await rejection(chat().openView('1.2.3', { type: 'modal' }));
    expect(error.code).toBe('slack.platform_error');
    expect(error.retryable).toBe(false);
  });

  it('refuses to be built without a token', () => {
    expect(() => new SlackWebChat('')).toThrow(/SLACK_BOT_TOKEN/);
  });
});

describe('SlackWebChat.respond (response_url)', () => {
  const hook = 'https://hooks.slack.com/commands/T1/2/abc';

  it('posts JSON to the hooks.slack.com URL, ephemeral by default', async () => {
    let sent: Record<string, unknown> = {};
    const scope = nock('https://hooks.slack.com')
      .post('/commands/T1/2/abc', (body: Record<string, unknown>) => {
        sent = body;
        return true;
      })
      .reply(200, 'ok');
    await chat().respond(hook, message);
    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({ ...message, response_type: 'ephemeral', replace_original: false });
  });

  it.each([
    'https://evil.example/commands/T1/2/abc',
    'http://hooks.slack.com/commands/T1/2/abc',
    'https://hooks.slack.com.evil.example/commands',
    'https://hooks.slack.com:8443/commands',
    'https://hooks.slack.com@evil.example/commands',
    'not a url',
  ])('refuses %s without a request', async (url) => {
    expect(isAllowedResponseUrl(url)).toBe(false);
    const error = await rejection(chat().respond(url, message));
    expect(error.code).toBe('slack.response_url_refused');
    expect(error.message).not.toContain(url);
  });

  it('surfaces a 500 from the hook as retryable', async () => {
    const scope = nock('https://hooks.slack.com').post('/commands/T1/2/abc').reply(500, 'no');
    const error = await rejection(chat().respond(hook, message));
    expect(scope.isDone()).toBe(true);
    expect(error.code).toBe('slack.http_error');
    expect(error.retryable).toBe(true);
  });
});

describe('SlackWebChat directory lookups (cached with a TTL)', () => {
  let clock: number;
  const cached = () => chat({ now: () => clock, userEmailTtlMs: 1000, directoryTtlMs: 1000 });
  beforeEach(() => {
    clock = 0;
  });

  it('users.lookupByEmail: the id, once per TTL for the same (case-folded) email', async () => {
    const bodies: Record<string, unknown>[] = [];
    const scope = nock(api)
      .post('/api/users.lookupByEmail', (body: Record<string, unknown>) => {
        bodies.push(body);
        return true;
      })
      .times(2)
      .reply(200, { ok: true, user: { id: 'U0ANA' } });
    const c = cached();
    await expect(c.lookupUserByEmail('Ana@Example.com')).resolves.toBe('U0ANA');
    await expect(c.lookupUserByEmail('ana@example.com')).resolves.toBe('U0ANA');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.email).toBe('ana@example.com');
    clock = 1001;
    await expect(c.lookupUserByEmail('ana@example.com')).resolves.toBe('U0ANA');
    expect(bodies).toHaveLength(2);
    expect(scope.isDone()).toBe(true);
  });

  it('users_not_found is null, and the negative answer is cached too', async () => {
    const scope = nock(api)
      .post('/api/users.lookupByEmail')
      .reply(200, { ok: false, error: 'users_not_found' });
    const c = cached();
    await expect(c.lookupUserByEmail('ghost@example.com')).resolves.toBeNull();
    await expect(c.lookupUserByEmail('ghost@example.com')).resolves.toBeNull();
    expect(scope.isDone()).toBe(true);
  });

  it('other errors surface and are not cached', async () => {
    nock(api).post('/api/users.lookupByEmail').reply(200, { ok: false, error: 'missing_scope' });
    const c = cached();
    const error = await rejection(c.lookupUserByEmail('ana@example.com'));
    expect(error.code).toBe('slack.platform_error');
    expect(error.message).toContain('missing_scope');
    const retry = nock(api)
      .post('/api/users.lookupByEmail')
      .reply(200, { ok: true, user: { id: 'U0ANA' } });
    await expect(c.lookupUserByEmail('ana@example.com')).resolves.toBe('U0ANA');
    expect(retry.isDone()).toBe(true);
  });

  it('concurrent lookups of one email share one call', async () => {
    const scope = nock(api)
      .post('/api/users.lookupByEmail')
      .reply(200, { ok: true, user: { id: 'U0ANA' } });
    const c = cached();
    const ids = await Promise.all([1, 2, 3].map(() => c.lookupUserByEmail('ana@example.com')));
    expect(ids).toEqual(['U0ANA', 'U0ANA', 'U0ANA']);
    expect(scope.isDone()).toBe(true);
  });

  it('users.info email: cached for its (short) TTL', async () => {
    const scope = nock(api)
      .post('/api/users.info')
      .times(2)
      .reply(200, { ok: true, user: { id: 'U1', profile: { email: 'ana@example.com' } } });
    const c = cached();
    await c.userEmail('U1');
    await c.userEmail('U1');
    expect(scope.pendingMocks()).toHaveLength(1);
    clock = 2000;
    await expect(c.userEmail('U1')).resolves.toBe('ana@example.com');
    expect(scope.isDone()).toBe(true);
  });

  it('usergroups.users.list: members, cached; an unknown group surfaces', async () => {
    let sent: Record<string, unknown> = {};
    const scope = nock(api)
      .post('/api/usergroups.users.list', (body: Record<string, unknown>) => {
        sent = body;
        return true;
      })
      .reply(200, { ok: true, users: ['U1', 'U2'] });
    const c = cached();
    await expect(c.userGroupMembers('S0ADMINS')).resolves.toEqual(['U1', 'U2']);
    await expect(c.userGroupMembers('S0ADMINS')).resolves.toEqual(['U1', 'U2']);
    expect(scope.isDone()).toBe(true);
    expect(sent.usergroup).toBe('S0ADMINS');
    nock(api)
      .post('/api/usergroups.users.list')
      .reply(200, { ok: false, error: 'no_such_subteam' });
    const error = await rejection(c.userGroupMembers('S0NOPE'));
    expect(error.message).toContain('no_such_subteam');
  });

  it('views.publish: the user id and the view as JSON', async () => {
    let sent: Record<string, unknown> = {};
    const scope = nock(api)
      .post('/api/views.publish', (body: Record<string, unknown>) => {
        sent = body;
        return true;
      })
      .reply(200, { ok: true });
    const view = { type: 'home', blocks: [] };
    await chat().publishHomeView('U1', view);
    expect(scope.isDone()).toBe(true);
    expect(sent.user_id).toBe('U1');
    expect(JSON.parse(String(sent.view))).toEqual(view);
  });
});
