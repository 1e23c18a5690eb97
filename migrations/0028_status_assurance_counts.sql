-- 0028_status_assurance_counts.sql - the CA's ratings of a status selection's reported projects, counted in one
-- pass (docs/performance.md, GetStatus). assure.c counted them by running planreg_status_rows over every project
-- of the selection with every column a page needs (210 ms on the 10,000 x 40 register); this is the same
-- selection as 0016's planreg_status_totals (the same CTEs, so the same definitions of the latest revision,
-- its review and the filters) and the CA's latest rating of each project and period known at p_as_at, on
-- any revision (0019's planreg_assurance_latest), as one pass over the period's ratings.
CREATE FUNCTION planreg_status_assurance_counts(p_period text, p_as_at timestamptz, p_due_default date,
                                                p_theme integer, p_objective text, p_lead text, p_scope text,
                                                p_stage stage, p_confidence confidence, p_plan text DEFAULT NULL)
RETURNS TABLE (confidence confidence, rating confidence, projects bigint)
LANGUAGE sql STABLE AS $fn$
	WITH pl AS (SELECT planreg_plan_id(p_plan) AS id),
	cur AS (
		SELECT DISTINCT ON (m.lineage) m.lineage, u.id, u.confidence, u.stage
		FROM progress_update u JOIN project m ON m.id = u.project_id
		WHERE u.period = p_period AND u.submitted_at <= p_as_at
		ORDER BY m.lineage, u.revision DESC, u.id DESC),
	rv AS (
		SELECT DISTINCT ON (r.update_id) r.update_id, r.accepted
		FROM update_review r JOIN progress_update u ON u.id = r.update_id
		WHERE u.period = p_period AND r.reviewed_at <= p_as_at
		ORDER BY r.update_id, r.id DESC),
	ca AS (
		SELECT DISTINCT ON (u.project_id) u.project_id, a.rating
		FROM assurance_rating a JOIN progress_update u ON u.id = a.update_id
		WHERE u.period = p_period AND a.rated_at <= p_as_at
		ORDER BY u.project_id, a.id DESC)
	SELECT c.confidence, ca.rating, count(*)
	FROM project p
	JOIN cur c ON c.lineage = p.lineage
	LEFT JOIN rv ON rv.update_id = c.id
	LEFT JOIN ca ON ca.project_id = p.id
	WHERE p.plan_id = (SELECT id FROM pl)
	  AND coalesce(rv.accepted, true) -- reported: a return, not sent back
	  AND (p_theme IS NULL OR p.theme = p_theme)
	  AND (p_objective IS NULL OR p.theme || '.' || p.objective = p_objective)
	  AND (p_lead IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
	       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_lead)))
	  AND (p_scope IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l
	       WHERE l.project_id = p.id AND lower(l.org_code) = lower(p_scope)))
	  AND (p_stage IS NULL OR coalesce(c.stage, p.stage) = p_stage)
	  AND (p_confidence IS NULL OR c.confidence = p_confidence)
	GROUP BY 1, 2
$fn$;
GRANT EXECUTE ON FUNCTION planreg_status_assurance_counts(text, timestamptz, date, integer, text, text, text, stage,
                                                          confidence, text) TO planreg_app;
