-- 0029_plan_cache.sql - the write path's statements keep their plans (docs/performance.md, "Planning").
-- Run as the schema owner.
--
-- planregd no longer sets plan_cache_mode = force_custom_plan for its whole session (only the listings and
-- status statements that need their values to plan well ask for custom plans, server/db_pool.h's
-- DB_CUSTOM_PLAN). That setting also reached every statement of the functions and triggers a submission runs,
-- so each was planned again on every call: 2.5 ms of planning per submission, more than their execution.
-- With the plan cache left to PostgreSQL, three things here would still be planned every time or planned badly:
--
-- * planreg_log_str and planreg_log_time (0014) carried SET search_path and were IMMUTABLE over STABLE
--   functions (convert_to, to_char), either of which stops PostgreSQL from inlining an SQL function: each of
--   the nine fields of a leaf was a function call planned on every call. They use pg_catalog's operators only
--   and are inlined now (STABLE, as what they call) into callers that all set their own search_path.
-- * planreg_log_update_entry and planreg_log_review_entry (0020) are SQL functions with a subquery, which are
--   never inlined and plan their body on every call: now PL/pgSQL, whose plans are cached. The leaf's bytes are
--   unchanged (tests/integration/test_log.py checks them against proto/chain.c's).
-- * planreg_submit_update (0025) found the current revision with "project_id = ANY (v_same)", whose generic plan
--   scans the whole period; it is now one index probe per edition of the project, and the same probe gives the
--   next revision number (0025 asked for it again with max()). Nothing else in it changes.
--
-- And the sequencer answers with what it made: planreg_log_sequence_leaves() is 0025's batch giving one row per
-- new leaf (its index, its entry and an update's chain link), so that the daemon proves each waiting call's leaf
-- from the nodes it reads to sign the batch's tree, with no query of its own (server/handlers/log_seq.c). A row
-- that gets its link takes it from UPDATE ... RETURNING instead of reading itself again.

ALTER FUNCTION planreg_log_str(text, text) RESET search_path STABLE;
ALTER FUNCTION planreg_log_time(timestamptz) RESET search_path STABLE;

-- The leaves, as 0020 made them, in PL/pgSQL.
CREATE OR REPLACE FUNCTION planreg_log_update_entry(u progress_update) RETURNS bytea
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
	RETURN convert_to('planreg-log-v1' || E'\n' || 'kind=update' || E'\n'
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
		|| planreg_log_str('certificate_sha256', u.certificate_sha256), 'UTF8');
END
$fn$;

CREATE OR REPLACE FUNCTION planreg_log_review_entry(r update_review) RETURNS bytea
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
	RETURN convert_to('planreg-log-v1' || E'\n' || 'kind=review' || E'\n'
		|| 'review_id=' || r.id::text || E'\n'
		|| 'update_id=' || r.update_id::text || E'\n'
		|| 'accepted=' || CASE WHEN r.accepted THEN 'true' ELSE 'false' END || E'\n'
		|| planreg_log_str('comment', r.comment)
		|| planreg_log_str('reviewed_by', r.reviewed_by)
		|| planreg_log_str('reviewed_at', planreg_log_time(r.reviewed_at))
		|| planreg_log_str('signature', encode(r.signature, 'hex'))
		|| planreg_log_str('certificate_sha256', r.certificate_sha256), 'UTF8');
END
$fn$;

-- As 0025's, but for the current revision's probe (marked "plan cache:").
CREATE OR REPLACE FUNCTION planreg_submit_update(
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
	v_at text;
	v_record text;
	v_current bigint;
	v_current_sha text;
	v_same bigint[];
	v_lineage bigint; -- sequencer:
BEGIN
	IF encode(sha256(convert_to(p_content, 'UTF8')), 'hex') IS DISTINCT FROM p_content_sha256 THEN
		RAISE EXCEPTION 'the canonical content of the update does not match its digest' USING ERRCODE = 'XX000';
	END IF;
	-- sequencer: a retry waits for the first try of its key (and then finds it); the two-key locks are a key
	-- space apart from the chain's one-key lock, which only planreg_log_sequence takes now
	PERFORM pg_advisory_xact_lock(31644364, hashtext(p_submitted_by || chr(31) || p_idempotency_key));

	SELECT u.id INTO v_id FROM progress_update u
	WHERE u.submitted_by = p_submitted_by AND u.idempotency_key = p_idempotency_key;
	IF FOUND THEN
		RETURN QUERY SELECT u.id, u.revision, u.hash, coalesce(array_to_string(u.warnings, chr(31)), ''),
			u.content_sha256, to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			u.prev_hash, 'replayed'::text
		FROM progress_update u WHERE u.id = v_id;
		RETURN;
	END IF;

	-- sequencer: one writer at a time per project lineage and period, so the revision below is exact
	SELECT x.lineage INTO v_lineage FROM project x WHERE x.id = p_project_id;
	PERFORM pg_advisory_xact_lock(31644365, hashtext(coalesce(v_lineage, p_project_id)::text || chr(31) || p_period));
	-- the project's rows in every edition: its returns for the period were made for any of them
	v_same := ARRAY(SELECT m.id FROM project m WHERE m.lineage = v_lineage); -- sequencer: v_lineage read above
	-- plan cache: the current revision and the highest revision number in one probe of
	-- progress_update_status per edition, which a generic plan keeps (0025's "project_id = ANY (v_same)" was
	-- planned generically as a scan of the whole period)
	SELECT c.id, c.content_sha256, c.revision INTO v_current, v_current_sha, v_rev
	FROM unnest(v_same) AS s(pid)
	CROSS JOIN LATERAL (SELECT u.id, u.content_sha256, u.revision FROM progress_update u
		WHERE u.project_id = s.pid AND u.period = p_period ORDER BY u.revision DESC, u.id DESC LIMIT 1) c
	ORDER BY c.revision DESC, c.id DESC LIMIT 1;
	IF v_current_sha = p_content_sha256 OR (p_amends_id IS NOT NULL AND v_current IS DISTINCT FROM p_amends_id) THEN
		RETURN QUERY SELECT u.id, u.revision, u.hash, ''::text, u.content_sha256,
			to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), u.prev_hash,
			CASE WHEN v_current_sha = p_content_sha256 THEN 'unchanged' ELSE 'stale' END
		FROM progress_update u WHERE u.id = v_current;
		RETURN;
	END IF;

	v_rev := coalesce(v_rev, 0) + 1; -- plan cache: the current revision is the highest
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
	-- sequencer: the link is hashed by planreg_log_sequence from what follows the previous hash
	PERFORM set_config('planreg.chain_tail', p_content || v_record, true);
	-- sequencer: this transaction commits without waiting for its WAL to reach the disk. Its return is answered
	-- only once a batch has given it its leaf, and that batch's commit (durable, and visible only once durable)
	-- comes after this one in the WAL, which is flushed and replayed in order: nothing is acknowledged before it
	-- is on disk, and a crash of PostgreSQL can lose only a return nobody was answered for, and then also every
	-- later one (so revisions and the chain stay gapless). docs/decisions.md, "The sequencer".
	PERFORM set_config('synchronous_commit', 'off', true);

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
		ARRAY(SELECT jsonb_array_elements_text(p_warnings)), NULL, NULL, -- sequencer: linked by the sequencer
		p_signature, CASE WHEN p_signature IS NULL THEN NULL ELSE encode(sha256(p_certificate), 'hex') END)
	RETURNING u.id INTO v_id;
	INSERT INTO update_milestone (update_id, position, title, baseline, forecast, achieved)
	SELECT v_id, x.ordinality, x.value->>'title', (x.value->>'baseline')::date,
		NULLIF(x.value->>'forecast', '')::date, NULLIF(x.value->>'achieved', '')::date
	FROM jsonb_array_elements(p_milestones) WITH ORDINALITY x;
	INSERT INTO update_risk (update_id, position, risk)
	SELECT v_id, x.ordinality, x.value FROM jsonb_array_elements_text(p_risks) WITH ORDINALITY x;

	-- sequencer: no hash yet (NULL): the daemon answers with the one its leaf carries
	RETURN QUERY SELECT v_id, v_rev, NULL::text, coalesce(array_to_string(ARRAY(SELECT jsonb_array_elements_text(p_warnings)),
		chr(31)), ''), p_content_sha256, v_at, NULL::text, 'written'::text;
END
$fn$;

-- One batch (0025's planreg_log_sequence), answering a row per leaf it made, in index order, then one row with
-- the tree's size after it and nothing else.
CREATE FUNCTION planreg_log_sequence_leaves()
RETURNS TABLE (tree_size bigint, idx bigint, update_id bigint, review_id bigint, entry text, prev_hash text,
	hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
#variable_conflict use_column
DECLARE
	q log_pending;
	u progress_update;
	v_prev text;
	v_entry bytea;
	v_idx bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(31644363112211817);
	v_prev := coalesce((SELECT x.hash FROM log_leaf l JOIN progress_update x ON x.id = l.update_id
	                    ORDER BY l.idx DESC LIMIT 1), repeat('0', 64));
	FOR q IN SELECT * FROM log_pending ORDER BY seq LOOP
		IF q.update_id IS NOT NULL THEN
			IF q.chain_tail IS NOT NULL THEN
				UPDATE progress_update x SET prev_hash = v_prev,
					hash = encode(sha256(convert_to(v_prev || E'\n' || q.chain_tail, 'UTF8')), 'hex')
				WHERE x.id = q.update_id RETURNING * INTO STRICT u;
			ELSE
				SELECT * INTO STRICT u FROM progress_update x WHERE x.id = q.update_id;
			END IF;
			v_prev := u.hash;
			v_entry := planreg_log_update_entry(u);
			v_idx := planreg_log_append(v_entry, u.id, NULL);
			RETURN QUERY SELECT NULL::bigint, v_idx, u.id, NULL::bigint, convert_from(v_entry, 'UTF8'), u.prev_hash,
				u.hash;
		ELSE
			SELECT planreg_log_review_entry(r) INTO STRICT v_entry FROM update_review r WHERE r.id = q.review_id;
			v_idx := planreg_log_append(v_entry, NULL, q.review_id);
			RETURN QUERY SELECT NULL::bigint, v_idx, NULL::bigint, q.review_id, convert_from(v_entry, 'UTF8'),
				NULL::text, NULL::text;
		END IF;
		DELETE FROM log_pending p WHERE p.seq = q.seq;
	END LOOP;
	RETURN QUERY SELECT coalesce((SELECT max(l.idx) + 1 FROM log_leaf l), 0), NULL::bigint, NULL::bigint,
		NULL::bigint, NULL::text, NULL::text, NULL::text;
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_log_sequence_leaves() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_log_sequence_leaves() TO planreg_app;

-- 0025's call, for the database owner's bulk loads (tests/bench/gen_register.sql): the same batch, counted.
CREATE OR REPLACE FUNCTION planreg_log_sequence(OUT tree_size bigint, OUT sequenced int)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
	SELECT max(s.tree_size), count(s.idx)::int FROM planreg_log_sequence_leaves() s
$fn$;
