-- 0031_write_in_batch.sql - the sequencer writes the returns it sequences (docs/verifiable-log.md, "The sequencer";
-- docs/performance.md, "The write in the batch"). Run as the schema owner.
--
-- Until now every return was written by planreg_submit_update in a transaction of its own, queued in log_pending,
-- and then given its chain link (an UPDATE of the row just written) and its leaf by the next batch: about twenty
-- statements and two transactions per return, and the database alone spent about 1.2 ms of the machine on each.
-- planreg_log_sequence_batch takes the daemon's validated returns themselves and writes a whole batch in the
-- batch's one transaction, under the chain's lock: the revision numbers and the replayed, unchanged and stale
-- answers are decided for the batch (in order, so a retry or a second return for the same period in the same
-- batch sees the first), each chain link is computed before its row is inserted (no UPDATE), and the rows, their
-- milestones, risks and actuals, the leaves and the nodes are one statement per table for the whole batch.
--
-- What was queued in log_pending by anything else (a review, or a return written through planreg_submit_update,
-- which stays for the database owner's tools) is sequenced first, by planreg_log_sequence_leaves (0030), in the
-- same transaction; the batch's returns follow it on the chain and in the tree.
--
-- p_writes is a JSON array of returns as the daemon checked them (server/handlers/update.c, update_write_json):
-- the arguments of planreg_submit_update by name, and the indicator actuals. The answer: first a row per leaf
-- made from log_pending (pos NULL), as planreg_log_sequence_leaves answers; then one row per return, in order
-- (pos = its place in p_writes, from 1), with its outcome (written, replayed, unchanged or stale), the update
-- it names (NULL for a stale amend of a period that has none) and, when written, its leaf's index and entry;
-- then one row with the tree's size.

CREATE FUNCTION planreg_log_sequence_batch(p_writes jsonb)
RETURNS TABLE (tree_size bigint, idx bigint, update_id bigint, review_id bigint, entry text, prev_hash text,
	hash text, pos int, revision int, warnings text, content_sha256 text, submitted_at text, outcome text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
DECLARE
	s record;
	r record;
	u progress_update;
	v_size bigint;
	v_prev text;
	v_at text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
	v_record text;
	v_entry bytea;
	v_hash bytea;
	v_left bytea;
	v_i bigint;
	v_level int;
	v_edge bytea[] := '{}';
	v_cert text;
	v_k int;
	v_key text;
	v_pair text;
	v_actuals boolean := false; -- any return of the batch has indicator actuals (0022's table)
	y_id bigint;
	y_rev int;
	y_hash text;
	y_prev text;
	y_warn text;
	y_sha text;
	y_at text;
	-- what the batch decided so far, by idempotency key and by project lineage and period
	k_key text[] := '{}';
	k_out int[] := '{}'; -- the answer (index into a_*) that key got
	c_pair text[] := '{}';
	c_id bigint[] := '{}';
	c_sha text[] := '{}';
	c_rev int[] := '{}';
	c_out int[] := '{}'; -- the written answer that is the current revision, NULL when it is the database's
	-- the answers, by pos
	a_id bigint[] := '{}';
	a_rev int[] := '{}';
	a_hash text[] := '{}';
	a_prev text[] := '{}';
	a_warn text[] := '{}';
	a_sha text[] := '{}';
	a_at text[] := '{}';
	a_out text[] := '{}';
	a_idx bigint[] := '{}';
	a_entry bytea[] := '{}';
	n int := 0; -- returns written
	m int := 0; -- nodes made
	w_row progress_update[] := '{}';
	w_ms jsonb[] := '{}';
	w_risks jsonb[] := '{}';
	w_actuals jsonb[] := '{}';
	w_cert bytea[] := '{}';
	w_period text[] := '{}';
	w_starts date[] := '{}';
	w_ends date[] := '{}';
	w_due date[] := '{}';
	l_idx bigint[] := '{}';
	l_update bigint[] := '{}';
	l_entry bytea[] := '{}';
	n_level smallint[] := '{}';
	n_idx bigint[] := '{}';
	n_hash bytea[] := '{}';
BEGIN
	PERFORM pg_advisory_xact_lock(31644363112211817);
	IF NOT EXISTS (SELECT 1 FROM log_pending) THEN -- the usual case: only the daemon writes returns
		v_size := coalesce((SELECT max(l.idx) + 1 FROM log_leaf l), 0);
	END IF;
	-- what others queued: its leaves are answered as planreg_log_sequence_leaves answers them
	IF v_size IS NULL THEN
		FOR s IN SELECT * FROM planreg_log_sequence_leaves() x LOOP
			IF s.tree_size IS NOT NULL THEN
				v_size := s.tree_size;
			ELSE
				tree_size := NULL;
				idx := s.idx;
				update_id := s.update_id;
				review_id := s.review_id;
				entry := s.entry;
				prev_hash := s.prev_hash;
				hash := s.hash;
				RETURN NEXT;
			END IF;
		END LOOP;
	END IF;
	IF jsonb_array_length(p_writes) = 0 THEN
		tree_size := v_size;
		idx := NULL; update_id := NULL; review_id := NULL; entry := NULL; prev_hash := NULL; hash := NULL;
		RETURN NEXT;
		RETURN;
	END IF;
	v_prev := coalesce((SELECT x.hash FROM log_leaf l JOIN progress_update x ON x.id = l.update_id
	                    ORDER BY l.idx DESC LIMIT 1), repeat('0', 64));
	-- the locks planreg_submit_update takes, in one order: a return it writes meanwhile is seen below
	PERFORM pg_advisory_xact_lock(x.k1, x.k2)
	FROM (SELECT DISTINCT 31644364 AS k1, hashtext((w.v->>'submitted_by') || chr(31) || (w.v->>'idempotency_key')) AS k2
	      FROM jsonb_array_elements(p_writes) w(v)
	      UNION
	      SELECT DISTINCT 31644365, hashtext(coalesce(p.lineage, p.id)::text || chr(31) || (w.v->>'period'))
	      FROM jsonb_array_elements(p_writes) w(v) JOIN project p ON p.id = (w.v->>'project_id')::bigint) x
	ORDER BY x.k1, x.k2;

	FOR r IN
		SELECT x.pos::int AS pos, w.*, p.lineage, rep.id AS replay_id, cur.id AS cur_id,
		       cur.content_sha256 AS cur_sha, cur.revision AS cur_rev
		FROM jsonb_array_elements(p_writes) WITH ORDINALITY x(v, pos)
		CROSS JOIN LATERAL jsonb_to_record(x.v) AS w(project_id bigint, period text, confidence text, stage text,
			narrative text, spend_pence bigint, forecast_pence bigint, variance_note text, submitted_by text,
			submitted_org text, submitted_person text, on_behalf boolean, idempotency_key text,
			content_sha256 text, content text, warnings jsonb, milestones jsonb, risks jsonb, actuals jsonb,
			starts date, ends date, due date, amends_id bigint, signature text, certificate text)
		LEFT JOIN project p ON p.id = w.project_id
		LEFT JOIN progress_update rep ON rep.submitted_by = w.submitted_by AND rep.idempotency_key = w.idempotency_key
		LEFT JOIN LATERAL (SELECT c.id, c.content_sha256, c.revision
			FROM project e
			CROSS JOIN LATERAL (SELECT y.id, y.content_sha256, y.revision FROM progress_update y
				WHERE y.project_id = e.id AND y.period = w.period ORDER BY y.revision DESC, y.id DESC LIMIT 1) c
			WHERE e.lineage = p.lineage
			ORDER BY c.revision DESC, c.id DESC LIMIT 1) cur ON true
		ORDER BY x.pos
	LOOP
		IF r.lineage IS NULL THEN
			RAISE EXCEPTION 'no project %', r.project_id USING ERRCODE = '23503';
		END IF;
		IF encode(sha256(convert_to(r.content, 'UTF8')), 'hex') IS DISTINCT FROM r.content_sha256 THEN
			RAISE EXCEPTION 'the canonical content of the update does not match its digest' USING ERRCODE = 'XX000';
		END IF;
		v_key := r.submitted_by || chr(31) || r.idempotency_key;
		v_pair := r.lineage::text || chr(31) || r.period;
		a_idx[r.pos] := NULL;
		a_entry[r.pos] := NULL;
		-- a retry of a return this batch wrote (or the database holds) is that return
		v_k := array_position(k_key, v_key);
		IF v_k IS NOT NULL THEN
			v_k := k_out[v_k];
			a_id[r.pos] := a_id[v_k]; a_rev[r.pos] := a_rev[v_k]; a_hash[r.pos] := a_hash[v_k];
			a_prev[r.pos] := a_prev[v_k]; a_warn[r.pos] := a_warn[v_k]; a_sha[r.pos] := a_sha[v_k];
			a_at[r.pos] := a_at[v_k]; a_out[r.pos] := 'replayed';
			CONTINUE;
		END IF;
		IF r.replay_id IS NOT NULL THEN
			SELECT y.id, y.revision, y.hash, y.prev_hash, coalesce(array_to_string(y.warnings, chr(31)), ''),
			       y.content_sha256, to_char(y.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
			INTO y_id, y_rev, y_hash, y_prev, y_warn, y_sha, y_at
			FROM progress_update y WHERE y.id = r.replay_id;
			a_id[r.pos] := y_id; a_rev[r.pos] := y_rev; a_hash[r.pos] := y_hash; a_prev[r.pos] := y_prev;
			a_warn[r.pos] := y_warn; a_sha[r.pos] := y_sha; a_at[r.pos] := y_at; a_out[r.pos] := 'replayed';
			CONTINUE;
		END IF;
		-- the current revision: one this batch wrote, or the database's
		v_k := array_position(c_pair, v_pair);
		IF v_k IS NULL THEN
			c_pair := c_pair || v_pair;
			c_id := c_id || r.cur_id;
			c_sha := c_sha || r.cur_sha;
			c_rev := c_rev || r.cur_rev;
			c_out := c_out || NULL::int;
			v_k := cardinality(c_pair);
		END IF;
		IF c_sha[v_k] = r.content_sha256 OR (r.amends_id IS NOT NULL AND c_id[v_k] IS DISTINCT FROM r.amends_id) THEN
			a_out[r.pos] := CASE WHEN c_sha[v_k] = r.content_sha256 THEN 'unchanged' ELSE 'stale' END;
			IF c_out[v_k] IS NOT NULL THEN
				a_id[r.pos] := a_id[c_out[v_k]]; a_rev[r.pos] := a_rev[c_out[v_k]];
				a_hash[r.pos] := a_hash[c_out[v_k]]; a_prev[r.pos] := a_prev[c_out[v_k]];
				a_sha[r.pos] := a_sha[c_out[v_k]]; a_at[r.pos] := a_at[c_out[v_k]];
			ELSIF c_id[v_k] IS NOT NULL THEN
				SELECT y.id, y.revision, y.hash, y.prev_hash, y.content_sha256,
				       to_char(y.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
				INTO y_id, y_rev, y_hash, y_prev, y_sha, y_at
				FROM progress_update y WHERE y.id = c_id[v_k];
				a_id[r.pos] := y_id; a_rev[r.pos] := y_rev; a_hash[r.pos] := y_hash; a_prev[r.pos] := y_prev;
				a_sha[r.pos] := y_sha; a_at[r.pos] := y_at;
			END IF;
			a_warn[r.pos] := '';
			CONTINUE;
		END IF;

		-- written: the next revision, linked to the chain's last link
		u := NULL;
		u.id := nextval('progress_update_id_seq');
		u.project_id := r.project_id;
		u.period := r.period;
		u.revision := coalesce(c_rev[v_k], 0) + 1;
		u.confidence := r.confidence::confidence;
		u.stage := r.stage::stage;
		u.narrative := r.narrative;
		u.spend_to_date_pence := r.spend_pence;
		u.forecast_total_pence := r.forecast_pence;
		u.variance_note := r.variance_note;
		u.submitted_by := r.submitted_by;
		u.submitted_org := r.submitted_org;
		u.submitted_person := r.submitted_person;
		u.on_behalf := r.on_behalf;
		u.submitted_at := v_at::timestamptz;
		u.idempotency_key := r.idempotency_key;
		u.content_sha256 := r.content_sha256;
		u.warnings := ARRAY(SELECT jsonb_array_elements_text(r.warnings));
		u.signature := r.signature::bytea;
		IF u.signature IS NOT NULL THEN
			v_cert := encode(sha256(r.certificate::bytea), 'hex');
			u.certificate_sha256 := v_cert;
			IF NOT r.certificate::bytea = ANY (w_cert) THEN
				w_cert := w_cert || r.certificate::bytea;
			END IF;
		END IF;
		-- chain.c's chain_str: key=<byte length>:<bytes>, after the canonical content
		v_record := 'revision=' || u.revision::text || E'\n'
			|| 'submitted_by=' || octet_length(convert_to(r.submitted_by, 'UTF8'))::text || ':' || r.submitted_by || E'\n'
			|| 'submitted_org=' || octet_length(convert_to(r.submitted_org, 'UTF8'))::text || ':' || r.submitted_org || E'\n'
			|| 'submitted_person=' || octet_length(convert_to(r.submitted_person, 'UTF8'))::text || ':'
			|| r.submitted_person || E'\n'
			|| 'on_behalf=' || CASE WHEN r.on_behalf THEN 'true' ELSE 'false' END || E'\n'
			|| 'submitted_at=' || octet_length(convert_to(v_at, 'UTF8'))::text || ':' || v_at || E'\n';
		u.prev_hash := v_prev;
		u.hash := encode(sha256(convert_to(v_prev || E'\n' || r.content || v_record, 'UTF8')), 'hex');
		v_prev := u.hash;
		v_entry := planreg_log_update_entry(u);

		n := n + 1;
		w_row[n] := u;
		w_ms[n] := r.milestones;
		w_risks[n] := r.risks;
		w_actuals[n] := r.actuals;
		v_actuals := v_actuals OR coalesce(jsonb_array_length(r.actuals), 0) > 0;
		w_period[n] := r.period;
		w_starts[n] := r.starts;
		w_ends[n] := r.ends;
		w_due[n] := r.due;
		l_idx[n] := v_size;
		l_update[n] := u.id;
		l_entry[n] := v_entry;
		a_id[r.pos] := u.id; a_rev[r.pos] := u.revision; a_hash[r.pos] := u.hash; a_prev[r.pos] := u.prev_hash;
		a_warn[r.pos] := coalesce(array_to_string(u.warnings, chr(31)), ''); a_sha[r.pos] := u.content_sha256;
		a_at[r.pos] := v_at; a_out[r.pos] := 'written'; a_idx[r.pos] := v_size; a_entry[r.pos] := v_entry;
		k_key := k_key || v_key;
		k_out := k_out || r.pos::int;
		c_id[v_k] := u.id; c_sha[v_k] := u.content_sha256; c_rev[v_k] := u.revision; c_out[v_k] := r.pos;

		-- its leaf (RFC 6962: 0x00 || entry) and every subtree it completes (0x01 || left || right), as in 0030
		v_hash := sha256('\x00'::bytea || v_entry);
		m := m + 1;
		n_level[m] := 0;
		n_idx[m] := v_size;
		n_hash[m] := v_hash;
		v_i := v_size;
		v_level := 0;
		WHILE v_i % 2 = 1 LOOP
			v_left := v_edge[v_level + 1];
			IF v_left IS NULL THEN -- made before this part of the batch
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
		INSERT INTO reporting_period (period, starts, ends, due)
		SELECT DISTINCT ON (x.p) x.p, x.s, x.e, x.d FROM unnest(w_period, w_starts, w_ends, w_due) AS x(p, s, e, d)
		WHERE NOT EXISTS (SELECT 1 FROM reporting_period y WHERE y.period = x.p)
		ON CONFLICT DO NOTHING;
		IF cardinality(w_cert) > 0 THEN
			INSERT INTO submitter_certificate (sha256, der)
			SELECT encode(sha256(c), 'hex'), c FROM unnest(w_cert) c
			WHERE NOT EXISTS (SELECT 1 FROM submitter_certificate y WHERE y.sha256 = encode(sha256(c), 'hex'))
			ON CONFLICT DO NOTHING;
		END IF;
		-- the leaves first (their reference to the row is checked at commit): the row trigger of 0025, as 0031
		-- has it, queues no row that already has its leaf
		INSERT INTO log_leaf (idx, update_id, review_id, entry)
		SELECT x.i, x.u, NULL, x.e FROM unnest(l_idx, l_update, l_entry) AS x(i, u, e);
		INSERT INTO progress_update (id, project_id, period, revision, confidence, stage, narrative,
			spend_to_date_pence, forecast_total_pence, variance_note, submitted_by, submitted_org,
			submitted_person, on_behalf, submitted_at, idempotency_key, content_sha256, warnings, prev_hash, hash,
			signature, certificate_sha256)
		OVERRIDING SYSTEM VALUE
		SELECT x.id, x.project_id, x.period, x.revision, x.confidence, x.stage, x.narrative,
			x.spend_to_date_pence, x.forecast_total_pence, x.variance_note, x.submitted_by, x.submitted_org,
			x.submitted_person, x.on_behalf, x.submitted_at, x.idempotency_key, x.content_sha256, x.warnings,
			x.prev_hash, x.hash, x.signature, x.certificate_sha256
		FROM unnest(w_row) x;
		INSERT INTO update_milestone (update_id, position, title, baseline, forecast, achieved)
		SELECT x.u, e.n, e.v->>'title', (e.v->>'baseline')::date, NULLIF(e.v->>'forecast', '')::date,
			NULLIF(e.v->>'achieved', '')::date
		FROM unnest(l_update, w_ms) AS x(u, j) CROSS JOIN LATERAL jsonb_array_elements(x.j) WITH ORDINALITY e(v, n);
		INSERT INTO update_risk (update_id, position, risk)
		SELECT x.u, e.n, e.v FROM unnest(l_update, w_risks) AS x(u, j)
		CROSS JOIN LATERAL jsonb_array_elements_text(x.j) WITH ORDINALITY e(v, n);
		IF v_actuals THEN
			INSERT INTO update_actual (update_id, position, indicator_id, value, note)
			SELECT x.u, e.n, (e.v->>'indicator_id')::bigint, e.v->>'value', e.v->>'note'
			FROM unnest(l_update, w_actuals) AS x(u, j)
			CROSS JOIN LATERAL jsonb_array_elements(coalesce(x.j, '[]')) WITH ORDINALITY e(v, n);
		END IF;
		INSERT INTO log_node (level, idx, hash)
		SELECT x.l, x.i, x.h FROM unnest(n_level, n_idx, n_hash) AS x(l, i, h);
	END IF;
	RETURN QUERY SELECT NULL::bigint, x.i, x.id, NULL::bigint, convert_from(x.e, 'UTF8'), x.pv, x.h, x.pos::int,
		x.rv, x.wn, x.sha, x.at, x.o
		FROM unnest(a_idx, a_id, a_entry, a_prev, a_hash, a_rev, a_warn, a_sha, a_at, a_out)
		WITH ORDINALITY AS x(i, id, e, pv, h, rv, wn, sha, at, o, pos);
	RETURN QUERY SELECT v_size, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
		NULL::int, NULL::int, NULL::text, NULL::text, NULL::text, NULL::text;
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_log_sequence_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_log_sequence_batch(jsonb) TO planreg_app;

-- A leaf may be written before its return, in the same transaction (the batch above): its reference is checked at
-- commit.
ALTER TABLE log_leaf ALTER CONSTRAINT log_leaf_update_id_fkey DEFERRABLE INITIALLY DEFERRED;

-- As 0025's, but a row that already has its leaf (the batch's) is not queued: before, every return the batch wrote
-- was queued by this trigger and unqueued again by the batch (an insert, a delete and a dead row each).
CREATE OR REPLACE FUNCTION planreg_log_update_leaf() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v_tail text := NULLIF(current_setting('planreg.chain_tail', true), '');
BEGIN
	IF NEW.hash IS NOT NULL AND EXISTS (SELECT 1 FROM log_leaf l WHERE l.update_id = NEW.id) THEN
		RETURN NULL;
	END IF;
	IF v_tail IS NULL AND NEW.hash IS NULL THEN
		RAISE EXCEPTION 'an update without its chain link is written by planreg_submit_update only'
			USING ERRCODE = 'P0001';
	END IF;
	PERFORM set_config('planreg.chain_tail', '', true);
	INSERT INTO log_pending (update_id, chain_tail) VALUES (NEW.id, CASE WHEN NEW.hash IS NULL THEN v_tail END);
	RETURN NULL;
END
$fn$;
