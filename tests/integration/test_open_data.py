"""`planreg export open-data` (docs/json.md, "Open data") through the real CLI, daemon and PostgreSQL: one row
per project under the published GMPP column names, the CA's rating beside the body's, the approved end date,
baseline and forecast whole-life cost in £m and the variance; JSON with the same keys, null for absent."""

import csv
import io
import json
import os
import sys
import unittest
from decimal import Decimal, ROUND_HALF_UP

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

Q2, Q3 = "2026-Q2", "2026-Q3"
KEYS = ["Project Name", "Department", "Description / Aims", "IPA Delivery Confidence Assessment",
        "SRO Delivery Confidence Assessment",
        "Departmental commentary on actions planned or taken on the IPA RAG rating",
        "Project - Start Date (Latest Approved Start Date)", "Project - End Date (Latest Approved End Date)",
        "Variance (%)", "Budget/forecast variance explanation", "Total Baseline Whole Life Costs (£m)",
        "Total Forecast Whole Life Costs (£m)", "Total Baseline Benefits (£m)"]


def millions(pence):
    return str((Decimal(pence) / Decimal(100000000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class OpenDataTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("open_data", people=("viewer", "submitter-LCC"))

    def submit(self, ref, period, *extra, narrative="On plan."):
        r = self.ok(self.s.cli("submitter-LCC", "update", "submit", str(ref), "--period", period, "--confidence",
                               "green", "--stage", "live", "--narrative", narrative, "--format", "json", *extra))
        return json.loads(r.stdout)["update_id"]

    def test_open_data_rows(self):
        ref = 6
        self.submit(ref, Q2, "--milestone", "Go live|2027-06-30|2027-06-30|")
        uid = self.submit(ref, Q3, "--forecast", "£7.25M", "--milestone", "Go live|2027-06-30|2027-09-30|",
                          "--variance-note", "Supplier delay.", narrative="Slipped a quarter.")
        self.ok(self.s.cli("admin", "update", "review", str(uid), "--accept", "--assurance", "amber_red",
                           "--rationale", "No recovery plan yet."))
        change = [c for c in self.s.cli_json("viewer", "change", "list", "--project", str(ref))
                  if c["state"] == "pending" and c["kind"] == "time"][0]
        self.ok(self.s.cli("admin", "change", "approve", str(change["id"])))
        # baseline benefits: the targets of the indicators measured in money (£m and £), not the others
        for name, unit, target in (("Savings", "£m", "12.5"), ("Grant income", "£", "500000"),
                                   ("Homes", "homes", "1000")):
            self.ok(self.s.cli("admin", "indicator", "add", str(ref), "--name", name, "--unit", unit, "--baseline",
                               "0", "--baseline-date", "2026-01-01", "--target", target, "--target-date",
                               "2028-03-31"))
        status = {p["ref"]: p for p in self.s.cli_json("viewer", "status", "--period", Q3)["projects"]}
        out = self.ok(self.s.cli("viewer", "export", "open-data", "--period", Q3, "--format", "csv")).stdout
        self.assertTrue(out.startswith("\ufeff"))
        rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
        self.assertEqual(rows[0], KEYS)
        self.assertEqual(len(rows) - 1, len(status))  # one row per project, reported or not
        by_name = {r[0]: dict(zip(KEYS, r)) for r in rows[1:]}
        row = by_name[status[ref]["title"]]
        p = status[ref]
        self.assertEqual(row["IPA Delivery Confidence Assessment"], "Amber/Red")
        self.assertEqual(row["SRO Delivery Confidence Assessment"], "Green")
        self.assertEqual(row["Departmental commentary on actions planned or taken on the IPA RAG rating"],
                         "Slipped a quarter.")
        self.assertEqual(row["Project - End Date (Latest Approved End Date)"], "2027-09-30")
        self.assertEqual(row["Project - Start Date (Latest Approved Start Date)"], "")
        self.assertEqual(row["Total Baseline Benefits (£m)"], "13.00")
        self.assertEqual(row["Total Forecast Whole Life Costs (£m)"], "7.25")
        if p["approved_cost_pence"] is not None:
            self.assertEqual(row["Total Baseline Whole Life Costs (£m)"], millions(p["approved_cost_pence"]))
        want_var = "" if p["variance_approved_pct"] is None else "%.1f" % p["variance_approved_pct"]
        self.assertEqual(row["Variance (%)"], want_var)
        self.assertEqual(row["Budget/forecast variance explanation"], "Supplier delay.")
        self.assertEqual(row["Department"], ";".join(p["lead_orgs"]))
        # a project with no return still has its row, its return columns empty
        quiet = next(x for x in status.values() if x["update_id"] is None)
        q = by_name[quiet["title"]]
        self.assertEqual((q["SRO Delivery Confidence Assessment"], q["Total Forecast Whole Life Costs (£m)"]),
                         ("", ""))
        # JSON: the same keys, null for absent
        doc = json.loads(self.ok(self.s.cli("viewer", "export", "open-data", "--period", Q3, "--format",
                                            "json")).stdout)
        self.assertEqual([list(o) for o in doc], [KEYS] * len(doc))
        j = next(o for o in doc if o["Project Name"] == p["title"])
        self.assertEqual(j["Total Baseline Benefits (£m)"], 13.0)
        self.assertEqual(j["Total Forecast Whole Life Costs (£m)"], 7.25)
        self.assertEqual(j["IPA Delivery Confidence Assessment"], "Amber/Red")
        jq = next(o for o in doc if o["Project Name"] == quiet["title"])
        self.assertIsNone(jq["SRO Delivery Confidence Assessment"])
        self.assertIsNone(jq["Total Baseline Benefits (£m)"])  # no indicator in money


if __name__ == "__main__":
    unittest.main()
