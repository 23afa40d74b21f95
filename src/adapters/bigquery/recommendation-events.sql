-- The acknowledgement ledger: one row per recorded click, appended with insertAll (insertId = the
-- idempotency key). Append-only: rows in the streaming buffer cannot be updated, and state is
-- derived from the events. No key constraint exists, so readers dedupe on idempotency_key.
CREATE TABLE IF NOT EXISTS {{recommendation_events}} (
  event_id STRING NOT NULL,
  recommendation_id STRING NOT NULL,
  action STRING NOT NULL,
  actor_slack_id STRING NOT NULL,
  actor_email STRING,
  reason_code STRING,
  reason_text STRING,
  snooze_until TIMESTAMP,
  team_id STRING NOT NULL,
  channel_id STRING,
  message_ts STRING,
  source_request_id STRING NOT NULL,
  idempotency_key STRING NOT NULL,
  occurred_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(occurred_at)
CLUSTER BY recommendation_id
OPTIONS (description = 'bqcost: clicks on recommendation cards (accept, snooze, dismiss, reopen, verify); state is derived from these events');
