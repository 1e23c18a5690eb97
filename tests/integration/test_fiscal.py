"""Reporting periods by financial year (year_start_month = april), against the real daemon, PostgreSQL, CLI
and SMTP: every answer, heading, export, report and mail names the quarter FY2025/26-Q3 with the months it
covers (October-December 2025); either name is read; the register keeps the calendar quarter, so a daemon
started on the same database with the calendar year shows the same returns as 2025-Q4. And the default: a
deployment that sets nothing names and stores quarters exactly as before, and its answers carry nothing new.

The quarters used are in the past whatever day the tests run on: a return may not be for a quarter that has
not begun."""

import csv
import datetime
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import wire  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

DASH = "\u2013"
Q3 = "FY2025/26-Q3"  # 2025-Q4
Q3_MONTHS = "October%sDecember 2025" % DASH
Q4 = "FY2025/26-Q4"  # 2026-Q1
Q4_MONTHS = "January%sMarch 2026" % DASH
Q2 = "FY2025/26-Q2"  # 2025-Q3
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def fy_name(year, quarter):
    """The financial year's name of calendar quarter year-Qquarter, as the tests expect it."""
    index = year * 4 + quarter - 1 - 1
    fy = index // 4
    return "FY%04d/%02d-Q%d" % (fy, (fy + 1) % 100, index % 4 + 1)


def months(year, quarter):
    return "%s%s%s %d" % (MONTHS[(quarter - 1) * 3], DASH, MONTHS[quarter * 3 - 1], year)


def last_ended():
    """The last calendar quarter that has ended, by today's date (UTC): the CLI's default period."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    q = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if q == 1 else (today.year, q - 1)


def submit(s, cred, ref, period, confidence, stage, narrative, *extra):
    args = ["update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage", stage,
            "--narrative", narrative] + list(extra)
    r = s.cli(cred, *args)
    if r.returncode != 0:
        raise AssertionError("submit %d %s: %s%s" % (ref, period, r.stdout, r.stderr))
    return r


class FinancialYearTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("fiscal", daemon_env={"PLANREGD_YEAR_START_MONTH": "april"},
                                people=("viewer", "reminder", "submitter-LCC"))
        s = cls.s
        # project 5 in FY Q2 and Q3 (written both ways), 6 in Q3, 38 in Q4 by CSV
        cls.r5 = submit(s, "submitter-LCC", 5, "2025-Q3", "green", "live", "Network build on schedule.")
        cls.r5b = submit(s, "submitter-LCC", 5, Q3, "amber", "advanced_development", "Supplier delays.",
                         "--spend", "£1.2M")
        submit(s, "submitter-LCC", 6, "fy2025/26-q3", "red", "live", "Behind plan.")
        cls.csv_path = os.path.join(s.tmp, "q4.csv")
        with open(cls.csv_path, "w") as f:
            f.write("ref,period,confidence,stage,narrative\n38,%s,amber_green,live,Going well.\n" % Q4)
        cls.batch = s.cli("submitter-LCC", "update", "submit", "--csv", cls.csv_path)
        if cls.batch.returncode != 0:
            raise AssertionError(cls.batch.stdout + cls.batch.stderr)
        r = s.cli("admin", "org", "set-contact", "LCC", "lcc@example.org")
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        s.sql("UPDATE reminder_policy SET first_run = '2000-01-01'")
        cls.sink = SmtpSink().start()

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.s.close()

    # ------------------------------------------------------------ the setting, and what is stored

    def test_names_are_stored_as_calendar_quarters(self):
        rows = self.s.sql("SELECT project_id, period, revision FROM progress_update ORDER BY id")
        self.assertEqual(rows.split(), ["5|2025-Q3|1", "5|2025-Q4|1", "6|2025-Q4|1", "38|2026-Q1|1"])
        # the receipts name the quarter as the deployment does
        self.assertIn("project 5, %s revision 1" % Q3, self.r5b.stdout)
        self.assertIn("project 5, %s revision 1" % Q2, self.r5.stdout)
        # the stage warning names the quarter before by its financial-year name
        self.assertIn("after live in the %s return" % Q2, self.r5b.stderr)

    def test_whoami_says_how_periods_are_named(self):
        w = self.s.cli_json("viewer", "whoami")
        self.assertEqual(w["year_start_month"], 4)
        r = self.s.cli("viewer", "whoami")
        self.assertRegex(r.stdout, "(?m)^reporting year: +April to March: FY2026/27-Q3 is October%sDecember 2026$"
                         % DASH)

    def test_every_answer_carries_the_setting(self):
        conn = wire.Wire(self.s.daemon.port, wire.tls_context(self.s.pki, "viewer"), timeout=5)
        try:
            resp = conn.call(wire.whoami(1))
            self.assertEqual(wire.first(wire.pb_decode(resp.raw), 5, 0), 4)
            bad = conn.call(wire.get_project(2, 999999))  # a refusal carries it too
            self.assertNotEqual(bad.code, 0)
            self.assertEqual(wire.first(wire.pb_decode(bad.raw), 5, 0), 4)
        finally:
            conn.close()

    # ------------------------------------------------------------ input: both names, each one quarter

    def test_either_name_means_one_quarter(self):
        by_fy = self.s.cli_json("viewer", "update", "list", "--period", Q3)
        by_cal = self.s.cli_json("viewer", "update", "list", "--period", "2025-Q4")
        self.assertEqual(by_fy, by_cal)
        self.assertEqual(sorted(u["ref"] for u in by_fy), [5, 6])
        self.assertEqual({u["period"] for u in by_fy}, {Q3})

    def test_a_name_that_is_no_quarter_says_what_to_write(self):
        for bad in ("FY2025/27-Q3", "FY2025-26-Q3", "2025-Q5", "Q3 2025"):
            r = self.s.cli("viewer", "update", "list", "--period", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn('--period "%s" is not a reporting period: write the quarter as 2026-Q3 (July to September '
                          '2026) or as FY2026/27-Q3 (the financial year from April 2026: October to December 2026)'
                          % bad, r.stderr)
        r = self.s.cli("submitter-LCC", "update", "submit", "5", "--period", "FY2099/00-Q1", "--confidence", "green",
                       "--stage", "live", "--narrative", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("FY2099/00-Q1 is after the current quarter (FY", r.stderr)

    # ------------------------------------------------------------ every heading and listing

    def test_update_list_show_and_history(self):
        r = self.s.cli("viewer", "update", "list", "--period", Q3, "--format", "table")
        self.assertEqual(r.stdout.splitlines()[0], "Updates for %s (%s): 2" % (Q3, Q3_MONTHS))
        self.assertRegex(r.stdout, r"(?m)^\d+ +5 +%s +1 " % Q3)
        rows = list(csv.DictReader(io.StringIO(self.s.cli("viewer", "update", "list", "--period", Q3,
                                                          "--format", "csv").stdout)))
        self.assertEqual({row["period"] for row in rows}, {Q3})
        uid = json.loads(self.s.cli("viewer", "update", "list", "--period", Q3, "--format", "json").stdout)[0]["id"]
        show = self.s.cli("viewer", "update", "show", str(uid))
        self.assertRegex(show.stdout, r"(?m)^period: +%s \(%s\)$" % (Q3, Q3_MONTHS))
        hist = self.s.cli_json("viewer", "update", "history", "5")
        self.assertEqual(sorted(u["period"] for u in hist), [Q2, Q3])

    def test_template(self):
        r = self.s.cli("submitter-LCC", "update", "template", "--period", Q4)
        rows = {int(row["ref"]): row for row in csv.DictReader(io.StringIO(r.stdout))}
        self.assertEqual({row["period"] for row in rows.values()}, {Q4})
        self.assertEqual(rows[5]["last_period"], Q3)
        self.assertEqual(rows[38]["last_period"], Q4)
        table = self.s.cli("submitter-LCC", "update", "template", "--period", Q4, "--format", "table")
        self.assertTrue(table.stdout.startswith("The form for %s (%s): 3 projects" % (Q4, Q4_MONTHS)),
                        table.stdout)
        # the form sent back as it is names its quarter the same way, and is read: the row is unchanged
        path = os.path.join(self.s.tmp, "form.csv")
        with open(path, "w") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[38].keys()))
            w.writeheader()
            w.writerow(rows[38])
        back = self.s.cli("submitter-LCC", "update", "submit", "--csv", path)
        self.assertEqual(back.returncode, 0, back.stderr)
        self.assertIn("unchanged", back.stdout)

    def test_status_outstanding_diff_timeliness(self):
        r = self.s.cli("viewer", "status", "--period", Q3)
        self.assertTrue(r.stdout.startswith("Status of %s (%s), due 2026-01-14, as at " % (Q3, Q3_MONTHS)), r.stdout)
        self.assertEqual(self.s.cli_json("viewer", "status", "--period", Q3)["period"], Q3)
        # the default is the last quarter that ended, named as the deployment names it
        year, q = last_ended()
        r = self.s.cli("viewer", "status")
        self.assertTrue(r.stdout.startswith("Status of %s (%s), due " % (fy_name(year, q), months(year, q))),
                        r.stdout)
        r = self.s.cli("viewer", "status", "outstanding", "--period", Q3, "--as-of", "2026-01-20")
        self.assertTrue(r.stdout.startswith("Outstanding returns for %s (%s), due 2026-01-14, 14 days after the "
                                            "quarter ended, as of 2026-01-20: " % (Q3, Q3_MONTHS)), r.stdout)
        r = self.s.cli("viewer", "status", "diff", Q2, Q3)
        self.assertTrue(r.stdout.startswith("Changes from %s (July%sSeptember 2025) to %s (%s): "
                                            % (Q2, DASH, Q3, Q3_MONTHS)), r.stdout)
        r = self.s.cli("viewer", "status", "diff", Q3, "2025-Q4")
        self.assertEqual(r.returncode, 1)
        self.assertIn("compare two different periods, not %s with itself" % Q3, r.stderr)
        r = self.s.cli("viewer", "status", "timeliness", "--from", Q2, "--to", Q4)
        self.assertEqual(r.stdout.splitlines()[0], "Returns by organisation, %s (July%sSeptember 2025) to %s (%s)"
                         % (Q2, DASH, Q4, Q4_MONTHS))
        self.assertRegex(r.stdout, r"(?m)^ORG +%s +%s +%s +NAME" % (Q2, Q3, Q4))
        cells = self.s.cli_json("viewer", "status", "timeliness", "--from", Q2, "--to", Q4)
        self.assertEqual(sorted({c["period"] for c in cells}), [Q2, Q3, Q4])
        r = self.s.cli("viewer", "status", "timeliness", "--from", Q4, "--to", Q2)
        self.assertIn("%s is before %s: give the earlier period first" % (Q2, Q4), r.stderr)

    def test_export(self):
        r = self.s.cli("viewer", "export", "updates", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"))))
        self.assertEqual([(int(x["ref"]), x["period"]) for x in rows], [(5, Q2), (5, Q3), (6, Q3), (38, Q4)])
        later = self.s.cli_json("viewer", "export", "updates", "--from", Q4)
        self.assertEqual([(x["ref"], x["period"]) for x in later], [(38, Q4)])
        r = self.s.cli("viewer", "export", "updates", "--from", Q4, "--to", Q3, "--format", "csv")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s is before %s" % (Q3, Q4), r.stderr)

    def test_board_report(self):
        path = os.path.join(self.s.tmp, "board.html")
        page = self.s.cli_output("viewer", path, "report", "html", "--period", Q3)
        self.assertIn("Board report %s</title>" % Q3, page)
        self.assertIn("Board report, quarter <bdi>%s (%s)</bdi>" % (Q3, Q3_MONTHS), page)
        # the movement and the exceptions compare with the quarter before, by its name
        self.assertIn("Rows: the rating in %s; columns: the rating in <bdi>%s</bdi>" % (Q2, Q3), page)
        self.assertIn("since %s" % Q2, page)
        self.assertNotIn("2025-Q4", page)
        self.assertNotIn("2025-Q3", page)

    # ------------------------------------------------------------ the reminder job

    def test_reminder_mail(self):
        n = len(self.sink.messages)
        r = self.s.cli("reminder", "remind", "run", "--period", Q4, "--as-of", "2026-04-20", "--smtp",
                       "smtp://127.0.0.1:%d" % self.sink.port, "--from", "planreg@example.org", "--format", "json")
        self.assertIn(r.returncode, (0, 1), r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["period"], out["due"]), (Q4, "2026-04-14"))
        mail = [m for m in self.sink.messages[n:] if "lcc@example.org" in [a.lower() for a in m["rcpt_tos"]]]
        self.assertEqual(len(mail), 1)
        m = mail[0]
        self.assertEqual(m["headers"]["Subject"], "[planreg] %s progress returns overdue (6 days): 2 projects" % Q4)
        print("\n---- the mail as LCC receives it, in financial years\nSubject: %s\n%s" % (
            m["headers"]["Subject"], m["headers"].get_content().replace("\r\n", "\n")))
        text = " ".join(m["headers"].get_content().split())
        self.assertIn("Quarterly progress returns for %s, the reporting period from 1 January to 31 March 2026, were "
                      "due on Tuesday 14 April 2026 and are now 6 days late." % Q4, text)
        self.assertIn("nothing reported for %s yet" % Q4, text)
        # a file name has no "/": the command works as written
        self.assertIn("planreg update template --period %s --format csv > FY2025-26-Q4-LCC.csv" % Q4, text)
        self.assertIn("planreg update submit --csv FY2025-26-Q4-LCC.csv", text)
        self.assertIn("reported for %s" % Q3, text)  # the example starts from project 5's last return
        self.assertNotIn("2026-Q1", text)
        self.assertNotIn("2025-Q4", text)
        # the line the job prints for people
        r = self.s.cli("reminder", "remind", "run", "--period", Q4, "--as-of", "2026-04-20", "--dry-run")
        self.assertIn("remind %s (1 January to 31 March 2026, due Tuesday 14 April 2026) as of 2026-04-20" % Q4,
                      r.stdout)
        log = self.s.cli_json("reminder", "remind", "log", "--period", Q4)
        self.assertTrue(log)
        self.assertEqual({x["period"] for x in log}, {Q4})

    # ------------------------------------------------------------ changing the setting renames, never moves

    def test_a_calendar_daemon_on_the_same_register(self):
        d = harness.Daemon(self.s.db, self.s.pki, self.s.tmp)
        try:
            rows = json.loads(self.s.cli("viewer", "update", "list", "--period", "2025-Q4", "--format", "json",
                                         port=d.port).stdout)
            self.assertEqual(sorted((u["ref"], u["period"]) for u in rows), [(5, "2025-Q4"), (6, "2025-Q4")])
            # the financial year's name still means the same quarter there
            again = json.loads(self.s.cli("viewer", "update", "list", "--period", Q3, "--format", "json",
                                          port=d.port).stdout)
            self.assertEqual(again, rows)
            r = self.s.cli("viewer", "status", "--period", Q3, port=d.port)
            self.assertTrue(r.stdout.startswith("Status of 2025-Q4 (%s), due 2026-01-14" % Q3_MONTHS), r.stdout)
        finally:
            d.stop()


class CalendarDefaultTest(unittest.TestCase):
    """Nothing set: quarters are named, stored and sent exactly as before the setting existed."""

    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("fiscal-cal", people=("viewer", "submitter-LCC"))
        cls.r = submit(cls.s, "submitter-LCC", 5, "2025-Q4", "green", "live", "On track.")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_names_as_before(self):
        self.assertIn("project 5, 2025-Q4 revision 1", self.r.stdout)
        self.assertEqual(self.s.sql("SELECT period FROM progress_update").split(), ["2025-Q4"])
        rows = self.s.cli_json("viewer", "update", "list", "--period", "2025-Q4")
        self.assertEqual([(u["ref"], u["period"]) for u in rows], [(5, "2025-Q4")])
        # a financial year's name is read here too, as the same quarter, and named the calendar's way
        self.assertEqual(self.s.cli_json("viewer", "update", "list", "--period", Q3), rows)
        exp = list(csv.DictReader(io.StringIO(self.s.cli("viewer", "export", "updates", "--format",
                                                         "csv").stdout.lstrip("\ufeff"))))
        self.assertEqual([x["period"] for x in exp], ["2025-Q4"])
        self.assertEqual(self.s.cli_json("viewer", "status", "--period", "2025-Q4")["period"], "2025-Q4")
        # the headings give the months
        r = self.s.cli("viewer", "status", "--period", "2025-Q4")
        self.assertTrue(r.stdout.startswith("Status of 2025-Q4 (%s), due 2026-01-14, as at " % Q3_MONTHS), r.stdout)
        w = self.s.cli_json("viewer", "whoami")
        self.assertEqual(w["year_start_month"], 1)
        self.assertRegex(self.s.cli("viewer", "whoami").stdout,
                         "(?m)^reporting year: +January to December: 2026-Q3 is July%sSeptember 2026$" % DASH)

    def test_answers_carry_nothing_new(self):
        conn = wire.Wire(self.s.daemon.port, wire.tls_context(self.s.pki, "viewer"), timeout=5)
        try:
            resp = conn.call(wire.whoami(1))
            self.assertEqual(resp.code, 0)
            self.assertNotIn(5, wire.pb_decode(resp.raw))
        finally:
            conn.close()


if __name__ == "__main__":
    harness.main()
