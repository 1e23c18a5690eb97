-- 0021_witness.sql - witnesses of the verifiable log (docs/verifiable-log.md, "Witnesses"): each
-- organisation's witness verifier key, registered by the CA, and the cosignatures its witness sent,
-- which the daemon checked (against that key, over a checkpoint its own log key signed) before storing.

-- One key per organisation (a C2SP cosignature verifier key, type 0x04); the CA replaces it at will.
CREATE TABLE witness_key (
	org_code text PRIMARY KEY REFERENCES organisation ON UPDATE CASCADE ON DELETE CASCADE,
	vkey text NOT NULL CHECK (length(vkey) BETWEEN 1 AND 400),
	registered_by text NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT now()
);
-- one key, one witness: a key shared by two organisations would count twice towards a quorum
CREATE UNIQUE INDEX witness_key_vkey ON witness_key (vkey);
GRANT SELECT, INSERT, UPDATE (vkey, registered_by, registered_at) ON witness_key TO planreg_app;

-- Every cosignature kept: the checkpoint text it covers (without signature lines), the key that made
-- it, its line, and the log's own signature line (so the witness can be given the whole note back).
-- Append-only; one per organisation and tree size, and the sizes an organisation cosigns only grow
-- (the daemon's insert says so: a witness never goes back).
CREATE TABLE log_cosignature (
	org_code text NOT NULL REFERENCES organisation ON UPDATE CASCADE,
	tree_size bigint NOT NULL CHECK (tree_size >= 0),
	checkpoint text NOT NULL,
	vkey text NOT NULL,
	line text NOT NULL,
	log_line text NOT NULL,
	cosigned_at bigint NOT NULL CHECK (cosigned_at >= 0),
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_code, tree_size)
);
CREATE INDEX log_cosignature_checkpoint ON log_cosignature (md5(checkpoint));

CREATE TRIGGER log_cosignature_append_only BEFORE UPDATE OR DELETE ON log_cosignature
	FOR EACH ROW EXECUTE FUNCTION planreg_append_only();
CREATE TRIGGER log_cosignature_no_truncate BEFORE TRUNCATE ON log_cosignature
	FOR EACH STATEMENT EXECUTE FUNCTION planreg_append_only();

GRANT SELECT ON log_cosignature TO planreg_app;
GRANT INSERT (org_code, tree_size, checkpoint, vkey, line, log_line, cosigned_at) ON log_cosignature TO planreg_app;
