// The workers are HTTP functions behind a push subscription bqcost owns (modules/pubsub), not
// Eventarc triggers. This checks that integration for real: functions-framework receives the
// push body Pub/Sub sends to `<function url>/projects/<p>/topics/<t>` and hands a worker
// registered with functions.cloudEvent the CloudEvent that src/adapters/pubsub/cloud-event.ts
// decodes.
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFromCloudEvent } from '../../src/adapters/pubsub/cloud-event.js';

const received: unknown[] = [];
functions.cloudEvent('pushProbe', (event: unknown) => {
  received.push(event);
});

let server: Server;
let port: number;

beforeAll(async () => {
  server = getTestServer('pushProbe');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function post(path: string, body: unknown, to = port): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: to,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('Pub/Sub push into a cloudEvent worker', () => {
  it('arrives as a CloudEvent the edge decodes: data, attributes, message id and publish time', async () => {
    received.length = 0;
    const data = {
      v: 1,
      type: 'digest.tick',
      key: 'k-1',
      publishedAt: '2026-11-28T08:00:00.000Z',
      day: '2026-11-27',
    };
    const status = await post('/projects/my-project/topics/bqcost-digest-ticks', {
      message: {
        data: Buffer.from(JSON.stringify(data)).toString('base64'),
        attributes: { key: 'k-1', schedule: 'daily-digest' },
        messageId: '1234567890',
        publishTime: '2026-11-28T08:00:00.123Z',
      },
      subscription: 'projects/my-project/subscriptions/bqcost-digest-push',
      deliveryAttempt: 3,
    });
    expect(status).toBe(204);
    expect(received).toHaveLength(1);
    const decoded = deliveryFromCloudEvent(received[0]);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(JSON.parse(Buffer.from(decoded.delivery.data).toString('utf8'))).toEqual(data);
    expect(decoded.delivery.attributes).toEqual({ key: 'k-1', schedule: 'daily-digest' });
    expect(decoded.delivery.messageId).toBe('1234567890');
    expect(decoded.delivery.publishTime.toISOString()).toBe('2026-11-28T08:00:00.123Z');
    expect((received[0] as { source?: string }).source).toContain(
      'projects/my-project/topics/bqcost-digest-ticks',
    );
    // functions-framework's conversion drops the push body's deliveryAttempt: the edge sees 1.
    // Recorded so a change in either direction is noticed (docs/production-readiness.md).
    expect(decoded.delivery.deliveryAttempt).toBe(1);
  });

  it('a worker that throws answers 500, so Pub/Sub retries and eventually dead-letters', async () => {
    functions.cloudEvent('failingProbe', () => {
      throw new Error('boom');
    });
    const failing = getTestServer('failingProbe');
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const failingPort = (failing.address() as AddressInfo).port;
    try {
      const status = await post(
        '/projects/p/topics/bqcost-notifications',
        {
          message: {
            data: Buffer.from('{}').toString('base64'),
            messageId: '1',
            publishTime: '2026-11-28T08:00:00Z',
          },
          subscription: 'projects/p/subscriptions/bqcost-notifier-push',
        },
        failingPort,
      );
      expect(status).toBeGreaterThanOrEqual(500);
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});
