-- 0004_reminders.sql - the reminder job's policy and its transactional outbox.
-- A claim writes one reminder_message per recipient (the digest as sent) and
-- one reminder_step per (organisation, period, step) it covers; the step's key
-- is what makes a reminder go at most once. See docs/protocol.md.

-- One row: when to write to an organisation with outstanding returns.
CREATE TABLE reminder_policy (
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	days_before integer NOT NULL DEFAULT 7 CHECK (days_before BETWEEN 0 AND 90),
	on_due_date boolean NOT NULL DEFAULT true,
	overdue_every integer NOT NULL DEFAULT 7 CHECK (overdue_every BETWEEN 1 AND 90),
	escalate_after integer NOT NULL DEFAULT 14 CHECK (escalate_after BETWEEN 0 AND 365),
	updated_by text NOT NULL DEFAULT 'default',
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO reminder_policy DEFAULT VALUES;

CREATE TYPE reminder_state AS ENUM ('leased', 'delivered', 'failed');

-- A digest as claimed: to whom, what it said, and what became of it.
CREATE TABLE reminder_message (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	period text NOT NULL CHECK (period ~ '^[0-9]{4}-Q[1-4]$'),
	as_of date NOT NULL,
	recipient text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
	subject text NOT NULL,
	body text NOT NULL,
	steps text[] NOT NULL, -- 'ORG:step', what it covers
	state reminder_state NOT NULL DEFAULT 'leased',
	claimed_by text NOT NULL,
	claimed_at timestamptz NOT NULL DEFAULT now(),
	lease_until timestamptz NOT NULL,
	acked_at timestamptz,
	error clean_text CHECK (length(error) <= 2000)
);
CREATE INDEX reminder_message_period ON reminder_message (period, id);

-- A step is claimed at most once while leased or delivered: its key is the
-- organisation, the period and the step ("before", "due", "overdue-N", "escalate").
CREATE TABLE reminder_step (
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	period text NOT NULL CHECK (period ~ '^[0-9]{4}-Q[1-4]$'),
	step text NOT NULL CHECK (step ~ '^(before|due|overdue-[1-9][0-9]*|escalate)$'),
	message_id bigint NOT NULL REFERENCES reminder_message,
	state reminder_state NOT NULL DEFAULT 'leased',
	attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
	lease_until timestamptz NOT NULL,
	retry_after timestamptz,
	PRIMARY KEY (org_code, period, step)
);
CREATE INDEX reminder_step_message ON reminder_step (message_id);

GRANT SELECT, UPDATE ON reminder_policy TO planreg_app;
GRANT SELECT, INSERT, UPDATE ON reminder_message, reminder_step TO planreg_app;
