-- Billed capacity per reservation and day for periods in [@start, @end): baseline plus the
-- autoscaled slots, one row per minute in RESERVATIONS_TIMELINE, so slot-hours = SUM(slots) / 60.
SELECT
  CAST(period_start AS DATE) AS day,
  reservation_id,
  ANY_VALUE(edition) AS edition,
  SUM(IFNULL(slots_assigned, 0)) / 60 AS baseline_slot_hours,
  SUM(IFNULL(autoscale.current_slots, 0)) / 60 AS autoscale_slot_hours,
  COUNT(*) AS minutes
FROM {{reservations_timeline}}
WHERE period_start >= @start
  AND period_start < @end
GROUP BY CAST(period_start AS DATE), reservation_id
ORDER BY day, reservation_id
