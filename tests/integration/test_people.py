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


if __name__ == "__main__":
    unittest.main(verbosity=2)
