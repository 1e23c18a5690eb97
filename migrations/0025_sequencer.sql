-- 0025_sequencer.sql - submissions no longer queue on one lock; a sequencer orders the log
-- (docs/verifiable-log.md, "The sequencer"; docs/decisions.md, "The sequencer"). Run as the schema owner.
--
-- Until now every submission took the chain's advisory lock (31644363112211817) and held it through its commit,
-- because its row's prev_hash was the previous row's hash and its leaf index was max + 1. Now:
--
-- * A submission takes two narrow locks only: one per (credential, idempotency key), so that a retry waits for
--   the first try and finds it, and one per (project lineage, period), so that revision numbers stay exact. Its
--   row is written with prev_hash and hash NULL, and an AFTER INSERT trigger queues it in log_pending with the
--   chain's input (the canonical content and the record, migrations/0006) that the daemon hashed anyway.
--   Reviews are queued the same way (they have no chain).
-- * planreg_log_sequence, called by the daemon after the submission committed (one call per batch of waiting
--   submissions, in a transaction of its own), takes the chain's advisory lock, and in log_pending's order
--   gives each queued row its chain link (prev_hash: the hash of the update whose leaf came last, as before;
--   the order of the chain is the order of the log), its leaf index and the node hashes it completes. The log's
--   global order is decided there and only there. The daemon signs one checkpoint per batch, after it committed.
--
-- A row in log_pending has no leaf yet and is not in the chain: VerifyAudit skips it, GetLeaves does not serve
-- it, and no receipt names it. A daemon killed between the two transactions leaves its rows queued; the next
-- batch of any daemon sequences them.

-- the chain's link is set by the sequencer, once
ALTER TABLE progress_update ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL,
	ADD CONSTRAINT progress_update_chained CHECK ((prev_hash IS NULL) = (hash IS NULL));

CREATE TABLE log_pending (
	seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	update_id bigint UNIQUE REFERENCES progress_update,
	review_id bigint UNIQUE REFERENCES update_review,
	chain_tail text, -- the canonical content and the record; NULL: the row came with its own link
	CHECK ((update_id IS NULL) <> (review_id IS NULL))
);
REVOKE ALL ON log_pending FROM planreg_app;
GRANT SELECT ON log_pending TO planreg_app;

-- The history stays append-only: the only UPDATE allowed is the sequencer's, giving a row queued without its
-- link (prev_hash NULL) its link and nothing else.
CREATE FUNCTION planreg_update_chain_once() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
	v progress_update;
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL THEN
		v := NEW;
		v.prev_hash := NULL;
		v.hash := NULL;
		v.narrative_md5 := OLD.narrative_md5; -- generated (0003): not computed yet in a BEFORE trigger
		IF v IS NOT DISTINCT FROM OLD THEN
			RETURN NEW;
		END IF;
	END IF;
	RAISE EXCEPTION 'progress history is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'P0001';
END
$fn$;
DROP TRIGGER progress_update_append_only ON progress_update;
CREATE TRIGGER progress_update_append_only BEFORE UPDATE OR DELETE ON progress_update
	FOR EACH ROW EXECUTE FUNCTION planreg_update_chain_once();

-- The triggers of 0014 now queue the row instead of appending its leaf. planreg_submit_update hands the chain's
-- input over in planreg.chain_tail (this transaction's setting); a row inserted without it must bring its link.
CREATE OR REPLACE FUNCTION planreg_log_update_leaf() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v_tail text := NULLIF(current_setting('planreg.chain_tail', true), '');
BEGIN
	IF v_tail IS NULL AND NEW.hash IS NULL THEN
		RAISE EXCEPTION 'an update without its chain link is written by planreg_submit_update only'
			USING ERRCODE = 'P0001';
	END IF;
	PERFORM set_config('planreg.chain_tail', '', true);
	INSERT INTO log_pending (update_id, chain_tail) VALUES (NEW.id, CASE WHEN NEW.hash IS NULL THEN v_tail END);
	RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION planreg_log_review_leaf() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
	INSERT INTO log_pending (review_id) VALUES (NEW.id);
	RETURN NULL;
END
$fn$;

-- One batch: every queued row, in queue order, linked into the chain and appended to the tree (0014's
-- planreg_log_append), then unqueued, in the caller's one transaction. Returns the tree's size after it and how
-- many rows this batch sequenced.
CREATE FUNCTION planreg_log_sequence(OUT tree_size bigint, OUT sequenced int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	q log_pending;
	u progress_update;
	v_prev text;
BEGIN
	PERFORM pg_advisory_xact_lock(31644363112211817);
	sequenced := 0;
	v_prev := coalesce((SELECT x.hash FROM log_leaf l JOIN progress_update x ON x.id = l.update_id
	                    ORDER BY l.idx DESC LIMIT 1), repeat('0', 64));
	FOR q IN SELECT * FROM log_pending ORDER BY seq LOOP
		IF q.update_id IS NOT NULL THEN
			IF q.chain_tail IS NOT NULL THEN
				UPDATE progress_update x SET prev_hash = v_prev,
					hash = encode(sha256(convert_to(v_prev || E'\n' || q.chain_tail, 'UTF8')), 'hex')
				WHERE x.id = q.update_id;
			END IF;
			SELECT * INTO STRICT u FROM progress_update x WHERE x.id = q.update_id;
			v_prev := u.hash;
			PERFORM planreg_log_append(planreg_log_update_entry(u), u.id, NULL);
		ELSE
			PERFORM planreg_log_append(planreg_log_review_entry(r), NULL, r.id)
			FROM update_review r WHERE r.id = q.review_id;
		END IF;
		DELETE FROM log_pending p WHERE p.seq = q.seq;
		sequenced := sequenced + 1;
	END LOOP;
	tree_size := coalesce((SELECT max(l.idx) + 1 FROM log_leaf l), 0);
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_log_sequence() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_log_sequence() TO planreg_app;

-- As 0020's (0022 left it as it was: a return's indicator actuals are inserted by the statement that calls it,
-- server/handlers/update.c's SQL_SUBMIT, so they commit with it), with the chain's lock
-- replaced by the two narrow ones and the chain link left to the sequencer. The lines that differ from 0020's
-- are marked "-- sequencer:".
DROP FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint, bytea, bytea);
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

REVOKE EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint,
	bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_submit_update(bigint, text, text, text, text, bigint, bigint, text, text, text,
	text, boolean, text, text, text, jsonb, jsonb, jsonb, date, date, date, bigint,
	bytea, bytea) TO planreg_app;
