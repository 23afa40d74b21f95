-- Every row of the given alerts, once per idempotency key: insertAll's insertId dedupe is best
-- effort, so a step that slipped in twice must never count twice. Clustered on alert_id.
SELECT alert_id, step, channel_id, message_ts, actor_slack_id, pagerduty_dedup_key,
  idempotency_key, occurred_at
FROM {{alert_events}}
WHERE alert_id IN UNNEST(@alert_ids)
QUALIFY ROW_NUMBER() OVER (PARTITION BY idempotency_key ORDER BY occurred_at) = 1
ORDER BY occurred_at, alert_id, step
