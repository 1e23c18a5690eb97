"""The Combined Authority's consolidated picture through the real CLI, daemon and
PostgreSQL: GetStatus (every figure of a three-period fixture with on-time, late,
returned, superseded and missing returns), as-at, filters, the submitter's
restriction, ListOutstanding, GetTimeliness, DiffPeriods, the analysts' export
and the HTML board report rendered by headless Chromium.

The fixture is submitted through the CLI like any return; only the moments are
moved afterwards (as the cluster's superuser, with the append-only trigger set
aside for that statement), because "on time" depends on when a return arrived
and the suite runs long after those due dates."""

import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from wire import INVALID_ARGUMENT, Wire, first, pb_bytes, pb_decode, pb_varint, request, tls_context  # noqa: E402

Q1, Q2, Q3 = "2026-Q1", "2026-Q2", "2026-Q3"
GET_STATUS = 40
PERMISSION_DENIED = 7


class StatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("status", people=("viewer", "reminder", "submitter-LCC", "submitter-CA",
                                                  "submitter-LAS", "submitter-DATAPLEX"))
        cls.ids = {}
        # Q2: 5 on time, 1 on time (the last hour of the due day), 3 six days late, 8 on time
        cls.put("a", "submitter-LCC", 5, Q2, "2026-07-10T09:00:00Z", "amber", "live", "Same words each quarter.",
                "--spend", "£1M", "--forecast", "£7.2M", "--milestone", "Phase 1|2026-06-30|2026-09-30|")
        cls.put("b", "submitter-CA", 1, Q2, "2026-07-14T12:00:00Z", "green", "live", "JV procurement under way.",
                "--spend", "£1M", "--forecast", "£30M")
        cls.put("c", "submitter-LAS", 3, Q2, "2026-07-20T09:00:00Z", "amber", "early_development", "Loop design.")
        cls.put("d", "submitter-DATAPLEX", 8, Q2, "2026-07-01T09:00:00Z", "amber_green", "advanced_development",
                "Groundworks.", "--forecast", "£85M", "--milestone", "Build|2026-06-01|2026-09-30|")
        # Q3
        cls.put("e", "submitter-LCC", 5, Q3, "2026-10-10T09:00:00Z", "green", "live", "Same words each quarter.",
                "--spend", "£2M", "--forecast", "£8M", "--variance-note", "Two more wards.",
                "--milestone", "Phase 1|2026-06-30||2026-10-01")
        cls.put("f", "submitter-LCC", 6, Q3, "2026-10-12T09:00:00Z", "amber_red", "early_development",
                "Scale-out plan drafted.")
        cls.put("g", "submitter-LCC", 6, Q3, "2026-10-20T10:00:00Z", "red", "concept", "Scale-out paused for funding.")
        cls.put("h", "submitter-CA", 1, Q3, "2026-10-14T23:30:00Z", "amber", "early_development", "JV delayed.",
                "--spend", "£2M", "--forecast", "£1M", "--variance-note", "Scope cut back.")
        cls.put("i", "submitter-CA", 2, Q3, "2026-10-15T00:00:01Z", "amber_green", "live",
                "=1+1 looks like a formula", "--spend", "£0.5M", "--forecast", "£1.2M")
        cls.put("j", "submitter-DATAPLEX", 8, Q3, "2026-10-20T09:00:00Z", "amber_green", "advanced_development",
                "Groundworks continue.", "--forecast", "£85M", "--milestone", "Build|2026-06-01|2026-12-31|")
        cls.review("h", "--return", "Spend exceeds forecast; check the figures.", "2026-10-16T09:00:00Z")
        cls.review("i", "--accept", None, "2026-10-16T10:00:00Z")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @classmethod
    def put(cls, key, cred, ref, period, at, confidence, stage, narrative, *extra):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage", stage,
                "--narrative", narrative, "--format", "json"] + list(extra)
        r = cls.s.cli(cred, *args)
        if r.returncode != 0:
            raise AssertionError("fixture %s: %s%s" % (key, r.stdout, r.stderr))
        uid = json.loads(r.stdout)["update_id"]
        cls.ids[key] = uid
        cls.s.sql("BEGIN; ALTER TABLE progress_update DISABLE TRIGGER progress_update_append_only;"
                  "UPDATE progress_update SET submitted_at = '%s' WHERE id = %d;"
                  "ALTER TABLE progress_update ENABLE TRIGGER progress_update_append_only; COMMIT;" % (at, uid))

    @classmethod
    def review(cls, key, verdict, comment, at):
        args = ["update", "review", str(cls.ids[key]), verdict] + ([comment] if comment else [])
        r = cls.s.cli("admin", *args)
        if r.returncode != 0:
            raise AssertionError("review %s: %s" % (key, r.stderr))
        cls.s.sql("BEGIN; ALTER TABLE update_review DISABLE TRIGGER update_review_append_only;"
                  "UPDATE update_review SET reviewed_at = '%s' WHERE update_id = %d;"
                  "ALTER TABLE update_review ENABLE TRIGGER update_review_append_only; COMMIT;"
                  % (at, cls.ids[key]))

    def status(self, cred="admin", *args):
        return self.s.cli_json(cred, "status", *args)

    @staticmethod
    def by_ref(doc):
        return {p["ref"]: p for p in doc["projects"]}

    # ------------------------------------------------------------ GetStatus: every figure

    def test_status_now(self):
        d = self.status("admin", "--period", Q3)
        self.assertEqual(d["period"], Q3)
        self.assertEqual(d["due"], "2026-10-14")
        self.assertRegex(d["as_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertEqual([p["ref"] for p in d["projects"]], list(range(1, 81)))
        t = d["totals"]
        self.assertEqual((t["projects"], t["reported"], t["outstanding"], t["late"], t["returned"]),
                         (80, 4, 76, 79, 1))
        # the colours count the reported projects only: 1's amber return was sent back, so it counts as
        # returned (and outstanding), and the colours add up to "reported"
        self.assertEqual(t["by_confidence"], {"green": 1, "amber_green": 2, "amber": 0, "amber_red": 0, "red": 1,
                                              "returned": 1, "none": 75})
        self.assertEqual(sum(t["by_confidence"][c] for c in ("green", "amber_green", "amber", "amber_red", "red")),
                         t["reported"])
        self.assertEqual(sum(t["by_confidence"].values()), t["projects"])
        self.assertEqual(t["spend_pence"], 200000000 + 200000000 + 50000000)
        self.assertEqual(t["forecast_pence"], 800000000 + 100000000 + 120000000 + 8500000000)
        known = int(self.s.sql("SELECT sum(cost_min_pence) FROM project WHERE cost_status = 'known'"))
        self.assertEqual(t["plan_cost_pence"], known)
        # like for like: the reported projects with a forecast and a known plan cost (5, 2, 8; 1 was
        # returned), against their own plan costs; 6's plan cost is tbd but it gave no forecast
        plan = int(self.s.sql("SELECT sum(cost_min_pence) FROM project WHERE ref IN (2, 5, 8)"))
        self.assertEqual((t["compared_projects"], t["compared_forecast_pence"], t["compared_plan_cost_pence"],
                          t["forecast_without_plan_cost"]), (3, 800000000 + 120000000 + 8500000000, plan, 0))

        p = self.by_ref(d)
        five = p[5]
        self.assertEqual((five["update_id"], five["revision"], five["confidence"], five["stage"]),
                         (self.ids["e"], 1, "green", "live"))
        self.assertEqual((five["spend_pence"], five["forecast_pence"], five["variance_pct"]),
                         (200000000, 800000000, 11.1))
        self.assertEqual((five["on_time"], five["late"], five["outstanding"], five["review"]),
                         (True, False, False, "none"))
        self.assertEqual(five["submitted_at"], "2026-10-10T09:00:00.000000Z")
        self.assertEqual(five["flags"], ["green_over_variance", "narrative_repeated"])
        self.assertEqual((five["lead_orgs"], five["theme"], five["objective"], five["title"]),
                         (["LCC"], 1, "1.2", "Liverpool 5G Create: Connecting Health & Social Care"))
        self.assertEqual((five["plan_cost_text"], five["plan_cost_pence"], five["register_stage"]),
                         ("£7.2M", 720000000, "live"))

        six = p[6]  # superseded revision 1 on time, revision 2 late
        self.assertEqual((six["update_id"], six["revision"], six["confidence"], six["stage"]),
                         (self.ids["g"], 2, "red", "concept"))
        self.assertEqual((six["on_time"], six["late"], six["outstanding"]), (False, True, False))
        self.assertIsNone(six["variance_pct"])  # the plan's cost is tbd
        self.assertIsNone(six["plan_cost_pence"])
        self.assertEqual(six["flags"], [])

        one = p[1]  # on time in the last half hour of the due day, then returned
        self.assertEqual((one["revision"], one["confidence"], one["review"]), (1, "amber", "returned"))
        self.assertEqual(one["review_comment"], "Spend exceeds forecast; check the figures.")
        self.assertEqual((one["on_time"], one["outstanding"], one["late"]), (True, True, True))
        self.assertEqual(one["variance_pct"], -96.6)
        self.assertEqual(one["flags"], ["stage_backwards", "spend_above_forecast"])

        two = p[2]  # a second after the due day: late, accepted
        self.assertEqual((two["on_time"], two["late"], two["review"], two["outstanding"]),
                         (False, True, "accepted", False))
        self.assertIsNone(two["review_comment"])
        self.assertEqual(two["variance_pct"], 0.0)

        three = p[3]  # reported in Q2 only
        for k in ("update_id", "revision", "confidence", "stage", "submitted_at", "on_time", "review",
                  "spend_pence", "forecast_pence", "variance_pct"):
            self.assertIsNone(three[k], k)
        self.assertEqual((three["outstanding"], three["late"], three["flags"]), (True, True, []))
        self.assertEqual(p[38]["flags"], ["missing_two_periods"])
        # 8's end date moved a quarter with no approved change (docs/assurance.md)
        self.assertEqual(p[8]["flags"], ["end_date_unapproved"])

        lcc = {g["key"]: g for g in t["by_lead"]}["LCC"]
        self.assertEqual((lcc["name"], lcc["projects"], lcc["reported"], lcc["outstanding"], lcc["late"]),
                         ("Liverpool City Council", 3, 2, 1, 2))
        self.assertEqual((lcc["green"], lcc["red"], lcc["returned"], lcc["none"]), (1, 1, 0, 1))
        self.assertEqual((lcc["spend_pence"], lcc["forecast_pence"], lcc["plan_cost_pence"]),
                         (200000000, 800000000, 720000000 + 260000000))
        themes = {g["key"]: g for g in t["by_theme"]}
        self.assertEqual(sorted(themes), ["1", "2", "3", "4", "5", "6"])
        self.assertEqual(sum(g["projects"] for g in t["by_theme"]), 80)
        th1 = themes["1"]
        self.assertEqual((th1["name"], th1["projects"], th1["reported"], th1["green"], th1["amber"],
                          th1["amber_green"], th1["red"], th1["returned"]),
                         ("Digital Connectivity & Infrastructure", 14, 4, 1, 0, 2, 1, 1))
        stages = {g["key"]: g["projects"] for g in t["by_stage"]}
        self.assertEqual(list(stages), ["concept", "early_development", "advanced_development", "live", "completed",
                                        "paused", "cancelled"])
        self.assertEqual(sum(stages.values()), 80)

    def test_as_at_shows_what_was_known(self):
        d = self.status("admin", "--period", Q3, "--as-at", "2026-10-15")
        self.assertEqual(d["as_at"], "2026-10-15T23:59:59.999999Z")
        t = d["totals"]
        self.assertEqual((t["reported"], t["outstanding"], t["late"], t["returned"]), (4, 76, 77, 0))
        p = self.by_ref(d)
        self.assertEqual((p[6]["revision"], p[6]["confidence"], p[6]["on_time"], p[6]["update_id"]),
                         (1, "amber_red", True, self.ids["f"]))
        self.assertEqual((p[1]["review"], p[1]["outstanding"]), ("none", False))  # returned on the 16th
        self.assertIsNone(p[8]["update_id"])
        # a moment with a zone: half an hour before project 1's return arrived
        d = self.status("admin", "--period", Q3, "--as-at", "2026-10-15T00:00:00+01:00")
        self.assertIsNone(self.by_ref(d)[1]["update_id"])
        # before the due date has passed nothing outstanding is late
        d = self.status("admin", "--period", Q3, "--as-at", "2026-10-11")
        self.assertEqual((d["totals"]["reported"], d["totals"]["late"]), (1, 0))

    def test_filters(self):
        d = self.status("admin", "--period", Q3, "--confidence", "amber_green")
        self.assertEqual([p["ref"] for p in d["projects"]], [2, 8])
        self.assertEqual(d["totals"]["projects"], 2)
        d = self.status("admin", "--period", Q3, "--stage", "concept")
        refs = [p["ref"] for p in d["projects"]]
        self.assertIn(6, refs)  # its latest return says concept
        self.assertNotIn(5, refs)
        self.assertTrue(all((p["stage"] or p["register_stage"]) == "concept" for p in d["projects"]))
        d = self.status("admin", "--period", Q3, "--theme", "1", "--lead", "lcc")
        self.assertEqual([p["ref"] for p in d["projects"]], [5, 6])
        d = self.status("admin", "--period", Q3, "--objective", "1.2")
        self.assertEqual([p["ref"] for p in d["projects"]], [5, 6, 7])
        r = self.s.cli("admin", "status", "--period", Q3, "--lead", "NOPE")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("NOT_FOUND", r.stderr)  # plain words, no protocol names
        self.assertIn("no organisation NOPE", r.stderr)

    def test_by_groups_share_one_shape(self):
        keys = ["key", "name", "projects", "reported", "outstanding", "late", "green", "amber_green", "amber",
                "amber_red", "red", "returned", "none", "spend_pence", "forecast_pence", "plan_cost_pence",
                "compared_projects", "compared_forecast_pence", "compared_plan_cost_pence",
                "forecast_without_plan_cost", "assurance_green", "assurance_amber_green", "assurance_amber",
                "assurance_amber_red", "assurance_red", "assurance_unrated", "ratings_differ"]
        for by in ("theme", "stage", "lead", "confidence"):
            groups = self.status("viewer", "--period", Q3, "--by", by)
            self.assertTrue(groups)
            for g in groups:
                self.assertEqual(list(g), keys)
            rows = list(csv.DictReader(io.StringIO(self.s.cli("viewer", "status", "--period", Q3, "--by", by,
                                                              "--format", "csv").stdout)))
            self.assertEqual(list(rows[0].keys()), keys)
            self.assertEqual(len(rows), len(groups))
        conf = {g["key"]: g for g in self.status("viewer", "--period", Q3, "--by", "confidence")}
        self.assertEqual(list(conf), ["green", "amber_green", "amber", "amber_red", "red", "returned", "none"])
        self.assertEqual((conf["amber_green"]["projects"], conf["none"]["projects"]), (2, 75))
        self.assertEqual((conf["returned"]["projects"], conf["returned"]["outstanding"], conf["amber"]["projects"]),
                         (1, 1, 0))
        self.assertIsNone(conf["green"]["name"])
        table = self.s.cli("viewer", "status", "--period", Q3, "--by", "lead")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout, r"(?m)^LCC +3 +2 +1 +2 ")

    def test_csv_headers_are_the_json_keys(self):
        d = self.status("viewer", "--period", Q3)
        r = self.s.cli("viewer", "status", "--period", Q3, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(list(rows[0].keys()), list(d["projects"][0].keys()))
        self.assertEqual(len(rows), 80)
        by = {int(x["ref"]): x for x in rows}
        self.assertEqual(by[5]["flags"], "green_over_variance;narrative_repeated")
        self.assertEqual(by[3]["update_id"], "")  # null is an empty cell, never "null"
        self.assertEqual(by[5]["variance_pct"], "11.1")

    def test_table_leads_with_the_headline(self):
        r = self.s.cli("admin", "status", "--period", Q3)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("Status of 2026-Q3 (July–September 2026), due 2026-10-14, as at "))
        self.assertEqual(lines[1], "Projects 80: 4 reported, 76 outstanding (1 returned), 79 late")
        # the colours add up to the reported: the returned one is counted apart
        self.assertEqual(lines[2], "Reported 4 by confidence: green 1, amber_green 2, amber 0, amber_red 0, red 1; "
                                   "returned 1, no return 75")
        # money like for like: no forecast against a plan cost it was not made for
        self.assertRegex(lines[3], r"^Spend to date £4,500,000\. Forecast £94,200,000 against a plan cost of "
                                   r"£[\d,]+ \([+-]\d+\.\d%\) for the 3 projects reported with both;$")
        self.assertIn("0 more reported a forecast", lines[4])
        # every number is defined where it is shown, "late" with its due date
        head = "\n".join(lines[:9])
        self.assertIn("Late: returns not received by the due date, 2026-10-14, 14 days after the quarter ended",
                      " ".join(head.split()))
        self.assertIn("Reported: a return received and not sent back.", head)
        self.assertRegex(r.stdout, r"(?m)^5 +1\.2 +LCC +live +green +- +1 +2026-10-10 +yes +none +\+11\.1%")

    def test_submitter_sees_its_own_projects_only(self):
        d = self.status("submitter-LCC", "--period", Q3)
        self.assertEqual([p["ref"] for p in d["projects"]], [5, 6, 38])
        self.assertEqual((d["totals"]["projects"], d["totals"]["reported"]), (3, 2))
        self.assertEqual([g["key"] for g in d["totals"]["by_lead"]], ["LCC"])
        # asking for another organisation's projects gives nothing of theirs
        d = self.status("submitter-LCC", "--period", Q3, "--lead", "CA")
        self.assertEqual(d["projects"], [])
        self.assertEqual(d["totals"]["projects"], 0)
        out = self.s.cli_json("submitter-LCC", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-20")
        self.assertEqual([o["organisation"] for o in out], ["LCC"])
        tl = self.s.cli_json("submitter-DATAPLEX", "status", "timeliness", "--from", Q1, "--to", Q3)
        self.assertEqual({x["organisation"] for x in tl}, {"DATAPLEX"})
        diff = self.s.cli_json("submitter-LCC", "status", "diff", Q2, Q3)
        self.assertEqual([x["ref"] for x in diff], [5, 6])

    def test_reminder_role_gets_outstanding_only(self):
        r = self.s.cli("reminder", "status", "--period", Q3)
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("PERMISSION_DENIED", r.stderr)  # plain words, no protocol names
        self.assertIn("showing the status needs the role admin, viewer or submitter", r.stderr)
        out = self.s.cli_json("reminder", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-20")
        self.assertGreater(len(out), 5)
        for args in (["timeliness"], ["diff", Q2, Q3]):
            r = self.s.cli("reminder", "status", *args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("needs the role admin, viewer or submitter", r.stderr)
        r = self.s.cli("reminder", "export", "updates", "--format", "json")
        self.assertEqual(r.returncode, 1)

    # ------------------------------------------------------------ ListOutstanding

    def test_outstanding(self):
        out = self.s.cli_json("admin", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-20")
        self.assertTrue(out)
        for o in out:
            self.assertEqual(list(o), ["organisation", "name", "contact_email", "due", "days_late", "projects",
                                       "returned", "reasons", "sro", "assigned", "overdue_queries"])
            self.assertEqual((o["due"], o["days_late"]), ("2026-10-14", 6))
        orgs = {o["organisation"]: o for o in out}
        self.assertNotIn("DATAPLEX", orgs)  # reported on the 20th
        self.assertEqual(orgs["LCC"]["projects"], ["38"])  # 6's revision 2 came at 10:00 on the 20th
        self.assertIsNone(orgs["LCC"]["contact_email"])
        ca = orgs["CA"]
        self.assertIn("1", ca["projects"])
        self.assertNotIn("2", ca["projects"])
        self.assertEqual(ca["returned"], ["1"])
        self.assertIn("1: returned (update %d): Spend exceeds forecast; check the figures." % self.ids["h"],
                      ca["reasons"])
        # before the due date nobody is late, and what had not arrived yet is outstanding
        early = {o["organisation"]: o for o in self.s.cli_json("admin", "status", "outstanding", "--period", Q3,
                                                                "--as-of", "2026-10-10")}
        # not due yet: no number of days late at all, never "0 late"
        self.assertTrue(all(o["days_late"] is None for o in early.values()))
        table = self.s.cli("admin", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-10")
        self.assertRegex(table.stdout, r"(?m)^LCC +not due yet +\(none\) +6 +never reported")
        self.assertNotRegex(table.stdout, r"(?m)^\S+ +0 +")
        due_day = self.s.cli("admin", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-14")
        self.assertRegex(due_day.stdout, r"(?m)^LCC +due today +")
        self.assertEqual(early["LCC"]["projects"], ["6", "38"])
        self.assertIn("DATAPLEX", early)
        # a contact set by an admin is listed
        r = self.s.cli("admin", "org", "set-contact", "LCC", "digital@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.s.cli_json("admin", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-20")
        self.assertEqual({o["organisation"]: o for o in out}["LCC"]["contact_email"], "digital@example.org")
        table = self.s.cli("admin", "status", "outstanding", "--period", Q3, "--as-of", "2026-10-20")
        self.assertIn("returned: Spend exceeds forecast; check the figures.", table.stdout)
        self.assertRegex(table.stdout, r"(?m)^LCC +6 +digital@example.org +38 +never reported +Total Immersion")

    def test_outstanding_counts_a_co_led_project_once(self):
        """Issue 17: `status outstanding` said 75 where `status` said 73: co-led projects counted twice."""
        totals = self.status("admin", "--period", Q3)["totals"]
        out = self.s.cli_json("admin", "status", "outstanding", "--period", Q3)
        listed = [p for o in out for p in o["projects"]]
        self.assertGreater(len(listed), len(set(listed)))  # co-led projects are listed under each lead
        self.assertEqual(len(set(listed)), totals["outstanding"])
        table = self.s.cli("admin", "status", "outstanding", "--period", Q3)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout.splitlines()[0], r": %d projects, %d organisations$"
                         % (totals["outstanding"], len(out)))
        self.assertIn("a co-led project is listed under each lead and counted once", table.stdout)

    # ------------------------------------------------------------ GetTimeliness

    def test_timeliness(self):
        rows = self.s.cli_json("viewer", "status", "timeliness", "--from", Q1, "--to", "2026-Q4")
        cells = {(x["organisation"], x["period"]): x for x in rows}
        dp = [cells[("DATAPLEX", q)] for q in (Q1, Q2, Q3, "2026-Q4")]
        self.assertEqual([c["status"] for c in dp[:3]], ["missing", "on_time", "late"])
        self.assertEqual([c["days_late"] for c in dp[:3]], [None, 0, 6])  # missing: nothing arrived to count
        self.assertEqual((dp[2]["projects"], dp[2]["reported"], dp[2]["due"]), (1, 1, "2026-10-14"))
        self.assertEqual(dp[2]["returned_at"], "2026-10-20T09:00:00.000000Z")
        self.assertIsNone(dp[0]["returned_at"])
        q4_due = datetime.date(2027, 1, 14)
        today = datetime.datetime.now(datetime.timezone.utc).date()
        self.assertEqual(dp[3]["status"], "not_due" if today <= q4_due else "missing")
        las = cells[("LAS", Q2)]  # one of its three projects reported, six days late
        self.assertEqual((las["status"], las["days_late"], las["projects"], las["reported"]), ("missing", None, 3, 1))
        lcc = cells[("LCC", Q3)]
        self.assertEqual((lcc["status"], lcc["projects"], lcc["reported"]), ("missing", 3, 2))
        # the first arrival counts: CA project 1 was first reported on time in Q2
        ca = cells[("CA", Q2)]
        self.assertEqual(ca["status"], "missing")
        table = self.s.cli("viewer", "status", "timeliness", "--from", Q1, "--to", Q3)
        self.assertRegex(table.stdout, r"(?m)^DATAPLEX +missing 1/1 +on time +late 6d +")
        rows = list(csv.DictReader(io.StringIO(self.s.cli("viewer", "status", "timeliness", "--from", Q1, "--to", Q3,
                                                          "--format", "csv").stdout)))
        self.assertEqual(list(rows[0].keys()), list(self.s.cli_json("viewer", "status", "timeliness", "--from", Q1,
                                                                    "--to", Q3)[0].keys()))
        r = self.s.cli("viewer", "status", "timeliness", "--from", "2010-Q1", "--to", Q3)
        self.assertEqual(r.returncode, 1)
        self.assertIn("at most 40", r.stderr)
        r = self.s.cli("viewer", "status", "timeliness", "--from", Q3, "--to", Q1)
        self.assertEqual(r.returncode, 1)
        self.assertIn("give the earlier period first", r.stderr)

    # ------------------------------------------------------------ DiffPeriods

    def test_diff(self):
        diff = {x["ref"]: x for x in self.s.cli_json("viewer", "status", "diff", Q2, Q3)}
        self.assertEqual(sorted(diff), [1, 2, 3, 5, 6, 8])
        five = diff[5]
        self.assertEqual((five["confidence_from"], five["confidence_to"], five["confidence_change"]),
                         ("amber", "green", "up"))
        self.assertEqual((five["forecast_from_pence"], five["forecast_to_pence"], five["forecast_change_pence"],
                          five["forecast_change_pct"]), (720000000, 800000000, 80000000, 11.1))
        self.assertEqual((five["milestones_achieved"], five["milestones_slipped"]), (["Phase 1"], []))
        one = diff[1]
        self.assertEqual((one["confidence_change"], one["stage_from"], one["stage_to"]),
                         ("down", "live", "early_development"))
        self.assertEqual((one["newly_outstanding"], one["forecast_change_pct"]), (True, -96.6))
        three = diff[3]
        self.assertEqual((three["newly_outstanding"], three["outstanding_from"], three["confidence_change"]),
                         (True, False, None))
        self.assertEqual((diff[6]["outstanding_from"], diff[6]["outstanding_to"], diff[6]["newly_outstanding"]),
                         (True, False, False))
        self.assertEqual(diff[8]["milestones_slipped"], ["Build"])
        self.assertEqual(diff[8]["confidence_change"], "same")
        rows = list(csv.DictReader(io.StringIO(self.s.cli("viewer", "status", "diff", Q2, Q3, "--format",
                                                          "csv").stdout)))
        self.assertEqual(list(rows[0].keys()), list(five.keys()))
        r = self.s.cli("viewer", "status", "diff", Q3, Q3)
        self.assertEqual(r.returncode, 1)
        self.assertIn("two different periods", r.stderr)
        r = self.s.cli("viewer", "status", "diff", Q3)
        self.assertEqual(r.returncode, 2)

    # ------------------------------------------------------------ bad input

    def test_usage_errors(self):
        for args, needle in [(["--period", "2026-Q5"], "not a reporting period"),
                             (["--as-at", "2026-10-20T09:30"], "with Z or an offset"),
                             (["--as-at", "yesterday"], "not a moment"),
                             (["--theme", "x"], "--theme takes a theme number"),
                             (["--stage", "done"], "--stage must be one of"),
                             (["--confidence", "blue"], "--confidence must be one of"),
                             (["--by", "colour"], "--by must be theme, stage, lead or confidence"),
                             (["--format", "xml"], "--format must be")]:
            r = self.s.cli("admin", "status", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr)
        r = self.s.cli("admin", "status", "outstanding", "--as-of", "2026-13-01")
        self.assertEqual(r.returncode, 2)
        r = self.s.cli("admin", "status", "--period", Q3, "--objective", "one")
        self.assertEqual(r.returncode, 1)
        self.assertIn("objective: \"one\" is not an objective", r.stderr)

    def test_server_checks_the_moment_itself(self):
        w = Wire(self.s.daemon.port, tls_context(self.s.pki))
        try:
            body = pb_bytes(1, Q3) + pb_bytes(2, pb_bytes(1, "yesterday"))
            resp = w.call(request(7, GET_STATUS, body))
            self.assertEqual(resp.code, INVALID_ARGUMENT)
            self.assertIn("as at", resp.message)
            self.assertEqual(resp.reason, "invalid_status_request")
            # a page size out of range, and a page token this server never gave
            resp = w.call(request(8, GET_STATUS, pb_bytes(1, Q3) + pb_varint(8, 5000) + pb_bytes(9, "abc")))
            self.assertEqual(resp.code, INVALID_ARGUMENT)
            self.assertIn("2 problems", resp.message)
            # pages: 30 at a time; the totals (over all 80) come with the first page only
            refs, token = [], b""
            for page in range(5):
                resp = w.call(request(9, GET_STATUS, pb_bytes(1, Q3) + pb_varint(8, 30) + pb_bytes(9, token)))
                self.assertEqual(resp.code, 0, resp)
                refs += [first(pb_decode(p), 1, 0) for p in resp.body.get(4, [])]
                if page == 0:
                    self.assertEqual(first(pb_decode(first(resp.body, 5, b"")), 1, 0), 80)
                else:
                    self.assertNotIn(5, resp.body)
                token = first(resp.body, 6, b"")
                if not token:
                    break
            self.assertEqual(refs, list(range(1, 81)))
        finally:
            w.close()

    # ------------------------------------------------------------ export

    def test_export_updates(self):
        r = self.s.cli("viewer", "export", "updates", "--from", Q2, "--to", Q3, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("\ufeff"))
        rows = list(csv.DictReader(io.StringIO(r.stdout[1:])))
        self.assertEqual(len(rows), 10)
        self.assertEqual([int(x["id"]) for x in rows], sorted(self.ids.values()))
        j = self.s.cli_json("viewer", "export", "updates", "--from", Q2, "--to", Q3)
        self.assertEqual(list(rows[0].keys()), list(j[0].keys()))
        by = {x["id"]: x for x in j}
        formula = by[self.ids["i"]]
        self.assertEqual(formula["narrative"], "=1+1 looks like a formula")
        self.assertEqual({int(x["id"]): x for x in rows}[self.ids["i"]]["narrative"], "'=1+1 looks like a formula")
        self.assertTrue(by[self.ids["f"]]["superseded"])
        self.assertEqual(by[self.ids["h"]]["review"], "returned")
        self.assertEqual(by[self.ids["e"]]["milestones"], ["Phase 1|2026-06-30||2026-10-01"])
        self.assertEqual(by[self.ids["c"]]["variance_note"], None)
        only_q3 = self.s.cli_json("viewer", "export", "updates", "--from", Q3, "--format", "json")
        self.assertEqual(len(only_q3), 6)
        mine = self.s.cli_json("submitter-LCC", "export", "updates")
        self.assertEqual(sorted(x["id"] for x in mine), sorted(self.ids[k] for k in "aefg"))
        r = self.s.cli("viewer", "export", "updates")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format csv or --format json is required", r.stderr)

    # ------------------------------------------------------------ the board report

    def test_report_html_in_chromium(self):
        chromium = shutil.which("chromium")
        self.assertIsNotNone(chromium, "chromium is installed by deploy/install-deps.sh")
        out_dir = os.path.join(os.getcwd(), "report-output")
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, "report-2026-Q3.html")
        r = self.s.cli("admin", "report", "html", "--period", Q3, "-o", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("80 projects", r.stderr)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith("<!DOCTYPE html>"))
        for bad in (r"(?i)<script", r"(?i)\bsrc\s*=", r"(?i)\bhref\s*=", r"(?i)url\(", r"(?i)https?:", r"(?i)@import",
                    r"(?i)<link\b"):
            self.assertIsNone(re.search(bad, text), bad)

        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.s.tmp)
        flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--user-data-dir=" + profile]
        dom = subprocess.run(flags + ["--dump-dom", "file://" + path], capture_output=True, text=True, timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        seen = _Text()
        seen.feed(dom.stdout)
        page = " ".join(" ".join(seen.parts).split())
        titles = self.s.sql("SELECT title FROM project ORDER BY ref").splitlines()
        self.assertEqual(len(titles), 80)
        for t in titles:
            self.assertIn(" ".join(t.split()), page)
        self.assertIn("Delivery confidence by theme", page)
        self.assertIn("Spend exceeds forecast; check the figures.", page)
        self.assertRegex(page, r"As of \d{4}-\d\d-\d\d : 76 projects at \d+ organisations")  # co-led ones once
        png = os.path.join(out_dir, "report-2026-Q3.png")
        shot = subprocess.run(flags + ["--screenshot=" + png, "--window-size=1240,1754", "file://" + path],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(shot.returncode, 0, shot.stderr[-2000:])
        with open(png, "rb") as f:
            head = f.read(8)
        self.assertEqual(head, b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(png), 20000)

    def test_report_refusals(self):
        r = self.s.cli("reminder", "report", "html", "--period", Q3, "-o", os.path.join(self.s.tmp, "x.html"))
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.s.tmp, "x.html")))
        r = self.s.cli("admin", "report", "html", "--period", Q3, "-o", "/nonexistent-dir/r.html")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot write /nonexistent-dir/r.html", r.stderr)


class _Text(html.parser.HTMLParser):
    """The text of a DOM, and how many SVG charts carry a title."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.svgs = 0
        self.svg_titles = 0
        self.in_svg = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
            self.in_svg = True
        elif tag == "title" and self.in_svg:
            self.svg_titles += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False

    def handle_data(self, data):
        self.parts.append(data)


if __name__ == "__main__":
    harness.main()
