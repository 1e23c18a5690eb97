-- 0006_submit_update.sql - SubmitUpdate's write in one statement, so that the
-- chain's advisory lock is held for that statement (and its commit) only
-- (server/handlers/update.c, docs/audit.md). Run as the schema owner.
--
-- The daemon reads the project's context first, without the lock (leads for
-- the authorisation decision, the cost for the variance rule, what the
-- warnings compare with, an earlier submission under the same key), then calls
-- planreg_submit_update in autocommit: it takes the lock, reads the previous
-- hash, the revision and now(), computes the update's hash and inserts it, its
-- milestones and risks, and returns the receipt. A retry that raced the first
-- submission between the two statements finds it here, under the lock, and
-- gets its receipt (replayed = true) instead of a duplicate.
--
-- The hash is SHA-256(prev_hash || "\n" || canonical content || canonical
-- record) as chain.c computes it (docs/audit.md): the daemon passes the
-- canonical content's bytes (chain_encode, content only), which must hash to
-- p_content_sha256 like the stored content_sha256, and this function appends
-- the record lines (revision, submitted_by, submitted_org, submitted_person,
-- on_behalf, submitted_at), whose values only the database knows under the
-- lock. `planreg audit verify` recomputes every hash with chain.c.

CREATE FUNCTION planreg_submit_update(
	p_project_id bigint, p_period text, p_confidence text, p_stage text, p_narrative text,
	p_spend_pence bigint, p_forecast_pence bigint, p_variance_note text,
	p_submitted_by text, p_submitted_org text, p_submitted_person text, p_on_behalf boolean,
	p_idempotency_key text, p_content_sha256 text, p_content text, p_warnings jsonb,
	p_milestones jsonb, p_risks jsonb, p_starts date, p_ends date, p_due date)
RETURNS TABLE (id bigint, revision int, hash text, warnings text, content_sha256 text, submitted_at text,
	prev_hash text, replayed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
	v_id bigint;
	v_rev int;
	v_prev text;
	v_at text;
	v_record text;
	v_hash text;
BEGIN
	IF encode(sha256(convert_to(p_content, 'UTF8')), 'hex') IS DISTINCT FROM p_content_sha256 THEN
		RAISE EXCEPTION 'the canonical content of the update does not match its digest' USING ERRCODE = 'XX000';
	END IF;
	-- one writer at a time extends the chain (the key update.c used before)
	PERFORM pg_advisory_xact_lock(31644363112211817);

	SELECT u.id INTO v_id FROM progress_update u
	WHERE u.submitted_by = p_submitted_by AND u.idempotency_key = p_idempotency_key;
	IF FOUND THEN
		RETURN QUERY SELECT u.id, u.revision, u.hash, coalesce(array_to_string(u.warnings, chr(31)), ''),
			u.content_sha256, to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			u.prev_hash, true
		FROM progress_update u WHERE u.id = v_id;
		RETURN;
	END IF;

	SELECT coalesce(max(u.revision), 0) + 1 INTO v_rev FROM progress_update u
	WHERE u.project_id = p_project_id AND u.period = p_period;
	v_prev := coalesce((SELECT u.hash FROM progress_update u ORDER BY u.id DESC LIMIT 1), repeat('0', 64));
	v_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
	-- chain.c's chain_str: key=<byte length>:<bytes>
	v_record := 'revision=' || v_rev::text || E'\n'
		|| 'submitted_by=' || octet_length(convert_to(coalesce(p_submitted_by, ''), 'UTF8'))::text || ':'
		|| coalesce(p_submitted_by, '') || E'\n'
		|| 'submitted_org=' || octet_length(convert_to(coalesce(p_submitted_org, ''), 'UTF8'))::text || ':'
		|| coalesce(p_submitted_org, '') || E'\n'
		|| 'submitted_person=' || octet_length(convert_to(coalesce(p_submitted_person, ''), 'UTF8'))::text || ':'
		|| coalesce(p_submitted_person, '') || E'\n'
		|| 'on_behalf=' || CASE WHEN p_on_behalf THEN 'true' ELSE 'false' END || E'\n'
		|| 'submitted_at=' || octet_length(convert_to(v_at, 'UTF8'))::text || ':' || v_at || E'\n';
	v_hash := encode(sha256(convert_to(v_prev || E'\n' || p_content || v_record, 'UTF8')), 'hex');

	INSERT INTO reporting_period (period, starts, ends, due) VALUES (p_period, p_starts, p_ends, p_due)
	ON CONFLICT DO NOTHING;
	INSERT INTO progress_update AS u (project_id, period, revision, confidence, stage, narrative,
		spend_to_date_pence, forecast_total_pence, variance_note, submitted_by, submitted_org,
		submitted_person, on_behalf, submitted_at, idempotency_key, content_sha256, warnings, prev_hash, hash)
	VALUES (p_project_id, p_period, v_rev, p_confidence::confidence, p_stage::stage, p_narrative,
		p_spend_pence, p_forecast_pence, p_variance_note, p_submitted_by, p_submitted_org,
		p_submitted_person, p_on_behalf, v_at::timestamptz, p_idempotency_key, p_content_sha256,
		ARRAY(SELECT jsonb_array_elements_text(p_warnings)), v_prev, v_hash)
	RETURNING u.id INTO v_id;
	INSERT INTO update_milestone (update_id, position, title, baseline, forecast, achieved)
	SELECT v_id, x.ordinality, x.value->>'title', (x.value->>'baseline')::date,
		NULLIF(x.value->>'forecast', '')::date, NULLIF(x.value->>'achieved', '')::date
	FROM jsonb_array_elements(p_milestones) WITH ORDINALITY x;
	INSERT INTO update_risk (update_id, position, risk)
	SELECT v_id, x.ordinality, x.value FROM jsonb_array_elements_text(p_risks) WITH ORDINALITY x;

	RETURN QUERY SELECT v_id, v_rev, v_hash, coalesce(array_to_string(ARRAY(SELECT jsonb_array_elements_text(p_warnings)),
		chr(31)), ''), p_content_sha256, v_at, v_prev, false;
END
$fn$;

REVOKE EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date) TO planreg_app;
