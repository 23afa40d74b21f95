import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { analyzers } from '../analyzers/index.js';
import {
  createSlackApp,
  createSocketModeApp,
  type ListenerDeps,
  type SlackApp,
  type SocketModeSlackApp,
} from '../handlers/app.js';
import { anomalyAlertMessage } from '../handlers/blocks/anomaly-alert.js';
import { renderAnswer } from '../handlers/commands/bqcost.js';
import { digestMessage } from '../handlers/blocks/digest.js';
import { recommendationCard } from '../handlers/blocks/recommendation-card.js';
import { BigQueryAlertLog } from './adapters/bigquery/bigquery-alerts.js';
import { BigQueryDedupeStore } from './adapters/bigquery/bigquery-dedupe.js';
import { BigQueryLedger } from './adapters/bigquery/bigquery-ledger.js';
import {
  BigQueryAnomalyStore,
  BigQueryRecommendationStore,
  BigQueryRunLog,
} from './adapters/bigquery/bigquery-recommendations.js';
import { BigQuerySlackPosts } from './adapters/bigquery/bigquery-slack-posts.js';
import { createBigQueryWarehouse } from './adapters/bigquery/bigquery-warehouse.js';
import { DuckDbAlertLog } from './adapters/duckdb/duckdb-alerts.js';
import { DuckDbDedupeStore } from './adapters/duckdb/duckdb-dedupe.js';
import { DuckDbLedger } from './adapters/duckdb/duckdb-ledger.js';
import {
  DuckDbAnomalyStore,
  DuckDbRecommendationStore,
  DuckDbRunLog,
} from './adapters/duckdb/duckdb-recommendations.js';
import { DuckDbSlackPosts } from './adapters/duckdb/duckdb-slack-posts.js';
import { DuckDbWarehouse } from './adapters/duckdb/duckdb-warehouse.js';
import { PagerDutyPager } from './adapters/pagerduty/pagerduty-pager.js';
import type { HandleMessageDeps, MessageHandler } from './adapters/pubsub/handle-message.js';
import { SlackWebChat } from './adapters/slack/web-chat.js';
import { runAnalysisJob, type AnalysisJobDeps, type RouteResult } from './app/analysis-job.js';
import { answerQuery, type CostQuery } from './app/answer-query.js';
import {
  escalationPolicy,
  escalationTick,
  raiseAlert,
  resolveGoneAlerts,
  type EscalationDeps,
} from './app/escalate.js';
import { notify, type NotifyDeps } from './app/notify.js';
import {
  createOwnerRouter,
  routingConfigFrom,
  type OwnerRoute,
  type OwnerRouter,
} from './app/owner-routing.js';
import { createPacer, type Pacer } from './app/pacer.js';
import { ledgeredPostOnce, sendDigest } from './app/send-digest.js';
import { digestChannelsFromRouting, type RealizedLine } from './domain/digest.js';
import type { RunAnalysisDeps } from './app/run-analysis.js';
import type { Config } from './config.js';
import { AppError, badInput } from './errors.js';
import type { PricingContext } from './domain/pricing.js';
import type { RoutingConfig, RoutingTarget } from './domain/routing.js';
import { topics, type TopicId } from './domain/topology.js';
import { createInspector } from './cli/compose.js';
import { loadPricing } from './cli/pricing.js';
import { createLogger, countMetric, type Logger } from './logger.js';
import type { AlertLog } from './ports/alerts.js';
import type { Bus } from './ports/bus.js';
import type { Pager } from './ports/pager.js';
import type { Chat } from './ports/chat.js';
import type { DedupeStore } from './ports/dedupe.js';
import type { AckLedger } from './ports/ledger.js';
import type { RecommendationHistory } from './ports/recommendation-history.js';
import type { AnomalyStore, RecommendationStore } from './ports/recommendations.js';
import type { RunLog } from './ports/run-log.js';
import type { SlackPosts } from './ports/slack-posts.js';
import type { Warehouse } from './ports/warehouse.js';

// Which adapter implements which port, for every way bqcost runs: the Cloud Functions entry
// points (src/index.ts) and the local stack (`bqcost start`). One builder, so the deployed
// functions and `npm start` run the same handlers and use cases and differ only in adapters:
// BigQuery or DuckDB, Pub/Sub or the in-process bus, Slack's Web API or the local transcript.

export interface Stores {
  recommendations: RecommendationStore & RecommendationHistory;
  anomalies: AnomalyStore;
  runs: RunLog;
  ledger: AckLedger;
  alerts: AlertLog;
  dedupe: DedupeStore;
  posts: SlackPosts;
}

export interface RuntimeOptions {
  config: Config;
  /** The bus messages are published to (Pub/Sub, the emulator or the in-process bus). */
  bus: Bus;
  /** Default: Slack's Web API with SLACK_BOT_TOKEN. */
  chat?: Chat;
  logger?: Logger;
  clock?: { now(): Date };
  /** Escalation ticks may run on a different clock (the local demo fast-forwards it). */
  escalationClock?: { now(): Date };
  /** Routing rules already read (the local stack needs them first); default: from config. */
  routing?: RoutingConfig | null;
  /** Default: PagerDuty with PAGERDUTY_ROUTING_KEY, else none (paging skipped and logged). */
  pager?: Pager | null;
  /**
   * Cloud Functions: nothing runs after an HTTP response, so a /bqcost answer slower than
   * `answerBudgetMs` is published to the notifier, which answers through response_url.
   * The long-running local server finishes it in the background instead.
   */
  deferSlowAnswers?: boolean;
  answerBudgetMs?: number;
  /** An already open embedded warehouse (the CLI opened it to seed the demo). */
  duckdb?: DuckDbWarehouse;
}

export interface Runtime {
  config: Config;
  logger: Logger;
  warehouse: Warehouse;
  pricing: PricingContext;
  chat: Chat;
  bus: Bus;
  stores: Stores;
  router: OwnerRouter | null;
  pacer: Pacer;
  /** One handler per topic: what each worker entry point runs for a decoded message. */
  handlers: { [T in TopicId]: MessageHandler<T> };
  /** For handleMessage / handleCloudEvent: dedupe, logging, message age. */
  messageDeps: HandleMessageDeps;
  /** What the analysis worker runs with (thresholds, alert severity …). */
  analysisJob: AnalysisJobDeps;
  escalation: EscalationDeps;
  /** The Bolt app (needs SLACK_SIGNING_SECRET; the bot token is only for Slack's Web API). */
  slackApp(options?: { signingSecret?: string; botToken?: string }): SlackApp;
  /** The same listeners over Socket Mode (SLACK_APP_TOKEN, xapp-…): no public URL; local runs. */
  socketModeApp(options?: { appToken?: string; botToken?: string }): SocketModeSlackApp;
  close(): Promise<void>;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, bus } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const logger =
    options.logger ??
    createLogger({
      level: config.BQCOST_LOG_LEVEL,
      secrets: [
        config.SLACK_BOT_TOKEN,
        config.SLACK_SIGNING_SECRET,
        config.SLACK_APP_TOKEN,
        config.PAGERDUTY_ROUTING_KEY,
      ],
      ...(config.GOOGLE_CLOUD_PROJECT ? { projectId: config.GOOGLE_CLOUD_PROJECT } : {}),
    });
  const pricing = loadPricing(config.BQCOST_REGION, config.BQCOST_PRICING_FILE);
  const chat = options.chat ?? new SlackWebChat(config.SLACK_BOT_TOKEN ?? '');
  const { warehouse, stores, close, prepareAnalysis } =
    config.BQCOST_WAREHOUSE === 'bigquery'
      ? await bigQueryBackend(config, clock)
      : await duckDbBackend(options.duckdb ?? (await DuckDbWarehouse.open(config.BQCOST_DB)), {
          owned: options.duckdb === undefined,
        });

  // Accepted cards are a business metric; the ledger is where an acceptance becomes true.
  const ledger = stores.ledger;
  stores.ledger = {
    eventsFor: (ids) => ledger.eventsFor(ids),
    append: async (event) => {
      const result = await ledger.append(event);
      if (result.recorded && event.action === 'accepted') {
        countMetric(
          logger,
          'recommendation_accepted',
          { recommendationId: event.recommendationId },
          'recommendation accepted',
        );
      }
      return result;
    },
  };

  const routing = options.routing !== undefined ? options.routing : readRouting(config);
  const router = routing ? createOwnerRouter({ config: routing, chat }) : null;
  const pacer = createPacer({
    onRateLimited: (channel, retryAfterSeconds) =>
      countMetric(logger, 'slack_rate_limited', { channel, retryAfterSeconds }, 'slack: 429'),
  });
  const analysis: RunAnalysisDeps = {
    warehouse,
    pricing,
    // One parser per process (WebAssembly): `bqcost start` has loaded it for the report already.
    inspector: await createInspector(),
    analyzers,
  };
  const teamId = config.SLACK_TEAM_ID;
  const warnUnresolved = (routed: OwnerRoute): OwnerRoute => {
    if (routed.unresolvedOwners.length > 0) {
      logger.warn(
        { unresolvedOwners: routed.unresolvedOwners },
        'routing: owners no Slack user has (is the routing file out of date?)',
      );
    }
    return routed;
  };
  const route = async (target: RoutingTarget): Promise<RouteResult | null> => {
    if (!router) return null;
    const routed = warnUnresolved(await router.route(target));
    return { teamId, channelId: routed.channelId, ownerSlackIds: routed.ownerSlackIds };
  };

  // Alerts share the per-channel pace with cards and digests (a burst of anomalies on a busy
  // morning must not trip Slack's 1 message/s/channel).
  const pacedChat: Chat = {
    postMessage: (channel, message) =>
      pacer.pace(channel, () => chat.postMessage(channel, message)),
    postEphemeral: (channel, user, message) => chat.postEphemeral(channel, user, message),
    update: (channel, ts, message) => chat.update(channel, ts, message),
    respond: (url, message) => chat.respond(url, message),
    openView: (trigger, view) => chat.openView(trigger, view),
    userEmail: (user) => chat.userEmail(user),
    lookupUserByEmail: (email) => chat.lookupUserByEmail(email),
    userGroupMembers: (group) => chat.userGroupMembers(group),
    publishHomeView: (user, view) => chat.publishHomeView(user, view),
  };
  const escalation: EscalationDeps = {
    alerts: stores.alerts,
    anomalies: stores.anomalies,
    chat: pacedChat,
    pager:
      options.pager !== undefined
        ? options.pager
        : config.PAGERDUTY_ROUTING_KEY
          ? new PagerDutyPager(config.PAGERDUTY_ROUTING_KEY)
          : null,
    route: async (scope) =>
      router ? { channelId: warnUnresolved(await router.routeScope(scope)).channelId } : null,
    render: anomalyAlertMessage,
    policy: escalationPolicy({
      escalateAfterMin: config.BQCOST_ESCALATE_AFTER_MIN,
      pageAfterMin: config.BQCOST_PAGE_AFTER_MIN,
      minSeverity: config.BQCOST_ALERT_MIN_SEVERITY,
      onCallChannelId: config.BQCOST_ONCALL_CHANNEL,
      onCallUsergroupId: config.BQCOST_ONCALL_USERGROUP,
    }),
    clock: options.escalationClock ?? clock,
    log: (entry) => {
      const event = String(entry.event ?? '');
      if (event === 'alert_escalated' || event === 'alert_paged') {
        countMetric(logger, 'escalated', entry, event);
      } else {
        logger.info(entry, event || 'escalation');
      }
    },
  };

  const answerDeps = {
    ...analysis,
    recommendations: stores.recommendations,
    ledger: stores.ledger,
    clock,
  };
  const jobDeps: AnalysisJobDeps = {
    analysis,
    route,
    recommendations: stores.recommendations,
    history: stores.recommendations,
    anomalies: stores.anomalies,
    ledger: stores.ledger,
    bus,
    runs: stores.runs,
    clock,
    minAlertSeverity: config.BQCOST_ALERT_MIN_SEVERITY,
    wakeThreshold: {
      ratio: config.BQCOST_WAKE_GROWTH_RATIO,
      usd: config.BQCOST_WAKE_GROWTH_USD,
    },
    changeThreshold: {
      ratio: config.BQCOST_REPOST_CHANGE_RATIO,
      usd: config.BQCOST_REPOST_CHANGE_USD,
    },
    log: (entry) => logger.info(entry, String(entry.event ?? 'analysis')),
  };
  const notifyDeps: NotifyDeps = {
    recommendations: stores.recommendations,
    ledger: stores.ledger,
    posts: stores.posts,
    chat,
    pacer,
    renderCard: (input) => ({
      text: `${input.recommendation.summary}`,
      blocks: recommendationCard(input),
    }),
    clock,
  };

  const handlers: Runtime['handlers'] = {
    [topics.analysisRequests]: async (message, context) => {
      await prepareAnalysis();
      const result = await runAnalysisJob(jobDeps, message);
      const windowEnd = new Date(message.windowEnd);
      await resolveGoneAlerts(escalation, {
        windowStart: new Date(windowEnd.getTime() - message.windowDays * 86_400_000),
        windowEnd,
        anomalyIds: result.alerts,
      });
      context.logger.info(
        {
          runId: result.runId,
          recommendations: result.recommendations,
          anomalies: result.anomalies,
          new: result.new.length,
          changed: result.changed.length,
          woken: result.woken.length,
          alerts: result.alerts.length,
        },
        'analysis stored',
      );
    },
    [topics.notifications]: async (message, context) => {
      if (message.type === 'command.answer') {
        const answer = await answerQuery(answerDeps, message.query);
        await chat.respond(message.responseUrl, {
          ...renderAnswer(answer),
          responseType: 'ephemeral',
          replaceOriginal: true,
        });
        context.logger.info({ query: message.query.kind }, 'slow /bqcost answer delivered');
        return;
      }
      const result = await notify(notifyDeps, message);
      for (const id of result.posted) {
        countMetric(
          context.logger,
          'recommendation_opened',
          { recommendationId: id },
          'card posted',
        );
      }
      context.logger.info(
        {
          posted: result.posted.length,
          alreadyPosted: result.alreadyPosted.length,
          skipped: result.skipped.length,
        },
        'cards posted',
      );
    },
    [topics.digestTicks]: async (message, context) => {
      const posted = await sendDigest(
        {
          warehouse,
          store: stores.recommendations,
          ledger: stores.ledger,
          chat,
          pricing,
          clock,
          channels: routing ? digestChannelsFromRouting(routing) : [],
          render: digestMessage,
          postOnce: ledgeredPostOnce({ posts: stores.posts, chat, pacer, clock }),
        },
        message.day,
      );
      context.logger.info(
        { channels: posted.map((p) => ({ channel: p.channel, status: p.status })) },
        'digest',
      );
      for (const fields of realizedSavingsLines(posted, message.day)) {
        countMetric(context.logger, 'savings_realized', fields, 'realized saving measured');
      }
    },
    [topics.escalation]: async (message, context) => {
      if (message.type === 'escalation.alert') {
        const outcome = await raiseAlert(escalation, message.anomalyId);
        context.logger.info({ anomalyId: message.anomalyId, outcome }, 'alert raised');
      } else {
        const tick = await escalationTick(escalation);
        context.logger.info({ tick }, 'escalation tick');
      }
    },
  };

  let slack: SlackApp | undefined;
  let socket: SocketModeSlackApp | undefined;
  return {
    config,
    logger,
    warehouse,
    pricing,
    chat,
    bus,
    stores,
    router,
    pacer,
    handlers,
    messageDeps: { dedupe: stores.dedupe, logger, clock, maxDeliveryAttempts: 5 },
    analysisJob: jobDeps,
    escalation,
    slackApp(secrets = {}) {
      slack ??= createSlackApp({
        signingSecret: secrets.signingSecret ?? config.SLACK_SIGNING_SECRET,
        botToken: secrets.botToken ?? config.SLACK_BOT_TOKEN,
        ...listenerDeps(),
      });
      return slack;
    },
    socketModeApp(secrets = {}) {
      socket ??= createSocketModeApp({
        appToken: secrets.appToken ?? config.SLACK_APP_TOKEN,
        botToken: secrets.botToken ?? config.SLACK_BOT_TOKEN,
        ...listenerDeps(),
      });
      return socket;
    },
    close,
  };

  function listenerDeps(): ListenerDeps {
    return {
      chat,
      answer: (query) => answerQuery(answerDeps, query),
      ...(options.answerBudgetMs === undefined ? {} : { answerBudgetMs: options.answerBudgetMs }),
      ...(options.deferSlowAnswers
        ? {
            deferAnswer: (query: CostQuery, responseUrl: string) =>
              bus.publish(topics.notifications, {
                v: 1,
                type: 'command.answer',
                // One hand-over per question; a double submit asks twice, answers twice.
                key: `answer:${randomUUID()}`,
                publishedAt: clock.now().toISOString(),
                query,
                responseUrl,
              }),
          }
        : {}),
      onError: (error) => logger.error({ err: error }, 'slack listener failed'),
      recommendations: {
        store: stores.recommendations,
        ledger: stores.ledger,
        admins: config.BQCOST_ADMINS,
        clock,
        audit: (entry) => logger.warn({ audit: entry }, 'slack: action refused'),
      },
      events: { dedupe: stores.dedupe, clock },
      alerts: { escalation },
    };
  }
}

/**
 * The `savings_realized` lines of one digest run (the dashboard's realized-savings distribution):
 * one per recommendation judged saved with a measured figure, once even when several channels'
 * digests list it.
 */
export function realizedSavingsLines(
  posted: readonly { digest: { realized: { items: readonly RealizedLine[] } } }[],
  day: string,
): { recommendationId: string; usdPerMonth: number; day: string }[] {
  const saved = new Map<string, number>();
  for (const item of posted.flatMap((p) => p.digest.realized.items)) {
    if (item.status === 'saved' && item.realizedMonthlyUsd !== null) {
      saved.set(item.id, item.realizedMonthlyUsd);
    }
  }
  return [...saved].map(([recommendationId, usdPerMonth]) => ({
    recommendationId,
    usdPerMonth,
    day,
  }));
}

/** The owner routing rules from BQCOST_ROUTING_JSON or BQCOST_ROUTING_FILE; null: none. */
export function readRouting(config: Config): RoutingConfig | null {
  if (config.BQCOST_ROUTING_JSON) {
    return routingConfigFrom(config.BQCOST_ROUTING_JSON, 'BQCOST_ROUTING_JSON');
  }
  if (!config.BQCOST_ROUTING_FILE) return null;
  let text: string;
  try {
    text = readFileSync(config.BQCOST_ROUTING_FILE, 'utf8');
  } catch (error) {
    throw badInput(
      'routing.unreadable',
      `routing file ${config.BQCOST_ROUTING_FILE} cannot be read: ${(error as Error).message}`,
      error,
    );
  }
  return routingConfigFrom(text, config.BQCOST_ROUTING_FILE);
}

async function duckDbBackend(
  warehouse: DuckDbWarehouse,
  options: { owned: boolean },
): Promise<Backend> {
  const connection: DuckDBConnection = await warehouse.connect();
  const [recommendations, anomalies, runs, ledger, alerts, dedupe, posts] = await Promise.all([
    DuckDbRecommendationStore.open(connection),
    DuckDbAnomalyStore.open(connection),
    DuckDbRunLog.open(connection),
    DuckDbLedger.open(connection),
    DuckDbAlertLog.open(connection),
    DuckDbDedupeStore.open(connection),
    DuckDbSlackPosts.open(connection),
  ]);
  return {
    warehouse,
    stores: { recommendations, anomalies, runs, ledger, alerts, dedupe, posts },
    // The embedded warehouse holds imported history: nothing to refresh.
    prepareAnalysis: () => Promise.resolve(),
    close: async () => {
      connection.closeSync();
      if (options.owned) await warehouse.close();
    },
  };
}

async function bigQueryBackend(config: Config, clock: { now(): Date }): Promise<Backend> {
  if (!config.GOOGLE_CLOUD_PROJECT) {
    throw new AppError(
      'config.missing',
      'GOOGLE_CLOUD_PROJECT is missing: BQCOST_WAREHOUSE=bigquery needs the project to run in',
    );
  }
  const warehouse = createBigQueryWarehouse({
    projectId: config.GOOGLE_CLOUD_PROJECT,
    region: config.BQCOST_REGION,
    dataset: config.BQCOST_DATASET,
  });
  // Tables are Terraform's in production; the adapters only read and append.
  const stores: Stores = {
    recommendations: new BigQueryRecommendationStore(warehouse),
    anomalies: new BigQueryAnomalyStore(warehouse),
    runs: new BigQueryRunLog(warehouse),
    ledger: new BigQueryLedger(warehouse),
    alerts: new BigQueryAlertLog(warehouse),
    dedupe: new BigQueryDedupeStore(warehouse),
    posts: new BigQuerySlackPosts(warehouse),
  };
  return {
    warehouse,
    stores,
    prepareAnalysis: costFactsRefresher(warehouse, clock),
    close: () => Promise.resolve(),
  };
}

interface Backend {
  warehouse: Warehouse;
  stores: Stores;
  /** Before each analysis run: bring the warehouse's cost history up to date. */
  prepareAnalysis: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * BigQuery answers cost questions from `cost_facts`, aggregated inside BigQuery from
 * INFORMATION_SCHEMA and refreshed incrementally from a watermark (cheap: only new hours are
 * read). The analysis worker refreshes before every run; the tables are ensured once per
 * instance (a failure is retried on the next run, not remembered).
 */
export function costFactsRefresher(
  warehouse: { ensureTables(): Promise<void>; refreshCostFacts(now: Date): Promise<unknown> },
  clock: { now(): Date },
): () => Promise<void> {
  let ensured: Promise<void> | undefined;
  return async () => {
    ensured ??= warehouse.ensureTables().catch((error: unknown) => {
      ensured = undefined;
      throw error;
    });
    await ensured;
    await warehouse.refreshCostFacts(clock.now());
  };
}
