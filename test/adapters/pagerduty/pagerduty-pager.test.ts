import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyPager } from '../../../src/adapters/pagerduty/pagerduty-pager.js';
import { isAppError, type AppError } from '../../../src/errors.js';
import type { PageRequest } from '../../../src/ports/pager.js';

// The Events API v2 at the HTTP level: nock intercepts node's fetch (checked: a request nothing
// intercepts fails with NetConnectNotAllowedError under disableNetConnect).

const routingKey = 'R0UTINGKEYCANARY0000000000000000';
const page: PageRequest = {
  dedupKey: 'bqcost-anomaly-abc',
  summary: 'BigQuery cost anomaly: project:acme-prod spent $1800.00',
  severity: 'error',
  source: 'bqcost',
  details: { alertId: 'anom_1', scope: 'project:acme-prod' },
};

let bodies: Record<string, unknown>[];
let sleeps: number[];

function enqueue(status: number, reply: unknown = { status: 'success' }) {
  return nock('https://events.pagerduty.com')
    .post('/v2/enqueue', (body: Record<string, unknown>) => {
      bodies.push(body);
      return true;
    })
    .reply(status, reply as nock.Body);
}

function pager(maxAttempts = 3) {
  return new PagerDutyPager(routingKey, {
    maxAttempts,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

async function failure(run: Promise<unknown>): Promise<AppError> {
  const error: unknown = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

beforeEach(() => {
  bodies = [];
  sleeps = [];
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('PagerDutyPager', () => {
  it('triggers with routing key, dedup key and payload; 202 is success', async () => {
    const scope = enqueue(202, { status: 'success', dedup_key: page.dedupKey });
    await pager().trigger(page);
    expect(scope.isDone()).toBe(true);
    expect(bodies).toEqual([
      {
        routing_key: routingKey,
        event_action: 'trigger',
        dedup_key: 'bqcost-anomaly-abc',
        payload: {
          summary: page.summary,
          source: 'bqcost',
          severity: 'error',
          custom_details: page.details,
        },
      },
    ]);
  });

  it('acknowledges and resolves by dedup key, without a payload', async () => {
    enqueue(202);
    enqueue(202);
    await pager().acknowledge('bqcost-anomaly-abc');
    await pager().resolve('bqcost-anomaly-abc');
    expect(bodies).toEqual([
      { routing_key: routingKey, event_action: 'acknowledge', dedup_key: 'bqcost-anomaly-abc' },
      { routing_key: routingKey, event_action: 'resolve', dedup_key: 'bqcost-anomaly-abc' },
    ]);
  });

  it('caps the summary at PagerDuty’s 1024 characters', async () => {
    enqueue(202);
    await pager().trigger({ ...page, summary: 'x'.repeat(5000) });
    expect((bodies[0]!.payload as { summary: string }).summary).toHaveLength(1024);
  });

  it('retries a 429 with bounded backoff and succeeds', async () => {
    enqueue(429, { status: 'throttle event' });
    enqueue(429, { status: 'throttle event' });
    enqueue(202);
    await pager().trigger(page);
    expect(bodies).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it('gives up on repeated 500s as a retryable error (the next tick tries again)', async () => {
    enqueue(500, 'oops');
    enqueue(502, 'bad gateway');
    enqueue(503, 'unavailable');
    const error = await failure(pager().trigger(page));
    expect([error.code, error.retryable]).toEqual(['pager.unavailable', true]);
    expect(error.message).toContain('HTTP 503');
    expect(bodies).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it('gives up on persistent 429s as retryable, with backoff never above the cap', async () => {
    for (let i = 0; i < 6; i++) enqueue(429, { status: 'throttle event' });
    const error = await failure(pager(6).trigger(page));
    expect([error.code, error.retryable]).toEqual(['pager.unavailable', true]);
    expect(sleeps).toEqual([200, 400, 800, 1000, 1000]);
  });

  it('does not retry a 400 and reports it as permanent', async () => {
    enqueue(400, { status: 'invalid event', errors: ['severity is invalid'] });
    const error = await failure(pager().trigger(page));
    expect([error.code, error.retryable]).toEqual(['pager.rejected', false]);
    expect(error.message).toContain('severity is invalid');
    expect(bodies).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a network error, then fails retryable', async () => {
    nock('https://events.pagerduty.com')
      .post('/v2/enqueue')
      .times(3)
      .replyWithError({ code: 'ECONNRESET', message: `reset ${routingKey}` });
    const error = await failure(pager().acknowledge('k'));
    expect([error.code, error.retryable]).toEqual(['pager.unavailable', true]);
    expect(sleeps).toHaveLength(2);
  });

  it('never puts the routing key in an error', async () => {
    enqueue(400, { status: 'invalid event', message: `bad routing key ${routingKey}` });
    const rejected = await failure(pager().trigger(page));
    nock('https://events.pagerduty.com')
      .post('/v2/enqueue')
      .times(3)
      .replyWithError({ code: 'ECONNRESET', message: `reset ${routingKey}` });
    const unreachable = await failure(pager().trigger(page));
    for (const error of [rejected, unreachable]) {
      const everything = JSON.stringify([
        error.message,
        error.userMessage,
        String(error.cause),
        error.stack,
      ]);
      expect(everything).not.toContain(routingKey);
    }
    expect(rejected.message).toContain('[redacted]');
  });

  it('refuses an empty routing key at construction', () => {
    expect(() => new PagerDutyPager('  ')).toThrow(/PAGERDUTY_ROUTING_KEY/);
  });
});
