-- Billed capacity per reservation and day for periods in [@start, @end). RESERVATIONS_TIMELINE has
-- one row per reservation and minute: baseline slot-hours = SUM(slots_assigned) / 60; autoscale is
-- the billed period_autoscale_slot_seconds / 3600 where the view has it, else the per-minute
-- snapshot autoscale.current_slots / 60 (an approximation: the snapshot can change within a minute).
SELECT
  CAST(period_start AS DATE) AS day,
  reservation_id,
  ANY_VALUE(edition) AS edition,
  SUM(IFNULL(slots_assigned, 0)) / 60 AS baseline_slot_hours,
  SUM(IFNULL(period_autoscale_slot_seconds / 3600, IFNULL(autoscale.current_slots, 0) / 60)) AS autoscale_slot_hours,
  COUNT(*) AS minutes
FROM {{reservations_timeline}}
WHERE period_start >= @start
  AND period_start < @end
GROUP BY CAST(period_start AS DATE), reservation_id
ORDER BY day, reservation_id
