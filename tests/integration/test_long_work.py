"""Long work, through the real CLI, daemon and PostgreSQL: `audit verify` checks the chain a batch of
updates per request (each batch linked to the one before) and finds a rewritten update or a broken
link in any batch; the daemon refuses a range it cannot continue; and a progress bar is drawn on
stderr for the audit and for a CSV batch only when stderr is a terminal (a real pseudo-terminal)."""

import csv
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from terminal import run_in_pty  # noqa: E402
from wire import INVALID_ARGUMENT, Wire, pb_varint, request, tls_context  # noqa: E402

PERIOD = "2026-Q3"
VERIFY_AUDIT = 34  # Request.verify_audit


class LongWorkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("longwork", people=("viewer", "submitter-LCC"))
        # seven updates of LCC's projects: the chain to check
        cls.ids = []
        for i, ref in enumerate((5, 5, 6, 5, 6, 5, 6)):
            r = cls.s.cli("submitter-LCC", "update", "submit", str(ref), "--period", PERIOD, "--confidence",
                          "amber", "--stage", "live", "--narrative", "Report %d." % i, "--format", "json")
            if r.returncode != 0:
                raise AssertionError(r.stdout + r.stderr)
            cls.ids.append(json.loads(r.stdout)["update_id"])

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def verify(self, *extra, cred="viewer"):
        r = self.s.cli(cred, "audit", "verify", "--format", "json", *extra)
        return r.returncode, json.loads(r.stdout) if r.stdout else None, r.stderr

    def tamper(self, sql):
        self.s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER;" + sql +
                   ";ALTER TABLE progress_update ENABLE TRIGGER USER;")

    # ------------------------------------------------------------ the chain in batches

    def test_batches_agree_with_one_request(self):
        rc, whole, err = self.verify("--batch-size", "100000")
        self.assertEqual(rc, 0, err)
        self.assertEqual(whole["checked"], len(self.ids))
        for size in ("1", "2", "3", "7", "8"):
            rc, v, err = self.verify("--batch-size", size)
            self.assertEqual(rc, 0, err)
            self.assertEqual(v, whole, "batch size %s" % size)
        self.assertEqual(whole["head_hash"], self.s.sql("SELECT hash FROM progress_update ORDER BY id DESC LIMIT 1"))

    def test_a_rewritten_update_in_a_later_batch(self):
        bad = self.ids[4]
        self.tamper("UPDATE progress_update SET narrative = 'Rewritten.' WHERE id = %d" % bad)
        try:
            for size in ("1", "2", "3", "5000"):
                rc, v, _ = self.verify("--batch-size", size)
                self.assertEqual(rc, 1, size)
                self.assertEqual((v["ok"], v["first_bad_id"]), (False, bad), size)
                self.assertIn("does not match its hash", v["detail"])
                self.assertEqual(v["checked"], self.ids.index(bad) + 1, size)
        finally:
            self.tamper("UPDATE progress_update SET narrative = 'Report 4.' WHERE id = %d" % bad)
        self.assertEqual(self.verify("--batch-size", "2")[0], 0)

    def test_a_broken_link_across_a_batch_boundary(self):
        # with batches of 3, update ids[3] is the first of the second batch: its link is checked
        # against the last hash of the first batch
        bad = self.ids[3]
        old = self.s.sql("SELECT prev_hash FROM progress_update WHERE id = %d" % bad)
        self.tamper("UPDATE progress_update SET prev_hash = repeat('b', 64) WHERE id = %d" % bad)
        try:
            rc, v, _ = self.verify("--batch-size", "3")
            self.assertEqual(rc, 1)
            self.assertEqual(v["first_bad_id"], bad)
            self.assertIn("does not link to the update before it", v["detail"])
        finally:
            self.tamper("UPDATE progress_update SET prev_hash = '%s' WHERE id = %d" % (old, bad))
        self.assertEqual(self.verify("--batch-size", "3")[0], 0)

    def test_batch_size_is_checked(self):
        for bad in ("0", "-1", "x", "100001"):
            r = self.s.cli("viewer", "audit", "verify", "--batch-size", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("--batch-size takes a number of updates from 1 to 100000", r.stderr)

    def test_the_daemon_refuses_a_range_it_cannot_continue(self):
        ctx = tls_context(self.s.pki, "viewer")
        w = Wire(self.s.daemon.port, ctx)
        try:
            missing = self.ids[-1] + 1000
            w.send(request(1, VERIFY_AUDIT, pb_varint(1, missing) + pb_varint(2, 10)),
                   request(2, VERIFY_AUDIT, pb_varint(2, 100001)),
                   request(3, VERIFY_AUDIT, pb_varint(1, self.ids[2]) + pb_varint(2, 2)))
            got = {}
            for _ in range(3):  # answers may come in any order
                r = w.read_response()
                got[r.id] = r
            a, b, c = got[1], got[2], got[3]
        finally:
            w.sock.close()
        self.assertEqual((a.code, a.reason), (INVALID_ARGUMENT, "audit_after_id_unknown"), a)
        self.assertIn("no update %d to continue after" % missing, a.message)
        self.assertEqual((b.code, b.reason), (INVALID_ARGUMENT, "audit_range_invalid"), b)
        self.assertEqual(c.code, 0, c)
        # checked 2 (ids[3], ids[4]), last_id ids[4], more
        self.assertEqual(c.body.get(2), [2])
        self.assertEqual(c.body.get(6), [self.ids[4]])
        self.assertEqual(c.body.get(7), [1])

    # ------------------------------------------------------------ the progress bar

    def test_progress_bar_only_on_a_terminal(self):
        env = self.s.process_env("viewer", TERM="xterm")
        rc, out = run_in_pty([harness.PLANREG, "audit", "verify", "--batch-size", "2"], env)
        self.assertEqual(rc, 0, out)
        n = len(self.ids)
        self.assertIn("verifying [", out)
        self.assertIn("] %d/%d" % (n, n), out)
        self.assertRegex(out, r"\r +\r")  # cleared before the verdict
        self.assertIn("audit chain verified: %d updates" % n, out)
        # TERM=dumb: no bar even on a terminal
        env["TERM"] = "dumb"
        rc, out = run_in_pty([harness.PLANREG, "audit", "verify", "--batch-size", "2"], env)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("verifying", out)
        # not a terminal: nothing on stderr at all
        r = self.s.cli("viewer", "audit", "verify", "--batch-size", "2")
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_progress_bar_of_a_csv_batch(self):
        path = os.path.join(self.s.tmp, "batch.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["ref", "period", "confidence", "stage", "narrative"])
            for ref in (5, 6):
                w.writerow([ref, "2026-Q2", "green", "live", "Batch report for %d." % ref])
        env = self.s.process_env("submitter-LCC", TERM="xterm")
        rc, out = run_in_pty([harness.PLANREG, "update", "submit", "--csv", path], env)
        self.assertEqual(rc, 0, out)
        self.assertIn("submitting [", out)
        self.assertIn("] 2/2", out)
        self.assertIn("2 rows: 2 submitted", out)
        # the same file again through a pipe: no bar, and nothing new
        r = self.s.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("submitting", r.stdout + r.stderr)
        self.assertIn("2 rows: 0 submitted, 2 unchanged", r.stdout)
        self.ids.extend(int(x) for x in self.s.sql(
            "SELECT id FROM progress_update WHERE period = '2026-Q2' ORDER BY id").split())


if __name__ == "__main__":
    unittest.main(verbosity=2)
