-- One row per table with its storage bytes and its dataset's billing model option (absent = LOGICAL).
SELECT
  t.project_id,
  t.table_schema AS dataset_id,
  t.table_name AS table_id,
  t.table_type,
  t.creation_time,
  t.storage_last_modified_time,
  IFNULL(t.total_rows, 0) AS total_rows,
  IFNULL(t.total_partitions, 0) AS total_partitions,
  IFNULL(t.total_logical_bytes, 0) AS total_logical_bytes,
  IFNULL(t.active_logical_bytes, 0) AS active_logical_bytes,
  IFNULL(t.long_term_logical_bytes, 0) AS long_term_logical_bytes,
  IFNULL(t.total_physical_bytes, 0) AS total_physical_bytes,
  IFNULL(t.active_physical_bytes, 0) AS active_physical_bytes,
  IFNULL(t.long_term_physical_bytes, 0) AS long_term_physical_bytes,
  IFNULL(t.time_travel_physical_bytes, 0) AS time_travel_physical_bytes,
  IFNULL(t.fail_safe_physical_bytes, 0) AS fail_safe_physical_bytes,
  o.option_value AS storage_billing_model
FROM {{table_storage}} AS t
LEFT JOIN (
  SELECT catalog_name, schema_name, ANY_VALUE(option_value) AS option_value
  FROM {{schemata_options}}
  WHERE option_name = 'storage_billing_model'
  GROUP BY catalog_name, schema_name
) AS o
  ON o.catalog_name = t.project_id AND o.schema_name = t.table_schema
ORDER BY t.project_id, t.table_schema, t.table_name
