-- Has this analysis run stored any row in the table? A redelivered run then writes nothing.
SELECT COUNT(*) AS n FROM {{table}} WHERE run_id = @run
