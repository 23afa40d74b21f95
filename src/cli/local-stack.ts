import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { DuckDbWarehouse } from '../adapters/duckdb/duckdb-warehouse.js';
import { MemoryBus } from '../adapters/memory/memory-bus.js';
import { handleMessage } from '../adapters/pubsub/handle-message.js';
import { PubSubBus } from '../adapters/pubsub/pubsub-bus.js';
import { SlackWebChat } from '../adapters/slack/web-chat.js';
import { TranscriptChat } from '../adapters/transcript/transcript-chat.js';
import { TranscriptPager } from '../adapters/transcript/transcript-pager.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { ownerEmails, type RoutingConfig } from '../domain/routing.js';
import { functionNames, topics, type TopicId } from '../domain/topology.js';
import { createLogger } from '../logger.js';
import type { Bus, Subscriber, Subscription } from '../ports/bus.js';
import type { Chat } from '../ports/chat.js';
import { createRuntime, readRouting, type Runtime } from '../runtime.js';
import type { SocketModeSlackApp } from '../../handlers/app.js';

// `npm start`: the deployed system's loop on one machine. The same handlers and use cases as the
// Cloud Functions (src/runtime.ts) over the in-process bus (or the Pub/Sub emulator when
// PUBSUB_EMULATOR_HOST is set), Slack's Web API replaced by a transcript when no Slack
// credentials are configured, and the Slack receiver on localhost.

/** Which worker consumes which topic (the subscription names follow the function names). */
const consumers: Record<TopicId, string> = {
  [topics.analysisRequests]: functionNames.analysisWorker,
  [topics.notifications]: functionNames.notifier,
  [topics.digestTicks]: functionNames.digest,
  [topics.escalation]: functionNames.escalation,
};

export interface LocalStackOptions {
  config: Config;
  warehouse: DuckDbWarehouse;
  /** Terminal output. */
  write: (text: string) => void;
  /** Window end of the analysis (exclusive) — the end of the data's last day. */
  windowEnd: Date;
  windowDays: number;
  /** Directory for the transcript, the log and the local signing secret. */
  stateDir: string;
  /** Demo data: route with config/routing.demo.json unless a routing file is configured. */
  demo: boolean;
  /** Serve the Slack receiver (false: run the loop and return). */
  serve: boolean;
}

export interface LocalStack {
  runtime: Runtime;
  /** http://localhost:<port>/slack/events when serving over HTTP. */
  url: string | null;
  /** Serving over Socket Mode (SLACK_APP_TOKEN): connected to Slack, no local URL. */
  socketMode: boolean;
  signingSecret: string;
  transcriptFile: string | null;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { write, stateDir } = options;
  mkdirSync(stateDir, { recursive: true });
  const config: Config = {
    ...options.config,
    ...(options.demo && !options.config.BQCOST_ROUTING_FILE
      ? {
          BQCOST_ROUTING_FILE: demoRoutingPath(),
          BQCOST_ONCALL_CHANNEL: options.config.BQCOST_ONCALL_CHANNEL ?? 'C0ONCALL00',
          BQCOST_ONCALL_USERGROUP: options.config.BQCOST_ONCALL_USERGROUP ?? 'S0ONCALL00',
        }
      : {}),
  };
  const logFile = join(stateDir, 'bqcost.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const logger = createLogger({
    level: config.BQCOST_LOG_LEVEL,
    destination: logStream,
    secrets: [
      config.SLACK_BOT_TOKEN,
      config.SLACK_SIGNING_SECRET,
      config.SLACK_APP_TOKEN,
      config.PAGERDUTY_ROUTING_KEY,
    ],
  });

  const slackConfigured = Boolean(config.SLACK_BOT_TOKEN);
  const routing = readRouting(config);
  const transcriptFile = slackConfigured ? null : join(stateDir, 'transcript.jsonl');
  const transcript = transcriptFile
    ? new TranscriptChat({ file: transcriptFile, write, users: localDirectory(routing) })
    : null;
  const chat: Chat = transcript ?? new SlackWebChat(config.SLACK_BOT_TOKEN ?? '');
  // Without a routing key, pages show in the transcript (or nowhere, with a real workspace).
  const pager = config.PAGERDUTY_ROUTING_KEY
    ? undefined
    : transcript
      ? new TranscriptPager(transcript)
      : null;

  const bus = config.PUBSUB_EMULATOR_HOST
    ? new PubSubBus({
        projectId: config.GOOGLE_CLOUD_PROJECT ?? 'bqcost-local',
        apiEndpoint: config.PUBSUB_EMULATOR_HOST,
        logger,
      })
    : new MemoryBus();
  if (bus instanceof PubSubBus) {
    for (const topic of Object.values(topics)) await bus.ensure(topic, consumers[topic]);
  }

  // Escalation timing is minutes; the demo fast-forwards this clock to show the climb.
  let skewMs = 0;
  const escalationClock = { now: () => new Date(Date.now() + skewMs) };
  const runtime = await createRuntime({
    config,
    routing,
    bus,
    chat,
    logger,
    escalationClock,
    duckdb: options.warehouse,
    ...(pager === undefined ? {} : { pager }),
  });
  // Socket Mode is chosen by setting SLACK_APP_TOKEN (even blank: that fails closed rather than
  // falling back to HTTP); its tokens are checked now, before the loop runs.
  let socketApp: SocketModeSlackApp | null = null;
  if (options.serve && config.SLACK_APP_TOKEN !== undefined) {
    try {
      socketApp = runtime.socketModeApp();
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }

  const tracker = new Tracker();
  const subscriber: Subscriber = bus;
  const subscriptions: Subscription[] = Object.values(topics).map((topic) =>
    subscriber.subscribe(topic, consumers[topic], (delivery) =>
      tracker.track(() =>
        handleMessage(topic, delivery, runtime.handlers[topic] as never, runtime.messageDeps),
      ),
    ),
  );

  const step = (title: string) => write(`\n▶ ${title}\n`);
  try {
    const endIso = options.windowEnd.toISOString();
    step(
      `analysisWorker: analysing ${options.windowDays} days up to ${endIso.slice(0, 10)} (${bus instanceof PubSubBus ? 'Pub/Sub emulator' : 'in-process bus'})`,
    );
    await publish(bus, topics.analysisRequests, {
      v: 1,
      type: 'analysis.request',
      key: `local-analysis:${endIso}`,
      publishedAt: new Date().toISOString(),
      scope: 'org',
      windowEnd: endIso,
      windowDays: options.windowDays,
    });
    await tracker.settle();

    const day = new Date(options.windowEnd.getTime() - 86_400_000).toISOString().slice(0, 10);
    step(`digest: the daily digest for ${day}`);
    await publish(bus, topics.digestTicks, {
      v: 1,
      type: 'digest.tick',
      key: `local-digest:${day}`,
      publishedAt: new Date().toISOString(),
      day,
    });
    await tracker.settle();

    const { escalateAfterMs, pageAfterMs } = runtime.escalation.policy;
    for (const [label, offsetMs] of [
      ['escalation', escalateAfterMs],
      ['paging', pageAfterMs],
    ] as const) {
      skewMs = offsetMs + 60_000;
      step(
        `escalation tick, simulated ${Math.round(skewMs / 60_000)} minutes later (${label} is due for unacknowledged alerts)`,
      );
      await publish(bus, topics.escalation, {
        v: 1,
        type: 'escalation.tick',
        key: `local-tick:${escalationClock.now().toISOString()}`,
        publishedAt: new Date().toISOString(),
      });
      await tracker.settle();
    }
    skewMs = 0;
    if (tracker.failures > 0) {
      write(`\n${tracker.failures} message(s) failed; see ${logFile}\n`);
    }
  } catch (error) {
    await Promise.all(subscriptions.map((s) => s.close()));
    await runtime.close();
    throw error;
  }

  const signingSecret = config.SLACK_SIGNING_SECRET ?? localSigningSecret(stateDir);
  let server: Server | null = null;
  let url: string | null = null;
  if (socketApp) {
    try {
      await socketApp.start();
    } catch (error) {
      await Promise.all(subscriptions.map((s) => s.close()));
      await runtime.close();
      throw error;
    }
    write('\nSlack: connected over Socket Mode (SLACK_APP_TOKEN); no public URL needed.\n');
  } else if (options.serve) {
    const app = runtime.slackApp({
      signingSecret,
      // The transcript chat never calls Slack; Bolt only needs a non-empty token to start.
      botToken: config.SLACK_BOT_TOKEN ?? 'local-transcript',
    });
    server = createServer(app.requestListener);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.BQCOST_SLACK_PORT, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    url = `http://localhost:${port}/slack/events`;
  }

  return {
    runtime,
    url,
    socketMode: socketApp !== null,
    signingSecret,
    transcriptFile,
    close: async () => {
      if (socketApp) await socketApp.stop();
      if (server) {
        const closing = server;
        await new Promise<void>((resolve) => closing.close(() => resolve()));
        closing.closeAllConnections();
      }
      await Promise.all(subscriptions.map((s) => s.close()));
      await (bus as MemoryBus | PubSubBus).close();
      await runtime.close();
      await new Promise<void>((resolve) => logStream.end(resolve));
    },
  };
}

async function publish<T extends TopicId>(
  bus: Bus,
  topic: T,
  message: Parameters<Bus['publish']>[1] & { key: string },
): Promise<void> {
  await bus.publish(topic, message as never);
}

/** Waits until every delivery (and whatever it published) has been handled. */
class Tracker {
  failures = 0;
  private inFlight = 0;
  private completed = 0;

  async track<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await run();
    } catch (error) {
      this.failures += 1;
      throw error;
    } finally {
      this.inFlight -= 1;
      this.completed += 1;
    }
  }

  /** Quiet for `quietMs` with nothing in flight; gives up after `timeoutMs`. */
  async settle(quietMs = 400, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.inFlight > 0 || this.completed !== seen) {
        seen = this.completed;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= quietMs) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** config/routing.demo.json at the package root (from src/cli under tsx, dist/src/cli built). */
function demoRoutingPath(): string {
  for (const up of ['../../config/', '../../../config/']) {
    const path = fileURLToPath(new URL(`${up}routing.demo.json`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new AppError('config.missing', 'config/routing.demo.json is missing from the package');
}

/**
 * A local Slack directory for the transcript: each owner email in the routing file gets a stable
 * made-up user id, so owner routing, `recs mine` and App Home work without a workspace.
 */
function localDirectory(routing: RoutingConfig | null): Record<string, string> {
  return Object.fromEntries(
    (routing ? ownerEmails(routing) : []).map((email) => [localUserId(email), email]),
  );
}

export function localUserId(email: string): string {
  return `U${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 9).toUpperCase()}`;
}

/** The local receiver's signing secret: made once, kept beside the database (mode 600). */
export function localSigningSecret(stateDir: string): string {
  const file = join(stateDir, 'local-signing-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
