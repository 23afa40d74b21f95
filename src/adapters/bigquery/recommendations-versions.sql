-- For each asked (id, instant) — parallel arrays @ids and @ats — the version current at that
-- instant: the latest run's row found at or before it, leaving out the asking run (@exclude, ''
-- for none), one row per (id, run) first as in recommendations-find.sql.
WITH asked AS (
  SELECT id, ats[OFFSET(o)] AS at FROM UNNEST(@ids) AS id WITH OFFSET o
),
per_run AS (
  SELECT r.*, MIN(r.found_at) OVER (PARTITION BY r.recommendation_id) AS first_found_at
  FROM {{recommendations}} AS r
  WHERE r.recommendation_id IN UNNEST(@ids)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY r.recommendation_id, r.run_id ORDER BY r.found_at) = 1
)
SELECT p.*
FROM per_run AS p JOIN asked AS a ON p.recommendation_id = a.id
WHERE p.found_at <= a.at AND p.run_id != @exclude
QUALIFY ROW_NUMBER() OVER (PARTITION BY p.recommendation_id ORDER BY p.found_at DESC, p.run_id DESC) = 1
