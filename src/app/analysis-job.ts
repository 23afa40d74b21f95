import { meetsSeverity, type AlertSeverity } from '../domain/alerts.js';
import type { Anomaly, Recommendation } from '../domain/analysis.js';
import { deriveState, type RecommendationEvent } from '../domain/ledger.js';
import type { AnalysisRequest } from '../domain/messages.js';
import type { RoutingTarget } from '../domain/routing.js';
import { sha256Hex } from '../domain/sha256.js';
import {
  defaultChangeThreshold,
  defaultWakeThreshold,
  materialChange,
  shouldWake,
  type MoveThreshold,
} from '../domain/snooze-wake.js';
import { msPerDay } from '../domain/timestamps.js';
import { topics } from '../domain/topology.js';
import { isAppError } from '../errors.js';
import type { Bus } from '../ports/bus.js';
import type { AckLedger } from '../ports/ledger.js';
import type { RecommendationHistory } from '../ports/recommendation-history.js';
import type {
  AnomalyStore,
  RecommendationStore,
  StoredRecommendation,
} from '../ports/recommendations.js';
import type { RunLog } from '../ports/run-log.js';
import { recordAck } from './record-ack.js';
import { runAnalysis, type RunAnalysisDeps } from './run-analysis.js';

// The analysisWorker: one AnalysisRequest → the analyzers over its scope and window → every
// finding routed and stored under run id = the message key → cards for what is new or changed,
// alerts for anomalies worth one → the run's outcome in analysis_runs.
//
// A redelivered message is the same run: the stores save a run once, "new or changed" is judged
// against the latest version stored by any other run, a woken snooze is recognised by its own
// ledger event, and the published messages carry keys derived from the run (the consumers dedupe
// on them). So every step may be repeated, and a failure anywhere throws for redelivery.
//
// A snoozed card wakes early when its saving grew past the threshold since the snooze. The
// ledger does not carry figures, so "since the snooze" is the version stored when the snooze was
// recorded. Waking is a `reopened` event by bqcost itself (reason: the growth), so the card's
// state says why it is back and the notifier posts it like any open card.

/** The actor of events bqcost records itself (never a Slack id: cards do not mention it). */
export const systemActor = 'bqcost';

export interface RouteResult {
  teamId: string;
  channelId: string;
  ownerSlackIds: readonly string[];
}

export interface AnalysisJobDeps {
  analysis: RunAnalysisDeps;
  /** Owner routing; null = nobody owns it (stored without a channel, never posted). */
  route: (target: RoutingTarget) => Promise<RouteResult | null>;
  recommendations: RecommendationStore;
  history: RecommendationHistory;
  anomalies: AnomalyStore;
  ledger: AckLedger;
  bus: Bus;
  runs: RunLog;
  clock: { now(): Date };
  wakeThreshold?: MoveThreshold;
  changeThreshold?: MoveThreshold;
  /** Anomalies at or above this severity get an alert; default `high`. */
  minAlertSeverity?: AlertSeverity;
  log?: (entry: Record<string, unknown>) => void;
}

export interface AnalysisJobResult {
  runId: string;
  recommendations: number;
  anomalies: number;
  /** Ids published for cards, by why. */
  new: string[];
  changed: string[];
  woken: string[];
  /** Routed to nobody: stored, not published. */
  unrouted: string[];
  alerts: string[];
  warnings: string[];
}

/** Ids per notification message (the schema's cap). */
const maxIdsPerMessage = 1000;
/** Routing lookups in flight (users.lookupByEmail is rate limited; its answers are cached). */
const routeConcurrency = 8;

export async function runAnalysisJob(
  deps: AnalysisJobDeps,
  request: AnalysisRequest,
): Promise<AnalysisJobResult> {
  const startedAt = deps.clock.now();
  const windowEnd = new Date(request.windowEnd);
  const windowStart = new Date(windowEnd.getTime() - request.windowDays * msPerDay);
  const run = { runId: request.key, scope: request.scope, windowStart, windowEnd, startedAt };
  try {
    const result = await analyseAndPublish(deps, request, startedAt);
    await recordRun(deps, {
      ...run,
      outcome: 'succeeded',
      recommendations: result.recommendations,
      anomalies: result.anomalies,
      errorCode: null,
      finishedAt: deps.clock.now(),
    });
    return result;
  } catch (error) {
    await recordRun(deps, {
      ...run,
      outcome: 'failed',
      recommendations: null,
      anomalies: null,
      errorCode: isAppError(error) ? error.code : 'analysis.unexpected',
      finishedAt: deps.clock.now(),
    });
    throw error;
  }
}

async function analyseAndPublish(
  deps: AnalysisJobDeps,
  request: AnalysisRequest,
  startedAt: Date,
): Promise<AnalysisJobResult> {
  const runId = request.key;
  const analysis = await runAnalysis(deps.analysis, {
    asOf: new Date(request.windowEnd),
    windowDays: request.windowDays,
    comparePrevious: false,
  });
  const inScope = scopeFilter(request.scope);
  const recommendations = analysis.result.recommendations.filter((r) => inScope.recommendation(r));
  const anomalies = analysis.result.anomalies.filter((a) => inScope.anomaly(a));

  const entries = await routeAll(deps, recommendations);
  const ids = entries.map((e) => e.recommendation.id);
  const previous = await deps.history.versionsAt(
    ids.map((id) => ({ recommendationId: id, at: startedAt })),
    runId,
  );
  await deps.recommendations.save(runId, startedAt, entries);
  await deps.anomalies.save(runId, startedAt, anomalies);

  const events = groupById(await deps.ledger.eventsFor(ids));
  const woken = await wakeSnoozed(deps, runId, entries, events);

  const result: AnalysisJobResult = {
    runId,
    recommendations: entries.length,
    anomalies: anomalies.length,
    new: [],
    changed: [],
    woken: [],
    unrouted: [],
    alerts: [],
    warnings: analysis.result.warnings,
  };
  const now = deps.clock.now();
  for (const entry of entries) {
    const id = entry.recommendation.id;
    if (entry.channelId === '') {
      result.unrouted.push(id);
      continue;
    }
    if (woken.has(id)) {
      result.woken.push(id);
      continue;
    }
    if (deriveState(events.get(id) ?? [], now).state !== 'open') continue;
    const before = previous.get(id);
    // Never posted before (unrouted until now) counts as new; a new channel as a change.
    if (before === undefined || before.channelId === '') result.new.push(id);
    else if (before.channelId !== entry.channelId) result.changed.push(id);
    else if (
      materialChange(
        before.recommendation.monthlySavingsUsd,
        entry.recommendation.monthlySavingsUsd,
        deps.changeThreshold ?? defaultChangeThreshold,
      )
    ) {
      result.changed.push(id);
    }
  }

  const publish = [...result.new, ...result.changed, ...result.woken];
  for (let i = 0; i * maxIdsPerMessage < publish.length; i++) {
    await deps.bus.publish(topics.notifications, {
      v: 1,
      type: 'notification.cards',
      key: `notify:${i}:${keyPart(runId)}`,
      publishedAt: now.toISOString(),
      runId,
      recommendationIds: publish.slice(i * maxIdsPerMessage, (i + 1) * maxIdsPerMessage),
    });
  }
  const minSeverity = deps.minAlertSeverity ?? 'high';
  for (const anomaly of anomalies) {
    if (!meetsSeverity(anomaly.severity, minSeverity)) continue;
    // One alert per anomaly, ever: the same anomaly in tomorrow's run is the same alert.
    await deps.bus.publish(topics.escalation, {
      v: 1,
      type: 'escalation.alert',
      key: `alert:${keyPart(anomaly.id)}`,
      publishedAt: now.toISOString(),
      anomalyId: anomaly.id,
    });
    result.alerts.push(anomaly.id);
  }
  deps.log?.({
    event: 'analysis_run',
    runId,
    scope: request.scope,
    recommendations: result.recommendations,
    anomalies: result.anomalies,
    new: result.new.length,
    changed: result.changed.length,
    woken: result.woken.length,
    unrouted: result.unrouted.length,
    alerts: result.alerts.length,
  });
  return result;
}

/**
 * Snoozed recommendations whose saving grew past the threshold since the snooze are reopened by
 * bqcost. Returns the ids woken by this run (including on a redelivery, when the reopen event
 * is already there).
 */
async function wakeSnoozed(
  deps: AnalysisJobDeps,
  runId: string,
  entries: readonly StoredRecommendation[],
  events: ReadonlyMap<string, RecommendationEvent[]>,
): Promise<Set<string>> {
  const now = deps.clock.now();
  const woken = new Set<string>();
  const snoozed: { entry: StoredRecommendation; since: Date }[] = [];
  for (const entry of entries) {
    const id = entry.recommendation.id;
    const own = events.get(id) ?? [];
    if (
      own.some(
        (e) =>
          e.action === 'reopened' && e.actorSlackId === systemActor && e.sourceRequestId === runId,
      )
    ) {
      woken.add(id);
      continue;
    }
    const state = deriveState(own, now);
    if (state.state === 'snoozed' && state.since !== null && entry.channelId !== '') {
      snoozed.push({ entry, since: state.since });
    }
  }
  if (snoozed.length === 0) return woken;
  const then = await deps.history.versionsAt(
    snoozed.map((s) => ({ recommendationId: s.entry.recommendation.id, at: s.since })),
    runId,
  );
  for (const { entry } of snoozed) {
    const id = entry.recommendation.id;
    const decision = shouldWake(
      then.get(id)?.recommendation.monthlySavingsUsd ?? null,
      entry.recommendation.monthlySavingsUsd,
      deps.wakeThreshold ?? defaultWakeThreshold,
    );
    if (!decision.wake) continue;
    const { outcome } = await recordAck(
      { ledger: deps.ledger, clock: deps.clock },
      {
        recommendationId: id,
        action: 'reopened',
        actorSlackId: systemActor,
        actorEmail: null,
        reason: { code: null, text: `Woken early: ${decision.reason}.` },
        snoozeUntil: null,
        teamId: entry.teamId,
        channelId: entry.channelId,
        messageTs: null,
        sourceRequestId: runId,
      },
    );
    // invalid_transition: someone acted on the card meanwhile; their action stands.
    if (outcome !== 'invalid_transition') woken.add(id);
  }
  return woken;
}

async function routeAll(
  deps: AnalysisJobDeps,
  recommendations: readonly Recommendation[],
): Promise<StoredRecommendation[]> {
  const entries: StoredRecommendation[] = new Array<StoredRecommendation>(recommendations.length);
  let next = 0;
  const worker = async () => {
    while (next < recommendations.length) {
      const i = next++;
      const recommendation = recommendations[i]!;
      const route = await deps.route({ recommendation });
      entries[i] = {
        recommendation,
        teamId: route?.teamId ?? '',
        channelId: route?.channelId ?? '',
        ownerSlackIds: route ? [...route.ownerSlackIds] : [],
      };
    }
  };
  await Promise.all(Array.from({ length: routeConcurrency }, worker));
  return entries;
}

/**
 * `org` keeps everything. `project:<id>` keeps what belongs to the project: targets in it
 * (`id`, `id.dataset`, `id.dataset.table`) and its project-scoped anomalies. User, label and
 * query-pattern findings span projects, so only an `org` run reports them.
 */
function scopeFilter(scope: string): {
  recommendation: (r: Recommendation) => boolean;
  anomaly: (a: Anomaly) => boolean;
} {
  if (scope === 'org') return { recommendation: () => true, anomaly: () => true };
  const project = scope.slice('project:'.length);
  return {
    recommendation: (r) => r.target === project || r.target.startsWith(`${project}.`),
    anomaly: (a) => a.scope === `project:${project}`,
  };
}

function groupById(events: readonly RecommendationEvent[]): Map<string, RecommendationEvent[]> {
  const byId = new Map<string, RecommendationEvent[]>();
  for (const event of events) {
    const list = byId.get(event.recommendationId);
    if (list) list.push(event);
    else byId.set(event.recommendationId, [event]);
  }
  return byId;
}

/** Message keys are ≤ 256 characters: a long id goes in as its hash. */
function keyPart(id: string): string {
  return id.length <= 200 ? id : sha256Hex(id);
}

async function recordRun(
  deps: AnalysisJobDeps,
  run: Parameters<RunLog['record']>[0],
): Promise<void> {
  try {
    await deps.runs.record(run);
  } catch (error) {
    // The run's results are stored and published; losing its history row is logged, not retried
    // (a redelivery would redo the whole analysis to write one row).
    deps.log?.({
      event: 'analysis_run_not_recorded',
      runId: run.runId,
      outcome: run.outcome,
      error: isAppError(error) ? error.code : String(error),
    });
  }
}
