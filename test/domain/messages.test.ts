import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/adapters/pubsub/cloud-event.js';
import { completeScheduledMessage, topicSchemas } from '../../src/domain/messages.js';
import { schedules, topics, type TopicId } from '../../src/domain/topology.js';

// Cloud Scheduler's fixed bodies (infra/modules/bqcost: the scheduler jobs' payloads) become
// complete, valid messages named by their publish time.

const bodies: Record<string, Record<string, unknown>> = {
  'daily-analysis': { v: 1, type: 'analysis.request', scope: 'org', windowDays: 30 },
  'daily-digest': { v: 1, type: 'digest.tick' },
  'escalation-tick': { v: 1, type: 'escalation.tick' },
};

const publishTime = new Date('2026-11-28T08:00:17.345Z');

describe('completeScheduledMessage', () => {
  it.each(schedules.map((s) => [s.name, s.topic] as const))(
    '%s: the fixed body decodes under its topic once completed',
    (name, topic) => {
      const body = bodies[name];
      expect(body, `a body for ${name}`).toBeDefined();
      expect(topicSchemas[topic as TopicId].safeParse(body).success).toBe(false);
      const completed = completeScheduledMessage(body, name, publishTime);
      expect(topicSchemas[topic as TopicId].safeParse(completed).success).toBe(true);
    },
  );

  it('names the run by job and publish minute; fills the digest day and the analysis window', () => {
    expect(completeScheduledMessage(bodies['daily-digest'], 'daily-digest', publishTime)).toEqual({
      v: 1,
      type: 'digest.tick',
      key: 'schedule:daily-digest:2026-11-28T08:00:00.000Z',
      publishedAt: '2026-11-28T08:00:17.345Z',
      day: '2026-11-27',
    });
    const analysis = completeScheduledMessage(
      bodies['daily-analysis'],
      'daily-analysis',
      publishTime,
    ) as Record<string, unknown>;
    expect(analysis.windowEnd).toBe('2026-11-28T00:00:00.000Z');
  });

  it('a retry within the same minute has the same key; the next minute a new one', () => {
    const key = (t: string) =>
      (
        completeScheduledMessage(bodies['escalation-tick'], 'escalation-tick', new Date(t)) as {
          key: string;
        }
      ).key;
    expect(key('2026-11-28T08:00:01Z')).toBe(key('2026-11-28T08:00:59Z'));
    expect(key('2026-11-28T08:01:00Z')).not.toBe(key('2026-11-28T08:00:59Z'));
  });

  it('keeps fields the body has, and leaves messages without a schedule alone', () => {
    const own = { ...bodies['daily-digest'], day: '2026-01-01' };
    expect(completeScheduledMessage(own, 'daily-digest', publishTime)).toMatchObject({
      day: '2026-01-01',
    });
    expect(completeScheduledMessage(bodies['daily-digest'], undefined, publishTime)).toBe(
      bodies['daily-digest'],
    );
    expect(completeScheduledMessage('text', 'daily-digest', publishTime)).toBe('text');
  });

  it('decodes at the edge: a scheduler delivery is a valid message, a body without schedule is dropped', () => {
    const delivery = (attributes: Record<string, string>) => ({
      data: Buffer.from(JSON.stringify(bodies['daily-digest'])),
      attributes,
      messageId: '1',
      publishTime,
      deliveryAttempt: 1,
    });
    const now = new Date(publishTime.getTime() + 1000);
    const ok = decodeMessage(topics.digestTicks, delivery({ schedule: 'daily-digest' }), { now });
    expect(ok).toMatchObject({ ok: true, message: { day: '2026-11-27' } });
    const bad = decodeMessage(topics.digestTicks, delivery({}), { now });
    expect(bad.ok).toBe(false);
  });
});
