-- The attempts of one analysis run, oldest first: one row per attempt (its start), whatever
-- slipped past insertAll's insertId dedupe.
SELECT *
FROM {{analysis_runs}}
WHERE run_id = @run
QUALIFY ROW_NUMBER() OVER (PARTITION BY started_at ORDER BY finished_at) = 1
ORDER BY started_at, finished_at
