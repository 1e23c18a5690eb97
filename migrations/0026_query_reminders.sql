-- 0026_query_reminders.sql - a reminder step for the Combined Authority's queries past their answer-by dates
-- (docs/assurance.md, "Queries"): an organisation that owes no return but has such a query gets a digest of
-- them, at most every overdue_every days; its step names the day it was made for ("queries-2026-12-08").
ALTER TABLE reminder_step DROP CONSTRAINT reminder_step_step_check;
ALTER TABLE reminder_step ADD CONSTRAINT reminder_step_step_check
	CHECK (step ~ '^((before|due|overdue-[1-9][0-9]*)(/p[1-9][0-9]*)?|escalate|escalate-sro|queries-[0-9]{4}-[0-9]{2}-[0-9]{2})$');
