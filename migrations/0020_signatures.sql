-- 0020_signatures.sql - returns and reviews signed by their submitters (docs/verifiable-log.md, "Signed by
-- their submitters"; docs/decisions.md, "Submitters sign what they submit"). Run as the schema owner.
--
-- The CLI signs a domain-separated, versioned message made of what the log's leaf holds (proto/submitsig.c)
-- with the private key of its TLS certificate; planregd checks it against the connection's certificate
-- before anything is written. The signature and the SHA-256 of that certificate's DER are kept on the row
-- and in its leaf (the leaf's signature= and certificate_sha256= fields, empty until now), and the
-- certificate itself in submitter_certificate, served with the leaves, so `planreg audit verify` checks
-- every signature offline. Rows recorded unsigned (all history before this migration) keep NULL in both
-- columns, and their leaves are the same bytes as before: both fields stay empty.
--
-- Nothing is unique on, or looked up by, signature bytes: ECDSA signatures are malleable (anyone can make
-- a second valid signature of the same message), so a signature says who signed, never which submission
-- it is. submitter_certificate is keyed by the certificate's SHA-256 (the credential's fingerprint).

CREATE TABLE submitter_certificate (
	sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	der bytea NOT NULL
);
CREATE TRIGGER submitter_certificate_append_only BEFORE UPDATE OR DELETE ON submitter_certificate
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER submitter_certificate_no_truncate BEFORE TRUNCATE ON submitter_certificate
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

ALTER TABLE progress_update ADD COLUMN signature bytea,
	ADD COLUMN certificate_sha256 text REFERENCES submitter_certificate,
	ADD CONSTRAINT progress_update_signed CHECK ((signature IS NULL) = (certificate_sha256 IS NULL));
ALTER TABLE update_review ADD COLUMN signature bytea,
	ADD COLUMN certificate_sha256 text REFERENCES submitter_certificate,
	ADD CONSTRAINT update_review_signed CHECK ((signature IS NULL) = (certificate_sha256 IS NULL));

-- The leaves (proto/chain.c's chain_leaf_update, chain_leaf_review): as 0014's, with the signature in
-- lower-case hex and the certificate's SHA-256; both empty for a row recorded unsigned.
CREATE OR REPLACE FUNCTION planreg_log_update_entry(u progress_update) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
	SELECT convert_to('planreg-log-v1' || E'\n' || 'kind=update' || E'\n'
		|| 'update_id=' || u.id::text || E'\n'
		|| 'ref=' || (SELECT p.ref FROM project p WHERE p.id = u.project_id)::text || E'\n'
		|| planreg_log_str('period', u.period)
		|| 'revision=' || u.revision::text || E'\n'
		|| 'content_sha256=' || u.content_sha256 || E'\n'
		|| 'chain_hash=' || u.hash || E'\n'
		|| planreg_log_str('submitted_by', u.submitted_by)
		|| planreg_log_str('submitted_org', u.submitted_org)
		|| planreg_log_str('submitted_person', u.submitted_person)
		|| 'on_behalf=' || CASE WHEN u.on_behalf THEN 'true' ELSE 'false' END || E'\n'
		|| planreg_log_str('submitted_at', planreg_log_time(u.submitted_at))
		|| planreg_log_str('signature', encode(u.signature, 'hex'))
		|| planreg_log_str('certificate_sha256', u.certificate_sha256), 'UTF8')
$fn$;

CREATE OR REPLACE FUNCTION planreg_log_review_entry(r update_review) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
	SELECT convert_to('planreg-log-v1' || E'\n' || 'kind=review' || E'\n'
		|| 'review_id=' || r.id::text || E'\n'
		|| 'update_id=' || r.update_id::text || E'\n'
		|| 'accepted=' || CASE WHEN r.accepted THEN 'true' ELSE 'false' END || E'\n'
		|| planreg_log_str('comment', r.comment)
		|| planreg_log_str('reviewed_by', r.reviewed_by)
		|| planreg_log_str('reviewed_at', planreg_log_time(r.reviewed_at))
		|| planreg_log_str('signature', encode(r.signature, 'hex'))
		|| planreg_log_str('certificate_sha256', r.certificate_sha256), 'UTF8')
$fn$;

-- As 0016's, and: p_signature (NULL: unsigned, allowed only with require_signatures = no) checked by the
-- daemon against p_certificate, the DER of the connection's certificate, which is kept once.
DROP FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint);
CREATE FUNCTION planreg_submit_update(
	p_project_id bigint, p_period text, p_confidence text, p_stage text, p_narrative text,
	p_spend_pence bigint, p_forecast_pence bigint, p_variance_note text,
	p_submitted_by text, p_submitted_org text, p_submitted_person text, p_on_behalf boolean,
	p_idempotency_key text, p_content_sha256 text, p_content text, p_warnings jsonb,
	p_milestones jsonb, p_risks jsonb, p_starts date, p_ends date, p_due date, p_amends_id bigint,
	p_signature bytea, p_certificate bytea)
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
	v_same bigint[];
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

	-- the project's rows in every edition: its returns for the period were made for any of them
	v_same := ARRAY(SELECT m.id FROM project m
	                WHERE m.lineage = (SELECT x.lineage FROM project x WHERE x.id = p_project_id));
	SELECT u.id, u.content_sha256 INTO v_current, v_current_sha FROM progress_update u
	WHERE u.project_id = ANY (v_same) AND u.period = p_period ORDER BY u.revision DESC, u.id DESC LIMIT 1;
	IF v_current_sha = p_content_sha256 OR (p_amends_id IS NOT NULL AND v_current IS DISTINCT FROM p_amends_id) THEN
		RETURN QUERY SELECT u.id, u.revision, u.hash, ''::text, u.content_sha256,
			to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), u.prev_hash,
			CASE WHEN v_current_sha = p_content_sha256 THEN 'unchanged' ELSE 'stale' END
		FROM progress_update u WHERE u.id = v_current;
		RETURN;
	END IF;

	SELECT coalesce(max(u.revision), 0) + 1 INTO v_rev FROM progress_update u
	WHERE u.project_id = ANY (v_same) AND u.period = p_period;
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
	IF p_signature IS NOT NULL THEN
		INSERT INTO submitter_certificate (sha256, der) VALUES (encode(sha256(p_certificate), 'hex'), p_certificate)
		ON CONFLICT DO NOTHING;
	END IF;
	INSERT INTO progress_update AS u (project_id, period, revision, confidence, stage, narrative,
		spend_to_date_pence, forecast_total_pence, variance_note, submitted_by, submitted_org,
		submitted_person, on_behalf, submitted_at, idempotency_key, content_sha256, warnings, prev_hash, hash,
		signature, certificate_sha256)
	VALUES (p_project_id, p_period, v_rev, p_confidence::confidence, p_stage::stage, p_narrative,
		p_spend_pence, p_forecast_pence, p_variance_note, p_submitted_by, p_submitted_org,
		p_submitted_person, p_on_behalf, v_at::timestamptz, p_idempotency_key, p_content_sha256,
		ARRAY(SELECT jsonb_array_elements_text(p_warnings)), v_prev, v_hash,
		p_signature, CASE WHEN p_signature IS NULL THEN NULL ELSE encode(sha256(p_certificate), 'hex') END)
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
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint,
	bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint,
	bytea, bytea) TO planreg_app;

REVOKE ALL ON submitter_certificate FROM planreg_app;
GRANT SELECT, INSERT ON submitter_certificate TO planreg_app;
GRANT INSERT (signature, certificate_sha256) ON update_review TO planreg_app;
