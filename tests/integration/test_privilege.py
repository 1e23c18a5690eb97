"""Least privilege and what errors reveal (migrations/0005, server/rpc.c, server/auth.c):
the daemon's database role may not rewrite the register or a credential, a
revocation is final, the chain cannot fork, an organisation with history keeps
its code, the import still works through its SECURITY DEFINER function, an
internal error shows the client a reference and the log the detail, a
certificate must carry the organisation its credential is enrolled for, the
authorisation decisions of ListUpdates and UpdateTemplate, and ReviewUpdate's
idempotency key."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import wire  # noqa: E402
from wire import OK, UNAUTHENTICATED, Wire, first, pb_bytes, pb_decode, pb_varint, request, tls_context  # noqa: E402

PERIOD = "2026-Q3"
REVIEW_UPDATE = 33
FAILED_PRECONDITION = 9
INTERNAL = 13
REGISTER_TABLES = ("plan", "theme", "objective", "organisation", "organisation_alias", "person", "person_alias",
                   "project", "project_lead_org", "project_lead_person", "project_partner", "credential")


class PrivilegeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("privilege", people=("viewer", "submitter-LCC", "submitter-CA"))

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def app_sql(self, sql):
        """Runs sql as the daemon's own login role (a member of planreg_app)."""
        return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d",
                               harness.dsn(self.s.db, harness.APP_ROLE), "-c", sql],
                              capture_output=True, text=True)

    def owner_sql(self, sql):
        return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d", self.s.db, "-c", sql],
                              capture_output=True, text=True)

    def assert_app_refused(self, sql, needle="permission denied"):
        r = self.app_sql(sql)
        self.assertNotEqual(r.returncode, 0, "the daemon's role may: " + sql)
        self.assertIn(needle, r.stderr, sql)

    def submit(self, cred, ref, narrative, stage="concept"):
        r = self.s.cli(cred, "update", "submit", str(ref), "--period", PERIOD, "--confidence", "green", "--stage",
                       stage, "--narrative", narrative, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return int(re.search(r'"update_id":\s*(\d+)', r.stdout).group(1))

    # ------------------------------------------------------------ the daemon's role

    def test_grants_are_the_least_the_daemon_needs(self):
        role = harness.APP_ROLE
        for t in REGISTER_TABLES:
            for priv in ("SELECT",):
                self.assertEqual(self.s.sql("SELECT has_table_privilege('%s', '%s', '%s')" % (role, t, priv)), "t")
            for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                self.assertEqual(self.s.sql("SELECT has_table_privilege('%s', '%s', '%s')" % (role, t, priv)), "f",
                                 "%s on %s" % (priv, t))
        cols = {
            ("organisation", "UPDATE"): {"name", "kind", "contact_email", "updated_at", "contacts"},
            ("organisation", "INSERT"): {"code", "name", "kind", "contact_email", "contacts"},
            ("credential", "UPDATE"): {"revoked_at", "revoked_by", "last_seen_at", "retire_at"},
            ("credential", "INSERT"): {"name", "fingerprint", "org_code", "person", "role", "enrolled_by",
                                       "not_after", "invitation_id", "replaces"},
            ("invitation", "INSERT"): {"secret_sha256", "org_code", "role", "person", "email", "created_by",
                                       "expires_at", "person_id"},
            ("org_person", "INSERT"): {"org_code", "name", "email", "roles", "added_by"},
            ("org_person", "UPDATE"): {"ended_at", "ended_by"},
            ("project_assignment", "INSERT"): {"lineage", "person_id", "assigned_by"},
            ("project_assignment", "UPDATE"): {"ended_at", "ended_by"},
            ("invitation", "UPDATE"): {"cancelled_at", "cancelled_by", "used_at", "credential_name"},
            ("update_review", "INSERT"): {"update_id", "accepted", "comment", "reviewed_by", "idempotency_key",
                                          "signature", "certificate_sha256"},
        }
        for (t, priv), want in cols.items():
            got = set(self.s.sql("SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = '%s'::regclass "
                                 "AND attnum > 0 AND NOT attisdropped AND has_column_privilege('%s', attrelid, attnum, "
                                 "'%s')" % (t, role, priv)).split(","))
            self.assertEqual(got, want, "%s %s" % (priv, t))
        for t in ("progress_update", "update_milestone", "update_risk", "update_review", "reporting_period",
                  "invitation", "submitter_certificate"):
            for priv in ("UPDATE", "DELETE"):
                self.assertEqual(self.s.sql("SELECT has_table_privilege('%s', '%s', '%s')" % (role, t, priv)), "f")
        self.assertEqual(self.s.sql("SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'planreg_import_plan'"),
                         "t|{\"search_path=pg_catalog, public, pg_temp\"}")
        self.assertEqual(self.s.sql("SELECT has_function_privilege('public', 'planreg_import_plan(jsonb, text)', "
                                    "'EXECUTE')"), "f")

    def test_daemon_role_cannot_raise_a_credential(self):
        self.assert_app_refused("UPDATE credential SET role = 'admin' WHERE name = 'submitter-LCC'")
        self.assert_app_refused("UPDATE credential SET org_code = 'CA' WHERE name = 'submitter-LCC'")
        self.assert_app_refused("UPDATE credential SET fingerprint = repeat('a', 64) WHERE name = 'submitter-LCC'")
        # not even the owner changes who a credential is: revoke and enrol anew
        r = self.owner_sql("UPDATE credential SET role = 'admin' WHERE name = 'submitter-LCC'")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("credential submitter-LCC cannot be changed, only revoked", r.stderr)
        self.assertEqual(self.s.sql("SELECT role FROM credential WHERE name = 'submitter-LCC'"), "submitter")

    def test_revocation_is_final(self):
        self.s.enrol("short-lived", "CA", "Temp Viewer", "viewer")
        r = self.s.cli("admin", "cred", "revoke", "short-lived")
        self.assertEqual(r.returncode, 0, r.stderr)
        # the daemon's role may write the revocation columns, but only to revoke
        for sql in ("UPDATE credential SET revoked_at = NULL, revoked_by = NULL WHERE name = 'short-lived'",
                    "UPDATE credential SET revoked_at = '2999-01-01' WHERE name = 'short-lived'",
                    "UPDATE credential SET revoked_by = 'someone-else' WHERE name = 'short-lived'"):
            self.assert_app_refused(sql, "a revocation is final")
        r = self.owner_sql("UPDATE credential SET revoked_at = NULL, revoked_by = NULL WHERE name = 'short-lived'")
        self.assertIn("a revocation is final", r.stderr)
        self.assertEqual(self.s.sql("SELECT revoked_at IS NOT NULL FROM credential WHERE name = 'short-lived'"), "t")
        r = self.s.cli("short-lived", "whoami")
        self.assertEqual(r.returncode, 3)
        self.assertIn("credential revoked", r.stderr)
        # revoking one that is not revoked still works (the daemon's RevokeCredential)
        self.s.enrol("revoke-me", "CA", "Another Viewer", "viewer")
        self.assertEqual(self.app_sql("UPDATE credential SET revoked_at = now(), revoked_by = 'test' "
                                      "WHERE name = 'revoke-me'").returncode, 0)

    def test_daemon_role_cannot_delete_or_rewrite_the_register(self):
        for t in ("credential", "project", "organisation", "plan", "project_lead_org", "theme"):
            self.assert_app_refused("DELETE FROM %s" % t)
        self.assert_app_refused("UPDATE project SET title = 'x' WHERE ref = 1")
        self.assert_app_refused("UPDATE organisation SET code = 'LCC2' WHERE code = 'LCC'")
        self.assert_app_refused("INSERT INTO project_lead_org (project_id, position, org_code) "
                                "SELECT id, 9, 'LCC' FROM project WHERE ref = 1")
        self.assert_app_refused("INSERT INTO credential (name, fingerprint, org_code, role, enrolled_by, revoked_at,"
                                " revoked_by) VALUES ('x', repeat('b', 64), 'CA', 'viewer', 't', now(), 't')")
        self.assert_app_refused("INSERT INTO update_review (update_id, accepted, reviewed_by, reviewed_at) "
                                "SELECT id, true, 'admin', now() - interval '1 year' FROM progress_update LIMIT 1")
        self.assertEqual(self.s.sql("SELECT count(*) FROM project"), "80")

    def test_import_still_works_through_the_daemon(self):
        r = self.s.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("(0 changes)", r.stdout)
        path = os.path.join(self.s.tmp, "plus-one.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("£7.2M\tDCMS, LCC, NHS\tLive", "£7.5M\tDCMS, LCC, NHS\tLive")
        lines = text.split("\n")
        lines.append("81. A new project\tSomething new.\tLCC – Ann Williams\tCA\t£25K\tLCC\tConcept")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        try:
            r = self.s.cli("admin", "plan", "import", path, "--quiet")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("added project 81: A new project", r.stdout)
            self.assertIn("changed project 5: cost", r.stdout)
            self.assertEqual(self.s.sql("SELECT count(*) FROM project"), "81")
            self.assertEqual(self.s.sql("SELECT string_agg(l.org_code, ',') FROM project_lead_org l "
                                        "JOIN project p ON p.id = l.project_id WHERE p.ref = 81"), "LCC")
        finally:
            r = self.s.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("removed project 81", r.stdout)
        self.assertEqual(self.s.sql("SELECT count(*) FROM project"), "80")
        # the organisations the register handler writes directly still work
        r = self.s.cli("admin", "org", "set-contact", "LCC", "digital@liverpool.gov.uk")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.s.cli("admin", "org", "set", "PRIVTEST", "--name", "Privilege Test Ltd", "--kind", "company")
        self.assertEqual(r.returncode, 0, r.stderr)

    # ------------------------------------------------------------ the history

    def test_chain_cannot_fork(self):
        self.submit("submitter-LCC", 6, "Fork check: the first.")
        self.submit("submitter-LCC", 6, "Fork check: the second.")
        # the first update follows 64 zeros, and only the first
        self.assertEqual(self.s.sql("SELECT count(*) FROM progress_update WHERE prev_hash = repeat('0', 64)"), "1")
        # a writer that bypasses the advisory lock and links to an update already followed is refused
        fork = ("INSERT INTO progress_update (project_id, period, revision, confidence, stage, narrative,"
                " submitted_by, submitted_org, submitted_person, on_behalf, submitted_at, idempotency_key,"
                " content_sha256, prev_hash, hash)"
                " SELECT project_id, period, revision + 100, confidence, stage, narrative, submitted_by,"
                " submitted_org, submitted_person, on_behalf, submitted_at, 'fork-' || id, content_sha256,"
                " prev_hash, repeat('f', 64) FROM progress_update ORDER BY id LIMIT 1")
        r = self.app_sql(fork)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("progress_update_prev_hash_key", r.stderr)
        r = self.owner_sql(fork)
        self.assertIn("progress_update_prev_hash_key", r.stderr)
        self.assertEqual(self.s.cli("admin", "audit", "verify").returncode, 0)

    def test_organisation_with_history_keeps_its_code(self):
        self.submit("submitter-CA", 7, "Rename check.")
        r = self.owner_sql("UPDATE organisation SET code = 'CA2' WHERE code = 'CA'")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("organisation CA has progress updates or credentials", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM organisation WHERE code = 'CA'"), "1")
        # one with neither follows a rename through the register (tried, then rolled back)
        out = self.s.sql("BEGIN; UPDATE organisation SET code = 'SCITECH2' WHERE code = 'SCITECH';"
                         "SELECT string_agg(DISTINCT org_code, ',') FROM project_lead_org WHERE org_code LIKE 'SCITECH%';"
                         "ROLLBACK;")
        self.assertEqual(out, "SCITECH2")

    # ------------------------------------------------------------ what errors reveal

    def test_internal_error_shows_a_reference_not_sql(self):
        self.s.sql("REVOKE SELECT ON organisation_alias FROM planreg_app")
        try:
            r = self.s.cli("viewer", "org", "list")
        finally:
            self.s.sql("GRANT SELECT ON organisation_alias TO planreg_app")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("INTERNAL", r.stderr)  # plain words, no protocol names
        m = re.search(r"internal error, reference (r-[0-9a-f]{8}); the daemon's log has the details", r.stderr)
        self.assertTrue(m, r.stderr)
        for secret in ("permission denied", "organisation_alias", "SELECT", "42501"):
            self.assertNotIn(secret, r.stderr)
        self.s.daemon.wait_log(r"event=db_error reference=%s .*sqlstate=42501 "
                               r"error=\"permission denied for table organisation_alias\"" % m.group(1))
        self.assertEqual(self.s.cli("viewer", "org", "list").returncode, 0)

    def test_constraint_names_stay_in_the_log(self):
        self.s.sql("ALTER TABLE organisation ADD CONSTRAINT secret_rule_x9 CHECK (name <> 'Forbidden Name')")
        try:
            r = self.s.cli("admin", "org", "set", "FORBID", "--name", "Forbidden Name", "--kind", "company")
        finally:
            self.s.sql("ALTER TABLE organisation DROP CONSTRAINT secret_rule_x9")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("INVALID_ARGUMENT", r.stderr)  # plain words, no protocol names
        self.assertIn("a value is not allowed", r.stderr)
        self.assertNotIn("secret_rule_x9", r.stderr)
        self.assertNotIn("violates", r.stderr)
        self.s.daemon.wait_log(r"event=db_error reference=r-[0-9a-f]{8} .*sqlstate=23514 .*constraint=\"secret_rule_x9\"")

    # ------------------------------------------------------------ the certificate's organisation

    def test_certificate_for_another_organisation_is_refused(self):
        fp = self.s.issue("wrong-org", "LCC", "Mallory", "viewer")
        r = self.s.cli("admin", "cred", "enrol", "--fingerprint", fp, "--org", "CA", "--role", "viewer",
                       "--name", "wrong-org")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        w = Wire(self.s.daemon.port, tls_context(self.s.pki, "wrong-org"))
        try:
            resp = w.read_response()  # the connect-time refusal, then the server closes
        finally:
            w.close()
        self.assertIsNotNone(resp)
        self.assertEqual((resp.id, resp.code, resp.reason), (0, UNAUTHENTICATED, "organisation_mismatch"), resp)
        self.assertIn("carries organisation (subject O) LCC", resp.message)
        self.assertIn("enrolled for organisation CA", resp.message)
        r = self.s.cli("wrong-org", "whoami")
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("UNAUTHENTICATED", r.stderr)  # plain words, no protocol names
        self.assertIn("carries organisation (subject O) LCC but credential wrong-org is enrolled for organisation CA",
                      r.stderr)
        self.s.daemon.wait_log(r"reason=\"?organisation_mismatch")
        # codes compare case-insensitively: O=lcc is organisation LCC
        self.s.enrol("lower-case-o", "lcc", "Lower Case", "viewer")
        self.assertEqual(self.s.sql("SELECT org_code FROM credential WHERE name = 'lower-case-o'"), "LCC")
        r = self.s.cli("lower-case-o", "whoami")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    # ------------------------------------------------------------ authorisation in auth.c

    def test_submitter_lists_only_its_own_organisation(self):
        self.submit("submitter-CA", 2, "List check.")
        r = self.s.cli("submitter-LCC", "update", "list", "--period", PERIOD, "--org", "CA")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("PERMISSION_DENIED", r.stderr)  # plain words, no protocol names
        self.assertIn("may not list the updates of CA's projects", r.stderr)
        self.assertEqual(self.s.cli("submitter-LCC", "update", "list", "--period", PERIOD, "--org", "lcc").returncode, 0)
        ca = self.s.cli_json("viewer", "update", "list", "--period", PERIOD, "--org", "CA")
        self.assertTrue(any(u["ref"] == 2 for u in ca))

    def test_submitter_gets_only_its_own_template(self):
        r = self.s.cli("submitter-LCC", "update", "template", "--period", PERIOD, "--org", "CA")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("PERMISSION_DENIED", r.stderr)  # plain words, no protocol names
        self.assertIn("gets the template of its own organisation (LCC) only", r.stderr)
        self.assertEqual(len(self.s.cli_json("admin", "update", "template", "--period", PERIOD, "--org", "LCC")), 3)

    # ------------------------------------------------------------ ReviewUpdate's idempotency key

    def review(self, w, req_id, update_id, key, accept=True, comment=""):
        body = pb_varint(1, update_id)
        if accept:
            body += pb_varint(2, 1)
        if comment:
            body += pb_bytes(3, comment)
        # signed as the CLI signs (docs/verifiable-log.md, "Signed by their submitters"); w is admin's
        body += pb_bytes(60, wire.sign(self.s.pki.key("admin"), wire.review_message(update_id, "true" if accept
                                                                                    else "false", comment)))
        return w.call(request(req_id, REVIEW_UPDATE, body, idempotency_key=key))

    def test_review_retry_writes_once(self):
        uid = self.submit("submitter-CA", 4, "Review check.")
        w = Wire(self.s.daemon.port, tls_context(self.s.pki, "admin"))
        try:
            a = self.review(w, 1, uid, "review-key-1")
            b = self.review(w, 2, uid, "review-key-1")
            self.assertEqual((a.code, b.code), (OK, OK), (a, b))
            ra, rb = pb_decode(first(a.body, 1, b"")), pb_decode(first(b.body, 1, b""))
            self.assertEqual(first(ra, 4, b""), first(rb, 4, b""))  # the same reviewed_at: the first review
            self.assertEqual(self.s.sql("SELECT count(*) FROM update_review WHERE update_id = %d" % uid), "1")
            c = self.review(w, 3, uid, "review-key-1", accept=False, comment="Add the spend.")
            self.assertEqual((c.code, c.reason), (FAILED_PRECONDITION, "idempotency_key_reused"), c)
            self.assertEqual(self.s.sql("SELECT count(*) FROM update_review WHERE update_id = %d" % uid), "1")
            d = self.review(w, 4, uid, "review-key-2", accept=False, comment="Add the spend.")
            self.assertEqual(d.code, OK, d)
            self.assertEqual(self.s.sql("SELECT count(*) FROM update_review WHERE update_id = %d" % uid), "2")
        finally:
            w.close()
        # the CLI sends a key of its own for each review
        r = self.s.cli("admin", "update", "review", str(uid), "--accept")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(self.s.sql("SELECT idempotency_key FROM update_review WHERE update_id = %d "
                                    "ORDER BY id DESC LIMIT 1" % uid), r"^[0-9a-f]{32}$")


if __name__ == "__main__":
    harness.main()
