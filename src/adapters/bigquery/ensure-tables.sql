-- bqcost's own tables. The dataset itself is provisioned by Terraform (in the same location as the
-- INFORMATION_SCHEMA region: one query job cannot read one location and write another).
-- Columns are nullable where BigQuery data could be null: a NOT NULL violation would fail every
-- refresh of the window for good.
CREATE TABLE IF NOT EXISTS {{cost_facts}} (
  day DATE NOT NULL,
  dimension STRING NOT NULL,
  key STRING,
  reservation_id STRING,
  edition STRING,
  jobs INT64,
  on_demand_bytes_billed INT64,
  reservation_slot_ms INT64,
  on_demand_slot_ms INT64,
  window_start TIMESTAMP NOT NULL,
  window_end TIMESTAMP NOT NULL
)
PARTITION BY day
CLUSTER BY dimension, key
OPTIONS (description = 'bqcost: daily cost quantities per attribution dimension, appended once per refresh window');

CREATE TABLE IF NOT EXISTS {{cost_fact_runs}} (
  window_start TIMESTAMP NOT NULL,
  window_end TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL
)
OPTIONS (description = 'bqcost: one row per committed cost_facts refresh; MAX(window_end) is the watermark');
