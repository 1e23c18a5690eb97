-- 0003_status.sql - the consolidated status of a reporting period: the index
-- that finds each project's latest revision for a period quickly, and the one
-- query (planreg_status_rows) that GetStatus, ListOutstanding and DiffPeriods
-- share, so that the daemon and the benchmark's raw SQL run the same plan
-- (docs/status-explain.md).

-- Each project's latest revision for a period, as known at a moment: an
-- index-only scan of (period, project, revision descending) that carries what
-- the status needs, read with DISTINCT ON (project_id). The narrative is left
-- out (it may be 20,000 characters); it is fetched by id when asked for.
CREATE INDEX progress_update_status ON progress_update
	(period, project_id, revision DESC)
	INCLUDE (id, submitted_at, confidence, stage, spend_to_date_pence, forecast_total_pence);

-- One row per project of the current plan that passes the filters, by ref:
-- the register's facts and its latest revision for p_period submitted at or
-- before p_as_at (NULL columns when none), the review of that revision known
-- at p_as_at, and what the flags need from the previous period p_prev.
-- p_due_default is the due date when p_period has no reporting_period row yet.
-- Filters are NULL for "any"; p_scope is the organisation a submitter is
-- restricted to (decided by auth.c), NULL for everyone.
-- A single-SELECT SQL function, STABLE and not STRICT, so PostgreSQL inlines
-- it into the caller's query and EXPLAIN shows the real plan.
CREATE FUNCTION planreg_status_rows(p_period text, p_as_at timestamptz, p_prev text, p_due_default date,
                                    p_theme integer, p_objective text, p_lead text, p_scope text,
                                    p_narrative boolean)
RETURNS TABLE (
	project_id bigint, ref integer, title text, theme integer, objective text, lead_orgs text,
	cost_text text, cost_status cost_status, cost_min_pence bigint, cost_max_pence bigint,
	cost_approximate boolean, register_stage stage,
	update_id bigint, revision integer, confidence confidence, stage stage,
	spend_to_date_pence bigint, forecast_total_pence bigint, submitted_at timestamptz,
	review_accepted boolean, review_comment text,
	prev_update_id bigint, prev_stage stage, narrative_repeated boolean, narrative text, due date)
LANGUAGE sql STABLE AS $fn$
	WITH proj AS (
		SELECT p.* FROM project p
		WHERE p.plan_id = (SELECT max(id) FROM plan)
		  AND (p_theme IS NULL OR p.theme = p_theme)
		  AND (p_objective IS NULL OR p.theme || '.' || p.objective = p_objective)
		  AND (p_lead IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_lead)))
		  AND (p_scope IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_scope)))),
	cur AS (
		SELECT DISTINCT ON (u.project_id) u.project_id, u.id, u.revision, u.confidence, u.stage,
		       u.spend_to_date_pence, u.forecast_total_pence, u.submitted_at
		FROM progress_update u
		WHERE u.period = p_period AND u.submitted_at <= p_as_at
		ORDER BY u.project_id, u.revision DESC),
	prev AS (
		SELECT DISTINCT ON (u.project_id) u.project_id, u.id, u.stage
		FROM progress_update u
		WHERE u.period = p_prev AND u.submitted_at <= p_as_at
		ORDER BY u.project_id, u.revision DESC)
	SELECT p.id, p.ref, p.title, p.theme, p.theme || '.' || p.objective,
	       coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l
	                 WHERE l.project_id = p.id), ''),
	       p.cost_text, p.cost_status, p.cost_min_pence, p.cost_max_pence, p.cost_approximate, p.stage,
	       c.id, c.revision, c.confidence, c.stage, c.spend_to_date_pence, c.forecast_total_pence,
	       c.submitted_at, rv.accepted, rv.comment,
	       pv.id, pv.stage,
	       c.id IS NOT NULL AND pv.id IS NOT NULL
	         AND (SELECT x.narrative FROM progress_update x WHERE x.id = c.id)
	           = (SELECT y.narrative FROM progress_update y WHERE y.id = pv.id),
	       CASE WHEN p_narrative AND c.id IS NOT NULL
	            THEN (SELECT x.narrative FROM progress_update x WHERE x.id = c.id) END,
	       coalesce((SELECT rp.due FROM reporting_period rp WHERE rp.period = p_period), p_due_default)
	FROM proj p
	LEFT JOIN cur c ON c.project_id = p.id
	LEFT JOIN prev pv ON pv.project_id = p.id
	LEFT JOIN LATERAL (SELECT r.accepted, r.comment FROM update_review r
	                   WHERE r.update_id = c.id AND r.reviewed_at <= p_as_at
	                   ORDER BY r.id DESC LIMIT 1) rv ON true
	ORDER BY p.ref
$fn$;

GRANT EXECUTE ON FUNCTION planreg_status_rows(text, timestamptz, text, date, integer, text, text, text, boolean)
	TO planreg_app;
