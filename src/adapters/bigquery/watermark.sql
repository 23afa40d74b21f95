-- The end of the history already aggregated into cost_facts (NULL before the first refresh).
SELECT MAX(window_end) AS watermark
FROM {{cost_fact_runs}}
