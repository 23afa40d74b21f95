reservation_id IS NULL
      AND IFNULL(state, 'DONE') = 'DONE'
      AND error_result IS NULL
      AND NOT IFNULL(cache_hit, FALSE)
