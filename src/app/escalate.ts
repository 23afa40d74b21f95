import type { Anomaly } from '../domain/analysis.js';
import {
  alertEventSchema,
  alertStepKey,
  deriveAlertState,
  isOpen,
  meetsSeverity,
  nextStep,
  pagerDutyDedupKey,
  pagerSeverity,
  type AlertEvent,
  type AlertSeverity,
  type AlertState,
  type AlertStatus,
  type AlertStep,
} from '../domain/alerts.js';
import { AppError, isAppError } from '../errors.js';
import type { AlertLog } from '../ports/alerts.js';
import type { Chat, ChatMessage } from '../ports/chat.js';
import type { Pager } from '../ports/pager.js';
import type { AnomalyStore } from '../ports/recommendations.js';

// Anomaly alerts that escalate to on-call. Three entries, all driven by the alert log:
// - raiseAlert (an `escalation.alert` message): post to the owning team's channel;
// - escalationTick (an `escalation.tick` message from the scheduler): climb every open alert
//   whose next step is due — on-call channel after N minutes, PagerDuty after M;
// - acknowledgeAlert (the Acknowledge button) / resolveAlert: stop the climb.
// No timers: the tick derives each alert's state from `alert_events`, so a new process picks up
// an escalation half-way.
//
// Each step is acted on, then recorded under its key (alert id + step); the key is checked (the
// alert's rows re-read) just before acting. What remains is a race between two ticks that both
// pass the check before either has recorded: both act, one row is recorded. PagerDuty collapses a
// second trigger into the same incident (same dedup_key), so paging twice is harmless; a Slack
// post twice is a duplicate message (the unrecorded one is not updated on acknowledgement). The
// window is one post plus one append (about a second), and ticks sharing an AlertLog are
// serialised below; deployed with at most one escalation instance, two ticks only overlap when
// the scheduler fires while Pub/Sub redelivers an earlier tick to a second instance. Recording first (a claim) would close the window but
// turn a failed post into a lost escalation — worse for on-call than a duplicate message.

export interface EscalationPolicy {
  escalateAfterMs: number;
  pageAfterMs: number;
  minSeverity: AlertSeverity;
  /** Null: no on-call channel stage (posted → paged). */
  onCallChannelId: string | null;
  /** Slack user group id (S…) mentioned in the on-call post. */
  onCallUsergroupId: string | null;
}

export interface EscalationSettings {
  escalateAfterMin: number;
  pageAfterMin: number;
  minSeverity: AlertSeverity;
  onCallChannelId?: string | undefined;
  onCallUsergroupId?: string | undefined;
}

/** From config; refuses a page that would come before the escalation. */
export function escalationPolicy(settings: EscalationSettings): EscalationPolicy {
  const { escalateAfterMin: n, pageAfterMin: m } = settings;
  if (!(n > 0) || !(m > 0) || m < n) {
    throw new AppError(
      'config.invalid',
      `escalation timing: BQCOST_PAGE_AFTER_MIN (${m}) must be ≥ BQCOST_ESCALATE_AFTER_MIN (${n}) > 0`,
    );
  }
  if (settings.onCallUsergroupId && !/^S[A-Z0-9]+$/.test(settings.onCallUsergroupId)) {
    throw new AppError('config.invalid', 'BQCOST_ONCALL_USERGROUP must be a user group id (S…)');
  }
  return {
    escalateAfterMs: n * 60_000,
    pageAfterMs: m * 60_000,
    minSeverity: settings.minSeverity,
    onCallChannelId: settings.onCallChannelId || null,
    onCallUsergroupId: settings.onCallUsergroupId || null,
  };
}

export interface AlertMessageInput {
  alertId: string;
  /** Null when the anomaly is no longer stored: the message says so instead of inventing data. */
  anomaly: Anomaly | null;
  audience: 'team' | 'oncall';
  status: AlertStatus;
  onCallUsergroupId: string | null;
  acknowledgedBy: string | null;
}

/** Block Kit for an alert message (handlers/blocks/anomaly-alert.ts, injected). */
export type AlertRenderer = (input: AlertMessageInput) => ChatMessage;

export interface EscalationDeps {
  alerts: AlertLog;
  anomalies: AnomalyStore;
  chat: Chat;
  /** Null without a PagerDuty routing key: paging is skipped and reported. */
  pager: Pager | null;
  /** Owner routing: the channel of the team owning a scope; null = nobody owns it. */
  route: (scope: string) => Promise<{ channelId: string } | null>;
  render: AlertRenderer;
  policy: EscalationPolicy;
  clock: { now(): Date };
  log?: (entry: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
}

// Ticks and raises sharing an alert log run one at a time (mutual exclusion, not timing).
const queues = new WeakMap<AlertLog, Promise<unknown>>();

function serialised<T>(alerts: AlertLog, run: () => Promise<T>): Promise<T> {
  const previous = queues.get(alerts) ?? Promise.resolve();
  const next = previous.then(run, run);
  queues.set(
    alerts,
    next.catch(() => undefined),
  );
  return next;
}

export type RaiseOutcome = 'posted' | 'duplicate' | 'below_threshold' | 'not_found' | 'unrouted';

export function raiseAlert(
  deps: EscalationDeps,
  anomalyId: string,
): Promise<{ outcome: RaiseOutcome; channelId?: string }> {
  return serialised(deps.alerts, async () => {
    const stored = await deps.anomalies.find(anomalyId);
    if (stored === null) return { outcome: 'not_found' };
    const { anomaly } = stored;
    if (!meetsSeverity(anomaly.severity, deps.policy.minSeverity)) {
      return { outcome: 'below_threshold' };
    }
    const state = await stateOf(deps, anomalyId);
    if (state.status !== 'none') return { outcome: 'duplicate' };
    const routed = await deps.route(anomaly.scope);
    const channelId = routed?.channelId ?? deps.policy.onCallChannelId;
    if (!channelId) {
      deps.log?.({ event: 'alert_unrouted', alertId: anomalyId, scope: anomaly.scope });
      return { outcome: 'unrouted' };
    }
    const message = deps.render({
      alertId: anomalyId,
      anomaly,
      audience: routed ? 'team' : 'oncall',
      status: 'posted',
      onCallUsergroupId: routed ? null : deps.policy.onCallUsergroupId,
      acknowledgedBy: null,
    });
    const { ts } = await deps.chat.postMessage(channelId, message);
    await record(deps, {
      ...blank(anomalyId, 'posted', deps.clock.now()),
      channelId,
      messageTs: ts,
    });
    deps.log?.({ event: 'alert_posted', alertId: anomalyId, channelId });
    return { outcome: 'posted', channelId };
  });
}

export interface TickResult {
  escalated: string[];
  paged: string[];
  /** Due for a page, but no PagerDuty routing key is configured. */
  pagingSkipped: string[];
  /** Another tick got there first (its row appeared between our read and our write). */
  duplicates: string[];
  failed: { alertId: string; code: string; retryable: boolean }[];
  /** Open alerts whose next step is not due yet. */
  waiting: number;
}

export function escalationTick(deps: EscalationDeps): Promise<TickResult> {
  return serialised(deps.alerts, async () => {
    const result: TickResult = {
      escalated: [],
      paged: [],
      pagingSkipped: [],
      duplicates: [],
      failed: [],
      waiting: 0,
    };
    const events = await deps.alerts.openAlertEvents();
    const ids = [...new Set(events.map((e) => e.alertId))].sort();
    for (const alertId of ids) {
      const due = dueStep(deps, deriveAlertState(alertId, events));
      if (due === null) {
        result.waiting++;
        continue;
      }
      try {
        // Check the key again right before acting: an acknowledgement or another tick may have
        // landed since the open alerts were read.
        const state = await stateOf(deps, alertId);
        if (dueStep(deps, state) !== due) {
          result.duplicates.push(alertId);
          continue;
        }
        const outcome = due === 'escalated' ? await escalate(deps, state) : await page(deps, state);
        if (outcome === 'skipped') result.pagingSkipped.push(alertId);
        else if (outcome === 'duplicate') result.duplicates.push(alertId);
        else result[due === 'escalated' ? 'escalated' : 'paged'].push(alertId);
      } catch (error) {
        const code = isAppError(error) ? error.code : 'escalation.failed';
        const retryable = isAppError(error) ? error.retryable : true;
        deps.log?.({ event: 'alert_step_failed', alertId, step: due, code, retryable });
        result.failed.push({ alertId, code, retryable });
      }
    }
    if (result.pagingSkipped.length > 0) {
      deps.log?.({
        event: 'paging_skipped',
        reason: 'no PagerDuty routing key configured',
        alertIds: result.pagingSkipped,
      });
    }
    return result;
  });
}

function dueStep(deps: EscalationDeps, state: AlertState): 'escalated' | 'paged' | null {
  if (!isOpen(state.status)) return null;
  const next = nextStep(state, {
    escalateAfterMs: deps.policy.escalateAfterMs,
    pageAfterMs: deps.policy.pageAfterMs,
    // An alert nobody owns was posted to on-call in the first place: no second post there.
    escalate:
      deps.policy.onCallChannelId !== null &&
      !state.messages.some((m) => m.channelId === deps.policy.onCallChannelId),
  });
  return next !== null && next.dueAt <= deps.clock.now() ? next.step : null;
}

async function escalate(deps: EscalationDeps, state: AlertState): Promise<'done' | 'duplicate'> {
  const channelId = deps.policy.onCallChannelId!;
  const anomaly = (await deps.anomalies.find(state.alertId))?.anomaly ?? null;
  const { ts } = await deps.chat.postMessage(
    channelId,
    deps.render({
      alertId: state.alertId,
      anomaly,
      audience: 'oncall',
      status: 'escalated',
      onCallUsergroupId: deps.policy.onCallUsergroupId,
      acknowledgedBy: null,
    }),
  );
  const event = {
    ...blank(state.alertId, 'escalated', deps.clock.now()),
    channelId,
    messageTs: ts,
  };
  const { recorded } = await record(deps, event);
  if (!recorded) return 'duplicate';
  deps.log?.({ event: 'alert_escalated', alertId: state.alertId, channelId });
  await refresh(deps, await stateOf(deps, state.alertId));
  return 'done';
}

async function page(
  deps: EscalationDeps,
  state: AlertState,
): Promise<'done' | 'duplicate' | 'skipped'> {
  if (deps.pager === null) return 'skipped';
  const anomaly = (await deps.anomalies.find(state.alertId))?.anomaly ?? null;
  const dedupKey = pagerDutyDedupKey(state.alertId);
  await deps.pager.trigger({
    dedupKey,
    summary: anomaly
      ? `BigQuery cost anomaly: ${anomaly.scope} spent $${anomaly.usd.toFixed(2)} on ${anomaly.day} (expected $${anomaly.expectedUsd.toFixed(2)})`
      : `BigQuery cost anomaly ${state.alertId} not acknowledged`,
    severity: pagerSeverity(anomaly?.severity ?? 'medium'),
    source: 'bqcost',
    details: {
      alertId: state.alertId,
      ...(anomaly ? { scope: anomaly.scope, day: anomaly.day, severity: anomaly.severity } : {}),
      slackChannels: state.messages.map((m) => m.channelId),
    },
  });
  const event = { ...blank(state.alertId, 'paged', deps.clock.now()), pagerdutyDedupKey: dedupKey };
  const { recorded } = await record(deps, event);
  if (!recorded) return 'duplicate';
  deps.log?.({ event: 'alert_paged', alertId: state.alertId });
  await refresh(deps, await stateOf(deps, state.alertId));
  return 'done';
}

export interface AcknowledgeInput {
  alertId: string;
  actorSlackId: string;
  /** Where the button was clicked: must be one of the alert's own messages' channels. */
  channelId: string;
}

export type PagerOutcome = 'acknowledged' | 'resolved' | 'not_paged' | 'skipped' | 'failed';

export interface AcknowledgeResult {
  outcome: 'acknowledged' | 'already_acknowledged' | 'resolved' | 'not_found' | 'wrong_place';
  state: AlertState | null;
  pagerDuty: PagerOutcome;
  /** Alert messages that could not be updated (reported through log; the row is recorded). */
  updateFailures: number;
}

/**
 * Anyone in a channel the alert was posted to may acknowledge it: alerts go to the team that owns
 * the spend and to on-call, and either may stop the climb. The button value is only a hint; the
 * alert is reloaded and the click's channel checked against its messages.
 */
export async function acknowledgeAlert(
  deps: EscalationDeps,
  input: AcknowledgeInput,
): Promise<AcknowledgeResult> {
  const events = await deps.alerts.eventsFor([input.alertId]);
  const state = deriveAlertState(input.alertId, events);
  const none = { pagerDuty: 'not_paged' as const, updateFailures: 0 };
  if (state.status === 'none') return { outcome: 'not_found', state: null, ...none };
  if (!state.messages.some((m) => m.channelId === input.channelId)) {
    return { outcome: 'wrong_place', state: null, ...none };
  }
  if (state.status === 'acknowledged') return { outcome: 'already_acknowledged', state, ...none };
  if (state.status === 'resolved') return { outcome: 'resolved', state, ...none };

  const event = {
    ...blank(input.alertId, 'acknowledged', causalTime(deps.clock.now(), events)),
    actorSlackId: input.actorSlackId,
  };
  const { recorded } = await record(deps, event);
  if (!recorded) {
    const current = await stateOf(deps, input.alertId);
    return { outcome: 'already_acknowledged', state: current, ...none };
  }
  const after = deriveAlertState(input.alertId, [...events, event]);
  deps.log?.({ event: 'alert_acknowledged', alertId: input.alertId, by: input.actorSlackId });
  const pagerDuty = await tellPager(deps, after, 'acknowledge');
  const updateFailures = await refresh(deps, after);
  return { outcome: 'acknowledged', state: after, pagerDuty, updateFailures };
}

/** The anomaly is gone (or handled): close the alert, and its incident if it was paged. */
export async function resolveAlert(
  deps: EscalationDeps,
  alertId: string,
): Promise<{ outcome: 'resolved' | 'not_open' | 'not_found'; pagerDuty: PagerOutcome }> {
  const events = await deps.alerts.eventsFor([alertId]);
  const state = deriveAlertState(alertId, events);
  if (state.status === 'none') return { outcome: 'not_found', pagerDuty: 'not_paged' };
  if (state.status === 'resolved') return { outcome: 'not_open', pagerDuty: 'not_paged' };
  const event = blank(alertId, 'resolved', causalTime(deps.clock.now(), events));
  const { recorded } = await record(deps, event);
  if (!recorded) return { outcome: 'not_open', pagerDuty: 'not_paged' };
  const after = deriveAlertState(alertId, [...events, event]);
  const pagerDuty = await tellPager(deps, after, 'resolve');
  await refresh(deps, after);
  return { outcome: 'resolved', pagerDuty };
}

export interface AnalysisCoverage {
  /** The analysis window: days in [start, end) were looked at. */
  windowStart: Date;
  windowEnd: Date;
  /** Every anomaly id the run found. */
  anomalyIds: readonly string[];
}

/**
 * After an analysis run: an open alert whose anomaly's day the run covered, but which the run did
 * not find again, is resolved (the data changed: a late job, a corrected label). An alert whose
 * day is outside the run's window is left alone — not looking is not the same as not finding.
 */
export async function resolveGoneAlerts(
  deps: EscalationDeps,
  run: AnalysisCoverage,
): Promise<{ resolved: string[]; failed: string[] }> {
  const found = new Set(run.anomalyIds);
  // Acknowledged alerts too: a paged incident stays open in PagerDuty until it is resolved.
  const events = await deps.alerts.openAlertEvents({ includeAcknowledged: true });
  const resolved: string[] = [];
  const failed: string[] = [];
  for (const alertId of [...new Set(events.map((e) => e.alertId))].sort()) {
    if (found.has(alertId)) continue;
    const stored = await deps.anomalies.find(alertId);
    if (stored === null) continue;
    const day = Date.parse(`${stored.anomaly.day}T00:00:00Z`);
    if (!(day >= run.windowStart.getTime() && day < run.windowEnd.getTime())) continue;
    try {
      if ((await resolveAlert(deps, alertId)).outcome === 'resolved') resolved.push(alertId);
    } catch (error) {
      failed.push(alertId);
      deps.log?.({
        event: 'alert_resolve_failed',
        alertId,
        code: isAppError(error) ? error.code : 'alerts.failed',
      });
    }
  }
  return { resolved, failed };
}

async function tellPager(
  deps: EscalationDeps,
  state: AlertState,
  action: 'acknowledge' | 'resolve',
): Promise<PagerOutcome> {
  if (state.pagerdutyDedupKey === null) return 'not_paged';
  if (deps.pager === null) return 'skipped';
  try {
    await deps.pager[action](state.pagerdutyDedupKey);
    return action === 'acknowledge' ? 'acknowledged' : 'resolved';
  } catch (error) {
    // The acknowledgement is recorded and the climb stopped; only the incident stays open.
    deps.log?.({
      event: 'pagerduty_update_failed',
      alertId: state.alertId,
      action,
      code: isAppError(error) ? error.code : 'pager.failed',
    });
    return 'failed';
  }
}

/** Re-renders every message of the alert for its state; returns how many updates failed. */
async function refresh(deps: EscalationDeps, state: AlertState): Promise<number> {
  const anomaly = (await deps.anomalies.find(state.alertId).catch(() => null))?.anomaly ?? null;
  let failures = 0;
  for (const m of state.messages) {
    try {
      await deps.chat.update(
        m.channelId,
        m.messageTs,
        deps.render({
          alertId: state.alertId,
          anomaly,
          audience: m.channelId === deps.policy.onCallChannelId ? 'oncall' : m.audience,
          status: state.status,
          onCallUsergroupId: null,
          acknowledgedBy: state.acknowledgedBy,
        }),
      );
    } catch (error) {
      failures++;
      deps.log?.({
        event: 'alert_update_failed',
        alertId: state.alertId,
        channelId: m.channelId,
        code: isAppError(error) ? error.code : 'chat.failed',
      });
    }
  }
  return failures;
}

async function stateOf(deps: EscalationDeps, alertId: string): Promise<AlertState> {
  return deriveAlertState(alertId, await deps.alerts.eventsFor([alertId]));
}

function blank(alertId: string, step: AlertStep, occurredAt: Date): AlertEvent {
  return {
    alertId,
    step,
    channelId: null,
    messageTs: null,
    actorSlackId: null,
    pagerdutyDedupKey: null,
    idempotencyKey: alertStepKey(alertId, step),
    occurredAt,
  };
}

/** A step made against a state sorts after the rows that state came from (clock skew). */
function causalTime(now: Date, events: readonly AlertEvent[]): Date {
  const last = Math.max(0, ...events.map((e) => e.occurredAt.getTime()));
  return new Date(Math.max(now.getTime(), last + 1));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Appends with up to 3 attempts of the same row (a write that did land makes the retry a no-op).
 * After an action this matters: an unrecorded post is posted again by the next tick.
 */
async function record(deps: EscalationDeps, event: AlertEvent): Promise<{ recorded: boolean }> {
  const parsed = alertEventSchema.parse(event);
  const sleep = deps.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.alerts.append(parsed);
    } catch (error) {
      const retryable = isAppError(error) ? error.retryable : true;
      if (!retryable || attempt >= 3) {
        throw new AppError('alerts.record_failed', `cannot record ${event.step}`, {
          cause: error,
          retryable,
        });
      }
      await sleep(100 * 2 ** (attempt - 1));
    }
  }
}
