"""The register through the real CLI, daemon, TLS and PostgreSQL: import,
listings and their JSON shape, organisations, credentials, and each refusal
with its own message."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

PROJECT_KEYS = {"ref", "theme", "objective", "title", "description", "capital", "lead_orgs", "lead_people",
                "partners", "cost", "funding", "stage", "stage_note", "attributes", "assignee"}
COST_KEYS = {"text", "status", "min_pence", "max_pence", "approximate"}
STAGES = {"concept", "early_development", "advanced_development", "live", "completed", "paused", "cancelled"}


class RegisterTest(harness.ServiceTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("register", people=("viewer", "submitter-LCC", "reminder"))

    def projects(self, cred="admin", *args):
        return self.s.cli_json(cred, "projects", "list", *args)

    def parsed(self, path=harness.PLAN_FILE):
        r = self.cli(None, "plan", "import", path, "--dry-run", "--format", "json", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    # ------------------------------------------------------------ import and JSON

    def test_register_equals_the_parsers_reading(self):
        self.assertEqual(self.projects(), self.parsed())

    def test_json_shape(self):
        ps = self.projects()
        self.assertEqual(len(ps), 80)
        self.assertEqual([p["ref"] for p in ps], list(range(1, 81)))
        for p in ps:
            self.assertEqual(set(p), PROJECT_KEYS, p["ref"])
            self.assertEqual(set(p["cost"]), COST_KEYS, p["ref"])
            self.assertIsInstance(p["ref"], int)
            self.assertIsInstance(p["theme"], int)
            self.assertRegex(p["objective"], r"^%d\.[1-9]$" % p["theme"])
            self.assertIsInstance(p["capital"], bool)
            self.assertNotIn("#", p["title"])
            self.assertIn(p["stage"], STAGES)
            self.assertIn(p["cost"]["status"], {"known", "unknown", "not_applicable"})
            for k in ("min_pence", "max_pence"):
                self.assertTrue(p["cost"][k] is None or isinstance(p["cost"][k], int))
            self.assertIsInstance(p["cost"]["approximate"], bool)
            for k in ("lead_orgs", "lead_people", "partners"):
                self.assertIsInstance(p[k], list)
                self.assertTrue(all(isinstance(x, str) and x for x in p[k]))
            self.assertEqual(p["attributes"], [])  # the seed has no column the register does not read
            self.assertTrue(p["lead_orgs"], p["ref"])
        self.assertEqual(sum(p["capital"] for p in ps), 17)
        self.assertEqual(len({p["theme"] for p in ps}), 6)
        self.assertEqual(len({p["objective"] for p in ps}), 20)

    def test_projects_field_by_field(self):
        ps = {p["ref"]: p for p in self.projects()}
        p = ps[53]
        self.assertEqual(p["title"], "Manufacturing Technology Centre Digital Manufacturing Accelerator and Factory in a Box (FiaB)")
        self.assertTrue(p["capital"])
        self.assertEqual((p["theme"], p["objective"]), (4, "4.3"))
        self.assertEqual(p["lead_orgs"], ["MTC"])
        self.assertEqual(p["lead_people"], ["Charlie Whitford"])
        self.assertEqual(p["partners"], ["CA", "LEP/Growth Platform", "private sector", "UoL", "LJMU"])
        self.assertEqual(p["cost"], {"text": "£ 14.95M + £ 2.35M", "status": "known", "min_pence": 1730000000,
                                     "max_pence": 1730000000, "approximate": False})
        self.assertEqual(p["funding"], "SIF, MTC")
        self.assertEqual((p["stage"], p["stage_note"]), ("live", ""))
        self.assertEqual(ps[1]["cost"], {"text": "Circa £30M", "status": "known", "min_pence": 3000000000,
                                         "max_pence": 3000000000, "approximate": True})
        self.assertEqual(ps[65]["cost"]["min_pence"], 120000000)
        self.assertIsNone(ps[65]["cost"]["max_pence"])
        self.assertEqual((ps[78]["cost"]["min_pence"], ps[78]["cost"]["max_pence"]), (5500000, 13000000))
        self.assertEqual(ps[78]["lead_people"], ["Olly Martins", "Paul Amann"])
        self.assertEqual(ps[3]["cost"]["status"], "unknown")
        self.assertIsNone(ps[3]["cost"]["min_pence"])
        self.assertEqual(ps[11]["cost"]["status"], "not_applicable")
        self.assertEqual(ps[77]["cost"]["status"], "not_applicable")
        self.assertEqual(ps[48]["lead_orgs"], ["STFC", "ATOS"])
        self.assertEqual(ps[48]["lead_people"], [])
        self.assertEqual(ps[77]["lead_orgs"], ["MIAA", "NHS"])
        self.assertEqual(ps[22]["lead_orgs"], ["ALDERHEY"])
        self.assertEqual(ps[32]["lead_orgs"], ["SCITECH"])
        self.assertEqual(ps[33]["lead_people"], ["Joe Yates", "Rachel McLean"])
        self.assertEqual(ps[39]["lead_people"], ["Helen Cross"])
        self.assertEqual(ps[15]["lead_people"], [])
        self.assertEqual((ps[42]["stage"], ps[42]["stage_note"]), ("live", "annual"))
        self.assertEqual((ps[68]["stage"], ps[68]["stage_note"]), ("advanced_development", "From September 2021"))
        self.assertEqual((ps[56]["stage"], ps[56]["stage_note"]), ("live", "advanced development"))
        self.assertEqual([r for r, p in ps.items() if p["theme"] == 6], list(range(71, 81)))
        self.assertEqual(ps[71]["objective"], "6.1")
        self.assertEqual(ps[80]["objective"], "6.3")
        self.assertIn("UKRI (STFC, NERC, BBSRC, EPSRC, Innovate UK)", ps[35]["partners"])

    def test_reimport_changes_nothing(self):
        before = self.projects()
        r = self.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no changes", r.stdout)
        self.assertIn("register: 80 projects, 6 themes, 20 objectives", r.stdout)
        self.assertEqual(self.projects(), before)
        self.assertEqual(self.s.sql("SELECT count(*) FROM project"), "80")

    def test_import_prints_the_parsers_warnings(self):
        r = self.cli("admin", "plan", "import", harness.PLAN_FILE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("printed as 5.1 under theme 6; read as 6.1", r.stderr)
        self.assertIn("'Ollly Martins' read as person Olly Martins", r.stderr)
        self.assertIn("read as the sum £17,300,000", r.stderr)
        self.assertRegex(r.stderr, r"lcr-digital-action-plan-2021-2023.txt:\d+: warning: ")

    def test_dry_run_sends_nothing(self):
        # no server at all: a dry run must not need one
        r = harness.run([harness.PLANREG, "--server", "127.0.0.1:1", "plan", "import", harness.PLAN_FILE,
                         "--dry-run"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("80 projects (17 capital) in 6 themes and 20 objectives", r.stdout)
        self.assertIn("nothing sent", r.stdout)

    def test_bad_documents_are_refused_with_the_line(self):
        d = os.path.join(self.s.tmp, "bad")
        os.makedirs(d, exist_ok=True)
        cases = {
            "empty.txt": ("", r"empty"),
            "utf8.txt": (b"Theme 1: T\n1.1 O\n1. P\tD\tCA \xff\tx\t\xc2\xa31M\tf\tLive\n", r":3: .*UTF-8"),
            "columns.txt": ("Theme 1: T\n1.1 O\n1. P\tD\tCA\tx\t£1M\tLive\n", r":3: .*7"),
            "before.txt": ("1. P\tD\tCA\tx\t£1M\tf\tLive\n", r":1: .*theme"),
            "dup.txt": ("Theme 1: T\n1.1 O\n1. P\tD\tCA\tx\t£1M\tf\tLive\n1. Q\tD\tCA\tx\t£1M\tf\tLive\n",
                        r":4: ref 1 on line 4 repeats ref 1 on line 3"),
        }
        before = self.projects()
        for name, (text, pattern) in cases.items():
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(text.encode() if isinstance(text, str) else text)
            r = self.cli("admin", "plan", "import", path)
            self.assertEqual(r.returncode, 2, name + r.stderr)
            self.assertRegex(r.stderr, pattern, name)
        r = self.cli("admin", "plan", "import", os.path.join(d, "missing.txt"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read", r.stderr)
        self.assertEqual(self.projects(), before)

    def test_changed_document_updates_and_reports(self):
        path = os.path.join(self.s.tmp, "changed.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            text = f.read()
        changed = text.replace("£7.2M\tDCMS, LCC, NHS\tLive", "£7.5M\tDCMS, LCC, NHS\tLive")
        changed = changed.replace("Theme 2: Tech for Good & a Smart City Region", "Theme 2: Tech for Good")
        lines = changed.split("\n")
        lines = [l for l in lines if not l.startswith("80. LCR Digital Poverty Programme")]
        lines.append("81. A new project\tSomething new.\tLCC – Ann Williams\tCA\t£25K\tLCC\tConcept")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        try:
            r = self.cli("admin", "plan", "import", path, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("changed project 5: cost", r.stdout)
            self.assertIn("changed theme 2: title", r.stdout)
            self.assertIn("removed project 80", r.stdout)
            self.assertIn("added project 81: A new project", r.stdout)
            self.assertIn("(4 changes)", r.stdout)
            ps = {p["ref"]: p for p in self.projects()}
            self.assertEqual(ps[5]["cost"]["min_pence"], 750000000)
            self.assertNotIn(80, ps)
            self.assertEqual(ps[81]["lead_orgs"], ["LCC"])
            self.assertEqual(ps[81]["objective"], "6.3")
            self.assertEqual(self.projects(), self.parsed(path))
        finally:
            r = self.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.projects(), self.parsed())

    def test_another_plan_is_refused(self):
        path = os.path.join(self.s.tmp, "other.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            text = f.read().replace("2021-2023 LCR Digital Strategy Action Plan", "2024-2026 Other Plan")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = self.cli("admin", "plan", "import", path, "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("FAILED_PRECONDITION", r.stderr)  # plain words, no protocol names
        self.assertIn('the register holds the plan "2021-2023 LCR Digital Strategy Action Plan" (plan 1), and this '
                      'document is "2024-2026 Other Plan": a new edition is imported with --successor-of 1', r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM plan"), "1")

    def test_extra_column_is_kept_and_shown(self):
        path = os.path.join(harness.SOURCE_DIR, "tests", "data", "plan-2021-2023-timescale.txt")
        try:
            r = self.cli("admin", "plan", "import", path, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("changed project 5: attributes", r.stdout)
            self.assertIn("(80 changes)", r.stdout)  # the attribute only: every other fact reads the same
            p = self.s.cli_json("viewer", "projects", "show", "5")
            self.assertEqual(p["attributes"], ["TIMESCALE: 2021-2024"])
            r = self.cli("viewer", "projects", "show", "5")
            self.assertRegex(r.stdout, r"(?m)^attributes:\s+TIMESCALE: 2021-2024$")
            self.assertEqual(self.projects(), self.parsed(path))
            import csv
            import io
            rows = list(csv.DictReader(io.StringIO(self.cli("viewer", "projects", "list", "--format", "csv").stdout)))
            self.assertEqual(rows[4]["attributes"], "TIMESCALE: 2021-2024")
        finally:
            r = self.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.projects(), self.parsed())

    # ------------------------------------------------------------ listings

    def test_filters(self):
        refs = lambda *a: [p["ref"] for p in self.projects("viewer", *a)]  # noqa: E731
        self.assertEqual(refs("--theme", "6"), list(range(71, 81)))
        self.assertEqual(refs("--objective", "6.1"), [71, 72, 73])
        self.assertEqual(refs("--lead", "LCC"), [5, 6, 38])
        self.assertEqual(refs("--lead", "lcc"), [5, 6, 38])
        self.assertIn(48, refs("--lead", "ATOS"))
        self.assertEqual(len(refs("--stage", "live")), 19)
        self.assertEqual(len(refs("--stage", "early_development")), 24)
        self.assertEqual(len(refs("--capital")), 17)
        self.assertEqual(len(refs("--no-capital")), 63)
        self.assertEqual(refs("--text", "5g create"), [5])
        self.assertEqual(refs("--theme", "1", "--capital"), [2, 3, 5, 6, 8, 9, 10])
        self.assertEqual(refs("--page-size", "7"), list(range(1, 81)))
        self.assertEqual(refs("--text", "no such words anywhere"), [])

    def test_filter_errors(self):
        r = self.cli("viewer", "projects", "list", "--lead", "NOPE")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("NOT_FOUND", r.stderr)  # plain words, no protocol names
        self.assertIn("no organisation NOPE", r.stderr)
        r = self.cli("viewer", "projects", "list", "--stage", "finished")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--stage must be one of", r.stderr)
        r = self.cli("viewer", "projects", "list", "--format", "xml")
        self.assertEqual(r.returncode, 2)
        r = self.cli("viewer", "projects", "list", "--objective", "six")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not an objective code", r.stderr)

    def test_table_and_csv(self):
        r = self.cli("viewer", "projects", "list", "--theme", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("REF"))
        self.assertEqual(len(lines), 15)
        self.assertRegex(lines[1], r"^1\s+1\.1\s+live\s+CA\s+Circa £30M\s+Establish commercial JV partnership$")
        r = self.cli("viewer", "projects", "list", "--format", "csv", "--lead", "STFC")
        import csv
        import io
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual([int(x["ref"]) for x in rows], [28, 35, 46, 47, 48, 59])
        self.assertEqual(rows[4]["lead_orgs"], "STFC;ATOS")  # lists of codes join with ";" (docs/json.md)
        self.assertEqual(rows[2]["cost_min_pence"], "17000000000")

    def test_show(self):
        r = self.cli("submitter-LCC", "projects", "show", "78")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("lead people: Olly Martins, Paul Amann", r.stdout)
        self.assertIn("£55,000 to £130,000", r.stdout)
        p = self.s.cli_json("viewer", "projects", "show", "65")
        self.assertEqual(set(p), PROJECT_KEYS)
        self.assertEqual(p["cost"]["min_pence"], 120000000)
        r = self.cli("viewer", "projects", "show", "999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no project 999", r.stderr)
        r = self.cli("viewer", "projects", "show", "abc")
        self.assertEqual(r.returncode, 2)

    def test_whoami(self):
        w = self.s.cli_json("submitter-LCC", "whoami")
        self.assertEqual(w["credential"], "submitter-LCC")
        self.assertEqual(w["organisation"], "LCC")
        self.assertEqual(w["role"], "submitter")
        self.assertEqual(w["person"], "Ann Williams")
        self.assertEqual(w["fingerprint"], self.s.fingerprints["submitter-LCC"])
        self.assertEqual(w["plan"], "2021-2023 LCR Digital Strategy Action Plan")
        # the credential is named "reminder" too: only the role line can show the role
        r = self.cli("reminder", "whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^role:\s+reminder$")
        self.assertRegex(r.stdout, r"(?m)^credential:\s+reminder$")

    # ------------------------------------------------------------ organisations

    def test_organisations(self):
        orgs = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}
        self.assertEqual(orgs["CA"]["kind"], "combined_authority")
        self.assertEqual(orgs["CA"]["name"], "Liverpool City Region Combined Authority")
        self.assertIn("LCR CA", orgs["CA"]["aliases"])
        self.assertEqual(orgs["UoL"]["kind"], "university")
        led = {}
        for p in self.projects():
            for o in p["lead_orgs"]:
                led[o] = led.get(o, 0) + 1
        for code, n in led.items():
            self.assertEqual(orgs[code]["projects_led"], n, code)
        self.assertEqual(len(led), 23)

    def test_set_contact_and_upsert(self):
        r = self.cli("admin", "org", "set-contact", "LCC", "digital@liverpool.gov.uk")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("updated LCC", r.stdout)
        orgs = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}
        self.assertEqual(orgs["LCC"]["contact_email"], "digital@liverpool.gov.uk")
        r = self.cli("admin", "org", "set-contact", "LCC", "not an email")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("INVALID_ARGUMENT", r.stderr)  # plain words, no protocol names
        self.assertIn('"not an email" is not an e-mail address: it has no @; write name@example.org, or Full Name '
                      '<name@example.org>', r.stderr)
        r = self.cli("admin", "org", "set-contact", "NOPE", "a@b.org")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no organisation NOPE", r.stderr)
        r = self.cli("admin", "org", "set", "WIRRAL", "--name", "Wirral Council", "--kind", "local_authority")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("created WIRRAL", r.stdout)
        r = self.cli("admin", "org", "set", "WIRRAL", "--name", "Wirral Council", "--kind", "local_authority")
        self.assertIn("unchanged WIRRAL", r.stdout)
        r = self.cli("viewer", "org", "set-contact", "LCC", "x@y.org")
        self.assertEqual(r.returncode, 1)
        self.assertIn("changing an organisation needs the role admin", r.stderr)
        # a re-import leaves an organisation the admin described alone
        r = self.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertIn("no changes", r.stdout)
        orgs = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}
        self.assertEqual(orgs["LCC"]["contact_email"], "digital@liverpool.gov.uk")

    def test_several_contacts(self):
        """An organisation has a list of contacts, each an address or a name and an address, written back in one
        form; the list is replaced whole; a bad one refuses the change and says what to write."""
        r = self.cli("admin", "org", "set-contact", "UoL", "  Ann   Williams <ann@liverpool.ac.uk> ",
                     "<digital@liverpool.ac.uk>", '"Smith, Jo" <jo@liverpool.ac.uk>')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("contacts Ann Williams <ann@liverpool.ac.uk>, digital@liverpool.ac.uk", r.stdout)
        uol = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}["UoL"]
        self.assertEqual(uol["contacts"], ["Ann Williams <ann@liverpool.ac.uk>", "digital@liverpool.ac.uk",
                                           '"Smith, Jo" <jo@liverpool.ac.uk>'])
        self.assertEqual(uol["contact_email"], "ann@liverpool.ac.uk")  # the first one's address, as before
        csv = self.cli("viewer", "org", "list", "--format", "csv").stdout
        self.assertIn('"Ann Williams <ann@liverpool.ac.uk>\ndigital@liverpool.ac.uk\n""Smith, Jo"" '
                      '<jo@liverpool.ac.uk>"', csv.replace("\r\n", "\n"))
        # org set --contact, repeated, replaces the list; the name and kind stay
        r = self.cli("admin", "org", "set", "UoL", "--contact", "Ann Williams <ann@liverpool.ac.uk>")
        self.assertEqual(r.returncode, 0, r.stderr)
        uol = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}["UoL"]
        self.assertEqual((uol["contacts"], uol["kind"]), (["Ann Williams <ann@liverpool.ac.uk>"], "university"))
        # refused, naming each contact that is wrong, and nothing changes
        r = self.cli("admin", "org", "set-contact", "UoL", "ok@liverpool.ac.uk", "Jo Smith jo@liverpool.ac.uk",
                     "ann@liverpool")
        self.assertEqual(r.returncode, 1)
        self.assertIn("contact 2: \"Jo Smith jo@liverpool.ac.uk\" is not an e-mail address: it contains a space: put "
                      "the name first and the address in angle brackets", r.stderr)
        self.assertIn("contact 3: \"ann@liverpool\" is not an e-mail address: its domain has no dot", r.stderr)
        r = self.cli("admin", "org", "set-contact", "UoL", "a@liverpool.ac.uk", "A@Liverpool.ac.uk")
        self.assertIn("it is given twice", r.stderr)
        r = self.cli("admin", "org", "set-contact", "UoL", *["p%d@liverpool.ac.uk" % i for i in range(11)])
        self.assertEqual(r.returncode, 2)
        self.assertIn("one to ten contacts", r.stderr)
        uol = {o["code"]: o for o in self.s.cli_json("viewer", "org", "list")}["UoL"]
        self.assertEqual(uol["contacts"], ["Ann Williams <ann@liverpool.ac.uk>"])
        # a statement that knows only the old column keeps the two in step (migrations/0009)
        self.s.sql("UPDATE organisation SET contact_email = 'pmo@liverpool.ac.uk' WHERE code = 'UoL'")
        self.assertEqual(self.s.sql("SELECT array_to_string(contacts, ';') FROM organisation WHERE code = 'UoL'"),
                         "pmo@liverpool.ac.uk")

    def test_tilde_in_client_conf(self):
        """client.conf is read by no shell: cert = ~/... means the home directory's."""
        home = os.path.join(self.s.tmp, "home-tilde")
        xdg = os.path.join(home, ".config")
        os.makedirs(os.path.join(xdg, "planreg"), exist_ok=True)
        os.makedirs(os.path.join(home, "planreg-pki"), exist_ok=True)
        for f in (self.s.pki.cert("viewer"), self.s.pki.key("viewer"), self.s.pki.ca):
            shutil.copy(f, os.path.join(home, "planreg-pki"))
        with open(os.path.join(xdg, "planreg", "client.conf"), "w") as f:
            f.write("server = localhost:%d\ncert = ~/planreg-pki/viewer.crt\nkey = ~/planreg-pki/viewer.key\n"
                    "ca = ~/planreg-pki/ca.crt\n" % self.s.daemon.port)
        env = {"HOME": home, "XDG_CONFIG_HOME": xdg, "PLANREG_SERVER": "", "PLANREG_CERT": "", "PLANREG_KEY": "",
               "PLANREG_CA": ""}
        r = self.s.cli(None, "whoami", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("viewer", r.stdout)
        env["HOME"] = ""
        r = self.s.cli(None, "whoami", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cert ~/planreg-pki/viewer.crt: ~ stands for your home directory, and HOME is not set",
                      r.stderr)

    # ------------------------------------------------------------ credentials

    def test_credentials(self):
        creds = {c["name"]: c for c in self.s.cli_json("admin", "cred", "list")}
        self.assertEqual(creds["viewer"]["role"], "viewer")
        self.assertEqual(creds["submitter-LCC"]["organisation"], "LCC")
        self.assertEqual(creds["submitter-LCC"]["enrolled_by"], "admin")
        self.assertEqual(creds["admin"]["enrolled_by"], "planregd enrol")
        # the same enrolment again is a retry, not an error
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("viewer"), "--role", "viewer", "--name", "viewer")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already enrolled viewer", r.stdout)
        # the name is taken by another certificate
        self.s.issue("other", "CA", "Other", "viewer")
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("other"), "--role", "viewer", "--name", "viewer")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("ALREADY_EXISTS", r.stderr)  # plain words, no protocol names
        self.assertIn("name viewer is taken", r.stderr)
        r = self.cli("admin", "cred", "enrol", "--fingerprint", "ab" * 32, "--org", "NOPE", "--role", "viewer",
                     "--name", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no organisation NOPE", r.stderr)
        r = self.cli("admin", "cred", "enrol", "--fingerprint", "xyz", "--org", "CA", "--role", "viewer", "--name", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("fingerprint", r.stderr)
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("other"), "--role", "boss")
        self.assertEqual(r.returncode, 2)
        # a certificate issued for CA enrolled for LCC could never connect: refused before anything is sent
        before = self.s.sql("SELECT count(*) FROM credential")
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("other"), "--org", "LCC", "--role",
                     "viewer", "--name", "other-lcc")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("is issued for organisation CA (subject O), so it could never act for LCC", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM credential"), before)
        # the same organisation in another case is the same organisation (the daemon compares so too)
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("other"), "--org", "ca", "--role",
                     "viewer", "--name", "other-ca")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.cli("admin", "cred", "revoke", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn("there is no credential nobody", r.stderr)

    # ------------------------------------------------------------ refusals

    def test_refusal_viewer_calls_admin_request(self):
        r = self.cli("viewer", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("importing a plan needs the role admin; credential viewer has role viewer",
                      r.stderr)
        r = self.cli("viewer", "cred", "list")
        self.assertEqual(r.returncode, 1)
        self.assertIn("listing the credentials needs the role admin", r.stderr)

    def test_refusal_submitter_calls_import(self):
        r = self.cli("submitter-LCC", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("importing a plan needs the role admin; credential submitter-LCC has role submitter",
                      r.stderr)
        r = self.cli("reminder", "cred", "enrol", "--fingerprint", "ab" * 32, "--org", "CA", "--role", "admin",
                     "--name", "sneaky")
        self.assertEqual(r.returncode, 1)
        self.assertIn("enrolling a credential needs the role admin", r.stderr)

    def test_refusal_no_client_certificate(self):
        r = self.cli(None, "whoami")
        self.assertEqual(r.returncode, 3)
        self.assertIn("no client certificate", r.stderr)

    def test_enrol_checks_the_certificate_against_the_ca(self):
        """A certificate another CA issued could never connect: cred enrol --cert refuses it before asking the
        server; a fingerprint alone cannot be checked, so it is enrolled with a warning that says so."""
        other = harness.Pki(os.path.join(self.s.tmp, "foreign-ca"))
        other.issue("foreigner", "CA", "Foreigner", "viewer")
        before = self.s.sql("SELECT count(*) FROM credential")
        r = self.cli("admin", "cred", "enrol", "--cert", other.cert("foreigner"), "--role", "viewer")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("%s was issued by " % other.cert("foreigner"), r.stderr)
        self.assertIn("not by the deployment's CA (%s), so it could never connect" % self.s.pki.ca, r.stderr)
        self.assertIn("--client-ca FILE", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM credential"), before)
        # the same certificate checked against the CA that did issue it passes the check
        r = self.cli("admin", "cred", "enrol", "--cert", other.cert("foreigner"), "--role", "viewer",
                     "--client-ca", other.ca, "--name", "foreigner-checked")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("enrolled foreigner-checked", r.stdout)
        # one of the deployment's passes without a word
        self.s.issue("native", "CA", "Native", "viewer")
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("native"), "--role", "viewer")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        # a fingerprint: enrolled, with the warning
        fp = other.issue("by-fingerprint", "CA", "By Fingerprint", "viewer")
        r = self.cli("admin", "cred", "enrol", "--fingerprint", fp, "--org", "CA", "--role", "viewer", "--name",
                     "by-fingerprint")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: a fingerprint alone cannot be checked: enrol it only if it is of a certificate issued "
                      "by the deployment's CA (%s), or it will never connect" % self.s.pki.ca, r.stderr)

    def test_refusal_certificate_from_another_ca(self):
        other = harness.Pki(os.path.join(self.s.tmp, "other-ca"))
        other.issue("stranger", "CA", "Stranger", "admin")
        r = self.cli(None, "whoami", env={"PLANREG_CERT": other.cert("stranger"), "PLANREG_KEY": other.key("stranger")})
        self.assertEqual(r.returncode, 3)
        self.assertIn("refused this client certificate", r.stderr)
        self.assertIn("must be issued by the deployment's CA", r.stderr)

    def test_refusal_not_enrolled(self):
        self.s.issue("unenrolled", "CA", "Nobody", "admin")
        r = self.cli("unenrolled", "whoami")
        self.assertEqual(r.returncode, 3)
        self.assertIn("certificate refused: this certificate", r.stderr)
        self.assertIn("is not enrolled", r.stderr)

    def test_refusal_revoked(self):
        self.s.enrol("temp-viewer", "CA", "Temporary", "viewer")
        r = self.cli("temp-viewer", "whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli("admin", "cred", "revoke", "temp-viewer")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("revoked temp-viewer", r.stdout)
        r = self.cli("temp-viewer", "whoami")
        self.assertEqual(r.returncode, 3)
        self.assertIn("credential revoked: credential temp-viewer was revoked at", r.stderr)
        # revoking again changes nothing; re-enrolling the revoked certificate is refused
        r = self.cli("admin", "cred", "revoke", "temp-viewer")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli("admin", "cred", "enrol", "--cert", self.s.pki.cert("temp-viewer"), "--role", "viewer",
                     "--name", "temp-viewer-2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("revoked; issue a new certificate", r.stderr)
        listed = {c["name"]: c for c in self.s.cli_json("admin", "cred", "list", "--all")}
        self.assertIsNotNone(listed["temp-viewer"]["revoked_at"])
        self.assertNotIn("temp-viewer", {c["name"] for c in self.s.cli_json("admin", "cred", "list")})

    def test_refusal_untrusted_server(self):
        other = harness.Pki(os.path.join(self.s.tmp, "wrong-trust"))
        r = self.cli("viewer", "whoami", env={"PLANREG_CA": other.ca})
        self.assertEqual(r.returncode, 3)
        self.assertIn("server's certificate is not trusted", r.stderr)

    def test_refusal_cannot_connect(self):
        r = self.cli("viewer", "whoami", env={"PLANREG_SERVER": "127.0.0.1:%d" % harness.free_port()})
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot connect to 127.0.0.1", r.stderr)

    def test_usage(self):
        r = self.cli("viewer", "nonsense")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)
        r = self.cli("viewer", "projects", "frobnicate")
        self.assertEqual(r.returncode, 2)
        r = self.cli("viewer", "projects", "list", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--lead ORG", r.stdout)
        r = self.cli("viewer", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Exit codes", r.stdout)

    def test_config_file_settings(self):
        xdg = os.path.join(self.s.tmp, "xdg-conf")
        os.makedirs(os.path.join(xdg, "planreg"), exist_ok=True)
        with open(os.path.join(xdg, "planreg", "client.conf"), "w") as f:
            f.write("# test\nserver = localhost:%d\ncert = %s\nkey = %s\nca = %s\n" % (
                self.s.daemon.port, self.s.pki.cert("viewer"), self.s.pki.key("viewer"), self.s.pki.ca))
        env = {"XDG_CONFIG_HOME": xdg, "PLANREG_SERVER": "", "PLANREG_CERT": "", "PLANREG_KEY": "", "PLANREG_CA": ""}
        r = self.s.cli(None, "whoami", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("viewer", r.stdout)
        with open(os.path.join(xdg, "planreg", "client.conf"), "a") as f:
            f.write("colour = blue\n")
        r = self.s.cli(None, "whoami", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown key "colour"', r.stderr)


if __name__ == "__main__":
    harness.main()
