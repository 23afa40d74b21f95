-- One recommendation as the latest run stored it. First one row per (id, run) — the earliest —
-- so a duplicate that slipped past insertAll's insertId dedupe changes nothing; then the latest
-- run's row, with the earliest found_at as first_found_at. Clustered on recommendation_id.
WITH per_run AS (
  SELECT *
  FROM {{recommendations}}
  WHERE recommendation_id = @id
  QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id, run_id ORDER BY found_at) = 1
)
SELECT *, MIN(found_at) OVER (PARTITION BY recommendation_id) AS first_found_at
FROM per_run
QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id ORDER BY found_at DESC, run_id DESC) = 1
