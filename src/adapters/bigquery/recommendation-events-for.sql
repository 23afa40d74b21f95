-- Every event of the given recommendations, once per idempotency key: insertAll's insertId dedupe
-- is best effort, so a duplicate that slipped through must never be counted twice. No partition
-- filter (a card's history spans months); clustering on recommendation_id keeps the scan small.
SELECT
  event_id,
  recommendation_id,
  action,
  actor_slack_id,
  actor_email,
  reason_code,
  reason_text,
  snooze_until,
  team_id,
  channel_id,
  message_ts,
  source_request_id,
  idempotency_key,
  occurred_at
FROM {{recommendation_events}}
WHERE recommendation_id IN UNNEST(@recommendation_ids)
QUALIFY ROW_NUMBER() OVER (PARTITION BY idempotency_key ORDER BY occurred_at, event_id) = 1
ORDER BY occurred_at, event_id
