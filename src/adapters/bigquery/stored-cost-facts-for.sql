-- Stored daily facts of some dimensions for days in [@start_day, @end_day): stored-cost-facts.sql
-- with a filter on `dimension`, the first clustering column of cost_facts (block pruning).
SELECT
  day,
  dimension,
  key,
  reservation_id,
  edition,
  SUM(jobs) AS jobs,
  SUM(on_demand_bytes_billed) AS on_demand_bytes_billed,
  SUM(reservation_slot_ms) AS reservation_slot_ms,
  SUM(on_demand_slot_ms) AS on_demand_slot_ms
FROM {{cost_facts}}
WHERE day >= @start_day
  AND day < @end_day
  AND dimension IN UNNEST(@dimensions)
GROUP BY day, dimension, key, reservation_id, edition
