CASE
      WHEN reservation_id IS NOT NULL AND reservation_id != 'default-pipeline'
      THEN IFNULL(total_slot_ms, 0)
      ELSE 0
    END
