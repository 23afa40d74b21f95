-- Appends the cost facts of jobs created in [@start, @end) and records the window, as one script.
-- Guard: a run that already covers part of this window (a concurrent or retried refresh that read
-- an older watermark) means these facts are in the table already; appending again would double count.
IF EXISTS (SELECT 1 FROM {{cost_fact_runs}} WHERE window_end > @start) THEN
  SELECT 'skipped' AS outcome;
  RETURN;
END IF;

-- The INFORMATION_SCHEMA read happens once, before the transaction, into a temp table.
CREATE TEMP TABLE new_cost_facts AS
SELECT * FROM (
{{cost_facts_query}}
);

-- Facts and their run record commit together or not at all: facts without a run row would be
-- appended again by the next refresh.
BEGIN TRANSACTION;
INSERT INTO {{cost_facts}} (day, dimension, key, reservation_id, edition, jobs, on_demand_bytes_billed, reservation_slot_ms, on_demand_slot_ms, window_start, window_end)
SELECT *, @start, @end FROM new_cost_facts;
INSERT INTO {{cost_fact_runs}} (window_start, window_end, finished_at)
VALUES (@start, @end, CURRENT_TIMESTAMP());
COMMIT TRANSACTION;

SELECT 'refreshed' AS outcome;
