"""The reminder job against a real SMTP server (Debian's aiosmtpd), the real
daemon and PostgreSQL: one digest per recipient, never empty, never twice (on a
rerun or two runs at once), SMTP failures retried by the next run, the policy's
steps at their boundaries, escalation to the Combined Authority (and none in the
grace after the job's first run), returned updates chased again, UTF-8 intact,
and the systemd units. The mails are read as an officer reads them: the period
explained, the Reply-To and the person to ask, the project's own values in the
example, what comes next and when, every organisation once in the CA's digest,
and several contacts (with names) each getting the same message.

Each scenario uses its own quarter: a reminder step is keyed by (organisation,
period, step), so scenarios in one database do not see each other's steps."""

import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import free_port  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

LCC_PROJECTS = [5, 6, 38]
PROGRAMME = "Lorna Rogers <lorna.rogers@lcr.example>"
EARLY_FIRST_RUN = "2000-01-01"  # the job "has run for years": no grace in the tests that are not about it


def flat(text):
    """The text with its line breaks and runs of spaces as single spaces: paragraphs are wrapped."""
    return " ".join(text.split())


def words(day):
    """A date as the reminders write it: "Wednesday 14 October 2026"."""
    d = datetime.date.fromisoformat(day)
    return "%s %d %s %d" % (d.strftime("%A"), d.day, d.strftime("%B"), d.year)


class RemindTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("remind", people=("reminder", "viewer", "submitter-LCC"))
        for code, addr in (("LCC", "lcc@example.org"), ("CA", "pmo@example.org")):
            r = cls.s.cli("admin", "org", "set-contact", code, addr)
            if r.returncode != 0:
                raise AssertionError(r.stderr)
        r = cls.s.cli("admin", "remind", "policy", "set", "--programme-contact", PROGRAMME)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        cls.s.sql("UPDATE reminder_policy SET first_run = '%s'" % EARLY_FIRST_RUN)
        cls.sink = SmtpSink().start()
        cls.orgs = json.loads(cls.s.cli("admin", "org", "list", "--format", "json").stdout)
        cls.leads = {o["code"] for o in cls.orgs if o["projects_led"] > 0}

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.s.close()

    def run_job(self, period, as_of, *extra, port=None, cred="reminder"):
        args = ["remind", "run", "--period", period, "--as-of", as_of, "--smtp",
                "smtp://127.0.0.1:%d" % (port or self.sink.port), "--from", "planreg@example.org",
                "--format", "json"] + list(extra)
        r = self.s.cli(cred, *args)
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        return r, json.loads(r.stdout)

    def new_mail(self, before):
        return self.sink.messages[before:]

    @staticmethod
    def to(msg):
        return [a.lower() for a in msg["rcpt_tos"]]

    def body(self, msg):
        """The text as the reader sees it (the message's CRLF line ends as LF)."""
        return msg["headers"].get_content().replace("\r\n", "\n")

    # ------------------------------------------------------------ the scenario

    def test_done_when(self):
        n = len(self.sink.messages)
        r, out = self.run_job("2026-Q3", "2026-10-20")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((out["sent"], out["failed"], out["due"]), (2, 0, "2026-10-14"))
        mail = self.new_mail(n)
        self.assertEqual(sorted(self.to(m)[0] for m in mail), ["lcc@example.org", "pmo@example.org"])
        by = {self.to(m)[0]: m for m in mail}
        lcc = by["lcc@example.org"]
        self.assertEqual(lcc["headers"]["Subject"], "[planreg] 2026-Q3 progress returns overdue (6 days): 3 projects")
        text = self.body(lcc)
        for ref in LCC_PROJECTS:
            self.assertRegex(text, r"(?m)^  %-5d \S" % ref)
        self.assertIn("Liverpool City Council (LCC): 3 projects outstanding", text)
        self.assertIn("planreg update template --period 2026-Q3 --format csv > 2026-Q3-LCC.csv", text)
        self.assertIn("planreg update submit --csv 2026-Q3-LCC.csv", text)
        self.assertIn("nothing reported for 2026-Q3 yet", text)
        print("\n---- the mail as LCC receives it\n%s%s" % (
            "".join("%s: %s\n" % (h, lcc["headers"][h]) for h in ("From", "To", "Reply-To", "Subject")), text))
        # the period and its due date in words; replies to a person, who is named as the one to ask
        self.assertIn("Quarterly progress returns for 2026-Q3, the reporting period from 1 July to 30 September 2026, "
                      "were due on Wednesday 14 October 2026 and are now 6 days late.", flat(text))
        self.assertEqual(lcc["headers"]["Reply-To"], PROGRAMME)
        self.assertIn("Not set up with planreg yet? Ask %s, the Combined Authority's programme contact, for an "
                      "invitation to planreg for Liverpool City Council (LCC): reply to this message. It comes as a "
                      "one-line code; on your own computer, `planreg join CODE` sets you up in a minute."
                      % PROGRAMME, flat(text))
        # the example is a project of LCC's with its own values: nothing reported yet, so the register's stage
        stage = self.s.cli_json("viewer", "projects", "show", "5")["stage"]
        self.assertIn("planreg update submit 5 --period 2026-Q3 --confidence CONFIDENCE --stage %s \\\n" % stage, text)
        # what comes next, and when: no promise that a reminder is sent once
        self.assertNotIn("sent once", text)
        self.assertIn("While any of them is outstanding, a reminder comes every 7 days: the next on Tuesday 27 October "
                      "2026. If they are still outstanding on Wednesday 28 October 2026, 14 days late, the Combined "
                      "Authority's programme contact is told. The reminders stop as soon as every project above is "
                      "reported.", flat(text))
        self.assertIn("You receive this because you are a contact for Liverpool City Council (LCC) in planreg. Replies "
                      "go to %s" % PROGRAMME, flat(text))
        pmo = self.body(by["pmo@example.org"])
        # the CA's own projects, then every lead organisation without a contact: each once, in a few lines
        self.assertIn("== Liverpool City Region Combined Authority (CA): ", pmo)
        others = self.leads - {"LCC", "CA"}
        for code in others:
            self.assertEqual(len(re.findall(r"(?m)^-- .* \(%s\): \d+ projects? outstanding$" % re.escape(code), pmo)), 1,
                             code)
        self.assertEqual(pmo.count("It has no contact address in planreg, so its reminder comes to you."), len(others))
        self.assertIn("%d organisations with no contact address in planreg, whose reminders come to you" % len(others),
                      pmo)
        self.assertLess(len(pmo.splitlines()), 250, "the CA's digest runs to %d lines" % len(pmo.splitlines()))
        self.assertNotIn("(LCC)", pmo)
        steps = {s for m in out["messages"] for s in m["steps"]}
        self.assertEqual(steps, {"%s:overdue-1" % c for c in self.leads})

        # again: nothing
        r, out = self.run_job("2026-Q3", "2026-10-20")
        self.assertEqual((r.returncode, out["sent"], out["messages"]), (0, 0, []))
        self.assertIn("nothing due", self.s.cli("reminder", "remind", "run", "--period", "2026-Q3", "--as-of",
                                                "2026-10-20", "--smtp", "smtp://127.0.0.1:%d" % self.sink.port,
                                                "--from", "planreg@example.org").stdout)
        self.assertEqual(len(self.sink.messages), n + 2)

        # LCC reports everything; a week later it hears nothing, the others are reminded again
        for ref in LCC_PROJECTS:
            s = self.s.cli("submitter-LCC", "update", "submit", str(ref), "--period", "2026-Q3", "--confidence",
                           "amber", "--stage", "live", "--narrative", "Reported.")
            self.assertEqual(s.returncode, 0, s.stderr)
        n = len(self.sink.messages)
        r, out = self.run_job("2026-Q3", "2026-10-27")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([self.to(m) for m in self.new_mail(n)], [["pmo@example.org"]])
        self.assertEqual({s for m in out["messages"] for s in m["steps"]},
                         {"%s:overdue-2" % c for c in self.leads - {"LCC"}})

        log = self.s.cli_json("viewer", "remind", "log", "--period", "2026-Q3")
        self.assertEqual([(x["recipient"], x["state"]) for x in log],
                         [("lcc@example.org", "delivered"), ("pmo@example.org", "delivered"),
                          ("pmo@example.org", "delivered")] if log[0]["recipient"] == "lcc@example.org" else
                         [("pmo@example.org", "delivered"), ("lcc@example.org", "delivered"),
                          ("pmo@example.org", "delivered")])
        self.assertEqual(list(log[0]), ["id", "period", "as_of", "recipient", "subject", "state", "claimed_at",
                                        "claimed_by", "acked_at", "error", "steps"])
        self.assertEqual(log[0]["claimed_by"], "reminder")

    # ------------------------------------------------------------ policy steps at their boundaries

    def test_policy_boundaries_and_escalation(self):
        period = "2026-Q2"  # due 2026-07-14
        expect = [("2026-07-06", None, 0), ("2026-07-07", "before", 2), ("2026-07-10", None, 0),
                  ("2026-07-14", "due", 2), ("2026-07-15", "overdue-1", 2), ("2026-07-21", None, 0),
                  ("2026-07-22", "overdue-2", 2), ("2026-07-28", "escalate", 1), ("2026-07-29", "overdue-3", 2)]
        subjects = {}
        for day, step, count in expect:
            n = len(self.sink.messages)
            r, out = self.run_job(period, day)
            self.assertEqual(r.returncode, 0, day + r.stderr)
            self.assertEqual(out["sent"], count, day)
            got = {s.split(":")[1] for m in out["messages"] for s in m["steps"]}
            self.assertEqual(got, {step} if step else set(), day)
            mail = self.new_mail(n)
            self.assertEqual(len(mail), count, day)
            for m in mail:
                subjects[(day, self.to(m)[0])] = m["headers"]["Subject"]
        self.assertEqual(subjects[("2026-07-07", "lcc@example.org")],
                         "[planreg] 2026-Q2 progress returns due in 7 days: 3 projects")
        self.assertEqual(subjects[("2026-07-14", "lcc@example.org")],
                         "[planreg] 2026-Q2 progress returns due today: 3 projects")
        self.assertEqual(subjects[("2026-07-15", "lcc@example.org")],
                         "[planreg] 2026-Q2 progress returns overdue (1 day): 3 projects")
        escalated = len(self.leads - {"CA"})
        self.assertRegex(subjects[("2026-07-28", "pmo@example.org")],
                         r"^\[planreg\] 2026-Q2 progress returns overdue \(14 days\): \d+ projects, %d organisations "
                         r"escalated$" % escalated)
        esc = [m for m in self.sink.messages if m["headers"]["Subject"] == subjects[("2026-07-28", "pmo@example.org")]]
        text = self.body(esc[0])
        self.assertIn("-- Liverpool City Council (LCC): 3 projects outstanding\n"
                      "   Escalated: 14 days late. Its reminders go to lcc@example.org.\n", text)
        self.assertEqual(text.count("(LCC): "), 1)
        # and LCC's own reminder after it says the CA has been told
        lcc = [m for m in self.sink.messages if m["headers"]["Subject"] ==
               subjects[("2026-07-29", "lcc@example.org")]]
        self.assertIn("The Combined Authority's programme contact has been told that they are late.",
                      flat(self.body(lcc[-1])))

        # a dry run shows the next step without claiming it
        r = self.s.cli("reminder", "remind", "run", "--period", period, "--as-of", "2026-08-05", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("would send to lcc@example.org (LCC:overdue-4)", r.stdout)
        self.assertIn("2 would be sent (dry run: nothing claimed)", r.stdout)
        r, out = self.run_job(period, "2026-08-05")
        self.assertEqual(out["sent"], 2)

    def test_a_late_reminder_is_not_followed_the_next_day(self):
        """The overdue steps fall on the first day late and every 7 days after (the 15th, the 22nd...); a first
        one sent on the 20th (the job's first run, a contact just added) holds the second back to the 27th."""
        period = "2022-Q4"  # due 2023-01-14
        r, out = self.run_job(period, "2023-01-20")
        self.assertEqual((r.returncode, out["sent"]), (0, 2), r.stderr)
        self.assertEqual({s.split(":")[1] for m in out["messages"] for s in m["steps"]}, {"overdue-1"})
        texts = {self.to(m)[0]: flat(self.body(m)) for m in self.sink.messages[-2:]}
        self.assertIn("a reminder comes every 7 days: the next on %s." % words("2023-01-27"), texts["lcc@example.org"])
        self.assertIn("The next reminders go on %s to every organisation still outstanding, then every 7 days."
                      % words("2023-01-27"), texts["pmo@example.org"])
        for day in ("2023-01-22", "2023-01-26"):  # overdue-2's window opened on the 22nd: it waits
            r, out = self.run_job(period, day)
            self.assertEqual((r.returncode, out["sent"], out["messages"]), (0, 0, []), day + r.stderr)
        r, out = self.run_job(period, "2023-01-27")
        self.assertEqual((r.returncode, out["sent"]), (0, 2), r.stderr)
        self.assertEqual({s.split(":")[1] for m in out["messages"] for s in m["steps"]}, {"overdue-2"})

    # ------------------------------------------------------------ what the mail says, for the people who read it

    def test_example_uses_the_projects_own_values(self):
        """Project 38 last reported for 2023-Q4 as live (the register still says advanced development): the
        2024-Q1 reminder's example is that project, with that stage, confidence, spend and forecast."""
        self.assertEqual(self.s.cli_json("viewer", "projects", "show", "38")["stage"], "advanced_development")
        r = self.s.cli("submitter-LCC", "update", "submit", "38", "--period", "2023-Q4", "--confidence", "amber_red",
                       "--stage", "live", "--narrative", "Phase 1 open.", "--spend", "£1.3M", "--forecast", "£2.6M")
        self.assertEqual(r.returncode, 0, r.stderr)
        n = len(self.sink.messages)
        r, out = self.run_job("2024-Q1", "2024-04-20")
        self.assertEqual(r.returncode, 0, r.stderr)
        lcc = {self.to(m)[0]: m for m in self.new_mail(n)}["lcc@example.org"]
        text = self.body(lcc)
        self.assertIn("project 38 as reported for 2023-Q4 (amber_red, live):", flat(text))
        self.assertIn("    planreg update submit 38 --period 2024-Q1 --confidence amber_red --stage live \\\n"
                      "        --spend £1,300,000 --forecast £2,600,000 \\\n"
                      "        --narrative \"What happened this quarter.\"\n", text)
        self.assertNotIn("--stage advanced_development", text)
        self.assertIn("for 2024-Q1, the reporting period from 1 January to 31 March 2024, were due on %s and are now "
                      "6 days late" % words("2024-04-14"), flat(text))
        # the run's own summary explains the period too
        r = self.s.cli("reminder", "remind", "run", "--period", "2024-Q1", "--as-of", "2024-04-20", "--dry-run")
        self.assertIn("remind 2024-Q1 (1 January to 31 March 2024, due %s) as of 2024-04-20" % words("2024-04-14"),
                      r.stdout)
        self.assertIn("Reply-To: %s" % PROGRAMME, self.s.cli("reminder", "remind", "run", "--period", "2024-Q1",
                                                            "--as-of", "2024-04-27", "--dry-run").stdout)

    def test_first_run_grace(self):
        """A new deployment's first run comes long after 2023-Q3 was due: everybody is reminded, nobody escalated
        until the grace (14 days) after that first run has passed; then every late organisation once."""
        period, due = "2023-Q3", "2023-10-14"
        self.s.sql("UPDATE reminder_policy SET first_run = NULL")
        try:
            # a dry run records nothing
            r = self.s.cli("reminder", "remind", "run", "--period", period, "--as-of", "2023-11-13", "--dry-run")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.s.cli_json("viewer", "remind", "policy", "show")["first_run"], None)
            n = len(self.sink.messages)
            r, out = self.run_job(period, "2023-11-20")  # 37 days late, the job's first run
            self.assertEqual(r.returncode, 0, r.stderr)
            steps = {s for m in out["messages"] for s in m["steps"]}
            self.assertEqual(steps, {"%s:overdue-6" % c for c in self.leads})  # no escalate step
            p = self.s.cli_json("viewer", "remind", "policy", "show")
            self.assertEqual((p["first_run"], p["escalate_grace"]), ("2023-11-20", 14))
            by = {self.to(m)[0]: self.body(m) for m in self.new_mail(n)}
            self.assertIn("Nothing is escalated before %s: the reminder job first ran on %s, and gives organisations "
                          "14 days from then to hear from it first" % (words("2023-12-04"), words("2023-11-20")),
                          flat(by["pmo@example.org"]))
            self.assertIn("If they are still outstanding on %s, 51 days late, the Combined Authority's programme "
                          "contact is told." % words("2023-12-04"), flat(by["lcc@example.org"]))
            self.assertIn("the next on %s." % words("2023-11-27"), flat(by["lcc@example.org"]))  # a week after this one
            r, out = self.run_job(period, "2023-11-27")  # a week on: still within the grace
            self.assertEqual({s.split(":")[1] for m in out["messages"] for s in m["steps"]}, {"overdue-7"})
            r, out = self.run_job(period, "2023-12-04")  # the grace is over: each late organisation, once
            escalated = sorted(s.split(":")[0] for m in out["messages"] for s in m["steps"] if s.endswith(":escalate"))
            self.assertEqual(escalated, sorted(self.leads - {"CA"}))
            r, out = self.run_job(period, "2023-12-05")
            self.assertEqual(out["messages"], [])
            # the grace is the policy's
            r = self.s.cli("admin", "remind", "policy", "set", "--escalate-grace", "400")
            self.assertEqual(r.returncode, 2)
            self.assertIn("--escalate-grace takes 0-365 days", r.stderr)
        finally:
            self.s.sql("UPDATE reminder_policy SET first_run = '%s'" % EARLY_FIRST_RUN)

    def test_several_contacts_each_get_the_mail(self):
        """STFC's reminders go to a named person and a team address: one message to both, each told the other
        got it; an address refused by the mail server does not keep it from the other."""
        refusals = [("James Bedford james@stfc.example", "put the name first and the address in angle brackets"),
                    ("Bedford, James <james@stfc.example>", "put the whole name in double quotes"),
                    ("james@stfc", "its domain has no dot"),
                    ("james@stfc.example, hartree@stfc.example", "give each address on its own")]
        for bad, why in refusals:
            r = self.s.cli("admin", "org", "set-contact", "STFC", bad)
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn('"%s" is not an e-mail address: ' % bad, r.stderr)
            self.assertIn(why, r.stderr)
            self.assertIn("write name@example.org, or Full Name <name@example.org>", r.stderr)
        r = self.s.cli("admin", "org", "set-contact", "STFC", "James Bedford <james.bedford@stfc.example>",
                       "hartree@stfc.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            stfc = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}["STFC"]
            self.assertEqual(stfc["contacts"], ["James Bedford <james.bedford@stfc.example>", "hartree@stfc.example"])
            self.assertEqual(stfc["contact_email"], "james.bedford@stfc.example")
            n = len(self.sink.messages)
            r, out = self.run_job("2023-Q2", "2023-07-20")
            self.assertEqual(r.returncode, 0, r.stderr)
            mail = self.new_mail(n)
            to_stfc = [m for m in mail if "hartree@stfc.example" in self.to(m)]
            self.assertEqual(len(to_stfc), 1)
            m = to_stfc[0]
            self.assertEqual(sorted(self.to(m)), ["hartree@stfc.example", "james.bedford@stfc.example"])
            self.assertEqual(m["headers"]["To"], "James Bedford <james.bedford@stfc.example>, hartree@stfc.example")
            self.assertEqual(m["headers"]["Reply-To"], PROGRAMME)
            self.assertIn("Science and Technology Facilities Council (STFC): 6 projects outstanding", self.body(m))
            pmo = [self.body(x) for x in mail if self.to(x) == ["pmo@example.org"]][0]
            self.assertNotIn("(STFC)", pmo)
            log = [x for x in self.s.cli_json("viewer", "remind", "log", "--period", "2023-Q2") if "STFC:overdue-1" in
                   x["steps"]]
            self.assertEqual(log[0]["recipient"], "James Bedford <james.bedford@stfc.example>, hartree@stfc.example")

            # the team address is refused: James still gets it; the run says which address to correct
            refusing = SmtpSink(reject_rcpt={"hartree@stfc.example"}).start()
            try:
                r, out = self.run_job("2023-Q1", "2023-04-20", port=refusing.port)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                (sent,) = [x for x in out["messages"] if "STFC:overdue-1" in x["steps"]]
                self.assertEqual(sent["result"], "partly_sent")
                self.assertIn("hartree@stfc.example (SMTP 550", sent["error"])
                self.assertNotIn("james", sent["error"])
                got = [x for x in refusing.messages if "james.bedford@stfc.example" in self.to(x)]
                self.assertEqual([self.to(x) for x in got], [["james.bedford@stfc.example"]])
            finally:
                refusing.stop()
            (rec,) = [x for x in self.s.cli_json("viewer", "remind", "log", "--period", "2023-Q1") if
                      "STFC:overdue-1" in x["steps"]]
            self.assertEqual(rec["state"], "delivered")
            self.assertIn("hartree@stfc.example", rec["error"])
            r, out = self.run_job("2023-Q1", "2023-04-20")
            self.assertNotIn("STFC:overdue-1", [s for x in out["messages"] for s in x["steps"]])  # not sent again
        finally:
            self.s.sql("UPDATE organisation SET contacts = '{}' WHERE code = 'STFC'")

    # ------------------------------------------------------------ failures are retried, never lost

    def test_smtp_down_then_delivered(self):
        period = "2026-Q1"  # due 2026-04-14
        closed = free_port()
        n = len(self.sink.messages)
        r = self.s.cli("reminder", "remind", "run", "--period", period, "--as-of", "2026-04-20", "--smtp",
                       "smtp://127.0.0.1:%d" % closed, "--from", "planreg@example.org")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("FAILED"), 2, r.stdout)
        self.assertIn("will be retried", r.stdout)
        self.assertIn("0 sent, 2 failed", r.stdout)
        self.assertEqual(len(self.sink.messages), n)
        log = self.s.cli_json("viewer", "remind", "log", "--period", period)
        self.assertEqual([x["state"] for x in log], ["failed", "failed"])
        self.assertTrue(all(x["error"] for x in log))
        # the next run delivers both, once
        r, out = self.run_job(period, "2026-04-20")
        self.assertEqual((r.returncode, out["sent"], out["failed"]), (0, 2, 0))
        self.assertEqual(len(self.new_mail(n)), 2)
        r, out = self.run_job(period, "2026-04-20")
        self.assertEqual(out["sent"], 0)
        log = self.s.cli_json("viewer", "remind", "log", "--period", period)
        self.assertEqual([x["state"] for x in log], ["failed", "failed", "delivered", "delivered"])

        # one recipient refused: the other still goes; the refused one goes next time
        period = "2025-Q2"  # due 2025-07-14
        refusing = SmtpSink(reject_rcpt={"lcc@example.org"}).start()
        try:
            r, out = self.run_job(period, "2025-07-20", port=refusing.port)
            self.assertEqual(r.returncode, 1)
            results = {m["recipient"]: m for m in out["messages"]}
            self.assertEqual(results["pmo@example.org"]["result"], "sent")
            self.assertEqual(results["lcc@example.org"]["result"], "failed")
            self.assertIn("550", results["lcc@example.org"]["error"])
        finally:
            refusing.stop()
        n = len(self.sink.messages)
        r, out = self.run_job(period, "2025-07-20")
        self.assertEqual([m["recipient"] for m in out["messages"]], ["lcc@example.org"])
        self.assertEqual([self.to(m) for m in self.new_mail(n)], [["lcc@example.org"]])

    def test_no_password_in_clear(self):
        """A login goes only over TLS, wherever its password comes from (~/.netrc, or PLANREG_SMTP_PASSWORD):
        against a server that would take AUTH in clear and offers no STARTTLS, the run sends nothing (no AUTH,
        no password in any form, no mail), says why and exits 1; the same server without a login gets the mail."""
        netrc_home, bare_home = (os.path.join(self.s.tmp, d) for d in ("home-netrc", "home-bare"))
        for d in (netrc_home, bare_home):
            os.makedirs(d, exist_ok=True)
        netrc_secret, env_secret = "n3trc-Pa55word", "3nv-Pa55word"
        with open(os.path.join(netrc_home, ".netrc"), "w") as f:
            f.write("machine other.example login x password y\nmachine 127.0.0.1\n  login reminders\n"
                    "  password %s\n" % netrc_secret)
        os.chmod(os.path.join(netrc_home, ".netrc"), 0o600)
        clear = SmtpSink(offer_auth=True).start()

        def run(period, as_of, env):
            return self.s.cli("reminder", "remind", "run", "--period", period, "--as-of", as_of, "--smtp",
                              "smtp://127.0.0.1:%d" % clear.port, "--from", "planreg@example.org", env=env)
        try:
            # each case a quarter of its own (due on the 14th after it): a step that failed twice waits
            for period, as_of, env in (("2024-Q2", "2024-07-20", {"HOME": netrc_home}),
                                       ("2022-Q2", "2022-07-20", {"HOME": bare_home, "PLANREG_SMTP_PASSWORD": env_secret}),
                                       ("2022-Q1", "2022-04-20", {"HOME": netrc_home, "PLANREG_SMTP_USER": "reminders"})):
                r = run(period, as_of, env)
                self.assertEqual(r.returncode, 1, (env, r.stdout + r.stderr))
                self.assertIn("does not offer STARTTLS", r.stdout + r.stderr)
                self.assertIn("only over TLS: nothing was sent", r.stdout + r.stderr)
                self.assertIn("0 sent, 2 failed", r.stdout)
                got = clear.received
                self.assertIn(b"EHLO", got.upper())  # it did talk to the server
                self.assertIsNone(re.search(rb"(?im)^auth\b", got), got)
                decoded = [got]
                for token in re.findall(rb"[A-Za-z0-9+/=]{8,}", got):
                    try:
                        decoded.append(base64.b64decode(token + b"=" * (-len(token) % 4)))
                    except ValueError:
                        pass
                for secret in (netrc_secret, env_secret):
                    self.assertFalse(any(secret.encode() in d for d in decoded), env)
                self.assertEqual(clear.messages, [])
                log = self.s.cli_json("viewer", "remind", "log", "--period", period)
                self.assertTrue(log and all(x["state"] == "failed" and "STARTTLS" in x["error"] for x in log), log)
            # no login, no password: the same server takes the mail in clear, as a local relay would
            r = run("2024-Q2", "2024-07-20", {"HOME": bare_home})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(len(clear.wait_for(2)), 2)
            self.assertIsNone(re.search(rb"(?im)^auth\b", clear.received))
        finally:
            clear.stop()

    def test_two_runs_at_once_never_send_a_step_twice(self):
        period = "2025-Q4"  # due 2026-01-14
        n = len(self.sink.messages)
        args = ["remind", "run", "--period", period, "--as-of", "2026-01-20", "--smtp",
                "smtp://127.0.0.1:%d" % self.sink.port, "--from", "planreg@example.org", "--format", "json"]
        env = dict(os.environ)
        env.update(self.s.cli_env("reminder"))
        procs = [subprocess.Popen([harness.PLANREG] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(3)]
        outs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, stderr)
            self.assertIsNone(harness.sanitizer_report(stderr))
            outs.append(json.loads(stdout))
        self.assertEqual(sum(o["sent"] for o in outs), 2)
        mail = self.new_mail(n)
        self.assertEqual(sorted(self.to(m)[0] for m in mail), ["lcc@example.org", "pmo@example.org"])
        steps = [s for o in outs for m in o["messages"] for s in m["steps"]]
        self.assertEqual(len(steps), len(set(steps)))

    # ------------------------------------------------------------ returned updates, and who is up to date

    def test_returned_update_is_chased_again(self):
        period = "2025-Q3"  # due 2025-10-14
        ids = {}
        for ref in LCC_PROJECTS:
            s = self.s.cli("submitter-LCC", "update", "submit", str(ref), "--period", period, "--confidence", "green",
                           "--stage", "live", "--narrative", "All on track.", "--format", "json")
            self.assertEqual(s.returncode, 0, s.stderr)
            ids[ref] = json.loads(s.stdout)["update_id"]
        n = len(self.sink.messages)
        r, out = self.run_job(period, "2025-10-20")
        self.assertEqual([m["recipient"] for m in out["messages"]], ["pmo@example.org"])  # LCC is up to date
        r = self.s.cli("admin", "update", "review", str(ids[38]), "--return", "Add the spend figure, £ and all.")
        self.assertEqual(r.returncode, 0, r.stderr)
        r, out = self.run_job(period, "2025-10-27")
        mail = {self.to(m)[0]: m for m in self.new_mail(n + 1)}
        self.assertIn("lcc@example.org", mail)
        text = self.body(mail["lcc@example.org"])
        self.assertIn("Liverpool City Council (LCC): 1 project outstanding", text)
        self.assertIn("returned by the Combined Authority (update %d): Add the spend figure, £ and all." % ids[38], text)
        self.assertNotRegex(text, r"(?m)^  5 ")
        # the example starts from the returned revision's own values
        self.assertIn("project 38 as returned for 2025-Q3 (green, live):", flat(text))
        self.assertIn("planreg update submit 38 --period 2025-Q3 --confidence green --stage live \\\n", text)

    def test_headers_and_utf8_arrive_intact(self):
        period = "2025-Q1"  # due 2025-04-14
        r = self.s.cli("admin", "org", "set", "LCC", "--name", "Liverpool City Council — Réseau £")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            n = len(self.sink.messages)
            r, out = self.run_job(period, "2025-04-20")
            self.assertEqual(r.returncode, 0, r.stderr)
            mail = {self.to(m)[0]: m for m in self.new_mail(n)}
            m = mail["lcc@example.org"]
            h = m["headers"]
            for name in ("Date", "Message-ID", "From", "To", "Subject", "MIME-Version", "Content-Type"):
                self.assertIsNotNone(h[name], name)
            self.assertEqual(h["From"], "planreg@example.org")
            self.assertEqual(h["To"], "lcc@example.org")
            self.assertEqual(h.get_content_type(), "text/plain")
            self.assertEqual(h.get_content_charset(), "utf-8")
            self.assertEqual(m["mail_from"], "planreg@example.org")
            self.assertIn("Liverpool City Council — Réseau £ (LCC): 3 projects outstanding", self.body(m))
            self.assertIn("Liverpool City Council — Réseau £".encode(), m["data"])  # 8-bit, as written
        finally:
            self.s.cli("admin", "org", "set", "LCC", "--name", "Liverpool City Council")

    # ------------------------------------------------------------ who may, and bad input

    def test_authorisation_and_usage(self):
        r = self.s.cli("viewer", "remind", "run", "--period", "2024-Q4", "--as-of", "2025-01-20", "--dry-run")
        self.assertEqual(r.returncode, 1)
        self.assertIn("claiming reminders needs the role reminder or admin", r.stderr)
        r = self.s.cli("submitter-LCC", "remind", "log")
        self.assertEqual(r.returncode, 1)
        self.assertIn("listing reminders needs the role admin, viewer or reminder", r.stderr)
        r = self.s.cli("reminder", "remind", "policy", "set", "--days-before", "3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("changing the reminder policy needs the role admin", r.stderr)
        for args, needle in [(["--as-of", "2025-02-30"], "--as-of \"2025-02-30\" is not a date"),
                             (["--period", "2025-Q9"], "not a reporting period"),
                             (["--from", "x@example.org"], "--smtp URL is required"),
                             (["--smtp", "smtp://127.0.0.1:1"], "--from ADDR is required"),
                             (["--smtp", "http://127.0.0.1:1", "--from", "x@example.org"], "smtp"),
                             (["--format", "csv"], "--format must be table or json")]:
            r = self.s.cli("reminder", "remind", "run", *args, env={"PLANREG_SMTP_URL": "", "PLANREG_SMTP_FROM": ""})
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr)
        # the SMTP settings may come from the environment; the password never from argv
        r = self.s.cli("reminder", "remind", "run", "--period", "2024-Q4", "--as-of", "2025-01-20",
                       env={"PLANREG_SMTP_URL": "smtp://127.0.0.1:%d" % self.sink.port,
                            "PLANREG_SMTP_FROM": "planreg@example.org"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 sent, 0 failed", r.stdout)
        r = self.s.cli("reminder", "remind", "run", "--smtp-password", "x")
        self.assertEqual(r.returncode, 2)

    def test_policy_show_and_set(self):
        p = self.s.cli_json("viewer", "remind", "policy", "show")
        self.assertEqual((p["days_before"], p["on_due_date"], p["overdue_every"], p["escalate_after"]),
                         (7, True, 7, 14))
        r = self.s.cli("admin", "remind", "policy", "set", "--overdue-every", "0")
        self.assertEqual(r.returncode, 2)
        r = self.s.cli("admin", "remind", "policy", "set", "--days-before", "3", "--on-due-date", "no", "--format",
                       "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            p = json.loads(r.stdout)
            self.assertEqual((p["days_before"], p["on_due_date"], p["overdue_every"], p["updated_by"]),
                             (3, False, 7, "admin"))
            # the policy is the server's: a dry run now starts three days before, and skips the due date
            period = "2024-Q3"  # due 2024-10-14
            for day, sends in (("2024-10-10", 0), ("2024-10-11", 2), ("2024-10-14", 0)):
                r = self.s.cli("reminder", "remind", "run", "--period", period, "--as-of", day, "--dry-run",
                               "--format", "json")
                self.assertEqual(len(json.loads(r.stdout)["messages"]), sends, day)
        finally:
            self.s.cli("admin", "remind", "policy", "set", "--days-before", "7", "--on-due-date", "yes")

    # ------------------------------------------------------------ deployment

    def test_systemd_units_verify(self):
        analyze = shutil.which("systemd-analyze")
        self.assertIsNotNone(analyze, "systemd-analyze comes with Debian's systemd")
        units = os.path.join(harness.SOURCE_DIR, "deploy", "systemd")
        tmp = os.path.join(self.s.tmp, "units")
        os.makedirs(tmp, exist_ok=True)
        for name in ("planreg-remind.service", "planreg-remind.timer"):
            with open(os.path.join(units, name)) as f:
                text = f.read()
            # verify needs the binary the unit names to exist
            text = text.replace("/usr/local/bin/planreg", harness.PLANREG)
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        timer = open(os.path.join(units, "planreg-remind.timer")).read()
        self.assertIn("OnCalendar=*-*-* 08:00:00", timer)
        self.assertIn("Persistent=true", timer)
        r = subprocess.run([analyze, "verify", os.path.join(tmp, "planreg-remind.service"),
                            os.path.join(tmp, "planreg-remind.timer")], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()
