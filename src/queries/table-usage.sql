-- Reads and writes per table for jobs created in [@start, @end), SCRIPT parents excluded.
-- A read is a job whose referenced_tables include the table, failed or not (someone depends on
-- it); its on-demand bytes count in full toward every table it reads. A write is a job without
-- error whose destination_table is the table; anonymous result and script datasets (`_…`) are
-- not tables anyone owns. One row per table read or written: bounded by the number of tables.
WITH base AS (
  SELECT
    creation_time,
    project_id,
    referenced_tables,
    destination_table,
    error_result,
    {{> on-demand-bytes-billed}} AS on_demand_bytes_billed
  FROM {{jobs}}
  WHERE creation_time >= @start
    AND creation_time < @end
    AND IFNULL(statement_type, '') != 'SCRIPT'
),
reads AS (
  SELECT
    CONCAT(IFNULL(t.project_id, b.project_id), '.', t.dataset_id, '.', t.table_id) AS table_name,
    COUNT(*) AS reads,
    COUNT(DISTINCT CAST(b.creation_time AS DATE)) AS read_days,
    MAX(b.creation_time) AS last_read,
    SUM(b.on_demand_bytes_billed) AS read_on_demand_bytes_billed
  FROM base AS b
  CROSS JOIN UNNEST(b.referenced_tables) AS t
  GROUP BY table_name
),
writes AS (
  SELECT
    CONCAT(IFNULL(b.destination_table.project_id, b.project_id), '.', b.destination_table.dataset_id, '.',
      b.destination_table.table_id) AS table_name,
    COUNT(*) AS writes,
    MAX(b.creation_time) AS last_write
  FROM base AS b
  WHERE b.error_result IS NULL
    AND b.destination_table.table_id IS NOT NULL
    AND b.destination_table.dataset_id IS NOT NULL
    AND NOT STARTS_WITH(b.destination_table.dataset_id, '_')
  GROUP BY table_name
)
SELECT
  IFNULL(r.table_name, w.table_name) AS table_name,
  IFNULL(r.reads, 0) AS reads,
  IFNULL(r.read_days, 0) AS read_days,
  r.last_read,
  IFNULL(r.read_on_demand_bytes_billed, 0) AS read_on_demand_bytes_billed,
  IFNULL(w.writes, 0) AS writes,
  w.last_write
FROM reads AS r
FULL OUTER JOIN writes AS w
  ON w.table_name = r.table_name
ORDER BY IFNULL(r.table_name, w.table_name)
