-- gen_register.sql - a synthetic planreg register at scale, for the status
-- benchmark (tests/bench/status_bench.sh, docs/status-explain.md).
--
-- Run as the cluster superuser in a database that `planregd migrate` has just
-- migrated and that holds no plan yet:
--
--   psql -X -v ON_ERROR_STOP=1 -d DB -f tests/bench/gen_register.sql \
--        [-v projects=10000] [-v periods=40] [-v orgs=500] [-v seed=0.42]
--
-- What it makes (defaults in brackets):
--   one plan; 6 themes with 4 objectives each;
--   :orgs organisations ORG001.. [500], kinds spread, plus CA (the Combined Authority,
--     which the benchmark's admin credential belongs to);
--   :projects projects, refs 1.. [10000], each led by 1 organisation (a quarter by 2),
--     skewed so a few organisations lead many; costs: 70% exact, 15% ranges,
--     3% "over", 10% unknown, 2% not applicable;
--   :periods reporting periods ending with 2026-Q4 [40: 2017-Q1 .. 2026-Q4], due 14 days
--     after the quarter ends;
--   one progress update per project and period, and for ~5% of project-periods a
--     second revision [about 420,000 rows]; ids in submission order; submitted
--     around the due date (~15% late); hash, prev_hash and content_sha256 are
--     well-formed and prev_hash links to the previous row's hash, but they are NOT
--     the canonical hashes of docs/audit.md (`planreg audit verify` reports the
--     first row): the chain is sequential and this script is set-based;
--   milestones (1.5% of updates) and risks (3%); reviews (accepted, or returned
--     with a comment) of ~6% of the last six periods' updates; ~8% of narratives
--     repeat the previous quarter's text (the narrative_repeated flag).
-- Everything is inserted in one transaction (the history is append-only: a
-- failed run leaves nothing behind), then VACUUM ANALYZE sets the visibility
-- map so the status index is read index-only.
-- Deterministic for a given seed (no parallel plans, setseed first).

\set ON_ERROR_STOP on
\if :{?projects}
\else
\set projects 10000
\endif
\if :{?periods}
\else
\set periods 40
\endif
\if :{?orgs}
\else
\set orgs 500
\endif
\if :{?seed}
\else
\set seed 0.42
\endif

\pset pager off
\timing on
SELECT clock_timestamp() AS gen_t0 \gset
\echo gen_register: projects=:projects periods=:periods orgs=:orgs seed=:seed

BEGIN;
SET LOCAL synchronous_commit = off;
SET LOCAL work_mem = '64MB';
SET LOCAL maintenance_work_mem = '256MB';
SET LOCAL max_parallel_workers_per_gather = 0; -- keeps random() in one deterministic order
SET LOCAL client_min_messages = warning;

DO $$
BEGIN
	-- by name: migrations/0016 gave it a last parameter, the plan
	IF to_regclass('public.progress_update') IS NULL OR to_regproc('planreg_status_totals') IS NULL THEN
		RAISE EXCEPTION 'gen_register.sql: run `planregd migrate` first (0003_status.sql is missing)';
	END IF;
	IF EXISTS (SELECT 1 FROM plan) OR EXISTS (SELECT 1 FROM progress_update) THEN
		RAISE EXCEPTION 'gen_register.sql: the database already holds a plan or updates; use a fresh database';
	END IF;
END
$$;

SELECT setseed(:seed);

-- ------------------------------------------------------------------ register
\echo == plan, themes, objectives, organisations
INSERT INTO plan (title, source_sha256, imported_by)
VALUES ('Synthetic benchmark plan', encode(sha256('planreg bench plan'::bytea), 'hex'), 'bench');

INSERT INTO theme (plan_id, number, title)
SELECT (SELECT max(id) FROM plan), t,
       (ARRAY['Digital infrastructure', 'Digital skills and inclusion', 'Digital health and care',
              'Innovation and enterprise', 'Smart places and data', 'Public service transformation'])[t]
FROM generate_series(1, 6) t;

INSERT INTO objective (plan_id, theme, number, title)
SELECT (SELECT max(id) FROM plan), t, o, format('Objective %s.%s: deliver the theme''s %s priority', t, o,
       (ARRAY['first', 'second', 'third', 'fourth'])[o])
FROM generate_series(1, 6) t, generate_series(1, 4) o;

INSERT INTO organisation (code, name, kind, contact_email)
VALUES ('CA', 'The Combined Authority', 'combined_authority', 'digital@ca.example.org');

INSERT INTO organisation (code, name, kind, contact_email)
SELECT 'ORG' || lpad(i::text, greatest(3, length(:orgs::text)), '0'),
       format('%s %s', (ARRAY['Northfield', 'Riverside', 'Eastgate', 'Hillcrest', 'Westbrook', 'Lakeside',
                              'Oakmere', 'Stonebridge', 'Ashford', 'Kingsway'])[1 + i % 10],
              CASE kind
                WHEN 'local_authority' THEN 'Borough Council ' || i
                WHEN 'university' THEN 'University ' || i
                WHEN 'nhs' THEN 'NHS Foundation Trust ' || i
                WHEN 'company' THEN 'Digital Ltd ' || i
                WHEN 'partnership' THEN 'Partnership ' || i
                ELSE 'Trust ' || i END),
       kind::org_kind,
       CASE WHEN i % 7 = 0 THEN NULL ELSE format('progress%s@org%s.example.org', i, i) END
FROM (SELECT i, (ARRAY['local_authority', 'local_authority', 'university', 'nhs', 'company', 'company',
                       'company', 'company', 'partnership', 'other'])[1 + (i * 7) % 10] AS kind
      FROM generate_series(1, :orgs) i) s;

-- ------------------------------------------------------------------ projects
\echo == projects and their leads
CREATE TEMP TABLE gen_proj ON COMMIT DROP AS
SELECT ref,
       1 + (ref - 1) % 6 AS theme,
       1 + ((ref - 1) / 6) % 4 AS objective,
       lead1,
       CASE WHEN r_two < 0.25 THEN 1 + (lead1 + floor(r_other * (:orgs - 1))::int) % :orgs END AS lead2,
       r_cost, r_amount, r_span, r_stage, r_capital,
       -- the project's life: concept until `start`, delivered over `dur` quarters, then completed
       floor(r_start * greatest(1, :periods - 2))::int AS start, 6 + floor(r_dur * 24)::int AS dur,
       -- the project's underlying health: drives its confidence over time
       (ref * 0.6180339887498949) - floor(ref * 0.6180339887498949) AS health
FROM (SELECT ref,
             1 + floor(:orgs * power(random(), 2))::int AS lead1, -- skewed: low numbers lead more
             random() AS r_two, random() AS r_other, random() AS r_cost, random() AS r_amount,
             random() AS r_span, random() AS r_stage, random() AS r_capital, random() AS r_start,
             random() AS r_dur
      FROM generate_series(1, :projects) ref) s;

CREATE TEMP TABLE gen_proj2 ON COMMIT DROP AS
SELECT g.*,
       'ORG' || lpad(g.lead1::text, greatest(3, length(:orgs::text)), '0') AS lead1_code,
       'ORG' || lpad(g.lead2::text, greatest(3, length(:orgs::text)), '0') AS lead2_code,
       c.cost_status, c.cost_min, c.cost_max, c.cost_text
FROM gen_proj g
CROSS JOIN LATERAL (
	-- £50k .. £50m, log-uniform, in whole £1,000s
	SELECT round(exp(ln(50000) + g.r_amount * (ln(50000000) - ln(50000))) / 1000) * 1000 * 100 AS base
) b
CROSS JOIN LATERAL (
	SELECT CASE WHEN g.r_cost < 0.88 THEN 'known' WHEN g.r_cost < 0.98 THEN 'unknown'
	            ELSE 'not_applicable' END::cost_status AS cost_status,
	       CASE WHEN g.r_cost < 0.88 THEN b.base::bigint END AS cost_min,
	       CASE WHEN g.r_cost < 0.70 THEN b.base::bigint                                      -- exact
	            WHEN g.r_cost < 0.85 THEN (b.base * (1.5 + g.r_span * 2))::bigint / 100000 * 100000 -- range
	       END AS cost_max,                                                                  -- else "over"
	       CASE WHEN g.r_cost < 0.70 THEN '£' || to_char(b.base / 100, 'FM999,999,999')
	            WHEN g.r_cost < 0.85 THEN '£' || to_char(b.base / 100, 'FM999,999,999') || ' - £'
	                 || to_char((b.base * (1.5 + g.r_span * 2))::bigint / 100000 * 1000, 'FM999,999,999')
	            WHEN g.r_cost < 0.88 THEN 'Over £' || to_char(b.base / 100, 'FM999,999,999')
	            WHEN g.r_cost < 0.98 THEN 'TBC'
	            ELSE 'N/A' END AS cost_text
) c;

INSERT INTO project (plan_id, ref, theme, objective, title, description, capital, lead_text, partners_text,
                     cost_text, cost_status, cost_min_pence, cost_max_pence, cost_approximate, funding, stage,
                     stage_note, stage_text)
SELECT (SELECT max(id) FROM plan), g.ref, g.theme, g.objective,
       format('%s %s programme %s',
              (ARRAY['Full-fibre', 'Digital skills', 'Virtual wards', 'Innovation fund', 'Open data',
                     'Channel shift'])[g.theme],
              (ARRAY['North', 'South', 'East', 'West', 'Central'])[1 + g.ref % 5], g.ref),
       format('Synthetic project %s for the status benchmark: theme %s, objective %s.%s.', g.ref, g.theme,
              g.theme, g.objective),
       g.r_capital < 0.4,
       o1.name || coalesce(' / ' || o2.name, ''),
       '',
       g.cost_text, g.cost_status, g.cost_min, g.cost_max, g.cost_status = 'known' AND g.r_span < 0.1,
       (ARRAY['Combined Authority', 'Gainshare', 'UKSPF', 'Private sector', 'Council capital'])[1 + g.ref % 5],
       s.stage, '', initcap(replace(s.stage::text, '_', ' '))
FROM gen_proj2 g
JOIN organisation o1 ON o1.code = g.lead1_code
LEFT JOIN organisation o2 ON o2.code = g.lead2_code
CROSS JOIN LATERAL (
	SELECT (ARRAY['concept', 'early_development', 'advanced_development', 'advanced_development', 'live',
	              'live', 'live', 'completed'])[1 + floor(g.r_stage * 8)::int]::stage AS stage
) s
ORDER BY g.ref;

INSERT INTO project_lead_org (project_id, position, org_code)
SELECT p.id, l.position, l.code
FROM gen_proj2 g
JOIN project p ON p.ref = g.ref AND p.plan_id = (SELECT max(id) FROM plan)
CROSS JOIN LATERAL (VALUES (1, g.lead1_code), (2, g.lead2_code)) l(position, code)
WHERE l.code IS NOT NULL
ORDER BY p.id, l.position;

-- ------------------------------------------------------------------ periods
\echo == reporting periods
INSERT INTO reporting_period (period, starts, ends, due)
SELECT to_char(q, 'YYYY') || '-Q' || extract(quarter FROM q), q::date,
       (q + interval '3 months' - interval '1 day')::date,
       (q + interval '3 months' - interval '1 day' + interval '14 days')::date
FROM generate_series(timestamp '2026-10-01' - (:periods - 1) * interval '3 months',
                     timestamp '2026-10-01', interval '3 months') q;

-- ------------------------------------------------------------------ progress updates
\echo == progress updates (computed)
-- one row per project, period and revision, with everything but the chain
CREATE TEMP TABLE gen_pu ON COMMIT DROP AS
WITH pp AS (
	SELECT p.id AS project_id, p.ref, p.cost_status, p.cost_min_pence, p.cost_max_pence,
	       g.lead1_code, g.health, g.start, g.dur, rp.period, rp.k, rp.due,
	       random() AS r_rev, random() AS r_when, random() AS r_behalf
	FROM gen_proj2 g
	JOIN project p ON p.ref = g.ref AND p.plan_id = (SELECT max(id) FROM plan)
	CROSS JOIN (SELECT period, due, (row_number() OVER (ORDER BY starts) - 1)::int AS k
	            FROM reporting_period) rp
)
SELECT pp.project_id, pp.ref, pp.period, pp.k, rev.revision,
       pp.cost_status, pp.cost_min_pence, pp.cost_max_pence, pp.health, pp.lead1_code,
       (pp.k - pp.start)::float8 / pp.dur AS phase,
       -- revision 1 around the due date (~15% after it), revision 2 1-20 days later
       (pp.due::timestamp AT TIME ZONE 'UTC') + interval '9 hours'
         + (-25 + 29.5 * pp.r_when) * interval '1 day'
         + CASE WHEN rev.revision = 2 THEN (1 + 19 * random()) * interval '1 day' ELSE interval '0' END
         + random() * interval '8 hours' AS submitted_at,
       pp.r_behalf < 0.03 AS on_behalf,
       random() AS r_conf, random() AS r_stage, random() AS r_spend, random() AS r_fc, random() AS r_null,
       random() AS r_text, random() AS r_len, random() AS r_ms, random() AS r_risk
FROM pp
CROSS JOIN LATERAL generate_series(1, CASE WHEN pp.r_rev < 0.05 THEN 2 ELSE 1 END) rev(revision);

CREATE TEMP TABLE gen_pu2 ON COMMIT DROP AS
SELECT u.*,
       x.confidence, x.stage, x.spend, x.forecast,
       CASE WHEN x.forecast IS NOT NULL AND u.cost_min_pence > 0
             AND abs(x.forecast - u.cost_min_pence) > u.cost_min_pence * 0.05
            THEN format('Forecast revised from the plan''s %s: scope and prices changed in %s.',
                        u.cost_min_pence / 100, u.period)
            ELSE '' END AS variance_note,
       CASE
         -- streaks of three quarters with one unchanged text: the narrative_repeated flag
         WHEN u.revision = 1 AND (u.ref * 7 + u.k / 3) % 10 = 0 THEN
           format('Project %s: no material change this quarter; delivery continues as previously reported.', u.ref)
         ELSE format('%s: %s %s%s',
                     u.period,
                     (ARRAY['Delivery is on track against the baseline plan.',
                            'Procurement completed and the supplier has mobilised.',
                            'Stakeholder engagement continued with partner organisations.',
                            'The business case was approved by the programme board.',
                            'Recruitment to the delivery team is complete.',
                            'A dependency on a partner''s system has delayed testing.',
                            'Pilot sites reported good early take-up.',
                            'Budget pressures are being managed through re-phasing.'])[1 + floor(u.r_text * 8)::int],
                     CASE WHEN u.revision = 2 THEN 'Revised after review: figures corrected. ' ELSE '' END,
                     repeat(format('Work on project %s this quarter covered design, build and assurance; '
                                   'the next quarter focuses on roll-out and benefits tracking. ', u.ref),
                            1 + floor(u.r_len * 4)::int))
       END AS narrative
FROM gen_pu u
CROSS JOIN LATERAL (
	-- confidence: the mean of the project's health and this quarter's luck (a triangular
	-- distribution), cut at its 25/55/80/93% points: ~25% green, 30% amber/green, 25% amber,
	-- 13% amber/red, 7% red
	SELECT CASE WHEN (u.health + u.r_conf) / 2 < 0.354 THEN 'green'
	            WHEN (u.health + u.r_conf) / 2 < 0.526 THEN 'amber_green'
	            WHEN (u.health + u.r_conf) / 2 < 0.684 THEN 'amber'
	            WHEN (u.health + u.r_conf) / 2 < 0.813 THEN 'amber_red'
	            ELSE 'red' END::confidence AS confidence,
	       -- stage: from the project's life; 2% paused, 0.5% cancelled, 3% a step backwards
	       CASE WHEN u.r_stage < 0.02 THEN 'paused'
	            WHEN u.r_stage < 0.025 THEN 'cancelled'
	            ELSE (ARRAY['concept', 'early_development', 'advanced_development', 'live', 'completed'])
	                   [1 + greatest(0, CASE WHEN u.phase < 0 THEN 0 WHEN u.phase < 0.2 THEN 1
	                                         WHEN u.phase < 0.45 THEN 2 WHEN u.phase < 1 THEN 3 ELSE 4 END
	                                    - CASE WHEN u.r_stage > 0.97 THEN 1 ELSE 0 END)]
	       END::stage AS stage,
	       -- spend: the forecast times how far through its life the project is (a few end above it)
	       CASE WHEN u.r_null < 0.08 THEN NULL
	            ELSE (round(coalesce(u.cost_min_pence, 500000000) * (0.85 + 0.5 * u.r_fc)
	                        * least(1, greatest(0, u.phase))::numeric * (0.7 + 0.32 * u.r_spend) / 100000)
	                  * 100000)::bigint END AS spend,
	       CASE WHEN u.r_null BETWEEN 0.08 AND 0.16 THEN NULL
	            ELSE (round(coalesce(u.cost_min_pence, 500000000) * (0.85 + 0.5 * u.r_fc) / 100000)
	                  * 100000)::bigint END AS forecast
) x;

\echo == progress updates (inserted, in submission order)
INSERT INTO progress_update (project_id, period, revision, confidence, stage, narrative, spend_to_date_pence,
                             forecast_total_pence, variance_note, submitted_by, submitted_org, submitted_person,
                             on_behalf, submitted_at, idempotency_key, content_sha256, warnings, prev_hash, hash)
SELECT project_id, period, revision, confidence, stage, narrative, spend, forecast, variance_note,
       CASE WHEN on_behalf THEN 'admin' ELSE 'submitter-' || lead1_code END,
       CASE WHEN on_behalf THEN 'CA' ELSE lead1_code END,
       CASE WHEN on_behalf THEN 'Admin User' ELSE 'Reporter ' || lead1_code END,
       on_behalf, submitted_at, ikey,
       encode(sha256(convert_to(ikey || E'\n' || narrative, 'UTF8')), 'hex'),
       '{}',
       coalesce(lag(hash) OVER w, repeat('0', 64)),
       hash
FROM (SELECT *, format('bench-%s-%s-r%s', ref, period, revision) AS ikey,
             encode(sha256(convert_to(format('planreg-bench-update %s %s %s', ref, period, revision), 'UTF8')),
                    'hex') AS hash
      FROM gen_pu2) s
WINDOW w AS (ORDER BY submitted_at, project_id, revision)
ORDER BY submitted_at, project_id, revision;

-- ------------------------------------------------------------------ milestones, risks, reviews
\echo == milestones, risks, reviews
INSERT INTO update_milestone (update_id, position, title, baseline, forecast, achieved)
SELECT u.id, m, format('Milestone %s of project %s', m, g.ref),
       (rp.ends + (m * 60 - 30))::date,
       CASE WHEN g.r_ms >= 0.005 THEN (rp.ends + (m * 60 - 30 + floor(g.r_ms * 40000)::int % 90))::date END,
       CASE WHEN g.r_ms < 0.005 OR (m = 1 AND g.r_ms < 0.006) THEN (rp.starts + 20)::date END
FROM gen_pu2 g
JOIN progress_update u ON u.project_id = g.project_id AND u.period = g.period AND u.revision = g.revision
JOIN reporting_period rp ON rp.period = g.period
CROSS JOIN generate_series(1, 1 + floor(g.r_ms * 1000)::int % 2) m
WHERE g.r_ms < 0.015
ORDER BY u.id, m;

INSERT INTO update_risk (update_id, position, risk)
SELECT u.id, 1, (ARRAY['Supply chain delays', 'Recruitment of specialist staff', 'Partner funding not confirmed',
                      'Cyber security assurance', 'Inflation in contract prices'])[1 + floor(g.r_risk * 100)::int % 5]
FROM gen_pu2 g
JOIN progress_update u ON u.project_id = g.project_id AND u.period = g.period AND u.revision = g.revision
WHERE g.r_risk < 0.03
ORDER BY u.id;

-- reviews of ~6% of the latest revisions of the last six periods: 75% accepted, 25% returned
INSERT INTO update_review (update_id, accepted, comment, reviewed_by, reviewed_at)
SELECT id, accepted,
       CASE WHEN accepted THEN '' ELSE (ARRAY['Add the spend figure.', 'The forecast needs a variance note.',
                                              'Please explain the change in confidence.'])[1 + id % 3] END,
       'admin', reviewed_at
FROM (SELECT u.id, random() < 0.75 AS accepted,
             u.submitted_at + (1 + 9 * random()) * interval '1 day' AS reviewed_at, random() AS pick
      FROM progress_update u
      JOIN (SELECT period FROM reporting_period ORDER BY starts DESC LIMIT 6) lp ON lp.period = u.period
      WHERE NOT EXISTS (SELECT 1 FROM progress_update v
                        WHERE v.project_id = u.project_id AND v.period = u.period AND v.revision > u.revision)) s
WHERE pick < 0.06
ORDER BY reviewed_at, id;

-- the rows above were queued for the log (migrations/0025's triggers); the sequencer gives them their leaves in
-- the order they were inserted, as the daemon's first batch would, so that nothing is left in log_pending
\echo == the log: every row above sequenced
SELECT tree_size, sequenced FROM planreg_log_sequence();

COMMIT;

\echo == VACUUM ANALYZE
VACUUM ANALYZE;

\timing off
\echo == what was generated
SELECT (SELECT count(*) FROM organisation) AS organisations, (SELECT count(*) FROM project) AS projects,
       (SELECT count(*) FROM project_lead_org) AS project_leads,
       (SELECT count(*) FROM reporting_period) AS periods, (SELECT count(*) FROM progress_update) AS updates,
       (SELECT count(*) FROM progress_update WHERE revision = 2) AS second_revisions,
       (SELECT count(*) FROM update_milestone) AS milestones, (SELECT count(*) FROM update_risk) AS risks,
       (SELECT count(*) FILTER (WHERE accepted) FROM update_review) AS reviews_accepted,
       (SELECT count(*) FILTER (WHERE NOT accepted) FROM update_review) AS reviews_returned,
       (SELECT count(*) FROM log_leaf) AS log_leaves, (SELECT count(*) FROM log_pending) AS log_pending;
SELECT pg_size_pretty(pg_total_relation_size('progress_update')) AS progress_update_total,
       pg_size_pretty(pg_relation_size('progress_update_status')) AS status_index;
SELECT format('gen_register: done in %s s',
              round(extract(epoch FROM clock_timestamp() - :'gen_t0'::timestamptz)::numeric, 1)) AS generation;
