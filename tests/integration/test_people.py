"""The named people of each organisation against the real daemon, PostgreSQL, the CLI and a real SMTP
server (Debian's aiosmtpd): people added, listed and removed (the record stays and ends), one senior
responsible owner at a time, who may manage whose people, a project's returns assigned to a person of its
lead organisation and nobody else's, an invitation that names a person making the credential theirs, and
the reminders: a digest to the assigned person, the rest to the organisation's contacts, escalation to
the SRO first and to the Combined Authority once the SRO has had a reminder's interval.

Each reminder scenario uses its own quarter: steps are keyed by (organisation, period, step)."""

import datetime
import json
import os
import re
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

LCC_PROJECTS = [5, 6, 38]


def flat(text):
    return " ".join(text.split())


class PeopleTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("people", daemon_env=harness.issuer_env,
                                              people=("viewer", "reminder", "submitter-LCC", "submitter-STFC"))
        for code, addr in (("LCC", "lcc@example.org"), ("CA", "pmo@example.org")):
            cls.s.cli("admin", "org", "set-contact", code, addr)
        cls.s.sql("UPDATE reminder_policy SET first_run = '2000-01-01'")
        cls.sink = SmtpSink().start()
        cls.homes = []

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        for h in cls.homes:
            shutil.rmtree(h, ignore_errors=True)
        super().tearDownClass()

    def add(self, org, name, email, *roles, cred="admin"):
        args = ["person", "add", org, "--name", name, "--email", email]
        for r in roles:
            args += ["--role", r]
        return self.cli(cred, *args)

    def people(self, cred="admin", *args):
        return self.s.cli_json(cred, "person", "list", "--format", "json", *args)

    def person_id(self, r):
        m = re.search(r"^added person (\d+) of ", r.stdout, re.M)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        return int(m.group(1))

    # ------------------------------------------------------------ add, list, remove

    def test_add_list_remove(self):
        r = self.ok(self.add("SEFTON", "Sam Owner", "sam@sefton.example", "sro", "finance"))
        self.assertIn("Sam Owner <sam@sefton.example> (sro, finance)", r.stdout)
        sam = self.person_id(r)
        # several roles at once, given in any order and comma-separated: stored in one order
        tia = self.person_id(self.ok(self.add("SEFTON", "Tia Sender", "tia@sefton.example", "finance,submitter")))
        listed = {p["id"]: p for p in self.people("admin", "--org", "SEFTON")}
        self.assertEqual(listed[sam]["roles"], ["sro", "finance"])
        self.assertEqual(listed[tia]["roles"], ["submitter", "finance"])
        self.assertEqual(list(listed[sam]), ["id", "organisation", "name", "email", "roles", "added_at", "added_by",
                                             "ended_at", "ended_by", "credential", "projects"])
        self.assertEqual((listed[sam]["organisation"], listed[sam]["added_by"], listed[sam]["ended_at"],
                          listed[sam]["credential"], listed[sam]["projects"]), ("SEFTON", "admin", None, None, []))
        # removed: gone from the list, kept with --all and ended
        r = self.ok(self.cli("admin", "person", "remove", str(tia)))
        self.assertIn("removed person %d of SEFTON" % tia, r.stdout)
        self.assertNotIn(tia, [p["id"] for p in self.people("admin", "--org", "SEFTON")])
        ended = [p for p in self.people("admin", "--org", "SEFTON", "--all") if p["id"] == tia]
        self.assertEqual(len(ended), 1)
        self.assertRegex(ended[0]["ended_at"], r"^\d{4}-\d\d-\d\dT")
        self.assertEqual(ended[0]["ended_by"], "admin")
        again = self.cli("admin", "person", "remove", str(tia))
        self.assertEqual(again.returncode, 1)
        self.assertIn("was removed already", again.stderr)
        # the record cannot be deleted behind the daemon's back either
        self.assertEqual(self.s.sql("SELECT count(*) FROM org_person WHERE id = %d" % tia).strip(), "1")

    def test_bad_input_is_refused_with_what_to_fix(self):
        r = self.add("LCC", "Ann", "not-an-address", "sro")
        self.assertEqual(r.returncode, 1)
        self.assertIn("email", r.stderr)
        r = self.add("LCC", "Ann", "ann@lcc.example", "boss")
        self.assertEqual(r.returncode, 1)
        self.assertIn("\"boss\" is not a role: sro, submitter or finance", r.stderr)
        r = self.add("NOSUCH", "Ann", "ann@lcc.example", "sro")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no organisation NOSUCH", r.stderr)
        r = self.cli("admin", "person", "add", "LCC", "--name", "Ann", "--email", "ann@lcc.example")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--role", r.stderr)
        self.assertEqual(self.cli("admin", "person", "remove", "x").returncode, 2)
        r = self.cli("admin", "person", "remove", "999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no person 999999", r.stderr)

    def test_one_sro_at_a_time(self):
        first = self.person_id(self.ok(self.add("MIAA", "Kim First", "kim@miaa.example", "sro")))
        r = self.add("MIAA", "Lee Second", "lee@miaa.example", "sro", "finance")
        self.assertEqual(r.returncode, 1)
        self.assertIn("MIAA has a senior responsible owner already: Kim First <kim@miaa.example> (person %d)"
                      % first, r.stderr)
        self.assertIn("planreg person remove %d" % first, r.stderr)
        self.assertNotIn("lee@miaa.example", [p["email"] for p in self.people("admin", "--org", "MIAA")])
        # the same address twice in one organisation is one person given twice
        r = self.add("MIAA", "Kim Again", "KIM@miaa.example", "finance")
        self.assertEqual(r.returncode, 1)
        self.assertIn("is a person of MIAA already (person %d)" % first, r.stderr)
        # once the first has gone, a new SRO may come
        self.ok(self.cli("admin", "person", "remove", str(first)))
        self.ok(self.add("MIAA", "Lee Second", "lee@miaa.example", "sro"))
        sros = [p["name"] for p in self.people("admin", "--org", "MIAA") if "sro" in p["roles"]]
        self.assertEqual(sros, ["Lee Second"])

    def test_who_may_manage_whose_people(self):
        # a lead body's submitter manages its own organisation's people
        own = self.person_id(self.ok(self.add("LCC", "Lia Finance", "lia@lcc.example", "finance",
                                              cred="submitter-LCC")))
        self.assertIn(own, [p["id"] for p in self.people("submitter-LCC")])
        # another body's submitter may not add to LCC, nor remove from it, nor list it
        r = self.add("LCC", "Mallory", "mal@stfc.example", "sro", cred="submitter-STFC")
        self.assertEqual(r.returncode, 1)
        self.assertIn("may not add to the people of LCC", r.stderr)
        r = self.cli("submitter-STFC", "person", "remove", str(own))
        self.assertEqual(r.returncode, 1)
        self.assertIn("may not remove from the people of LCC", r.stderr)
        r = self.cli("submitter-STFC", "person", "list", "--org", "LCC")
        self.assertEqual(r.returncode, 1)
        # its own listing shows only its own organisation's people
        self.assertTrue(all(p["organisation"] == "STFC" for p in self.people("submitter-STFC")))
        # a viewer reads every organisation's, and changes none
        self.assertIn(own, [p["id"] for p in self.people("viewer", "--org", "LCC")])
        r = self.add("LCC", "Vic", "vic@lcc.example", "finance", cred="viewer")
        self.assertEqual(r.returncode, 1)
        self.assertIn("admin or submitter", r.stderr)
        self.assertNotIn("vic@lcc.example", [p["email"] for p in self.people("admin", "--org", "LCC")])
        self.ok(self.cli("submitter-LCC", "person", "remove", str(own)))

    # ------------------------------------------------------------ assignments

    def test_assign_to_a_person_of_the_lead_only(self):
        ann = self.person_id(self.ok(self.add("LCC", "Ann Assigned", "ann.assigned@lcc.example", "submitter")))
        stfc = self.person_id(self.ok(self.add("STFC", "Sid Other", "sid@stfc.example", "submitter")))
        r = self.cli("admin", "projects", "assign", "6", str(stfc))
        self.assertEqual(r.returncode, 1)
        self.assertIn("person %d (Sid Other) is of STFC, which does not lead project 6 (led by LCC)" % stfc, r.stderr)
        wire = self.s.cli("admin", "-v", "projects", "assign", "6", str(stfc))
        self.assertEqual(wire.returncode, 1)
        self.assertIsNone(self.s.cli_json("viewer", "projects", "show", "6", "--format", "json")["assignee"])
        # a submitter of LCC assigns its own project to its own person
        r = self.ok(self.cli("submitter-LCC", "projects", "assign", "6", str(ann)))
        self.assertIn("project 6: returns assigned to Ann Assigned <ann.assigned@lcc.example> (person %d, LCC)" % ann,
                      r.stdout)
        shown = self.s.cli_json("viewer", "projects", "show", "6", "--format", "json")
        self.assertEqual(shown["assignee"], {"id": ann, "name": "Ann Assigned", "email": "ann.assigned@lcc.example"})
        text = self.ok(self.cli("viewer", "projects", "show", "6")).stdout
        self.assertIn("Ann Assigned <ann.assigned@lcc.example> (person %d)" % ann, text)
        rows = self.s.cli_json("viewer", "projects", "list", "--lead", "LCC", "--format", "json")
        self.assertEqual([p["ref"] for p in rows if p["assignee"]], [6])
        csv_out = self.ok(self.cli("viewer", "projects", "list", "--lead", "LCC", "--format", "csv")).stdout
        self.assertIn("assignee_id,assignee_name,assignee_email", csv_out.splitlines()[0])
        self.assertEqual(self.people("admin", "--org", "LCC")[[p["id"] for p in self.people("admin", "--org", "LCC")]
                                                             .index(ann)]["projects"], ["6"])
        # another body's submitter may not touch it
        r = self.cli("submitter-STFC", "projects", "unassign", "6")
        self.assertEqual(r.returncode, 1)
        self.assertIn("may not assign project 6", r.stderr)
        # outstanding names the assignee
        out = self.s.cli_json("viewer", "status", "outstanding", "--period", "2026-Q3", "--as-of", "2026-10-20",
                              "--format", "json")
        lcc = [o for o in out if o["organisation"] == "LCC"][0]
        self.assertEqual(lcc["assigned"], ["6: Ann Assigned (person %d)" % ann])
        # removing the person unassigns the project; the assignment's history stays
        r = self.ok(self.cli("admin", "person", "remove", str(ann)))
        self.assertIn("project 6 is assigned to nobody now", r.stdout)
        self.assertIsNone(self.s.cli_json("viewer", "projects", "show", "6", "--format", "json")["assignee"])
        self.assertEqual(self.s.sql("SELECT count(*) FROM project_assignment WHERE person_id = %d AND ended_at IS NOT NULL"
                                    % ann).strip(), "1")
        r = self.cli("admin", "projects", "assign", "6", str(ann))
        self.assertEqual(r.returncode, 1)
        self.assertIn("was removed", r.stderr)
        self.ok(self.cli("admin", "person", "remove", str(stfc)))

    # ------------------------------------------------------------ invitations

    def test_an_invitation_naming_a_person_makes_the_credential_theirs(self):
        pid = self.person_id(self.ok(self.add("ALDERHEY", "Wyn Joiner", "wyn@alderhey.example", "submitter")))
        r = self.ok(self.cli("admin", "cred", "invite", "--org", "ALDERHEY", "--role", "submitter", "--person", str(pid),
                             "--format", "json"))
        inv = json.loads(r.stdout)
        self.assertEqual((inv["person"], inv["person_id"]), ("Wyn Joiner", pid))
        listed = [i for i in self.s.cli_json("admin", "cred", "invitations", "--format", "json") if i["id"] == inv["id"]]
        self.assertEqual(listed[0]["person_id"], pid)
        home = tempfile.mkdtemp(prefix="planreg-person-")
        self.homes.append(home)
        j = harness.run([harness.PLANREG, "join", inv["code"]], env={"PATH": "/usr/bin:/bin", "HOME": home})
        self.assertEqual(j.returncode, 0, j.stdout + j.stderr)
        cred = [p for p in self.people("admin", "--org", "ALDERHEY") if p["id"] == pid][0]["credential"]
        self.assertTrue(cred and cred.startswith("alderhey-wyn-joiner-"), cred)
        # a person of another organisation cannot be named
        r = self.cli("admin", "cred", "invite", "--org", "LCC", "--role", "submitter", "--person", str(pid))
        self.assertEqual(r.returncode, 1)
        self.assertIn("is of ALDERHEY", r.stderr)

    # ------------------------------------------------------------ reminders

    def run_job(self, period, as_of):
        r = self.cli("reminder", "remind", "run", "--period", period, "--as-of", as_of, "--smtp",
                     "smtp://127.0.0.1:%d" % self.sink.port, "--from", "planreg@example.org", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def mail_since(self, n):
        """The messages the sink received since it held n, by their one recipient."""
        by = {}
        for m in self.sink.messages[n:]:
            self.assertEqual(len(m["rcpt_tos"]), 1, m["rcpt_tos"])
            by[m["rcpt_tos"][0].lower()] = m
        return by

    @staticmethod
    def text(msg):
        return msg["headers"].get_content().replace("\r\n", "\n")

    def steps(self, out, org="LCC"):
        return sorted(s for m in out["messages"] for s in m["steps"] if s.startswith(org + ":"))

    def test_digest_goes_to_the_assigned_person(self):
        pat = self.person_id(self.ok(self.add("LCC", "Pat Assigned", "pat@lcc.example", "submitter")))
        self.addCleanup(self.cli, "admin", "person", "remove", str(pat))
        self.ok(self.cli("admin", "projects", "assign", "5", str(pat)))
        n = len(self.sink.messages)
        out = self.run_job("2025-Q3", "2025-10-20")  # due 2025-10-14: the first overdue step
        self.assertEqual(self.steps(out), ["LCC:overdue-1", "LCC:overdue-1/p%d" % pat])
        mail = self.mail_since(n)
        to_pat = mail["pat@lcc.example"]
        self.assertEqual(to_pat["headers"]["To"], "Pat Assigned <pat@lcc.example>")
        self.assertEqual(to_pat["headers"]["Subject"], "[planreg] 2025-Q3 progress returns overdue (6 days): 1 project")
        text = self.text(to_pat)
        self.assertIn("Liverpool City Council (LCC): 1 project outstanding, assigned to you", text)
        self.assertRegex(text, r"(?m)^  5     \S")
        self.assertNotRegex(text, r"(?m)^  (6|38) +\S")
        self.assertIn("planreg update submit 5 --period 2025-Q3", text)
        self.assertIn("You receive this because the returns of the projects above are assigned to you in planreg.",
                      flat(text))
        # the organisation's contacts get the rest, not project 5
        lcc = self.text(mail["lcc@example.org"])
        self.assertIn("Liverpool City Council (LCC): 2 projects outstanding", lcc)
        self.assertRegex(lcc, r"(?m)^  6     \S")
        self.assertRegex(lcc, r"(?m)^  38    \S")
        self.assertNotRegex(lcc, r"(?m)^  5     \S")
        # once, not again on a rerun; on record in the log with the person as recipient
        self.assertEqual(self.run_job("2025-Q3", "2025-10-20")["messages"], [])
        log = self.s.cli_json("viewer", "remind", "log", "--period", "2025-Q3")
        self.assertIn(("Pat Assigned <pat@lcc.example>", "delivered"), [(x["recipient"], x["state"]) for x in log])
        # a week later both hear again; once the project is reported, the person hears nothing more
        n = len(self.sink.messages)
        out = self.run_job("2025-Q3", "2025-10-27")
        self.assertEqual(self.steps(out), ["LCC:overdue-2", "LCC:overdue-2/p%d" % pat])
        self.assertIn("pat@lcc.example", self.mail_since(n))
        self.ok(self.cli("submitter-LCC", "update", "submit", "5", "--period", "2025-Q3", "--confidence", "green",
                         "--stage", "live", "--narrative", "Reported."))
        n = len(self.sink.messages)
        out = self.run_job("2025-Q3", "2025-11-03")
        self.assertIn("LCC:overdue-3", self.steps(out))
        self.assertNotIn("LCC:overdue-3/p%d" % pat, self.steps(out))
        self.assertNotIn("pat@lcc.example", self.mail_since(n))

    def test_escalation_goes_to_the_sro_then_the_ca(self):
        sue = self.person_id(self.ok(self.add("LCC", "Sue Owner", "sue@lcc.example", "sro")))
        self.addCleanup(self.cli, "admin", "person", "remove", str(sue))
        # due 2025-07-14; escalate_after 14: the SRO on the 28th, the CA a reminder's interval (7 days) later
        n = len(self.sink.messages)
        out = self.run_job("2025-Q2", "2025-07-28")
        self.assertEqual(self.steps(out), ["LCC:escalate-sro", "LCC:overdue-2"])
        self.assertIn("STFC:escalate", self.steps(out, "STFC"))  # no SRO: straight to the CA, as before
        mail = self.mail_since(n)
        to_sue = mail["sue@lcc.example"]
        self.assertEqual(to_sue["headers"]["To"], "Sue Owner <sue@lcc.example>")
        self.assertEqual(to_sue["headers"]["Subject"],
                         "[planreg] 2025-Q2 progress returns overdue (14 days): 3 projects, 1 organisation escalated")
        text = flat(self.text(to_sue))
        self.assertIn("Escalated to you: Liverpool City Council (LCC), 3 projects outstanding", text)
        self.assertIn("You are the senior responsible owner of Liverpool City Council in planreg, and its returns for "
                      "2025-Q2 are 14 days late. If they are still outstanding on Monday 4 August 2025, the Combined "
                      "Authority's programme contact is told.", text)
        self.assertIn("You receive this as the senior responsible owner of Liverpool City Council (LCC) in planreg.",
                      text)
        for ref in LCC_PROJECTS:
            self.assertRegex(self.text(to_sue), r"(?m)^   %-5d \S" % ref)
        self.assertIn("Your senior responsible owner, Sue Owner <sue@lcc.example>, has been told that they are late; "
                      "if they are still outstanding on Monday 4 August 2025, the Combined Authority's programme "
                      "contact is told.", flat(self.text(mail["lcc@example.org"])))
        self.assertNotIn("(LCC)", self.text(mail["pmo@example.org"]))
        # not yet to the CA four days on
        out = self.run_job("2025-Q2", "2025-08-01")
        self.assertEqual(self.steps(out), [])
        # a week after the SRO: the CA, told that the SRO was
        n = len(self.sink.messages)
        out = self.run_job("2025-Q2", "2025-08-04")
        self.assertEqual(self.steps(out), ["LCC:escalate", "LCC:overdue-3"])
        mail = self.mail_since(n)
        self.assertNotIn("sue@lcc.example", mail)
        pmo = flat(self.text(mail["pmo@example.org"]))
        self.assertIn("Liverpool City Council (LCC): 3 projects outstanding Escalated: 21 days late. Its senior "
                      "responsible owner, Sue Owner <sue@lcc.example> was told on Monday 28 July 2025.", pmo)

    def test_no_people_no_change(self):
        """An organisation without people: its digests and steps are the ones of test_remind.py (which runs
        unchanged): its contacts get every project, and escalation goes straight to the CA."""
        n = len(self.sink.messages)
        out = self.run_job("2025-Q1", "2025-04-29")  # due 2025-04-14: 15 days late, escalated to the CA
        self.assertEqual(self.steps(out), ["LCC:escalate", "LCC:overdue-3"])
        mail = self.mail_since(n)
        self.assertEqual(sorted(a for a in mail if a.endswith("lcc.example") or a.endswith("example.org")),
                         ["lcc@example.org", "pmo@example.org"])
        self.assertIn("Liverpool City Council (LCC): 3 projects outstanding", self.text(mail["lcc@example.org"]))
        self.assertIn("The Combined Authority's programme contact has been told that they are late.",
                      flat(self.text(mail["lcc@example.org"])))
        self.assertNotIn("senior responsible owner", self.text(mail["lcc@example.org"]))
        self.assertRegex(self.text(mail["pmo@example.org"]), r"(?m)^-- Liverpool City Council \(LCC\): 3 projects "
                         r"outstanding$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
