-- One job by its id, for `/bqcost query <job_id>`. The view is partitioned by creation_time and
-- this filter is not on it, so in BigQuery it reads the job_id column of the whole retained
-- history (180 days; job ids are small, a few MB per million jobs) plus the named columns of the
-- one match. The newest row wins if an export holds the same id twice.
SELECT
  creation_time,
  project_id,
  user_email,
  statement_type,
  total_bytes_billed,
  total_slot_ms,
  query_info.query_hashes.normalized_literals AS query_hash,
  query
FROM {{jobs}}
WHERE job_id = @job_id
ORDER BY creation_time DESC
LIMIT 1
