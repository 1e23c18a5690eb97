-- 0011_status_totals.sql - the totals of GetStatus as a board reads them
-- (server/handlers/status.c, docs/protocol.md): counts that add up, and money
-- compared like for like.
--
-- planreg_status_totals (0003) counted a project whose latest revision was
-- returned both as outstanding and by the colour of that revision, so the
-- colours added up to more than "reported". Now a returned revision counts
-- as "returned", never by its colour: green to red add up to reported, and
-- green to red, returned and none (no return) add up to projects. The
-- 'confidence' groups follow: key 'returned' for those projects.
--
-- It also summed every forecast but only the known plan costs, so projects
-- whose plan cost is still to be decided ("tbd") made the forecast look far
-- over plan. The new columns compare like for like: over the projects
-- reported (not returned) that give a forecast and have a known plan cost
-- (a range at its minimum), how many there are and the sums of their
-- forecasts and plan costs; and how many reported a forecast whose plan cost
-- is not known, left out of the comparison. spend_pence, forecast_pence and
-- plan_cost_pence keep their meaning.
--
-- The arguments are 0003's; the result gains columns, so the function is
-- dropped and made again (nothing but status.c and the benchmark call it).

DROP FUNCTION planreg_status_totals(text, timestamptz, date, integer, text, text, text, stage, confidence);

CREATE FUNCTION planreg_status_totals(p_period text, p_as_at timestamptz, p_due_default date,
                                      p_theme integer, p_objective text, p_lead text, p_scope text,
                                      p_stage stage, p_confidence confidence)
RETURNS TABLE (dim text, key text, name text, projects bigint, reported bigint, outstanding bigint,
               late bigint, returned bigint, green bigint, amber_green bigint, amber bigint,
               amber_red bigint, red bigint, not_reported bigint, spend_pence numeric, forecast_pence numeric,
               plan_cost_pence numeric, compared_projects bigint, compared_forecast_pence numeric,
               compared_plan_cost_pence numeric, forecast_without_plan_cost bigint)
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
	            THEN (SELECT t.title FROM theme t WHERE t.plan_id = (SELECT max(id) FROM plan) AND t.number = s.theme)
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

GRANT EXECUTE ON FUNCTION planreg_status_totals(text, timestamptz, date, integer, text, text, text, stage,
                                                confidence) TO planreg_app;
