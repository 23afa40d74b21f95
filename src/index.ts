import * as functions from '@google-cloud/functions-framework';
import type { Request, Response } from '@google-cloud/functions-framework';
import { MemoryBus } from './adapters/memory/memory-bus.js';
import { handleCloudEvent } from './adapters/pubsub/handle-message.js';
import { PubSubBus } from './adapters/pubsub/pubsub-bus.js';
import { loadConfig } from './config.js';
import { functionNames, topics, type TopicId } from './domain/topology.js';
import { createLogger } from './logger.js';
import { createRuntime, type Runtime } from './runtime.js';

// The Cloud Functions entry points (one source archive; `--entry-point` picks one):
//   slack           HTTP: the Bolt receiver (public; Slack's signature is its authentication)
//   analysisWorker  Pub/Sub bqcost-analysis-requests
//   notifier        Pub/Sub bqcost-notifications
//   digest          Pub/Sub bqcost-digest-ticks (Cloud Scheduler)
//   escalation      Pub/Sub bqcost-escalation (anomaly alerts + the scheduler's tick)
// The runtime (config, adapters, use cases) is built once per instance, on the first request,
// and rebuilt after a failed build so a transient failure does not poison the instance.

let factory: () => Promise<Runtime> = deployedRuntime;
let runtime: Promise<Runtime> | undefined;

/** Replaces how the runtime is built (tests, the local stack); resets the built one. */
export function configureRuntime(build: () => Promise<Runtime>): void {
  factory = build;
  runtime = undefined;
}

export function getRuntime(): Promise<Runtime> {
  if (!runtime) {
    const building = factory();
    runtime = building;
    building.catch(() => {
      if (runtime === building) runtime = undefined;
    });
  }
  return runtime;
}

async function deployedRuntime(): Promise<Runtime> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.BQCOST_LOG_LEVEL,
    secrets: [
      config.SLACK_BOT_TOKEN,
      config.SLACK_SIGNING_SECRET,
      config.SLACK_APP_TOKEN,
      config.PAGERDUTY_ROUTING_KEY,
    ],
    ...(config.GOOGLE_CLOUD_PROJECT ? { projectId: config.GOOGLE_CLOUD_PROJECT } : {}),
  });
  // The Slack function has 3 s in all: a publish must not wait long.
  const bus = config.GOOGLE_CLOUD_PROJECT
    ? new PubSubBus({
        projectId: config.GOOGLE_CLOUD_PROJECT,
        logger,
        publishTimeoutMs: 2_000,
        ...(config.PUBSUB_EMULATOR_HOST ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST } : {}),
      })
    : new MemoryBus();
  return createRuntime({ config, bus, logger, deferSlowAnswers: true });
}

export async function slack(req: Request, res: Response): Promise<void> {
  const rt = await getRuntime();
  // functions-framework has read the body into req.rawBody; Bolt's receiver verifies exactly
  // those bytes (it uses a buffered rawBody when present) and parses them itself.
  rt.slackApp().requestListener(req, res);
}

function worker<T extends TopicId>(topic: T) {
  return async (event: unknown): Promise<void> => {
    const rt = await getRuntime();
    // Resolving acknowledges; throwing (a retryable failure) makes Pub/Sub redeliver.
    await handleCloudEvent(topic, event, rt.handlers[topic], rt.messageDeps);
  };
}

export const analysisWorker = worker(topics.analysisRequests);
export const notifier = worker(topics.notifications);
export const digest = worker(topics.digestTicks);
export const escalation = worker(topics.escalation);

functions.http(functionNames.slack, slack);
functions.cloudEvent(functionNames.analysisWorker, analysisWorker);
functions.cloudEvent(functionNames.notifier, notifier);
functions.cloudEvent(functionNames.digest, digest);
functions.cloudEvent(functionNames.escalation, escalation);
