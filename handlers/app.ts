import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type ReceiverEvent } from '@slack/bolt';
import type { CostQuery, QueryAnswer } from '../src/app/answer-query.js';
import type { EscalationDeps } from '../src/app/escalate.js';
import { AppError } from '../src/errors.js';
import type { Chat } from '../src/ports/chat.js';
import { anomalyAlertActions, slashCommands } from '../src/slack-ids.js';
import type { DedupeStore } from '../src/ports/dedupe.js';
import type { AckLedger } from '../src/ports/ledger.js';
import type { RecommendationStore } from '../src/ports/recommendations.js';
import { botEvents, recommendationCardActions, recommendationViews } from '../src/slack-ids.js';
import { anomalyAck } from './actions/anomaly-ack.js';
import { recommendationButtons } from './actions/recommendation-buttons.js';
import { bqcostCommand } from './commands/bqcost.js';
import { appHomeOpened } from './events/app-home.js';
import { isEventNotProcessed, oncePerEvent } from './events/dedupe.js';
import { dismissSubmission } from './views/dismiss.js';
import { snoozeSubmission } from './views/snooze.js';

// The Bolt app: receiver, request guards and every listener, built from injected ports. It lives
// in handlers/ (not src/adapters/slack) because it registers the handlers' listeners, and an
// adapter may not import handlers; it touches no adapter, so the composition root (src/index.ts,
// tests) injects Chat and the use case.

export interface SlackAppDeps {
  /** Straight from config: validated here, so a missing or empty value stops the start. */
  signingSecret: string | undefined;
  botToken: string | undefined;
  chat: Chat;
  answer: (query: CostQuery) => Promise<QueryAnswer>;
  answerBudgetMs?: number;
  /** Hands a slow /bqcost answer to a worker (Cloud Functions); see BqcostCommandDeps.defer. */
  deferAnswer?: (query: CostQuery, responseUrl: string) => Promise<void>;
  /** Epoch ms; a test clock. */
  now?: () => number;
  onError?: (error: unknown) => void;
  endpoint?: string;
  /** Recommendation cards (buttons and modals); absent = no card listeners registered. */
  recommendations?: RecommendationCardDeps;
  /** Events API listeners (App Home); absent = none registered. */
  events?: EventDeps;
  /** The Acknowledge button on anomaly alerts (src/app/escalate.ts); absent = not registered. */
  alerts?: { escalation: EscalationDeps; audit?: (entry: Record<string, unknown>) => void };
}

/** What the listeners need, whichever way Slack's requests arrive. */
export type ListenerDeps = Omit<SlackAppDeps, 'signingSecret' | 'botToken' | 'endpoint' | 'now'>;

export interface EventDeps {
  /** Durable record of handled event_ids (Slack retries deliveries). */
  dedupe: DedupeStore;
  clock?: { now(): Date };
  /** How long App Home waits for the viewer's spend before publishing without it; 1500 ms. */
  spendBudgetMs?: number;
}

export interface RecommendationCardDeps {
  store: RecommendationStore;
  ledger: AckLedger;
  /** Slack user ids from config; deny by default (owners only when empty). */
  admins: readonly string[];
  clock?: { now(): Date };
  /** Refused and recorded attempts; default: nowhere. */
  audit?: (entry: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface SlackApp {
  app: App;
  receiver: HTTPReceiver;
  /** Node HTTP listener: the timestamp guard in front of Bolt's receiver (body untouched). */
  requestListener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The slash commands registered, for the manifest check. */
  commands: readonly string[];
  /** The Events API event types listened to, for the manifest check. */
  events: readonly string[];
}

/** Replay window, both directions (Bolt itself only rejects old timestamps). */
export const maxClockSkewSeconds = 300;

export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { signingSecret, botToken } = slackSecrets(deps.signingSecret, deps.botToken);
  const onError = deps.onError ?? (() => undefined);
  // processBeforeResponse: on Cloud Functions nothing runs after the response, so the listener
  // completes first and its ack() body is the HTTP response.
  const receiver = new HTTPReceiver({
    signingSecret,
    processBeforeResponse: true,
    endpoints: [deps.endpoint ?? '/slack/events'],
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    receiver,
    // A fixed authorisation: no auth.test call on a cold start.
    authorize: () => Promise.resolve({ botToken }),
    logLevel: LogLevel.ERROR,
    clientOptions: {
      retryConfig: { retries: 2, maxRetryTime: 5000 },
      rejectRateLimitedCalls: true,
    },
  });
  const { commands, events } = registerListeners(app, deps, onError);
  const now = deps.now ?? Date.now;
  const requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    if (!withinReplayWindow(req.headers['x-slack-request-timestamp'], now())) {
      res.writeHead(401).end();
      return;
    }
    void receiver.requestListener(req, res);
  };
  return { app, receiver, requestListener, commands, events };
}

/** Every listener, the same over HTTP and Socket Mode. */
function registerListeners(
  app: App,
  deps: ListenerDeps,
  onError: (error: unknown) => void,
): { commands: readonly string[]; events: readonly string[] } {
  const commands = [slashCommands.bqcost];
  app.command(
    slashCommands.bqcost,
    bqcostCommand({
      answer: deps.answer,
      chat: deps.chat,
      onError,
      ...(deps.answerBudgetMs === undefined ? {} : { answerBudgetMs: deps.answerBudgetMs }),
      ...(deps.deferAnswer ? { defer: deps.deferAnswer } : {}),
    }),
  );
  if (deps.recommendations) {
    const cards = deps.recommendations;
    const ackDeps = {
      chat: deps.chat,
      store: cards.store,
      ledger: cards.ledger,
      admins: cards.admins,
      clock: cards.clock ?? { now: () => new Date() },
      audit: cards.audit ?? (() => undefined),
      onError,
      ...(cards.sleep ? { sleep: cards.sleep } : {}),
    };
    const buttons = recommendationButtons(ackDeps);
    for (const actionId of Object.values(recommendationCardActions)) {
      app.action({ type: 'block_actions', action_id: actionId }, buttons);
    }
    app.view(
      { type: 'view_submission', callback_id: recommendationViews.snooze },
      snoozeSubmission(ackDeps),
    );
    app.view(
      { type: 'view_submission', callback_id: recommendationViews.dismiss },
      dismissSubmission(ackDeps),
    );
  }
  const events: string[] = [];
  if (deps.events) {
    const ev = deps.events;
    const clock = ev.clock ?? { now: () => new Date() };
    events.push(botEvents.appHomeOpened);
    app.event(
      botEvents.appHomeOpened,
      oncePerEvent(
        { dedupe: ev.dedupe, clock, onError },
        appHomeOpened({
          chat: deps.chat,
          answer: deps.answer,
          clock,
          onError,
          ...(deps.recommendations
            ? {
                recommendations: {
                  store: deps.recommendations.store,
                  ledger: deps.recommendations.ledger,
                },
              }
            : {}),
          ...(ev.spendBudgetMs === undefined ? {} : { spendBudgetMs: ev.spendBudgetMs }),
        }),
      ),
    );
  }
  if (deps.alerts) {
    app.action(
      { type: 'block_actions', action_id: anomalyAlertActions.acknowledge },
      anomalyAck({ ...deps.alerts, onError }),
    );
  }
  app.error((error) => {
    // An event that failed retryably is not acknowledged — a 500 over HTTP, no ack over Socket
    // Mode — so Slack retries it (already reported).
    if (isEventNotProcessed(error)) return Promise.reject(error);
    onError(error);
    return Promise.resolve();
  });
  return { commands, events };
}

export interface SocketModeAppDeps extends ListenerDeps {
  /** App-level token (xapp-…, scope connections:write): it alone authenticates the WebSocket. */
  appToken: string | undefined;
  botToken: string | undefined;
  /** Reconnect when a connection drops (Slack recycles them every few hours); default true. */
  autoReconnect?: boolean;
  /** How long start() waits for Slack's hello before giving up; 30 s. */
  connectTimeoutMs?: number;
}

/** What @slack/socket-mode emits as `slack_event` for each envelope. */
interface SocketDelivery {
  body: Record<string, unknown>;
  ack: (response?: unknown) => Promise<void>;
  retry_num?: number;
  retry_reason?: string;
}

export interface SocketModeSlackApp {
  app: App;
  receiver: SocketModeReceiver;
  commands: readonly string[];
  events: readonly string[];
  /** Opens the WebSocket (apps.connections.open, then wss) and waits for Slack's hello. */
  start(): Promise<void>;
  /** Closes the WebSocket and waits until it is closed; no reconnect follows. */
  stop(): Promise<void>;
}

/**
 * The same listeners over Slack's Socket Mode: no public URL, no request to sign (the app token
 * authenticates the connection), each ack() travels back on the socket as
 * `{ envelope_id, payload }`. For a local or firewalled run; Cloud Functions stay on HTTP.
 */
export function createSocketModeApp(deps: SocketModeAppDeps): SocketModeSlackApp {
  const { appToken, botToken } = socketModeSecrets(deps.appToken, deps.botToken);
  const onError = deps.onError ?? (() => undefined);
  const receiver = new SocketModeReceiver({
    appToken,
    logLevel: LogLevel.ERROR,
    autoReconnectEnabled: deps.autoReconnect ?? true,
    // apps.connections.open: the client's own default retries 100 times.
    installerOptions: { clientOptions: { retryConfig: { retries: 2, maxRetryTime: 5000 } } },
  });
  const app = new App({
    receiver,
    authorize: () => Promise.resolve({ botToken }),
    logLevel: LogLevel.ERROR,
    clientOptions: {
      retryConfig: { retries: 2, maxRetryTime: 5000 },
      rejectRateLimitedCalls: true,
    },
  });
  const { commands, events } = registerListeners(app, deps, onError);
  // Bolt's Socket Mode receiver sends each ack() at once, and acks every event before its listener
  // runs, so a failed App Home delivery would never come back. Like processBeforeResponse over
  // HTTP, the listener completes first and its ack() goes out after it; an event left unprocessed
  // on purpose gets no ack at all, so Slack delivers it again.
  receiver.client.removeAllListeners('slack_event');
  receiver.client.on('slack_event', (delivery: SocketDelivery) => {
    let acked: { body: unknown } | null = null;
    const event: ReceiverEvent = {
      body: delivery.body,
      ack: (body?: unknown) => {
        acked ??= { body };
        return Promise.resolve();
      },
      ...(delivery.retry_num === undefined ? {} : { retryNum: delivery.retry_num }),
      ...(delivery.retry_reason === undefined ? {} : { retryReason: delivery.retry_reason }),
    };
    void app
      .processEvent(event)
      .then(
        () => (acked ? delivery.ack(acked.body) : undefined),
        (error: unknown) => {
          if (!isEventNotProcessed(error)) onError(error);
        },
      )
      // The socket closed before the ack could go: Slack redelivers what it can.
      .catch(onError);
  });
  return {
    app,
    receiver,
    commands,
    events,
    start: async () => {
      // The client reconnects after a failed WebSocket without end; a start that never hears
      // hello gives up instead of hanging.
      const timeoutMs = deps.connectTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no hello from Slack within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([receiver.client.start(), timeout]);
      } catch (error) {
        // Never retry forever here: a refused token or no route to Slack stops the start.
        await receiver.client.disconnect();
        throw socketStartError(error);
      } finally {
        clearTimeout(timer);
      }
    },
    // Bolt's receiver.stop() does not wait for the close handshake.
    stop: () => receiver.client.disconnect(),
  };
}

function socketStartError(error: unknown): AppError {
  const reason =
    typeof error === 'object' && error !== null && 'data' in error
      ? String((error as { data?: { error?: unknown } }).data?.error ?? '')
      : '';
  const refused = ['not_authed', 'invalid_auth', 'account_inactive', 'team_disabled'].includes(
    reason,
  );
  return new AppError(
    refused ? 'slack.auth' : 'slack.unavailable',
    refused
      ? `Slack refused SLACK_APP_TOKEN (${reason}): Socket Mode did not start`
      : `Socket Mode could not connect to Slack (${reason || (error instanceof Error ? error.message : String(error))})`,
    { cause: error, retryable: !refused },
  );
}

/** Fails closed: Socket Mode needs an app-level token (xapp-…) and the bot token. */
export function socketModeSecrets(
  appToken: string | undefined,
  botToken: string | undefined,
): { appToken: string; botToken: string } {
  const problems = [
    ...(blank(appToken)
      ? ['SLACK_APP_TOKEN is missing or empty']
      : appToken!.trim().startsWith('xapp-')
        ? []
        : ['SLACK_APP_TOKEN is not an app-level token (xapp-…)']),
    ...(blank(botToken) ? ['SLACK_BOT_TOKEN is missing or empty'] : []),
  ];
  if (problems.length > 0 || appToken === undefined || botToken === undefined) {
    throw new AppError('config.missing', `${problems.join('; ')}: Socket Mode will not start`);
  }
  return { appToken: appToken.trim(), botToken };
}

/** Missing header: Bolt's verification rejects it (ssl_check aside); present: |now − ts| ≤ 300 s. */
export function withinReplayWindow(header: string | string[] | undefined, nowMs: number): boolean {
  if (header === undefined) return true;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,12}$/.test(value)) return false;
  return Math.abs(Math.floor(nowMs / 1000) - Number(value)) <= maxClockSkewSeconds;
}

/**
 * Fails closed: a missing or blank signing secret or token stops the start, naming every missing
 * setting (Bolt < 5 accepted forged requests with an empty secret; we refuse to get there).
 */
export function slackSecrets(
  signingSecret: string | undefined,
  botToken: string | undefined,
): { signingSecret: string; botToken: string } {
  const missing = [
    ...(blank(signingSecret) ? ['SLACK_SIGNING_SECRET'] : []),
    ...(blank(botToken) ? ['SLACK_BOT_TOKEN'] : []),
  ];
  if (missing.length > 0 || signingSecret === undefined || botToken === undefined) {
    throw new AppError(
      'config.missing',
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing or empty: the Slack app will not start`,
    );
  }
  return { signingSecret, botToken };
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
