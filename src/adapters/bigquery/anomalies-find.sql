-- One anomaly as the latest run stored it (duplicates of a run are identical rows).
SELECT *
FROM {{anomalies}}
WHERE anomaly_id = @id
ORDER BY found_at DESC, run_id DESC
LIMIT 1
