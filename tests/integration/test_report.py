"""The board report as a board reads it, through the real CLI, daemon and PostgreSQL, rendered by
headless Chromium (Debian's /usr/bin/chromium): the seed plan and a few returns over two quarters,
including one red project, one whose rating fell, one whose forecast moved, one whose end date
moved, one sent back with a bidi override in its comment, and one with a "tbd" plan cost.

BoardReadsFirstTest: returns over four quarters, rated by the lead bodies and some by the CA, and change
requests approved and rejected: the movement matrix of `status movement` and of the report count exactly by
the CA's rating where set, else the body's; each project's trend shows its four quarters in order; the
baselines section lists the approved changes and not the rejected one; nothing overflows at 420 px.

Checked: page 1 of the PDF Chromium prints names the red project and the one whose rating fell,
with their narratives; the PDF has at most 8 A4 pages; at 420 px nothing overflows horizontally
and no text is smaller than 11 CSS px; the headline's counts agree (the colours add up to
"Reported") and each carries its definition; money is compared like for like; the movement matrix
agrees with `status diff`; one table holds every project; the non-reporters are one line per
organisation; a bidi override in submitted text does not turn the report's own words around.

The HTML, PDF and PNGs (1200 and 420 px wide) are left in report-output/ under the working
directory for a person to look at."""

import html
import html.parser
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

Q2, Q3 = "2026-Q2", "2026-Q3"
RLO = "\u202e"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--hide-scrollbars"]

# What the page measures of itself at a width: a copy of the report gets this script at the end of
# its body (the report itself has no script) and is shown in a frame that wide (headless Chromium's
# window is at least 500 px wide); the script writes what it measured into the page around the
# frame (a srcdoc frame shares its origin), and --dump-dom prints that.
PROBE = """<script>
(function () {
  var r = {innerWidth: innerWidth, scrollWidth: document.documentElement.scrollWidth,
           bodyScrollWidth: document.body.scrollWidth, small: [], wide: [], reversed: []};
  var all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length; i++) {
    var e = all[i], cs = getComputedStyle(e);
    if (cs.display === 'none' || cs.visibility === 'hidden' || e.closest('.sr')) continue;
    var own = '';
    for (var k = 0; k < e.childNodes.length; k++)
      if (e.childNodes[k].nodeType === 3) own += e.childNodes[k].data;
    if (own.trim() && parseFloat(cs.fontSize) < 11) r.small.push(e.tagName + '.' + e.className + ' ' + cs.fontSize);
    var b = e.getBoundingClientRect();
    if (b.right > innerWidth + 0.5 && !e.closest('.scroll')) r.wide.push(e.tagName + '.' + e.className + ' ' + b.right);
  }
  // the words after a bidi override in submitted text must still run left to right
  var items = document.querySelectorAll('#outstanding li');
  for (var j = 0; j < items.length; j++) {
    var bs = items[j].querySelectorAll('bdi');
    for (var n = 0; n < bs.length; n++) {
      if (bs[n].textContent.indexOf('\\u202e') < 0) continue;
      var after = bs[n].nextSibling;
      while (after && (after.nodeType !== 3 || after.data.trim().length < 4)) after = after.nextSibling;
      if (!after) { r.reversed.push('nothing after the override'); continue; }
      var t = after.data, a = t.search(/\\S/), z = t.length - 1;
      while (z > a && /\\s/.test(t[z])) z--;
      var ra = document.createRange(); ra.setStart(after, a); ra.setEnd(after, a + 1);
      var rz = document.createRange(); rz.setStart(after, z); rz.setEnd(after, z + 1);
      if (ra.getBoundingClientRect().left >= rz.getBoundingClientRect().left)
        r.reversed.push(JSON.stringify(t));
      r.checked = (r.checked || 0) + 1;
    }
  }
  // the boxes whose content is wider than they are (a reader would scroll them sideways)
  r.scrolling = [];
  var boxes = document.querySelectorAll('.scroll');
  for (var s = 0; s < boxes.length; s++)
    if (boxes[s].scrollWidth > boxes[s].clientWidth + 0.5 && boxes[s].firstElementChild)
      r.scrolling.push(boxes[s].firstElementChild.className);
  // what the check looked at, for the failure message when it found nothing
  r.outstanding = [];
  for (var q = 0; q < items.length; q++)
    if (items[q].textContent.indexOf('spend figures') >= 0) r.outstanding.push(items[q].innerHTML);
  var pre = parent.document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(r);
  parent.document.body.appendChild(pre);
})();
</script>"""


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = shutil.which("chromium")
        cls.s = harness.Service("report", people=("viewer", "submitter-LCC", "submitter-CA", "submitter-LAS",
                                                  "submitter-DATAPLEX"))
        cls.ids = {}
        on_time_q2, on_time_q3 = "2026-07-10T09:00:00Z", "2026-10-10T09:00:00Z"
        cls.put("CA", 1, Q2, on_time_q2, "green", "live", "JV procurement under way.", "--forecast", "£30M")
        cls.put("CA", 2, Q2, on_time_q2, "green", "live", "Platform live.", "--forecast", "£1.2M")
        cls.put("LCC", 5, Q2, on_time_q2, "amber", "live", "Network build started.", "--spend", "£1M",
                "--forecast", "£7.2M", "--milestone", "Phase 1|2026-06-30|2026-09-30|")
        cls.put("DATAPLEX", 8, Q2, on_time_q2, "amber_green", "advanced_development", "Groundworks.",
                "--forecast", "£85M", "--milestone", "Build|2026-06-01|2026-09-30|")
        # Q3: 1 fell from green to amber; 6 is red (its plan cost is tbd); 5 rose and its forecast moved;
        # 8's end date moved (a slipped milestone); 3 was sent back with a bidi override in the comment
        cls.put("CA", 1, Q3, on_time_q3, "amber", "early_development",
                "JV delayed: the preferred partner withdrew in August; re-procurement starts in November.",
                "--spend", "£2M", "--forecast", "£30M", "--risk", "Partner finance", "--risk", "Planning consent")
        cls.put("CA", 2, Q3, on_time_q3, "green", "live", "Platform live.", "--forecast", "£1.2M")
        cls.put("LCC", 5, Q3, on_time_q3, "green", "live", "Two more wards connected.", "--spend", "£2M",
                "--forecast", "£8M", "--variance-note", "Two more wards were added to the scope.",
                "--milestone", "Phase 1|2026-06-30||2026-10-01")
        cls.put("LCC", 6, Q3, "2026-10-20T10:00:00Z", "red", "concept",
                "Scale-out paused: the second funding round was not awarded.", "--forecast", "£2M",
                "--risk", "Funding gap of £1.5M", "--risk", "Key staff leaving", "--risk", "Supplier prices",
                "--risk", "A fourth risk")
        cls.put("DATAPLEX", 8, Q3, on_time_q3, "amber_green", "advanced_development", "Groundworks continue.",
                "--forecast", "£85M", "--milestone", "Build|2026-06-01|2026-12-31|")
        cls.put("LAS", 3, Q3, on_time_q3, "amber", "early_development", "Loop design.")
        r = cls.s.cli("admin", "update", "review", str(cls.ids[(3, Q3)]), "--return",
                      RLO + "Check the spend figures.")
        if r.returncode != 0:
            raise AssertionError("review: %s" % r.stderr)
        write_report(cls, "board-2026-Q3")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @classmethod
    def put(cls, org, ref, period, at, confidence, stage, narrative, *extra):
        args = ["update", "submit", str(ref), "--period", period, "--confidence", confidence, "--stage", stage,
                "--narrative", narrative, "--format", "json"] + list(extra)
        r = cls.s.cli("submitter-" + org, *args)
        if r.returncode != 0:
            raise AssertionError("fixture %d %s: %s%s" % (ref, period, r.stdout, r.stderr))
        uid = json.loads(r.stdout)["update_id"]
        cls.ids[(ref, period)] = uid
        cls.s.sql("BEGIN; ALTER TABLE progress_update DISABLE TRIGGER progress_update_append_only;"
                  "UPDATE progress_update SET submitted_at = '%s' WHERE id = %d;"
                  "ALTER TABLE progress_update ENABLE TRIGGER progress_update_append_only; COMMIT;" % (at, uid))

    def run_chromium(self, *args, timeout=120):
        self.assertIsNotNone(self.chromium, "chromium is installed by deploy/install-deps.sh")
        r = subprocess.run([self.chromium] + CHROMIUM_FLAGS + ["--user-data-dir=" + self.profile] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r

    def probe(self, width):
        """What the page measures of itself at width CSS px."""
        path = os.path.join(self.s.tmp, "probe-%d.html" % width)
        with open(path, "w", encoding="utf-8") as f:
            f.write(frame_page(self.text.replace("</body>", PROBE + "\n</body>"), width, 2000))
        dom = self.run_chromium("--window-size=%d,2000" % (width + 40), "--dump-dom", "file://" + path).stdout
        m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
        self.assertIsNotNone(m, dom[-2000:])
        return json.loads(html.unescape(m.group(1)))

    def pdf(self):
        path = os.path.join(self.out_dir, "board-2026-Q3.pdf")
        if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(self.html):
            self.run_chromium("--no-pdf-header-footer", "--print-to-pdf=" + path, "file://" + self.html)
        return path

    # ------------------------------------------------------------ the "done when"

    def test_first_page_names_the_red_project_and_the_one_that_fell(self):
        page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", self.pdf(), "-"],
                               capture_output=True, text=True, check=True).stdout
        flat = " ".join(page1.split())
        titles = dict(line.split("|", 1) for line in self.s.sql(
            "SELECT ref || '|' || title FROM project WHERE ref IN (1, 6)").splitlines())
        for ref in ("6", "1"):
            self.assertIn(" ".join(titles[ref].split())[:40], flat, ref)
        self.assertIn("Scale-out paused: the second funding round was not awarded.", flat)
        self.assertIn("JV delayed: the preferred partner withdrew in August", flat)
        self.assertIn("rating fell from Green in 2026-Q2 to Amber", flat)
        self.assertIn("Funding gap of £1.5M", flat)  # top risks
        self.assertNotIn("A fourth risk", flat)      # top three only
        self.assertIn("Late", flat)
        self.assertIn("returns not received by the due date, 2026-10-14, 14 days after the quarter ended", flat)

    def test_pdf_is_at_most_eight_a4_pages(self):
        info = subprocess.run(["pdfinfo", self.pdf()], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"(?m)^Pages:\s+(\d+)", info).group(1))
        self.assertLessEqual(pages, 8)
        size = re.search(r"(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        self.assertEqual((round(float(size.group(1))), round(float(size.group(2)))), (595, 842))  # A4
        with open(self.pdf(), "rb") as f:
            self.assertEqual(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", f.read())), pages)

    def test_phone_width_nothing_overflows_and_text_stays_legible(self):
        r = self.probe(420)
        self.assertEqual(r["innerWidth"], 420)
        self.assertLessEqual(r["scrollWidth"], r["innerWidth"], r["wide"])
        self.assertLessEqual(r["bodyScrollWidth"], r["innerWidth"])
        self.assertEqual(r["wide"], [])
        self.assertEqual(r["small"], [])
        self.assertEqual(r["reversed"], [])
        # the override in the sent-back comment was found and measured
        self.assertEqual(r.get("checked"), 1, (r.get("outstanding"), re.findall(r".{200}spend figures.{80}", self.text)))
        wide = self.probe(1200)
        self.assertLessEqual(wide["scrollWidth"], wide["innerWidth"], wide["wide"])
        self.assertEqual(wide["small"], [])
        self.assertEqual(wide["reversed"], [])
        self.screenshots("board-2026-Q3", 2400)

    def screenshots(self, stem, height):
        """PNGs of the report at 1200 and 420 px wide, height px tall, in report-output/ for a person to see."""
        for width in (1200, 420):
            png = os.path.join(self.out_dir, "%s-%d.png" % (stem, width))
            framed = os.path.join(self.s.tmp, "framed-%d.html" % width)
            with open(framed, "w", encoding="utf-8") as f:
                f.write(frame_page(self.text, width, height))
            self.run_chromium("--window-size=%d,%d" % (max(width, 500), height), "--screenshot=" + png,
                              "file://" + framed)
            with open(png, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    # ------------------------------------------------------------ what the page says

    def dom_text(self):
        seen = _Text()
        seen.feed(self.text)
        return seen

    def test_headline_counts_agree_and_are_defined(self):
        d = self.s.cli_json("viewer", "status", "--period", Q3)
        t = d["totals"]
        colours = sum(t["by_confidence"][c] for c in ("green", "amber_green", "amber", "amber_red", "red"))
        self.assertEqual(colours, t["reported"])
        self.assertEqual((t["reported"], t["returned"], t["by_confidence"]["returned"]), (5, 1, 1))
        self.assertEqual(colours + t["by_confidence"]["returned"] + t["by_confidence"]["none"], t["projects"])
        tile = re.search(r'id="tile-reported"><dt>Reported</dt><dd class="n">(\d+)</dd>', self.text)
        self.assertEqual(int(tile.group(1)), t["reported"])
        badges = re.search(r'<ul class="legend" id="ratings">(.*?)</ul>', self.text, re.S).group(1)
        self.assertEqual(sum(int(n) for n in re.findall(r'<span class="count">(\d+)</span>', badges)), t["reported"])
        page = self.dom_text().flat
        self.assertIn("Reported %d a return received and not sent back" % t["reported"], page)
        self.assertIn("Outstanding %d no return yet (%d), or one sent back for correction (1)"
                      % (t["outstanding"], t["by_confidence"]["none"]), page)
        self.assertIn("Late %d returns not received by the due date" % t["late"], page)

    def test_money_like_for_like(self):
        t = self.s.cli_json("viewer", "status", "--period", Q3)["totals"]
        # reported with a forecast and a known plan cost: 1 (£30M), 2 (£1.2M), 5 (£8M), 8 (£85M);
        # 6 reported £2M against a tbd plan cost; 3 was returned and gave no forecast
        plan = int(self.s.sql("SELECT sum(cost_min_pence) FROM project WHERE ref IN (1, 2, 5, 8)"))
        self.assertEqual((t["compared_projects"], t["compared_forecast_pence"], t["compared_plan_cost_pence"],
                          t["forecast_without_plan_cost"]), (4, 12420000000, plan, 1))
        self.assertEqual(t["forecast_pence"], 12620000000)  # every forecast, as before
        page = self.dom_text().flat
        self.assertRegex(page, r"Forecast £124M against a plan cost of £[\d.]+[Mk]? \([+−][\d.]+%\), like for "
                               r"like: the 4 projects reported with a forecast and a known plan cost\. 1 more "
                               r"reported a forecast but has no agreed plan cost")
        table = self.s.cli("viewer", "status", "--period", Q3)
        self.assertIn("for the 4 projects reported with both", table.stdout)
        self.assertIn("1 more reported a forecast but has no known plan cost (tbd): counted, not compared",
                      table.stdout)

    def test_exceptions_are_the_red_the_fallen_and_the_moved(self):
        refs = [int(x) for x in re.findall(r'<article class="exception" id="exception-(\d+)">', self.text)]
        self.assertEqual(refs, [6, 1, 5, 8])  # red, fell, then moved (forecast 5, end date 8), by ref
        art = {ref: body for ref, body in re.findall(r'id="exception-(\d+)">(.*?)</article>', self.text, re.S)}
        self.assertIn("forecast up £800k (+11.1%) from £7.2M to £8M", html_text(art["5"]))
        self.assertIn("Two more wards were added to the scope.", art["5"])  # its variance note
        self.assertIn("end date moved from 2026-09-30 to 2026-12-31 (92 days later)", art["8"])
        self.assertIn("Build</bdi>: baseline 2026-06-01, now forecast 2026-12-31 (213 days late)", art["8"])
        self.assertIn("(and 1 more in the return)", art["6"])
        self.assertIn("<strong>Red</strong> (no return for 2026-Q2)", art["6"])
        self.assertNotIn("exception-2", self.text)  # green both quarters, nothing moved

    def test_movement_matrix_agrees_with_status_diff(self):
        diff = {x["ref"]: x for x in self.s.cli_json("viewer", "status", "diff", Q2, Q3)}
        fell = sum(1 for x in diff.values() if x["confidence_change"] == "down")
        rose = sum(1 for x in diff.values() if x["confidence_change"] == "up")
        self.assertEqual((fell, rose), (1, 1))
        page = self.dom_text().flat
        # no CA rating here: the body's ratings, as status diff compares them
        self.assertIn("Of the projects rated in both quarters, %d fell, %d rose and 2 held their rating (the Combined "
                      "Authority's rating where it set one, else the lead body's)." % (fell, rose), page)
        matrix = re.search(r'<table class="matrix">(.*?)</table>', self.text, re.S).group(1)
        rows = {label: [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", cells)]
                for label, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', matrix)}
        self.assertEqual(rows["Green"], [1, 0, 1, 0, 0, 0])   # 2 held green, 1 fell to amber
        self.assertEqual(rows["Amber"], [1, 0, 0, 0, 0, 0])   # 5 rose to green
        self.assertEqual(rows["No return"][4], 1)              # 6: red, no return last quarter
        self.assertEqual(sum(sum(v) for v in rows.values()), 80)

    def test_one_table_of_every_project(self):
        self.assertEqual(self.text.count('<table class="projects">'), 1)
        body = re.search(r'<table class="projects">.*?<tbody>(.*?)</tbody>', self.text, re.S).group(1)
        refs = [int(x) for x in re.findall(r'<td class="ref">(\d+)</td>', body)]
        self.assertEqual(refs, list(range(1, 81)))
        page = self.dom_text().flat
        for t in self.s.sql("SELECT title FROM project ORDER BY ref").splitlines():
            self.assertIn(" ".join(t.split()), page)
        row3 = re.search(r'<td class="ref">3</td>(.*?)</tr>', body).group(1)
        self.assertIn("c-returned", row3)  # sent back: outstanding, not counted by its colour

    def test_non_reporters_one_line_per_organisation(self):
        out = re.search(r'<section id="outstanding".*?</section>', self.text, re.S).group(0)
        items = re.findall(r"<li>(.*?)</li>", out, re.S)
        orgs = self.s.cli_json("viewer", "status", "outstanding", "--period", Q3)
        self.assertEqual(len(items), len(orgs))
        distinct = len({p for o in orgs for p in o["projects"]})
        self.assertIn("%d projects at %d organisations" % (distinct, len(orgs)), html_text(out))
        table = self.s.cli("viewer", "status", "outstanding", "--period", Q3)
        self.assertIn(": %d projects, %d organisations" % (distinct, len(orgs)), table.stdout)
        las = next(i for i in items if "<strong><bdi>LAS</bdi></strong>" in i)
        self.assertIn("3 (sent back: &ldquo;<bdi>" + RLO + "Check the spend figures.</bdi>&rdquo;)", las)

    def test_no_script_and_no_external_reference(self):
        self.assertTrue(self.text.startswith("<!DOCTYPE html>"))
        for bad in (r"(?i)<script", r"(?i)\bsrc\s*=", r"(?i)\bhref\s*=", r"(?i)url\(", r"(?i)https?:",
                    r"(?i)@import", r"(?i)<link\b"):
            self.assertIsNone(re.search(bad, self.text), bad)


# What a board reads first, over four quarters: (ref, lead, {quarter: (the body's rating, the CA's or None)}).
# The movement Q2 -> Q3 counts by the CA's rating where it set one, else the body's (docs/assurance.md).
Q4_25, Q1_26 = "2025-Q4", "2026-Q1"
QUARTERS = (Q4_25, Q1_26, Q2, Q3)
BOARD = (
    (1, "CA", {Q4_25: ("green", None), Q1_26: ("amber_green", None), Q2: ("green", None), Q3: ("amber", None)}),
    (2, "CA", {Q2: ("amber", None), Q3: ("green", None)}),                    # rose
    (4, "CA", {Q2: ("amber_green", None), Q3: ("amber_green", "red")}),       # fell by the CA's rating
    (7, "CA", {Q1_26: ("red", None), Q2: ("red", None), Q3: ("red", None)}),  # unchanged
    (10, "CA", {Q2: ("green", "amber"), Q3: ("green", None)}),                # rose: from the CA's amber
    (5, "LCC", {Q3: ("amber", None)}),                                        # new this quarter
)
AXIS = ("green", "amber_green", "amber", "amber_red", "red", "none")
LABELS = {"green": "G", "amber_green": "A/G", "amber": "A", "amber_red": "A/R", "red": "R", "none": "\u2013"}


def board_rating(ratings, quarter):
    body, ca = ratings.get(quarter, (None, None))
    return ca or body or "none"


class BoardReadsFirstTest(unittest.TestCase):
    """The movement matrix (status movement and the report), each project's trend over four quarters, and the
    baselines with approved changes (a rejected one left out), through the real CLI, daemon, PostgreSQL and
    Chromium."""

    run_chromium = ReportTest.run_chromium
    probe = ReportTest.probe
    screenshots = ReportTest.screenshots

    @classmethod
    def setUpClass(cls):
        cls.chromium = shutil.which("chromium")
        cls.s = harness.Service("board", people=("viewer", "submitter-LCC", "submitter-CA"))
        cls.ids = {}
        milestones = {(1, Q2): "2027-06-30", (1, Q3): "2027-09-30", (2, Q2): "2027-03-31", (2, Q3): "2027-12-31"}
        for q in QUARTERS:
            for ref, org, ratings in BOARD:
                if q not in ratings:
                    continue
                body, ca = ratings[q]
                extra = ["--forecast", "£1.2M"] if ref == 2 else []
                if (ref, q) == (2, Q3):
                    extra = ["--forecast", "£1.5M", "--variance-note", "Ducts for two more corridors."]
                if (ref, q) in milestones:
                    extra += ["--milestone", "Go live|%s|%s|" % (milestones[(ref, Q2)], milestones[(ref, q)])]
                cls.ids[(ref, q)] = cls.submit(org, ref, q, body, *extra)
                if ca:
                    cls.ok(cls.s.cli("admin", "update", "review", str(cls.ids[(ref, q)]), "--accept",
                                     "--assurance", ca, "--rationale", "The CA's view of %d in %s." % (ref, q)))
        # 1's end date moved 92 days (approved), 2's 275 days (rejected) and its cost 25% (approved)
        pending = {(c["ref"], c["kind"]): c for c in cls.s.cli_json("viewer", "change", "list", "--state", "pending")}
        cls.approved_time, cls.rejected_time = pending[(1, "time")], pending[(2, "time")]
        cls.approved_cost = pending[(2, "cost")]
        for c in (cls.approved_time, cls.approved_cost):
            cls.ok(cls.s.cli("admin", "change", "approve", str(c["id"]), "--comment", "At board."))
        cls.ok(cls.s.cli("admin", "change", "reject", str(cls.rejected_time["id"]), "--comment", "Not agreed."))
        write_report(cls, "board-first-2026-Q3")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @staticmethod
    def ok(r):
        if r.returncode != 0:
            raise AssertionError("planreg: %s%s" % (r.stdout, r.stderr))
        return r

    @classmethod
    def submit(cls, org, ref, period, confidence, *extra):
        r = cls.ok(cls.s.cli("submitter-" + org, "update", "submit", str(ref), "--period", period, "--confidence",
                             confidence, "--stage", "live", "--narrative", "Return for %s." % period,
                             "--format", "json", *extra))
        return json.loads(r.stdout)["update_id"]

    def expected_matrix(self):
        """from -> to counts over every project of the plan, by the fixture and the rule."""
        projects = len(self.s.cli_json("viewer", "projects", "list"))
        cells = {(f, t): 0 for f in AXIS for t in AXIS}
        for _, _, ratings in BOARD:
            cells[(board_rating(ratings, Q2), board_rating(ratings, Q3))] += 1
        cells[("none", "none")] += projects - len(BOARD)
        return cells

    def test_exceptions_name_what_the_ca_rates_lower(self):
        """4 is amber/green by its body and red by the CA in 2026-Q3: an exception after the fallen, with the CA's
        rating and rationale; 10's bodies' green with no CA rating this quarter is none."""
        refs = [int(x) for x in re.findall(r'<article class="exception" id="exception-(\d+)">', self.text)]
        self.assertEqual(refs, [7, 1, 4, 2])  # red, fell, the CA rates lower, moved (2's forecast and end date)
        four = html_text(re.search(r'id="exception-4">(.*?)</article>', self.text, re.S).group(1))
        self.assertIn("the Combined Authority rates it Red", four)
        self.assertIn("The Combined Authority's rating, Red: The CA's view of 4 in %s." % Q3, four)
        self.assertIn("that the Combined Authority rates lower than its lead body does", html_text(self.text))

    def test_status_movement_counts_exactly(self):
        rows = self.s.cli_json("viewer", "status", "movement", "--period", Q3)
        want = self.expected_matrix()
        self.assertEqual([r["from"] for r in rows], list(AXIS))
        for r in rows:
            self.assertEqual((r["from_period"], r["to_period"]), (Q2, Q3))
            self.assertEqual([r["to_" + t] for t in AXIS], [want[(r["from"], t)] for t in AXIS], r["from"])
            self.assertEqual(r["projects"], sum(want[(r["from"], t)] for t in AXIS))
        # 1 and 4 fell (4 by the CA's red), 2 and 10 rose (10 from the CA's amber), 7 held red
        by = {r["from"]: r for r in rows}
        self.assertEqual((by["green"]["to_amber"], by["amber_green"]["to_red"], by["amber"]["to_green"],
                          by["red"]["to_red"], by["none"]["to_amber"]), (1, 1, 2, 1, 1))
        table = self.ok(self.s.cli("viewer", "status", "movement", "--period", Q3)).stdout
        self.assertIn("Ratings from 2026-Q2 to 2026-Q3 (the Combined Authority's where set, else the lead body's): "
                      "2 fell, 2 rose, 1 held", table)
        csv_text = self.ok(self.s.cli("viewer", "status", "movement", "--period", Q3, "--format", "csv")).stdout
        self.assertEqual(csv_text.lstrip("\ufeff").splitlines()[0].split(","), list(rows[0].keys()))

    def test_report_matrix_counts_exactly(self):
        matrix = re.search(r'<table class="matrix">(.*?)</table>', self.text, re.S).group(1)
        rows = [(label, [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", cells)])
                for label, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', matrix)]
        names = {"Green": "green", "Amber/Green": "amber_green", "Amber": "amber", "Amber/Red": "amber_red",
                 "Red": "red", "No return": "none"}
        want = self.expected_matrix()
        self.assertEqual([names[label] for label, _ in rows], list(AXIS))
        for label, counts in rows:
            self.assertEqual(counts, [want[(names[label], t)] for t in AXIS], label)
        page = html_text(self.text)
        self.assertIn("Of the projects rated in both quarters, 2 fell, 2 rose and 1 held their rating (the Combined "
                      "Authority's rating where it set one, else the lead body's).", page)

    def trend(self, ref):
        body = re.search(r'<table class="projects">.*?<tbody>(.*?)</tbody>', self.text, re.S).group(1)
        row = re.search(r'<td class="ref">%d</td>(.*?)</tr>' % ref, body).group(1)
        cell = re.search(r'<td class="trend"[^>]*>(.*?)</td>', row).group(1)
        return [(q, html.unescape(label)) for q, label in
                re.findall(r'<span class="sr">([^<]*) </span>([^<]*)</li>', cell)]

    def test_trend_shows_four_quarters_in_order(self):
        self.assertIn('<th scope="col">Trend</th>', self.text)
        for ref, _, ratings in BOARD:
            self.assertEqual(self.trend(ref), [(q, LABELS[board_rating(ratings, q)]) for q in QUARTERS], ref)
        self.assertEqual(self.trend(1), [(Q4_25, "G"), (Q1_26, "A/G"), (Q2, "G"), (Q3, "A")])
        self.assertEqual(self.trend(80), [(q, "\u2013") for q in QUARTERS])  # never reported
        self.assertIn("oldest first (2025-Q4 to 2026-Q3)", html_text(self.text))

    def test_baselines_list_the_approved_changes_only(self):
        section = re.search(r'<section id="baselines".*?</section>', self.text, re.S).group(0)
        self.assertIn("Baselines and approved changes", section)
        rows = dict(re.findall(r'<tr id="baseline-(\d+)">(.*?)</tr>', section, re.S))
        keys = ("original_cost_pence", "original_end_date", "approved_cost_pence", "approved_end_date")
        based = [p["ref"] for p in self.s.cli_json("viewer", "status", "--period", Q3)["projects"]
                 if any(p[k] is not None for k in keys)]
        self.assertEqual(sorted(int(r) for r in rows), based)
        self.assertTrue({1, 2} <= set(based), based)
        shown = {c["id"]: c for c in self.s.cli_json("viewer", "change", "list")}
        decided = shown[self.approved_time["id"]]["decided_at"][:10]
        one = html_text(rows["1"])
        self.assertIn("2027-06-30 → 2027-09-30", one)  # original -> latest approved end date
        self.assertIn("End date 2027-06-30 → 2027-09-30, approved %s" % decided, one)
        two = html_text(rows["2"])
        self.assertIn("Cost £1.2M → £1.5M, approved %s" % shown[self.approved_cost["id"]]["decided_at"][:10], two)
        self.assertNotIn("2027-12-31", two)  # the rejected end date
        self.assertEqual(shown[self.rejected_time["id"]]["state"], "rejected")
        self.assertIn("%d projects with a baseline, 2 approved changes" % len(based), html_text(section))

    def test_phone_width_no_horizontal_overflow(self):
        r = self.probe(420)
        self.assertEqual(r["innerWidth"], 420)
        self.assertLessEqual(r["scrollWidth"], r["innerWidth"], r["wide"])
        self.assertEqual(r["wide"], [])
        self.assertEqual(r["small"], [])
        # the table of every project (with its trend) and the baselines reflow instead of scrolling in their box
        self.assertNotIn("projects", r["scrolling"])
        self.assertNotIn("baselines", r["scrolling"])
        self.screenshots("board-first-2026-Q3", 4000)
        pdf = os.path.join(self.out_dir, "board-first-2026-Q3.pdf")
        self.run_chromium("--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + self.html)
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
        self.assertLessEqual(int(re.search(r"(?m)^Pages:\s+(\d+)", info).group(1)), 8)


def write_report(cls, stem):
    """The viewer's report of Q3 into report-output/STEM.html: cls.out_dir, cls.html, cls.text, cls.profile."""
    cls.out_dir = os.path.join(os.getcwd(), "report-output")
    os.makedirs(cls.out_dir, exist_ok=True)
    cls.html = os.path.join(cls.out_dir, stem + ".html")
    r = cls.s.cli("viewer", "report", "html", "--period", Q3, "-o", cls.html)
    if r.returncode != 0:
        raise AssertionError("report html: %s" % r.stderr)
    with open(cls.html, encoding="utf-8") as f:
        cls.text = f.read()
    cls.profile = tempfile.mkdtemp(prefix="chromium-", dir=cls.s.tmp)


def html_text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def frame_page(document, width, height):
    """A page that shows document in a frame width CSS px wide, as a phone of that width would."""
    return ('<!DOCTYPE html><html><body style="margin:0"><iframe style="width:%dpx;height:%dpx;border:0" '
            'srcdoc="%s"></iframe></body></html>' % (width, height, html.escape(document, quote=True)))


class _Text(html.parser.HTMLParser):
    """The text of a page as it reads: a space between blocks, runs of white space made one, no style."""

    BLOCKS = {"div", "dt", "dd", "p", "li", "td", "th", "tr", "h1", "h2", "h3", "section", "article", "caption",
              "ul", "ol", "dl", "header", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.in_style = tag == "style"
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.in_style = False
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.in_style:
            self.parts.append(data)

    @property
    def flat(self):
        return " ".join("".join(self.parts).split())


if __name__ == "__main__":
    harness.main()
