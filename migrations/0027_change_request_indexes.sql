-- 0027_change_request_indexes.sql - two partial indexes for what the consolidated status asks of every project
-- row (0019's planreg_assurance_status): its pending change requests, and whether a time change of the
-- return's period is pending or was rejected. 0022 narrowed change_request_one_pending to kinds other than
-- scope, so the count of pending requests read every request the project ever had (superseded ones included:
-- a register with a forecast that moves each quarter has one per quarter), about 0.25 ms a row.
-- Measured with tests/bench/status_bench.sh's register (10,000 projects x 40 quarters, 218,610 requests): the
-- status query for a 500-project page went from 170 ms to 45 ms (docs/performance.md).
CREATE INDEX change_request_pending ON change_request (project_id) WHERE state = 'pending';
CREATE INDEX change_request_time_open ON change_request (project_id, period)
	WHERE kind = 'time' AND state IN ('pending', 'rejected');
