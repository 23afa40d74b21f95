// The bqcost dataset's own tables: the one source of truth for their schemas. The BigQuery
// adapters create them from here, infra/ declares them from JSON generated from here
// (`npm run gen:schemas`), and a test fails when either drifts. All of them are append-only
// (see RELIABILITY.md: streaming-buffer rows cannot be updated); state is derived by readers.

export type BigQueryType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'DATE' | 'JSON';

export interface TableColumn {
  name: string;
  type: BigQueryType;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  description: string;
}

export interface TableSpec {
  name: string;
  description: string;
  /** Day partitioning on this TIMESTAMP/DATE column. */
  partitionBy: string;
  clusterBy: readonly string[];
  columns: readonly TableColumn[];
}

const col = (
  name: string,
  type: BigQueryType,
  description: string,
  mode: TableColumn['mode'] = 'NULLABLE',
): TableColumn => ({ name, type, mode, description });

export const recommendationEventsTable: TableSpec = {
  name: 'recommendation_events',
  description: 'Acknowledgement ledger: one row per intended click on a recommendation card.',
  partitionBy: 'occurred_at',
  clusterBy: ['recommendation_id'],
  columns: [
    col('event_id', 'STRING', 'Unique id of this row.', 'REQUIRED'),
    col('recommendation_id', 'STRING', 'Stable recommendation id.', 'REQUIRED'),
    col('action', 'STRING', 'accepted | snoozed | dismissed | reopened | verified.', 'REQUIRED'),
    col('actor_slack_id', 'STRING', 'Slack user id of who acted.', 'REQUIRED'),
    col('actor_email', 'STRING', "The actor's Slack profile email, when known."),
    col('reason_code', 'STRING', 'Dismiss reason code.'),
    col('reason_text', 'STRING', 'Free-text reason.'),
    col('snooze_until', 'TIMESTAMP', 'End of a snooze.'),
    col('team_id', 'STRING', 'Slack team id.', 'REQUIRED'),
    col('channel_id', 'STRING', 'Channel of the card (null from App Home).'),
    col('message_ts', 'STRING', 'Slack ts of the card message.'),
    col('source_request_id', 'STRING', 'Slack trigger id or our request id.', 'REQUIRED'),
    col(
      'idempotency_key',
      'STRING',
      'SHA-256 of the intended action; readers dedupe on it.',
      'REQUIRED',
    ),
    col('occurred_at', 'TIMESTAMP', 'When the click was recorded.', 'REQUIRED'),
  ],
};

export const recommendationsTable: TableSpec = {
  name: 'recommendations',
  description: 'Recommendations as found by each analysis run (latest row per id wins).',
  partitionBy: 'found_at',
  clusterBy: ['recommendation_id'],
  columns: [
    col('recommendation_id', 'STRING', 'Stable recommendation id.', 'REQUIRED'),
    col('run_id', 'STRING', 'The analysis run that found it.', 'REQUIRED'),
    col('kind', 'STRING', 'Recommendation kind.', 'REQUIRED'),
    col('rule', 'STRING', 'Lint rule for sql_antipattern.'),
    col('target', 'STRING', 'Table, dataset, project, query hash or principal.', 'REQUIRED'),
    col('monthly_savings_usd', 'FLOAT64', 'Estimated savings per month; null = unknown.'),
    col('confidence', 'STRING', 'high | medium | low.', 'REQUIRED'),
    col('summary', 'STRING', 'One-line summary.', 'REQUIRED'),
    col('evidence', 'JSON', 'Cost lines and inputs behind the figure.'),
    col('fix', 'JSON', 'DDL / SQL fix.'),
    col('team_id', 'STRING', 'Slack team the card belongs to.'),
    col('channel_id', 'STRING', 'Routed channel.'),
    col('owner_slack_ids', 'STRING', 'Owners from routing.', 'REPEATED'),
    col('found_at', 'TIMESTAMP', 'When the run stored it.', 'REQUIRED'),
  ],
};

export const anomaliesTable: TableSpec = {
  name: 'anomalies',
  description: 'Cost anomalies as found by each analysis run.',
  partitionBy: 'found_at',
  clusterBy: ['anomaly_id'],
  columns: [
    col('anomaly_id', 'STRING', 'Stable anomaly id.', 'REQUIRED'),
    col('run_id', 'STRING', 'The analysis run that found it.', 'REQUIRED'),
    col('scope', 'STRING', 'project:<id> | user:<email> | label:<key>:<value>.', 'REQUIRED'),
    col('day', 'DATE', 'The anomalous day (UTC).', 'REQUIRED'),
    col('usd', 'FLOAT64', 'Spend that day.', 'REQUIRED'),
    col('expected_usd', 'FLOAT64', 'Expected spend that day.', 'REQUIRED'),
    col('severity', 'STRING', 'Severity.', 'REQUIRED'),
    col('found_at', 'TIMESTAMP', 'When the run stored it.', 'REQUIRED'),
  ],
};

export const alertEventsTable: TableSpec = {
  name: 'alert_events',
  description:
    'Escalation log of anomaly alerts: one row per step (posted, escalated, paged, acknowledged).',
  partitionBy: 'occurred_at',
  clusterBy: ['alert_id'],
  columns: [
    col('alert_id', 'STRING', 'The anomaly id the alert is about.', 'REQUIRED'),
    col('step', 'STRING', 'posted | escalated | paged | acknowledged | resolved.', 'REQUIRED'),
    col('channel_id', 'STRING', 'Channel posted to.'),
    col('message_ts', 'STRING', 'Slack ts of the alert message.'),
    col('actor_slack_id', 'STRING', 'Who acknowledged.'),
    col('pagerduty_dedup_key', 'STRING', 'PagerDuty Events API v2 dedup key.'),
    col(
      'idempotency_key',
      'STRING',
      'One row per step per alert; readers dedupe on it.',
      'REQUIRED',
    ),
    col('occurred_at', 'TIMESTAMP', 'When the step happened.', 'REQUIRED'),
  ],
};

export const analysisRunsTable: TableSpec = {
  name: 'analysis_runs',
  description: 'Run history of the analysis worker.',
  partitionBy: 'started_at',
  clusterBy: ['run_id'],
  columns: [
    col('run_id', 'STRING', 'Run id (the request message idempotency key).', 'REQUIRED'),
    col('scope', 'STRING', 'What was analysed (organisation or project).', 'REQUIRED'),
    col('window_start', 'TIMESTAMP', 'Window start (inclusive).', 'REQUIRED'),
    col('window_end', 'TIMESTAMP', 'Window end (exclusive).', 'REQUIRED'),
    col('outcome', 'STRING', 'succeeded | failed.', 'REQUIRED'),
    col('recommendations', 'INT64', 'Recommendations found.'),
    col('anomalies', 'INT64', 'Anomalies found.'),
    col('error_code', 'STRING', 'AppError code when failed.'),
    col('started_at', 'TIMESTAMP', 'Start.', 'REQUIRED'),
    col('finished_at', 'TIMESTAMP', 'End.', 'REQUIRED'),
  ],
};

export const slackPostsTable: TableSpec = {
  name: 'slack_posts',
  description: 'Posted ledger: one row per Slack message the workers posted (dedupe on post_key).',
  partitionBy: 'posted_at',
  clusterBy: ['post_key'],
  columns: [
    col('post_key', 'STRING', 'Idempotency key of the intended post.', 'REQUIRED'),
    col('channel_id', 'STRING', 'Channel.', 'REQUIRED'),
    col('message_ts', 'STRING', 'Slack ts returned by chat.postMessage.', 'REQUIRED'),
    col('kind', 'STRING', 'card | digest | alert.', 'REQUIRED'),
    col('posted_at', 'TIMESTAMP', 'When.', 'REQUIRED'),
  ],
};

export const processedEventsTable: TableSpec = {
  name: 'processed_events',
  description: 'Dedupe store for Slack Events API event_ids and Pub/Sub message keys.',
  partitionBy: 'processed_at',
  clusterBy: ['dedupe_key'],
  columns: [
    col('dedupe_key', 'STRING', 'event_id or message idempotency key.', 'REQUIRED'),
    col('source', 'STRING', 'slack_event | pubsub.', 'REQUIRED'),
    col('processed_at', 'TIMESTAMP', 'When it was first processed.', 'REQUIRED'),
  ],
};

/** Every table of the bqcost dataset (cost_facts, the engine's cache, is created by its refresh). */
export const bqcostTables: readonly TableSpec[] = [
  recommendationEventsTable,
  recommendationsTable,
  anomaliesTable,
  alertEventsTable,
  analysisRunsTable,
  slackPostsTable,
  processedEventsTable,
];
