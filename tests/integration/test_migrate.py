"""planregd migrate against a fresh database: order, idempotence, checksums, the lock."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

MIGRATIONS = sorted(f for f in os.listdir(os.path.join(harness.SOURCE_DIR, "migrations")) if f.endswith(".sql"))


class MigrateTest(unittest.TestCase):
    def setUp(self):
        self.db = harness.create_database("migrate")

    def tearDown(self):
        harness.drop_database(self.db)

    def migrate(self, dsn=None):
        return harness.run([harness.PLANREGD, "migrate"], env={"PLANREGD_DB_DSN": dsn or harness.dsn(self.db)})

    def rows(self):
        return harness.psql("SELECT version || ' ' || name FROM schema_migrations ORDER BY version", self.db).split("\n")

    def test_twice_leaves_one_row_per_migration(self):
        first = self.migrate()
        self.assertEqual(first.returncode, 0, first.stderr)
        for name in MIGRATIONS:
            self.assertIn("applied %s" % name, first.stdout)
        second = self.migrate()
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("up to date (%d migrations applied)" % len(MIGRATIONS), second.stdout)
        self.assertEqual(self.rows(), ["%d %s" % (int(n[:4]), n) for n in MIGRATIONS])
        # the checksum recorded is the file's SHA-256
        import hashlib
        with open(os.path.join(harness.SOURCE_DIR, "migrations", MIGRATIONS[0]), "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        got = harness.psql("SELECT checksum FROM schema_migrations WHERE version = 1", self.db)
        self.assertEqual(got, want)

    def test_register_tables_and_constraints_exist(self):
        self.assertEqual(self.migrate().returncode, 0)
        tables = harness.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                              "WHERE schemaname = 'public'", self.db).split(",")
        for t in ("plan", "theme", "objective", "organisation", "organisation_alias", "person", "person_alias",
                  "project", "project_lead_org", "project_lead_person", "project_partner", "credential",
                  "schema_migrations"):
            self.assertIn(t, tables)
        # bad rows are impossible: negative money, unknown enum, unknown organisation
        harness.psql("INSERT INTO organisation (code, name, kind) VALUES ('CA', 'Combined Authority', "
                     "'combined_authority')", self.db)
        bad = [
            "INSERT INTO organisation (code, name, kind) VALUES ('X', 'X', 'charity')",
            "INSERT INTO organisation (code, name, kind) VALUES ('bad code', 'X', 'other')",
            "INSERT INTO organisation (code, name, kind) VALUES ('ca', 'lower-case twin', 'other')",
            "INSERT INTO organisation (code, name, kind, contact_email) VALUES ('Y', 'Y', 'other', 'not-an-email')",
            "INSERT INTO credential (name, fingerprint, org_code, role, enrolled_by) "
            "VALUES ('x', repeat('a', 64), 'NOPE', 'admin', 't')",
            "INSERT INTO credential (name, fingerprint, org_code, role, enrolled_by) "
            "VALUES ('x', 'abc', 'CA', 'admin', 't')",
        ]
        for sql in bad:
            r = subprocess.run(["psql", "-X", "-d", self.db, "-c", sql], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0, "accepted: " + sql)
        harness.psql(
            "INSERT INTO plan (title, imported_by) VALUES ('P', 't');"
            "INSERT INTO theme VALUES (1, 1, 'T');"
            "INSERT INTO objective VALUES (1, 1, 1, 'O');", self.db)
        project = ("INSERT INTO project (plan_id, ref, theme, objective, title, description, capital, lead_text,"
                   " partners_text, cost_text, cost_status, cost_min_pence, cost_max_pence, funding, stage,"
                   " stage_text) VALUES (1, %s, 1, 1, 'T', 'D', false, 'CA', '', 'x', %s, %s, %s, '', %s, 'x')")
        ok = project % ("1", "'known'", "100", "100", "'live'")
        harness.psql(ok, self.db)
        for values in [("2", "'known'", "-1", "-1", "'live'"),        # negative money
                       ("3", "'unknown'", "100", "NULL", "'live'"),    # unknown with an amount
                       ("4", "'known'", "200", "100", "'live'"),       # max below min
                       ("5", "'known'", "1", "1", "'finished'"),       # not a stage
                       ("1", "'known'", "1", "1", "'live'")]:          # duplicate ref
            r = subprocess.run(["psql", "-X", "-d", self.db, "-c", project % values], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0, "accepted project %s" % (values,))

    def test_refuses_changed_checksum(self):
        self.assertEqual(self.migrate().returncode, 0)
        harness.psql("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1", self.db)
        r = self.migrate()
        self.assertEqual(r.returncode, 1)
        self.assertIn("was changed after it was applied", r.stderr)
        self.assertIn(MIGRATIONS[0], r.stderr)

    def test_refuses_unknown_applied_migration(self):
        self.assertEqual(self.migrate().returncode, 0)
        harness.psql("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')",
                     self.db)
        r = self.migrate()
        self.assertEqual(r.returncode, 1)
        self.assertIn("9999_future.sql", r.stderr)
        self.assertIn("does not have", r.stderr)

    def test_concurrent_runs_apply_once(self):
        env = dict(os.environ, PLANREGD_DB_DSN=harness.dsn(self.db))
        procs = [subprocess.Popen([harness.PLANREGD, "migrate"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        applied = sum(out.count("applied 0") for out, _ in outs)
        self.assertEqual(applied, len(MIGRATIONS))
        self.assertEqual(len(self.rows()), len(MIGRATIONS))

    def test_unreachable_database_is_a_clear_error(self):
        r = self.migrate(dsn="host=/nonexistent-dir port=1 dbname=x connect_timeout=2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect to PostgreSQL", r.stderr)

    def test_failed_migration_is_rolled_back(self):
        # A table the first migration creates already exists: 0001 fails, nothing of it stays.
        harness.psql("CREATE TABLE project (x int)", self.db)
        r = self.migrate()
        self.assertEqual(r.returncode, 1)
        self.assertIn("rolled back", r.stderr)
        self.assertEqual(harness.psql("SELECT count(*) FROM schema_migrations", self.db), "0")
        self.assertEqual(harness.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'organisation'", self.db), "0")

    def test_0009_keeps_each_contact_and_the_jobs_history(self):
        """A database from before 0009: the migrations before it applied as planregd would have, a contact and a
        reminder sent. After it, the contact is the one contact of the list, and the job counts as having run
        since its first message (so no grace holds back escalations an existing deployment already expects)."""
        import hashlib
        before = [n for n in MIGRATIONS if int(n[:4]) < 9]
        harness.psql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                     "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", self.db)
        for name in before:
            path = os.path.join(harness.SOURCE_DIR, "migrations", name)
            with open(path, "rb") as f:
                text = f.read()
            r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.db, "-1", "-f", path],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, name + r.stderr)
            harness.psql("INSERT INTO schema_migrations (version, name, checksum) VALUES (%d, '%s', '%s')" % (
                int(name[:4]), name, hashlib.sha256(text).hexdigest()), self.db)
        harness.psql("INSERT INTO organisation (code, name, kind, contact_email) VALUES "
                     "('CA', 'Combined Authority', 'combined_authority', 'pmo@ca.example'), ('X', 'X', 'other', NULL);"
                     "INSERT INTO reminder_message (period, as_of, recipient, subject, body, steps, claimed_by, "
                     "lease_until) VALUES ('2025-Q1', '2025-04-20', 'pmo@ca.example', 's', 'b', '{CA:overdue-1}', "
                     "'reminder', now())", self.db)
        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(harness.psql("SELECT code || '=' || array_to_string(contacts, ';') || '|' || "
                                      "coalesce(contact_email, '-') FROM organisation ORDER BY code", self.db),
                         "CA=pmo@ca.example|pmo@ca.example\nX=|-")
        self.assertEqual(harness.psql("SELECT first_run, escalate_grace, programme_contact IS NULL "
                                      "FROM reminder_policy", self.db), "2025-04-20|14|t")
        # the list leads from now on; the old column follows its first address
        harness.psql("UPDATE organisation SET contacts = ARRAY['Ann Williams <ann@x.example>', 'b@x.example'] "
                     "WHERE code = 'X'", self.db)
        self.assertEqual(harness.psql("SELECT contact_email FROM organisation WHERE code = 'X'", self.db),
                         "ann@x.example")


if __name__ == "__main__":
    harness.main()
