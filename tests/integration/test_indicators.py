"""Benefits and indicators (docs/assurance.md, "Indicators") against the real daemon, PostgreSQL and CLI: the
Combined Authority defines an indicator, a lead body proposes one (a change request of kind scope that only
the CA decides), each return reports the actuals of its own project's indicators (one-at-a-time and the CSV
batch), and progress to target shows in update show, status, diff, the export, the template and the board
report; actuals are part of the hashed content, so a rewritten actual is found by audit verify; every
refusal is a specific error."""

import csv
import io
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

Q2, Q3 = "2026-Q2", "2026-Q3"


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


class IndicatorTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("indicators", people=("viewer", "submitter-LCC", "submitter-STFC"))
        r = cls.s.cli("admin", "indicator", "add", "5", "--name", "Homes connected", "--unit", "homes",
                      "--baseline", "0", "--baseline-date", "2026-01-01", "--target", "1000", "--target-date",
                      "2027-12-31", "--period-target", "2026-Q3=200", "--period-target", "2026-Q2=50",
                      "--responsible", "Ann Lee <ann@lcc.example.org>")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.homes = int(re.search(r"added indicator (\d+) to project 5", r.stdout).group(1))

    # ------------------------------------------------------------ helpers

    def refused(self, r, words, code=1):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(words, r.stderr)
        return r

    def submit(self, ref, period, *extra, cred="submitter-LCC", narrative="On plan."):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", "amber", "--stage", "live",
                "--narrative", narrative, "--format", "json"]
        r = self.ok(self.cli(cred, *(args + list(extra))))
        return json.loads(r.stdout)["update_id"]

    def add(self, ref, name, *extra, cred="admin"):
        return self.cli(cred, "indicator", "add", str(ref), "--name", name, "--unit", "sites", "--baseline", "2",
                        "--baseline-date", "2026-01-01", "--target", "12", "--target-date", "2027-03-31", *extra)

    def project(self, period, ref, cred="viewer"):
        return next(p for p in self.s.cli_json(cred, "status", "--period", period)["projects"] if p["ref"] == ref)

    # ------------------------------------------------------------ defining

    def test_ca_defines_and_everyone_reads(self):
        shown = self.s.cli_json("viewer", "indicator", "show", str(self.homes))
        self.assertEqual((shown["ref"], shown["name"], shown["unit"], shown["baseline_value"], shown["target_value"],
                          shown["target_date"], shown["responsible"], shown["change_id"], shown["created_by"]),
                         (5, "Homes connected", "homes", "0", "1000", "2027-12-31", "Ann Lee <ann@lcc.example.org>",
                          None, "admin"))
        self.assertEqual(sorted(shown["period_targets"]), ["2026-Q2=50", "2026-Q3=200"])
        listed = self.s.cli_json("viewer", "indicator", "list", "--project", "5")
        self.assertIn(self.homes, [i["id"] for i in listed])
        table = self.ok(self.cli("viewer", "indicator", "list")).stdout
        self.assertIn("Homes connected", table)
        # CSV headers are the JSON keys
        rows = csv_rows(self.ok(self.cli("viewer", "indicator", "list", "--format", "csv")).stdout)
        self.assertEqual(list(rows[0].keys()), list(listed[0].keys()))

    def test_refusals_when_defining(self):
        self.refused(self.add(5, "Viewers may not", cred="viewer"), "indicator")
        # another body's project: STFC does not lead project 5
        r = self.add(5, "Not STFC's", cred="submitter-STFC")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertEqual(self.s.sql("SELECT count(*) FROM indicator WHERE name = 'Not STFC''s'").strip(), "0")
        self.refused(self.add(5, "Homes connected"), "Homes connected")  # the name is taken in the project
        r = self.cli("admin", "indicator", "add", "5", "--name", "Bad dates", "--unit", "x", "--baseline", "1",
                     "--baseline-date", "2027-01-01", "--target", "2", "--target-date", "2026-01-01")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("target date: 2026-01-01 is before the baseline's date", r.stderr)
        r = self.cli("admin", "indicator", "add", "5", "--name", "Not a number", "--unit", "x", "--baseline", "lots",
                     "--baseline-date", "2026-01-01", "--target", "2", "--target-date", "2027-01-01")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('baseline value: "lots" is not a number', r.stderr)
        self.refused(self.cli("admin", "indicator", "add", "5", "--name", "x"), "--unit", code=2)
        self.refused(self.cli("viewer", "indicator", "show", "99999"), "99999")

    def test_a_lead_body_proposes_and_only_the_ca_approves(self):
        r = self.ok(self.add(6, "Sensors live", "--rationale", "Measures the roll-out.", cred="submitter-LCC"))
        change = int(re.search(r"proposed as change request (\d+)", r.stdout).group(1))
        self.assertEqual(self.s.cli_json("viewer", "indicator", "list", "--project", "6"), [])
        shown = self.s.cli_json("viewer", "change", "show", str(change))
        self.assertEqual((shown["kind"], shown["state"], shown["rationale"]), ("scope", "pending",
                                                                               "Measures the roll-out."))
        # a submitter may not approve, even its own proposal
        self.refused(self.cli("submitter-LCC", "change", "approve", str(change)), "admin", code=1)
        self.assertEqual(self.s.cli_json("viewer", "indicator", "list", "--project", "6"), [])
        self.ok(self.cli("admin", "change", "approve", str(change)))
        made = self.s.cli_json("viewer", "indicator", "list", "--project", "6")
        self.assertEqual([(i["name"], i["change_id"], i["target_value"]) for i in made],
                         [("Sensors live", change, "12")])

    # ------------------------------------------------------------ reporting actuals

    def test_a_return_reports_its_actuals_and_progress_shows_everywhere(self):
        q2 = self.submit(5, Q2, "--actual", "%d=40" % self.homes)
        q3 = self.submit(5, Q3, "--actual", "Homes connected=150|Survey in September",
                         "--milestone", "Network live|2027-03-31|2027-03-31|")
        shown = self.s.cli_json("viewer", "update", "show", str(q3))
        self.assertEqual(shown["actuals"], [{"indicator_id": self.homes, "name": "Homes connected", "unit": "homes",
                                             "value": "150", "note": "Survey in September"}])
        text = self.ok(self.cli("viewer", "update", "show", str(q3))).stdout
        self.assertIn("150 homes (indicator %d: Homes connected): Survey in September" % self.homes, text)
        # status: progress to target, with the quarter's target
        p = self.project(Q3, 5)
        self.assertEqual(p["indicators"], ["Homes connected: 150 of 1000 homes by 2027-12-31, 15.0% of the way "
                                           "from 0 (200 planned for the quarter)"])
        rows = csv_rows(self.ok(self.cli("viewer", "status", "--period", Q3, "--format", "csv")).stdout)
        self.assertIn("15.0% of the way", next(r for r in rows if r["ref"] == "5")["indicators"])
        # diff: the actual moved from 40 to 150
        d = next(x for x in self.s.cli_json("viewer", "status", "diff", Q2, Q3) if x["ref"] == 5)
        self.assertEqual(d["indicators_moved"], ["Homes connected: 40 -> 150 homes"])
        # the export, one INDICATOR=VALUE|NOTE a line
        exported = {x["id"]: x for x in self.s.cli_json("viewer", "export", "updates", "--from", Q2, "--to", Q3)}
        self.assertEqual(exported[q3]["actuals"], "%d=150|Survey in September" % self.homes)
        self.assertEqual(exported[q2]["actuals"], "%d=40" % self.homes)
        # the board report's table, with a bar and its percentage in words
        out = os.path.join(self.s.tmp, "board.html")
        self.ok(self.cli("viewer", "report", "html", "--period", Q3, "--output", out))
        with open(out, encoding="utf-8") as f:
            html = f.read()
        section = html[html.index('<section id="indicators"'):]
        section = section[:section.index("</section>")]
        row = re.search(r'<tr id="indicator-%d">(.*?)</tr>' % self.homes, section, re.S).group(1)
        self.assertIn("Homes connected", row)
        self.assertIn("<bdi>150</bdi> <bdi>homes</bdi>", row)
        self.assertIn("15.0%", row)
        self.assertIn("width:15.0%", row)
        # the chain holds the actuals: audit verify passes, and a rewritten actual is found
        self.ok(self.cli("admin", "audit", "verify"))
        self.s.sql("ALTER TABLE update_actual DISABLE TRIGGER USER; UPDATE update_actual SET value = '900' "
                   "WHERE update_id = %d; ALTER TABLE update_actual ENABLE TRIGGER USER" % q3)
        try:
            r = self.cli("admin", "audit", "verify")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(str(q3), r.stdout + r.stderr)
        finally:
            self.s.sql("ALTER TABLE update_actual DISABLE TRIGGER USER; UPDATE update_actual SET value = '150' "
                       "WHERE update_id = %d; ALTER TABLE update_actual ENABLE TRIGGER USER" % q3)
        self.ok(self.cli("admin", "audit", "verify"))

    def test_refusals_when_reporting(self):
        before = self.s.sql("SELECT count(*) FROM progress_update").strip()
        # an actual for an indicator of another project (project 6 is LCC's too)
        args = ["update", "submit", "6", "--period", Q3, "--confidence", "amber", "--stage", "live", "--narrative",
                "x", "--actual"]
        self.refused(self.cli("submitter-LCC", *(args + ["%d=10" % self.homes])),
                     "is project 5's, not project 6's")
        self.refused(self.cli("submitter-LCC", *(args + ["99999=10"])), "99999")
        self.refused(self.cli("submitter-LCC", *(args[:1] + ["submit", "5"] + args[3:] + ["%d=lots" % self.homes])),
                     "is not a number", code=2)
        self.refused(self.cli("submitter-LCC", *(args[:1] + ["submit", "5"] + args[3:] + ["No such name=3"])),
                     'project 5 has no indicator named "No such name"', code=2)
        self.assertEqual(self.s.sql("SELECT count(*) FROM progress_update").strip(), before)

    def test_template_and_csv_batch_carry_actuals(self):
        self.submit(5, "2026-Q1", "--actual", "%d=20" % self.homes)
        rows = csv_rows(self.ok(self.cli("submitter-LCC", "update", "template", "--period", "2026-Q4",
                                         "--format", "csv")).stdout)
        self.assertIn("actuals", rows[0])
        path = os.path.join(self.s.tmp, "batch-actuals.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["ref", "period", "confidence", "stage", "narrative", "actuals"])
            w.writerow(["5", "2026-Q4", "green", "live", "Batch with actual.", "%d=260|Meter read" % self.homes])
            w.writerow(["6", "2026-Q4", "green", "live", "Wrong project's actual.", "%d=1" % self.homes])
        r = self.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        m = re.search(r"row 2 \(project 5\): submitted update (\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertRegex(r.stdout + r.stderr, r"row 3 \(project 6\).*project 5's, not project 6's")
        shown = self.s.cli_json("viewer", "update", "show", m.group(1))
        self.assertEqual([(a["indicator_id"], a["value"], a["note"]) for a in shown["actuals"]],
                         [(self.homes, "260", "Meter read")])

    def test_evidence_backs_an_actual(self):
        uid = self.submit(5, "2025-Q4", "--actual", "%d=300" % self.homes)
        self.ok(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url",
                         "https://lcc.example/meters.csv", "--category", "A08", "--indicator", str(self.homes)))
        shown = self.s.cli_json("viewer", "update", "show", str(uid))
        self.assertEqual([(e["category"], e["indicator_id"]) for e in shown["evidence"]], [("A08", self.homes)])
        # an indicator the return has no actual for, and an invalid category
        other = self.submit(5, "2025-Q3")
        # status flags a return that leaves out an indicator of its project, not one made before it existed
        self.submit(38, "2025-Q3")
        self.ok(self.add(38, "Visitors"))
        self.assertIn("actual_missing", self.project("2025-Q3", 5)["flags"])
        self.assertNotIn("actual_missing", self.project("2025-Q3", 38)["flags"])
        self.assertNotIn("actual_missing", self.project("2025-Q4", 5)["flags"])
        r = self.cli("submitter-LCC", "update", "evidence", str(other), "--url", "https://lcc.example/x.csv",
                     "--category", "A08", "--indicator", str(self.homes))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.refused(self.cli("submitter-LCC", "update", "evidence", str(uid), "--url", "https://lcc.example/y",
                              "--category", "Z99", "--indicator", str(self.homes)), "Z99")


if __name__ == "__main__":
    unittest.main(verbosity=2)
