import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  allowedTransition,
  deriveState,
  idempotencyKey,
  recommendationActions,
  recommendationEventSchema,
  recommendationStates,
  type IdempotencyKeyInput,
  type RecommendationAction,
  type RecommendationStateName,
} from '../../src/domain/ledger.js';
import { sha256Hex } from '../../src/domain/sha256.js';
import { ackEvent } from '../fixtures/ack-events.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 10, minutes));
const now = new Date('2026-11-29T00:00:00Z');

describe('sha256Hex', () => {
  it.each(['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'é😀 ack'.repeat(40)])(
    'matches node:crypto for %#',
    (text) => {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    },
  );
});

describe('allowedTransition', () => {
  const allowed: Record<RecommendationStateName, RecommendationAction[]> = {
    open: ['accepted', 'snoozed', 'dismissed'],
    snoozed: ['accepted', 'snoozed', 'dismissed', 'reopened'],
    accepted: ['verified', 'reopened'],
    dismissed: ['reopened'],
    verified: ['reopened'],
  };
  const cases = recommendationStates.flatMap((state) =>
    recommendationActions.map((action) => ({
      state,
      action,
      expected: allowed[state].includes(action),
    })),
  );
  it.each(cases)('$state + $action → $expected', ({ state, action, expected }) => {
    expect(allowedTransition(state, action)).toBe(expected);
  });
});

describe('deriveState', () => {
  const snooze = (minute: number, until: string, actor = 'U222') =>
    ackEvent({
      action: 'snoozed',
      snoozeUntil: new Date(until),
      occurredAt: at(minute),
      actorSlackId: actor,
    });

  const cases: {
    name: string;
    events: ReturnType<typeof ackEvent>[];
    expected: Partial<ReturnType<typeof deriveState>>;
  }[] = [
    { name: 'no events → open', events: [], expected: { state: 'open', since: null, version: 0 } },
    {
      name: 'accept',
      events: [ackEvent({ occurredAt: at(1) })],
      expected: { state: 'accepted', since: at(1), by: 'U111', version: 1 },
    },
    {
      name: 'snooze still running',
      events: [snooze(1, '2026-12-08T00:00:00Z')],
      expected: { state: 'snoozed', snoozeUntil: new Date('2026-12-08T00:00:00Z'), by: 'U222' },
    },
    {
      name: 'snooze ended → open since its end',
      events: [snooze(1, '2026-11-28T12:00:00Z')],
      expected: {
        state: 'open',
        since: new Date('2026-11-28T12:00:00Z'),
        by: null,
        snoozeUntil: null,
      },
    },
    {
      name: 'snooze again moves the end',
      events: [snooze(1, '2026-12-01T00:00:00Z'), snooze(2, '2026-12-20T00:00:00Z')],
      expected: { state: 'snoozed', snoozeUntil: new Date('2026-12-20T00:00:00Z'), version: 2 },
    },
    {
      name: 'dismissed with reason',
      events: [
        ackEvent({
          action: 'dismissed',
          reason: { code: 'false_positive', text: 'staging only' },
          occurredAt: at(1),
        }),
      ],
      expected: {
        state: 'dismissed',
        reason: { code: 'false_positive', text: 'staging only' },
      },
    },
    {
      name: 'accepted → verified',
      events: [
        ackEvent({ occurredAt: at(1) }),
        ackEvent({ action: 'verified', actorSlackId: 'bqcost', occurredAt: at(2) }),
      ],
      expected: { state: 'verified', by: 'bqcost', since: at(2) },
    },
    {
      name: 'dismissed → reopened → open',
      events: [
        ackEvent({ action: 'dismissed', occurredAt: at(1) }),
        ackEvent({ action: 'reopened', occurredAt: at(2), actorSlackId: 'U333' }),
      ],
      expected: { state: 'open', by: 'U333', since: at(2), reason: null },
    },
    {
      name: 'a race: the later, now invalid event is ignored but counted',
      events: [
        ackEvent({ action: 'dismissed', occurredAt: at(2), actorSlackId: 'U222' }),
        ackEvent({ action: 'accepted', occurredAt: at(1) }),
      ],
      expected: { state: 'accepted', by: 'U111', version: 2 },
    },
    {
      name: 'a duplicate key is counted once',
      events: [
        ackEvent({ occurredAt: at(1), eventId: 'a' }),
        ackEvent({ occurredAt: at(1), eventId: 'b' }),
      ],
      expected: { state: 'accepted', version: 1 },
    },
    {
      name: 'verify before accept is ignored',
      events: [ackEvent({ action: 'verified', occurredAt: at(1) })],
      expected: { state: 'open', version: 1 },
    },
    {
      name: 'accept after a snooze ended',
      events: [snooze(1, '2026-11-28T10:05:00Z'), ackEvent({ occurredAt: at(10) })],
      expected: { state: 'accepted', since: at(10) },
    },
  ];
  it.each(cases)('$name', ({ events, expected }) => {
    expect(deriveState(events, now)).toMatchObject(expected);
  });
});

describe('idempotencyKey', () => {
  const base: IdempotencyKeyInput = {
    recommendationId: 'rec-1',
    action: 'snoozed',
    actorSlackId: 'U111',
    version: 3,
    snoozeUntil: new Date('2026-12-05T00:00:00Z'),
    reason: { code: null, text: 'quarter end' },
  };

  it('is stable: the same intended action always gives the same 64-hex key', () => {
    const key = idempotencyKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyKey({ ...base })).toBe(key);
    // Pinned: changing the recipe silently would split keys across a deploy.
    expect(key).toBe(idempotencyKey(structuredClone(base)));
    expect(key).toMatchInlineSnapshot(
      `"3fe5e52fc2292c2cf87c0f82295e847467b43f05ed9cd2cfb9a75849a8a0b651"`,
    );
  });

  it('ignores what does not change the intent', () => {
    const key = idempotencyKey(base);
    expect(idempotencyKey({ ...base, snoozeUntil: new Date('2026-12-05T17:43:12.345Z') })).toBe(
      key,
    );
    expect(idempotencyKey({ ...base, reason: { code: null, text: '  quarter end ' } })).toBe(key);
  });

  it.each<[string, Partial<IdempotencyKeyInput>]>([
    ['another recommendation', { recommendationId: 'rec-2' }],
    ['another action', { action: 'accepted', snoozeUntil: null, reason: null }],
    ['another actor', { actorSlackId: 'U222' }],
    ['a later state (snooze again after a reopen)', { version: 4 }],
    ['another snooze day', { snoozeUntil: new Date('2026-12-06T00:00:00Z') }],
    ['another reason', { reason: { code: null, text: 'month end' } }],
  ])('changes with %s', (_name, change) => {
    expect(idempotencyKey({ ...base, ...change })).not.toBe(idempotencyKey(base));
  });
});

describe('recommendationEventSchema', () => {
  it('accepts the builder events', () => {
    for (const action of recommendationActions) {
      expect(recommendationEventSchema.safeParse(ackEvent({ action })).success).toBe(true);
    }
  });
  it.each<[string, Partial<ReturnType<typeof ackEvent>>]>([
    ['a dismissal without a reason', { action: 'dismissed', reason: null }],
    ['a snooze without an end', { action: 'snoozed', snoozeUntil: null }],
    ['an end on an accept', { action: 'accepted', snoozeUntil: new Date() }],
    [
      'a dismiss code on a snooze',
      { action: 'snoozed', reason: { code: 'not_worth_it', text: null } },
    ],
    ['a bad reason code', { action: 'dismissed', reason: { code: 'meh' as never, text: null } }],
    ['a bad key', { idempotencyKey: 'k' }],
  ])('rejects %s', (_name, change) => {
    expect(recommendationEventSchema.safeParse(ackEvent(change)).success).toBe(false);
  });
});
