-- The span of job history aggregated so far: what costFacts can answer from. Reading it bills a
-- few KB of bqcost's own tables instead of a scan of job history. Bounds are refresh-window
-- bounds (hour aligned); the end is exclusive.
SELECT
  (SELECT MIN(window_start) FROM {{cost_fact_runs}}) AS first_creation_time,
  (SELECT MAX(window_end) FROM {{cost_fact_runs}}) AS last_creation_time,
  (SELECT IFNULL(SUM(jobs), 0) FROM {{cost_facts}} WHERE dimension = 'total') AS jobs
