"""What the Combined Authority assures (docs/assurance.md), through the real CLI, daemon and PostgreSQL: its
own rating set on review and shown beside the lead body's in update show, status (rows, totals, --by),
diff, the export and the board report; the rating scale (three-point refusals and the folding of
five-point history, by a second daemon on the same database); baselines under change control (a moved
end date or a forecast beyond the tolerance raises a change request, only the CA decides, only an
approved one moves the baseline, the consistency flag until then); and a register made before
migration 0019 reading with the same answers after it."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from wire import pb_bytes, pb_varint, request  # noqa: E402

Q2, Q3 = "2026-Q2", "2026-Q3"
REVIEW = 33  # the Request oneof's review_update
INVALID_ARGUMENT = 3
MIGRATIONS = sorted(f for f in os.listdir(os.path.join(harness.SOURCE_DIR, "migrations")) if f.endswith(".sql"))


def project(doc, ref):
    return next(p for p in doc["projects"] if p["ref"] == ref)


def csv_rows(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


class AssuranceTest(harness.WireTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("assure", people=("viewer", "submitter-LCC", "submitter-STFC"))

    # ------------------------------------------------------------ helpers (cli() and ok() from harness.ServiceTest)

    def refused(self, r, words, code=1):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(words, r.stderr)
        return r

    def submit(self, ref, period, *extra, cred="submitter-LCC", confidence="green", narrative="On plan."):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage", "live",
                "--narrative", narrative, "--format", "json"]
        r = self.ok(self.cli(cred, *(args + list(extra))))
        return json.loads(r.stdout)["update_id"]

    def status(self, period, *extra, cred="viewer"):
        return self.s.cli_json(cred, "status", "--period", period, *extra)

    def changes(self, *extra, cred="viewer"):
        return self.s.cli_json(cred, "change", "list", *extra)

    def lcc_costed(self):
        """An LCC project (not 5 or 6) whose plan cost is one known amount: ref and pence."""
        for p in self.s.cli_json("viewer", "projects", "list", "--lead", "LCC"):
            c = p.get("cost") or {}
            if p["ref"] not in (5, 6) and c.get("status") == "known" and c.get("min_pence") and \
                    c.get("min_pence") == c.get("max_pence"):
                return p["ref"], c["min_pence"]
        self.fail("no LCC project with an exact plan cost")

    # ------------------------------------------------------------ two ratings

    def test_ca_rating_beside_the_bodys_everywhere(self):
        q2 = self.submit(5, Q2, "--forecast", "£7.2M", "--milestone", "Network live|2027-03-31|2027-03-31|")
        r = self.ok(self.cli("admin", "update", "review", str(q2), "--accept", "--assurance", "green",
                             "--rationale", "Agreed with the body."))
        self.assertIn("the Combined Authority's rating: green", r.stdout)
        q3 = self.submit(5, Q3, "--forecast", "£7.2M", "--milestone", "Network live|2027-03-31|2027-03-31|")
        r = self.ok(self.cli("admin", "update", "review", str(q3), "--accept", "--assurance", "amber",
                             "--rationale", "The contract is not yet signed."))
        self.assertIn("amber (The contract is not yet signed.)", r.stdout)

        shown = self.s.cli_json("viewer", "update", "show", str(q3))
        self.assertEqual(shown["confidence"], "green")
        self.assertEqual(shown["assurance"]["rating"], "amber")
        self.assertEqual(shown["assurance"]["rationale"], "The contract is not yet signed.")
        self.assertEqual(shown["assurance"]["rated_by"], "admin")
        self.assertIn("CA rating", self.ok(self.cli("viewer", "update", "show", str(q3))).stdout)

        st = self.status(Q3)
        p = project(st, 5)
        self.assertEqual((p["confidence"], p["assurance"], p["ratings_differ"]), ("green", "amber", True))
        self.assertEqual(p["assurance_rationale"], "The contract is not yet signed.")
        self.assertEqual(st["rating_scale"], "five")
        self.assertEqual(st["totals"]["by_assurance"]["amber"], 1)
        self.assertEqual(st["totals"]["ratings_differ"], 1)
        self.assertIn("the two ratings differ on 1", self.ok(self.cli("viewer", "status", "--period", Q3)).stdout)
        table = self.ok(self.cli("viewer", "status", "--period", Q3, "--format", "table")).stdout
        self.assertIn("amber (differs)", table)
        # --by confidence: the body's green group carries the CA's amber
        groups = self.s.cli_json("viewer", "status", "--period", Q3, "--by", "confidence")
        green = next(g for g in groups if g["key"] == "green")
        self.assertEqual((green["assurance_amber"], green["ratings_differ"]), (1, 1))
        # one contract: the CSV header is the JSON keys
        rows = csv_rows(self.ok(self.cli("viewer", "status", "--period", Q3, "--format", "csv")).stdout)
        self.assertEqual(rows[0], list(st["projects"][0].keys()))
        rows = csv_rows(self.ok(self.cli("viewer", "status", "--period", Q3, "--by", "confidence",
                                         "--format", "csv")).stdout)
        self.assertEqual(rows[0], list(groups[0].keys()))

        diff = self.s.cli_json("viewer", "status", "diff", Q2, Q3)
        d = next(x for x in diff if x["ref"] == 5)
        self.assertEqual((d["assurance_from"], d["assurance_to"]), ("green", "amber"))

        exported = self.s.cli_json("viewer", "export", "updates", "--from", Q3, "--to", Q3)
        e = next(x for x in exported if x["id"] == q3)
        self.assertEqual((e["confidence"], e["assurance"], e["assurance_rated_by"]), ("green", "amber", "admin"))

        out = os.path.join(self.s.tmp, "board.html")
        self.ok(self.cli("viewer", "report", "html", "--period", Q3, "--output", out))
        with open(out, encoding="utf-8") as f:
            html = f.read()
        self.assertIn('class="ca-rating differs"', html)
        self.assertIn('<strong class="differs">differs</strong>', html)

        # a new revision keeps the CA's rating for the quarter until it is rated again; the revision has none
        q3b = self.submit(5, Q3, "--forecast", "£7.2M", "--milestone", "Network live|2027-03-31|2027-03-31|",
                          narrative="On plan, contract signed.")
        self.assertIsNone(self.s.cli_json("viewer", "update", "show", str(q3b))["assurance"])
        self.assertEqual(project(self.status(Q3), 5)["assurance"], "amber")
        # a retry of the same review (same key) records the rating once
        self.assertEqual(self.s.sql("SELECT count(*) FROM assurance_rating"), "2")

    def test_rating_refusals(self):
        uid = self.submit(6, Q2, narrative="Refusals.")
        before = self.s.sql("SELECT count(*) FROM assurance_rating")
        # only the CA reviews, so only it rates
        for cred in ("submitter-LCC", "viewer"):
            self.refused(self.cli(cred, "update", "review", str(uid), "--accept", "--assurance", "red",
                                  "--rationale", "Mine."), "admin")
        # a rating needs its rationale; a rationale needs a rating; the names are the scale's
        self.refused(self.cli("admin", "update", "review", str(uid), "--accept", "--assurance", "red"), "rationale")
        self.refused(self.cli("admin", "update", "review", str(uid), "--accept", "--rationale", "Why."),
                     "--rationale goes with --assurance", code=2)
        self.refused(self.cli("admin", "update", "review", str(uid), "--accept", "--assurance", "purple",
                              "--rationale", "Why."), "purple", code=2)
        # a value outside the scale on the wire
        body = pb_varint(1, uid) + pb_varint(2, 1) + pb_varint(40, 9) + pb_bytes(41, b"Why.")
        resp = self.wire().call(request(7, REVIEW, body, idempotency_key=b"assure-wire-9"))
        self.assertEqual(resp.code, INVALID_ARGUMENT, resp)
        self.assertIn("9 is not a rating", resp.message)
        self.assertEqual(self.s.sql("SELECT count(*) FROM assurance_rating"), before)
        self.assertEqual(self.s.sql("SELECT count(*) FROM update_review WHERE update_id = %d" % uid), "0")

    def test_three_point_scale(self):
        """A second daemon on the same database with rating_scale = three: five-point history folded in
        status and diff, five-point values refused for new ratings and returns; returns keep theirs."""
        old = self.submit(6, Q2, confidence="amber_green", narrative="Five-point history.")
        self.ok(self.cli("admin", "update", "review", str(old), "--accept", "--assurance", "amber_red",
                         "--rationale", "Five-point rating."))
        three = self.extra_daemon({"PLANREGD_RATING_SCALE": "three"})
        st = json.loads(self.ok(self.cli("viewer", "status", "--period", Q2, "--format", "json",
                                         port=three.port)).stdout)
        p = project(st, 6)
        self.assertEqual((p["confidence"], p["assurance"], p["ratings_differ"]), ("amber", "amber", False))
        self.assertEqual(st["rating_scale"], "three")
        by = st["totals"]["by_confidence"]
        self.assertNotIn("amber_green", by)
        self.assertNotIn("amber_red", by)
        five = self.status(Q2)
        self.assertEqual(by["amber"], five["totals"]["by_confidence"]["amber"] +
                         five["totals"]["by_confidence"]["amber_green"] + five["totals"]["by_confidence"]["amber_red"])
        self.assertNotIn("amber_red", st["totals"]["by_assurance"])
        # the five-point daemon still reads the history as given
        self.assertEqual((project(five, 6)["confidence"], project(five, 6)["assurance"]), ("amber_green", "amber_red"))
        # the movement Q2 -> Q3 on three points: no amber_green or amber_red rows, the folded ratings counted by the
        # CA's where set, else the body's, as the two quarters' status has them
        rows = json.loads(self.ok(self.cli("viewer", "status", "movement", "--period", Q3, "--format", "json",
                                           port=three.port)).stdout)
        self.assertEqual([r["from"] for r in rows], ["green", "amber", "red", "none"])
        q3 = json.loads(self.ok(self.cli("viewer", "status", "--period", Q3, "--format", "json",
                                         port=three.port)).stdout)
        rated = {q: {x["ref"]: x["assurance"] or x["confidence"] or "none" for x in doc["projects"]}
                 for q, doc in ((Q2, st), (Q3, q3))}
        for r in rows:
            for to in ("green", "amber", "red", "none"):
                self.assertEqual(r["to_" + to], sum(1 for ref, c in rated[Q3].items()
                                                    if c == to and rated[Q2].get(ref, "none") == r["from"]), r)
            self.assertEqual((r["to_amber_green"], r["to_amber_red"]), (0, 0))
        self.assertEqual(rated[Q2][6], "amber")
        shown = json.loads(self.ok(self.cli("viewer", "update", "show", str(old), "--format", "json",
                                            port=three.port)).stdout)
        self.assertEqual(shown["confidence"], "amber_green")
        # new values must be on the three-point scale
        self.refused(self.cli("admin", "update", "review", str(old), "--accept", "--assurance", "amber_green",
                              "--rationale", "Five points.", port=three.port), "three-point scale")
        self.refused(self.cli("submitter-LCC", "update", "submit", "6", "--period", Q2, "--confidence", "amber_red",
                              "--stage", "live", "--narrative", "Refused.", port=three.port), "three-point scale")
        self.ok(self.cli("admin", "update", "review", str(old), "--accept", "--assurance", "red",
                         "--rationale", "Three points.", port=three.port))

    # ------------------------------------------------------------ change control

    def test_moved_end_date_raises_a_change_only_the_ca_decides(self):
        ref = 6
        self.submit(ref, Q2, "--milestone", "Go live|2027-06-30|2027-06-30|", narrative="Baseline set.")
        self.assertEqual([c for c in self.changes("--project", str(ref)) if c["state"] == "pending"], [])
        uid = self.submit(ref, Q3, "--milestone", "Go live|2027-06-30|2027-09-30|", "--variance-note",
                          "Supplier delay of a quarter.", narrative="Slipped a quarter.")
        pending = self.changes("--project", str(ref), "--state", "pending")
        self.assertEqual(len(pending), 1, pending)
        c = pending[0]
        self.assertEqual((c["kind"], c["old_value"], c["new_value"], c["update_id"], c["period"]),
                         ("time", "2027-06-30", "2027-09-30", uid, Q3))
        self.assertEqual(c["rationale"], "Supplier delay of a quarter.")
        p = project(self.status(Q3), ref)
        self.assertIn("end_date_unapproved", p["flags"])
        self.assertEqual((p["approved_end_date"], p["return_end_date"], p["end_slip_approved_days"],
                          p["pending_changes"]), ("2027-06-30", "2027-09-30", 92, 1))
        # the submitter sees its own project's request but may not decide it; another body sees nothing
        self.assertEqual(self.s.cli_json("submitter-LCC", "change", "show", str(c["id"]))["id"], c["id"])
        self.refused(self.cli("submitter-LCC", "change", "approve", str(c["id"])), "admin")
        self.refused(self.cli("viewer", "change", "approve", str(c["id"])), "admin")
        self.refused(self.cli("submitter-STFC", "change", "show", str(c["id"])), "does not lead")
        self.assertNotIn(c["id"], [x["id"] for x in self.changes(cred="submitter-STFC")])
        self.refused(self.cli("admin", "change", "reject", str(c["id"])), "--comment", code=2)
        self.assertEqual(self.s.cli_json("viewer", "change", "show", str(c["id"]))["state"], "pending")
        self.assertIn("end_date_unapproved", project(self.status(Q3), ref)["flags"])

        r = self.ok(self.cli("admin", "change", "approve", str(c["id"]), "--comment", "Accepted at board."))
        self.assertIn("approved change request %d" % c["id"], r.stdout)
        self.ok(self.cli("admin", "change", "approve", str(c["id"])))  # again: the same answer, nothing moves
        self.refused(self.cli("admin", "change", "reject", str(c["id"]), "--comment", "Too late."), "not pending")
        shown = self.s.cli_json("viewer", "change", "show", str(c["id"]))
        self.assertEqual((shown["state"], shown["decided_by"], shown["comment"]),
                         ("approved", "admin", "Accepted at board."))
        p = project(self.status(Q3), ref)
        self.assertNotIn("end_date_unapproved", p["flags"])
        self.assertEqual((p["original_end_date"], p["approved_end_date"], p["end_slip_original_days"],
                          p["end_slip_approved_days"], p["pending_changes"]), ("2027-06-30", "2027-09-30", 92, 0, 0))
        # the same date again raises nothing, nor a move within the tolerance (30 days)
        self.submit(ref, Q3, "--milestone", "Go live|2027-06-30|2027-09-30|", narrative="Holding the new date.")
        self.submit(ref, Q3, "--milestone", "Go live|2027-06-30|2027-10-20|", narrative="Three weeks later.")
        self.assertEqual(self.changes("--project", str(ref), "--state", "pending"), [])
        self.assertNotIn("end_date_unapproved", project(self.status(Q3), ref)["flags"])
        # contract: the CSV header is the JSON keys
        rows = csv_rows(self.ok(self.cli("viewer", "change", "list", "--format", "csv")).stdout)
        self.assertEqual(rows[0], list(self.changes()[0].keys()))

    def test_forecast_beyond_tolerance_raises_a_cost_change(self):
        ref, plan = self.lcc_costed()
        within = plan + plan // 25  # 4% over: within the 5% tolerance
        self.submit(ref, Q2, "--forecast", "%d.%02d" % (within // 100, within % 100))
        self.assertEqual(self.changes("--project", str(ref)), [])
        over = plan + plan // 5  # 20% over
        self.submit(ref, Q3, "--forecast", "%d.%02d" % (over // 100, over % 100), "--variance-note",
                    "Steel prices.")
        first = self.changes("--project", str(ref), "--state", "pending")
        self.assertEqual([(c["kind"], c["old_value"], c["new_value"]) for c in first],
                         [("cost", str(plan), str(over))])
        p = project(self.status(Q3), ref)
        self.assertEqual((p["variance_original_pct"], p["variance_approved_pct"], p["approved_cost_pence"]),
                         (20.0, 20.0, plan))
        # another forecast while pending supersedes the request
        more = plan + plan * 3 // 10
        self.submit(ref, Q3, "--forecast", "%d.%02d" % (more // 100, more % 100), "--variance-note",
                    "Steel prices rose again.")
        states = {c["id"]: c["state"] for c in self.changes("--project", str(ref))}
        self.assertEqual(states[first[0]["id"]], "superseded")
        now = self.changes("--project", str(ref), "--state", "pending")
        self.assertEqual([c["new_value"] for c in now], [str(more)])
        self.refused(self.cli("submitter-LCC", "change", "reject", str(now[0]["id"]), "--comment", "No."), "admin")
        self.ok(self.cli("admin", "change", "reject", str(now[0]["id"]), "--comment", "Find savings first."))
        p = project(self.status(Q3), ref)
        self.assertEqual((p["approved_cost_pence"], p["variance_approved_pct"]), (plan, 30.0))
        self.refused(self.cli("admin", "change", "approve", str(now[0]["id"])), "not pending")

    # ------------------------------------------------------------ evidence

    def test_evidence_links_on_a_return_and_a_milestone(self):
        uid = self.submit(38, Q3, "--milestone", "Studio open|2027-01-31|2027-01-31|", narrative="Evidence.")
        r = self.ok(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url",
                             "https://lcc.example/reports/q3-review.pdf", "--category", "A07", "--title",
                             "Quarterly review"))
        self.assertIn("A07 https://lcc.example/reports/q3-review.pdf", r.stdout)
        path = os.path.join(self.s.tmp, "contract-signed.pdf")
        with open(path, "wb") as f:
            f.write(b"%PDF-1.4 a signed contract\n")
        import hashlib
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.ok(self.cli("admin", "update", "evidence", str(uid), "--file", path, "--category", "A11",
                         "--milestone", "1"))
        shown = self.s.cli_json("viewer", "update", "show", str(uid))
        self.assertEqual([(e["category"], e["location"], e["sha256"], e["milestone"], e["title"], e["added_by"])
                          for e in shown["evidence"]],
                         [("A07", "https://lcc.example/reports/q3-review.pdf", None, None, "Quarterly review",
                           "submitter-LCC"),
                          ("A11", "contract-signed.pdf", digest, 1, None, "admin")])
        record = self.ok(self.cli("viewer", "update", "show", str(uid))).stdout
        self.assertIn("A11 contract-signed.pdf (sha256 %s), milestone 1" % digest, record)
        exported = self.s.cli_json("viewer", "export", "updates", "--from", Q3, "--to", Q3)
        self.assertEqual(next(x for x in exported if x["id"] == uid)["evidence"],
                         ["A07|https://lcc.example/reports/q3-review.pdf|||Quarterly review",
                          "A11|contract-signed.pdf|%s|1|" % digest])
        rows = csv_rows(self.ok(self.cli("viewer", "update", "history", "38", "--format", "csv")).stdout)
        self.assertEqual(rows[0][-1], "evidence")
        # refusals: a category not on IATI's list, another body's return, a viewer, a milestone it lacks,
        # a hash that is not one, a location that is neither a URL nor a file name
        self.refused(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url", "https://x.example/a",
                              "--category", "Z99"), "not an IATI document category")
        self.refused(self.cli("submitter-STFC", "update", "evidence", str(uid), "--url", "https://x.example/a",
                              "--category", "A07"), "may not add documents")
        self.refused(self.cli("viewer", "update", "evidence", str(uid), "--url", "https://x.example/a",
                              "--category", "A07"), "admin")
        self.refused(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url", "https://x.example/a",
                              "--category", "A08", "--milestone", "2"), "no milestone 2")
        self.refused(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url", "https://x.example/a",
                              "--category", "A08", "--sha256", "abc"), "SHA-256")
        self.refused(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url", "reports/q3.pdf",
                              "--category", "A08"), "neither a URL")
        self.assertEqual(len(self.s.cli_json("viewer", "update", "show", str(uid))["evidence"]), 2)
        # the board report's appendix lists both, each with what it backs, its category's name and the document
        out = os.path.join(self.s.tmp, "evidence-report.html")
        self.ok(self.cli("viewer", "report", "html", "--period", Q3, "--output", out))
        with open(out, encoding="utf-8") as f:
            html = f.read()
        appendix = html[html.index('<section id="evidence"'):]
        appendix = appendix[:appendix.index("</section>")]
        ids = [e["id"] for e in shown["evidence"]]
        first = re.search(r'<tr id="evidence-%d">(.*?)</tr>' % ids[0], appendix, re.S).group(1)
        self.assertIn("the return", first)
        self.assertIn("A07 Review of project performance and evaluation", first)
        self.assertIn('<a href="https://lcc.example/reports/q3-review.pdf"><bdi>Quarterly review</bdi></a>', first)
        second = re.search(r'<tr id="evidence-%d">(.*?)</tr>' % ids[1], appendix, re.S).group(1)
        self.assertIn("milestone 1: <bdi>Studio open</bdi>", second)
        self.assertIn("<code><bdi>contract-signed.pdf</bdi></code>", second)
        self.assertIn(digest, second)


class BeforeMigrationTest(unittest.TestCase):
    """A register with returns and reviews made before 0019 (its migrations applied as planregd would have):
    after 0019 every return reads as it did, nothing is flagged or raised for the past, and the chain
    verifies; the next return that moves its date raises a change."""

    def setUp(self):
        self.real_migrate = harness.migrate
        harness.migrate = self.migrate_before
        try:
            self.s = harness.Service("assure_old", people=("submitter-LCC",))
        finally:
            harness.migrate = self.real_migrate

    def tearDown(self):
        self.s.close()

    def migrate_before(self, db):
        import hashlib
        harness.psql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                     "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", db)
        # every migration but 0019; 0020, 0025, 0029, 0030 and 0031 too, as this build's daemon writes through their
        # functions (planreg_log_sequence_batch writes and sequences the returns)
        for name in (n for n in MIGRATIONS if int(n[:4]) < 19 or int(n[:4]) in (20, 25, 29, 30, 31)):
            path = os.path.join(harness.SOURCE_DIR, "migrations", name)
            with open(path, "rb") as f:
                text = f.read()
            r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-1", "-f", path],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, name + r.stderr)
            harness.psql("INSERT INTO schema_migrations (version, name, checksum) VALUES (%d, '%s', '%s')" % (
                int(name[:4]), name, hashlib.sha256(text).hexdigest()), db)
        harness.ensure_app_role()
        harness.psql("GRANT planreg_app TO %s" % harness.APP_ROLE)

    def submit(self, ref, period, *extra, narrative="Before."):
        r = self.s.cli("submitter-LCC", "update", "submit", str(ref), "--period", period, "--confidence", "amber",
                       "--stage", "live", "--narrative", narrative, "--format", "json", *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)["update_id"]

    def dump(self):
        return self.s.sql("SELECT u.id, u.revision, u.confidence, u.stage, u.forecast_total_pence, u.hash, "
                          "u.narrative, r.accepted, r.comment FROM progress_update u LEFT JOIN update_review r "
                          "ON r.update_id = u.id ORDER BY u.id, r.id")

    def test_returns_read_the_same_after_0019(self):
        a = self.submit(5, Q2, "--forecast", "£9.5M", "--variance-note", "Scope extended.",
                        "--milestone", "Network live|2027-03-31|2027-03-31|")
        b = self.submit(6, Q2, "--milestone", "Go live|2027-06-30|2027-06-30|")
        c = self.submit(6, Q3, "--milestone", "Go live|2027-06-30|2027-12-31|", narrative="Slipped before 0019.")
        r = self.s.cli("admin", "update", "review", str(c), "--return", "Explain the slip.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'change_request'"), "0")
        before = self.dump()

        harness.migrate(self.s.db)
        self.assertEqual(self.dump(), before)
        self.assertEqual(self.s.sql("SELECT count(*) FROM change_request"), "0")
        self.s.enrol_people("viewer")
        self.assertEqual(self.s.cli("admin", "audit", "verify").returncode, 0)
        shown = self.s.cli_json("admin", "update", "show", str(a))
        self.assertEqual((shown["confidence"], shown["forecast_total_pence"], shown["variance_note"],
                          shown["assurance"]), ("amber", 950000000, "Scope extended.", None))
        returned = self.s.cli_json("admin", "update", "show", str(c))
        self.assertEqual((returned["review"]["status"], returned["review"]["comment"]),
                         ("returned", "Explain the slip."))
        q2, q3 = self.s.cli_json("admin", "status", "--period", Q2), self.s.cli_json("admin", "status", "--period", Q3)
        p5, p6, p6q3 = project(q2, 5), project(q2, 6), project(q3, 6)
        self.assertEqual((p5["update_id"], p5["confidence"], p5["forecast_pence"], p5["variance_pct"]),
                         (a, "amber", 950000000, 31.9))
        self.assertEqual((p6["update_id"], p6["review"], p6q3["update_id"], p6q3["review"], p6q3["outstanding"]),
                         (b, "none", c, "returned", True))
        # nothing is flagged for the past: the approved baseline is what was reported last
        for p in (p5, p6, p6q3):
            self.assertNotIn("end_date_unapproved", p["flags"])
            self.assertIsNone(p["assurance"])
            self.assertEqual(p["pending_changes"], 0)
        self.assertEqual((p6q3["original_end_date"], p6q3["approved_end_date"]), ("2027-06-30", "2027-12-31"))
        self.assertEqual(p5["variance_approved_pct"], 0.0)
        # the next return that moves the date raises a change
        self.submit(6, Q3, "--milestone", "Go live|2027-06-30|2028-03-31|", narrative="Slipped again.")
        self.assertEqual([(x["kind"], x["old_value"], x["new_value"])
                          for x in self.s.cli_json("admin", "change", "list")], [("time", "2027-12-31", "2028-03-31")])


if __name__ == "__main__":
    harness.main()
