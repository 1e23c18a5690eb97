-- 0030_sequencer_sets.sql - the sequencer's batch in a few statements, and a submission planned once per session
-- (docs/performance.md, "Planning" and "The batch"). Run as the schema owner.
--
-- * planreg_log_sequence_leaves (0029) ran about a dozen statements per leaf: the chain link, the leaf's entry,
--   and in planreg_log_append (0014) the chain's lock again, the tree's size, the leaf's insert, a read and an
--   insert per node, the queue's delete, and a RETURN QUERY. Now each leaf costs its chain link, its entry and
--   at most the reads of the right edge's nodes the batch has not made itself; the hashes are computed in the
--   function (the same binary counter as planreg_log_append: merge while the index is odd), and the leaves, the
--   nodes, the queue's delete and the answer are one statement each for the whole batch. The leaves, nodes and
--   links it writes are the same as before (tests/integration/test_log.py checks them against an independent
--   tree).
-- * planreg_submit_update (0029) read the current revision through unnest() of the project's editions, which the
--   generic plan estimates at ten rows and a custom plan at one: PostgreSQL kept choosing custom plans, and the
--   statement was planned on every call (0.17 ms, more than it ran). It now reads the editions from project by
--   lineage, whose estimate is the same either way. Nothing else in it changes.
-- * planreg_log_nodes reads nodes by key for the daemon (server/handlers/log.c, SQL_NODES: a signing's compact
--   range and consistency proof, a batch's inclusion proofs, a GetProof's). As a prepared join from the arrays,
--   its generic plan was made once per session from log_node's size then: while the table was small, a hash
--   join over a scan of all of it, kept as the log grew (0.44 ms a batch at 8,000 nodes); planned with its
--   values every time instead, it cost 0.15 ms of planning a call, a third of the proofs served per second.
--   Here the plan is made once and is always a probe of log_node's key per node, whatever the table's size
--   and the arrays' length.

-- As 0029's, but for the current revision's probe.
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
	-- the current revision and the highest revision number in one probe of progress_update_status per edition
	-- of the project (its returns for the period were made for any of them). 0030: the editions are read from
	-- project_lineage here; 0029's unnest of an array was estimated at ten editions by the generic plan and one
	-- by a custom plan, so every call was planned again.
	SELECT c.id, c.content_sha256, c.revision INTO v_current, v_current_sha, v_rev
	FROM project m
	CROSS JOIN LATERAL (SELECT u.id, u.content_sha256, u.revision FROM progress_update u
		WHERE u.project_id = m.id AND u.period = p_period ORDER BY u.revision DESC, u.id DESC LIMIT 1) c
	WHERE m.lineage = v_lineage
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

-- One batch, as 0029's: a row per new leaf in index order, then the tree's size.
CREATE OR REPLACE FUNCTION planreg_log_sequence_leaves()
RETURNS TABLE (tree_size bigint, idx bigint, update_id bigint, review_id bigint, entry text, prev_hash text,
	hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
#variable_conflict use_column
DECLARE
	q log_pending;
	u progress_update;
	v_size bigint; -- the tree's size, as the batch grows it
	v_prev text;   -- the chain's last link
	v_entry bytea;
	v_hash bytea;
	v_left bytea;
	v_i bigint;
	v_level int;
	v_edge bytea[] := '{}'; -- v_edge[k + 1]: the hash of the complete subtree of level k on the right edge
	n int := 0;             -- leaves made
	m int := 0;             -- nodes made
	l_idx bigint[];
	l_update bigint[];
	l_review bigint[];
	l_entry bytea[];
	l_prev text[];
	l_hash text[];
	l_seq bigint[];
	n_level smallint[];
	n_idx bigint[];
	n_hash bytea[];
BEGIN
	PERFORM pg_advisory_xact_lock(31644363112211817);
	v_size := coalesce((SELECT max(l.idx) + 1 FROM log_leaf l), 0);
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
		ELSE
			SELECT planreg_log_review_entry(r) INTO STRICT v_entry FROM update_review r WHERE r.id = q.review_id;
			u := NULL;
		END IF;
		n := n + 1;
		l_idx[n] := v_size;
		l_update[n] := q.update_id;
		l_review[n] := q.review_id;
		l_entry[n] := v_entry;
		l_prev[n] := u.prev_hash;
		l_hash[n] := u.hash;
		l_seq[n] := q.seq;
		-- the leaf's hash (RFC 6962: 0x00 || entry) and every subtree it completes (0x01 || left || right)
		v_hash := sha256('\x00'::bytea || v_entry);
		m := m + 1;
		n_level[m] := 0;
		n_idx[m] := v_size;
		n_hash[m] := v_hash;
		v_i := v_size;
		v_level := 0;
		WHILE v_i % 2 = 1 LOOP
			v_left := v_edge[v_level + 1];
			IF v_left IS NULL THEN -- made before this batch
				SELECT x.hash INTO STRICT v_left FROM log_node x WHERE x.level = v_level AND x.idx = v_i - 1;
			END IF;
			v_edge[v_level + 1] := NULL;
			v_hash := sha256('\x01'::bytea || v_left || v_hash);
			v_level := v_level + 1;
			v_i := v_i / 2;
			m := m + 1;
			n_level[m] := v_level;
			n_idx[m] := v_i;
			n_hash[m] := v_hash;
		END LOOP;
		v_edge[v_level + 1] := v_hash;
		v_size := v_size + 1;
	END LOOP;
	IF n > 0 THEN
		INSERT INTO log_leaf (idx, update_id, review_id, entry)
		SELECT x.i, x.u, x.r, x.e FROM unnest(l_idx, l_update, l_review, l_entry) AS x(i, u, r, e);
		INSERT INTO log_node (level, idx, hash)
		SELECT x.l, x.i, x.h FROM unnest(n_level, n_idx, n_hash) AS x(l, i, h);
		-- by the rows sequenced: a row queued with a lower seq may have committed after the loop's read
		DELETE FROM log_pending p WHERE p.seq = ANY (l_seq);
		RETURN QUERY SELECT NULL::bigint, x.i, x.u, x.r, convert_from(x.e, 'UTF8'), x.p, x.h
			FROM unnest(l_idx, l_update, l_review, l_entry, l_prev, l_hash) AS x(i, u, r, e, p, h);
	END IF;
	RETURN QUERY SELECT v_size, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text;
END
$fn$;

-- The nodes asked for that exist (level, index, hex hash), in no particular order.
CREATE FUNCTION planreg_log_nodes(p_level smallint[], p_idx bigint[])
RETURNS TABLE (level smallint, idx bigint, hash text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public, pg_temp
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $fn$
#variable_conflict use_column
BEGIN
	RETURN QUERY SELECT n.level, n.idx, encode(n.hash, 'hex') FROM unnest(p_level, p_idx) AS x(l, i)
		JOIN log_node n ON n.level = x.l AND n.idx = x.i;
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_log_nodes(smallint[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_log_nodes(smallint[], bigint[]) TO planreg_app;
