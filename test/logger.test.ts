import { describe, expect, it } from 'vitest';
import { tokenShaped } from './helpers/slack.js';
import { AppError } from '../src/errors.js';
import {
  countMetric,
  createLogger,
  labelsKey,
  scrub,
  serializeError,
  traceIdFrom,
  traceKey,
  withContext,
  type LoggerOptions,
} from '../src/logger.js';

function capture(options: Omit<LoggerOptions, 'destination'> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, destination: { write: (l) => lines.push(l) } });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

// Planted in every place a secret turns up in practice; none may reach a log line.
const canarySecret = 'c4n4ry5ecretf00dfeed1234567890ab';
const canaryToken = tokenShaped('xoxb', '123456', '987654', 'CanaryTokenValue');
const canaryUrl = 'https://hooks.slack.com/commands/T1/2/CanaryResponseUrl';

describe('logger: Cloud Logging format', () => {
  it('writes severity, message, time and no pid/hostname', () => {
    const { logger, json } = capture({ level: 'debug' });
    logger.debug('d');
    logger.info({ n: 1 }, 'hello %s', 'world');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    const out = json();
    expect(out.map((l) => l.severity)).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
    expect(out[1]).toMatchObject({ message: 'hello world', n: 1 });
    expect(out[1]).not.toHaveProperty('msg');
    expect(out[1]).not.toHaveProperty('pid');
    expect(out[1]).not.toHaveProperty('level');
    expect(new Date(String(out[1]?.time)).toISOString()).toBe(out[1]?.time);
  });

  it('carries labels (merged, not repeated) and the trace of a request', () => {
    const { logger, lines, json } = capture({
      projectId: 'acme-prod',
      labels: { component: 'notifier' },
    });
    const child = withContext(logger, { labels: { topic: 'bqcost-notifications' } });
    const grandchild = withContext(child, {
      labels: { analyzer: 'partition_table' },
      traceHeader: '105445aa7843bc8bf206b12000100000/1;o=1',
    });
    logger.info('root');
    grandchild.info('deep');
    const [root, deep] = json();
    expect(root?.[labelsKey]).toEqual({ component: 'notifier' });
    expect(root).not.toHaveProperty(traceKey);
    expect(deep?.[labelsKey]).toEqual({
      component: 'notifier',
      topic: 'bqcost-notifications',
      analyzer: 'partition_table',
    });
    expect(deep?.[traceKey]).toBe('projects/acme-prod/traces/105445aa7843bc8bf206b12000100000');
    expect(lines[1]?.split(labelsKey)).toHaveLength(2);
    // a plain pino child keeps its parent's labels and trace
    grandchild.child({ key: 'k1' }).info('plain child');
    expect(json()[2]).toMatchObject({
      key: 'k1',
      [labelsKey]: { topic: 'bqcost-notifications' },
      [traceKey]: deep?.[traceKey],
    });
  });

  it('reads W3C traceparent and Cloud trace headers, and ignores junk', () => {
    expect(traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdFrom('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdFrom('not-a-trace')).toBeNull();
  });

  it('counts metrics as structured fields (failures at error severity)', () => {
    const { logger, json } = capture();
    countMetric(logger, 'processed', { latencyMs: 12 }, 'done');
    countMetric(logger, 'failed', { code: 'x.y' }, 'failed');
    countMetric(logger, 'slack_rate_limited', { channel: 'C1' }, '429');
    expect(json().map((l) => [l.metric, l.severity])).toEqual([
      ['processed', 'INFO'],
      ['failed', 'ERROR'],
      ['slack_rate_limited', 'INFO'],
    ]);
  });
});

describe('logger: secrets never reach a line', () => {
  function httpError(): Error {
    // The shape HTTP clients throw: request config with headers, a response with a body.
    const error = new Error(`request to ${canaryUrl} failed with token ${canaryToken}`) as Error & {
      config?: unknown;
      response?: unknown;
      headers?: unknown;
    };
    error.config = {
      headers: { Authorization: `Bearer ${canaryToken}` },
      data: { token: canaryToken },
    };
    error.headers = { authorization: canarySecret };
    error.response = { body: { signing_secret: canarySecret } };
    return error;
  }

  it('in an error (and its cause chain), headers, fields and interpolated messages', () => {
    const { logger, lines } = capture({ secrets: [canarySecret, canaryToken] });
    const wrapped = new AppError('slack.request_failed', 'posting failed', {
      cause: httpError(),
      retryable: true,
    });
    logger.error({ err: wrapped }, 'posting failed');
    logger.error(httpError());
    logger.info({ headers: { authorization: `Bearer ${canaryToken}` } }, 'incoming');
    logger.info({ config: { signingSecret: canarySecret, nested: { deep: { canarySecret } } } });
    logger.info('token %s secret %s url %s', canaryToken, canarySecret, canaryUrl);
    logger.info(`Authorization: Bearer ${canaryToken}`);
    logger.info({ body: { response_url: canaryUrl } }, 'body');
    logger.warn({ opaque: `prefix-${canarySecret}-suffix` }, 'opaque value');
    const output = lines.join('');
    expect(lines).toHaveLength(8);
    for (const canary of [canarySecret, canaryToken, canaryUrl, 'CanaryTokenValue']) {
      expect(output).not.toContain(canary);
    }
    expect(output).toContain('[REDACTED]');
    // …while what helps debugging stays
    expect(output).toContain('slack.request_failed');
    expect(output).toContain('posting failed');
  });

  it('also catches token shapes it was not told about', () => {
    expect(
      scrub(
        `${tokenShaped('xoxp', '1', '2', '3')} and ${tokenShaped('xapp', '1', 'A', 'b')} and Bearer abc.def`,
      ),
    ).toBe('[REDACTED] and [REDACTED] and [REDACTED]');
    expect(scrub('{"token":"opaque123"}')).toBe('{"token":"[REDACTED]"}');
  });

  it('serialises errors from an allow-list: no headers, config or bodies', () => {
    const serialized = serializeError(
      new AppError('slack.http_error', 'HTTP 500', { cause: httpError(), retryable: true }),
    );
    expect(Object.keys(serialized).sort()).toEqual([
      'cause',
      'code',
      'message',
      'retryable',
      'stack',
      'type',
    ]);
    expect(Object.keys(serialized.cause ?? {}).sort()).toEqual(['message', 'stack', 'type']);
    expect(JSON.stringify(serialized)).not.toContain(canaryToken);
  });
});
