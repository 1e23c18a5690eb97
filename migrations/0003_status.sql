-- 0003_status.sql - the consolidated status of a reporting period: the index
-- that finds each project's latest revision for a period quickly, and the one
-- query (planreg_status_rows) that GetStatus, ListOutstanding and DiffPeriods
-- share, so that the daemon and the benchmark's raw SQL run the same plan
-- (docs/status-explain.md).

-- Each project's latest revision for a period, as known at a moment: an
-- index-only scan of (period, project, revision descending) that carries what
-- the status needs, read with DISTINCT ON (project_id). The narrative is left
-- out (it may be 20,000 characters; its md5 stands in); it is fetched by id
-- only when asked for.
-- narrative_md5 lets "the narrative is word for word the previous quarter's"
-- be decided from the index too; the hash chain does not cover it (it is
-- derived from the narrative, which the chain covers).
ALTER TABLE progress_update ADD COLUMN narrative_md5 uuid GENERATED ALWAYS AS (md5(narrative)::uuid) STORED;
CREATE INDEX progress_update_status ON progress_update
	(period, project_id, revision DESC)
	INCLUDE (id, submitted_at, confidence, stage, spend_to_date_pence, forecast_total_pence, narrative_md5);

-- One row per project of the current plan that passes the filters, by ref:
-- the register's facts and its latest revision for p_period submitted at or
-- before p_as_at (NULL columns when none), the review of that revision known
-- at p_as_at, and what the flags need from the previous period p_prev.
-- p_due_default is the due date when p_period has no reporting_period row yet.
-- Filters are NULL for "any"; p_stage is the current stage (the latest
-- revision's, else the register's); p_scope is the organisation a submitter
-- is restricted to (decided by auth.c), NULL for everyone. p_after and
-- p_limit cut a page (refs after p_after, at most p_limit rows).
-- Each project's revisions are found by an index probe (LATERAL ... LIMIT 1),
-- so a page of 100 costs 100 probes whatever the register's size; the totals
-- over every project are planreg_status_totals' work (set-based).
-- A single-SELECT SQL function, STABLE and not STRICT, so PostgreSQL inlines
-- it into the caller's query and EXPLAIN shows the real plan.
CREATE FUNCTION planreg_status_rows(p_period text, p_as_at timestamptz, p_prev text, p_due_default date,
                                    p_theme integer, p_objective text, p_lead text, p_scope text,
                                    p_narrative boolean, p_stage stage, p_confidence confidence,
                                    p_after integer, p_limit integer)
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
	LEFT JOIN LATERAL (SELECT u.id, u.revision, u.confidence, u.stage, u.spend_to_date_pence,
	                          u.forecast_total_pence, u.submitted_at, u.narrative_md5
	                   FROM progress_update u
	                   WHERE u.period = p_period AND u.project_id = p.id AND u.submitted_at <= p_as_at
	                   ORDER BY u.revision DESC LIMIT 1) c ON true
	LEFT JOIN LATERAL (SELECT u.id, u.stage, u.narrative_md5 FROM progress_update u
	                   WHERE u.period = p_prev AND u.project_id = p.id AND u.submitted_at <= p_as_at
	                   ORDER BY u.revision DESC LIMIT 1) pv ON true
	LEFT JOIN LATERAL (SELECT r.accepted, r.comment FROM update_review r
	                   WHERE r.update_id = c.id AND r.reviewed_at <= p_as_at
	                   ORDER BY r.id DESC LIMIT 1) rv ON true
	WHERE p.plan_id = (SELECT max(id) FROM plan)
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

-- The totals of GetStatus over every project that passes the same filters,
-- set-based: each project's latest revision comes from one ordered pass over
-- the index (DISTINCT ON), not a probe per project. One row per group:
-- dim 'all' (key ''), 'theme' (key the number, name its title), 'stage',
-- 'confidence' (key 'none' when not reported) and 'lead' (key the code, name
-- the organisation's; a co-led project counts for each lead). The definitions
-- are the ones status.c applies to a page's rows (docs/protocol.md).
CREATE FUNCTION planreg_status_totals(p_period text, p_as_at timestamptz, p_due_default date,
                                      p_theme integer, p_objective text, p_lead text, p_scope text,
                                      p_stage stage, p_confidence confidence)
RETURNS TABLE (dim text, key text, name text, projects bigint, reported bigint, outstanding bigint,
               late bigint, returned bigint, green bigint, amber_green bigint, amber bigint,
               amber_red bigint, red bigint, not_reported bigint, spend_pence numeric, forecast_pence numeric,
               plan_cost_pence numeric)
LANGUAGE sql STABLE AS $fn$
	WITH due AS (
		SELECT ((coalesce((SELECT due FROM reporting_period WHERE period = p_period), p_due_default) + 1)
		        ::timestamp AT TIME ZONE 'UTC') AS ends),
	cur AS (
		SELECT DISTINCT ON (u.project_id) u.project_id, u.id, u.confidence, u.stage,
		       u.spend_to_date_pence, u.forecast_total_pence, u.submitted_at
		FROM progress_update u
		WHERE u.period = p_period AND u.submitted_at <= p_as_at
		ORDER BY u.project_id, u.revision DESC),
	-- the latest review known at p_as_at of each reviewed update of the period: a pass over the
	-- period's reviews, not a probe per project (most updates have none)
	rv AS (
		SELECT DISTINCT ON (r.update_id) r.update_id, r.accepted
		FROM update_review r JOIN progress_update u ON u.id = r.update_id
		WHERE u.period = p_period AND r.reviewed_at <= p_as_at
		ORDER BY r.update_id, r.id DESC),
	s AS MATERIALIZED (
		SELECT p.id, p.theme, coalesce(c.stage, p.stage) AS stage, c.confidence,
		       coalesce(rv.accepted = false, false) AS returned,
		       c.id IS NULL OR coalesce(rv.accepted = false, false) AS outstanding,
		       (c.id IS NOT NULL AND c.submitted_at >= due.ends)
		         OR ((c.id IS NULL OR coalesce(rv.accepted = false, false)) AND p_as_at >= due.ends) AS late,
		       c.spend_to_date_pence AS spend, c.forecast_total_pence AS forecast,
		       CASE WHEN p.cost_status = 'known' THEN p.cost_min_pence END AS plan
		FROM project p
		CROSS JOIN due
		LEFT JOIN cur c ON c.project_id = p.id
		LEFT JOIN rv ON rv.update_id = c.id
		WHERE p.plan_id = (SELECT max(id) FROM plan)
		  AND (p_theme IS NULL OR p.theme = p_theme)
		  AND (p_objective IS NULL OR p.theme || '.' || p.objective = p_objective)
		  AND (p_lead IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_lead)))
		  AND (p_scope IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
		       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_scope)))
		  AND (p_stage IS NULL OR coalesce(c.stage, p.stage) = p_stage)
		  AND (p_confidence IS NULL OR c.confidence = p_confidence))
	SELECT CASE WHEN GROUPING(s.theme) = 0 THEN 'theme' WHEN GROUPING(s.stage) = 0 THEN 'stage'
	            WHEN GROUPING(s.confidence) = 0 THEN 'confidence' ELSE 'all' END,
	       CASE WHEN GROUPING(s.theme) = 0 THEN s.theme::text WHEN GROUPING(s.stage) = 0 THEN s.stage::text
	            WHEN GROUPING(s.confidence) = 0 THEN coalesce(s.confidence::text, 'none') ELSE '' END,
	       CASE WHEN GROUPING(s.theme) = 0
	            THEN (SELECT t.title FROM theme t WHERE t.plan_id = (SELECT max(id) FROM plan) AND t.number = s.theme)
	            ELSE '' END,
	       count(*), count(*) FILTER (WHERE NOT s.outstanding), count(*) FILTER (WHERE s.outstanding),
	       count(*) FILTER (WHERE s.late), count(*) FILTER (WHERE s.returned),
	       count(*) FILTER (WHERE s.confidence = 'green'), count(*) FILTER (WHERE s.confidence = 'amber_green'),
	       count(*) FILTER (WHERE s.confidence = 'amber'), count(*) FILTER (WHERE s.confidence = 'amber_red'),
	       count(*) FILTER (WHERE s.confidence = 'red'), count(*) FILTER (WHERE s.confidence IS NULL),
	       coalesce(sum(s.spend), 0), coalesce(sum(s.forecast), 0), coalesce(sum(s.plan), 0)
	FROM s GROUP BY GROUPING SETS ((), (s.theme), (s.stage), (s.confidence))
	UNION ALL
	SELECT 'lead', o.code, min(o.name),
	       count(*), count(*) FILTER (WHERE NOT s.outstanding), count(*) FILTER (WHERE s.outstanding),
	       count(*) FILTER (WHERE s.late), count(*) FILTER (WHERE s.returned),
	       count(*) FILTER (WHERE s.confidence = 'green'), count(*) FILTER (WHERE s.confidence = 'amber_green'),
	       count(*) FILTER (WHERE s.confidence = 'amber'), count(*) FILTER (WHERE s.confidence = 'amber_red'),
	       count(*) FILTER (WHERE s.confidence = 'red'), count(*) FILTER (WHERE s.confidence IS NULL),
	       coalesce(sum(s.spend), 0), coalesce(sum(s.forecast), 0), coalesce(sum(s.plan), 0)
	FROM s JOIN project_lead_org l ON l.project_id = s.id JOIN organisation o ON o.code = l.org_code
	GROUP BY o.code
$fn$;

GRANT EXECUTE ON FUNCTION planreg_status_rows(text, timestamptz, text, date, integer, text, text, text, boolean,
                                              stage, confidence, integer, integer) TO planreg_app;
GRANT EXECUTE ON FUNCTION planreg_status_totals(text, timestamptz, date, integer, text, text, text, stage,
                                                confidence) TO planreg_app;
