-- 0007_credential_notify.sql - a revocation is announced by the database itself, whoever makes it.
-- Run as the schema owner.
--
-- Every planregd LISTENs on planreg_credentials and drops the cached principal
-- of any connection whose certificate fingerprint arrives there (server/conn.c).
-- RevokeCredential has always sent that notification in its own statement; an
-- owner revoking by hand in SQL (UPDATE credential SET revoked_at = now() ...)
-- did not, so open connections kept the credential until the cache expired
-- (60 s). This trigger sends it for every revocation, at commit, as the daemon's
-- does. PostgreSQL delivers one notification when a transaction signals the same
-- channel with the same payload twice, so a revocation through the daemon is
-- still announced once.

CREATE FUNCTION planreg_credential_revoked() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	PERFORM pg_notify('planreg_credentials', NEW.fingerprint);
	RETURN NULL;
END
$fn$;

CREATE TRIGGER credential_revoked AFTER UPDATE OF revoked_at ON credential
	FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
	EXECUTE FUNCTION planreg_credential_revoked();
