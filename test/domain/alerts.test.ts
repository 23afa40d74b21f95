import { describe, expect, it } from 'vitest';
import {
  alertEventSchema,
  alertStepKey,
  alertSteps,
  allowedAlertStep,
  deriveAlertState,
  meetsSeverity,
  nextStep,
  pagerDutyDedupKey,
  pagerSeverity,
  type AlertStatus,
  type AlertStep,
  type EscalationTiming,
} from '../../src/domain/alerts.js';
import { alertEvent } from '../fixtures/alert-events.js';

const t0 = Date.UTC(2026, 10, 28, 9, 0);
const at = (minutes: number) => new Date(t0 + minutes * 60_000);
const timing: EscalationTiming = {
  escalateAfterMs: 30 * 60_000,
  pageAfterMs: 60 * 60_000,
  escalate: true,
};

describe('allowedAlertStep', () => {
  const allowed: Record<AlertStatus, AlertStep[]> = {
    none: ['posted'],
    posted: ['escalated', 'paged', 'acknowledged', 'resolved'],
    escalated: ['paged', 'acknowledged', 'resolved'],
    paged: ['acknowledged', 'resolved'],
    acknowledged: ['resolved'],
    resolved: [],
  };
  const cases = (Object.keys(allowed) as AlertStatus[]).flatMap((status) =>
    alertSteps.map((step) => ({ status, step, ok: allowed[status].includes(step) })),
  );
  it.each(cases)('$status → $step: $ok', ({ status, step, ok }) => {
    expect(allowedAlertStep(status, step)).toBe(ok);
  });
});

describe('deriveAlertState', () => {
  it('is none without rows', () => {
    expect(deriveAlertState('anom_1', []).status).toBe('none');
  });

  it('climbs posted → escalated → paged and keeps both messages and the dedup key', () => {
    const state = deriveAlertState('anom_1', [
      alertEvent('paged', at(60)),
      alertEvent('posted', at(0)),
      alertEvent('escalated', at(30)),
    ]);
    expect(state).toMatchObject({
      status: 'paged',
      postedAt: at(0),
      escalatedAt: at(30),
      pagedAt: at(60),
      pagerdutyDedupKey: 'bqcost-anomaly-test',
    });
    expect(state.messages).toEqual([
      { audience: 'team', channelId: 'C0TEAM', messageTs: '1700000000.000100' },
      { audience: 'oncall', channelId: 'C0ONCALL', messageTs: '1700000600.000200' },
    ]);
  });

  it.each(['posted', 'escalated', 'paged'] as const)(
    'acknowledged from %s stops there and records who',
    (stage) => {
      const climb = alertSteps.slice(0, alertSteps.indexOf(stage) + 1);
      const rows = climb.map((step, i) => alertEvent(step, at(i * 30)));
      const state = deriveAlertState('anom_1', [...rows, alertEvent('acknowledged', at(90))]);
      expect(state.status).toBe('acknowledged');
      expect(state.acknowledgedBy).toBe('U0ANA');
      expect(state.acknowledgedAt).toEqual(at(90));
      // A page that lands after the acknowledgement (a racing tick) changes nothing.
      const late = deriveAlertState('anom_1', [
        ...rows,
        alertEvent('acknowledged', at(90)),
        alertEvent('paged', at(91)),
      ]);
      expect(late.status).toBe('acknowledged');
      expect(late.pagedAt).toEqual(stage === 'paged' ? at(60) : null);
    },
  );

  it('resolves from acknowledged, and nothing follows a resolution', () => {
    const state = deriveAlertState('anom_1', [
      alertEvent('posted', at(0)),
      alertEvent('acknowledged', at(5)),
      alertEvent('resolved', at(10)),
      alertEvent('escalated', at(40)),
    ]);
    expect(state.status).toBe('resolved');
    expect(state.resolvedAt).toEqual(at(10));
    expect(state.escalatedAt).toBeNull();
  });

  it('counts a row once per idempotency key and ignores other alerts', () => {
    const posted = alertEvent('posted', at(0));
    const state = deriveAlertState('anom_1', [
      posted,
      { ...posted, occurredAt: at(1), messageTs: '1700000001.000999' },
      alertEvent('escalated', at(30), { alertId: 'anom_2' }),
    ]);
    expect(state.status).toBe('posted');
    expect(state.messages).toHaveLength(1);
  });

  it('ignores a climb step before the alert was posted', () => {
    expect(deriveAlertState('anom_1', [alertEvent('escalated', at(0))]).status).toBe('none');
  });
});

describe('nextStep', () => {
  const posted = deriveAlertState('anom_1', [alertEvent('posted', at(0))]);

  it('escalates N after posting', () => {
    expect(nextStep(posted, timing)).toEqual({ step: 'escalated', dueAt: at(30) });
  });

  it('pages M after posting when escalated on time', () => {
    const escalated = deriveAlertState('anom_1', [
      alertEvent('posted', at(0)),
      alertEvent('escalated', at(31)),
    ]);
    expect(nextStep(escalated, timing)).toEqual({ step: 'paged', dueAt: at(61) });
  });

  it('after a late escalation still gives on-call its M − N window', () => {
    const late = deriveAlertState('anom_1', [
      alertEvent('posted', at(0)),
      alertEvent('escalated', at(200)),
    ]);
    expect(nextStep(late, timing)).toEqual({ step: 'paged', dueAt: at(230) });
  });

  it('goes straight to paging at M without an on-call channel', () => {
    expect(nextStep(posted, { ...timing, escalate: false })).toEqual({
      step: 'paged',
      dueAt: at(60),
    });
  });

  it.each(['paged', 'acknowledged', 'resolved'] as const)('has nothing after %s', (last) => {
    const state = deriveAlertState('anom_1', [
      alertEvent('posted', at(0)),
      alertEvent('escalated', at(30)),
      ...(last === 'paged' ? [alertEvent('paged', at(60))] : [alertEvent(last, at(40))]),
    ]);
    expect(state.status).toBe(last);
    expect(nextStep(state, timing)).toBeNull();
  });
});

describe('alertEventSchema', () => {
  it('accepts the builder rows', () => {
    for (const step of alertSteps) {
      expect(alertEventSchema.safeParse(alertEvent(step, at(0))).success).toBe(true);
    }
  });

  it.each([
    ['a post without its message', alertEvent('posted', at(0), { messageTs: null })],
    ['an escalation without a channel', alertEvent('escalated', at(0), { channelId: null })],
    ['a page without a dedup key', alertEvent('paged', at(0), { pagerdutyDedupKey: null })],
    ['an acknowledgement without who', alertEvent('acknowledged', at(0), { actorSlackId: null })],
    ['a key that is not SHA-256 hex', alertEvent('resolved', at(0), { idempotencyKey: 'k' })],
  ])('rejects %s', (_name, event) => {
    expect(alertEventSchema.safeParse(event).success).toBe(false);
  });
});

describe('keys', () => {
  it('one step key per alert and step', () => {
    const keys = new Set(
      ['anom_1', 'anom_2'].flatMap((id) => alertSteps.map((step) => alertStepKey(id, step))),
    );
    expect(keys.size).toBe(2 * alertSteps.length);
    expect(alertStepKey('anom_1', 'paged')).toBe(alertStepKey('anom_1', 'paged'));
  });

  it('a stable, bounded PagerDuty dedup key per alert', () => {
    const key = pagerDutyDedupKey('x'.repeat(5000));
    expect(key.length).toBeLessThanOrEqual(255);
    expect(pagerDutyDedupKey('anom_1')).toBe(pagerDutyDedupKey('anom_1'));
    expect(pagerDutyDedupKey('anom_1')).not.toBe(pagerDutyDedupKey('anom_2'));
  });
});

describe('severity', () => {
  it.each([
    ['low', 'high', false],
    ['medium', 'high', false],
    ['high', 'high', true],
    ['critical', 'high', true],
    ['HIGH', 'high', true],
    ['low', 'low', true],
    ['unheard-of', 'critical', true],
  ] as const)('%s against a %s threshold: %s', (severity, min, ok) => {
    expect(meetsSeverity(severity, min)).toBe(ok);
  });

  it('maps to PagerDuty severities', () => {
    expect(['critical', 'high', 'medium', 'low', '?'].map(pagerSeverity)).toEqual([
      'critical',
      'error',
      'warning',
      'info',
      'warning',
    ]);
  });
});
