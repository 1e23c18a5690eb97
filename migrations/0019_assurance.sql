-- 0019_assurance.sql - what the Combined Authority assures (docs/assurance.md):
-- its own rating of each return beside the body's, and each project's
-- baselines under change control. New tables and functions only: the status
-- functions of 0003/0011 are left as they are, and the handlers join these.

-- ---------------------------------------------------------------- the CA's rating

-- The CA's delivery confidence for a return, set with a review (ReviewUpdate):
-- at most one per review, append-only like the reviews themselves. The
-- latest one for a project and period, on any revision, is "the CA's rating".
CREATE TABLE assurance_rating (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	review_id bigint NOT NULL UNIQUE REFERENCES update_review,
	update_id bigint NOT NULL REFERENCES progress_update,
	rating confidence NOT NULL,
	rationale clean_text NOT NULL CHECK (btrim(rationale) <> '' AND length(rationale) <= 5000),
	rated_by text NOT NULL,
	rated_at timestamptz NOT NULL
);
CREATE INDEX assurance_rating_update ON assurance_rating (update_id, id);

CREATE TRIGGER assurance_rating_append_only BEFORE UPDATE OR DELETE ON assurance_rating
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER assurance_rating_no_truncate BEFORE TRUNCATE ON assurance_rating
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

GRANT SELECT ON assurance_rating TO planreg_app;
GRANT INSERT (review_id, update_id, rating, rationale, rated_by, rated_at) ON assurance_rating TO planreg_app;

-- The CA's latest rating of a project's return for a period known at a moment
-- (any revision: a new revision keeps the CA's view until it is rated again).
CREATE FUNCTION planreg_assurance_latest(p_project bigint, p_period text, p_as_at timestamptz)
RETURNS TABLE (update_id bigint, rating confidence, rationale text, rated_by text, rated_at timestamptz)
LANGUAGE sql STABLE AS $fn$
	SELECT a.update_id, a.rating, a.rationale, a.rated_by, a.rated_at
	FROM progress_update u JOIN assurance_rating a ON a.update_id = u.id
	WHERE u.project_id = p_project AND u.period = p_period AND a.rated_at <= p_as_at
	ORDER BY a.id DESC LIMIT 1
$fn$;
GRANT EXECUTE ON FUNCTION planreg_assurance_latest(bigint, text, timestamptz) TO planreg_app;

-- ---------------------------------------------------------------- baselines

-- How far a return may differ from the approved baseline before it raises a
-- change request: the cost in tenths of a percent (the variance rule's 5%),
-- the end date in days (a month: a milestone achieved a few days late is not
-- a change of plan). One row; changed by the owner (docs/assurance.md).
CREATE TABLE baseline_tolerance (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	cost_tenths integer NOT NULL DEFAULT 50 CHECK (cost_tenths BETWEEN 0 AND 10000),
	end_days integer NOT NULL DEFAULT 30 CHECK (end_days BETWEEN 0 AND 3650)
);
INSERT INTO baseline_tolerance DEFAULT VALUES;
GRANT SELECT ON baseline_tolerance TO planreg_app;

-- Each project's original baseline (cost from the plan; end date and key
-- milestone dates as first reported) and its latest approved one, which only
-- an approved change request moves. Made by the project's first return.
CREATE TABLE project_baseline (
	project_id bigint PRIMARY KEY REFERENCES project,
	original_cost_min_pence bigint,
	original_cost_max_pence bigint,
	original_end_date date,
	original_milestones jsonb NOT NULL DEFAULT '[]', -- [{title, date}] of the first return
	original_update_id bigint REFERENCES progress_update,
	cost_min_pence bigint,
	cost_max_pence bigint,
	end_date date,
	cost_change_id bigint, -- the approved changes that set the cost and the end date; NULL: original
	end_change_id bigint,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE change_kind AS ENUM ('time', 'cost', 'scope');
CREATE TYPE change_state AS ENUM ('pending', 'approved', 'rejected', 'superseded');

-- A change to a project's approved baseline (OC4IDS Modification: old value,
-- new value, type, rationale). Raised by a return beyond the tolerance; the
-- CA approves or rejects it; a later return with another value supersedes a
-- pending one. old/new are dates (time) or pence (cost); scope requests
-- (indicators, issue 19 item 3) will use old_text/new_text.
CREATE TABLE change_request (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project,
	update_id bigint REFERENCES progress_update,
	period text,
	kind change_kind NOT NULL,
	old_date date,
	new_date date,
	old_pence bigint,
	new_pence bigint,
	old_text clean_text NOT NULL DEFAULT '',
	new_text clean_text NOT NULL DEFAULT '',
	rationale clean_text NOT NULL DEFAULT '',
	state change_state NOT NULL DEFAULT 'pending',
	raised_at timestamptz NOT NULL DEFAULT now(),
	decided_by text,
	decided_at timestamptz,
	decision_comment clean_text NOT NULL DEFAULT '' CHECK (length(decision_comment) <= 5000),
	CHECK ((state IN ('approved', 'rejected')) = (decided_by IS NOT NULL))
);
CREATE UNIQUE INDEX change_request_one_pending ON change_request (project_id, kind) WHERE state = 'pending';
CREATE INDEX change_request_project ON change_request (project_id, id);

GRANT SELECT ON project_baseline, change_request TO planreg_app;

-- Raises (or supersedes) the pending change request of one kind for a return.
-- v_same: the return agrees with the approved baseline (within tolerance).
CREATE FUNCTION planreg_change_raise(p_project bigint, p_update bigint, p_period text, p_kind change_kind,
                                     p_same boolean, p_old_date date, p_new_date date, p_old_pence bigint,
                                     p_new_pence bigint, p_rationale text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	c change_request;
BEGIN
	SELECT * INTO c FROM change_request WHERE project_id = p_project AND kind = p_kind AND state = 'pending'
		FOR UPDATE;
	IF FOUND AND NOT p_same AND c.new_date IS NOT DISTINCT FROM p_new_date
	   AND c.new_pence IS NOT DISTINCT FROM p_new_pence THEN
		RETURN; -- the same change, asked again: still pending
	END IF;
	IF FOUND THEN
		UPDATE change_request SET state = 'superseded' WHERE id = c.id;
	END IF;
	IF NOT p_same THEN
		INSERT INTO change_request (project_id, update_id, period, kind, old_date, new_date, old_pence, new_pence,
		                            rationale)
		VALUES (p_project, p_update, p_period, p_kind, p_old_date, p_new_date, p_old_pence, p_new_pence,
		        left(coalesce(p_rationale, ''), 5000));
	END IF;
END
$fn$;

-- At the commit of a return (a deferred trigger, so that its milestones are
-- in): the first return makes the project's baseline; a later one whose end
-- date or forecast lies beyond the tolerance of the approved baseline raises
-- a change request. The rationale is the return's variance note.
CREATE FUNCTION planreg_baseline_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
	b project_baseline;
	t baseline_tolerance;
	p project;
	v_end date;
	v_lo bigint;
	v_hi bigint;
	v_f bigint := NEW.forecast_total_pence;
	v_out boolean;
BEGIN
	-- only the current revision of its period counts (a later one may be in the same transaction)
	IF EXISTS (SELECT 1 FROM progress_update l WHERE l.project_id = NEW.project_id AND l.period = NEW.period
	           AND l.revision > NEW.revision) THEN
		RETURN NULL;
	END IF;
	SELECT max(coalesce(m.achieved, m.forecast)) INTO v_end FROM update_milestone m WHERE m.update_id = NEW.id;
	SELECT * INTO t FROM baseline_tolerance;
	SELECT * INTO b FROM project_baseline WHERE project_id = NEW.project_id FOR UPDATE;
	IF NOT FOUND THEN
		SELECT * INTO p FROM project WHERE id = NEW.project_id;
		INSERT INTO project_baseline (project_id, original_cost_min_pence, original_cost_max_pence, original_end_date,
		                              original_milestones, original_update_id, cost_min_pence, cost_max_pence,
		                              end_date)
		VALUES (NEW.project_id, p.cost_min_pence, p.cost_max_pence, v_end,
		        coalesce((SELECT jsonb_agg(jsonb_build_object('title', m.title,
		                                                      'date', coalesce(m.achieved, m.forecast))
		                                   ORDER BY m.position)
		                  FROM update_milestone m WHERE m.update_id = NEW.id), '[]'),
		        NEW.id, p.cost_min_pence, p.cost_max_pence, v_end)
		RETURNING * INTO b;
	ELSIF b.end_date IS NULL AND v_end IS NOT NULL THEN
		-- the first return that gives an end date sets it (original and approved)
		UPDATE project_baseline SET original_end_date = v_end, end_date = v_end, updated_at = now()
		WHERE project_id = NEW.project_id RETURNING * INTO b;
	END IF;
	IF v_end IS NOT NULL AND b.end_date IS NOT NULL THEN
		PERFORM planreg_change_raise(NEW.project_id, NEW.id, NEW.period, 'time',
		                             abs(v_end - b.end_date) <= t.end_days, b.end_date, v_end, NULL, NULL,
		                             NEW.variance_note);
	END IF;
	IF v_f IS NOT NULL AND b.cost_min_pence IS NOT NULL AND b.cost_min_pence > 0 THEN
		v_lo := b.cost_min_pence;
		v_hi := coalesce(b.cost_max_pence, b.cost_min_pence);
		-- the rule of status.c's variance: tenths of a percent outside the range, rounded towards zero
		v_out := (v_f < v_lo AND ((v_lo - v_f)::numeric * 1000 / v_lo)::bigint > t.cost_tenths)
		      OR (b.cost_max_pence IS NOT NULL AND v_f > v_hi AND v_hi > 0
		          AND ((v_f - v_hi)::numeric * 1000 / v_hi)::bigint > t.cost_tenths);
		PERFORM planreg_change_raise(NEW.project_id, NEW.id, NEW.period, 'cost', NOT v_out, NULL, NULL,
		                             CASE WHEN v_lo = v_hi THEN v_lo END, v_f, NEW.variance_note);
	END IF;
	RETURN NULL;
END
$fn$;

CREATE CONSTRAINT TRIGGER progress_update_baseline AFTER INSERT ON progress_update
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION planreg_baseline_check();

-- Approves or rejects a pending change request; an approved one moves the
-- approved baseline. Returns the request's id, or nothing when it is not
-- pending (the handler says why).
CREATE FUNCTION planreg_change_decide(p_id bigint, p_approve boolean, p_comment text, p_by text)
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
	END IF;
	RETURN p_id;
END
$fn$;
GRANT EXECUTE ON FUNCTION planreg_change_decide(bigint, boolean, text, text) TO planreg_app;
REVOKE EXECUTE ON FUNCTION planreg_change_raise(bigint, bigint, text, change_kind, boolean, date, date, bigint,
                                                bigint, text) FROM PUBLIC;

-- A project's baselines beside one of its returns (p_update, NULL for none):
-- what status shows. One row for every project (NULLs when it has no
-- baseline yet). The baselines are as they stand now, not at the status'
-- moment; end_unapproved: the return's end date is the new value of a time
-- change for its period that is pending or was rejected.
CREATE FUNCTION planreg_assurance_status(p_project bigint, p_update bigint)
RETURNS TABLE (original_cost_min_pence bigint, original_cost_max_pence bigint, original_end_date date,
               cost_min_pence bigint, cost_max_pence bigint, end_date date, cost_change_id bigint,
               end_change_id bigint, return_end_date date, pending_changes bigint, end_unapproved boolean)
LANGUAGE sql STABLE AS $fn$
	SELECT b.original_cost_min_pence, b.original_cost_max_pence, b.original_end_date,
	       b.cost_min_pence, b.cost_max_pence, b.end_date, b.cost_change_id, b.end_change_id,
	       e.d,
	       (SELECT count(*) FROM change_request c WHERE c.project_id = p_project AND c.state = 'pending'),
	       -- the return's end date is one a time change asked for and was not (or not yet) approved
	       EXISTS (SELECT 1 FROM change_request c JOIN progress_update u ON u.id = p_update
	               WHERE c.project_id = p_project AND c.kind = 'time' AND c.state IN ('pending', 'rejected')
	                 AND c.period = u.period AND c.new_date = e.d)
	FROM (SELECT p_project AS id) x
	LEFT JOIN project_baseline b ON b.project_id = x.id
	CROSS JOIN LATERAL (SELECT max(coalesce(m.achieved, m.forecast)) AS d FROM update_milestone m
	                    WHERE m.update_id = p_update) e
$fn$;
GRANT EXECUTE ON FUNCTION planreg_assurance_status(bigint, bigint) TO planreg_app;

-- ---------------------------------------------------------------- what was there before

-- Returns made before change control: each project's baseline is made from
-- them as if they had been approved, so that nothing is flagged or raised for
-- the past: the original from its first return (end date, key milestones) and
-- the plan's cost; the approved one from its latest return (as it reads now).
INSERT INTO project_baseline (project_id, original_cost_min_pence, original_cost_max_pence, original_end_date,
                              original_milestones, original_update_id, cost_min_pence, cost_max_pence, end_date)
SELECT p.id, p.cost_min_pence, p.cost_max_pence,
       (SELECT max(coalesce(m.achieved, m.forecast)) FROM update_milestone m WHERE m.update_id = f.id),
       coalesce((SELECT jsonb_agg(jsonb_build_object('title', m.title, 'date', coalesce(m.achieved, m.forecast))
                                  ORDER BY m.position)
                 FROM update_milestone m WHERE m.update_id = f.id), '[]'),
       f.id,
       CASE WHEN l.forecast_total_pence IS NOT NULL AND p.cost_min_pence IS NOT NULL
            THEN CASE WHEN l.forecast_total_pence < p.cost_min_pence
                        OR l.forecast_total_pence > coalesce(p.cost_max_pence, p.cost_min_pence)
                      THEN l.forecast_total_pence ELSE p.cost_min_pence END
            ELSE p.cost_min_pence END,
       CASE WHEN l.forecast_total_pence IS NOT NULL AND p.cost_min_pence IS NOT NULL
            THEN CASE WHEN l.forecast_total_pence < p.cost_min_pence
                        OR l.forecast_total_pence > coalesce(p.cost_max_pence, p.cost_min_pence)
                      THEN l.forecast_total_pence ELSE p.cost_max_pence END
            ELSE p.cost_max_pence END,
       coalesce((SELECT max(coalesce(m.achieved, m.forecast)) FROM update_milestone m WHERE m.update_id = l.id),
                (SELECT max(coalesce(m.achieved, m.forecast)) FROM update_milestone m WHERE m.update_id = f.id))
FROM project p
JOIN LATERAL (SELECT u.id FROM progress_update u WHERE u.project_id = p.id
              ORDER BY u.period, u.revision LIMIT 1) f ON true
JOIN LATERAL (SELECT u.id, u.forecast_total_pence FROM progress_update u WHERE u.project_id = p.id
              ORDER BY u.period DESC, u.revision DESC LIMIT 1) l ON true;

-- ---------------------------------------------------------------- evidence links

-- Documents that back a return or one of its milestones (issue 19 item 6): a
-- URL or a file name, the file's SHA-256 when given, and a category of IATI's
-- document category list (A01-A12 about an activity, B01-B18 about an
-- organisation; server/handlers/evidence.c names them). Added after the
-- return by its lead body or the CA, append-only; outside the return's hash
-- (the return is not changed by what backs it). Indicator actuals (item 3)
-- will add a reference of their own.
CREATE TABLE evidence_link (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	update_id bigint NOT NULL REFERENCES progress_update,
	milestone integer CHECK (milestone >= 1), -- the milestone's position in the return; NULL: the return
	location clean_text NOT NULL CHECK (btrim(location) <> '' AND length(location) <= 2000),
	sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	category text NOT NULL CHECK (category ~ '^(A(0[1-9]|1[0-2])|B(0[1-9]|1[0-8]))$'),
	title clean_text NOT NULL DEFAULT '' CHECK (length(title) <= 500),
	added_by text NOT NULL,
	added_at timestamptz NOT NULL DEFAULT now(),
	idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
	UNIQUE (added_by, idempotency_key)
);
CREATE INDEX evidence_link_update ON evidence_link (update_id, id);
CREATE TRIGGER evidence_link_append_only BEFORE UPDATE OR DELETE ON evidence_link
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER evidence_link_no_truncate BEFORE TRUNCATE ON evidence_link
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
GRANT SELECT ON evidence_link TO planreg_app;
GRANT INSERT (update_id, milestone, location, sha256, category, title, added_by, idempotency_key)
	ON evidence_link TO planreg_app;
