-- 0024_people.sql - named people of each organisation and what they answer for (docs/protocol.md,
-- "People"): its senior responsible owner (at most one current per organisation), its submitters
-- and its finance contact, each with a name and an e-mail address; the person a project's returns
-- are assigned to; and the person an invitation names, so that the credential it becomes is theirs.
-- (The table "person" of 0001 is the plan's lead people as printed, a different thing.)

-- A person is never deleted: removing one ends the row (ended_at), and only that may change.
CREATE TABLE org_person (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	name name_text NOT NULL CHECK (length(name) <= 200),
	email text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' AND length(email) <= 254),
	roles text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 3 AND array_position(roles, NULL) IS NULL
	                             AND roles <@ ARRAY['sro', 'submitter', 'finance']),
	added_at timestamptz NOT NULL DEFAULT now(),
	added_by text NOT NULL,
	ended_at timestamptz,
	ended_by text,
	CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
CREATE INDEX org_person_current ON org_person (org_code) WHERE ended_at IS NULL;
-- one current senior responsible owner per organisation (the handler refuses a second one by name first)
CREATE UNIQUE INDEX org_person_one_sro ON org_person (org_code) WHERE ended_at IS NULL AND 'sro' = ANY (roles);

-- The returns of a project (every edition of it: its lineage, migrations/0016) assigned to a person of
-- one of its lead organisations; unassigning or reassigning ends the row, so who had it when stays.
CREATE TABLE project_assignment (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	lineage bigint NOT NULL,
	person_id bigint NOT NULL REFERENCES org_person,
	assigned_at timestamptz NOT NULL DEFAULT now(),
	assigned_by text NOT NULL,
	ended_at timestamptz,
	ended_by text,
	CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
CREATE UNIQUE INDEX project_assignment_current ON project_assignment (lineage) WHERE ended_at IS NULL;
CREATE INDEX project_assignment_person ON project_assignment (person_id) WHERE ended_at IS NULL;

-- Both keep their history: a row only ends, once.
CREATE FUNCTION planreg_ends_once() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL
	   OR (to_jsonb(NEW) - 'ended_at' - 'ended_by') IS DISTINCT FROM (to_jsonb(OLD) - 'ended_at' - 'ended_by') THEN
		RAISE EXCEPTION '% row % can only be ended, once', TG_TABLE_NAME, OLD.id USING ERRCODE = 'P0001';
	END IF;
	RETURN NEW;
END
$fn$;
CREATE TRIGGER org_person_ends_once BEFORE UPDATE ON org_person
	FOR EACH ROW EXECUTE FUNCTION planreg_ends_once();
CREATE TRIGGER project_assignment_ends_once BEFORE UPDATE ON project_assignment
	FOR EACH ROW EXECUTE FUNCTION planreg_ends_once();
CREATE TRIGGER org_person_no_delete BEFORE DELETE ON org_person
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER project_assignment_no_delete BEFORE DELETE ON project_assignment
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();

GRANT SELECT, UPDATE (ended_at, ended_by) ON org_person, project_assignment TO planreg_app;
GRANT INSERT (org_code, name, email, roles, added_by) ON org_person TO planreg_app;
GRANT INSERT (lineage, person_id, assigned_by) ON project_assignment TO planreg_app;

-- The person an invitation is for, when it names one (cred invite --person): the credential it becomes,
-- and its renewals (which keep the invitation), are that person's.
ALTER TABLE invitation ADD COLUMN person_id bigint REFERENCES org_person;
GRANT INSERT (person_id) ON invitation TO planreg_app;

-- Reminder steps for a person: a regular step to an assigned person carries their id ("overdue-1/p17"),
-- and "escalate-sro" is the escalation to the organisation's senior responsible owner.
ALTER TABLE reminder_step DROP CONSTRAINT reminder_step_step_check;
ALTER TABLE reminder_step ADD CONSTRAINT reminder_step_step_check
	CHECK (step ~ '^((before|due|overdue-[1-9][0-9]*)(/p[1-9][0-9]*)?|escalate|escalate-sro)$');
