"""deploy/quickstart.sh as a newcomer runs it: everything under var/, the plan
imported, a credential per role and per lead organisation, idempotent, and
`stop` stops it. Runs in a private var directory and ports."""

import datetime
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

QUICKSTART = os.path.join(harness.SOURCE_DIR, "deploy", "quickstart.sh")
PGCLUSTER = os.path.join(harness.SOURCE_DIR, "deploy", "pgcluster.sh")


def read_pid(path):
    with open(path) as f:
        return int(f.read())


def gone(pid, timeout=15):
    """True once pid has exited (and been reaped), within timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class QuickstartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.var = harness.tempdir("planreg-quickstart-", 0o755)
        cls.port = harness.free_port()
        cls.env = {"PLANREG_VAR": cls.var, "PLANREG_PORT": str(cls.port), "PLANREG_HTTP_PORT": str(harness.free_port())}
        if os.environ.get("PLANREG_BUILD"):
            cls.env["PLANREG_BUILD"] = os.environ["PLANREG_BUILD"]
        cls.first = harness.run(["bash", QUICKSTART], env=cls.env, timeout=900)

    @classmethod
    def tearDownClass(cls):
        harness.run(["bash", QUICKSTART, "stop"], env=cls.env, timeout=120)
        subprocess.run(["rm", "-rf", cls.var])

    def sh(self, script):
        """Runs script in bash from the var directory's parent, like a newcomer in the clone."""
        return subprocess.run(["bash", "-c", script], cwd=self.var, capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "HOME": self.var, "XDG_CONFIG_HOME": self.var + "/xdg"})

    def test_1_starts_everything(self):
        self.assertEqual(self.first.returncode, 0, self.first.stdout + self.first.stderr)
        out = self.first.stdout
        # nothing a newcomer would take for a failure (a process scan once printed "No such file")
        self.assertNotIn("No such file", self.first.stdout + self.first.stderr)
        self.assertIn("register: 80 projects in 6 themes", out)
        self.assertIn("stages: advanced_development 19, concept 18, early_development 24, live 19", out)
        self.assertIn(". var/env/admin.env", out)
        for f in ("planregd.pid", "planregd.conf", "log/planregd.log", "pki/ca.crt", "pg/data/PG_VERSION"):
            self.assertTrue(os.path.exists(os.path.join(self.var, f)), f)

    def test_1a_the_cluster_is_durable(self):
        """The embedded default keeps what it acknowledged through a power cut (the test suite's own
        cluster is the one that may skip fsync)."""
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            r = self.sh(". env/db.env && psql -X -Atc 'SHOW %s'" % setting)
            self.assertEqual((r.returncode, r.stdout.strip()), (0, "on"), setting + ": " + r.stderr)
        with open(os.path.join(self.var, "pg", "durability")) as f:
            self.assertEqual(f.read().strip(), "durable")

    def test_2_admin_lists_the_80_projects(self):
        r = self.sh(". env/admin.env && planreg projects list --format json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ps = json.loads(r.stdout)
        self.assertEqual(len(ps), 80)
        self.assertEqual(ps[52]["cost"]["min_pence"], 1730000000)

    def test_3_a_credential_per_role_and_lead_organisation(self):
        r = self.sh(". env/admin.env && planreg projects list --format json")
        leads = {o for p in json.loads(r.stdout) for o in p["lead_orgs"]}
        self.assertEqual(len(leads), 23)
        # a submitter for each lead organisation, and for none that leads nothing
        envs = {f[len("submitter-"):-len(".env")] for f in os.listdir(os.path.join(self.var, "env"))
                if f.startswith("submitter-")}
        self.assertEqual(envs, leads)
        creds = self.sh(". env/admin.env && planreg cred list --format json")
        self.assertEqual({c["organisation"] for c in json.loads(creds.stdout) if c["role"] == "submitter"}, leads)
        roles = {"admin": ("admin", "CA"), "viewer": ("viewer", "CA"), "reminder": ("reminder", "CA")}
        roles.update({"submitter-%s" % c: ("submitter", c) for c in leads})
        by_name = {c["name"]: c for c in json.loads(creds.stdout)}
        for name, (role, org) in roles.items():
            r = self.sh(". env/%s.env && planreg whoami --format json" % name)
            self.assertEqual(r.returncode, 0, name + r.stderr)
            w = json.loads(r.stdout)
            self.assertEqual((w["role"], w["organisation"]), (role, org), name)
            # joined through an invitation: issued by the service, with its end, from an invitation
            c = by_name[w["credential"]]
            self.assertIsNotNone(c["invitation_id"], name)
            self.assertIsNotNone(c["not_after"], name)
            self.assertIsNotNone(w["cert_not_after"], name)
            key = os.path.join(self.var, "cred", name, "client.key")
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600, key)
        # the keys were made where they are used: none in the PKI, which holds the CA and the server only
        self.assertEqual(sorted(f for f in os.listdir(os.path.join(self.var, "pki")) if f.endswith(".key")),
                         ["ca.key", "server.key"])
        # the first admin's invitation came from planregd invite, everyone else's from that admin
        invs = json.loads(self.sh(". env/admin.env && planreg cred invitations --format json").stdout)
        self.assertEqual(len(invs), len(roles))
        self.assertEqual({i["state"] for i in invs}, {"used"})
        self.assertEqual([i["created_by"] for i in invs if i["role"] == "admin"], ["planregd invite"])
        self.assertNotIn("code", invs[0])
        self.assertNotIn("secret", json.dumps(invs))

    def test_4_db_env_reaches_the_cluster(self):
        r = self.sh(". env/db.env && psql -X -Atc 'SELECT count(*) FROM project'")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "80")

    def test_4z_the_consolidated_status(self):
        """Issue 7's "done when", as a newcomer types it against a fresh quickstart."""
        submit = (". env/submitter-LCC.env && planreg update submit 5 --period 2026-Q3 --confidence amber "
                  "--stage live --narrative '%s' --format json")
        first = self.sh(submit % "Network build on schedule.")
        self.assertEqual(first.returncode, 0, first.stderr)
        time.sleep(0.05)
        between = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        time.sleep(0.05)
        second = self.sh(submit % "Network build ahead of schedule.")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(json.loads(second.stdout)["revision"], 2)

        r = self.sh(". env/admin.env && planreg status --period 2026-Q3 --format json")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        t = d["totals"]
        self.assertEqual((t["projects"], t["reported"], t["outstanding"]), (80, 1, 79))
        self.assertEqual({p["ref"]: p["revision"] for p in d["projects"] if p["update_id"]}, {5: 2})
        r = self.sh(". env/admin.env && planreg status --period 2026-Q3 --as-at %s --format json" % between)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({p["ref"]: p["revision"] for p in json.loads(r.stdout)["projects"] if p["update_id"]}, {5: 1})
        r = self.sh(". env/submitter-LCC.env && planreg status --period 2026-Q3 --format json")
        self.assertEqual([p["ref"] for p in json.loads(r.stdout)["projects"]], [5, 6, 38])
        r = self.sh(". env/admin.env && planreg status outstanding --period 2026-Q3 --as-of 2026-10-20 --format json")
        out = json.loads(r.stdout)
        self.assertEqual(len(out), 23)  # every lead organisation: nothing had arrived by then
        self.assertEqual({o["days_late"] for o in out}, {6})
        r = self.sh(". env/admin.env && planreg report html --period 2026-Q3 -o r.html")
        self.assertEqual(r.returncode, 0, r.stderr)
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--user-data-dir=" + os.path.join(self.var, "chromium"), "--dump-dom",
                              "file://" + os.path.join(self.var, "r.html")],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        titles = self.sh(". env/db.env && psql -X -Atc 'SELECT title FROM project ORDER BY ref'").stdout.splitlines()
        self.assertEqual(len(titles), 80)
        text = html.unescape(re.sub(r"<[^>]+>", " ", dom.stdout))
        text = " ".join(text.split())
        for title in titles:
            self.assertIn(" ".join(title.split()), text)

    def test_4zz_the_reminder_job(self):
        """Issue 8's "done when": two digests, none again, and nothing for LCC once it has reported."""
        from smtp_sink import SmtpSink
        self.assertEqual(self.sh(". env/admin.env && planreg org set-contact LCC lcc@example.org && "
                                 "planreg org set-contact CA pmo@example.org").returncode, 0)
        with SmtpSink() as sink:
            run = (". env/reminder.env && planreg remind run --period 2026-Q3 --as-of %%s "
                   "--smtp smtp://127.0.0.1:%d --from planreg@example.org" % sink.port)
            r = self.sh(run % "2026-10-20")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            mail = sink.messages
            self.assertEqual(sorted(m["rcpt_tos"][0] for m in mail), ["lcc@example.org", "pmo@example.org"])
            by = {m["rcpt_tos"][0]: m["headers"].get_content() for m in mail}
            self.assertIn("(LCC):", by["lcc@example.org"])
            self.assertNotIn("(LCC)", by["pmo@example.org"])
            self.assertIn("-- Sefton Council (SEFTON): 1 project outstanding\r\n"
                          "   It has no contact address in planreg, so its reminder comes to you.", by["pmo@example.org"])
            r = self.sh(run % "2026-10-20")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("0 sent, 0 failed (nothing due)", r.stdout)
            self.assertEqual(len(sink.messages), 2)
            for ref in (5, 6, 38):
                s = self.sh(". env/submitter-LCC.env && planreg update submit %d --period 2026-Q3 --confidence amber "
                            "--stage live --narrative 'Reported.'" % ref)
                self.assertEqual(s.returncode, 0, s.stderr)
            r = self.sh(run % "2026-10-27")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([m["rcpt_tos"] for m in sink.messages[2:]], [["pmo@example.org"]])

    def test_4zzz_a_new_officer_joins(self):
        """Issue 18's "done when": the admin invites, the officer joins from a new empty home with no PLANREG_*
        settings and submits for a Sefton project; the key is only in that home; the code works once; cred list
        shows the new credential with its expiry."""
        r = self.sh(". env/admin.env && planreg cred invite --org SEFTON --role submitter --name 'New Officer'")
        self.assertEqual(r.returncode, 0, r.stderr)
        codes = re.findall(r"planreg-invite-1:[0-9a-z.:]+", r.stdout)
        self.assertTrue(codes, r.stdout)
        code = codes[0]
        home = harness.tempdir("planreg-officer-", 0o700)
        try:
            officer = {"PATH": "/usr/bin:/bin", "HOME": home}  # nothing set up, no PLANREG_* at all
            build = self.env.get("PLANREG_BUILD") or os.path.join(harness.SOURCE_DIR, "build", "release")
            planreg = os.path.join(build, "client", "planreg")  # what the quickstart built and its envs use

            def officer_run(*args):
                return subprocess.run([planreg] + list(args), capture_output=True, text=True, timeout=120,
                                      env=officer, cwd=home)

            j = officer_run("join", code)
            self.assertEqual(j.returncode, 0, j.stdout + j.stderr)
            w = officer_run("whoami", "--format", "json")
            self.assertEqual(w.returncode, 0, w.stderr)
            who = json.loads(w.stdout)
            self.assertEqual((who["organisation"], who["role"], who["person"]), ("SEFTON", "submitter", "New Officer"))
            projects = json.loads(self.sh(". env/admin.env && planreg projects list --format json").stdout)
            sefton = [p["ref"] for p in projects if "SEFTON" in p["lead_orgs"]]
            self.assertTrue(sefton)
            s = officer_run("update", "submit", str(sefton[0]), "--period", "2026-Q3", "--confidence", "green",
                            "--stage", "live", "--narrative", "Joined and reported.")
            self.assertEqual(s.returncode, 0, s.stdout + s.stderr)
            # the key exists only in that home: found nowhere under var/ by its bytes
            key = os.path.join(home, ".local", "share", "planreg", "client.key")
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
            with open(key, "rb") as f:
                key_bytes = f.read()
            for d, _, files in os.walk(self.var):
                for name in files:
                    path = os.path.join(d, name)
                    if name.endswith(".key") and os.path.isfile(path):
                        with open(path, "rb") as f:
                            self.assertNotEqual(f.read(), key_bytes, path)
            again = officer_run("join", code, "--force")
            self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
            self.assertIn("ask the Combined Authority for a new invitation", again.stderr)
            creds = json.loads(self.sh(". env/admin.env && planreg cred list --format json").stdout)
            mine = [c for c in creds if c["name"] == who["credential"]]
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0]["person"], "New Officer")
            self.assertRegex(mine[0]["not_after"], r"^\d{4}-\d\d-\d\dT")
            table = self.sh(". env/admin.env && planreg cred list").stdout
            self.assertIn(mine[0]["not_after"], table)
        finally:
            subprocess.run(["rm", "-rf", home])

    def test_5_running_again_is_harmless(self):
        with open(os.path.join(self.var, "planregd.pid")) as f:
            pid = f.read().strip()
        again = harness.run(["bash", QUICKSTART], env=self.env, timeout=900)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("planregd already running (pid %s)" % pid, again.stdout)
        self.assertIn("(0 changes)", again.stdout)
        r = self.sh(". env/db.env && psql -X -Atc 'SELECT count(*) FROM project'")
        self.assertEqual(r.stdout.strip(), "80")

    def test_5a_after_kill_9_running_again_starts_a_new_daemon(self):
        """kill -9 leaves the pid file naming a dead process: that is not "already running"."""
        pid_file = os.path.join(self.var, "planregd.pid")
        old = read_pid(pid_file)
        os.kill(old, signal.SIGKILL)
        self.assertTrue(gone(old), "planregd survived SIGKILL")
        self.assertEqual(read_pid(pid_file), old)  # nobody removed it
        again = harness.run(["bash", QUICKSTART], env=self.env, timeout=900)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertNotIn("already running", again.stdout)
        self.assertIn("removing the stale %s (pid %d is not this planregd" % (pid_file, old), again.stdout)
        m = re.search(r"started planregd \(pid (\d+)\)", again.stdout)
        self.assertIsNotNone(m, again.stdout)
        new = int(m.group(1))
        self.assertNotEqual(new, old)
        self.assertEqual(read_pid(pid_file), new)
        r = self.sh(". env/admin.env && planreg whoami --format json")
        self.assertEqual(r.returncode, 0, r.stderr)

    @staticmethod
    def running(pid):
        """True while pid is a live process; an exited one not yet reaped (a zombie) is not running."""
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False

    def test_6_stop(self):
        with open(os.path.join(self.var, "planregd.pid")) as f:
            pid = int(f.read())
        r = harness.run(["bash", QUICKSTART, "stop"], env=self.env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("stopped planregd", r.stdout)
        self.assertFalse(self.running(pid))
        r = harness.run(["bash", os.path.join(harness.SOURCE_DIR, "deploy", "pgcluster.sh"), "status",
                         os.path.join(self.var, "pg")])
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(harness.sanitizer_report(open(os.path.join(self.var, "log", "planregd.log")).read()))
        self.assertIn("event=stopped", open(os.path.join(self.var, "log", "planregd.log")).read())

    def test_7_a_pid_file_naming_another_process(self):
        """Pid files rewritten to name a live, unrelated process (as a recycled pid would): the quickstart
        still starts the daemon and the cluster, and `stop` stops them without touching that process."""
        pid_file = os.path.join(self.var, "planregd.pid")
        pg = os.path.join(self.var, "pg")
        postmaster_pid = os.path.join(pg, "data", "postmaster.pid")
        sleeper = subprocess.Popen(["sleep", "300"])
        try:
            def point_at_sleeper():
                with open(pid_file, "w") as f:
                    f.write("%d\n" % sleeper.pid)

            def postmaster_at_sleeper():
                with open(postmaster_pid, "w") as f:
                    f.write("%d\n%s\n" % (sleeper.pid, os.path.join(pg, "data")))

            point_at_sleeper()
            postmaster_at_sleeper()
            r = harness.run(["bash", QUICKSTART], env=self.env, timeout=900)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("already running", r.stdout)
            self.assertIn("removing the stale %s (pid %d" % (pid_file, sleeper.pid), r.stdout)
            self.assertIn("removing the stale %s (pid %d" % (postmaster_pid, sleeper.pid), r.stderr)
            m = re.search(r"started planregd \(pid (\d+)\)", r.stdout)
            self.assertIsNotNone(m, r.stdout)
            daemon = int(m.group(1))
            self.assertIsNone(sleeper.poll())
            self.assertEqual(self.sh(". env/admin.env && planreg whoami").returncode, 0)

            point_at_sleeper()
            r = harness.run(["bash", QUICKSTART, "stop"], env=self.env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIsNone(sleeper.poll(), "quickstart.sh stop killed the process the pid file named")
            self.assertIn("stopped planregd (pid %d)" % daemon, r.stdout)  # found all the same
            self.assertTrue(gone(daemon), "the daemon is still running")
            self.assertNotEqual(harness.run(["bash", PGCLUSTER, "status", pg]).returncode, 0)

            postmaster_at_sleeper()
            r = harness.run(["bash", PGCLUSTER, "stop", pg])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotEqual(harness.run(["bash", PGCLUSTER, "status", pg]).returncode, 0)
            self.assertIsNone(sleeper.poll(), "pgcluster.sh stop killed the process postmaster.pid named")
            self.assertFalse(os.path.exists(postmaster_pid))
        finally:
            sleeper.kill()
            sleeper.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
