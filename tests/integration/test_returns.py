"""Returns that can be amended without retyping, and a CSV re-send that never
hides stale data, through the real CLI, daemon and PostgreSQL: `update submit
--amend` (fields kept, lists merged, a stale amend refused), the comparison
with the current revision (unchanged, or a new revision even when an older one
said the same), the template as the form of the batch (CSV off a terminal, the
review columns, nothing stale sent back), a resend after a broken connection
written once, the stage warning against the quarter before, and the export's
project columns."""

import concurrent.futures
import csv
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from relay import Relay  # noqa: E402
from terminal import run_in_pty  # noqa: E402
import wire  # noqa: E402
from wire import Wire, first, pb_bytes, pb_decode, pb_varint, request, tls_context  # noqa: E402

SUBMIT = 30  # the Request oneof's submit_update
FAILED_PRECONDITION = 9


class CutAfterLargeRequest(Relay):
    """A TCP relay in front of the daemon that, on its first connection, passes everything until the client
    has sent more than `threshold` bytes (the one large request a test makes), then drops the answer to it
    and closes: the request was done, the client never heard. Later connections are relayed whole."""

    def __init__(self, port, threshold=8000):
        self.threshold = threshold
        self.cut = False
        super().__init__(port)

    def new_state(self):
        return {"up": 0, "first": self.connections == 1}

    def forward(self, data, dst, state, upstream):
        if upstream:
            state["up"] += len(data)
        elif state["first"] and state["up"] > self.threshold:
            time.sleep(1.0)  # the request is through and done; its answer is dropped
            self.cut = True
            return False
        dst.sendall(data)
        return True


class ReturnsTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("returns", people=("viewer", "submitter-LCC", "submitter-CA",
                                                                 "submitter-STFC"))

    # ------------------------------------------------------------ helpers (cli() and ok() from harness.ServiceTest)

    def submit(self, cred, ref, period, *extra, confidence="amber", stage="live", narrative="Progress as planned.",
               **kw):
        args = ["update", "submit", str(ref), "--period", period]
        if confidence is not None:
            args += ["--confidence", confidence]
        if stage is not None:
            args += ["--stage", stage]
        if narrative is not None:
            args += ["--narrative", narrative]
        return self.cli(cred, *(args + list(extra)), **kw)

    def submit_json(self, cred, ref, period, *extra, **kw):
        return json.loads(self.ok(self.submit(cred, ref, period, *(list(extra) + ["--format", "json"]), **kw)).stdout)

    def amend(self, cred, ref, period, *extra, **kw):
        return self.cli(cred, "update", "submit", str(ref), "--period", period, "--amend", *extra, **kw)

    def current(self, ref, period):
        """The project's current revision for the period, as `update list --latest` shows it."""
        rows = [u for u in self.s.cli_json("viewer", "update", "list", "--period", period, "--latest")
                if u["ref"] == ref]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def count(self, ref, period):
        return int(self.s.sql("SELECT count(*) FROM progress_update u JOIN project p ON p.id = u.project_id "
                              "WHERE p.ref = %d AND u.period = '%s'" % (ref, period)))

    def content(self, u):
        """The content keys of an update object (docs/json.md)."""
        keys = ("ref", "period", "confidence", "stage", "narrative", "spend_to_date_pence", "forecast_total_pence",
                "variance_note", "milestones", "risks")
        return {k: u[k] for k in keys}

    def write_csv(self, name, header, rows):
        path = os.path.join(self.s.tmp, name)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        return path

    def verify_audit(self):
        r = self.ok(self.cli("viewer", "audit", "verify", "--format", "json"))
        self.assertTrue(json.loads(r.stdout)["ok"], r.stdout)

    # ------------------------------------------------------------ amend

    def test_amend_changes_only_what_is_given(self):
        """The issue's command: `update submit 5 --period 2026-Q3 --amend --spend £5.3M` after a first return."""
        p = "2026-Q3"
        first_r = self.submit_json("submitter-LCC", 5, p, "--spend", "£1.2M", "--forecast", "£7.2M",
                                   "--variance-note", "On budget.", "--milestone", "Phase 1|2026-06-30||2026-07-15",
                                   "--milestone", "Phase 2|2026-12-31|2027-01-31|", "--risk", "Supply chain",
                                   "--risk", "Wayleaves", narrative="Network build on schedule.\nSecond line.")
        before = self.current(5, p)
        self.assertEqual(before["id"], first_r["update_id"])
        # without --amend the command asks for everything, and says what --amend would do
        r = self.cli("submitter-LCC", "update", "submit", "5", "--period", p, "--spend", "£5.3M")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--confidence is required", r.stderr)
        self.assertIn("--amend", r.stderr)
        r = self.ok(self.amend("submitter-LCC", 5, p, "--spend", "£5.3M"))
        self.assertRegex(r.stdout, r"submitted update \d+: project 5, %s revision 2, amending update %d"
                         % (p, before["id"]))
        after = self.current(5, p)
        self.assertEqual(after["revision"], 2)
        self.assertEqual(after["spend_to_date_pence"], 530000000)
        want = dict(self.content(before), spend_to_date_pence=530000000)
        self.assertEqual(self.content(after), want)
        self.assertEqual(after["submitted_by"], "submitter-LCC")
        # every option of the content can be amended, each leaving the rest
        r = self.ok(self.amend("submitter-LCC", 5, p, "--confidence", "amber_green", "--narrative", "Ahead now.",
                               "--format", "json"))
        receipt = json.loads(r.stdout)
        self.assertEqual((receipt["amends"], receipt["unchanged"], receipt["revision"]), (after["id"], False, 3))
        third = self.current(5, p)
        self.assertEqual(self.content(third), dict(want, confidence="amber_green", narrative="Ahead now."))
        self.verify_audit()

    def test_amend_lists_by_title(self):
        p = "2026-Q3"
        self.submit_json("submitter-LCC", 6, p, "--milestone", "Design|2026-06-30||2026-07-01",
                         "--milestone", "Build|2026-09-30|2026-12-01|", "--milestone", "Launch|2027-03-31|2027-03-31|",
                         "--risk", "Funding", "--risk", "Staff", stage="concept", narrative="Scale-out scoping.")
        # a milestone given replaces the one of the same title (case aside), in place; a new title is added;
        # a risk given is added; drops remove
        self.ok(self.amend("submitter-LCC", 6, p, "--milestone", "build|2026-09-30|2027-01-15|",
                           "--milestone", "Handover|2027-06-30|2027-06-30|", "--drop-milestone", "LAUNCH",
                           "--risk", "Procurement", "--drop-risk", "staff", "--risk", "Funding"))
        u = self.current(6, p)
        self.assertEqual([(m["title"], m["forecast"]) for m in u["milestones"]],
                         [("Design", None), ("build", "2027-01-15"), ("Handover", "2027-06-30")])
        self.assertEqual(u["milestones"][0]["achieved"], "2026-07-01")
        self.assertEqual(u["risks"], ["Funding", "Procurement"])
        self.assertEqual((u["narrative"], u["stage"]), ("Scale-out scoping.", "concept"))
        n = self.count(6, p)
        # what cannot be dropped says what there is; drops need --amend; nothing is sent
        r = self.amend("submitter-LCC", 6, p, "--drop-milestone", "Phase 9")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn('--drop-milestone "Phase 9": update %d has no milestone of that title (its milestones: '
                      "Design; build; Handover)" % u["id"], r.stderr)
        r = self.amend("submitter-LCC", 6, p, "--drop-risk", "Weather")
        self.assertEqual(r.returncode, 2)
        self.assertIn("lists no such risk (its risks: Funding; Procurement)", r.stderr)
        r = self.submit("submitter-LCC", 6, p, "--drop-risk", "Funding", stage="concept")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--drop-risk removes from the current revision, so it needs --amend", r.stderr)
        r = self.amend("submitter-LCC", 6, p, "--drop-milestone", " ")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--drop-milestone is empty", r.stderr)
        # a bad value given to an amend is the usual usage error
        r = self.amend("submitter-LCC", 6, p, "--spend", "lots")
        self.assertEqual(r.returncode, 2)
        self.assertIn('--spend "lots" is not an amount of money', r.stderr)
        self.assertEqual(self.count(6, p), n)

    def test_amend_without_a_current_revision(self):
        n = self.count(38, "2025-Q4")
        r = self.amend("submitter-LCC", 38, "2025-Q4", "--spend", "£5.3M")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("project 38 has no return for 2025-Q4 to amend: submit it without --amend", r.stderr)
        self.assertEqual(self.count(38, "2025-Q4"), n)
        # someone else's project: the refusal to read it, in words
        r = self.amend("submitter-LCC", 1, "2026-Q3", "--spend", "£1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("may not read the updates of project 1", r.stderr)

    def test_amend_of_nothing_is_unchanged(self):
        p = "2026-Q2"
        u = self.submit_json("submitter-LCC", 38, p, "--spend", "£10k", "--risk", "Venue", narrative="Q2 done.")
        n = self.count(38, p)
        r = self.ok(self.amend("submitter-LCC", 38, p))
        self.assertIn("unchanged (update %d): project 38, %s revision 1 already has this content; nothing was "
                      "written" % (u["update_id"], p), r.stdout)
        # giving a field its value again is no change either
        r = self.ok(self.amend("submitter-LCC", 38, p, "--spend", "£10,000", "--risk", "Venue"))
        self.assertIn("unchanged (update %d)" % u["update_id"], r.stdout)
        self.assertEqual(self.count(38, p), n)

    def test_stale_amend_is_refused_and_a_resend_is_not(self):
        """The optimistic check: an amend names the revision it started from; the server refuses it once another
        has been submitted, but a resend of an amend that went in gets its first receipt."""
        p, ref = "2025-Q2", 2

        def body(narrative, amends):
            content = (pb_varint(1, ref) + pb_bytes(2, p) + pb_varint(3, 3) + pb_varint(4, 4)
                       + pb_bytes(5, narrative))
            digest = wire.content_sha256(ref, p, "amber", "live", narrative.decode())
            signature = wire.sign(self.s.pki.key("submitter-CA"), wire.return_message(ref, p, digest))
            return pb_bytes(1, content) + (pb_varint(2, amends) if amends else b"") + pb_bytes(60, signature)

        a = self.submit_json("submitter-CA", ref, p, narrative="Dig once: first.")
        b = self.submit_json("submitter-CA", ref, p, narrative="Dig once: someone else's revision.")
        w = Wire(self.s.daemon.port, tls_context(self.s.pki, "submitter-CA"))
        try:
            w.send(request(1, SUBMIT, body(b"Dig once: amended from the first.", a["update_id"]),
                           idempotency_key="amend-stale-1"))
            resp = w.read_response()
            self.assertEqual((resp.code, resp.reason), (FAILED_PRECONDITION, "amend_stale"), resp)
            self.assertIn("update %d is not the current return for project 2, %s: that is revision 2 (update %d), "
                          "submitted since; nothing was written" % (a["update_id"], p, b["update_id"]),
                          resp.message)
            self.assertEqual(self.count(ref, p), 2)
            # amending the current one goes in; the same request again (a resend) is its first receipt, though
            # the revision it amends is no longer current
            for i in (2, 3):
                w.send(request(i, SUBMIT, body(b"Dig once: amended from the second.", b["update_id"]),
                               idempotency_key="amend-current-1"))
                resp = w.read_response()
                self.assertEqual(resp.code, 0, resp)
                if i == 2:
                    written = first(resp.body, 1, 0)
                else:
                    self.assertEqual(first(resp.body, 1, 0), written)
                    self.assertEqual(first(resp.body, 5, 0), 1)  # replayed
            self.assertEqual(self.count(ref, p), 3)
            # a stale amend that arrives at what is current has nothing left to do: unchanged, not refused
            w.send(request(5, SUBMIT, body(b"Dig once: amended from the second.", a["update_id"]),
                           idempotency_key="amend-stale-same"))
            resp = w.read_response()
            self.assertEqual(resp.code, 0, resp)
            self.assertEqual((first(resp.body, 1, 0), first(resp.body, 7, 0)), (written, 1))  # unchanged
            # an update of another project or period is no starting point
            other = self.submit_json("submitter-CA", 10, p, narrative="Another project's.")
            w.send(request(4, SUBMIT, body(b"Dig once: from elsewhere.", other["update_id"]),
                           idempotency_key="amend-stale-2"))
            self.assertEqual(w.read_response().reason, "amend_stale")
        finally:
            w.close()
        self.assertEqual(self.count(ref, p), 3)
        self.verify_audit()

    # ------------------------------------------------------------ compared with the current revision

    def test_the_same_content_again_is_unchanged(self):
        p, ref = "2024-Q3", 7
        a = self.submit_json("submitter-CA", ref, p, "--spend", "£1M", narrative="Version A.")
        again = self.submit_json("submitter-CA", ref, p, "--spend", "£1M", narrative="Version A.")
        self.assertEqual((again["unchanged"], again["replayed"], again["update_id"], again["revision"]),
                         (True, False, a["update_id"], 1))
        self.assertEqual(again["warnings"], [])
        r = self.ok(self.submit("submitter-CA", ref, p, "--spend", "£1M", narrative="Version A."))
        self.assertIn("unchanged (update %d)" % a["update_id"], r.stdout)
        self.assertEqual(self.count(ref, p), 1)
        # content an older revision had is new again once another revision is current
        b = self.submit_json("submitter-CA", ref, p, "--spend", "£1M", narrative="Version B.")
        a2 = self.submit_json("submitter-CA", ref, p, "--spend", "£1M", narrative="Version A.")
        self.assertEqual((b["revision"], a2["revision"], a2["unchanged"]), (2, 3, False))
        self.assertEqual(self.current(ref, p)["narrative"], "Version A.")
        self.assertEqual(self.count(ref, p), 3)
        # the digest is the content's: revision 3 has revision 1's, and its own hash
        sha = self.s.sql("SELECT content_sha256 FROM progress_update WHERE id IN (%d, %d) GROUP BY content_sha256"
                         % (a["update_id"], a2["update_id"]))
        self.assertRegex(sha, r"^[0-9a-f]{64}$")
        self.assertNotEqual(a["hash"], a2["hash"])
        self.verify_audit()

    def test_identical_submissions_at_once_write_one(self):
        p, ref = "2024-Q2", 9
        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            got = list(ex.map(lambda _: self.submit_json("admin", ref, p, narrative="Sent six times at once.",
                                                         stage="concept"), range(6)))
        self.assertEqual(self.count(ref, p), 1)
        self.assertEqual(sum(1 for g in got if not g["unchanged"]), 1)
        self.assertEqual(len({g["update_id"] for g in got}), 1)

    def test_stale_csv_sequence(self):
        """The issue's sequence: a good CSV, then a wrong revision of project 38 from the command line, then the
        good CSV again: its content is current again, and the summary says what happened."""
        p = "2026-Q1"
        path = self.write_csv("good-q1.csv", ["ref", "period", "confidence", "stage", "narrative", "spend", "risks"], [
            [5, p, "green", "live", "Network build on schedule.", "£1.2M", "Supply chain"],
            [6, p, "amber", "concept", "Scale-out scoping.", "", ""],
            [38, p, "amber_green", "advanced_development", "Festival planned.", "£1.5M", "Venue availability"],
        ])
        r = self.ok(self.cli("submitter-LCC", "update", "submit", "--csv", path))
        self.assertIn("3 rows: 3 submitted, 0 unchanged, 0 refused, 0 invalid", r.stdout)
        good = self.current(38, p)
        wrong = self.ok(self.amend("submitter-LCC", 38, p, "--confidence", "red", "--narrative",
                                   "Wrong project's words."))
        self.assertIn("revision 2", wrong.stdout)
        self.assertEqual(self.current(38, p)["narrative"], "Wrong project's words.")
        r = self.ok(self.cli("submitter-LCC", "update", "submit", "--csv", path))
        self.assertRegex(r.stdout, r"row 2 \(project 5\): unchanged \(update \d+\)")
        self.assertRegex(r.stdout, r"row 3 \(project 6\): unchanged \(update \d+\)")
        self.assertRegex(r.stdout, r"row 4 \(project 38\): submitted update \d+ revision 3")
        self.assertIn("3 rows: 1 submitted, 2 unchanged, 0 refused, 0 invalid", r.stdout)
        now = self.current(38, p)
        self.assertEqual(now["revision"], 3)
        self.assertEqual(self.content(now), self.content(good))
        # once more: all current now
        r = self.ok(self.cli("submitter-LCC", "update", "submit", "--csv", path, "--format", "json"))
        rows = json.loads(r.stdout)
        self.assertEqual([x["result"] for x in rows], ["unchanged"] * 3)
        self.assertEqual(rows[2]["update_id"], now["id"])
        self.assertIn("3 rows: 0 submitted, 3 unchanged, 0 refused, 0 invalid", r.stderr)
        self.assertEqual(self.count(38, p), 3)
        self.verify_audit()

    # ------------------------------------------------------------ a broken connection

    def test_resend_after_a_broken_connection_writes_once(self):
        """A batch row, and an amend, whose answer is lost: sent again with the same key, written once."""
        p = "2026-Q3"
        long_text = "The quarter in detail. " * 550  # a request larger than anything else the relay sees
        path = self.write_csv("long.csv", ["ref", "period", "confidence", "stage", "narrative"], [
            [12, p, "green", "advanced_development", long_text.strip()],
            [13, p, "amber", "early_development", "Short one."],
        ])
        before = {ref: self.count(ref, p) for ref in (12, 13)}
        relay = CutAfterLargeRequest(self.s.daemon.port)
        env = {"PLANREG_SERVER": "localhost:%d" % relay.port,
               "XDG_CACHE_HOME": os.path.join(self.s.tmp, "cache-batch-resend")}
        try:
            r = self.cli("admin", "update", "submit", "--csv", path, env=env)
            self.assertTrue(relay.cut, "the relay never cut the first connection")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("sending it again with the same idempotency key", r.stderr)
            self.assertRegex(r.stdout, r"row 2 \(project 12\): submitted update \d+ revision %d" % (before[12] + 1))
            self.assertIn("2 rows: 2 submitted, 0 unchanged, 0 refused, 0 invalid", r.stdout)
        finally:
            relay.close()
        self.assertEqual({ref: self.count(ref, p) for ref in (12, 13)}, {12: before[12] + 1, 13: before[13] + 1})

        # an amend of that long return: its answer lost, the resend is not refused as stale
        cur = self.current(12, p)
        relay = CutAfterLargeRequest(self.s.daemon.port)
        env["XDG_CACHE_HOME"] = os.path.join(self.s.tmp, "cache-amend-resend")
        try:
            r = self.amend("admin", 12, p, "--spend", "£2M", env=dict(env, PLANREG_SERVER="localhost:%d" % relay.port))
            self.assertTrue(relay.cut, "the relay never cut the first connection")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("sending it again with the same idempotency key", r.stderr)
            self.assertIn("amending update %d" % cur["id"], r.stdout)
            self.assertNotIn("already submitted", r.stdout)  # our own resend, not an earlier submission
        finally:
            relay.close()
        self.assertEqual(self.count(12, p), before[12] + 2)
        now = self.current(12, p)
        self.assertEqual((now["spend_to_date_pence"], now["narrative"]), (200000000, long_text.strip()))

    # ------------------------------------------------------------ the template as the batch's form

    def test_template_is_csv_off_a_terminal(self):
        p = "2026-Q3"
        r = self.ok(self.cli("submitter-LCC", "update", "template", "--period", p))
        rows = list(csv.reader(io.StringIO(r.stdout)))
        self.assertEqual(rows[0][:4], ["ref", "title", "plan_cost", "period"])
        self.assertEqual(rows[0][-3:], ["last_period", "review", "review_comment"])
        self.assertEqual([x[0] for x in rows[1:]], ["5", "6", "38"])
        # --format still decides
        self.assertEqual(json.loads(self.ok(self.cli("submitter-LCC", "update", "template", "--period", p,
                                                     "--format", "json")).stdout)[0]["ref"], 5)
        table = self.ok(self.cli("submitter-LCC", "update", "template", "--period", p, "--format", "table")).stdout
        self.assertRegex(table, r"^The form for %s \(July–September 2026\): 3 projects" % p)
        self.assertRegex(table, r"(?m)^REF +LAST PERIOD +CONFIDENCE +STAGE +REVIEW +TITLE")
        # on a terminal: the table
        env = self.s.process_env("submitter-LCC", TERM="xterm")
        rc, out = run_in_pty([harness.PLANREG, "update", "template", "--period", p], env)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"REF +LAST PERIOD +CONFIDENCE +STAGE +REVIEW +TITLE")
        self.assertNotIn("ref,title", out)
        # the help says where it pre-fills from
        h = self.ok(self.cli(None, "update", "template", "--help")).stdout
        self.assertIn("filled in from its current revision", h)
        self.assertIn("latest earlier quarter's current revision", h)
        self.assertNotIn("an earlier period, if it has one", h)
        self.assertIn("output format (default table on a terminal, else csv)", h)

    def test_template_round_trip_makes_no_revision(self):
        p, earlier = "2025-Q3", "2025-Q2"
        self.submit_json("submitter-LCC", 38, earlier, "--spend", "£1.5M", "--milestone",
                         "Phase 1|2025-03-31||2025-05-01", "--risk", "Venue availability", stage="advanced_development",
                         narrative="Phase 1 done.")
        r5 = self.submit_json("submitter-LCC", 5, p, "--spend", "£1M", "--milestone", "Ducts|2025-06-30|2025-12-31|",
                              "--risk", "Supply chain\nand wayleaves", narrative="Q3 report.\nTwo lines, \"quoted\".")
        r6 = self.submit_json("submitter-LCC", 6, p, "--forecast", "£12,345.67", stage="concept", narrative="Six.")
        self.ok(self.cli("admin", "update", "review", str(r5["update_id"]), "--return", "Add the forecast, please."))
        path = os.path.join(self.s.tmp, "round-trip.csv")
        with open(path, "w") as f:
            f.write(self.ok(self.cli("submitter-LCC", "update", "template", "--period", p)).stdout)
        with open(path, newline="") as f:
            rows = {int(x["ref"]): x for x in csv.DictReader(f)}
        self.assertEqual((rows[5]["review"], rows[5]["review_comment"]), ("returned", "Add the forecast, please."))
        self.assertEqual((rows[6]["review"], rows[6]["review_comment"]), ("not_reviewed", ""))
        self.assertEqual(rows[5]["narrative"], 'Q3 report.\nTwo lines, "quoted".')
        # 38 has no return for the quarter: pre-filled from the one before, but the narrative is to be written
        self.assertEqual((rows[38]["last_period"], rows[38]["narrative"], rows[38]["review"]), (earlier, "", ""))
        self.assertEqual((rows[38]["spend"], rows[38]["risks"]), ("1500000", "Venue availability"))
        n = {ref: self.count(ref, p) for ref in (5, 6, 38)}
        r = self.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # 38 is not filled in
        self.assertIn("row 2 (project 5): unchanged (update %d)" % r5["update_id"], r.stdout)
        self.assertIn("row 3 (project 6): unchanged (update %d)" % r6["update_id"], r.stdout)
        self.assertIn("row 4 (project 38): refused", r.stdout)
        self.assertIn("narrative: is required", r.stdout)
        self.assertIn("3 rows: 0 submitted, 2 unchanged, 1 refused, 0 invalid", r.stdout)
        self.assertEqual({ref: self.count(ref, p) for ref in (5, 6, 38)}, n)
        # an accepted revision says so; filling in the narrative is what makes 38's return
        self.ok(self.cli("admin", "update", "review", str(r6["update_id"]), "--accept"))
        with open(path, "w") as f:
            f.write(self.ok(self.cli("submitter-LCC", "update", "template", "--period", p)).stdout)
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([x["review"] for x in rows], ["returned", "accepted", ""])
        rows[2]["narrative"] = "Phase 2 under way."
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
        r = self.ok(self.cli("submitter-LCC", "update", "submit", "--csv", path))
        self.assertIn("3 rows: 1 submitted, 2 unchanged, 0 refused, 0 invalid", r.stdout)
        u = self.current(38, p)
        self.assertEqual((u["narrative"], u["spend_to_date_pence"], u["risks"]),
                         ("Phase 2 under way.", 150000000, ["Venue availability"]))

    def test_batch_without_a_ref_column(self):
        path = self.write_csv("no-ref.csv", ["project", "period", "confidence", "stage", "narrative"],
                              [[5, "2026-Q3", "green", "live", "No ref column."]])
        r = self.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn('no "ref" column', r.stderr)
        self.assertIn("planreg update template --period YYYY-Qn > FILE", r.stderr)
        # the table printed by a terminal is not the form either
        path = os.path.join(self.s.tmp, "table.txt")
        with open(path, "w") as f:
            f.write(self.ok(self.cli("submitter-LCC", "update", "template", "--period", "2026-Q3", "--format",
                                     "table")).stdout)
        r = self.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn("update template", r.stderr)

    # ------------------------------------------------------------ the stage warning

    def backwards(self, receipt):
        return [w for w in receipt["warnings"] if "stage moves backwards" in w]

    def test_stage_warning_compares_the_quarter_before(self):
        ref = int(self.s.sql("SELECT min(p.ref) FROM project p JOIN project_lead_org l ON l.project_id = p.id "
                             "WHERE l.org_code = 'CA' AND p.stage = 'concept' AND p.ref > 20"))
        # the later quarter first, then a late return for the one before it
        self.submit_json("admin", ref, "2025-Q4", stage="live", narrative="Live in Q4.")
        late = self.submit_json("admin", ref, "2025-Q3", stage="early_development", narrative="Late Q3 return.")
        self.assertEqual(self.backwards(late), [])  # not compared with 2025-Q4's live
        # Q4's quarter before is Q3, which says early_development: the same, so no warning (the last update,
        # Q4's live, is not what it is compared with)
        back = self.submit_json("admin", ref, "2025-Q4", stage="early_development", narrative="Back in Q4.")
        self.assertEqual(self.backwards(back), [])
        # 2026-Q1 after Q4's early_development: concept is a step back, and the warning names the quarter
        q1 = self.submit_json("admin", ref, "2026-Q1", stage="concept", narrative="Back to concept.")
        self.assertEqual(self.backwards(q1), ["the stage moves backwards: concept, after early_development in the "
                                              "2025-Q4 return"])
        # no return for the quarter before: compared with the register, saying so
        reg = int(self.s.sql("SELECT min(p.ref) FROM project p JOIN project_lead_org l ON l.project_id = p.id "
                             "WHERE l.org_code = 'CA' AND p.stage = 'live' AND p.ref > 20"))
        r = self.submit_json("admin", reg, "2025-Q2", stage="concept", narrative="Register check.")
        self.assertEqual(self.backwards(r), ["the stage moves backwards: concept, after live in the register "
                                             "(2025-Q1 has no return)"])

    # ------------------------------------------------------------ the export

    def test_export_names_the_project_and_its_leads(self):
        p = "2024-Q4"
        self.submit_json("admin", 48, p, stage="early_development", narrative="Co-led export check.")
        title = self.s.cli_json("viewer", "projects", "show", "48")["title"]
        rows = [x for x in self.s.cli_json("viewer", "export", "updates", "--from", p, "--to", p) if x["ref"] == 48]
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["title"], rows[0]["lead_orgs"]), (title, ["STFC", "ATOS"]))
        self.assertEqual(list(rows[0])[:5], ["id", "ref", "title", "lead_orgs", "period"])
        r = self.ok(self.cli("viewer", "export", "updates", "--from", p, "--to", p, "--format", "csv"))
        table = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"))))
        self.assertEqual(list(table[0].keys()), list(rows[0].keys()))
        mine = [x for x in table if x["ref"] == "48"][0]
        self.assertEqual((mine["title"], mine["lead_orgs"]), (title, "STFC;ATOS"))
        # a submitter's export is its own projects', named the same way
        stfc = self.s.cli_json("submitter-STFC", "export", "updates", "--from", p, "--to", p)
        self.assertTrue(stfc and all("STFC" in x["lead_orgs"] for x in stfc))

    def test_export_of_long_returns_comes_in_smaller_pages(self):
        """Pages the daemon cannot fit in a frame are asked for again at half the size, as status pages are."""
        p = "2023-Q4"
        words = "A long quarter, told at length. " * 450  # 14 KB a return
        refs = [int(x) for x in self.s.sql("SELECT p.ref FROM project p JOIN project_lead_org l ON "
                                           "l.project_id = p.id WHERE l.org_code = 'CA' ORDER BY p.ref "
                                           "LIMIT 12").split()]
        for ref in refs:
            self.submit_json("admin", ref, p, narrative="%s(%d)" % (words, ref), stage="concept")
        small = harness.Daemon(self.s.db, self.s.pki, self.s.tmp, {"PLANREGD_MAX_FRAME_BYTES": "131072"})
        try:
            r = self.cli("viewer", "export", "updates", "--from", p, "--to", p, "--format", "json", port=small.port)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            got = json.loads(r.stdout)
            self.assertEqual(sorted(x["ref"] for x in got), refs)
            self.assertTrue(all(x["narrative"].endswith("(%d)" % x["ref"]) for x in got))
        finally:
            small.stop()

if __name__ == "__main__":
    harness.main()
