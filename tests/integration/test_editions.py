"""The register across editions of the plan, through the real CLI, daemon, TLS and
PostgreSQL: copies of the seed re-typeset the ways a new print changes it (LEAD
and PARTNERS swapped, another column order under other headings, an extra
column, page footers and form feeds, the headings on every page) read exactly as
the seed; and a successor edition (tests/data/plan-2023-2025.txt, written by
tests/data/make_editions.py: renumbered projects, a retitled one, a change of
lead, a split, closed and new projects, theme 6's objectives numbered 6.x)
imported with --successor-of: the dry run's verdict project by project, the
refusal of an ambiguous match until the map settles it, returns, reviews and
history that follow a carried-over project under its new ref (audit verify
still passing), closed projects no longer owed or chased, and --plan."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

DATA = os.path.join(harness.SOURCE_DIR, "tests", "data")
NEXT = os.path.join(DATA, "plan-2023-2025.txt")
NEXT_MAP = os.path.join(DATA, "plan-2023-2025.map")
SEED_TITLE = "2021-2023 LCR Digital Strategy Action Plan"
NEXT_TITLE = "2023-2025 LCR Digital Strategy Action Plan"
Q3, Q4 = "2026-Q3", "2026-Q4"


def parsed(path):
    """The local reading of a document (--dry-run --format json asks no server)."""
    r = harness.run([harness.PLANREG, "--server", "127.0.0.1:1", "plan", "import", path, "--dry-run", "--format",
                     "json"])
    if r.returncode != 0:
        raise AssertionError("%s: %s" % (path, r.stderr))
    return json.loads(r.stdout), r.stderr


class ReadingTest(unittest.TestCase):
    """Copies of the seed printed another way read fact by fact as the seed does."""

    @classmethod
    def setUpClass(cls):
        cls.seed, cls.seed_warnings = parsed(harness.PLAN_FILE)

    def assert_reads_as_seed(self, name, attributes=None):
        got, warnings = parsed(os.path.join(DATA, name))
        self.assertEqual(len(got), 80, name)
        for want, p in zip(self.seed, got):
            facts = {k: v for k, v in p.items() if k != "attributes"}
            self.assertEqual(facts, {k: v for k, v in want.items() if k != "attributes"}, (name, p["ref"]))
            self.assertEqual(p["attributes"], attributes(p) if attributes else [], (name, p["ref"]))
        return got, warnings

    def test_lead_and_partners_swapped(self):
        got, warnings = self.assert_reads_as_seed("plan-2021-2023-lead-partners-swapped.txt")
        # the leads are the seed's: project 80 is the CA's, not "Local Authorities" and the voluntary sector
        leads = {p["ref"]: p["lead_orgs"] for p in got}
        self.assertEqual(leads, {p["ref"]: p["lead_orgs"] for p in self.seed})
        self.assertEqual(leads[80], ["CA"])
        self.assertEqual(leads[48], ["STFC", "ATOS"])
        self.assertIn("each row is read by the headings on line 9: title, description, partners, lead, total cost, "
                      "funding, status", warnings)
        self.assertNotIn("not in the names file", warnings)  # no organisation invented from a partner

    def test_page_footers_and_form_feeds(self):
        got, warnings = self.assert_reads_as_seed("plan-2021-2023-page-footers.txt")
        self.assertEqual([p["lead_orgs"] for p in got], [p["lead_orgs"] for p in self.seed])
        self.assertIn("passed over 12 page numbers", warnings)
        self.assertIn("passed over 11 form feeds (page breaks), the first on line 22", warnings)

    def test_reordered_under_other_headings(self):
        _, warnings = self.assert_reads_as_seed("plan-2021-2023-retypeset.txt")
        self.assertIn("status, title, lead, partners, total cost, description, funding", warnings)
        self.assertIn("passed over 11 repeats of the row of column headings", warnings)
        self.assertIn("passed over 12 page numbers", warnings)

    def test_extra_column_kept_as_an_attribute(self):
        _, warnings = self.assert_reads_as_seed(
            "plan-2021-2023-timescale.txt", lambda p: ["TIMESCALE: 2021-%d" % (2022 + p["ref"] % 3)])
        self.assertIn('column 7 "TIMESCALE" (line 9) is not one the register reads; each project keeps it as the '
                      'attribute "TIMESCALE"', warnings)
        self.assertNotIn("not in the published order", warnings)

    def test_headings_on_every_page(self):
        _, warnings = self.assert_reads_as_seed("plan-2021-2023-headings-every-page.txt")
        self.assertIn("passed over 11 repeats of the row of column headings", warnings)

    def test_a_missing_column_is_named(self):
        d = harness.tempdir("editions-read-")
        path = os.path.join(d, "no-lead.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            text = f.read().replace("LEAD (body & person)\t", "WHO\t", 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = harness.run([harness.PLANREG, "--server", "127.0.0.1:1", "plan", "import", path, "--dry-run"])
        self.assertEqual(r.returncode, 2)
        self.assertIn(":9: the column headings on line 9 have no lead column", r.stderr)
        self.assertEqual(r.stdout, "")


class EditionTest(unittest.TestCase):
    """A register with returns, then the 2023-2025 edition as its successor. The tests share the register and
    run in name order; a test that adds returns says which later one it affects."""

    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("editions", people=("viewer", "submitter-LCC", "submitter-CA", "reminder"))
        cls.ids = {}
        cls.ids["lcc5"] = cls.submit("submitter-LCC", 5, Q3, "green", "live", "Network build on schedule.")
        cls.ids["lcc6"] = cls.submit("submitter-LCC", 6, Q3, "amber", "concept", "Scale-out scoped.")
        cls.ids["ca4"] = cls.submit("submitter-CA", 4, Q3, "amber", "early_development", "Campaign drafted.")
        cls.ids["ca1"] = cls.submit("submitter-CA", 1, Q3, "green", "live", "JV in place.")
        r = cls.s.cli("admin", "update", "review", str(cls.ids["ca1"]), "--return", "Add the spend figure.")
        assert r.returncode == 0, r.stderr
        cls.outstanding_before = cls.s.cli_json("viewer", "status", "outstanding", "--period", Q3)
        cls.audit_before = cls.s.cli_json("viewer", "audit", "verify")
        # the verdicts before anything is written
        cls.verdict = cls.dry_run()
        cls.refused = cls.s.cli("admin", "plan", "import", NEXT, "--successor-of", "1", "--quiet")
        cls.projects_after_refusal = cls.s.sql("SELECT count(*) FROM project")
        cls.verdict_map = cls.dry_run("--map", NEXT_MAP)
        cls.imported = cls.s.cli("admin", "plan", "import", NEXT, "--successor-of", SEED_TITLE, "--map", NEXT_MAP)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @classmethod
    def submit(cls, cred, ref, period, confidence, stage, narrative):
        r = cls.s.cli(cred, "update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage",
                      stage, "--narrative", narrative, "--format", "json")
        if r.returncode != 0:
            raise AssertionError("submit %s %d: %s%s" % (cred, ref, r.stdout, r.stderr))
        return json.loads(r.stdout)["update_id"]

    @classmethod
    def dry_run(cls, *extra):
        r = cls.s.cli("admin", "plan", "import", NEXT, "--successor-of", "1", "--dry-run", "--format", "json",
                      "--quiet", *extra)
        if r.returncode != 0:
            raise AssertionError("dry run: %s%s" % (r.stdout, r.stderr))
        return json.loads(r.stdout)

    def by(self, verdict, status):
        return {(p["ref"] if p["ref"] is not None else p["previous_ref"]): p for p in verdict
                if p["status"] == status}

    # ------------------------------------------------------------ the review before it lands

    def test_verdict_carried_over_with_what_changed(self):
        carried = self.by(self.verdict, "carried")
        self.assertEqual(len(carried), 74)
        want = {
            1: (1, "title", ["cost"]),
            3: (3, "title", ["stage"]),
            4: (5, "title", ["ref"]),
            5: (6, "title", ["ref", "lead"]),
            10: (14, "title", ["ref", "objective"]),
            14: (16, "title", ["ref", "stage"]),
            26: (29, "lead and title", ["ref", "title"]),
            51: (55, "lead and title", ["ref", "title"]),
            77: (78, "title", ["ref"]),
        }
        for ref, (previous, how, changed) in want.items():
            p = carried[ref]
            self.assertEqual((p["previous_ref"], p["matched_by"], p["changed"]), (previous, how, changed), ref)
        self.assertEqual(carried[2]["changed"], [])  # the same project, the same ref
        self.assertEqual(carried[26]["title"], "LCR Tech Accelerator")
        for p in self.verdict:
            self.assertEqual(list(p), ["status", "ref", "previous_ref", "title", "matched_by", "changed",
                                       "candidates"])

    def test_verdict_new_closed_and_ambiguous(self):
        new = self.by(self.verdict, "new")
        self.assertEqual({r: p["title"] for r, p in new.items()},
                         {56: "Cyber Resilience Centre", 76: "Digital Inclusion Network",
                          79: "Digital Poverty Eradication Programme"})
        closed = self.by(self.verdict, "closed")
        self.assertEqual(sorted(closed), [4, 11, 26, 44, 80])
        self.assertEqual(closed[80]["title"], "LCR Digital Poverty Programme")
        self.assertIsNone(closed[4]["ref"])
        ambiguous = self.by(self.verdict, "ambiguous")
        self.assertEqual(sorted(ambiguous), [64, 65])
        for p in ambiguous.values():
            self.assertEqual(p["candidates"], ["67"])
            self.assertIsNone(p["previous_ref"])
        self.assertNotIn(67, closed)  # it is what the two could continue, not closed

    def test_ambiguous_import_is_refused_and_writes_nothing(self):
        r = self.refused
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("2 projects of the new edition cannot be matched to the one each continues; a --map file "
                      "settles each", r.stderr)
        self.assertIn("  - project 64: could continue project 67 of plan 1, as another project of the new edition "
                      "could (the same lead and a close title)", r.stderr)
        self.assertIn("  - project 65: could continue project 67 of plan 1", r.stderr)
        self.assertEqual(self.projects_after_refusal, "80")

    def test_the_map_settles_it(self):
        carried = self.by(self.verdict_map, "carried")
        self.assertEqual((carried[64]["previous_ref"], carried[64]["matched_by"]), (67, "map"))
        self.assertEqual((carried[79]["previous_ref"], carried[79]["matched_by"]), (80, "map"))
        self.assertEqual(carried[79]["changed"], ["ref", "title", "lead"])
        self.assertEqual(sorted(self.by(self.verdict_map, "new")), [56, 65, 76])
        self.assertEqual(sorted(self.by(self.verdict_map, "closed")), [4, 11, 26, 44])
        self.assertEqual(self.by(self.verdict_map, "ambiguous"), {})

    def test_import_reports_and_makes_it_current(self):
        r = self.imported
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("carried 4 (was 5): Liverpool 5G Create: Connecting Health & Social Care [by title; "
                      "changed: ref]", r.stdout)
        self.assertIn("closed (was 11): Housing", r.stdout)
        self.assertIn("new 56: Cyber Resilience Centre", r.stdout)
        self.assertIn("plan 2 succeeds plan 1 and is now the current plan: 76 projects carried over, 3 new, "
                      "4 closed", r.stdout)
        self.assertEqual(self.s.cli_json("viewer", "whoami")["plan"], NEXT_TITLE)
        self.assertEqual(len(self.s.cli_json("viewer", "projects", "list")), 79)

    # ------------------------------------------------------------ returns, reviews and history follow the project

    def test_history_follows_a_renumbered_project(self):
        for cred in ("viewer", "submitter-LCC"):
            h = [u for u in self.s.cli_json(cred, "update", "history", "4") if u["id"] <= self.ids["ca1"]]
            self.assertEqual([u["id"] for u in h], [self.ids["lcc5"]], cred)  # those made before the import
            self.assertEqual(h[0]["narrative"], "Network build on schedule.")
            self.assertEqual(h[0]["ref"], 5)  # as it was submitted: the ref its hash covers
        # the old edition's ref 4 is another project now; in plan 1 it is the closed publicity programme
        old = self.s.cli_json("viewer", "update", "history", "4", "--plan", "1")
        self.assertEqual([u["id"] for u in old], [self.ids["ca4"]])
        self.assertEqual(self.s.cli_json("viewer", "update", "history", "5", "--plan", "1")[0]["id"], self.ids["lcc5"])

    def test_review_and_status_carry_over(self):
        st = self.s.cli_json("viewer", "status", "--period", Q3)
        rows = {p["ref"]: p for p in st["projects"]}
        self.assertEqual((rows[4]["update_id"], rows[4]["confidence"]), (self.ids["lcc5"], "green"))
        self.assertEqual(rows[5]["update_id"], self.ids["lcc6"])   # a change of lead keeps the return
        self.assertEqual(rows[1]["review"], "returned")             # the review made under plan 1
        self.assertTrue(rows[1]["outstanding"])
        self.assertEqual(st["totals"]["projects"], 79)
        self.assertEqual(st["totals"]["reported"], 2)
        # 0011's counting, kept by 0016: the returned revision counts as returned, not by its colour
        self.assertEqual(st["totals"]["by_confidence"], {"green": 1, "amber_green": 0, "amber": 1, "amber_red": 0,
                                                         "red": 0, "returned": 1, "none": 76})
        self.assertNotIn("Campaign drafted.", json.dumps(st))

    def test_revision_and_audit_across_editions(self):
        self.assertTrue(self.audit_before["ok"])
        # an amend of the return made as project 5 of plan 1: read back under the new ref, not stale
        r = self.s.cli("submitter-LCC", "update", "submit", "4", "--period", Q3, "--amend", "--confidence",
                       "amber_green", "--narrative", "Network build slightly behind.", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        uid = json.loads(r.stdout)["update_id"]
        self.assertEqual(json.loads(r.stdout)["revision"], 2)
        h = [u for u in self.s.cli_json("viewer", "update", "history", "4") if u["period"] == Q3]
        self.assertEqual([(u["ref"], u["revision"], u["superseded"]) for u in h], [(5, 1, True), (4, 2, False)])
        self.assertEqual(h[1]["id"], uid)
        self.assertEqual((h[1]["stage"], h[1]["confidence"]), ("live", "amber_green"))  # the stage kept from rev 1
        a = self.s.cli_json("viewer", "audit", "verify")
        self.assertTrue(a["ok"], a)
        self.assertEqual(a["checked"], int(self.s.sql("SELECT count(*) FROM progress_update")))
        self.assertGreater(a["checked"], self.audit_before["checked"])
        self.assertEqual(self.s.cli_json("viewer", "status", "--period", Q3)["projects"][3]["revision"], 2)

    def test_closed_projects_are_no_longer_owed(self):
        def owed(rows):
            return {int(ref) for o in rows for ref in o["projects"]}
        before = owed(self.outstanding_before)
        self.assertTrue({11, 26, 44} <= before)
        after = owed(self.s.cli_json("viewer", "status", "outstanding", "--period", Q3))
        # refs now name the new edition's projects: none of them is a closed one
        titles = {p["ref"]: p["title"] for p in self.s.cli_json("viewer", "projects", "list")}
        for gone in ("Housing", "Everton FC living lab", "National engagement & familiarisation",
                     "Digital connectivity publicity programme"):
            self.assertNotIn(gone, {titles.get(r) for r in after})
        self.assertEqual(len(after), 79 - 2)  # every project of the edition but the two reported
        self.assertEqual(self.s.cli("admin", "org", "set-contact", "CA", "digital@example.org").returncode, 0)
        reminders = self.s.cli("reminder", "remind", "run", "--dry-run", "--as-of", "2026-10-20", "--period", Q3)
        self.assertEqual(reminders.returncode, 0, reminders.stdout + reminders.stderr)
        self.assertIn("Establish commercial JV partnership", reminders.stdout)  # returned: chased again
        # the CA's example starts from what project 1 reported in plan 1, the return it gave back
        self.assertRegex(reminders.stdout, r"project\s+1\s+as\s+returned\s+for\s+2026-Q3\s+\(green,\s+live\)")
        self.assertNotIn("Housing", reminders.stdout)
        # the old edition's outstanding list is still there to read
        old = owed(self.s.cli_json("viewer", "status", "outstanding", "--period", Q3, "--plan", "1"))
        self.assertIn(11, old)

    def test_closed_history_stays_readable(self):
        u = self.s.cli_json("viewer", "update", "show", str(self.ids["ca4"]))
        self.assertEqual((u["ref"], u["narrative"]), (4, "Campaign drafted."))
        e = self.s.cli_json("viewer", "export", "updates")
        self.assertNotIn(self.ids["ca4"], [x["id"] for x in e])  # the current plan's projects
        self.assertIn(self.ids["lcc5"], [x["id"] for x in e])
        e1 = self.s.cli_json("viewer", "export", "updates", "--plan", "1")
        self.assertIn(self.ids["ca4"], [x["id"] for x in e1])

    def test_diff_across_editions(self):
        # (test_revision_and_audit_across_editions, which revises Q3, runs after this one)
        r = self.s.cli("submitter-LCC", "update", "submit", "4", "--period", Q4, "--confidence", "red", "--stage",
                       "advanced_development", "--narrative", "Supplier failed.", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # compared with the quarter before's return, made as project 5 of plan 1
        self.assertEqual(json.loads(r.stdout)["warnings"],
                         ["the stage moves backwards: advanced_development, after live in the 2026-Q3 return"])
        d = {p["ref"]: p for p in self.s.cli_json("viewer", "status", "diff", Q3, Q4)}
        self.assertEqual((d[4]["confidence_from"], d[4]["confidence_to"], d[4]["confidence_change"]),
                         ("green", "red", "down"))
        self.assertNotIn(11, d)

    def test_report_timeliness_and_template_across_editions(self):
        out = os.path.join(self.s.tmp, "board.html")
        html = self.s.cli_output("viewer", out, "report", "html", "--period", Q3)
        self.assertIn(NEXT_TITLE, html)
        self.assertIn("Cyber Resilience Centre", html)
        self.assertNotIn("Everton FC living lab", html)
        html = self.s.cli_output("viewer", out, "report", "html", "--period", Q3, "--plan", "1")
        self.assertIn(SEED_TITLE, html)
        self.assertIn("Everton FC living lab", html)
        self.assertNotIn("Cyber Resilience Centre", html)
        # LCC leads 4 (its return made as 5), 38's successor and two new projects of the edition
        t = {(x["organisation"], x["period"]): x for x in self.s.cli_json("viewer", "status", "timeliness", "--to", Q3)}
        self.assertEqual((t[("LCC", Q3)]["projects"], t[("LCC", Q3)]["reported"]), (4, 1))
        t1 = {(x["organisation"], x["period"]): x
              for x in self.s.cli_json("viewer", "status", "timeliness", "--to", Q3, "--plan", "1")}
        self.assertEqual((t1[("LCC", Q3)]["projects"], t1[("LCC", Q3)]["reported"]), (3, 2))
        # the template pre-fills the renumbered project from the return made before the edition
        rows = {x["ref"]: x for x in self.s.cli_json("submitter-LCC", "update", "template", "--period", Q3)}
        self.assertEqual(sorted(rows), [4, 35, 76, 79])
        self.assertIsNotNone(rows[4]["latest"])
        self.assertIn("Network build", rows[4]["latest"]["narrative"])
        self.assertIsNone(rows[76]["latest"])

    # ------------------------------------------------------------ plans in the CLI

    def test_plan_list_and_show(self):
        plans = self.s.cli_json("viewer", "plan", "list")
        self.assertEqual([(p["number"], p["title"], p["current"], p["previous"], p["next"]) for p in plans],
                         [(1, SEED_TITLE, False, None, 2), (2, NEXT_TITLE, True, 1, None)])
        self.assertEqual((plans[1]["projects"], plans[1]["carried_over"], plans[1]["new_projects"],
                          plans[1]["closed"]), (79, 76, 3, 4))
        self.assertEqual((plans[0]["projects"], plans[0]["new_projects"], plans[0]["closed"]), (80, 80, 0))
        show = self.s.cli_json("viewer", "plan", "show")
        self.assertEqual(show["number"], 2)
        changes = {(c["status"], c["ref"], c["previous_ref"]): c for c in show["project_changes"]}
        self.assertEqual(changes[("carried", 5, 6)]["changed"], ["ref", "lead"])
        self.assertIn(("closed", None, 44), changes)
        self.assertIn(("new", 56, None), changes)
        r = self.s.cli("viewer", "plan", "show", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^next:\s+plan 2$")
        csv_lines = self.s.cli("viewer", "plan", "list", "--format", "csv").stdout.splitlines()
        self.assertEqual(csv_lines[0].split(","), list(plans[0]))

    def test_plan_option(self):
        old = self.s.cli_json("viewer", "projects", "list", "--plan", "1")
        self.assertEqual(len(old), 80)
        self.assertEqual(old[3]["title"], "Digital connectivity publicity programme")
        by_title = self.s.cli_json("viewer", "projects", "list", "--plan", SEED_TITLE.lower())
        self.assertEqual(by_title, old)
        themes = self.s.cli_json("viewer", "themes", "list")
        self.assertEqual(themes[5]["objectives"], ["6.1", "6.2", "6.3"])
        self.assertEqual(self.s.cli_json("viewer", "projects", "show", "4", "--plan", "1")["lead_orgs"], ["CA"])
        r = self.s.cli("viewer", "projects", "list", "--plan", "9")
        self.assertEqual(r.returncode, 1)
        self.assertIn('there is no plan "9" (`planreg plan list` names each by its number and title)', r.stderr)
        r = self.s.cli("viewer", "status", "--period", Q3, "--plan", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn('there is no plan "nope"', r.stderr)

    def test_the_old_edition_is_kept_as_it_was(self):
        r = self.s.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no changes", r.stdout)
        changed = os.path.join(self.s.tmp, "changed-seed.txt")
        with open(harness.PLAN_FILE, encoding="utf-8") as f:
            text = f.read().replace("£7.2M\tDCMS", "£7.9M\tDCMS")
        with open(changed, "w", encoding="utf-8") as f:
            f.write(text)
        r = self.s.cli("admin", "plan", "import", changed, "--quiet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("has been succeeded by plan 2", r.stderr)
        self.assertEqual(self.s.cli_json("viewer", "projects", "show", "5", "--plan", "1")["cost"]["text"], "£7.2M")

    def test_successor_refusals(self):
        cases = [
            (["--successor-of", "1"], 1, "plan 1 (\"%s\") is not the current edition: plan 2 is" % SEED_TITLE),
            (["--successor-of", "7"], 1, 'there is no plan "7"'),
            (["--map", NEXT_MAP], 2, "--map matches a new edition's projects"),
        ]
        for args, code, words in cases:
            r = self.s.cli("admin", "plan", "import", NEXT, "--quiet", *args)
            self.assertEqual(r.returncode, code, (args, r.stderr))
            self.assertIn(words, r.stderr, args)
        r = self.s.cli("admin", "plan", "import", NEXT, "--quiet", "--successor-of", "2")
        self.assertEqual(r.returncode, 1)
        self.assertIn('the register already holds a plan titled "%s" (plan 2)' % NEXT_TITLE, r.stderr)
        bad = os.path.join(self.s.tmp, "bad.map")
        for text, words in (("64 sixty-seven\n", 'line 1: "64 sixty-seven" is not NEW_REF OLD_REF or NEW_REF new'),
                            ("64 67\n65 67\n", "line 2: project 67 of the previous edition is claimed on line 1"),
                            ("64 67\n64 new\n", "line 2: project 64 is mapped on line 1 already")):
            with open(bad, "w") as f:
                f.write(text)
            r = self.s.cli("admin", "plan", "import", NEXT, "--quiet", "--successor-of", "2", "--map", bad)
            self.assertEqual(r.returncode, 2, text)
            self.assertIn(words, r.stderr)
        r = self.s.cli("viewer", "plan", "import", NEXT, "--quiet", "--successor-of", "2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("importing a plan needs the role admin", r.stderr)

    def test_third_edition_and_a_map_naming_no_project(self):
        path = os.path.join(self.s.tmp, "third.txt")
        with open(NEXT, encoding="utf-8") as f:
            text = f.read().replace(NEXT_TITLE, "2025-2027 LCR Digital Strategy Action Plan")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        bad = os.path.join(self.s.tmp, "third.map")
        with open(bad, "w") as f:
            f.write("1 500\n")
        r = self.s.cli("admin", "plan", "import", path, "--quiet", "--dry-run", "--successor-of", "2", "--map", bad)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("plan 2 has no project 500", r.stderr)
        # a third edition identical to the second carries every project over by title, and writes nothing
        v = json.loads(self.s.cli("admin", "plan", "import", path, "--quiet", "--dry-run", "--successor-of", "2",
                                  "--format", "json").stdout)
        self.assertEqual({p["status"] for p in v}, {"carried"})
        self.assertEqual({p["matched_by"] for p in v}, {"title"})
        self.assertEqual(len(v), 79)
        self.assertEqual(len(self.s.cli_json("viewer", "plan", "list")), 2)


# ---------------------------------------------------------------- a register made before editions

OLD_DOC = {
    "title": "Old plan", "source_sha256": "",
    "themes": [{"number": 1, "title": "One"}], "objectives": [{"theme": 1, "number": 1, "title": "First"}],
    "organisations": [{"code": "LCC", "name": "Liverpool City Council", "kind": "local_authority", "aliases": []}],
    "person_aliases": [],
    "projects": [dict(ref=ref, theme=1, objective=1, title=title, description="d", capital=False, lead_text="LCC",
                      lead_orgs=["LCC"], lead_people=[], partners=[], partners_text="", cost_text="tbd",
                      cost_status="unknown", cost_min=None, cost_max=None, cost_approximate=False, funding="",
                      stage="live", stage_note="", stage_text="Live")
                 for ref, title in ((1, "Closing project"), (2, "Kept project"))],
}


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def before_editions(db):
    """Migrations 0001-0007 applied as planregd migrate records them, a plan imported and a return submitted through
    their own functions (0001's import, 0006's submission), as a register of the single-plan era holds them."""
    import hashlib
    mdir = os.path.join(harness.SOURCE_DIR, "migrations")
    harness.psql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text "
                 "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", db)
    for name in sorted(os.listdir(mdir)):
        if not name.endswith(".sql") or int(name[:4]) >= 8:
            continue
        with open(os.path.join(mdir, name), "rb") as f:
            body = f.read()
        harness.psql(body.decode() + "\nINSERT INTO schema_migrations (version, name, checksum) VALUES (%d, '%s', "
                     "'%s');" % (int(name[:4]), name, hashlib.sha256(body).hexdigest()), db)
    harness.psql("SELECT count(*) FROM planreg_import_plan(%s::jsonb, 'admin')" % sql_text(json.dumps(OLD_DOC)), db)
    narrative = "Made before editions."
    content = ("planreg-update-v1\nref=2\nperiod=7:2026-Q3\nconfidence=5:green\nstage=4:live\n"
               "narrative=%d:%s\nspend_to_date_pence=-\nforecast_total_pence=-\nvariance_note=0:\nmilestones=0\n"
               "risks=0\n" % (len(narrative), narrative))
    digest = hashlib.sha256(content.encode()).hexdigest()
    harness.psql("SELECT id FROM planreg_submit_update((SELECT id FROM project WHERE ref = 2), '2026-Q3', 'green', "
                 "'live', %s, NULL, NULL, '', 'submitter-LCC', 'LCC', 'Ann Williams', false, 'k1', '%s', %s, "
                 "'[]', '[]', '[]', '2026-07-01', '2026-09-30', '2026-10-14')" % (sql_text(narrative), digest,
                                                                                 sql_text(content)), db)


class UpgradedService(harness.Service):
    """A Service whose database held a register of the single-plan era, migrations 0001-0007 (before_editions)."""

    def __init__(self, prefix):
        harness.require_cluster()
        self.tmp = harness.tempdir("planreg-%s-" % prefix)
        self.db = harness.create_database(prefix)
        before_editions(self.db)
        self.migrated = harness.migrate(self.db)
        self.pki = harness.Pki(os.path.join(self.tmp, "pki"))
        self.fingerprints = {}
        self.daemon = harness.Daemon(self.db, self.pki, self.tmp)
        self.enrol_bootstrap("admin", "CA", "Admin User", "admin")
        self.enrol_people("viewer")


class UpgradeTest(unittest.TestCase):
    """Migrations 0008-0016 on a register with history: every row reads as before, the history verifies, and the plan
    gets a successor that carries the project and its return under a new ref."""

    @classmethod
    def setUpClass(cls):
        cls.s = UpgradedService("editions_upgrade")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_rows_read_as_before_and_a_successor_carries_them(self):
        for name in ("0008_submit_current.sql", "0011_status_totals.sql", "0012_invitations.sql", "0016_editions.sql"):
            self.assertIn("applied " + name, self.s.migrated.stdout)
        self.assertNotIn("applied 0007", self.s.migrated.stdout)
        self.assertEqual(self.s.sql("SELECT count(*) FROM project WHERE lineage = id AND continues IS NULL"), "2")
        ps = self.s.cli_json("viewer", "projects", "list")
        self.assertEqual([(p["ref"], p["title"], p["lead_orgs"], p["attributes"]) for p in ps],
                         [(1, "Closing project", ["LCC"], []), (2, "Kept project", ["LCC"], [])])
        h = self.s.cli_json("viewer", "update", "history", "2")
        self.assertEqual([(u["ref"], u["revision"], u["narrative"]) for u in h], [(2, 1, "Made before editions.")])
        self.assertTrue(self.s.cli_json("viewer", "audit", "verify")["ok"])
        self.assertEqual(self.s.cli_json("viewer", "plan", "list")[0]["new_projects"], 2)
        # the next edition drops the first project: the kept one becomes ref 1
        path = os.path.join(self.s.tmp, "next.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("New plan\nTITLE\tDESCRIPTION\tLEAD\tPARTNERS\tTOTAL COST\tFUNDING\tSTATUS\nTheme 1: One\n"
                    "1.1 First\n1. Kept project\td\tLCC\t-\ttbd\t-\tLive\n")
        r = self.s.cli("admin", "plan", "import", path, "--quiet", "--successor-of", "Old plan")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("carried 1 (was 2): Kept project [by title; changed: ref, partners, funding]", r.stdout)
        self.assertIn("closed (was 1): Closing project", r.stdout)
        h = self.s.cli_json("viewer", "update", "history", "1")
        self.assertEqual([(u["ref"], u["narrative"]) for u in h], [(2, "Made before editions.")])
        self.assertTrue(self.s.cli_json("viewer", "audit", "verify")["ok"])
        out = self.s.cli_json("viewer", "status", "outstanding", "--period", "2026-Q3")
        self.assertEqual(out, [])  # the closed project is not owed; the kept one was reported

if __name__ == "__main__":
    harness.main()
