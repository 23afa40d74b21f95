-- Bytes billed per on-demand query job created in [@start, @end), per user and per project:
-- the job count, 101 quantiles (p0 … p100; APPROX_QUANTILES(x, 100) returns an array of 101, and
-- the embedded warehouse has a macro of that name returning exact ones) and the largest job.
-- Only jobs billed by bytes (same rules as cost-facts.sql) of type QUERY: these are what a
-- maximum_bytes_billed cap applies to. One row per user and per project.
WITH billed AS (
  SELECT
    project_id,
    IFNULL(user_email, '(unknown)') AS user_email,
    job_id,
    IFNULL(total_bytes_billed, 0) AS bytes_billed
  FROM {{jobs}}
  WHERE creation_time >= @start
    AND creation_time < @end
    AND IFNULL(statement_type, '') != 'SCRIPT'
    AND IFNULL(job_type, 'QUERY') = 'QUERY'
    AND {{> on-demand-billable}}
)
SELECT 'user' AS scope, user_email AS key, COUNT(*) AS jobs,
  APPROX_QUANTILES(bytes_billed, 100) AS quantiles, MAX_BY(job_id, bytes_billed) AS max_job_id
FROM billed
GROUP BY user_email
UNION ALL
SELECT 'project' AS scope, project_id AS key, COUNT(*) AS jobs,
  APPROX_QUANTILES(bytes_billed, 100) AS quantiles, MAX_BY(job_id, bytes_billed) AS max_job_id
FROM billed
GROUP BY project_id
ORDER BY scope, key
