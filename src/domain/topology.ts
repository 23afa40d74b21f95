// The deployed system's names, in one place: the Cloud Functions entry points, the Pub/Sub
// topics that trigger them, and the Cloud Scheduler jobs that publish the ticks. src/index.ts
// exports the entry points under these names, infra/ declares the same resources, and tests
// check both against this file.

/** Entry point (functions-framework target) → how it is triggered. */
export const functionNames = {
  slack: 'slack',
  analysisWorker: 'analysisWorker',
  notifier: 'notifier',
  digest: 'digest',
  escalation: 'escalation',
} as const;
export type FunctionName = (typeof functionNames)[keyof typeof functionNames];

/** Topic ids (without the project prefix). */
export const topics = {
  analysisRequests: 'bqcost-analysis-requests',
  notifications: 'bqcost-notifications',
  digestTicks: 'bqcost-digest-ticks',
  escalation: 'bqcost-escalation',
} as const;
export type TopicId = (typeof topics)[keyof typeof topics];

export interface FunctionSpec {
  name: FunctionName;
  trigger: { kind: 'http'; public: true } | { kind: 'pubsub'; topic: TopicId };
  /** What the function may touch: drives its service account's roles in infra/. */
  needs: readonly ('slack_secrets' | 'pagerduty_key' | 'information_schema' | 'publish')[];
}

export const functions: readonly FunctionSpec[] = [
  {
    name: functionNames.slack,
    // Public because Slack must reach it; the HMAC signature is its authentication.
    trigger: { kind: 'http', public: true },
    needs: ['slack_secrets', 'publish'],
  },
  {
    name: functionNames.analysisWorker,
    trigger: { kind: 'pubsub', topic: topics.analysisRequests },
    needs: ['information_schema', 'publish'],
  },
  {
    name: functionNames.notifier,
    trigger: { kind: 'pubsub', topic: topics.notifications },
    needs: ['slack_secrets'],
  },
  {
    name: functionNames.digest,
    trigger: { kind: 'pubsub', topic: topics.digestTicks },
    needs: ['slack_secrets'],
  },
  {
    name: functionNames.escalation,
    trigger: { kind: 'pubsub', topic: topics.escalation },
    needs: ['slack_secrets', 'pagerduty_key'],
  },
];

/** Cloud Scheduler jobs: each publishes a tick message to its topic. Cron in UTC. */
export const schedules = [
  { name: 'daily-analysis', topic: topics.analysisRequests, cron: '0 5 * * *' },
  { name: 'daily-digest', topic: topics.digestTicks, cron: '0 8 * * *' },
  { name: 'escalation-tick', topic: topics.escalation, cron: '* * * * *' },
] as const;
