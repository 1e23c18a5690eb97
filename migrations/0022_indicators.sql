-- 0022_indicators.sql - benefits and indicators (docs/assurance.md, "Indicators"; docs/decisions.md,
-- "Indicators"): per project, what it is to change, measured against a baseline and a target, and the
-- actual each return reports. Run as the schema owner.
--
-- The CA defines an indicator (AddIndicator); a lead body's proposal is a change request of kind scope
-- whose new_text is the indicator's definition (the JSON planreg_indicator_create reads), and only its
-- approval (planreg_change_decide, redefined here with that one branch more) creates it.
--
-- A return's actuals are part of its canonical content (proto/chain.c): the daemon passes them already
-- encoded in p_content to planreg_submit_update, which is not changed; they are stored by the same
-- statement that calls it (server/handlers/update.c's SQL_SUBMIT), so in its transaction.

-- A number as people write one: an optional minus, digits, an optional fraction. Kept as text, so that
-- an actual reads back (and hashes) exactly as it was given; compared as numeric.
CREATE DOMAIN indicator_value AS text CHECK (VALUE ~ '^-?[0-9]{1,15}(\.[0-9]{1,6})?$');

CREATE TABLE indicator (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project, -- the row it was defined on
	lineage bigint NOT NULL,                      -- that row's lineage: the indicator is the project's in every edition
	name clean_text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
	unit clean_text NOT NULL CHECK (btrim(unit) <> '' AND length(unit) <= 50),
	baseline_value indicator_value NOT NULL,
	baseline_date date NOT NULL,
	target_value indicator_value NOT NULL,
	target_date date NOT NULL CHECK (target_date >= baseline_date),
	responsible clean_text NOT NULL DEFAULT '' CHECK (length(responsible) <= 460), -- "Name <a@b>" (proto/mailbox.c)
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	change_id bigint REFERENCES change_request -- the approved scope change that made it; NULL: the CA defined it
);
CREATE UNIQUE INDEX indicator_name ON indicator (lineage, lower(name));

CREATE TABLE indicator_period_target (
	indicator_id bigint NOT NULL REFERENCES indicator,
	period text NOT NULL CHECK (period ~ '^[0-9]{4}-Q[1-4]$'),
	value indicator_value NOT NULL,
	PRIMARY KEY (indicator_id, period)
);

-- What a return reports for each of its project's indicators, in the return's order; covered by its hash.
CREATE TABLE update_actual (
	update_id bigint NOT NULL REFERENCES progress_update,
	position integer NOT NULL CHECK (position >= 1),
	indicator_id bigint NOT NULL REFERENCES indicator,
	value indicator_value NOT NULL,
	note clean_text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
	PRIMARY KEY (update_id, position),
	UNIQUE (update_id, indicator_id)
);

CREATE TRIGGER indicator_append_only BEFORE UPDATE OR DELETE ON indicator
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER indicator_no_truncate BEFORE TRUNCATE ON indicator
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER indicator_period_target_append_only BEFORE UPDATE OR DELETE ON indicator_period_target
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER indicator_period_target_no_truncate BEFORE TRUNCATE ON indicator_period_target
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_actual_append_only BEFORE UPDATE OR DELETE ON update_actual
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_actual_no_truncate BEFORE TRUNCATE ON update_actual
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

GRANT SELECT ON indicator, indicator_period_target, update_actual TO planreg_app;
GRANT INSERT (update_id, position, indicator_id, value, note) ON update_actual TO planreg_app;

-- Several indicators may be proposed for one project at a time: the one-pending rule is time's and cost's.
DROP INDEX change_request_one_pending;
CREATE UNIQUE INDEX change_request_one_pending ON change_request (project_id, kind)
	WHERE state = 'pending' AND kind <> 'scope';
GRANT INSERT (project_id, kind, new_text, rationale) ON change_request TO planreg_app;

-- Creates an indicator of p_project from its definition (the JSON server/handlers/indicator.c makes:
-- name, unit, baseline_value, baseline_date, target_value, target_date, responsible, period_targets
-- [{period, value}]), checked there; the table's checks hold it to them. Returns its id.
CREATE FUNCTION planreg_indicator_create(p_project bigint, p_def jsonb, p_by text, p_change bigint)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO indicator (project_id, lineage, name, unit, baseline_value, baseline_date, target_value,
	                       target_date, responsible, created_by, change_id)
	SELECT p.id, p.lineage, p_def->>'name', p_def->>'unit', p_def->>'baseline_value',
	       (p_def->>'baseline_date')::date, p_def->>'target_value', (p_def->>'target_date')::date,
	       coalesce(p_def->>'responsible', ''), p_by, p_change
	FROM project p WHERE p.id = p_project
	RETURNING id INTO v_id;
	INSERT INTO indicator_period_target (indicator_id, period, value)
	SELECT v_id, t->>'period', t->>'value' FROM jsonb_array_elements(coalesce(p_def->'period_targets', '[]')) t;
	RETURN v_id;
END
$fn$;
REVOKE EXECUTE ON FUNCTION planreg_indicator_create(bigint, jsonb, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_indicator_create(bigint, jsonb, text, bigint) TO planreg_app;

-- As 0019's, and: approving a scope change creates the indicator it proposes.
CREATE OR REPLACE FUNCTION planreg_change_decide(p_id bigint, p_approve boolean, p_comment text, p_by text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	c change_request;
BEGIN
	SELECT * INTO c FROM change_request WHERE id = p_id FOR UPDATE;
	IF NOT FOUND OR c.state <> 'pending' THEN
		RETURN NULL;
	END IF;
	UPDATE change_request SET state = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END::change_state,
	       decided_by = p_by, decided_at = now(), decision_comment = p_comment
	WHERE id = p_id;
	IF p_approve AND c.kind = 'time' THEN
		UPDATE project_baseline SET end_date = c.new_date, end_change_id = c.id, updated_at = now()
		WHERE project_id = c.project_id;
	ELSIF p_approve AND c.kind = 'cost' THEN
		UPDATE project_baseline SET cost_min_pence = c.new_pence, cost_max_pence = c.new_pence,
		       cost_change_id = c.id, updated_at = now()
		WHERE project_id = c.project_id;
	ELSIF p_approve AND c.kind = 'scope' THEN
		PERFORM planreg_indicator_create(c.project_id, c.new_text::jsonb, p_by, c.id);
	END IF;
	RETURN p_id;
END
$fn$;

-- Evidence may back one of a return's actuals (the indicator's id; the return must report it).
ALTER TABLE evidence_link ADD COLUMN indicator_id bigint REFERENCES indicator,
	ADD CONSTRAINT evidence_link_one_target CHECK (milestone IS NULL OR indicator_id IS NULL);
GRANT INSERT (indicator_id) ON evidence_link TO planreg_app;
