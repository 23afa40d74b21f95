-- The latest row of every recommendation (as in recommendations-find.sql), then the caller's
-- filters; a NULL parameter is no filter. Filtering before picking the latest row would show an
-- old row of a recommendation that has since moved to another channel or owner.
WITH per_run AS (
  SELECT *
  FROM {{recommendations}}
  QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id, run_id ORDER BY found_at) = 1
),
latest AS (
  SELECT *, MIN(found_at) OVER (PARTITION BY recommendation_id) AS first_found_at
  FROM per_run
  QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id ORDER BY found_at DESC, run_id DESC) = 1
)
SELECT *
FROM latest
WHERE (@team_id IS NULL OR team_id = @team_id)
  AND (@channel_id IS NULL OR channel_id = @channel_id)
  AND (@owner IS NULL OR @owner IN UNNEST(owner_slack_ids))
  AND (@kind IS NULL OR kind = @kind)
  AND (@since IS NULL OR first_found_at >= @since)
ORDER BY monthly_savings_usd DESC NULLS LAST, recommendation_id
LIMIT @limit
