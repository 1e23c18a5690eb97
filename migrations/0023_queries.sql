-- 0023_queries.sql - the Combined Authority's queries on one part of a return (docs/assurance.md,
-- "Queries"): the query (which return, which section, the comment and the day an answer is wanted by),
-- and its thread (the lead body's answers, the CA's replies and its closing). A query leaves the return as
-- it is: current, and not returned. Both tables are history: append-only like the returns (0002's
-- planreg_append_only), the daemon may only SELECT and INSERT them; a query's state is its latest entry's.

-- The section is a kind, with an argument for the kinds that name one of several
-- ("milestone:2", "risk:1"): the kinds are server/handlers/queries.c's table, not a CHECK here, so that
-- another kind is one line there and no migration.
CREATE TABLE update_query (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	update_id bigint NOT NULL REFERENCES progress_update,
	section text NOT NULL CHECK (section ~ '^[a-z_]{1,32}(:[A-Za-z0-9_.-]{1,64})?$'),
	comment clean_text NOT NULL CHECK (btrim(comment) <> '' AND length(comment) <= 5000),
	answer_by date NOT NULL,
	raised_by text NOT NULL,
	raised_org text NOT NULL,
	raised_person text NOT NULL,
	raised_at timestamptz NOT NULL DEFAULT now(),
	idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
	UNIQUE (raised_by, idempotency_key)
);
CREATE INDEX update_query_update ON update_query (update_id, id);
CREATE INDEX update_query_answer_by ON update_query (answer_by);

-- One entry of a thread: the lead body's answer (a comment, a later revision of the return, or both), the
-- CA's reply (which reopens a closed query), or the CA's closing.
CREATE TABLE query_entry (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	query_id bigint NOT NULL REFERENCES update_query,
	kind text NOT NULL CHECK (kind IN ('answer', 'reply', 'close')),
	by_credential text NOT NULL,
	by_org text NOT NULL,
	by_person text NOT NULL,
	at timestamptz NOT NULL DEFAULT now(),
	comment clean_text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
	revision_id bigint REFERENCES progress_update,
	idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
	UNIQUE (by_credential, idempotency_key),
	CHECK (kind = 'close' OR btrim(comment) <> '' OR revision_id IS NOT NULL),
	CHECK (kind = 'answer' OR revision_id IS NULL)
);
CREATE INDEX query_entry_query ON query_entry (query_id, id);

CREATE TRIGGER update_query_append_only BEFORE UPDATE OR DELETE ON update_query
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER update_query_no_truncate BEFORE TRUNCATE ON update_query
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER query_entry_append_only BEFORE UPDATE OR DELETE ON query_entry
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER query_entry_no_truncate BEFORE TRUNCATE ON query_entry
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

GRANT SELECT ON update_query, query_entry TO planreg_app;
GRANT INSERT (update_id, section, comment, answer_by, raised_by, raised_org, raised_person, idempotency_key)
	ON update_query TO planreg_app;
GRANT INSERT (query_id, kind, comment, revision_id, by_credential, by_org, by_person, idempotency_key)
	ON query_entry TO planreg_app;
