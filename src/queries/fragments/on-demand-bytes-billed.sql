CASE
      WHEN {{> on-demand-billable}}
      THEN IFNULL(total_bytes_billed, 0)
      ELSE 0
    END
