-- The text of the most-run multi-statement scripts (SCRIPT parent jobs) created in [@start, @end),
-- for the checks that need a whole script (a temp table dropped, or not, by a later statement).
-- No costs here: a SCRIPT parent repeats its children's bytes and slots, which query-patterns.sql
-- counts under the children.
-- One row per script shape: the normalized-literals hash when BigQuery set one, else the exact
-- text; `key` is that hash, or 'script:' and the latest run's job id. The top @limit by runs.
-- When neither the hash nor the text repeats, every run is a shape of its own (runs = 1).
-- MAX_BY(x, creation_time) takes x from the latest run (see query-patterns.sql).
WITH scripts AS (
  SELECT
    query_info.query_hashes.normalized_literals AS query_hash,
    IFNULL(query_info.query_hashes.normalized_literals, query) AS shape,
    creation_time,
    project_id,
    job_id,
    query
  FROM {{jobs}}
  WHERE creation_time >= @start
    AND creation_time < @end
    AND statement_type = 'SCRIPT'
    AND query IS NOT NULL
    -- Successful runs only: BigQuery sets the hash on those alone, so a failed run of a script
    -- (its text differing by a date literal) would otherwise be keyed, and reported, on its own.
    AND error_result IS NULL
),
samples AS (
  SELECT
    IFNULL(MAX(query_hash), CONCAT('script:', MAX_BY(job_id, creation_time))) AS key,
    COUNT(*) AS runs,
    MAX_BY(query, creation_time) AS sample_query,
    MAX_BY(project_id, creation_time) AS project_id,
    MAX_BY(job_id, creation_time) AS sample_job_id,
    MAX(creation_time) AS last_seen
  FROM scripts
  GROUP BY shape
),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (ORDER BY runs DESC, key) AS runs_rank
  FROM samples
)
SELECT key, runs, sample_query, project_id, sample_job_id, last_seen
FROM ranked
WHERE runs_rank <= @limit
ORDER BY runs DESC, key
