"""harness.py - what every integration test stands on: a database of its own in
the suite's private PostgreSQL cluster, a PKI made by deploy/pki.sh, the real
planregd over real TLS, and the real planreg CLI.

The suite's cluster is started by tests/run.sh, which exports PGHOST, PGPORT and
PGUSER (a superuser). ctest passes the binaries under test in PLANREGD and
PLANREG and the source tree in PLANREG_SOURCE_DIR.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

SOURCE_DIR = os.environ.get("PLANREG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
PLANREGD = os.environ.get("PLANREGD", "")
PLANREG = os.environ.get("PLANREG", "")
PLAN_FILE = os.path.join(SOURCE_DIR, "data", "lcr-digital-action-plan-2021-2023.txt")
PKI = os.path.join(SOURCE_DIR, "deploy", "pki.sh")
APP_ROLE = "planregd_test"


def require_cluster():
    missing = [v for v in ("PGHOST", "PGPORT", "PLANREGD") if not os.environ.get(v)]
    if missing:
        raise SystemExit("integration tests need %s: run them through tests/run.sh" % ", ".join(missing))


def psql(sql, db="postgres", check=True, params=None):
    """Runs sql as the cluster superuser; returns stdout (unaligned, tuples only)."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", db]
    for k, v in (params or {}).items():
        cmd += ["-v", "%s=%s" % (k, v)]
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (sql, r.stderr))
    return r.stdout.strip()


def create_database(prefix):
    name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
    psql('CREATE DATABASE "%s"' % name)
    return name


def drop_database(name):
    psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, check=False)


def dsn(db, user=None):
    parts = ["host=%s" % os.environ["PGHOST"], "port=%s" % os.environ["PGPORT"], "dbname=%s" % db]
    if user:
        parts.append("user=%s" % user)
    return " ".join(parts)


def run(cmd, env=None, input=None, timeout=120):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, env=full_env, input=input, capture_output=True, text=True, timeout=timeout)


def sanitizer_report(text):
    """The first sanitizer finding in a process's stderr, or None."""
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 200):i + 3000]
    return None


def ensure_app_role():
    psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
        "CREATE ROLE %s LOGIN; END IF; END $$;" % (APP_ROLE, APP_ROLE))


def migrate(db):
    r = run([PLANREGD, "migrate"], env={"PLANREGD_DB_DSN": dsn(db)})
    if r.returncode != 0:
        raise AssertionError("planregd migrate failed: %s%s" % (r.stdout, r.stderr))
    ensure_app_role()
    psql("GRANT planreg_app TO %s" % APP_ROLE)
    return r


class Pki:
    """A development CA and certificates, made by deploy/pki.sh."""

    def __init__(self, directory):
        self.dir = directory
        r = run(["bash", PKI, "init", directory])
        if r.returncode != 0:
            raise AssertionError("pki.sh init failed: %s" % r.stderr)
        r = run(["bash", PKI, "server", directory, "localhost"])
        if r.returncode != 0:
            raise AssertionError("pki.sh server failed: %s" % r.stderr)

    def issue(self, name, org, person, role="submitter"):
        """Issues name.crt/name.key; returns the SHA-256 fingerprint pki.sh printed."""
        r = run(["bash", PKI, "issue", self.dir, name, org, person, role])
        if r.returncode != 0:
            raise AssertionError("pki.sh issue failed: %s" % r.stderr)
        m = re.search(r"fingerprint[ =:]+([0-9a-f]{64})", r.stdout)
        if not m:
            raise AssertionError("pki.sh issue printed no fingerprint: %s" % r.stdout)
        return m.group(1)

    def cert(self, name):
        return os.path.join(self.dir, name + ".crt")

    def key(self, name):
        return os.path.join(self.dir, name + ".key")

    @property
    def ca(self):
        return os.path.join(self.dir, "ca.crt")


class Daemon:
    """A running planregd; stop() checks it exits cleanly and sanitizer-clean."""

    def __init__(self, db, pki, workdir, extra_env=None):
        self.log_path = os.path.join(workdir, "planregd-%s.log" % uuid.uuid4().hex[:6])
        env = dict(os.environ)
        env.update({
            "PLANREGD_DB_DSN": dsn(db, APP_ROLE),
            "PLANREGD_LISTEN_ADDR": "127.0.0.1",
            "PLANREGD_LISTEN_PORT": "0",
            "PLANREGD_HTTP_PORT": "0",
            "PLANREGD_TLS_CERT": os.path.join(pki.dir, "server.crt"),
            "PLANREGD_TLS_KEY": os.path.join(pki.dir, "server.key"),
            "PLANREGD_TLS_CA": pki.ca,
            "PLANREGD_LOG_LEVEL": "debug",
        })
        env.update(extra_env or {})
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([PLANREGD], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None
        self.http_port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            text = self.read_log()
            m = re.search(r"event=listening .*port=(\d+)", text)
            h = re.search(r"event=http_listening .*port=(\d+)", text)
            if m and h:
                self.port = int(m.group(1))
                self.http_port = int(h.group(1))
                break
            if self.proc.poll() is not None:
                raise AssertionError("planregd exited at start:\n" + text)
            time.sleep(0.05)
        if self.port is None:
            raise AssertionError("planregd did not start listening:\n" + self.read_log())
        self.wait_log(r"event=db_connected", 30)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.read_log()):
                return True
            time.sleep(0.05)
        raise AssertionError("planregd log never matched %r:\n%s" % (pattern, self.read_log()[-4000:]))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("planregd did not exit within %ss of SIGTERM" % timeout)
        self.log.close()
        text = self.read_log()
        report = sanitizer_report(text)
        if report:
            raise AssertionError("planregd sanitizer report:\n" + report)
        if self.proc.returncode != 0:
            raise AssertionError("planregd exited with %s:\n%s" % (self.proc.returncode, text[-4000:]))
        return text


class Service:
    """Database + PKI + daemon + enrolled credentials, for one test module."""

    def __init__(self, prefix, daemon_env=None, import_plan=True):
        require_cluster()
        self.tmp = tempfile.mkdtemp(prefix="planreg-%s-" % prefix, dir=os.environ.get("PLANREG_TEST_TMP"))
        self.db = create_database(prefix)
        migrate(self.db)
        self.pki = Pki(os.path.join(self.tmp, "pki"))
        self.fingerprints = {}
        self.daemon = Daemon(self.db, self.pki, self.tmp, daemon_env)
        self.enrol_bootstrap("admin", "CA", "Admin User", "admin")
        if import_plan:
            r = self.cli("admin", "plan", "import", PLAN_FILE)
            if r.returncode != 0:
                raise AssertionError("plan import failed: %s%s" % (r.stdout, r.stderr))

    def issue(self, name, org, person, role):
        fp = self.pki.issue(name, org, person, role)
        self.fingerprints[name] = fp
        return fp

    def enrol_bootstrap(self, name, org, person, role):
        """Enrols through `planregd enrol`, the bootstrap path (no admin needed)."""
        fp = self.issue(name, org, person, role)
        r = run([PLANREGD, "enrol", name, org, role, fp, person], env={"PLANREGD_DB_DSN": dsn(self.db)})
        if r.returncode != 0:
            raise AssertionError("planregd enrol failed: %s" % r.stderr)
        return fp

    def enrol(self, name, org, person, role):
        """Issues a certificate and enrols it as admin through the CLI."""
        self.issue(name, org, person, role)
        r = self.cli("admin", "cred", "enrol", "--cert", self.pki.cert(name), "--role", role, "--name", name)
        if r.returncode != 0:
            raise AssertionError("cred enrol %s failed: %s%s" % (name, r.stdout, r.stderr))
        return self.fingerprints[name]

    def cli_env(self, cred):
        env = {
            "PLANREG_SERVER": "localhost:%d" % self.daemon.port,
            "PLANREG_CA": self.pki.ca,
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg"),
            "XDG_CACHE_HOME": os.path.join(self.tmp, "xdg-cache"),  # the CLI's TLS session tickets
            "NO_COLOR": "1",
        }
        if cred is not None:
            env["PLANREG_CERT"] = self.pki.cert(cred)
            env["PLANREG_KEY"] = self.pki.key(cred)
        return env

    def cli(self, cred, *args, input=None, env=None, timeout=120):
        e = self.cli_env(cred)
        e.update(env or {})
        r = run([PLANREG] + list(args), env=e, input=input, timeout=timeout)
        report = sanitizer_report(r.stderr)
        if report:
            raise AssertionError("planreg sanitizer report:\n" + report)
        return r

    def cli_json(self, cred, *args):
        r = self.cli(cred, *(list(args) + ["--format", "json"]))
        if r.returncode != 0:
            raise AssertionError("planreg %s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return json.loads(r.stdout)

    def sql(self, query):
        return psql(query, db=self.db)

    def close(self):
        try:
            self.daemon.stop()
        finally:
            drop_database(self.db)
            shutil.rmtree(self.tmp, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    require_cluster()
    unittest.main(verbosity=2)
