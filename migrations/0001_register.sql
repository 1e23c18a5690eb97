-- 0001_register.sql - the register of an action plan: themes, objectives,
-- organisations and people (with aliases), projects with their leads and
-- partners, and the credentials that may use the service.
-- Applied by `planregd migrate` in one transaction, as the schema owner.

-- The daemon logs in as a role that is a member of planreg_app; migrations run
-- as the owner. Roles are cluster-wide, hence the guard.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'planreg_app') THEN
		CREATE ROLE planreg_app NOLOGIN;
	END IF;
END
$$;

CREATE TYPE org_kind AS ENUM (
	'combined_authority', 'local_authority', 'university', 'nhs', 'company', 'partnership', 'other');
CREATE TYPE stage AS ENUM (
	'concept', 'early_development', 'advanced_development', 'live', 'completed', 'paused', 'cancelled');
CREATE TYPE cost_status AS ENUM ('known', 'unknown', 'not_applicable');
CREATE TYPE credential_role AS ENUM ('admin', 'viewer', 'submitter', 'reminder');

-- Text columns refuse control characters other than TAB/LF/CR: the daemon
-- aggregates lists with the ASCII unit separator and documents must not carry them.
CREATE DOMAIN clean_text AS text
	CHECK (VALUE !~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]');
CREATE DOMAIN name_text AS text
	CHECK (VALUE !~ '[\x01-\x1f\x7f]' AND btrim(VALUE) <> '' AND length(VALUE) <= 500);

-- One row per imported action plan. A deployment holds one plan (docs/decisions.md);
-- projects are keyed by (plan, ref) so a successor plan can be added later.
CREATE TABLE plan (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title name_text NOT NULL UNIQUE,
	source_sha256 text CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
	imported_at timestamptz NOT NULL DEFAULT now(),
	imported_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE theme (
	plan_id integer NOT NULL REFERENCES plan ON DELETE CASCADE,
	number integer NOT NULL CHECK (number BETWEEN 1 AND 99),
	title name_text NOT NULL,
	PRIMARY KEY (plan_id, number)
);

CREATE TABLE objective (
	plan_id integer NOT NULL,
	theme integer NOT NULL,
	number integer NOT NULL CHECK (number BETWEEN 1 AND 99),
	title clean_text NOT NULL CHECK (btrim(title) <> ''),
	PRIMARY KEY (plan_id, theme, number),
	FOREIGN KEY (plan_id, theme) REFERENCES theme ON DELETE CASCADE
);

CREATE TABLE organisation (
	code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9]{1,16}$'),
	name name_text NOT NULL,
	kind org_kind NOT NULL,
	contact_email text CHECK (contact_email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
	                          AND length(contact_email) <= 254),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- "UoL" and "UOL" must not both exist: codes are compared case-insensitively by people.
CREATE UNIQUE INDEX organisation_code_lower ON organisation (lower(code));

CREATE TABLE organisation_alias (
	alias name_text PRIMARY KEY,
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE UNIQUE INDEX organisation_alias_lower ON organisation_alias (lower(alias));

CREATE TABLE person (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name name_text NOT NULL UNIQUE
);

CREATE TABLE person_alias (
	alias name_text PRIMARY KEY,
	person_id bigint NOT NULL REFERENCES person ON DELETE CASCADE
);

CREATE TABLE project (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id integer NOT NULL,
	ref integer NOT NULL CHECK (ref BETWEEN 1 AND 100000),
	theme integer NOT NULL,
	objective integer NOT NULL,
	title name_text NOT NULL,
	description clean_text NOT NULL,
	capital boolean NOT NULL,
	lead_text clean_text NOT NULL,
	partners_text clean_text NOT NULL,
	cost_text clean_text NOT NULL,
	cost_status cost_status NOT NULL,
	cost_min_pence bigint CHECK (cost_min_pence >= 0),
	cost_max_pence bigint CHECK (cost_max_pence >= 0),
	cost_approximate boolean NOT NULL DEFAULT false,
	funding clean_text NOT NULL,
	stage stage NOT NULL,
	stage_note clean_text NOT NULL DEFAULT '',
	stage_text clean_text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (plan_id, ref),
	FOREIGN KEY (plan_id, theme, objective) REFERENCES objective,
	-- a known cost has at least a minimum; unknown and n/a costs have no amounts
	CHECK ((cost_status = 'known') = (cost_min_pence IS NOT NULL)),
	CHECK (cost_status = 'known' OR cost_max_pence IS NULL),
	CHECK (cost_max_pence IS NULL OR cost_max_pence >= cost_min_pence)
);

CREATE TABLE project_lead_org (
	project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
	position integer NOT NULL CHECK (position >= 1),
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	PRIMARY KEY (project_id, org_code),
	UNIQUE (project_id, position)
);
CREATE INDEX project_lead_org_org ON project_lead_org (org_code);

CREATE TABLE project_lead_person (
	project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
	position integer NOT NULL CHECK (position >= 1),
	person_id bigint NOT NULL REFERENCES person,
	PRIMARY KEY (project_id, person_id),
	UNIQUE (project_id, position)
);

CREATE TABLE project_partner (
	project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
	position integer NOT NULL CHECK (position >= 1),
	name name_text NOT NULL,
	org_code text REFERENCES organisation ON UPDATE CASCADE,
	PRIMARY KEY (project_id, position)
);

-- A client certificate allowed to use the service, by its SHA-256 fingerprint.
CREATE TABLE credential (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
	fingerprint text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	person name_text,
	role credential_role NOT NULL,
	enrolled_at timestamptz NOT NULL DEFAULT now(),
	enrolled_by text NOT NULL,
	revoked_at timestamptz,
	revoked_by text,
	CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

GRANT USAGE ON SCHEMA public TO planreg_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
	plan, theme, objective, organisation, organisation_alias, person, person_alias,
	project, project_lead_org, project_lead_person, project_partner, credential
	TO planreg_app;

-- Brings the register in line with a parsed action-plan document, in the
-- caller's transaction, and returns one row per change. `planregd` validates
-- the document before calling; the constraints above still guard every row.
--   doc: {title, source_sha256, themes:[{number,title}], objectives:[{theme,number,title}],
--         organisations:[{code,name,kind,aliases:[..]}], person_aliases:[{alias,target}],
--         projects:[{ref,theme,objective,title,description,capital,lead_text,lead_orgs:[code..],
--                    lead_people:[name..],partners:[{name,org}],partners_text,cost_text,cost_status,
--                    cost_min,cost_max,cost_approximate,funding,stage,stage_note,stage_text}]}
-- Organisations are shared by plans: the import adds missing ones and fills in
-- those known only by their code (made by `planregd enrol`); it never changes
-- one an admin has described, nor a contact address.
CREATE FUNCTION planreg_import_plan(doc jsonb, actor text)
RETURNS TABLE (change text, entity text, key text, detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
	v_plan integer;
	v_other text;
	v_project bigint;
	v_old_title text;
	g jsonb;
	pj jsonb;
	prev project%ROWTYPE;
	diffs text[];
	v_leads text[];
	v_people text[];
	v_partners text[];
	v_ref integer;
BEGIN
	-- one import at a time
	PERFORM pg_advisory_xact_lock(31644363112211816);

	SELECT id INTO v_plan FROM plan WHERE title = doc->>'title';
	IF v_plan IS NULL THEN
		SELECT title INTO v_other FROM plan ORDER BY id LIMIT 1;
		IF v_other IS NOT NULL THEN
			RAISE EXCEPTION 'the register holds the plan "%", and this document is "%": one deployment keeps one plan', v_other, doc->>'title'
				USING ERRCODE = 'P0001';
		END IF;
		INSERT INTO plan (title, source_sha256, imported_by)
		VALUES (doc->>'title', NULLIF(doc->>'source_sha256', ''), actor) RETURNING id INTO v_plan;
		change := 'added'; entity := 'plan'; key := doc->>'title'; detail := ''; RETURN NEXT;
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

		SELECT * INTO prev FROM project WHERE plan_id = v_plan AND ref = v_ref;
		IF NOT FOUND THEN
			INSERT INTO project (plan_id, ref, theme, objective, title, description, capital, lead_text,
				partners_text, cost_text, cost_status, cost_min_pence, cost_max_pence, cost_approximate,
				funding, stage, stage_note, stage_text)
			VALUES (v_plan, v_ref, (pj->>'theme')::int, (pj->>'objective')::int, pj->>'title',
				pj->>'description', (pj->>'capital')::boolean, pj->>'lead_text', pj->>'partners_text',
				pj->>'cost_text', (pj->>'cost_status')::cost_status, (pj->>'cost_min')::bigint,
				(pj->>'cost_max')::bigint, (pj->>'cost_approximate')::boolean, pj->>'funding',
				(pj->>'stage')::stage, pj->>'stage_note', pj->>'stage_text')
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

GRANT EXECUTE ON FUNCTION planreg_import_plan(jsonb, text) TO planreg_app;
