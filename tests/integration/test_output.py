"""Output that fails, fails, through the real CLI and daemon: every command's writes to standard output and
their close are checked (/dev/full, a file size limit standing in for a full disk: exit 1 and a message on
stderr, never a silent success), `report html -o` writes only a regular file or a new one (a FIFO, a device
node made for the test, a directory, a link to /proc/self/fd/1 or to nothing are refused and left as they
were; a link to a regular file replaces that file and stays a link), and a full disk under -o leaves the old
file whole and no temporary file behind."""

import csv
import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

PERIOD = "2026-Q3"
EXIT_REFUSED, EXIT_USAGE = 1, 2


def read(path):
    with open(path, encoding="utf-8-sig") as f:
        return f.read()


def file_size_limit(limit):
    """A preexec_fn: files the CLI writes may hold at most limit bytes, as on a disk that is full after them
    (SIGXFSZ ignored, so a write past it fails with EFBIG instead of killing the process)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


class OutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("output", people=("submitter-LCC",))
        r = cls.s.cli("submitter-LCC", "update", "submit", "5", "--period", PERIOD, "--confidence", "green",
                      "--stage", "live", "--narrative", "Network build on schedule.")
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        cls.dir = os.path.join(cls.s.tmp, "out")
        os.mkdir(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_to(self, args, stdout, preexec=None, cred="admin"):
        """The CLI with its standard output on stdout (a file object); stderr and the exit code come back."""
        r = subprocess.run([harness.PLANREG] + list(args), env=self.s.process_env(cred), stdout=stdout,
                           stderr=subprocess.PIPE, text=True, timeout=120, preexec_fn=preexec)
        self.assertNotIn("Sanitizer", r.stderr)
        return r

    def report(self, out, cred="admin"):
        return self.s.cli(cred, "report", "html", "--period", PERIOD, "-o", out, timeout=60)

    # ------------------------------------------------------------ standard output

    def test_full_standard_output_is_an_error(self):
        cases = [["projects", "list"], ["projects", "list", "--format", "json"],
                 ["export", "updates", "--format", "json"], ["export", "updates", "--format", "csv"],
                 ["update", "list", "--period", PERIOD, "--format", "csv"], ["status", "--period", PERIOD],
                 ["report", "html", "--period", PERIOD], ["whoami"], ["--help"], ["completion", "bash"]]
        for args in cases:
            with open("/dev/full", "w") as full:
                r = self.run_to(args, full)
            self.assertEqual(r.returncode, EXIT_REFUSED, (args, r.stderr))
            self.assertIn("cannot write to standard output: No space left on device", r.stderr, args)
        # the same command to a working file succeeds: the failure above was the output's
        with open(self.path("ok.csv"), "w") as f:
            self.assertEqual(self.run_to(["export", "updates", "--format", "csv"], f).returncode, 0)
        self.assertIn("Network build on schedule.", read(self.path("ok.csv")))

    def test_a_disk_full_under_a_redirect_is_an_error(self):
        """`export updates > file` on a full disk: the shell's file is cut short, and the CLI says so."""
        whole = self.path("whole.json")
        with open(whole, "w") as f:
            self.assertEqual(self.run_to(["export", "updates", "--format", "json"], f).returncode, 0)
        size = os.path.getsize(whole)
        self.assertGreater(size, 400)
        cut = self.path("cut.json")
        with open(cut, "w") as f:
            r = self.run_to(["export", "updates", "--format", "json"], f, preexec=file_size_limit(size // 2))
        self.assertEqual(r.returncode, EXIT_REFUSED, r.stderr)
        self.assertIn("cannot write to standard output: File too large; the output is incomplete", r.stderr)

    def test_a_reader_that_goes_away_is_not_an_error_message(self):
        """`planreg ... | head -1`: the reader wanted no more; no noise on stderr."""
        p = subprocess.Popen([harness.PLANREG, "export", "updates", "--format", "csv"],
                             env=self.s.process_env("admin"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.read(10)
        p.stdout.close()
        err = p.stderr.read().decode()
        p.wait(timeout=60)
        p.stderr.close()
        self.assertNotIn("cannot write", err)

    # ------------------------------------------------------------ -o FILE

    def test_o_replaces_a_regular_file_whole_keeping_its_mode(self):
        out = self.path("board.html")
        with open(out, "w") as f:
            f.write("old")
        os.chmod(out, 0o640)
        r = self.report(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(read(out).startswith("<!DOCTYPE html>"))
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o640)
        new = self.path("new.html")
        self.assertEqual(self.report(new).returncode, 0)
        self.assertEqual(stat.S_IMODE(os.stat(new).st_mode), 0o666 & ~self.umask())
        self.assertEqual([x for x in os.listdir(self.dir) if x.startswith(".")], [])  # no temporary file left

    @staticmethod
    def umask():
        mask = os.umask(0)
        os.umask(mask)
        return mask

    def assertRefused(self, r, path, words):
        self.assertEqual(r.returncode, EXIT_USAGE, r.stdout + r.stderr)
        self.assertIn("cannot write %s: it is %s" % (path, words), r.stderr)
        self.assertIn("-o writes the report only to a regular file or a new one", r.stderr)
        self.assertEqual([x for x in os.listdir(os.path.dirname(path)) if x.startswith(".")], [])

    def test_o_refuses_a_fifo(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        r = self.report(fifo)  # a CLI that opened it for writing would block here until the timeout
        self.assertRefused(r, fifo, "a FIFO")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_o_refuses_a_device(self):
        dev = self.path("null")
        try:
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
        except PermissionError:
            dev = "/dev/null"  # no CAP_MKNOD here: the system's own node, which must survive as much
        r = self.report(dev)
        self.assertRefused(r, dev, "a character device")
        self.assertTrue(stat.S_ISCHR(os.lstat(dev).st_mode))

    def test_o_refuses_a_directory(self):
        d = self.path("a-dir")
        os.mkdir(d)
        self.assertRefused(self.report(d), d, "a directory")
        self.assertTrue(os.path.isdir(d))

    def test_o_refuses_a_link_to_stdout_or_nothing(self):
        link = self.path("to-stdout")
        os.symlink("/proc/self/fd/1", link)
        r = self.report(link)  # stdout is a pipe here: /proc/self/fd/1 names no file
        self.assertRefused(r, link, "a symbolic link to ")
        self.assertEqual(os.readlink(link), "/proc/self/fd/1")
        self.assertEqual(r.stdout, "")
        dangling = self.path("dangling")
        os.symlink(self.path("nowhere/at-all.html"), dangling)
        self.assertRefused(self.report(dangling), dangling, "a symbolic link to nothing planreg can write")
        self.assertTrue(os.path.islink(dangling))
        to_dev = self.path("to-dev-null")
        os.symlink("/dev/null", to_dev)
        self.assertRefused(self.report(to_dev), to_dev, "a symbolic link to /dev/null, which is a character device")
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))

    def test_o_through_a_link_to_a_regular_file_replaces_that_file(self):
        """The decision (docs/decisions.md): the link stays, the file it names gets the report."""
        target = self.path("2026-Q3.html")
        with open(target, "w") as f:
            f.write("last quarter's")
        link = self.path("latest.html")
        os.symlink("2026-Q3.html", link)
        r = self.report(link)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.readlink(link), "2026-Q3.html")
        self.assertTrue(read(target).startswith("<!DOCTYPE html>"))

    def test_o_on_a_full_disk_leaves_the_old_file(self):
        out = self.path("kept.html")
        with open(out, "w") as f:
            f.write("the report of last quarter\n")
        with open(os.devnull, "w") as null:
            r = self.run_to(["report", "html", "--period", PERIOD, "-o", out], null, preexec=file_size_limit(4096))
        self.assertEqual(r.returncode, EXIT_REFUSED, r.stderr)
        self.assertIn("cannot write the report %s: File too large; the file there was left as it was" % out,
                      r.stderr)
        self.assertEqual(read(out), "the report of last quarter\n")
        self.assertEqual([x for x in os.listdir(self.dir) if x.startswith(".")], [])  # no temporary file left
        missing = self.path("never.html")
        with open(os.devnull, "w") as null:
            r = self.run_to(["report", "html", "--period", PERIOD, "-o", missing], null,
                            preexec=file_size_limit(4096))
        self.assertEqual(r.returncode, EXIT_REFUSED, r.stderr)
        self.assertFalse(os.path.exists(missing))


class AnswersOfAnySizeTest(unittest.TestCase):
    """Valid data larger than a frame (max_frame_bytes, 1 MiB) is delivered whole, page by page: a quarter of
    80 returns at every text field's maximum (20,000-character narratives and 5,000-character variance notes
    in three-byte characters, about 6 MB) through `update list`, `update history`, `update template`,
    `export updates` (JSON and CSV) and the board report; and a full history of 10,080 updates (about 20 MB, written by the submit
    function in one SQL statement) through `export updates` and `update list --period`."""

    MAX_PERIOD, BULK_PERIOD, BULK = "2026-Q2", "2025-Q1", 10000

    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("answers")
        cls.refs = [int(x) for x in cls.s.sql("SELECT ref FROM project WHERE plan_id = (SELECT max(id) FROM plan) "
                                              "ORDER BY ref").split()]
        # a quarter of maximal returns, one per project, through the real submit path (one batch)
        cls.narrative = {r: ("%d " % r) + "\u20ac" * (20000 - len("%d " % r)) for r in cls.refs}
        cls.note = "\u00e9" * 5000
        batch = os.path.join(cls.s.tmp, "maximal.csv")
        with open(batch, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["ref", "period", "confidence", "stage", "narrative", "variance_note", "risks"])
            for r in cls.refs:
                w.writerow([r, cls.MAX_PERIOD, "amber", "live", cls.narrative[r], cls.note,
                            "\n".join(["R%d " % i + "\u00a3" * 1990 for i in range(3)])])
        r = cls.s.cli("admin", "update", "submit", "--csv", batch, timeout=600)
        if r.returncode != 0:
            raise AssertionError(r.stdout[-2000:] + r.stderr[-2000:])
        # 10,000 revisions of one quarter (125 per project), by the submit function itself in one statement
        cls.s.sql("""
            SELECT count(*) FROM generate_series(0, %d) g,
              LATERAL (SELECT 'Bulk revision ' || g || ' ' || repeat('x', 1980) AS c) t,
              LATERAL planreg_submit_update(
                (SELECT id FROM project WHERE plan_id = (SELECT max(id) FROM plan) ORDER BY ref
                 OFFSET g %% 80 LIMIT 1),
                '%s', 'green', 'live', t.c, NULL, NULL, '', 'admin', 'CA', 'Admin User', true, 'bulk-' || g,
                encode(sha256(convert_to(t.c, 'UTF8')), 'hex'), t.c, '[]'::jsonb, '[]'::jsonb, '[]'::jsonb,
                '2025-01-01', '2025-03-31', '2025-04-14', NULL, NULL, NULL)""" % (cls.BULK - 1, cls.BULK_PERIOD))

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def json(self, *args, big=True):
        r = self.s.cli("admin", *args, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        if big:
            self.assertGreater(len(r.stdout.encode()), 1048576)  # more than one frame could carry
        return json.loads(r.stdout)

    def assertMaximalQuarter(self, updates, narrative_key="narrative"):
        got = {u["ref"]: u for u in updates if u["period"] == self.MAX_PERIOD}
        self.assertEqual(sorted(got), self.refs)
        for ref, u in got.items():
            self.assertEqual(u[narrative_key], self.narrative[ref])
            self.assertEqual(u["variance_note"], self.note)

    def test_a_quarter_of_maximal_returns(self):
        self.assertMaximalQuarter(self.json("update", "list", "--period", self.MAX_PERIOD, "--format", "json"))
        self.assertMaximalQuarter(self.json("export", "updates", "--from", self.MAX_PERIOD, "--to", self.MAX_PERIOD,
                                            "--format", "json"))
        r = self.s.cli("admin", "export", "updates", "--from", self.MAX_PERIOD, "--to", self.MAX_PERIOD, "--format",
                       "csv", timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        rows = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"), newline="")))
        self.assertEqual(len(rows), 80)
        self.assertEqual({int(x["ref"]): x["narrative"] for x in rows}, self.narrative)
        # the form of the organisation that leads the most projects, filled in from the maximal returns
        lead, n = self.s.sql("SELECT org_code, count(*) FROM project_lead_org l JOIN project p ON p.id = l.project_id"
                             " WHERE p.plan_id = (SELECT max(id) FROM plan) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
                             ).split("|")
        r = self.s.cli("admin", "update", "template", "--period", self.MAX_PERIOD, "--org", lead, "--format", "csv",
                       timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertGreater(len(r.stdout.encode()), 1048576)
        form = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"), newline="")))
        self.assertEqual(len(form), int(n))
        self.assertTrue(all(x["narrative"] == self.narrative[int(x["ref"])] for x in form))
        history = self.json("update", "history", "5", "--format", "json", big=False)
        self.assertIn(self.narrative[5], [u["narrative"] for u in history])
        self.assertEqual(len(history), 1 + self.BULK // 80)
        out = os.path.join(self.s.tmp, "board.html")
        r = self.s.cli("admin", "report", "html", "--period", self.MAX_PERIOD, "-o", out, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("80 projects", r.stderr)

    def test_a_full_history_export(self):
        every = self.json("export", "updates", "--format", "json")
        ids = [u["id"] for u in every]
        self.assertEqual(len(ids), self.BULK + 80)
        self.assertEqual(ids, sorted(set(ids)))  # each once, oldest first
        self.assertEqual(ids, [int(x) for x in self.s.sql("SELECT id FROM progress_update ORDER BY id").split()])
        bulk = [u for u in every if u["period"] == self.BULK_PERIOD]
        self.assertEqual(sorted(int(u["narrative"].split()[2]) for u in bulk), list(range(self.BULK)))
        self.assertMaximalQuarter(every)
        listed = self.json("update", "list", "--period", self.BULK_PERIOD, "--format", "json")
        self.assertEqual(len(listed), self.BULK)
        self.assertEqual([(u["ref"], u["revision"]) for u in listed],
                         sorted((u["ref"], u["revision"]) for u in bulk))
        latest = self.s.cli("admin", "update", "list", "--period", self.BULK_PERIOD, "--latest", "--format", "json")
        self.assertEqual(len(json.loads(latest.stdout)), 80)

    def test_a_long_reminder_log(self):
        """Years of reminders, each failure with its error (at most 2,000 characters): the log pages too."""
        self.s.sql("""INSERT INTO reminder_message (period, as_of, recipient, subject, body, steps, state, claimed_by,
                        lease_until, acked_at, error)
                      SELECT '2024-Q' || (1 + g % 4), '2024-12-01', 'lcc@example.org', 'Reminder ' || g, 'body',
                        ARRAY['LCC:overdue-' || (1 + g % 30)], 'failed', 'reminder', now(), now(),
                        'SMTP 451 ' || g || ' ' || repeat('e', 1980)
                      FROM generate_series(1, 3000) g""")
        log = self.json("remind", "log", "--format", "json")
        self.assertEqual(len(log), 3000)
        self.assertEqual(sorted(int(x["subject"].split()[1]) for x in log), list(range(1, 3001)))
        ids = [x["id"] for x in log]
        self.assertEqual(ids, sorted(set(ids)))
        self.assertEqual(len(self.json("remind", "log", "--period", "2024-Q2", "--format", "json")), 750)


if __name__ == "__main__":
    unittest.main(verbosity=2)
