-- The most expensive query shapes (normalized-literals hash) among jobs created in [@start, @end):
-- the top @limit by on-demand bytes billed plus the top @limit by reservation slot-ms (a shape can
-- be in both), so at most 2 × @limit rows. Ranked on quantities, never dollars: prices stay out of
-- SQL. Shapes that billed nothing either way are left out.
-- BigQuery sets the hash only for successful, non-cached GoogleSQL queries.
-- MAX_BY(x, creation_time) takes x from the latest run; rows where x is NULL are skipped first
-- (GoogleSQL applies IGNORE NULLS before HAVING MAX; DuckDB's max_by skips NULL x the same way).
WITH base AS (
  SELECT
    query_info.query_hashes.normalized_literals AS query_hash,
    creation_time,
    project_id,
    user_email,
    statement_type,
    query,
    job_id,
    IFNULL(total_bytes_processed, 0) AS bytes_processed,
    {{> on-demand-bytes-billed}} AS on_demand_bytes_billed,
    {{> reservation-slot-ms}} AS reservation_slot_ms
  FROM {{jobs}}
  WHERE creation_time >= @start
    AND creation_time < @end
    -- A SCRIPT parent repeats its children's bytes and slots.
    AND IFNULL(statement_type, '') != 'SCRIPT'
    AND query_info.query_hashes.normalized_literals IS NOT NULL
),
patterns AS (
  SELECT
    query_hash,
    COUNT(*) AS runs,
    SUM(on_demand_bytes_billed) AS on_demand_bytes_billed,
    SUM(reservation_slot_ms) AS reservation_slot_ms,
    SUM(bytes_processed) AS bytes_processed,
    -- The largest on-demand bill of a single run.
    MAX(on_demand_bytes_billed) AS max_bytes_billed,
    COUNT(DISTINCT CAST(creation_time AS DATE)) AS active_days,
    COUNT(DISTINCT user_email) AS distinct_users,
    MAX_BY(project_id, creation_time) AS project_id,
    MAX_BY(user_email, creation_time) AS user_email,
    MIN(creation_time) AS first_seen,
    MAX(creation_time) AS last_seen,
    MAX_BY(statement_type, creation_time) AS statement_type,
    MAX_BY(query, creation_time) AS sample_query,
    MAX_BY(job_id, creation_time) AS sample_job_id
  FROM base
  GROUP BY query_hash
),
ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (ORDER BY on_demand_bytes_billed DESC, query_hash) AS bytes_rank,
    ROW_NUMBER() OVER (ORDER BY reservation_slot_ms DESC, query_hash) AS slot_rank
  FROM patterns
)
SELECT
  query_hash, runs, on_demand_bytes_billed, reservation_slot_ms, bytes_processed, max_bytes_billed,
  active_days, distinct_users, project_id, user_email, first_seen, last_seen, statement_type,
  sample_query, sample_job_id
FROM ranked
WHERE (on_demand_bytes_billed > 0 AND bytes_rank <= @limit)
  OR (reservation_slot_ms > 0 AND slot_rank <= @limit)
ORDER BY on_demand_bytes_billed DESC, reservation_slot_ms DESC, query_hash
