-- The tables that the query shapes in @hashes read in [@start, @end), as `project.dataset.table`
-- with the number of runs that read each: at most @tables_per_pattern per shape, the most read
-- first (a wildcard query over date shards references every shard).
WITH reads AS (
  SELECT
    j.query_info.query_hashes.normalized_literals AS query_hash,
    CONCAT(IFNULL(t.project_id, j.project_id), '.', t.dataset_id, '.', t.table_id) AS table_name,
    COUNT(*) AS runs
  FROM {{jobs}} AS j
  CROSS JOIN UNNEST(j.referenced_tables) AS t
  WHERE j.creation_time >= @start
    AND j.creation_time < @end
    AND IFNULL(j.statement_type, '') != 'SCRIPT'
    AND j.query_info.query_hashes.normalized_literals IN (SELECT h FROM UNNEST(@hashes) AS h)
  GROUP BY query_hash, table_name
)
SELECT query_hash, table_name, runs
FROM (
  SELECT
    query_hash,
    table_name,
    runs,
    ROW_NUMBER() OVER (PARTITION BY query_hash ORDER BY runs DESC, table_name) AS n
  FROM reads
) AS ranked
WHERE n <= @tables_per_pattern
ORDER BY query_hash, runs DESC, table_name
