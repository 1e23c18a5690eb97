"""harness.py - what every integration test stands on: a database of its own in
the suite's private PostgreSQL cluster, a PKI made by deploy/pki.sh, the real
planregd over real TLS, and the real planreg CLI.

The suite's cluster is started by tests/run.sh, which exports PGHOST, PGPORT and
PGUSER (a superuser). ctest passes the binaries under test in PLANREGD and
PLANREG and the source tree in PLANREG_SOURCE_DIR.
"""

import datetime
import http.client
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

import wire

SOURCE_DIR = os.environ.get("PLANREG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
PLANREGD = os.environ.get("PLANREGD", "")
PLANREG = os.environ.get("PLANREG", "")
PLAN_FILE = os.path.join(SOURCE_DIR, "data", "lcr-digital-action-plan-2021-2023.txt")
PKI = os.path.join(SOURCE_DIR, "deploy", "pki.sh")
APP_ROLE = "planregd_test"

# The people the tests enrol, by credential name: (organisation, person, role). Service(people=...) and
# Service.enrol_people() take the names.
PEOPLE = {
    "viewer": ("CA", "Vera Viewer", "viewer"),
    "reminder": ("CA", "reminder job", "reminder"),
    "submitter-LCC": ("LCC", "Ann Williams", "submitter"),
    "submitter-CA": ("CA", "Lorna Rogers", "submitter"),
    "submitter-STFC": ("STFC", "James Bedford", "submitter"),
    "submitter-ATOS": ("ATOS", "Atos lead", "submitter"),
    "submitter-LAS": ("LAS", "Local lead", "submitter"),
    "submitter-DATAPLEX": ("DATAPLEX", "Dataplex lead", "submitter"),
}


def require_cluster():
    missing = [v for v in ("PGHOST", "PGPORT", "PLANREGD") if not os.environ.get(v)]
    if missing:
        raise SystemExit("integration tests need %s: run them through tests/run.sh" % ", ".join(missing))


def tempdir(prefix, mode=None):
    """A new directory under the suite's temporary directory (PLANREG_TEST_TMP, else the system's)."""
    d = tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("PLANREG_TEST_TMP") or None)
    if mode is not None:
        os.chmod(d, mode)
    return d


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


def planreg(args, env, input=None, timeout=120):
    """The CLI with args and env on top of this process's environment; fails on a sanitizer report."""
    r = run([PLANREG] + list(args), env=env, input=input, timeout=timeout)
    report = sanitizer_report(r.stderr)
    if report:
        raise AssertionError("planreg sanitizer report:\n" + report)
    return r


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


def daemon_env(db_dsn, pki=None):
    """The PLANREGD_* settings of a test daemon: loopback, ports chosen by the kernel, debug log, and pki's
    server certificate when pki is given."""
    env = {
        "PLANREGD_DB_DSN": db_dsn,
        "PLANREGD_LISTEN_ADDR": "127.0.0.1",
        "PLANREGD_LISTEN_PORT": "0",
        "PLANREGD_HTTP_PORT": "0",
        "PLANREGD_LOG_LEVEL": "debug",
    }
    if pki is not None:
        env.update({
            "PLANREGD_TLS_CERT": os.path.join(pki.dir, "server.crt"),
            "PLANREGD_TLS_KEY": os.path.join(pki.dir, "server.key"),
            "PLANREGD_TLS_CA": pki.ca,
        })
    return env


def issuer_env(pki, extra=None):
    """The settings of a daemon that issues certificates with pki's CA (joining, docs/onboarding.md)."""
    env = {"PLANREGD_ISSUER_CERT": pki.ca, "PLANREGD_ISSUER_KEY": os.path.join(pki.dir, "ca.key")}
    env.update(extra or {})
    return env


class Daemon:
    """A running planregd; stop() checks it exits cleanly and sanitizer-clean.

    Daemon(db, pki, workdir, env) serves database db with pki's certificates, env on top; wait_db=False
    returns once it listens, without waiting for PostgreSQL. A subclass that starts planregd another way
    calls spawn() itself."""

    def __init__(self, db, pki, workdir, extra_env=None, wait_db=True):
        env = dict(os.environ)
        env.update(daemon_env(dsn(db, APP_ROLE), pki))
        env.update(extra_env or {})
        self.spawn([PLANREGD], env, workdir, wait_db)

    def spawn(self, argv, env, workdir, wait_db=True):
        """Starts argv with exactly env; returns once both listeners are up (and the pool has connected)."""
        self.log_path = os.path.join(workdir, "planregd-%s.log" % uuid.uuid4().hex[:6])
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("planregd did not start listening:\n" + self.read_log())
        if wait_db:
            self.wait_log(r"event=db_connected", 30)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def log_mark(self):
        """Where the log ends now: log_since() and wait_log(since=) read only what comes after it."""
        return len(self.read_log())

    def log_since(self, mark):
        return self.read_log()[mark:]

    def wait_log(self, pattern, timeout=10, since=0):
        """The first match of pattern in the log (after the mark since); fails after timeout seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.log_since(since))
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError("planregd log never matched %r%s:\n%s" % (
            pattern, " after the mark" if since else "", self.log_since(since)[-4000:]))

    def metrics(self):
        """The text of /metrics (which must answer 200)."""
        status, body = http_get(self.http_port, "/metrics")
        if status != 200:
            raise AssertionError("/metrics answered %d: %s" % (status, body))
        return body

    def metric(self, name, **labels):
        """One series of /metrics now; fails when the daemon does not report it."""
        value = metric(self.metrics(), name, **labels)
        if value is None:
            raise AssertionError("no metric %s %s" % (name, labels or ""))
        return value

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
    """Database + PKI + daemon + enrolled credentials, for one test module. people: names from PEOPLE,
    enrolled after the plan is imported."""

    def __init__(self, prefix, daemon_env=None, import_plan=True, people=()):
        require_cluster()
        self.tmp = tempdir("planreg-%s-" % prefix)
        self.db = create_database(prefix)
        migrate(self.db)
        self.pki = Pki(os.path.join(self.tmp, "pki"))
        if callable(daemon_env):  # settings that name the PKI's files (issuer_env)
            daemon_env = daemon_env(self.pki)
        self.fingerprints = {}
        self.daemon = Daemon(self.db, self.pki, self.tmp, daemon_env)
        self.enrol_bootstrap("admin", "CA", "Admin User", "admin")
        if import_plan:
            r = self.cli("admin", "plan", "import", PLAN_FILE)
            if r.returncode != 0:
                raise AssertionError("plan import failed: %s%s" % (r.stdout, r.stderr))
        self.enrol_people(*people)

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

    def enrol_people(self, *names):
        """Enrols each of names (keys of PEOPLE), in order."""
        for name in names:
            self.enrol(name, *PEOPLE[name])

    def cli_env(self, cred, port=None):
        """The CLI's settings as cred (None: no certificate) against this daemon, or the one on port."""
        env = {
            "PLANREG_SERVER": "localhost:%d" % (port or self.daemon.port),
            "PLANREG_CA": self.pki.ca,
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg"),
            "XDG_CACHE_HOME": os.path.join(self.tmp, "xdg-cache"),  # the CLI's TLS session tickets
            "XDG_STATE_HOME": os.path.join(self.tmp, "xdg-state"),  # its last write position, checkpoints
            "XDG_DATA_HOME": os.path.join(self.tmp, "xdg-data"),  # its log receipts
            "NO_COLOR": "1",
        }
        if cred is not None:
            env["PLANREG_CERT"] = self.pki.cert(cred)
            env["PLANREG_KEY"] = self.pki.key(cred)
        return env

    def process_env(self, cred, port=None, **extra):
        """A whole environment for running the CLI outside cli() (a pipeline, a pseudo-terminal)."""
        env = dict(os.environ)
        env.update(self.cli_env(cred, port))
        env.update(extra)
        return env

    def cli(self, cred, *args, input=None, env=None, timeout=120, port=None):
        e = self.cli_env(cred, port)
        e.update(env or {})
        return planreg(args, e, input=input, timeout=timeout)

    def cli_json(self, cred, *args):
        r = self.cli(cred, *(list(args) + ["--format", "json"]))
        if r.returncode != 0:
            raise AssertionError("planreg %s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return json.loads(r.stdout)

    def cli_output(self, cred, path, *args):
        """The text `planreg ARGS -o path` wrote (path in UTF-8), after asserting that the command succeeded."""
        r = self.cli(cred, *(list(args) + ["-o", path]))
        if r.returncode != 0:
            raise AssertionError("planreg %s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        with open(path, encoding="utf-8") as f:
            return f.read()

    def sql(self, query):
        return psql(query, db=self.db)

    def close(self):
        try:
            self.daemon.stop()
        finally:
            drop_database(self.db)
            shutil.rmtree(self.tmp, ignore_errors=True)


class ServiceTest(unittest.TestCase):
    """A test class around one Service (cls.service, made by setUpClass), closed after the class so that its
    daemon never outlives the test; cli() runs the CLI against it and ok() asserts that a command succeeded."""

    service = None

    @classmethod
    def tearDownClass(cls):
        cls.service.close()

    def cli(self, cred, *args, **kw):
        return self.service.cli(cred, *args, **kw)

    def ok(self, r):
        """r (a finished CLI run) exited 0, else the test fails with its output; returns r."""
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def refused(self, r, words, code=1):
        """r exited with code (1: the server refused) and said words on stderr; returns r."""
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(words, r.stderr)
        return r


class WireTest(ServiceTest):
    """A test that opens raw planreg/1 connections (wire()) and starts daemons of its own (extra_daemon())
    beside the class's Service (cls.service, made by setUpClass); after each test every connection is
    closed and every extra daemon stopped, and a daemon that did not stop cleanly fails the test."""

    wire_timeout = 5.0  # seconds a connection waits for the daemon

    def setUp(self):
        self.wires = []
        self.extra_daemons = []

    def tearDown(self):
        for w in self.wires:
            w.close()
        errors = []
        for d in self.extra_daemons:
            try:
                d.stop()
            except AssertionError as e:
                errors.append(str(e))
        if errors:
            raise AssertionError("\n".join(errors))

    def track(self, conn):
        """conn (anything with close()) is closed after the test."""
        self.wires.append(conn)
        return conn

    def wire(self, cred="admin", daemon=None, ctx=None, **kw):
        """A connection as cred to daemon (the service's own by default), or with the TLS context ctx."""
        kw.setdefault("timeout", self.wire_timeout)
        port = (daemon or self.service.daemon).port
        return self.track(wire.Wire(port, ctx or wire.tls_context(self.service.pki, cred), **kw))

    def extra_daemon(self, env=None, **kw):
        """Another planregd on the service's database, with env on top of the usual settings."""
        d = Daemon(self.service.db, self.service.pki, self.service.tmp, env, **kw)
        self.extra_daemons.append(d)
        return d


# ---------------------------------------------------------------- waiting, ports, HTTP and metrics

def wait_until(what, fn, timeout, step=0.05):
    """Calls fn until it returns a true value; returns (that value, seconds taken); fails after timeout."""
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        last = fn()
        if last:
            return last, time.time() - t0
        time.sleep(step)
    raise AssertionError("%s: not within %.1fs (last: %r)" % (what, timeout, last))


def current_period():
    """The quarter of today (UTC), as the CLI writes it: 2026-Q3."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return "%d-Q%d" % (today.year, (today.month - 1) // 3 + 1)


def free_port():
    """A port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=10):
    """GET path from 127.0.0.1:port; returns (status, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def metric(body, name, **labels):
    """The value of one series of a /metrics text (labels as keywords), or None when it is absent."""
    if labels:
        name += "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


def main():
    require_cluster()
    unittest.main(verbosity=2)
