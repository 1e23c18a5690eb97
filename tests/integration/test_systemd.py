"""The systemd side of planregd: the units as `cmake --install` puts them pass
`systemd-analyze verify` (binaries and man pages found in the stage), planregd.service
keeps its sandbox, sysusers.d makes the users the units run as, and planregd speaks
the notification protocol (sd_notify(3)) to a real datagram socket: READY=1 only once
it listens with PostgreSQL connected, RELOADING=1/READY=1 around SIGHUP (a failed
reload too), STOPPING=1 at SIGTERM."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import stage  # noqa: E402

UNITS = ("planregd.service", "planreg-remind.service", "planreg-remind.timer")
ANALYZE = shutil.which("systemd-analyze")


def unit_settings(path):
    """(section, key) -> [values] of a unit file, in order."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            out.setdefault((section, key.strip()), []).append(value.strip())
    return out


class UnitsTest(stage.StagedTest):
    tmp_prefix = "planreg-systemd-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.unitdir = os.path.join(cls.prefix, "lib", "systemd", "system")

    def analyze(self, *args):
        self.assertIsNotNone(ANALYZE, "systemd-analyze comes with Debian's systemd")
        # Documentation=man:... is looked up too: in the stage's man pages
        env = dict(os.environ, MANPATH=os.path.join(self.prefix, "share", "man"))
        return subprocess.run([ANALYZE] + list(args), capture_output=True, text=True, timeout=120, env=env,
                              cwd=self.tmp)

    def test_installed_units_verify(self):
        paths = [os.path.join(self.unitdir, u) for u in UNITS]
        r = self.analyze("verify", *paths)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        # the check is real: a unit whose binary is missing fails it
        broken = os.path.join(self.tmp, "planregd.service")
        with open(paths[0]) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace(os.path.join(self.prefix, "sbin", "planregd"), "/nonexistent/planregd"))
        r = self.analyze("verify", broken)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/planregd", r.stdout + r.stderr)

    def test_source_units_verify_after_a_default_install(self):
        """The issue's own words: after `cmake --install` with the default prefix, `systemd-analyze verify
        deploy/systemd/*` passes. Done in a private mount namespace with a tmpfs over /usr/local, so that
        the machine's /usr/local is never touched; before the install the same command fails."""
        self.assertIsNotNone(ANALYZE, "systemd-analyze comes with Debian's systemd")
        units = " ".join("deploy/systemd/" + u for u in UNITS)
        script = ("set -e; mount -t tmpfs tmpfs /usr/local; "
                  "if %s verify %s >/dev/null 2>&1; then echo 'verify passed before the install'; exit 1; fi; "
                  "%s --install %s >/dev/null; %s verify deploy/systemd/*" % (
                      ANALYZE, units, stage.CMAKE, stage.BUILD, ANALYZE))
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=300, cwd=harness.SOURCE_DIR)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def test_installed_units_are_the_source_units_with_the_prefix(self):
        source = os.path.join(harness.SOURCE_DIR, "deploy", "systemd")
        self.assertEqual(sorted(os.listdir(source)), sorted(UNITS))
        for name in UNITS:
            with open(os.path.join(source, name)) as f:
                want = f.read()
            # written for the default prefix; installed with the stage's directories instead
            for sub in ("sbin/", "bin/", "share/doc/planreg/", "lib/sysusers.d/"):
                want = want.replace("/usr/local/" + sub, "%s/%s" % (self.prefix, sub))
            with open(os.path.join(self.unitdir, name)) as f:
                self.assertEqual(f.read(), want, name)
        exec_start = unit_settings(os.path.join(source, "planregd.service"))[("Service", "ExecStart")]
        self.assertEqual(exec_start, ["/usr/local/sbin/planregd --config /etc/planreg/planregd.conf"])

    def test_relative_prefix_gives_absolute_paths(self):
        # `cmake --install build --prefix stage` from a clone: the units must still name absolute paths
        where = os.path.join(self.tmp, "relative")
        os.makedirs(where)
        stage.install("stage", cwd=where)
        unit = os.path.join(where, "stage", "lib", "systemd", "system", "planregd.service")
        exec_start = unit_settings(unit)[("Service", "ExecStart")][0]
        self.assertEqual(exec_start.split()[0], os.path.join(where, "stage", "sbin", "planregd"))
        self.assertTrue(os.access(exec_start.split()[0], os.X_OK))

    def test_planregd_service_settings(self):
        s = unit_settings(os.path.join(self.unitdir, "planregd.service"))
        want = {
            "Type": "notify", "User": "planreg", "Group": "planreg", "NoNewPrivileges": "yes",
            "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": "",
            "AmbientCapabilities": "", "Restart": "on-failure", "StandardError": "journal",
        }
        for key, value in want.items():
            self.assertEqual(s.get(("Service", key)), [value], key)
        self.assertEqual(s[("Service", "ExecReload")], ["/bin/kill -HUP $MAINPID"])
        self.assertEqual(s[("Install", "WantedBy")], ["multi-user.target"])
        # systemd's own reading of the sandbox: exposure at most 2.0 of 10 (it is 1.4 when written)
        r = self.analyze("security", "--offline=yes", "--threshold=20", os.path.join(self.unitdir, "planregd.service"))
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        m = re.search(r"Overall exposure level for planregd.service: (\d+\.\d)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:])
        self.assertLessEqual(float(m.group(1)), 2.0)

    def test_sysusers_makes_the_units_users(self):
        sysusers = shutil.which("systemd-sysusers")
        self.assertIsNotNone(sysusers)
        root = os.path.join(self.tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/bash\n")
        with open(os.path.join(root, "etc", "group"), "w") as f:
            f.write("root:x:0:\n")
        r = subprocess.run([sysusers, "--root=" + root, os.path.join(self.prefix, "lib", "sysusers.d", "planreg.conf")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(root, "etc", "passwd")) as f:
            users = {line.split(":")[0]: line.strip().split(":") for line in f if line.strip()}
        for unit in ("planregd.service", "planreg-remind.service"):
            user = unit_settings(os.path.join(self.unitdir, unit))[("Service", "User")][0]
            self.assertIn(user, users, unit)
            fields = users[user]
            self.assertTrue(0 < int(fields[2]) < 1000, "%s is not a system user: %s" % (user, fields))
            self.assertTrue(fields[6].endswith("nologin"), fields)


class NotifySocket:
    """A datagram socket like systemd's notify socket: a path, or an abstract name."""

    def __init__(self, directory, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "planreg-test-%s" % uuid.uuid4().hex
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(directory, "notify-%s.sock" % uuid.uuid4().hex[:8])
            self.sock.bind(self.env)

    def next(self, timeout=30):
        """The next message as a dict of its VAR=value lines."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.split("\n") if line)

    def until(self, var, timeout=30):
        """Messages up to and including the first that sets var."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.next(max(0.1, deadline - time.monotonic()))
            seen.append(msg)
            if var in msg:
                return seen

    def close(self):
        self.sock.close()


class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_cluster()
        cls.tmp = harness.tempdir("planreg-notify-")
        cls.db = harness.create_database("notify")
        harness.migrate(cls.db)
        cls.pki = harness.Pki(os.path.join(cls.tmp, "pki"))

    @classmethod
    def tearDownClass(cls):
        harness.drop_database(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def lifecycle(self, abstract):
        sock = NotifySocket(self.tmp, abstract)
        conf = os.path.join(self.tmp, "planregd-%s.conf" % uuid.uuid4().hex[:6])
        with open(conf, "w") as f:
            f.write("tls_cert = %s\n" % os.path.join(self.pki.dir, "server.crt"))
        # the certificate comes from the file (an empty variable counts as unset), so that a reload can break it
        env = {"NOTIFY_SOCKET": sock.env, "PLANREGD_CONFIG": conf, "PLANREGD_TLS_CERT": ""}
        daemon = harness.Daemon(self.db, self.pki, self.tmp, env)
        try:
            first = sock.next()
            self.assertEqual(first, {"STATUS": "waiting for PostgreSQL"})
            ready = sock.until("READY")[-1]
            self.assertEqual(ready["READY"], "1")
            self.assertEqual(ready["STATUS"], "serving on 127.0.0.1:%d" % daemon.port)
            log = daemon.read_log()
            # announced after the listeners and the pool's first connection, and logged
            self.assertLess(log.index("event=listening"), log.index("event=ready"))
            self.assertLess(log.index("event=db_connected"), log.index("event=ready"))

            before = time.monotonic()
            daemon.signal(signal.SIGHUP)
            reloading = sock.next()
            self.assertEqual(reloading.get("RELOADING"), "1", reloading)
            # MONOTONIC_USEC is CLOCK_MONOTONIC, Python's time.monotonic() on Linux
            usec = int(reloading["MONOTONIC_USEC"])
            self.assertTrue(before * 1e6 - 1e6 < usec < time.monotonic() * 1e6 + 1e6, usec)
            again = sock.next()
            self.assertEqual(again, {"READY": "1", "STATUS": "serving on 127.0.0.1:%d" % daemon.port})
            daemon.wait_log(r"event=reloaded")

            # a reload that fails keeps serving, and says so
            with open(conf, "w") as f:
                f.write("tls_cert = %s\n" % os.path.join(self.tmp, "missing.crt"))
            daemon.signal(signal.SIGHUP)
            self.assertEqual(sock.next().get("RELOADING"), "1")
            failed = sock.next()
            self.assertEqual(failed["READY"], "1")
            self.assertIn("the last reload failed", failed["STATUS"])
            self.assertIn("missing.crt", failed["STATUS"])
            daemon.wait_log(r"event=reload_failed")

            daemon.signal(signal.SIGTERM)
            stopping = sock.next()
            self.assertEqual(stopping.get("STOPPING"), "1", stopping)
            daemon.proc.wait(30)  # it drains and exits by itself; stop() then checks how
            daemon.stop()
        finally:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait()
            sock.close()

    def test_lifecycle_on_a_socket_path(self):
        self.lifecycle(abstract=False)

    def test_lifecycle_on_an_abstract_socket(self):
        self.lifecycle(abstract=True)

    def test_not_ready_while_postgresql_is_away(self):
        sock = NotifySocket(self.tmp)
        daemon = harness.Daemon(self.db, self.pki, self.tmp, {
            "NOTIFY_SOCKET": sock.env,
            "PLANREGD_DB_DSN": "host=/nonexistent-dir port=1 dbname=x connect_timeout=1",
        }, wait_db=False)
        try:
            self.assertEqual(sock.next(), {"STATUS": "waiting for PostgreSQL"})
            # listening, but not ready: nothing more is said until the database answers
            with self.assertRaises(socket.timeout):
                sock.next(timeout=2)
            # a SIGHUP then does not announce readiness either
            daemon.signal(signal.SIGHUP)
            with self.assertRaises(socket.timeout):
                sock.next(timeout=1)
            daemon.signal(signal.SIGTERM)
            self.assertEqual(sock.next().get("STOPPING"), "1")
            daemon.proc.wait(30)
            out = daemon.stop()  # exit code 0 and sanitizer-clean
            self.assertNotIn("event=ready", out)
        finally:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait()
            sock.close()

    def test_unusable_notify_socket_is_logged_not_fatal(self):
        for value in ("relative/path", "@", "/" + "x" * 200, os.path.join(self.tmp, "nobody-listens.sock")):
            daemon = harness.Daemon(self.db, self.pki, self.tmp, {"NOTIFY_SOCKET": value})
            daemon.wait_log(r"event=ready")
            log = daemon.stop()
            self.assertIn("event=notify_failed", log, value)


if __name__ == "__main__":
    harness.main()
