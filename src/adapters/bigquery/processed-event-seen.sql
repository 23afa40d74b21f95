-- Has any row this dedupe key? Clustered on dedupe_key; no partition filter (a key stays
-- processed however old it is).
SELECT 1 AS hit FROM {{processed_events}} WHERE dedupe_key = @key LIMIT 1
