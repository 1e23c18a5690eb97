-- 0009_contacts_and_reminders.sql - reminders written for the people who get
-- them: several contacts per organisation ("Full Name <name@example.org>"),
-- digests addressed to all of them at once, and in the reminder policy the
-- programme contact (the Reply-To, and whom officers ask to be set up) and a
-- grace period after the job's first run in which nothing is escalated.
-- docs/decisions.md, Reminders, says why.

-- Every contact of an organisation, in order, each a mailbox as the daemon
-- checked and wrote it back (proto/mailbox.h): "name@example.org" or
-- "Full Name <name@example.org>". contact_email stays, as the first one's
-- address, for whatever reads it (ListOutstanding, older tools); the trigger
-- below keeps the two in step whichever of them a statement sets.
ALTER TABLE organisation ADD COLUMN contacts text[] NOT NULL DEFAULT '{}'
	CHECK (cardinality(contacts) <= 10 AND array_position(contacts, NULL) IS NULL);
UPDATE organisation SET contacts = ARRAY[contact_email] WHERE contact_email IS NOT NULL;

-- The address of a mailbox as stored: what is in the angle brackets, or all of it.
CREATE FUNCTION planreg_mailbox_addr(mailbox text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $fn$
	SELECT coalesce(substring(mailbox FROM '<([^<>]*)>\s*$'), btrim(mailbox))
$fn$;

CREATE FUNCTION planreg_organisation_contacts() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
	IF TG_OP = 'INSERT' AND cardinality(NEW.contacts) = 0 AND NEW.contact_email IS NOT NULL THEN
		NEW.contacts := ARRAY[NEW.contact_email];
	ELSIF TG_OP = 'UPDATE' AND NEW.contacts IS NOT DISTINCT FROM OLD.contacts
	      AND NEW.contact_email IS DISTINCT FROM OLD.contact_email THEN
		-- a statement that knows only the old column sets one contact
		NEW.contacts := CASE WHEN NEW.contact_email IS NULL THEN '{}'::text[] ELSE ARRAY[NEW.contact_email] END;
	END IF;
	NEW.contact_email := planreg_mailbox_addr(NEW.contacts[1]);
	RETURN NEW;
END
$fn$;
CREATE TRIGGER organisation_contacts BEFORE INSERT OR UPDATE ON organisation
	FOR EACH ROW EXECUTE FUNCTION planreg_organisation_contacts();

GRANT INSERT (contacts), UPDATE (contacts) ON organisation TO planreg_app;

-- The policy's new parts. first_run is the day (as_of) the job first claimed
-- for; a deployment that has already run counts from its first message.
ALTER TABLE reminder_policy
	ADD COLUMN escalate_grace integer NOT NULL DEFAULT 14 CHECK (escalate_grace BETWEEN 0 AND 365),
	ADD COLUMN programme_contact text CHECK (length(programme_contact) BETWEEN 3 AND 460),
	ADD COLUMN first_run date;
UPDATE reminder_policy SET first_run = (SELECT min(as_of) FROM reminder_message);

-- A digest goes to every contact at once: its recipient is their mailboxes
-- joined with ", ", as its To: header reads.
ALTER TABLE reminder_message DROP CONSTRAINT reminder_message_recipient_check;
ALTER TABLE reminder_message ADD CONSTRAINT reminder_message_recipient_check
	CHECK (length(recipient) BETWEEN 3 AND 5000);
