-- 0014_log.sql - the verifiable log (docs/verifiable-log.md, "The log in the
-- database"; docs/decisions.md "The log's leaves and nodes in two tables").
-- Run as the schema owner.
--
-- Every return revision (progress_update) and every review (update_review) is
-- one leaf of an RFC 6962 Merkle tree: log_leaf holds its canonical bytes
-- (versioned, planreg-log-v1, the same bytes server/chain.c's chain_leaf_*
-- build), log_node every complete subtree's hash keyed by (level, index),
-- level 0 being the leaf hashes, so that any inclusion or consistency proof is
-- O(log n) reads by primary key. The tree's size is the number of leaves.
--
-- Leaves are appended by planreg_log_append only, from AFTER INSERT triggers
-- on the two history tables, under the chain's advisory lock (the key of
-- migrations/0006), so leaf indices have no gaps and no two writers extend the
-- tree at once; indices are never taken from a sequence (a rolled-back
-- transaction would leave a hole). The existing history becomes the first
-- leaves: every update in id order, then every review in id order.
--
-- The daemon's role may only read both tables (the triggers run with the
-- owner's rights); they are append-only like the history itself (0002). The
-- log's signing key and the last tree it signed are never in the database:
-- planregd keeps them in files (log_key, log_state).

CREATE TABLE log_leaf (
	idx bigint PRIMARY KEY CHECK (idx >= 0),
	update_id bigint UNIQUE REFERENCES progress_update,
	review_id bigint UNIQUE REFERENCES update_review,
	entry bytea NOT NULL,
	CHECK ((update_id IS NULL) <> (review_id IS NULL))
);

CREATE TABLE log_node (
	level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
	idx bigint NOT NULL CHECK (idx >= 0),
	hash bytea NOT NULL CHECK (octet_length(hash) = 32),
	PRIMARY KEY (level, idx)
);

CREATE TRIGGER log_leaf_append_only BEFORE UPDATE OR DELETE ON log_leaf
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER log_leaf_no_truncate BEFORE TRUNCATE ON log_leaf
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER log_node_append_only BEFORE UPDATE OR DELETE ON log_node
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER log_node_no_truncate BEFORE TRUNCATE ON log_node
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

-- One field of a leaf: key=<byte length>:<bytes>\n, as chain.c's chain_str writes it.
CREATE FUNCTION planreg_log_str(p_key text, p_value text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $fn$
	SELECT p_key || '=' || octet_length(convert_to(coalesce(p_value, ''), 'UTF8'))::text || ':'
		|| coalesce(p_value, '') || E'\n'
$fn$;

CREATE FUNCTION planreg_log_time(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $fn$
	SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$fn$;

-- The leaf of an update (chain.c's chain_leaf_update). signature and certificate_sha256 are empty until
-- returns are signed by their submitters (issue 20, item 5).
CREATE FUNCTION planreg_log_update_entry(u progress_update) RETURNS bytea
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
		|| planreg_log_str('signature', '')
		|| planreg_log_str('certificate_sha256', ''), 'UTF8')
$fn$;

-- The leaf of a review (chain.c's chain_leaf_review).
CREATE FUNCTION planreg_log_review_entry(r update_review) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
	SELECT convert_to('planreg-log-v1' || E'\n' || 'kind=review' || E'\n'
		|| 'review_id=' || r.id::text || E'\n'
		|| 'update_id=' || r.update_id::text || E'\n'
		|| 'accepted=' || CASE WHEN r.accepted THEN 'true' ELSE 'false' END || E'\n'
		|| planreg_log_str('comment', r.comment)
		|| planreg_log_str('reviewed_by', r.reviewed_by)
		|| planreg_log_str('reviewed_at', planreg_log_time(r.reviewed_at))
		|| planreg_log_str('signature', '')
		|| planreg_log_str('certificate_sha256', ''), 'UTF8')
$fn$;

-- Appends one leaf and every complete subtree it completes (a binary counter: merge while the index is odd),
-- returning its index. O(log n) reads and inserts.
CREATE FUNCTION planreg_log_append(p_entry bytea, p_update_id bigint, p_review_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v_idx bigint;
	v_i bigint;
	v_level int := 0;
	v_hash bytea;
	v_left bytea;
BEGIN
	PERFORM pg_advisory_xact_lock(31644363112211817);
	SELECT coalesce(max(l.idx) + 1, 0) INTO v_idx FROM log_leaf l;
	v_hash := sha256(decode('00', 'hex') || p_entry);
	INSERT INTO log_leaf (idx, update_id, review_id, entry) VALUES (v_idx, p_update_id, p_review_id, p_entry);
	INSERT INTO log_node (level, idx, hash) VALUES (0, v_idx, v_hash);
	v_i := v_idx;
	WHILE v_i % 2 = 1 LOOP
		SELECT n.hash INTO STRICT v_left FROM log_node n WHERE n.level = v_level AND n.idx = v_i - 1;
		v_hash := sha256(decode('01', 'hex') || v_left || v_hash);
		v_level := v_level + 1;
		v_i := v_i / 2;
		INSERT INTO log_node (level, idx, hash) VALUES (v_level, v_i, v_hash);
	END LOOP;
	RETURN v_idx;
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_log_append(bytea, bigint, bigint) FROM PUBLIC;

CREATE FUNCTION planreg_log_update_leaf() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
	PERFORM planreg_log_append(planreg_log_update_entry(NEW), NEW.id, NULL);
	RETURN NULL;
END
$fn$;

CREATE FUNCTION planreg_log_review_leaf() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
	PERFORM planreg_log_append(planreg_log_review_entry(NEW), NULL, NEW.id);
	RETURN NULL;
END
$fn$;

-- the history so far: updates in id order (the chain's order), then reviews
DO $$
DECLARE
	u progress_update;
	r update_review;
BEGIN
	FOR u IN SELECT * FROM progress_update ORDER BY id LOOP
		PERFORM planreg_log_append(planreg_log_update_entry(u), u.id, NULL);
	END LOOP;
	FOR r IN SELECT * FROM update_review ORDER BY id LOOP
		PERFORM planreg_log_append(planreg_log_review_entry(r), NULL, r.id);
	END LOOP;
END
$$;

CREATE TRIGGER progress_update_log AFTER INSERT ON progress_update
	FOR EACH ROW EXECUTE FUNCTION planreg_log_update_leaf();
CREATE TRIGGER update_review_log AFTER INSERT ON update_review
	FOR EACH ROW EXECUTE FUNCTION planreg_log_review_leaf();

REVOKE ALL ON log_leaf, log_node FROM planreg_app;
GRANT SELECT ON log_leaf, log_node TO planreg_app;
