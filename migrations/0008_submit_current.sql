-- 0008_submit_current.sql - SubmitUpdate compares a submission with the
-- project's current revision for the period, under the chain's lock
-- (server/handlers/update.c, docs/decisions.md "Returns that can be amended").
-- Run as the schema owner.
--
-- planreg_submit_update (migrations/0006) gains one parameter and says what it
-- did in a word instead of a flag. Under the advisory lock, in this order:
--
--   1. an earlier submission under the same idempotency key (the credential's):
--      'replayed', its receipt; nothing written. First, so that a resend after
--      a broken connection gets the first receipt even though that submission
--      has since become the current revision (step 2 would refuse it).
--   2. content whose digest is the current revision's content_sha256 (the
--      digest covers ref, period and every field of the content: docs/audit.md):
--      'unchanged', the current revision's receipt; nothing written. Only the
--      current revision counts: content an older revision once had is new
--      again, so re-sending last week's file after a different revision makes
--      last week's content current instead of hiding behind it. Before the
--      amend check: an amend that arrives at what is already current has
--      nothing left to do, wherever it started.
--   3. p_amends_id (an amend: the update its content was made from) that is not
--      the current revision of the project and period: 'stale', with the
--      current revision's receipt (no row when the period has none); nothing
--      written.
--   4. otherwise 'written': hashed and inserted exactly as 0006 did.
--
-- Nothing about stored rows changes, and the hash and its record lines are
-- 0006's, byte for byte.

DROP FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text, text, boolean,
	text, text, text, jsonb, jsonb, jsonb, date, date, date);

CREATE FUNCTION planreg_submit_update(
	p_project_id bigint, p_period text, p_confidence text, p_stage text, p_narrative text,
	p_spend_pence bigint, p_forecast_pence bigint, p_variance_note text,
	p_submitted_by text, p_submitted_org text, p_submitted_person text, p_on_behalf boolean,
	p_idempotency_key text, p_content_sha256 text, p_content text, p_warnings jsonb,
	p_milestones jsonb, p_risks jsonb, p_starts date, p_ends date, p_due date, p_amends_id bigint)
RETURNS TABLE (id bigint, revision int, hash text, warnings text, content_sha256 text, submitted_at text,
	prev_hash text, outcome text)
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
	v_current bigint;
	v_current_sha text;
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
			u.prev_hash, 'replayed'::text
		FROM progress_update u WHERE u.id = v_id;
		RETURN;
	END IF;

	SELECT u.id, u.content_sha256 INTO v_current, v_current_sha FROM progress_update u
	WHERE u.project_id = p_project_id AND u.period = p_period ORDER BY u.revision DESC LIMIT 1;
	IF v_current_sha = p_content_sha256 OR (p_amends_id IS NOT NULL AND v_current IS DISTINCT FROM p_amends_id) THEN
		RETURN QUERY SELECT u.id, u.revision, u.hash, ''::text, u.content_sha256,
			to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), u.prev_hash,
			CASE WHEN v_current_sha = p_content_sha256 THEN 'unchanged' ELSE 'stale' END
		FROM progress_update u WHERE u.id = v_current;
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
		chr(31)), ''), p_content_sha256, v_at, v_prev, 'written'::text;
END
$fn$;

REVOKE EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint) TO planreg_app;
