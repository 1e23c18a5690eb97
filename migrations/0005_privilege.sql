-- 0005_privilege.sql - least privilege for the daemon's role, and the history's
-- integrity held by the database itself (docs/decisions.md, "Least privilege";
-- docs/audit.md). Run as the schema owner, like every migration.
--
-- What planreg_app may do after this migration, table by table:
--   plan, theme, objective, organisation_alias, person, person_alias, project,
--   project_lead_org, project_lead_person, project_partner
--                       SELECT (an import writes them through planreg_import_plan,
--                       which now runs with the owner's rights)
--   organisation        SELECT; INSERT (code, name, kind, contact_email);
--                       UPDATE (name, kind, contact_email, updated_at) - never the code
--   credential          SELECT; INSERT (name, fingerprint, org_code, person, role,
--                       enrolled_by); UPDATE (revoked_at, revoked_by), and a trigger
--                       lets an UPDATE only revoke
--   reporting_period, progress_update, update_milestone, update_risk
--                       SELECT, INSERT (append-only, 0002)
--   update_review       SELECT; INSERT (update_id, accepted, comment, reviewed_by,
--                       idempotency_key): reviewed_at is always the database's now()
--   reminder_policy     SELECT, UPDATE (0004)
--   reminder_message, reminder_step
--                       SELECT, INSERT, UPDATE (0004)
-- and EXECUTE on planreg_import_plan and planreg_status_rows.

-- ---------------------------------------------------------------- the import, with the owner's rights

-- The import is the only writer of the register's structure, so the daemon's
-- role needs no INSERT, UPDATE or DELETE on it. A fixed search_path keeps the
-- caller's objects out of the function: pg_temp last, so a temporary table
-- cannot stand in for a register table.
ALTER FUNCTION planreg_import_plan(jsonb, text) SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
REVOKE EXECUTE ON FUNCTION planreg_import_plan(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planreg_import_plan(jsonb, text) TO planreg_app;

-- ---------------------------------------------------------------- what the daemon's role no longer needs

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON
	plan, theme, objective, organisation, organisation_alias, person, person_alias,
	project, project_lead_org, project_lead_person, project_partner, credential
	FROM planreg_app;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON
	reporting_period, progress_update, update_milestone, update_risk, update_review
	FROM planreg_app;

-- UpsertOrganisation (server/handlers/register.c) adds an organisation or
-- describes one; an organisation's code is its identity and never changes here.
GRANT INSERT (code, name, kind, contact_email), UPDATE (name, kind, contact_email, updated_at)
	ON organisation TO planreg_app;

-- EnrolCredential inserts; RevokeCredential sets the two revocation columns.
GRANT INSERT (name, fingerprint, org_code, person, role, enrolled_by), UPDATE (revoked_at, revoked_by)
	ON credential TO planreg_app;

-- ---------------------------------------------------------------- a credential changes only by being revoked

-- Whoever runs the UPDATE (the daemon, or the owner by hand): a credential's
-- identity (certificate, organisation, person, role) is fixed at enrolment, and
-- a revocation is final. Enrol a new certificate to change anything else.
CREATE FUNCTION planreg_credential_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF (NEW.id, NEW.name, NEW.fingerprint, NEW.org_code, NEW.person, NEW.role, NEW.enrolled_at, NEW.enrolled_by)
	   IS DISTINCT FROM
	   (OLD.id, OLD.name, OLD.fingerprint, OLD.org_code, OLD.person, OLD.role, OLD.enrolled_at, OLD.enrolled_by) THEN
		RAISE EXCEPTION 'credential % cannot be changed, only revoked: enrol a new certificate instead', OLD.name
			USING ERRCODE = 'P0001';
	END IF;
	IF OLD.revoked_at IS NOT NULL
	   AND (NEW.revoked_at, NEW.revoked_by) IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by) THEN
		RAISE EXCEPTION 'credential % was revoked at % and a revocation is final: issue and enrol a new certificate',
			OLD.name, OLD.revoked_at USING ERRCODE = 'P0001';
	END IF;
	RETURN NEW;
END
$fn$;

CREATE TRIGGER credential_guard BEFORE UPDATE ON credential
	FOR EACH ROW EXECUTE FUNCTION planreg_credential_guard();

-- ---------------------------------------------------------------- the chain cannot fork

-- Each update names the one before it; two updates naming the same one would be
-- a fork, which the advisory lock in SubmitUpdate prevents and this constraint
-- refuses even when the lock is bypassed. The first update's prev_hash (64
-- zeros) is one row like any other.
DO $$
DECLARE
	v_prev text;
	v_ids text;
BEGIN
	SELECT prev_hash, string_agg(id::text, ', ' ORDER BY id) INTO v_prev, v_ids
	FROM progress_update GROUP BY prev_hash HAVING count(*) > 1 ORDER BY min(id) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'the progress chain has forked: updates % all follow %; `planreg audit verify` shows the first bad update, resolve it before migrating', v_ids, v_prev;
	END IF;
END
$$;
ALTER TABLE progress_update ADD CONSTRAINT progress_update_prev_hash_key UNIQUE (prev_hash);

-- ---------------------------------------------------------------- hashed rows name organisations for good

-- progress_update.submitted_org is inside each update's hash, and a
-- credential's organisation is what its certificate's subject O must match:
-- renaming an organisation's code must not rewrite either. The register's own
-- references (leads, partners, aliases) and the reminder outbox still follow a
-- rename; a rename of an organisation that has updates or credentials is refused.
ALTER TABLE progress_update DROP CONSTRAINT progress_update_submitted_org_fkey,
	ADD CONSTRAINT progress_update_submitted_org_fkey FOREIGN KEY (submitted_org) REFERENCES organisation;
ALTER TABLE credential DROP CONSTRAINT credential_org_code_fkey,
	ADD CONSTRAINT credential_org_code_fkey FOREIGN KEY (org_code) REFERENCES organisation;

-- The foreign keys refuse the rename anyway; this says why, in words.
CREATE FUNCTION planreg_organisation_code_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF NEW.code IS DISTINCT FROM OLD.code
	   AND (EXISTS (SELECT 1 FROM progress_update WHERE submitted_org = OLD.code)
	        OR EXISTS (SELECT 1 FROM credential WHERE org_code = OLD.code)) THEN
		RAISE EXCEPTION 'organisation % has progress updates or credentials that name it by its code, so its code cannot change', OLD.code
			USING ERRCODE = 'P0001';
	END IF;
	RETURN NEW;
END
$fn$;

CREATE TRIGGER organisation_code_guard BEFORE UPDATE OF code ON organisation
	FOR EACH ROW EXECUTE FUNCTION planreg_organisation_code_guard();

-- ---------------------------------------------------------------- reviews are idempotent

-- ReviewUpdate stores the request's idempotency key: a retry with the same key
-- returns the first review and writes nothing. Scoped to the reviewer, like
-- SubmitUpdate's keys; reviews made before this migration (or without a key) have none.
ALTER TABLE update_review ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
	ADD CONSTRAINT update_review_idempotency_key UNIQUE (reviewed_by, idempotency_key);

REVOKE INSERT ON update_review FROM planreg_app;
GRANT INSERT (update_id, accepted, comment, reviewed_by, idempotency_key) ON update_review TO planreg_app;
