-- 0012_invitations.sql - people join by themselves: one-time invitations, certificates the
-- service issues for keys made on the joiner's own machine, renewal, and expiry in view.
-- Run as the schema owner (docs/onboarding.md).
--
-- invitation: an admin's offer of one credential (organisation, role, person) to whoever holds
-- its secret, until it expires. Only the secret's SHA-256 is kept (proto/invite.c). An
-- invitation is used once (RedeemInvitation marks it in the same transaction that enrols the
-- certificate it issues) or cancelled; either is final.
CREATE TABLE invitation (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	secret_sha256 text NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	role credential_role NOT NULL,
	person name_text NOT NULL,
	email text CHECK (email IS NULL OR length(email) <= 254),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by text NOT NULL,
	expires_at timestamptz NOT NULL,
	cancelled_at timestamptz,
	cancelled_by text,
	used_at timestamptz,
	credential_name text,
	CHECK (expires_at > created_at),
	CHECK ((cancelled_at IS NULL) = (cancelled_by IS NULL)),
	CHECK ((used_at IS NULL) = (credential_name IS NULL)),
	CHECK (used_at IS NULL OR cancelled_at IS NULL)
);

CREATE FUNCTION planreg_invitation_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF (NEW.id, NEW.secret_sha256, NEW.org_code, NEW.role, NEW.person, NEW.email, NEW.created_at, NEW.created_by,
	    NEW.expires_at)
	   IS DISTINCT FROM
	   (OLD.id, OLD.secret_sha256, OLD.org_code, OLD.role, OLD.person, OLD.email, OLD.created_at, OLD.created_by,
	    OLD.expires_at) THEN
		RAISE EXCEPTION 'invitation % cannot be changed, only used or cancelled', OLD.id USING ERRCODE = 'P0001';
	END IF;
	IF (OLD.used_at IS NOT NULL OR OLD.cancelled_at IS NOT NULL)
	   AND (NEW.used_at, NEW.credential_name, NEW.cancelled_at, NEW.cancelled_by)
	       IS DISTINCT FROM (OLD.used_at, OLD.credential_name, OLD.cancelled_at, OLD.cancelled_by) THEN
		RAISE EXCEPTION 'invitation % was already used or cancelled', OLD.id USING ERRCODE = 'P0001';
	END IF;
	RETURN NEW;
END
$fn$;

CREATE TRIGGER invitation_guard BEFORE UPDATE ON invitation
	FOR EACH ROW EXECUTE FUNCTION planreg_invitation_guard();
CREATE TRIGGER invitation_no_delete BEFORE DELETE ON invitation
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();

-- credential: the certificate's end (issued here, or read from the enrolled certificate), when it
-- was last seen, the invitation it came from, and for a renewal the credential it replaces and
-- when the old one stops being accepted (retire_at: at the latest; at once when the new one is
-- first used).
ALTER TABLE credential
	ADD COLUMN not_after timestamptz,
	ADD COLUMN last_seen_at timestamptz,
	ADD COLUMN invitation_id bigint REFERENCES invitation,
	ADD COLUMN replaces text REFERENCES credential (name),
	ADD COLUMN retire_at timestamptz;

CREATE OR REPLACE FUNCTION planreg_credential_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF (NEW.id, NEW.name, NEW.fingerprint, NEW.org_code, NEW.person, NEW.role, NEW.enrolled_at, NEW.enrolled_by,
	    NEW.not_after, NEW.invitation_id, NEW.replaces)
	   IS DISTINCT FROM
	   (OLD.id, OLD.name, OLD.fingerprint, OLD.org_code, OLD.person, OLD.role, OLD.enrolled_at, OLD.enrolled_by,
	    OLD.not_after, OLD.invitation_id, OLD.replaces) THEN
		RAISE EXCEPTION 'credential % cannot be changed, only revoked: enrol a new certificate instead', OLD.name
			USING ERRCODE = 'P0001';
	END IF;
	IF OLD.revoked_at IS NOT NULL
	   AND (NEW.revoked_at, NEW.revoked_by) IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by) THEN
		RAISE EXCEPTION 'credential % was revoked at % and a revocation is final: issue and enrol a new certificate',
			OLD.name, OLD.revoked_at USING ERRCODE = 'P0001';
	END IF;
	IF OLD.retire_at IS NOT NULL AND NEW.retire_at IS DISTINCT FROM OLD.retire_at THEN
		RAISE EXCEPTION 'credential % is already being replaced', OLD.name USING ERRCODE = 'P0001';
	END IF;
	RETURN NEW;
END
$fn$;

GRANT SELECT, INSERT (secret_sha256, org_code, role, person, email, created_by, expires_at),
	UPDATE (cancelled_at, cancelled_by, used_at, credential_name)
	ON invitation TO planreg_app;
GRANT INSERT (not_after, invitation_id, replaces), UPDATE (last_seen_at, retire_at) ON credential TO planreg_app;
