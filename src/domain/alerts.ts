import { z } from 'zod';
import { sha256Hex } from './sha256.js';

// Anomaly alerts that climb: posted to the owning team's channel → escalated to the on-call
// channel → paged (PagerDuty) unless someone acknowledges first; resolved when the anomaly is
// gone. Every step is a row in `alert_events` (append-only, like the acknowledgement ledger);
// the alert's state is derived from its rows, never stored, so a cold start loses nothing: the
// next scheduler tick reads the rows and carries on where the last process stopped.

export const alertSteps = ['posted', 'escalated', 'paged', 'acknowledged', 'resolved'] as const;
export type AlertStep = (typeof alertSteps)[number];

export type AlertStatus = 'none' | AlertStep;

/** The analyzers' severities, mildest first (analyzers/cost-anomalies.ts). */
export const alertSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

export const alertEventSchema = z
  .object({
    /** The anomaly id: one alert per anomaly, ever. */
    alertId: z.string().min(1),
    step: z.enum(alertSteps),
    channelId: z.string().min(1).nullable(),
    messageTs: z.string().min(1).nullable(),
    actorSlackId: z.string().min(1).nullable(),
    pagerdutyDedupKey: z.string().min(1).max(255).nullable(),
    idempotencyKey: z.string().regex(/^[0-9a-f]{64}$/),
    occurredAt: z.date(),
  })
  .superRefine((e, ctx) => {
    const posts = e.step === 'posted' || e.step === 'escalated';
    if (posts && (e.channelId === null || e.messageTs === null)) {
      ctx.addIssue({ code: 'custom', path: ['messageTs'], message: 'a post needs its message' });
    }
    if (e.step === 'paged' && e.pagerdutyDedupKey === null) {
      ctx.addIssue({ code: 'custom', path: ['pagerdutyDedupKey'], message: 'a page needs a key' });
    }
    if (e.step === 'acknowledged' && e.actorSlackId === null) {
      ctx.addIssue({ code: 'custom', path: ['actorSlackId'], message: 'who acknowledged?' });
    }
  });
export type AlertEvent = z.infer<typeof alertEventSchema>;

/**
 * One key per alert and step: each step happens at most once per alert (a second acknowledgement
 * by someone else is the same intent — stop the climb — and is answered, not recorded).
 */
export function alertStepKey(alertId: string, step: AlertStep): string {
  return sha256Hex(JSON.stringify(['bqcost.alert.v1', alertId, step]));
}

/** PagerDuty's dedup_key (≤ 255 chars): the same incident for trigger, acknowledge and resolve. */
export function pagerDutyDedupKey(alertId: string): string {
  return `bqcost-anomaly-${sha256Hex(alertId).slice(0, 40)}`;
}

export interface AlertMessageRef {
  /** Which stage posted it: the team's channel or the on-call channel. */
  audience: 'team' | 'oncall';
  channelId: string;
  messageTs: string;
}

export interface AlertState {
  alertId: string;
  status: AlertStatus;
  postedAt: Date | null;
  escalatedAt: Date | null;
  pagedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  /** Every Slack message of the alert, to update when it is acknowledged or resolved. */
  messages: AlertMessageRef[];
  /** Set once paged: PagerDuty then needs an acknowledge / resolve with this key. */
  pagerdutyDedupKey: string | null;
}

// posted → paged directly when no on-call channel is configured (policy.escalate false).
const transitions: Record<AlertStatus, readonly AlertStep[]> = {
  none: ['posted'],
  posted: ['escalated', 'paged', 'acknowledged', 'resolved'],
  escalated: ['paged', 'acknowledged', 'resolved'],
  paged: ['acknowledged', 'resolved'],
  acknowledged: ['resolved'],
  resolved: [],
};

export function allowedAlertStep(current: AlertStatus, step: AlertStep): boolean {
  return transitions[current].includes(step);
}

/** Open alerts still climb (or wait to be acknowledged); closed ones are done. */
export function isOpen(status: AlertStatus): boolean {
  return status === 'posted' || status === 'escalated' || status === 'paged';
}

/**
 * The alert's state from its rows: once per idempotency key (readers dedupe), in time order,
 * skipping rows that are not a valid step from the state so far (a late duplicate page after an
 * acknowledgement changes nothing).
 */
export function deriveAlertState(alertId: string, events: readonly AlertEvent[]): AlertState {
  const seen = new Set<string>();
  const mine = events
    .filter((e) => e.alertId === alertId)
    .filter((e) => (seen.has(e.idempotencyKey) ? false : (seen.add(e.idempotencyKey), true)))
    .sort(
      (a, b) =>
        a.occurredAt.getTime() - b.occurredAt.getTime() ||
        alertSteps.indexOf(a.step) - alertSteps.indexOf(b.step),
    );
  const state: AlertState = {
    alertId,
    status: 'none',
    postedAt: null,
    escalatedAt: null,
    pagedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    messages: [],
    pagerdutyDedupKey: null,
  };
  for (const e of mine) {
    if (!allowedAlertStep(state.status, e.step)) continue;
    state.status = e.step;
    switch (e.step) {
      case 'posted':
      case 'escalated':
        if (e.step === 'posted') state.postedAt = e.occurredAt;
        else state.escalatedAt = e.occurredAt;
        if (e.channelId !== null && e.messageTs !== null) {
          state.messages.push({
            audience: e.step === 'posted' ? 'team' : 'oncall',
            channelId: e.channelId,
            messageTs: e.messageTs,
          });
        }
        break;
      case 'paged':
        state.pagedAt = e.occurredAt;
        state.pagerdutyDedupKey = e.pagerdutyDedupKey;
        break;
      case 'acknowledged':
        state.acknowledgedAt = e.occurredAt;
        state.acknowledgedBy = e.actorSlackId;
        break;
      case 'resolved':
        state.resolvedAt = e.occurredAt;
        break;
    }
  }
  return state;
}

export interface EscalationTiming {
  /** Not acknowledged this long after posting → the on-call channel (N minutes). */
  escalateAfterMs: number;
  /** Not acknowledged this long after posting → PagerDuty (M minutes, M ≥ N). */
  pageAfterMs: number;
  /** False when no on-call channel is configured: the climb goes from posted to paged. */
  escalate: boolean;
}

export interface DueStep {
  step: 'escalated' | 'paged';
  dueAt: Date;
}

/**
 * The next climbing step and when it is due, or null for a closed or fully climbed alert. One
 * step at a time: a tick that finds an alert overdue for both (after an outage) escalates now and
 * pages later. The page is due M after posting but never sooner than M − N after the escalation
 * was really posted, so a late tick never takes the on-call channel's window away.
 */
export function nextStep(state: AlertState, timing: EscalationTiming): DueStep | null {
  if (state.postedAt === null) return null;
  const posted = state.postedAt.getTime();
  if (state.status === 'posted') {
    if (timing.escalate) {
      return { step: 'escalated', dueAt: new Date(posted + timing.escalateAfterMs) };
    }
    return { step: 'paged', dueAt: new Date(posted + timing.pageAfterMs) };
  }
  if (state.status === 'escalated' && state.escalatedAt !== null) {
    const onCallWindow = Math.max(0, timing.pageAfterMs - timing.escalateAfterMs);
    const dueAt = Math.max(posted + timing.pageAfterMs, state.escalatedAt.getTime() + onCallWindow);
    return { step: 'paged', dueAt: new Date(dueAt) };
  }
  return null;
}

/** Unknown severities count as meeting the threshold: better one alert too many than a miss. */
export function meetsSeverity(severity: string, min: AlertSeverity): boolean {
  const rank = alertSeverities.indexOf(severity.toLowerCase() as AlertSeverity);
  return rank === -1 || rank >= alertSeverities.indexOf(min);
}

/** PagerDuty's severities for ours. */
export function pagerSeverity(severity: string): 'critical' | 'error' | 'warning' | 'info' {
  switch (severity.toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'error';
    case 'low':
      return 'info';
    default:
      return 'warning';
  }
}
