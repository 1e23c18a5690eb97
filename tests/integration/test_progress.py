"""Quarterly progress through the real CLI, daemon and PostgreSQL: submit,
revise, retry, batch, review, template, the authorisation matrix, every
validation rule, append-only storage and the hash chain's tamper detection."""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from wire import INVALID_ARGUMENT, Wire, first, pb_bytes, pb_decode, pb_varint, request, tls_context  # noqa: E402

PERIOD = "2026-Q3"  # a quarter that has begun, whatever day the suite runs


def next_quarter(today=None):
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    q = (today.month - 1) // 3 + 1
    return "%d-Q%d" % (today.year + (q == 4), 1 if q == 4 else q + 1)


class ProgressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("progress", people=("viewer", "reminder", "submitter-LCC", "submitter-CA",
                                                    "submitter-STFC", "submitter-ATOS"))

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def submit(self, cred, ref, *extra, period=PERIOD, confidence="green", stage="live",
               narrative="Progress as planned."):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage", stage]
        if narrative is not None:
            args += ["--narrative", narrative]
        return self.s.cli(cred, *(args + list(extra)))

    def submit_json(self, cred, ref, *extra, **kw):
        r = self.submit(cred, ref, *(list(extra) + ["--format", "json"]), **kw)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def count(self, where="true"):
        return int(self.s.sql("SELECT count(*) FROM progress_update u JOIN project p ON p.id = u.project_id "
                              "WHERE " + where))

    # ------------------------------------------------------------ the scenario

    def test_done_when_scenario(self):
        receipt = self.submit_json("submitter-LCC", 5, "--spend", "£1.2M", "--forecast", "£7.2M",
                                   narrative="Network build on schedule.")
        self.assertEqual(receipt["revision"], 1)
        self.assertRegex(receipt["hash"], r"^[0-9a-f]{64}$")
        self.assertFalse(receipt["replayed"])

        r = self.submit("submitter-LCC", 1)
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("PERMISSION_DENIED", r.stderr)  # plain words, no protocol names
        self.assertIn("may not report on project 1: it is led by CA", r.stderr)

        r = self.submit("submitter-LCC", 5, "--forecast", "£9.5M")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("INVALID_ARGUMENT", r.stderr)  # plain words, no protocol names
        self.assertIn("variance note: is required: the forecast £9,500,000 differs from the plan's cost "
                      "£7,200,000 by 31.9%, more than 5%", r.stderr)

        second = self.submit_json("submitter-LCC", 5, "--forecast", "£9.5M", "--variance-note",
                                  "Scope extended to two more wards.", "--idempotency-key", "lcc-5-q3-second",
                                  confidence="amber", narrative="Scope grew; delivery re-planned.")
        self.assertEqual(second["revision"], 2)
        before = self.count("p.ref = 5")
        again = self.submit_json("submitter-LCC", 5, "--forecast", "£9.5M", "--variance-note",
                                 "Scope extended to two more wards.", "--idempotency-key", "lcc-5-q3-second",
                                 confidence="amber", narrative="Scope grew; delivery re-planned.")
        self.assertTrue(again["replayed"])
        self.assertEqual((again["update_id"], again["revision"], again["hash"]),
                         (second["update_id"], second["revision"], second["hash"]))
        self.assertEqual(self.count("p.ref = 5"), before)

        history = self.s.cli_json("submitter-LCC", "update", "history", "5")
        revs = [(u["period"], u["revision"]) for u in history if u["period"] == PERIOD]
        self.assertEqual(revs[:2], [(PERIOD, 1), (PERIOD, 2)])
        first = [u for u in history if u["id"] == receipt["update_id"]][0]
        self.assertTrue(first["superseded"])
        self.assertEqual(first["submitted_by"], "submitter-LCC")
        self.assertEqual(first["submitted_org"], "LCC")
        self.assertEqual(first["spend_to_date_pence"], 120000000)
        self.assertEqual(first["forecast_total_pence"], 720000000)
        latest = [u for u in history if u["id"] == second["update_id"]][0]
        self.assertFalse(latest["superseded"])
        self.assertEqual(latest["confidence"], "amber")
        self.assertEqual(latest["variance_note"], "Scope extended to two more wards.")
        # the chain is over every update in id order: the link is the hash of the update just before it
        self.assertRegex(latest["prev_hash"], r"^[0-9a-f]{64}$")
        self.assertEqual(latest["prev_hash"], self.s.sql("SELECT hash FROM progress_update WHERE id < %d "
                                                         "ORDER BY id DESC LIMIT 1" % latest["id"]))

        r = self.s.cli("admin", "audit", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit chain verified", r.stdout)

    # ------------------------------------------------------------ revisions, retries, warnings

    def test_revisions_and_receipts(self):
        a = self.submit_json("submitter-CA", 2, narrative="Dig once: first report.")
        b = self.submit_json("submitter-CA", 2, narrative="Dig once: corrected figures.")
        c = self.submit_json("submitter-CA", 2, period="2026-Q2", narrative="Dig once: Q2.")
        self.assertEqual((a["revision"], b["revision"], c["revision"]), (1, 2, 1))
        u = self.s.cli_json("viewer", "update", "show", str(b["update_id"]))
        self.assertEqual((u["ref"], u["period"], u["revision"]), (2, PERIOD, 2))
        self.assertEqual(u["narrative"], "Dig once: corrected figures.")
        self.assertEqual(u["hash"], b["hash"])
        self.assertIsNone(u["review"])

    def test_idempotent_retry_writes_nothing(self):
        key = "retry-key-7"
        first = self.submit_json("submitter-CA", 7, "--idempotency-key", key, narrative="Seven.")
        n = self.count()
        for _ in range(3):
            again = self.submit_json("submitter-CA", 7, "--idempotency-key", key, narrative="Seven.")
            self.assertTrue(again["replayed"])
            self.assertEqual(again["update_id"], first["update_id"])
            self.assertEqual(again["hash"], first["hash"])
        self.assertEqual(self.count(), n)
        self.assertEqual(int(self.s.sql("SELECT count(*) FROM progress_update WHERE idempotency_key = '%s'" % key)), 1)
        # the same key for different content is a mistake, not a retry
        r = self.submit("submitter-CA", 7, "--idempotency-key", key, narrative="Something else.")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("FAILED_PRECONDITION", r.stderr)  # plain words, no protocol names
        self.assertIn("was already used by credential submitter-CA for a different submission", r.stderr)
        self.assertEqual(self.count(), n)

    def test_text_is_shown_not_obeyed(self):
        """A bidi override in a narrative is accepted (it is text) but printed as \\u{202E} on a
        terminal and as \\u202e in JSON, so that it cannot reverse what is printed after it; a C1
        control is refused like any control character."""
        narrative = "Budget \u202eevitisop\u202c agreed; Arabic \u0645\u0631\u062d\u0628\u0627 kept."
        r = self.submit_json("submitter-LCC", 6, narrative=narrative, stage="concept")
        shown = self.s.cli("viewer", "update", "show", str(r["update_id"]))
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("Budget \\u{202E}evitisop\\u{202C} agreed", shown.stdout)
        self.assertNotIn("\u202e", shown.stdout)
        self.assertIn("\u0645\u0631\u062d\u0628\u0627", shown.stdout)  # ordinary text stays as it is
        raw = self.s.cli("viewer", "update", "show", str(r["update_id"]), "--format", "json")
        self.assertIn("\\u202e", raw.stdout)
        self.assertEqual(json.loads(raw.stdout)["content"]["narrative"] if "content" in json.loads(raw.stdout)
                         else json.loads(raw.stdout)["narrative"], narrative)
        listed = self.s.cli("viewer", "update", "list", "--period", PERIOD)
        self.assertNotIn("\u202e", listed.stdout)
        r = self.submit("submitter-LCC", 6, narrative="clear \u009b2J", stage="concept")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("contains a control character", r.stderr)

    def test_warnings(self):
        # green with a forecast more than 5% off the plan (explained, so accepted)
        r = self.submit_json("submitter-STFC", 47, "--forecast", "£40M", "--variance-note", "Bigger hall.")
        self.assertIn("confidence is green but the forecast differs from the plan's cost by 33.3%", r["warnings"])
        # stage moves backwards (register says advanced_development)
        r = self.submit_json("submitter-STFC", 46, stage="concept", confidence="amber")
        self.assertTrue(any("the stage moves backwards: concept, after advanced_development" in w
                            for w in r["warnings"]), r["warnings"])
        # spend above forecast
        r = self.submit_json("submitter-STFC", 59, "--spend", "£3M", "--forecast", "£2.2M", stage="early_development")
        self.assertIn("spend to date £3,000,000 is above the forecast total £2,200,000", r["warnings"])
        # the same narrative as last quarter
        self.submit_json("submitter-STFC", 28, period="2026-Q2", narrative="Cluster meetings continue.",
                         stage="advanced_development")
        r = self.submit_json("submitter-STFC", 28, narrative="Cluster meetings continue.", stage="advanced_development")
        self.assertIn("the narrative is identical to the 2026-Q2 update's", r["warnings"])
        # a replay returns the first receipt's warnings too
        u = self.s.cli_json("viewer", "update", "show", str(r["update_id"]))
        self.assertEqual(u["narrative"], "Cluster meetings continue.")

    def test_co_led_project_by_either_lead(self):
        a = self.submit_json("submitter-STFC", 48, stage="early_development", confidence="amber")
        b = self.submit_json("submitter-ATOS", 48, stage="early_development", confidence="amber",
                             narrative="ATOS's view of the same quarter.")
        self.assertEqual((a["revision"], b["revision"]), (1, 2))
        # the other lead sending what is already current writes nothing
        same = self.submit_json("submitter-STFC", 48, stage="early_development", confidence="amber",
                                narrative="ATOS's view of the same quarter.")
        self.assertTrue(same["unchanged"])
        self.assertEqual((same["update_id"], same["revision"]), (b["update_id"], 2))
        r = self.submit("submitter-LCC", 48, stage="early_development")
        self.assertEqual(r.returncode, 1)
        self.assertIn("it is led by STFC, ATOS", r.stderr)

    def test_admin_on_behalf(self):
        r = self.submit_json("admin", 9, narrative="Reported by the CA for Sefton.", stage="concept")
        u = self.s.cli_json("admin", "update", "show", str(r["update_id"]))
        self.assertTrue(u["on_behalf"])
        self.assertEqual((u["submitted_by"], u["submitted_org"]), ("admin", "CA"))
        r = self.submit_json("admin", 10, narrative="CA's own project.", stage="concept")
        u = self.s.cli_json("admin", "update", "show", str(r["update_id"]))
        self.assertFalse(u["on_behalf"])

    # ------------------------------------------------------------ validation, rule by rule

    def refused(self, r, *needles):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("INVALID_ARGUMENT", r.stderr)  # plain words, no protocol names
        for n in needles:
            self.assertIn(n, r.stderr)

    def test_validation_rules(self):
        n = self.count()
        self.refused(self.submit("submitter-LCC", 6, period=next_quarter(), stage="concept"),
                     "period: %s is after the current quarter" % next_quarter())
        self.refused(self.submit("submitter-LCC", 6, narrative="", stage="concept"), "narrative: is required")
        self.refused(self.submit("submitter-LCC", 6, narrative="   ", stage="concept"), "narrative: is required")
        self.refused(self.submit("submitter-LCC", 6, narrative="x" * 20001, stage="concept"),
                     "narrative: is 20001 characters long; at most 20000 are allowed")
        tomorrow = (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=2)).isoformat()
        self.refused(self.submit("submitter-LCC", 6, "--milestone", "Launch|2026-07-01||" + tomorrow, stage="concept"),
                     "\"Launch\" is marked achieved on %s, which is in the future" % tomorrow)
        self.refused(self.submit("submitter-LCC", 6, "--milestone", "Launch|2026-07-01|2026-06-01|", stage="concept"),
                     "\"Launch\" is forecast for 2026-06-01, before 2026-Q3 began, but is not achieved")
        self.refused(self.submit("submitter-LCC", 6, "--milestone", "Launch|2026-07-01||", stage="concept"),
                     "\"Launch\" needs a forecast date, or the date it was achieved")
        self.refused(self.submit("submitter-LCC", 6, "--milestone", "Launch||2026-12-01|", stage="concept"),
                     "\"Launch\" has no baseline date")
        self.refused(self.submit("submitter-LCC", 6, "--milestone", "A|2026-07-01|2026-12-01|",
                                 "--milestone", "A|2026-07-01|2026-12-02|", stage="concept"), "\"A\" is listed twice")
        self.refused(self.submit("submitter-LCC", 5, "--forecast", "£6M"),
                     "variance note: is required: the forecast £6,000,000 differs from the plan's cost £7,200,000 "
                     "by 16.6%")
        # within 5%: no note needed; unknown plan cost: no rule
        self.assertEqual(self.submit("submitter-LCC", 5, "--forecast", "£7.5M").returncode, 0)
        self.assertEqual(self.submit("submitter-LCC", 6, "--forecast", "£90M", stage="concept").returncode, 0)
        # several problems at once are all listed
        r = self.submit("submitter-LCC", 6, "--milestone", "B|2026-07-01||", period=next_quarter(), narrative="")
        self.refused(r, "3 problems", "  - period:", "  - narrative:", "  - milestone 2:")
        # local checks: exit 2 before anything is sent
        for bad in (["--spend", "-£5"], ["--spend", "lots"], ["--forecast", "1,20"]):
            r = self.submit("submitter-LCC", 6, *bad, stage="concept")
            self.assertEqual(r.returncode, 2, bad)
        self.assertEqual(self.submit("submitter-LCC", 6, period="2026-Q5").returncode, 2)
        self.assertEqual(self.submit("submitter-LCC", 6, confidence="blue").returncode, 2)
        self.assertEqual(self.submit("submitter-LCC", 6, stage="done").returncode, 2)
        self.assertEqual(self.count(), n + 2)

    def test_server_checks_what_the_cli_checks_too(self):
        """The daemon trusts no client: the rules the CLI applies locally hold on the wire."""
        SUBMIT = 30

        def content(ref=6, period=PERIOD, confidence=1, stage=1, narrative=b"Wire check.", spend=None):
            c = pb_varint(1, ref & (2 ** 64 - 1)) + pb_bytes(2, period) + pb_bytes(5, narrative)
            if confidence:
                c += pb_varint(3, confidence)
            if stage:
                c += pb_varint(4, stage)
            if spend is not None:
                c += pb_bytes(6, pb_varint(1, spend & (2 ** 64 - 1)))
            return c

        def violations(resp_body):
            f = pb_decode(resp_body)
            status = pb_decode(first(f, 2, b""))
            out = {}
            for v in status.get(3, []):
                v = pb_decode(v)
                out[first(v, 1, b"").decode()] = first(v, 2, b"").decode()
            return first(status, 1, 0), out

        w = Wire(self.s.daemon.port, tls_context(self.s.pki, "submitter-LCC"))
        try:
            cases = [
                (content(period="2026-Q5"), "period", "is not a reporting period"),
                (content(period="26-Q3"), "period", "is not a reporting period"),
                (content(spend=-500), "spend_to_date", "money is never negative"),
                (content(confidence=0), "confidence", "is required"),
                (content(confidence=9), "confidence", "is required"),
                (content(stage=0), "stage", "is required"),
                # refused before dispatch (conn.c), the field named by its path in the request
                (content(narrative=b"caf\xc3"), "submit_update.content.narrative", "invalid UTF-8"),
                (content(narrative=b"line\x07bell"), "narrative", "contains a control character"),
                (content(ref=-3), "ref", "is not a project reference"),
            ]
            n = self.count()
            for i, (body, field, text) in enumerate(cases):
                w.send(request(100 + i, SUBMIT, pb_bytes(1, body), idempotency_key="wire-%d" % i))
                resp = w.read_response()
                code, vs = violations(resp.raw)
                self.assertEqual(code, INVALID_ARGUMENT, (field, resp))
                self.assertIn(field, vs, (field, vs, resp))
                self.assertIn(text, vs[field])
            w.send(request(200, SUBMIT, pb_bytes(1, content())))
            code, vs = violations(w.read_response().raw)
            self.assertEqual(code, INVALID_ARGUMENT)
            self.assertIn("is required", vs["idempotency_key"])
            w.send(request(201, SUBMIT, b"", idempotency_key="wire-empty"))
            code, vs = violations(w.read_response().raw)
            self.assertEqual(code, INVALID_ARGUMENT)
            self.assertIn("content", vs)
            self.assertEqual(self.count(), n)
        finally:
            w.close()

    def test_unknown_project(self):
        r = self.submit("admin", 999)
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no project 999", r.stderr)

    # ------------------------------------------------------------ authorisation matrix

    def test_authorisation_matrix(self):
        seed = self.submit_json("submitter-LCC", 6, narrative="Scale out scoping.", stage="concept")
        uid = str(seed["update_id"])
        # (request, args, {credential: expected exit code})
        matrix = [
            # reviewed before the submissions below supersede the seed
            ("review", ["update", "review", uid, "--accept"],
             {"viewer": 1, "reminder": 1, "submitter-LCC": 1, "submitter-CA": 1, "admin": 0}),
            ("submit", None, {"admin": 0, "viewer": 1, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 1}),
            ("show", ["update", "show", uid],
             {"admin": 0, "viewer": 0, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 1}),
            ("history", ["update", "history", "6"],
             {"admin": 0, "viewer": 0, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 1}),
            ("list", ["update", "list", "--period", PERIOD],
             {"admin": 0, "viewer": 0, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 0}),
            ("template", ["update", "template", "--period", PERIOD],
             {"admin": 0, "viewer": 1, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 0}),
            ("audit", ["audit", "verify"],
             {"admin": 0, "viewer": 0, "reminder": 1, "submitter-LCC": 0, "submitter-CA": 0}),
        ]
        for name, args, expected in matrix:
            for cred, code in expected.items():
                if name == "submit":
                    r = self.submit(cred, 6, narrative="Matrix check by %s." % cred, stage="concept")
                else:
                    r = self.s.cli(cred, *args)
                self.assertEqual(r.returncode, code, "%s as %s: %s%s" % (name, cred, r.stdout, r.stderr))
                if code == 1:
                    self.assertRegex(r.stderr, r"needs the role|may not (report|read|have|list)", "%s as %s" % (name, cred))
        # what each side may see
        mine = self.s.cli_json("submitter-CA", "update", "list", "--period", PERIOD)
        self.assertTrue(all(6 != u["ref"] for u in mine))
        lcc = self.s.cli_json("submitter-LCC", "update", "list", "--period", PERIOD)
        self.assertTrue(lcc and all(u["ref"] in (5, 6, 38) for u in lcc))
        r = self.s.cli("viewer", "update", "submit", "6", "--period", PERIOD, "--confidence", "green", "--stage",
                       "concept", "--narrative", "x")
        self.assertIn("submitting a return needs the role admin or a submitter of a lead organisation", r.stderr)

    # ------------------------------------------------------------ review

    def test_review_and_return(self):
        u = self.submit_json("submitter-CA", 11, narrative="Housing design guide drafted.")
        r = self.s.cli("admin", "update", "review", str(u["update_id"]), "--return", "")
        self.assertEqual(r.returncode, 1)
        self.assertIn("comment: is required", r.stderr)
        r = self.s.cli("admin", "update", "review", str(u["update_id"]), "--return", "Add the spend figure.")
        self.assertEqual(r.returncode, 0, r.stderr)
        shown = self.s.cli_json("submitter-CA", "update", "show", str(u["update_id"]))
        self.assertEqual(shown["review"]["status"], "returned")
        self.assertEqual(shown["review"]["comment"], "Add the spend figure.")
        self.assertEqual(shown["review"]["reviewed_by"], "admin")
        v = self.submit_json("submitter-CA", 11, "--spend", "£10k", narrative="Housing design guide drafted; £10k spent.")
        self.assertEqual(v["revision"], 2)
        # the returned revision is superseded now: reviews go to the latest
        r = self.s.cli("admin", "update", "review", str(u["update_id"]), "--accept")
        self.assertEqual(r.returncode, 1)
        self.assertIn("superseded", r.stderr)
        r = self.s.cli("admin", "update", "review", str(v["update_id"]), "--accept")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.s.cli_json("viewer", "update", "show", str(v["update_id"]))["review"]["status"],
                         "accepted")
        r = self.s.cli("admin", "update", "review", "999999", "--accept")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no update 999999", r.stderr)

    # ------------------------------------------------------------ template and batch

    def test_template(self):
        self.submit_json("submitter-LCC", 38, "--spend", "£1.5M", "--milestone", "Phase 1|2026-03-31||2026-05-01",
                         "--risk", "Venue availability", period="2026-Q2", stage="advanced_development",
                         narrative="Phase 1 done.")
        rows = list(csv.DictReader(io.StringIO(self.s.cli("submitter-LCC", "update", "template", "--period", PERIOD,
                                                          "--format", "csv").stdout)))
        self.assertEqual([int(x["ref"]) for x in rows], [5, 6, 38])
        self.assertEqual(list(rows[0].keys()), ["ref", "title", "plan_cost", "period", "confidence", "stage",
                                                "narrative", "spend", "forecast", "variance_note", "milestones",
                                                "risks", "actuals", "last_period", "review", "review_comment"])
        r38 = rows[2]
        self.assertEqual(r38["period"], PERIOD)
        self.assertEqual(r38["last_period"], "2026-Q2")
        # pre-filled from an earlier quarter: everything but the narrative, which is this quarter's to write
        self.assertEqual(r38["narrative"], "")
        self.assertEqual((r38["review"], r38["review_comment"]), ("", ""))
        self.assertEqual(r38["milestones"], "Phase 1|2026-03-31||2026-05-01")
        self.assertEqual(r38["risks"], "Venue availability")
        self.assertEqual(r38["plan_cost"], "£2.6M")
        j = self.s.cli_json("submitter-LCC", "update", "template", "--period", PERIOD)
        self.assertEqual(len(j), 3)
        r = self.s.cli("submitter-LCC", "update", "template", "--period", PERIOD, "--org", "CA")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("PERMISSION_DENIED", r.stderr)  # plain words, no protocol names
        self.assertIn("its own organisation", r.stderr)
        ca = self.s.cli_json("admin", "update", "template", "--period", PERIOD, "--org", "CA")
        self.assertEqual(len(ca), 34)

    def test_batch_csv(self):
        path = os.path.join(self.s.tmp, "batch.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["ref", "title", "period", "confidence", "stage", "narrative", "spend", "forecast",
                        "variance_note", "milestones", "risks"])
            w.writerow(["13", "Employment & skills", PERIOD, "amber", "early_development", "Roles mapped.", "£5k", "",
                        "", "Skills audit|2026-06-30||2026-07-20\nProgramme bid|2026-09-30|2026-12-15|", "Funding\nStaff"])
            w.writerow(["1", "", PERIOD, "green", "live", "JV signed.", "", "£30M", "", "", ""])
            w.writerow(["5", "", PERIOD, "green", "live", "Not ours.", "", "", "", "", ""])
            w.writerow(["14", "", PERIOD, "purple", "live", "Bad confidence.", "", "", "", "", ""])
            w.writerow(["16", "", PERIOD, "red", "concept", "", "", "", "", "", ""])
            w.writerow(["17", "", PERIOD, "amber_red", "concept", "Task group paused.", "lots", "", "", "", ""])
        n = self.count()
        r = self.s.cli("submitter-CA", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout
        self.assertRegex(out, r"row 2 \(project 13\): submitted update \d+ revision 1")
        self.assertRegex(out, r"row 3 \(project 1\): submitted update \d+ revision 1")
        self.assertIn("row 4 (project 5): refused: PERMISSION_DENIED", out)
        self.assertRegex(out, r"row 5.*: invalid: .*purple")
        self.assertIn("row 6 (project 16): refused: INVALID_ARGUMENT", out)
        self.assertRegex(out, r"row 7.*: invalid: .*lots")
        self.assertIn("6 rows: 2 submitted, 0 unchanged, 2 refused, 2 invalid", out)
        self.assertEqual(self.count(), n + 2)
        m = self.s.cli_json("viewer", "update", "history", "13")[-1]
        self.assertEqual([x["title"] for x in m["milestones"]], ["Skills audit", "Programme bid"])
        self.assertEqual(m["milestones"][1]["forecast"], "2026-12-15")
        self.assertIsNone(m["milestones"][1]["achieved"])
        self.assertEqual(m["risks"], ["Funding", "Staff"])
        self.assertEqual(m["spend_to_date_pence"], 500000)
        # the same file again submits nothing new: each row is its project's current revision
        again = self.s.cli("submitter-CA", "update", "submit", "--csv", path)
        self.assertRegex(again.stdout, r"row 2 \(project 13\): unchanged \(update \d+\)")
        self.assertRegex(again.stdout, r"row 3 \(project 1\): unchanged \(update \d+\)")
        self.assertIn("6 rows: 0 submitted, 2 unchanged, 2 refused, 2 invalid", again.stdout)
        self.assertEqual(self.count(), n + 2)
        # a file with only good rows exits 0
        good = os.path.join(self.s.tmp, "good.csv")
        with open(good, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["ref", "period", "confidence", "stage", "narrative"])
            w.writerow(["12", PERIOD, "green", "advanced_development", "Policy drafted."])
        r = self.s.cli("submitter-CA", "update", "submit", "--csv", good)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        bad = os.path.join(self.s.tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("ref,period,confidence\n1,2026-Q3,green\n")
        r = self.s.cli("submitter-CA", "update", "submit", "--csv", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn("stage", r.stderr)

    def test_template_round_trips_through_batch(self):
        out = self.s.cli("submitter-STFC", "update", "template", "--period", "2026-Q1", "--format", "csv").stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        path = os.path.join(self.s.tmp, "filled.csv")
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            for row in rows:
                row["confidence"] = "amber_green"
                row["narrative"] = "Q1 report for %s." % row["ref"]
                w.writerow(row)
        r = self.s.cli("submitter-STFC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%d rows: %d submitted" % (len(rows), len(rows)), r.stdout)

    # ------------------------------------------------------------ storage and the chain

    def test_history_is_append_only(self):
        self.submit_json("submitter-CA", 4, narrative="Publicity plan.", stage="early_development")
        app = subprocess.run(["psql", "-X", "-d", harness.dsn(self.s.db, harness.APP_ROLE), "-c",
                              "UPDATE progress_update SET narrative = 'x'"], capture_output=True, text=True)
        self.assertNotEqual(app.returncode, 0)
        self.assertIn("permission denied", app.stderr)
        for sql in ("UPDATE progress_update SET narrative = 'x'", "DELETE FROM progress_update",
                    "TRUNCATE progress_update CASCADE", "DELETE FROM update_review", "UPDATE update_milestone SET title = 'x'"):
            owner = subprocess.run(["psql", "-X", "-d", self.s.db, "-c", sql], capture_output=True, text=True)
            self.assertNotEqual(owner.returncode, 0, sql)
            self.assertIn("append-only", owner.stderr, sql)

    def test_tamper_detection(self):
        u = self.submit_json("submitter-CA", 15, narrative="Governance review started.", stage="early_development")
        self.submit_json("submitter-CA", 16, narrative="Capacity benchmark.", stage="concept")
        r = self.s.cli("viewer", "audit", "verify", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ok = json.loads(r.stdout)
        self.assertTrue(ok["ok"])
        self.assertEqual(ok["checked"], self.count())
        self.s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER;"
                   "UPDATE progress_update SET narrative = 'Governance review finished.' WHERE id = %d;"
                   "ALTER TABLE progress_update ENABLE TRIGGER USER;" % u["update_id"])
        try:
            r = self.s.cli("admin", "audit", "verify")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("audit chain BROKEN at update %d" % u["update_id"], r.stdout)
            self.assertIn("does not match its hash", r.stdout)
            j = json.loads(self.s.cli("admin", "audit", "verify", "--format", "json").stdout)
            self.assertEqual((j["ok"], j["first_bad_id"]), (False, u["update_id"]))
        finally:
            self.s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER;"
                       "UPDATE progress_update SET narrative = 'Governance review started.' WHERE id = %d;"
                       "ALTER TABLE progress_update ENABLE TRIGGER USER;" % u["update_id"])
        self.assertEqual(self.s.cli("admin", "audit", "verify").returncode, 0)
        # a rewritten hash shows up as a broken link at the next update
        self.s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER;"
                   "UPDATE progress_update SET hash = repeat('a', 64) WHERE id = %d;"
                   "ALTER TABLE progress_update ENABLE TRIGGER USER;" % u["update_id"])
        try:
            r = self.s.cli("admin", "audit", "verify")
            self.assertEqual(r.returncode, 1)
            self.assertIn("audit chain BROKEN at update %d" % u["update_id"], r.stdout)
        finally:
            self.s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER;"
                       "UPDATE progress_update SET hash = '%s' WHERE id = %d;"
                       "ALTER TABLE progress_update ENABLE TRIGGER USER;" % (u["hash"], u["update_id"]))
        self.assertEqual(self.s.cli("admin", "audit", "verify").returncode, 0)

    def test_project_with_history_cannot_leave_the_register(self):
        self.submit_json("submitter-CA", 70, narrative="Telecoms skills scoping.", stage="concept")
        path = os.path.join(self.s.tmp, "without70.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            lines = [l for l in f.read().split("\n") if not l.startswith("70. ")]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        r = self.s.cli("admin", "plan", "import", path, "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("project 70 has progress updates, so it cannot be removed", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM project"), "80")


    # ------------------------------------------------------------ one round trip, prepared statements (0006)

    def metric(self, name):
        return self.s.daemon.metric(name)

    def test_database_hashes_as_chain_c_does(self):
        # the hash is computed in SQL (planreg_submit_update) and must be chain.c's, byte for byte:
        # multi-byte text (lengths are bytes), milestones, risks, money, a variance note, on behalf
        a = self.submit_json("admin", 27, "--spend", "£1.2M", "--forecast", "£2M", "--variance-note",
                             "Café costs — £ and € ✓\nsecond line", "--milestone", "Étape un|2026-07-01||2026-07-02",
                             "--milestone", "Two|2026-08-01|2027-01-31|", "--risk", "Risque: délai",
                             "--risk", "日本語", narrative="Naïve “quotes” and emoji 🚀.\nLine two.", stage="concept")
        b = self.submit_json("submitter-CA", 16, narrative="CA's own, after it.", stage="concept")
        for r in (a, b):
            u = self.s.cli_json("admin", "update", "show", str(r["update_id"]))
            self.assertEqual((u["hash"], u["submitted_at"]), (r["hash"], r["submitted_at"]))
        self.assertFalse(self.s.cli_json("admin", "update", "show", str(b["update_id"]))["on_behalf"])
        self.assertEqual(self.s.sql("SELECT prev_hash FROM progress_update WHERE id = %d" % b["update_id"]), a["hash"])
        r = self.s.cli("viewer", "audit", "verify", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(json.loads(r.stdout)["ok"])
        self.assertNotIn("chain_hash_mismatch", self.s.daemon.read_log())
        # the function is the owner's, with a fixed search_path, for the daemon's role only
        self.assertEqual(self.s.sql("SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'planreg_submit_update'"),
                         "t|{\"search_path=pg_catalog, public, pg_temp\"}")
        self.assertEqual(self.s.sql("SELECT has_function_privilege('public', 'planreg_submit_update(bigint, text, "
                                    "text, text, text, bigint, bigint, text, text, text, text, boolean, text, text, "
                                    "text, jsonb, jsonb, jsonb, date, date, date, bigint, bytea, bytea)', 'EXECUTE')"), "f")
        self.assertEqual(self.s.sql("SELECT has_function_privilege('%s', 'planreg_submit_update(bigint, text, "
                                    "text, text, text, bigint, bigint, text, text, text, text, boolean, text, text, "
                                    "text, jsonb, jsonb, jsonb, date, date, date, bigint, bytea, bytea)', 'EXECUTE')" % harness.APP_ROLE),
                         "t")

    def test_submit_is_two_statements_and_statements_are_prepared_once(self):
        pool = 4  # PLANREGD_DB_POOL_SIZE's default
        self.submit_json("admin", 11, narrative="Warm-up.", stage="concept")
        q0, p0 = self.metric("planregd_db_queries_total"), self.metric("planregd_db_prepared_total")
        for i in range(30):
            self.submit_json("admin", 11, narrative="Loop %d." % i, stage="concept")
        q1, p1 = self.metric("planregd_db_queries_total"), self.metric("planregd_db_prepared_total")
        # context + the sequencer's batch, which writes the return with its leaf (one per batch, so one per
        # submission when they come one at a time, migrations/0031) + the credential's lookup; no leaf is read
        # for the receipt (this daemon has no log_key): before 0031 the write and the leaf's read were two more,
        # before 0006 it was BEGIN, lock, context, insert, COMMIT
        self.assertLessEqual(q1 - q0, 30 * 4)
        self.assertGreaterEqual(q1 - q0, 30 * 3)
        # each connection prepares each statement once: 30 more requests of one kind add at most
        # pool size x its statements (context, write, leaf, credential lookup), however many run
        self.assertLessEqual(p1 - p0, pool * 4)
        self.assertGreater(p1, 0)
        log = self.s.daemon.read_log()
        import re
        prepares = re.findall(r"event=db_prepare conn=(\d+) name=(s\d+)", log)
        self.assertEqual(len(prepares), p1)
        self.assertEqual(len(set(prepares)), len(prepares), "a statement prepared twice on one session")

    def test_concurrent_submissions_and_a_racing_retry(self):
        import concurrent.futures
        refs = [12, 13, 14, 17, 18, 19, 20, 21]
        n = self.count()
        had = {ref: self.count("p.ref = %d AND u.period = '%s'" % (ref, PERIOD)) for ref in refs}
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            got = list(ex.map(lambda job: (job[0], self.submit_json("admin", job[0], narrative="Parallel %d, %d."
                                                                     % job, stage="concept")),
                              [(ref, i) for i in (1, 2) for ref in refs]))
        self.assertEqual(self.count(), n + 16)
        for ref in refs:
            self.assertEqual(sorted(g["revision"] for r, g in got if r == ref), [had[ref] + 1, had[ref] + 2])
        # the same key sent eight times at once: one update, seven replays of it
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            same = list(ex.map(lambda _: self.submit_json("admin", 22, "--idempotency-key", "race-22",
                                                          narrative="Raced.", stage="concept"), range(8)))
        self.assertEqual(len({g["update_id"] for g in same}), 1)
        self.assertEqual(sum(1 for g in same if not g["replayed"]), 1)
        self.assertEqual(len({g["hash"] for g in same}), 1)
        self.assertEqual(self.count(), n + 17)
        r = self.s.cli("viewer", "audit", "verify", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout)["checked"], self.count())


if __name__ == "__main__":
    harness.main()
