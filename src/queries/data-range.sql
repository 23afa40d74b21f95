-- The span of job history available, to default the analysis window.
SELECT MIN(creation_time) AS first_creation_time, MAX(creation_time) AS last_creation_time, COUNT(*) AS jobs
FROM {{jobs}}
