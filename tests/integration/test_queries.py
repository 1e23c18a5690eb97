"""The Combined Authority's queries on one section of a return (docs/assurance.md, "Queries") against the real
daemon, PostgreSQL and CLI: the CA queries one part of a return with a comment and an answer-by date without
returning it; the lead body answers in the thread (a comment, a later revision, or both); the CA replies or
closes; the thread shows in `update show` (text and JSON) and `query show`; who may do what (another body's
submitter may neither answer nor see it, a submitter may not raise one), bad input refused with what to fix,
idempotent replays, and the history kept (append-only)."""

import csv
import datetime
import io
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

Q2, Q3 = "2026-Q2", "2026-Q3"


def day(offset):
    """Today (UTC) plus offset days, YYYY-MM-DD."""
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


class QueriesTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("queries", people=("viewer", "reminder", "submitter-LCC",
                                                                 "submitter-STFC"))
        for code, addr in (("LCC", "lcc@example.org"), ("CA", "pmo@example.org")):
            cls.s.cli("admin", "org", "set-contact", code, addr)
        cls.s.sql("UPDATE reminder_policy SET first_run = '2000-01-01'")
        cls.sink = SmtpSink().start()

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        super().tearDownClass()

    # ------------------------------------------------------------ helpers (ok() and refused() from harness)

    def submit(self, ref, period, *extra, cred="submitter-LCC", spend="£1.5M"):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", "green", "--stage", "live",
                "--narrative", "On plan.", "--spend", spend, "--format", "json"]
        r = self.ok(self.cli(cred, *(args + list(extra))))
        return json.loads(r.stdout)["update_id"]

    def raise_query(self, update_id, section, comment="Why is this so?", answer_by=None, *extra, cred="admin"):
        return self.cli(cred, "query", "raise", str(update_id), "--section", section, "--comment", comment,
                        "--answer-by", answer_by or day(14), "--format", "json", *extra)

    def raised(self, update_id, section, *extra, **kw):
        return json.loads(self.ok(self.raise_query(update_id, section, *extra, **kw)).stdout)

    def answer(self, query_id, *args, cred="submitter-LCC"):
        return self.cli(cred, "query", "answer", str(query_id), "--format", "json", *args)

    def shown(self, update_id, cred="admin"):
        return self.s.cli_json(cred, "update", "show", str(update_id))

    # ------------------------------------------------------------ the acceptance run

    def test_ca_queries_the_spend_figure_lcc_answers_thread_in_update_show(self):
        uid = self.submit(5, Q3, spend="£2.4M")
        by = day(10)
        q = self.raised(uid, "spend", "Spend is well behind the profile: why?", by)
        self.assertEqual((q["update_id"], q["ref"], q["section"], q["answer_by"], q["state"], q["overdue"],
                          q["raised_by"], q["lead_orgs"], q["entries_count"], q["entries"]),
                         (uid, 5, "spend", by, "open", False, "admin", ["LCC"], 0, []))
        # the return is not returned: it stays current, unreviewed, as it was
        before = self.shown(uid)
        self.assertIsNone(before["review"])
        self.assertFalse(before["superseded"])
        self.assertEqual(before["spend_to_date_pence"], 240000000)
        a = json.loads(self.ok(self.answer(q["id"], "--comment", "Two invoices arrive in October.")).stdout)
        self.assertEqual(a["state"], "answered")
        self.assertEqual([(e["kind"], e["comment"], e["revision_id"], e["by"], e["organisation"])
                          for e in a["entries"]],
                         [("answer", "Two invoices arrive in October.", None, "submitter-LCC", "LCC")])
        # the thread in update show, as JSON (for both sides) and as text
        for cred in ("admin", "submitter-LCC", "viewer"):
            doc = self.shown(uid, cred)
            self.assertEqual([x["id"] for x in doc["queries"]], [q["id"]])
            shown = doc["queries"][0]
            self.assertEqual((shown["section"], shown["comment"], shown["state"], shown["entries_count"]),
                             ("spend", "Spend is well behind the profile: why?", "answered", 1))
            self.assertEqual(shown["entries"][0]["comment"], "Two invoices arrive in October.")
        text = self.ok(self.cli("admin", "update", "show", str(uid))).stdout
        self.assertIn("query %d on update %d (project 5, %s, revision %d), section spend: answered, answer by %s"
                      % (q["id"], uid, Q3, before["revision"], by), text)
        self.assertIn("raised by admin: Spend is well behind the profile: why?", text)
        self.assertIn("answer by submitter-LCC (LCC): Two invoices arrive in October.", text)
        # the same in query show, and the key set of the object is the one docs/json.md gives
        one = self.s.cli_json("submitter-LCC", "query", "show", str(q["id"]))
        self.assertEqual(list(one), ["id", "update_id", "ref", "title", "period", "revision", "section", "comment",
                                     "answer_by", "state", "overdue", "raised_by", "raised_at", "lead_orgs",
                                     "entries_count", "last_at", "entries"])
        self.assertEqual(list(one["entries"][0]), ["id", "kind", "comment", "revision_id", "by", "organisation",
                                                   "person", "at"])
        self.assertEqual(one["entries"][0]["person"], "Ann Williams")
        # its CSV: the same keys, the thread one KIND|BY|ORGANISATION|AT|REVISION_ID|COMMENT a line
        text = self.ok(self.cli("viewer", "query", "show", str(q["id"]), "--format", "csv")).stdout
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        self.assertEqual(rows[0], list(one))
        self.assertEqual(rows[1][rows[0].index("entries")], "answer|submitter-LCC|LCC|%s||Two invoices arrive in "
                         "October." % one["entries"][0]["at"])
        self.assertEqual(rows[1][rows[0].index("section")], "spend")

    def test_answer_with_a_revision_reply_and_close(self):
        uid = self.submit(6, Q3, "--milestone", "Contract signed|2026-06-30|2026-09-30|")
        q = self.raised(uid, "milestone:1", "The contract was due in June: has it been signed?")
        # a later revision of the same project and period answers it, with a comment too
        rev = self.submit(6, Q3, "--milestone", "Contract signed|2026-06-30||2026-09-12")
        a = json.loads(self.ok(self.answer(q["id"], "--revision", str(rev), "--comment", "Signed on 12 September."))
                       .stdout)
        self.assertEqual([(e["kind"], e["revision_id"], e["comment"]) for e in a["entries"]],
                         [("answer", rev, "Signed on 12 September.")])
        # a revision alone is an answer too
        a = json.loads(self.ok(self.answer(q["id"], "--revision", str(rev))).stdout)
        self.assertEqual(a["entries"][-1]["comment"], None)
        self.assertEqual(a["entries_count"], 2)
        # the CA replies: the query waits for the lead body again; then it closes it
        r = json.loads(self.ok(self.cli("admin", "query", "reply", str(q["id"]), "--comment",
                                        "Send the signed contract.", "--format", "json")).stdout)
        self.assertEqual((r["state"], r["entries"][-1]["kind"]), ("open", "reply"))
        c = json.loads(self.ok(self.cli("admin", "query", "close", str(q["id"]), "--format", "json")).stdout)
        self.assertEqual((c["state"], c["entries"][-1]["kind"], c["entries"][-1]["comment"]), ("closed", "close", None))
        self.refused(self.answer(q["id"], "--comment", "One more thing."), "query %d is closed" % q["id"])
        listed = [x["id"] for x in self.s.cli_json("admin", "query", "list", "--open")]
        self.assertNotIn(q["id"], listed)
        self.assertIn(q["id"], [x["id"] for x in self.s.cli_json("admin", "query", "list", "--ref", "6")])
        # a reply reopens a closed query
        r = json.loads(self.ok(self.cli("admin", "query", "reply", str(q["id"]), "--comment", "Reopened.",
                                        "--format", "json")).stdout)
        self.assertEqual(r["state"], "open")
        # the thread is history: the queried revision shows it whole, in order
        kinds = [e["kind"] for e in self.shown(uid)["queries"][0]["entries"]]
        self.assertEqual(kinds, ["answer", "answer", "reply", "close", "reply"])

    # ------------------------------------------------------------ who may

    def test_another_bodys_return(self):
        uid = self.submit(38, Q2)
        q = self.raised(uid, "narrative", "The narrative says nothing about the pilot.")
        # another body's submitter may not answer it, nor see it
        r = self.refused(self.answer(q["id"], "--comment", "Not ours.", cred="submitter-STFC"),
                         "credential submitter-STFC (organisation STFC) may not answer query %d" % q["id"])
        self.assertIn("led by LCC", r.stderr)
        self.refused(self.cli("submitter-STFC", "query", "show", str(q["id"])), "may not see query %d" % q["id"])
        self.assertNotIn(q["id"], [x["id"] for x in self.s.cli_json("submitter-STFC", "query", "list")])
        self.refused(self.cli("submitter-STFC", "update", "show", str(uid)), "may not read the updates of")
        # a submitter may not raise a query, not even on its own body's return
        r = self.refused(self.raise_query(uid, "spend", cred="submitter-LCC"), "raising a query")
        self.assertIn("admin", r.stderr)
        # nor close one; a viewer may see it but not answer it
        self.refused(self.cli("submitter-LCC", "query", "close", str(q["id"])),
                     "only the Combined Authority closes a query")
        self.assertEqual(self.s.cli_json("viewer", "query", "show", str(q["id"]))["id"], q["id"])
        self.refused(self.cli("viewer", "query", "answer", str(q["id"]), "--comment", "x"), "answering a query")
        # nothing was added by any of them
        self.assertEqual(self.s.cli_json("admin", "query", "show", str(q["id"]))["entries"], [])
        self.assertEqual(self.s.sql("SELECT count(*) FROM update_query WHERE update_id = %d" % uid).strip(), "1")

    # ------------------------------------------------------------ bad input

    def test_bad_input_refused_with_what_to_fix(self):
        uid = self.submit(5, Q2, "--milestone", "Survey done|2026-05-31||2026-05-20")
        other = self.submit(6, Q2)
        q = self.raised(uid, "confidence", "Green seems generous.")
        self.refused(self.raise_query(uid, "spend", answer_by=day(-1)), "is in the past: give today")
        self.refused(self.raise_query(uid, "budget"), "\"budget\" is not a section of a return")
        self.refused(self.raise_query(uid, "milestone"), "say which one with \":N\"")
        self.refused(self.raise_query(uid, "milestone:2"), "update %d has 1 milestone: milestone:2 names none" % uid)
        self.refused(self.raise_query(uid, "risk:1"), "has 0 risks")
        self.refused(self.raise_query(uid, "spend:3"), "this section takes no \":N\"")
        self.refused(self.raise_query(uid, "spend", ""), "comment")
        self.refused(self.raise_query(uid, "spend", "   "), "comment")
        self.refused(self.raise_query(999999, "spend"), "there is no update 999999")
        self.refused(self.raise_query(uid, "spend", "x", "2026-13-01"), "not a date", code=2)
        # a revision of another project, or of another period of the same one, is no answer
        self.refused(self.answer(q["id"], "--revision", str(other)), "is not a return of project 5 for %s" % Q2)
        q3 = self.submit(5, Q3)
        self.refused(self.answer(q["id"], "--revision", str(q3)), "is not a return of project 5")
        # nor is the queried revision itself
        self.refused(self.answer(q["id"], "--revision", str(uid)), "is not later than the queried revision")
        self.refused(self.answer(q["id"], "--comment", "  "), "give a comment, a revision, or both")
        self.refused(self.answer(q["id"], "--revision", str(q3), cred="admin"), "a revision is the lead body's answer")
        self.refused(self.cli("submitter-LCC", "query", "answer", str(q["id"])), "give --comment", code=2)
        self.refused(self.cli("admin", "query", "show", "123456"), "there is no query 123456")
        self.refused(self.cli("admin", "query", "show", "x"), "is not a query id", code=2)
        self.assertEqual(self.s.cli_json("admin", "query", "show", str(q["id"]))["entries"], [])

    def test_an_indicators_actual(self):
        r = self.ok(self.cli("admin", "indicator", "add", "5", "--name", "Homes connected", "--unit", "homes",
                             "--baseline", "0", "--baseline-date", "2026-01-01", "--target", "1000",
                             "--target-date", "2027-12-31"))
        ind = int(re.search(r"added indicator (\d+) to project 5", r.stdout).group(1))
        uid = self.submit(5, "2025-Q3")
        q = self.raised(uid, "actual:%d" % ind, "How were the homes counted?")
        self.assertEqual(q["section"], "actual:%d" % ind)
        # an indicator of another project, or none at all, is not a section of this return
        other = self.submit(6, "2025-Q3")
        self.refused(self.raise_query(other, "actual:%d" % ind), "indicator %d is not one of project 6's" % ind)
        self.refused(self.raise_query(uid, "actual:999999"), "indicator 999999 is not one of project 5's")
        self.refused(self.raise_query(uid, "actual:x"), "say which indicator with \":ID\"")

    def test_a_superseded_revision_is_not_queried(self):
        first = self.submit(38, Q3)
        second = self.submit(38, Q3, spend="£1.6M")
        self.refused(self.raise_query(first, "spend"), "query the current one, update %d" % second)

    # ------------------------------------------------------------ retries

    def test_idempotent_replay(self):
        uid = self.submit(6, Q2, spend="£3M")
        q = self.raised(uid, "spend", "Why?", day(5), "--idempotency-key", "raise-1")
        r = self.ok(self.raise_query(uid, "spend", "Why?", day(5), "--idempotency-key", "raise-1"))
        self.assertEqual(json.loads(r.stdout)["id"], q["id"])
        self.assertIn("this idempotency key was used before", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM update_query WHERE update_id = %d" % uid).strip(), "1")
        for _ in range(2):
            a = json.loads(self.ok(self.answer(q["id"], "--comment", "Because.", "--idempotency-key", "ans-1"))
                           .stdout)
        self.assertEqual(a["entries_count"], 1)
        self.assertEqual(len(self.shown(uid)["queries"][0]["entries"]), 1)
        # the same key from another credential is its own request
        self.ok(self.cli("admin", "query", "reply", str(q["id"]), "--comment", "Thanks.", "--idempotency-key",
                         "ans-1"))
        self.assertEqual(self.s.cli_json("admin", "query", "show", str(q["id"]))["entries_count"], 2)

    # ------------------------------------------------------------ listing and history

    def test_list_filters_and_csv_keys(self):
        uid = self.submit(38, Q2, spend="£1.1M")
        q = self.raised(uid, "forecast", "Where is the forecast from?", day(1))
        rows = self.s.cli_json("admin", "query", "list", "--period", Q2, "--ref", "38")
        self.assertIn(q["id"], [x["id"] for x in rows])
        self.assertTrue(all(x["period"] == Q2 and x["ref"] == 38 for x in rows))
        # overdue is measured against --as-of: after the answer-by date, an open query is overdue
        later = self.s.cli_json("admin", "query", "list", "--overdue", "--as-of", day(30))
        self.assertIn(q["id"], [x["id"] for x in later])
        self.assertNotIn(q["id"], [x["id"] for x in self.s.cli_json("admin", "query", "list", "--overdue")])
        csv_text = self.ok(self.cli("admin", "query", "list", "--format", "csv")).stdout.lstrip("\ufeff")
        header = csv_text.splitlines()[0].split(",")
        self.assertEqual(header, list(rows[0]))
        self.assertIn("entries_count", header)

    def test_threads_are_append_only(self):
        uid = self.submit(5, "2026-Q1")
        q = self.raised(uid, "stage", "Is it live?")
        self.ok(self.answer(q["id"], "--comment", "Yes."))
        for sql in ("UPDATE update_query SET comment = 'x' WHERE id = %d" % q["id"],
                    "DELETE FROM query_entry WHERE query_id = %d" % q["id"]):
            with self.assertRaises(Exception):
                self.s.sql(sql)
        self.assertEqual(self.s.cli_json("admin", "query", "show", str(q["id"]))["entries"][0]["comment"], "Yes.")

    # ------------------------------------------------------------ overdue: outstanding and reminders

    def test_overdue_in_status_outstanding(self):
        uid = self.submit(6, Q3, spend="£2.2M")
        q = self.raised(uid, "variance", "The variance note is missing.", day(2))
        # today it is not overdue; as of a day after its date it is, and stays so until answered
        now = self.s.cli_json("admin", "status", "outstanding", "--period", Q3)
        self.assertNotIn(q["id"], [x for o in now for x in self.query_ids(o)])
        later = self.s.cli_json("admin", "status", "outstanding", "--period", Q3, "--as-of", day(3))
        lcc = [o for o in later if o["organisation"] == "LCC"]
        self.assertEqual(len(lcc), 1)
        self.assertIn(q["id"], self.query_ids(lcc[0]))
        line = [x for x in lcc[0]["overdue_queries"] if x.startswith("%d: " % q["id"])][0]
        self.assertEqual(line, "%d: 6 %s variance, answer by %s" % (q["id"], Q3, day(2)))
        text = self.ok(self.cli("admin", "status", "outstanding", "--period", Q3, "--as-of", day(3))).stdout
        self.assertIn("Queries past their answer-by date, waiting for the lead body", text)
        self.assertIn("query %d: project 6, %s, variance, answer by %s (LCC): The variance note is missing."
                      % (q["id"], Q3, day(2)), text)
        # the lead body sees its own; another body's submitter does not
        own = self.s.cli_json("submitter-LCC", "status", "outstanding", "--period", Q3, "--as-of", day(3))
        self.assertIn(q["id"], [x for o in own for x in self.query_ids(o)])
        other = self.s.cli_json("submitter-STFC", "status", "outstanding", "--period", Q3, "--as-of", day(3))
        self.assertNotIn(q["id"], [x for o in other for x in self.query_ids(o)])
        # answered, it waits for the CA: no longer overdue
        self.ok(self.answer(q["id"], "--comment", "Added in the next revision."))
        after = self.s.cli_json("admin", "status", "outstanding", "--period", Q3, "--as-of", day(3))
        self.assertNotIn(q["id"], [x for o in after for x in self.query_ids(o)])

    @staticmethod
    def query_ids(org_row):
        return [int(x.split(":")[0]) for x in org_row["overdue_queries"]]

    def past_query(self, update_id, section, comment, answer_by):
        """A query raised in the past (the daemon takes only dates from today), as the register would hold it."""
        self.s.sql("INSERT INTO update_query (update_id, section, comment, answer_by, raised_by, raised_org,"
                   " raised_person, idempotency_key) VALUES (%d, '%s', '%s', '%s', 'admin', 'CA', 'Admin User',"
                   " 'past-%d-%s')" % (update_id, section, comment, answer_by, update_id, section))
        return int(self.s.sql("SELECT max(id) FROM update_query").strip())

    def test_overdue_in_the_reminder_digest(self):
        uid = self.submit(38, "2025-Q2")
        qid = self.past_query(uid, "narrative", "Say what the pilot found.", "2025-10-01")
        n = len(self.sink.messages)
        r = self.ok(self.cli("reminder", "remind", "run", "--period", "2025-Q3", "--as-of", "2025-10-20", "--smtp",
                             "smtp://127.0.0.1:%d" % self.sink.port, "--from", "planreg@example.org"))
        mails = [m for m in self.sink.messages[n:] if "lcc@example.org" in [t.lower() for t in m["rcpt_tos"]]]
        self.assertEqual(len(mails), 1, r.stdout + r.stderr)
        text = " ".join(mails[0]["headers"].get_content().split())
        self.assertIn("Queries on the returns of Liverpool City Council (LCC) past their answer-by dates", text)
        self.assertIn("query %d on project 38's 2025-Q2 return (narrative), answer by 2025-10-01: Say what the "
                      "pilot found." % qid, text)
        self.assertIn("planreg query answer ID --comment TEXT", text)

    def test_overdue_queries_alone_make_a_digest(self):
        # LCC owes nothing for 2025-Q4: every return is in, and one of them is queried past its date
        ids = [self.submit(ref, "2025-Q4", spend="£%dM" % ref) for ref in (5, 6, 38)]
        qid = self.past_query(ids[1], "forecast", "Where does the new forecast come from?", "2026-01-10")
        run = ["remind", "run", "--period", "2025-Q4", "--as-of", "2026-01-20", "--smtp",
               "smtp://127.0.0.1:%d" % self.sink.port, "--from", "planreg@example.org"]
        n = len(self.sink.messages)
        r = self.ok(self.cli("reminder", *run))
        mails = [m for m in self.sink.messages[n:] if "lcc@example.org" in [t.lower() for t in m["rcpt_tos"]]]
        self.assertEqual(len(mails), 1, r.stdout + r.stderr)
        self.assertRegex(mails[0]["headers"]["Subject"],
                         r"^\[planreg\] \d+ quer(y|ies) of the Combined Authority past (its|their) answer-by date$")
        text = " ".join(mails[0]["headers"].get_content().split())
        self.assertIn("Your returns are in; the Combined Authority has asked about parts of them", text)
        self.assertIn("query %d on project 6's 2025-Q4 return (forecast), answer by 2026-01-10: Where does the new "
                      "forecast come from?" % qid, text)
        self.assertNotIn("projects outstanding", text)
        self.assertIn("LCC:queries-2026-01-20", r.stdout)
        # the same day again, or within overdue_every days: not again
        n = len(self.sink.messages)
        self.ok(self.cli("reminder", *run))
        self.assertEqual([m for m in self.sink.messages[n:] if "lcc@example.org" in
                          [t.lower() for t in m["rcpt_tos"]]], [])

    # ------------------------------------------------------------ the board report

    def test_board_report_lists_open_queries_past_their_date(self):
        uid = self.submit(5, "2025-Q4")
        late = self.past_query(uid, "spend", "Reconcile the spend with the ledger.", "2025-11-30")
        answered = self.past_query(uid, "stage", "Is it live yet?", "2025-11-30")
        self.ok(self.answer(answered, "--comment", "Yes, since November."))
        current = self.raised(uid, "narrative", "Not due yet.", day(20))
        html = self.s.cli_output("viewer", os.path.join(self.s.tmp, "board.html"), "report", "html", "--period", Q3)
        self.assertIn('<section id="queries"', html)
        section = html.split('<section id="queries"')[1].split("</section>")[0]
        self.assertIn("Queries past their answer-by date", section)
        self.assertIn("<strong>Project 5</strong> (2025-Q4, spend; LCC): &ldquo;<bdi>Reconcile the spend with the "
                      "ledger.</bdi>&rdquo; &mdash; answer wanted by 2025-11-30 (query %d)" % late, section)
        # answered (waiting for the CA) or not yet past its date: not listed
        self.assertNotIn("(query %d)" % answered, section)
        self.assertNotIn("(query %d)" % current["id"], section)


if __name__ == "__main__":
    harness.main()
