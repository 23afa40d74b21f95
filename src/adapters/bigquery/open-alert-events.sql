-- The rows of alerts with no row of @closing_steps (acknowledged, resolved) yet, once per
-- idempotency key, for the escalation tick. Only alerts posted in the last @open_days days: every row of an alert comes
-- after its `posted` row, so the partition filter sees whole alerts, and an alert older than that
-- has long been paged (its incident lives on in PagerDuty).
WITH recent AS (
  SELECT alert_id, step, channel_id, message_ts, actor_slack_id, pagerduty_dedup_key,
    idempotency_key, occurred_at
  FROM {{alert_events}}
  WHERE occurred_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL @open_days DAY)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY idempotency_key ORDER BY occurred_at) = 1
)
SELECT *
FROM recent
WHERE alert_id IN (SELECT alert_id FROM recent WHERE step = 'posted')
  AND alert_id NOT IN (SELECT alert_id FROM recent WHERE step IN UNNEST(@closing_steps))
ORDER BY occurred_at, alert_id, step
