-- 0016_editions.sql - the register across editions of the plan (docs/decisions.md, "Editions").
-- Run as the schema owner.
--
-- Each edition is a plan row; a successor names the edition it follows (plan.previous), and the
-- newest plan is the current one. Every edition keeps its own project rows, with the ref, title,
-- leads, cost and stage it printed; a project carried over into the next edition is a new row
-- that names the row it continues (project.continues), and every row of one project across
-- editions shares its lineage (the id of its first edition's row). Progress history stays on the
-- row it was submitted for: the ref in its hash is that row's, so `audit verify` of old returns
-- never changes, and nothing of the history is ever rewritten (0002's triggers refuse it).
-- Readers of a project's returns follow the lineage: its history, its latest revision for a
-- quarter, whether a revision is superseded, the next revision number.
--
-- It comes after 0008 (planreg_submit_update compares with the current revision), 0011 (the
-- status totals as a board reads them) and 0012, and re-creates those functions with everything
-- they added: this file only adds the plan to read and the lineage to follow.

-- ---------------------------------------------------------------- editions and lineages

ALTER TABLE plan ADD COLUMN previous integer UNIQUE REFERENCES plan,
	ADD CONSTRAINT plan_previous_older CHECK (previous < id);

ALTER TABLE project ADD COLUMN continues bigint UNIQUE REFERENCES project,
	ADD COLUMN lineage bigint;
UPDATE project SET lineage = id;
ALTER TABLE project ALTER COLUMN lineage SET NOT NULL,
	ADD CONSTRAINT project_one_per_edition UNIQUE (plan_id, lineage);
CREATE INDEX project_lineage ON project (lineage);

-- A new row's lineage is its own id, or that of the row it continues, which must belong to the
-- edition its plan succeeds; neither changes afterwards.
CREATE FUNCTION planreg_project_lineage() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF (NEW.continues, NEW.lineage) IS DISTINCT FROM (OLD.continues, OLD.lineage) THEN
			RAISE EXCEPTION 'project % of plan %: which project it continues is fixed when its edition is imported',
				OLD.ref, OLD.plan_id USING ERRCODE = 'P0001';
		END IF;
		RETURN NEW;
	END IF;
	IF NEW.continues IS NULL THEN
		NEW.lineage := NEW.id;
	ELSE
		SELECT c.lineage INTO NEW.lineage FROM project c JOIN plan pl ON pl.id = NEW.plan_id
		WHERE c.id = NEW.continues AND c.plan_id = pl.previous;
		IF NEW.lineage IS NULL THEN
			RAISE EXCEPTION 'project % can only continue a project of the edition its plan succeeds', NEW.ref
				USING ERRCODE = 'P0001';
		END IF;
	END IF;
	RETURN NEW;
END
$fn$;

CREATE TRIGGER project_lineage BEFORE INSERT OR UPDATE ON project
	FOR EACH ROW EXECUTE FUNCTION planreg_project_lineage();

-- The columns of the table the register does not read, kept with each project by their headings.
CREATE TABLE project_attribute (
	project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
	position integer NOT NULL CHECK (position >= 1),
	name name_text NOT NULL,
	value clean_text NOT NULL CHECK (btrim(value) <> '' AND length(value) <= 5000),
	PRIMARY KEY (project_id, position)
);
GRANT SELECT ON project_attribute TO planreg_app;

-- A plan named as people name it: its number, its title (any case), "current", or nothing (the
-- current plan, the newest). The SQLSTATE PR404 is planreg's own: db_error.c answers NOT_FOUND.
-- Requests call it once per statement, as a scalar subquery: (SELECT planreg_plan_id($1)).
CREATE FUNCTION planreg_plan_id(p_plan text) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v integer;
BEGIN
	IF p_plan IS NULL OR btrim(p_plan) = '' OR lower(btrim(p_plan)) = 'current' THEN
		RETURN (SELECT max(id) FROM plan);
	END IF;
	IF btrim(p_plan) ~ '^[0-9]{1,9}$' THEN
		SELECT id INTO v FROM plan WHERE id = btrim(p_plan)::integer;
	ELSE
		SELECT id INTO v FROM plan WHERE lower(title) = lower(btrim(p_plan));
	END IF;
	IF v IS NULL THEN
		RAISE EXCEPTION 'there is no plan "%" (`planreg plan list` names each by its number and title)', p_plan
			USING ERRCODE = 'PR404';
	END IF;
	RETURN v;
END
$fn$;
GRANT EXECUTE ON FUNCTION planreg_plan_id(text) TO planreg_app;

-- ---------------------------------------------------------------- the status, across editions

-- As 0003's, with the plan to read (p_plan, NULL for the current one) and each project's returns
-- found through its lineage: a return made for the project in an earlier edition is its return.
DROP FUNCTION planreg_status_rows(text, timestamptz, text, date, integer, text, text, text, boolean, stage,
                                  confidence, integer, integer);
CREATE FUNCTION planreg_status_rows(p_period text, p_as_at timestamptz, p_prev text, p_due_default date,
                                    p_theme integer, p_objective text, p_lead text, p_scope text,
                                    p_narrative boolean, p_stage stage, p_confidence confidence,
                                    p_after integer, p_limit integer, p_plan text DEFAULT NULL)
RETURNS TABLE (
	project_id bigint, ref integer, title text, theme integer, objective text, lead_orgs text,
	cost_text text, cost_status cost_status, cost_min_pence bigint, cost_max_pence bigint,
	cost_approximate boolean, register_stage stage,
	update_id bigint, revision integer, confidence confidence, stage stage,
	spend_to_date_pence bigint, forecast_total_pence bigint, submitted_at timestamptz,
	review_accepted boolean, review_comment text,
	prev_update_id bigint, prev_stage stage, narrative_repeated boolean, narrative text, due date)
LANGUAGE sql STABLE AS $fn$
	SELECT p.id, p.ref, p.title, p.theme, p.theme || '.' || p.objective,
	       coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l
	                 WHERE l.project_id = p.id), ''),
	       p.cost_text, p.cost_status, p.cost_min_pence, p.cost_max_pence, p.cost_approximate, p.stage,
	       c.id, c.revision, c.confidence, c.stage, c.spend_to_date_pence, c.forecast_total_pence,
	       c.submitted_at, rv.accepted, rv.comment,
	       pv.id, pv.stage,
	       coalesce(c.narrative_md5 = pv.narrative_md5, false),
	       CASE WHEN p_narrative AND c.id IS NOT NULL
	            THEN (SELECT x.narrative FROM progress_update x WHERE x.id = c.id) END,
	       coalesce((SELECT rp.due FROM reporting_period rp WHERE rp.period = p_period), p_due_default)
	FROM project p
	CROSS JOIN LATERAL (SELECT array_agg(m.id) AS ids FROM project m WHERE m.lineage = p.lineage) lm
	LEFT JOIN LATERAL (SELECT u.id, u.revision, u.confidence, u.stage, u.spend_to_date_pence,
	                          u.forecast_total_pence, u.submitted_at, u.narrative_md5
	                   FROM progress_update u
	                   WHERE u.period = p_period AND u.project_id = ANY (lm.ids) AND u.submitted_at <= p_as_at
	                   ORDER BY u.revision DESC, u.id DESC LIMIT 1) c ON true
	LEFT JOIN LATERAL (SELECT u.id, u.stage, u.narrative_md5 FROM progress_update u
	                   WHERE u.period = p_prev AND u.project_id = ANY (lm.ids) AND u.submitted_at <= p_as_at
	                   ORDER BY u.revision DESC, u.id DESC LIMIT 1) pv ON true
	LEFT JOIN LATERAL (SELECT r.accepted, r.comment FROM update_review r
	                   WHERE r.update_id = c.id AND r.reviewed_at <= p_as_at
	                   ORDER BY r.id DESC LIMIT 1) rv ON true
	WHERE p.plan_id = (SELECT planreg_plan_id(p_plan))
	  AND p.ref > coalesce(p_after, 0)
	  AND (p_theme IS NULL OR p.theme = p_theme)
	  AND (p_objective IS NULL OR p.theme || '.' || p.objective = p_objective)
	  AND (p_lead IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
	       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_lead)))
	  AND (p_scope IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
	       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_scope)))
	  AND (p_stage IS NULL OR coalesce(c.stage, p.stage) = p_stage)
	  AND (p_confidence IS NULL OR c.confidence = p_confidence)
	ORDER BY p.ref
	LIMIT p_limit
$fn$;

-- As 0011's (returned revisions counted as returned, money compared like for like), with the plan to
-- read and each project's latest revision found through its lineage (one ordered pass over the
-- period's returns, by lineage).
DROP FUNCTION planreg_status_totals(text, timestamptz, date, integer, text, text, text, stage, confidence);
CREATE FUNCTION planreg_status_totals(p_period text, p_as_at timestamptz, p_due_default date,
                                      p_theme integer, p_objective text, p_lead text, p_scope text,
                                      p_stage stage, p_confidence confidence, p_plan text DEFAULT NULL)
RETURNS TABLE (dim text, key text, name text, projects bigint, reported bigint, outstanding bigint,
               late bigint, returned bigint, green bigint, amber_green bigint, amber bigint,
               amber_red bigint, red bigint, not_reported bigint, spend_pence numeric, forecast_pence numeric,
               plan_cost_pence numeric, compared_projects bigint, compared_forecast_pence numeric,
               compared_plan_cost_pence numeric, forecast_without_plan_cost bigint)
LANGUAGE sql STABLE AS $fn$
	WITH pl AS (SELECT planreg_plan_id(p_plan) AS id),
	due AS (
		SELECT ((coalesce((SELECT due FROM reporting_period WHERE period = p_period), p_due_default) + 1)
		        ::timestamp AT TIME ZONE 'UTC') AS ends),
	cur AS (
		SELECT DISTINCT ON (m.lineage) m.lineage, u.id, u.confidence, u.stage,
		       u.spend_to_date_pence, u.forecast_total_pence, u.submitted_at
		FROM progress_update u JOIN project m ON m.id = u.project_id
		WHERE u.period = p_period AND u.submitted_at <= p_as_at
		ORDER BY m.lineage, u.revision DESC, u.id DESC),
	-- the latest review known at p_as_at of each reviewed update of the period: a pass over the
	-- period's reviews, not a probe per project (most updates have none)
	rv AS (
		SELECT DISTINCT ON (r.update_id) r.update_id, r.accepted
		FROM update_review r JOIN progress_update u ON u.id = r.update_id
		WHERE u.period = p_period AND r.reviewed_at <= p_as_at
		ORDER BY r.update_id, r.id DESC),
	s0 AS (
		SELECT p.id, p.theme, coalesce(c.stage, p.stage) AS stage, c.confidence,
		       coalesce(rv.accepted = false, false) AS returned,
		       c.id IS NULL OR coalesce(rv.accepted = false, false) AS outstanding,
		       (c.id IS NOT NULL AND c.submitted_at >= due.ends)
		         OR ((c.id IS NULL OR coalesce(rv.accepted = false, false)) AND p_as_at >= due.ends) AS late,
		       c.spend_to_date_pence AS spend, c.forecast_total_pence AS forecast,
		       CASE WHEN p.cost_status = 'known' THEN p.cost_min_pence END AS plan
		FROM project p
		CROSS JOIN due
		LEFT JOIN cur c ON c.lineage = p.lineage
		LEFT JOIN rv ON rv.update_id = c.id
		WHERE p.plan_id = (SELECT id FROM pl)
		  AND (p_theme IS NULL OR p.theme = p_theme)
		  AND (p_objective IS NULL OR p.theme || '.' || p.objective = p_objective)
		  AND (p_lead IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_lead)))
		  AND (p_scope IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_scope)))
		  AND (p_stage IS NULL OR coalesce(c.stage, p.stage) = p_stage)
		  AND (p_confidence IS NULL OR c.confidence = p_confidence)),
	-- rating: the colour of a reported project, 'returned', or 'none' (no return)
	s AS MATERIALIZED (
		SELECT s0.*,
		       CASE WHEN s0.confidence IS NULL THEN 'none' WHEN s0.returned THEN 'returned'
		            ELSE s0.confidence::text END AS rating,
		       NOT s0.outstanding AND s0.forecast IS NOT NULL AND s0.plan IS NOT NULL AS compared,
		       NOT s0.outstanding AND s0.forecast IS NOT NULL AND s0.plan IS NULL AS uncosted
		FROM s0)
	SELECT CASE WHEN GROUPING(s.theme) = 0 THEN 'theme' WHEN GROUPING(s.stage) = 0 THEN 'stage'
	            WHEN GROUPING(s.rating) = 0 THEN 'confidence' ELSE 'all' END,
	       CASE WHEN GROUPING(s.theme) = 0 THEN s.theme::text WHEN GROUPING(s.stage) = 0 THEN s.stage::text
	            WHEN GROUPING(s.rating) = 0 THEN s.rating ELSE '' END,
	       CASE WHEN GROUPING(s.theme) = 0
	            THEN (SELECT t.title FROM theme t WHERE t.plan_id = (SELECT id FROM pl) AND t.number = s.theme)
	            ELSE '' END,
	       count(*), count(*) FILTER (WHERE NOT s.outstanding), count(*) FILTER (WHERE s.outstanding),
	       count(*) FILTER (WHERE s.late), count(*) FILTER (WHERE s.returned),
	       count(*) FILTER (WHERE s.rating = 'green'), count(*) FILTER (WHERE s.rating = 'amber_green'),
	       count(*) FILTER (WHERE s.rating = 'amber'), count(*) FILTER (WHERE s.rating = 'amber_red'),
	       count(*) FILTER (WHERE s.rating = 'red'), count(*) FILTER (WHERE s.rating = 'none'),
	       coalesce(sum(s.spend), 0), coalesce(sum(s.forecast), 0), coalesce(sum(s.plan), 0),
	       count(*) FILTER (WHERE s.compared), coalesce(sum(s.forecast) FILTER (WHERE s.compared), 0),
	       coalesce(sum(s.plan) FILTER (WHERE s.compared), 0), count(*) FILTER (WHERE s.uncosted)
	FROM s GROUP BY GROUPING SETS ((), (s.theme), (s.stage), (s.rating))
	UNION ALL
	SELECT 'lead', o.code, min(o.name),
	       count(*), count(*) FILTER (WHERE NOT s.outstanding), count(*) FILTER (WHERE s.outstanding),
	       count(*) FILTER (WHERE s.late), count(*) FILTER (WHERE s.returned),
	       count(*) FILTER (WHERE s.rating = 'green'), count(*) FILTER (WHERE s.rating = 'amber_green'),
	       count(*) FILTER (WHERE s.rating = 'amber'), count(*) FILTER (WHERE s.rating = 'amber_red'),
	       count(*) FILTER (WHERE s.rating = 'red'), count(*) FILTER (WHERE s.rating = 'none'),
	       coalesce(sum(s.spend), 0), coalesce(sum(s.forecast), 0), coalesce(sum(s.plan), 0),
	       count(*) FILTER (WHERE s.compared), coalesce(sum(s.forecast) FILTER (WHERE s.compared), 0),
	       coalesce(sum(s.plan) FILTER (WHERE s.compared), 0), count(*) FILTER (WHERE s.uncosted)
	FROM s JOIN project_lead_org l ON l.project_id = s.id JOIN organisation o ON o.code = l.org_code
	GROUP BY o.code
$fn$;

GRANT EXECUTE ON FUNCTION planreg_status_rows(text, timestamptz, text, date, integer, text, text, text, boolean,
                                              stage, confidence, integer, integer, text) TO planreg_app;
GRANT EXECUTE ON FUNCTION planreg_status_totals(text, timestamptz, date, integer, text, text, text, stage,
                                                confidence, text) TO planreg_app;

-- ---------------------------------------------------------------- a return's revision, across editions

-- As 0008's (replayed, unchanged, stale or written, in that order, under the chain's lock), but the
-- project's current revision for the period and the next revision number are found in every edition:
-- "revision 2" follows "revision 1" when the first was made before a successor edition, and an amend
-- made from that first revision is not stale. The arguments, result and hash are 0008's.
CREATE OR REPLACE FUNCTION planreg_submit_update(
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

-- ---------------------------------------------------------------- the import, editions included

-- As 0001's, and: doc.previous (a plan id) imports the document as the successor of that plan,
-- which must be the current one: a new plan, whose projects name the project of the previous
-- edition each continues (projects[].continues, a project id, or null for a new project); the
-- previous edition is left as it was. A superseded edition is kept as it was imported: its own
-- document again changes nothing, any other is refused. projects[].attributes are the columns
-- the register does not read ([{name, value}]). Plans are numbered 1, 2, 3 ... in the order of their
-- editions, under the import's lock: a dry run, rolled back, takes no number from the next import.
CREATE OR REPLACE FUNCTION planreg_import_plan(doc jsonb, actor text)
RETURNS TABLE (change text, entity text, key text, detail text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v_plan integer;
	v_current integer;
	v_previous integer := (doc->>'previous')::integer;
	v_other text;
	v_project bigint;
	v_old_title text;
	v_sha text;
	g jsonb;
	pj jsonb;
	prev project%ROWTYPE;
	diffs text[];
	v_leads text[];
	v_people text[];
	v_partners text[];
	v_attributes text[];
	v_ref integer;
BEGIN
	-- one import at a time
	PERFORM pg_advisory_xact_lock(31644363112211816);

	SELECT max(id) INTO v_current FROM plan;
	SELECT id, source_sha256 INTO v_plan, v_sha FROM plan WHERE title = doc->>'title';
	IF v_previous IS NOT NULL THEN
		IF v_plan IS NOT NULL THEN
			RAISE EXCEPTION 'the register already holds a plan titled "%" (plan %); a new edition needs a title of its own',
				doc->>'title', v_plan USING ERRCODE = 'P0001';
		END IF;
		IF v_previous IS DISTINCT FROM v_current THEN
			RAISE EXCEPTION 'plan % is not the current edition (plan % is): a new edition succeeds the current one',
				v_previous, v_current USING ERRCODE = 'P0001';
		END IF;
		INSERT INTO plan (id, title, source_sha256, imported_by, previous) OVERRIDING SYSTEM VALUE
		VALUES (v_current + 1, doc->>'title', NULLIF(doc->>'source_sha256', ''), actor, v_previous)
		RETURNING id INTO v_plan;
		PERFORM setval(pg_get_serial_sequence('plan', 'id'), v_plan);
		change := 'added'; entity := 'plan'; key := v_plan::text; detail := doc->>'title'; RETURN NEXT;
	ELSIF v_plan IS NULL THEN
		IF v_current IS NOT NULL THEN
			SELECT title INTO v_other FROM plan WHERE id = v_current;
			RAISE EXCEPTION 'the register holds the plan "%" (plan %), and this document is "%": a new edition is imported with --successor-of %',
				v_other, v_current, doc->>'title', v_current USING ERRCODE = 'P0001';
		END IF;
		INSERT INTO plan (title, source_sha256, imported_by)
		VALUES (doc->>'title', NULLIF(doc->>'source_sha256', ''), actor) RETURNING id INTO v_plan;
		change := 'added'; entity := 'plan'; key := doc->>'title'; detail := ''; RETURN NEXT;
	ELSIF v_plan <> v_current THEN
		-- a superseded edition: its own document is no change; nothing else may rewrite it
		IF v_sha IS NOT NULL AND v_sha = doc->>'source_sha256' THEN
			RETURN;
		END IF;
		SELECT title INTO v_other FROM plan WHERE id = v_current;
		RAISE EXCEPTION 'plan % ("%") has been succeeded by plan % ("%") and is kept as it was imported; changes go into the current edition',
			v_plan, doc->>'title', v_current, v_other USING ERRCODE = 'P0001';
	ELSE
		UPDATE plan SET source_sha256 = NULLIF(doc->>'source_sha256', ''), imported_at = now(), imported_by = actor
		WHERE id = v_plan;
	END IF;

	-- organisations and their aliases
	FOR g IN SELECT value FROM jsonb_array_elements(doc->'organisations') LOOP
		IF NOT EXISTS (SELECT 1 FROM organisation WHERE lower(code) = lower(g->>'code')) THEN
			INSERT INTO organisation (code, name, kind) VALUES (g->>'code', g->>'name', (g->>'kind')::org_kind);
			change := 'added'; entity := 'organisation'; key := g->>'code'; detail := g->>'name'; RETURN NEXT;
		ELSE
			UPDATE organisation SET name = g->>'name', kind = (g->>'kind')::org_kind, updated_at = now()
			WHERE lower(code) = lower(g->>'code') AND name = code AND kind = 'other'
			  AND (name <> g->>'name' OR kind <> (g->>'kind')::org_kind);
			IF FOUND THEN
				change := 'changed'; entity := 'organisation'; key := g->>'code';
				detail := 'name, kind (it was known only by its code)'; RETURN NEXT;
			END IF;
		END IF;
		INSERT INTO organisation_alias (alias, org_code)
		SELECT a.value, o.code FROM jsonb_array_elements_text(g->'aliases') a,
			organisation o WHERE lower(o.code) = lower(g->>'code')
		  AND NOT EXISTS (SELECT 1 FROM organisation_alias x WHERE lower(x.alias) = lower(a.value));
	END LOOP;

	-- people, and misspellings of them
	INSERT INTO person (name)
	SELECT DISTINCT n.value FROM jsonb_array_elements(doc->'projects') p, jsonb_array_elements_text(p.value->'lead_people') n
	UNION SELECT a.value->>'target' FROM jsonb_array_elements(doc->'person_aliases') a
	ON CONFLICT (name) DO NOTHING;
	INSERT INTO person_alias (alias, person_id)
	SELECT a.value->>'alias', pe.id FROM jsonb_array_elements(doc->'person_aliases') a
	JOIN person pe ON pe.name = a.value->>'target'
	ON CONFLICT (alias) DO NOTHING;

	-- themes and objectives
	FOR g IN SELECT value FROM jsonb_array_elements(doc->'themes') LOOP
		SELECT title INTO v_old_title FROM theme WHERE plan_id = v_plan AND number = (g->>'number')::int;
		IF NOT FOUND THEN
			INSERT INTO theme (plan_id, number, title) VALUES (v_plan, (g->>'number')::int, g->>'title');
			change := 'added'; entity := 'theme'; key := g->>'number'; detail := g->>'title'; RETURN NEXT;
		ELSIF v_old_title <> g->>'title' THEN
			UPDATE theme SET title = g->>'title' WHERE plan_id = v_plan AND number = (g->>'number')::int;
			change := 'changed'; entity := 'theme'; key := g->>'number'; detail := 'title'; RETURN NEXT;
		END IF;
	END LOOP;
	FOR g IN SELECT value FROM jsonb_array_elements(doc->'objectives') LOOP
		SELECT title INTO v_old_title FROM objective
		WHERE plan_id = v_plan AND theme = (g->>'theme')::int AND number = (g->>'number')::int;
		IF NOT FOUND THEN
			INSERT INTO objective (plan_id, theme, number, title)
			VALUES (v_plan, (g->>'theme')::int, (g->>'number')::int, g->>'title');
			change := 'added'; entity := 'objective'; key := (g->>'theme') || '.' || (g->>'number');
			detail := g->>'title'; RETURN NEXT;
		ELSIF v_old_title <> g->>'title' THEN
			UPDATE objective SET title = g->>'title'
			WHERE plan_id = v_plan AND theme = (g->>'theme')::int AND number = (g->>'number')::int;
			change := 'changed'; entity := 'objective'; key := (g->>'theme') || '.' || (g->>'number');
			detail := 'title'; RETURN NEXT;
		END IF;
	END LOOP;

	-- projects
	FOR pj IN SELECT value FROM jsonb_array_elements(doc->'projects') LOOP
		v_ref := (pj->>'ref')::int;
		SELECT array_agg(o.code ORDER BY l.ordinality) INTO v_leads
		FROM jsonb_array_elements_text(pj->'lead_orgs') WITH ORDINALITY l
		JOIN organisation o ON lower(o.code) = lower(l.value);
		SELECT array_agg(l.value ORDER BY l.ordinality) INTO v_people
		FROM jsonb_array_elements_text(pj->'lead_people') WITH ORDINALITY l;
		SELECT array_agg((x.value->>'name') || chr(30) || coalesce(o.code, '') ORDER BY x.ordinality) INTO v_partners
		FROM jsonb_array_elements(pj->'partners') WITH ORDINALITY x
		LEFT JOIN organisation o ON lower(o.code) = lower(NULLIF(x.value->>'org', ''));
		SELECT array_agg((x.value->>'name') || chr(30) || (x.value->>'value') ORDER BY x.ordinality) INTO v_attributes
		FROM jsonb_array_elements(coalesce(pj->'attributes', '[]'::jsonb)) WITH ORDINALITY x;

		SELECT * INTO prev FROM project WHERE plan_id = v_plan AND ref = v_ref;
		IF NOT FOUND THEN
			INSERT INTO project (plan_id, ref, theme, objective, title, description, capital, lead_text,
				partners_text, cost_text, cost_status, cost_min_pence, cost_max_pence, cost_approximate,
				funding, stage, stage_note, stage_text, continues)
			VALUES (v_plan, v_ref, (pj->>'theme')::int, (pj->>'objective')::int, pj->>'title',
				pj->>'description', (pj->>'capital')::boolean, pj->>'lead_text', pj->>'partners_text',
				pj->>'cost_text', (pj->>'cost_status')::cost_status, (pj->>'cost_min')::bigint,
				(pj->>'cost_max')::bigint, (pj->>'cost_approximate')::boolean, pj->>'funding',
				(pj->>'stage')::stage, pj->>'stage_note', pj->>'stage_text', (pj->>'continues')::bigint)
			RETURNING id INTO v_project;
			change := 'added'; entity := 'project'; key := v_ref::text; detail := pj->>'title';
		ELSE
			v_project := prev.id;
			diffs := ARRAY[]::text[];
			IF prev.theme <> (pj->>'theme')::int OR prev.objective <> (pj->>'objective')::int THEN
				diffs := diffs || 'objective'::text; END IF;
			IF prev.title <> pj->>'title' THEN diffs := diffs || 'title'::text; END IF;
			IF prev.description <> pj->>'description' THEN diffs := diffs || 'description'::text; END IF;
			IF prev.capital <> (pj->>'capital')::boolean THEN diffs := diffs || 'capital'::text; END IF;
			IF prev.lead_text <> pj->>'lead_text'
			   OR (SELECT array_agg(org_code::text ORDER BY position) FROM project_lead_org WHERE project_id = prev.id)
			      IS DISTINCT FROM v_leads
			   OR (SELECT array_agg(pe.name::text ORDER BY l.position) FROM project_lead_person l
			       JOIN person pe ON pe.id = l.person_id WHERE l.project_id = prev.id) IS DISTINCT FROM v_people
			THEN diffs := diffs || 'lead'::text; END IF;
			IF prev.partners_text <> pj->>'partners_text'
			   OR (SELECT array_agg(name::text || chr(30) || coalesce(org_code, '') ORDER BY position)
			       FROM project_partner WHERE project_id = prev.id) IS DISTINCT FROM v_partners
			THEN diffs := diffs || 'partners'::text; END IF;
			IF prev.cost_text <> pj->>'cost_text' OR prev.cost_status <> (pj->>'cost_status')::cost_status
			   OR prev.cost_min_pence IS DISTINCT FROM (pj->>'cost_min')::bigint
			   OR prev.cost_max_pence IS DISTINCT FROM (pj->>'cost_max')::bigint
			   OR prev.cost_approximate <> (pj->>'cost_approximate')::boolean
			THEN diffs := diffs || 'cost'::text; END IF;
			IF prev.funding <> pj->>'funding' THEN diffs := diffs || 'funding'::text; END IF;
			IF prev.stage <> (pj->>'stage')::stage OR prev.stage_note <> pj->>'stage_note'
			   OR prev.stage_text <> pj->>'stage_text'
			THEN diffs := diffs || 'stage'::text; END IF;
			IF (SELECT array_agg(name::text || chr(30) || value::text ORDER BY position)
			    FROM project_attribute WHERE project_id = prev.id) IS DISTINCT FROM v_attributes
			THEN diffs := diffs || 'attributes'::text; END IF;
			IF cardinality(diffs) = 0 THEN
				CONTINUE;
			END IF;
			UPDATE project SET theme = (pj->>'theme')::int, objective = (pj->>'objective')::int,
				title = pj->>'title', description = pj->>'description', capital = (pj->>'capital')::boolean,
				lead_text = pj->>'lead_text', partners_text = pj->>'partners_text',
				cost_text = pj->>'cost_text', cost_status = (pj->>'cost_status')::cost_status,
				cost_min_pence = (pj->>'cost_min')::bigint, cost_max_pence = (pj->>'cost_max')::bigint,
				cost_approximate = (pj->>'cost_approximate')::boolean, funding = pj->>'funding',
				stage = (pj->>'stage')::stage, stage_note = pj->>'stage_note', stage_text = pj->>'stage_text',
				updated_at = now()
			WHERE id = prev.id;
			DELETE FROM project_lead_org WHERE project_id = prev.id;
			DELETE FROM project_lead_person WHERE project_id = prev.id;
			DELETE FROM project_partner WHERE project_id = prev.id;
			DELETE FROM project_attribute WHERE project_id = prev.id;
			change := 'changed'; entity := 'project'; key := v_ref::text; detail := array_to_string(diffs, ', ');
		END IF;
		INSERT INTO project_lead_org (project_id, position, org_code)
		SELECT v_project, ordinality, code FROM unnest(v_leads) WITH ORDINALITY AS u(code, ordinality);
		INSERT INTO project_lead_person (project_id, position, person_id)
		SELECT v_project, u.ordinality, pe.id FROM unnest(v_people) WITH ORDINALITY AS u(name, ordinality)
		JOIN person pe ON pe.name = u.name;
		INSERT INTO project_partner (project_id, position, name, org_code)
		SELECT v_project, u.ordinality, split_part(u.item, chr(30), 1), NULLIF(split_part(u.item, chr(30), 2), '')
		FROM unnest(v_partners) WITH ORDINALITY AS u(item, ordinality);
		INSERT INTO project_attribute (project_id, position, name, value)
		SELECT v_project, u.ordinality, split_part(u.item, chr(30), 1), split_part(u.item, chr(30), 2)
		FROM unnest(v_attributes) WITH ORDINALITY AS u(item, ordinality);
		RETURN NEXT;
	END LOOP;

	-- what the document no longer has
	FOR v_ref IN SELECT p.ref FROM project p WHERE p.plan_id = v_plan
		AND p.ref NOT IN (SELECT (x.value->>'ref')::int FROM jsonb_array_elements(doc->'projects') x)
		ORDER BY p.ref
	LOOP
		BEGIN
			DELETE FROM project WHERE plan_id = v_plan AND ref = v_ref;
		EXCEPTION WHEN foreign_key_violation THEN
			RAISE EXCEPTION 'project % has progress updates, so it cannot be removed from the register; keep it in the document', v_ref
				USING ERRCODE = 'P0001';
		END;
		change := 'removed'; entity := 'project'; key := v_ref::text; detail := ''; RETURN NEXT;
	END LOOP;
	FOR g IN SELECT jsonb_build_object('theme', o.theme, 'number', o.number) FROM objective o
		WHERE o.plan_id = v_plan AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(doc->'objectives') x
			WHERE (x.value->>'theme')::int = o.theme AND (x.value->>'number')::int = o.number)
	LOOP
		DELETE FROM objective WHERE plan_id = v_plan AND theme = (g->>'theme')::int AND number = (g->>'number')::int;
		change := 'removed'; entity := 'objective'; key := (g->>'theme') || '.' || (g->>'number'); detail := '';
		RETURN NEXT;
	END LOOP;
	FOR v_ref IN SELECT t.number FROM theme t WHERE t.plan_id = v_plan
		AND t.number NOT IN (SELECT (x.value->>'number')::int FROM jsonb_array_elements(doc->'themes') x)
	LOOP
		DELETE FROM theme WHERE plan_id = v_plan AND number = v_ref;
		change := 'removed'; entity := 'theme'; key := v_ref::text; detail := ''; RETURN NEXT;
	END LOOP;
END
$fn$;
