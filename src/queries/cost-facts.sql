-- Daily cost facts for every attribution dimension, for jobs created in [@start, @end).
-- Runs unchanged on BigQuery (INFORMATION_SCHEMA.JOBS_BY_PROJECT) and on the embedded DuckDB copy.
-- Quantities only (bytes, slot-ms, counts): prices are applied by the caller, per region.
WITH base AS (
  SELECT
    CAST(creation_time AS DATE) AS day,
    project_id,
    IFNULL(user_email, '(unknown)') AS user_email,
    IFNULL(query_info.query_hashes.normalized_literals, '(none)') AS query_hash,
    labels,
    referenced_tables,
    CASE WHEN reservation_id = 'default-pipeline' THEN NULL ELSE reservation_id END AS reservation_id,
    CASE WHEN reservation_id IS NULL OR reservation_id = 'default-pipeline' THEN NULL ELSE edition END AS edition,
    -- On demand bills total_bytes_billed of successful, non-cached jobs only. Reservation jobs
    -- report total_bytes_billed too, but they are paid for by capacity, never by bytes.
    {{> on-demand-bytes-billed}} AS on_demand_bytes_billed,
    {{> reservation-slot-ms}} AS reservation_slot_ms,
    -- Slots that on-demand jobs used: what the same work would need as editions capacity.
    CASE WHEN reservation_id IS NULL THEN IFNULL(total_slot_ms, 0) ELSE 0 END AS on_demand_slot_ms
  FROM {{jobs}}
  WHERE creation_time >= @start
    AND creation_time < @end
    -- A SCRIPT parent repeats its children's bytes and slots: counting it would double count.
    AND IFNULL(statement_type, '') != 'SCRIPT'
)
SELECT day, 'total' AS dimension, '' AS key, reservation_id, edition,
  COUNT(*) AS jobs, SUM(on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM base
GROUP BY day, reservation_id, edition
UNION ALL
SELECT day, 'user' AS dimension, user_email AS key, reservation_id, edition,
  COUNT(*) AS jobs, SUM(on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM base
GROUP BY day, user_email, reservation_id, edition
UNION ALL
SELECT day, 'project' AS dimension, project_id AS key, reservation_id, edition,
  COUNT(*) AS jobs, SUM(on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM base
GROUP BY day, project_id, reservation_id, edition
UNION ALL
SELECT day, 'query_pattern' AS dimension, query_hash AS key, reservation_id, edition,
  COUNT(*) AS jobs, SUM(on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM base
GROUP BY day, query_hash, reservation_id, edition
UNION ALL
-- A job with several labels counts toward each of them.
SELECT b.day, 'label' AS dimension, CONCAT(l.key, ':', IFNULL(l.value, '')) AS key, b.reservation_id, b.edition,
  COUNT(*) AS jobs, SUM(b.on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(b.reservation_slot_ms) AS reservation_slot_ms,
  SUM(b.on_demand_slot_ms) AS on_demand_slot_ms
FROM base AS b
CROSS JOIN UNNEST(b.labels) AS l
GROUP BY b.day, CONCAT(l.key, ':', IFNULL(l.value, '')), b.reservation_id, b.edition
UNION ALL
SELECT day, 'label' AS dimension, '(none)' AS key, reservation_id, edition,
  COUNT(*) AS jobs, SUM(on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM base
WHERE IFNULL(ARRAY_LENGTH(labels), 0) = 0
GROUP BY day, reservation_id, edition
UNION ALL
-- A job that reads several tables counts in full toward each of them.
SELECT b.day, 'table' AS dimension, CONCAT(IFNULL(t.project_id, b.project_id), '.', t.dataset_id, '.', t.table_id) AS key,
  b.reservation_id, b.edition,
  COUNT(*) AS jobs, SUM(b.on_demand_bytes_billed) AS on_demand_bytes_billed, SUM(b.reservation_slot_ms) AS reservation_slot_ms,
  SUM(b.on_demand_slot_ms) AS on_demand_slot_ms
FROM base AS b
CROSS JOIN UNNEST(b.referenced_tables) AS t
GROUP BY b.day, CONCAT(IFNULL(t.project_id, b.project_id), '.', t.dataset_id, '.', t.table_id), b.reservation_id, b.edition
