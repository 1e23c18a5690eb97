-- 0002_progress.sql - quarterly progress: reporting periods, updates (with
-- milestones and risks), and reviews. Progress history is append-only (a
-- trigger refuses UPDATE, DELETE and TRUNCATE, and planreg_app may only SELECT
-- and INSERT it) and hash-chained (docs/audit.md).

CREATE TYPE confidence AS ENUM ('green', 'amber_green', 'amber', 'amber_red', 'red');

-- A calendar quarter; an update for it is due due_days after it ends.
CREATE TABLE reporting_period (
	period text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-Q[1-4]$'),
	starts date NOT NULL,
	ends date NOT NULL,
	due date NOT NULL,
	CHECK (starts < ends AND due >= ends)
);

CREATE TABLE progress_update (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project ON DELETE RESTRICT,
	period text NOT NULL REFERENCES reporting_period,
	revision integer NOT NULL CHECK (revision >= 1),
	confidence confidence NOT NULL,
	stage stage NOT NULL,
	narrative clean_text NOT NULL CHECK (btrim(narrative) <> '' AND length(narrative) <= 20000),
	spend_to_date_pence bigint CHECK (spend_to_date_pence >= 0),
	forecast_total_pence bigint CHECK (forecast_total_pence >= 0),
	variance_note clean_text NOT NULL DEFAULT '' CHECK (length(variance_note) <= 5000),
	-- who: from the credential, never from the request
	submitted_by text NOT NULL,
	submitted_org text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	submitted_person text NOT NULL,
	on_behalf boolean NOT NULL, -- an admin reported for the lead organisation
	submitted_at timestamptz NOT NULL,
	idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
	content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
	warnings text[] NOT NULL DEFAULT '{}',
	prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
	hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
	UNIQUE (project_id, period, revision),
	UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX progress_update_period ON progress_update (period, project_id);

CREATE TABLE update_milestone (
	update_id bigint NOT NULL REFERENCES progress_update,
	position integer NOT NULL CHECK (position >= 1),
	title name_text NOT NULL,
	baseline date NOT NULL,
	forecast date,
	achieved date,
	PRIMARY KEY (update_id, position),
	CHECK (forecast IS NOT NULL OR achieved IS NOT NULL)
);

CREATE TABLE update_risk (
	update_id bigint NOT NULL REFERENCES progress_update,
	position integer NOT NULL CHECK (position >= 1),
	risk clean_text NOT NULL CHECK (btrim(risk) <> '' AND length(risk) <= 2000),
	PRIMARY KEY (update_id, position)
);

-- The CA's verdict on an update: accepted, or returned with a comment. A
-- returned update counts as outstanding until a new revision arrives.
CREATE TABLE update_review (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	update_id bigint NOT NULL REFERENCES progress_update,
	accepted boolean NOT NULL,
	comment clean_text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
	reviewed_by text NOT NULL,
	reviewed_at timestamptz NOT NULL DEFAULT now(),
	CHECK (accepted OR btrim(comment) <> '')
);
CREATE INDEX update_review_update ON update_review (update_id, id);

CREATE FUNCTION planreg_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	RAISE EXCEPTION 'progress history is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'P0001';
END
$fn$;

CREATE TRIGGER progress_update_append_only BEFORE UPDATE OR DELETE ON progress_update
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER progress_update_no_truncate BEFORE TRUNCATE ON progress_update
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_milestone_append_only BEFORE UPDATE OR DELETE ON update_milestone
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_milestone_no_truncate BEFORE TRUNCATE ON update_milestone
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_risk_append_only BEFORE UPDATE OR DELETE ON update_risk
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_risk_no_truncate BEFORE TRUNCATE ON update_risk
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_review_append_only BEFORE UPDATE OR DELETE ON update_review
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_review_no_truncate BEFORE TRUNCATE ON update_review
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

GRANT SELECT, INSERT ON reporting_period, progress_update, update_milestone, update_risk, update_review
	TO planreg_app;
