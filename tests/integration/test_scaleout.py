"""Scale-out on loopback (docs/scale-out.md): a private PostgreSQL primary, a
streaming replica made from it with pg_basebackup, two planregd reading from
the replica (read_db_dsn), and HAProxy in TCP mode in front of them with the
example configuration deploy/haproxy/planreg.cfg. A third daemon without a
replica (the harness's own) is the reference for what the primary says.

Checks: request ids (Response.request_id, rid= in the daemon's log, distinct
across daemons); reads served by the replica; read-your-writes on the
connection that wrote, both by waiting for the replica to replay the write and
by falling back to the primary when it does not in time; submissions through
HAProxy while one daemon is killed with SIGKILL landing exactly once (the
CLI's resend with the same idempotency key reaches the other daemon);
HAProxy's health check taking the dead daemon out; status from the replica
equal to the primary's after catch-up; reads still answered by the primary
when the replica is stopped.
"""

import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import current_period, http_get, wait_until  # noqa: E402
from pgcluster import PgCluster  # noqa: E402
import wire  # noqa: E402
from wire import OK, UNAUTHENTICATED, pb_bytes, pb_decode, request, whoami  # noqa: E402

HAPROXY_CFG = os.path.join(harness.SOURCE_DIR, "deploy", "haproxy", "planreg.cfg")
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
LIST_ORGANISATIONS = 12
UPSERT_ORGANISATION = 13
SUBMIT_LOCK = 31644363112211817  # the chain's advisory lock: the sequencer's batch takes it (migrations/0025)
LOG_ORIGIN = "scaleout.test.example/planreg"
CHECK_MS = 300

# statements may wait on the chain's lock for seconds while the test holds it
# (and each holds a pool connection meanwhile: room for all of them on either daemon)
DAEMON_ENV = {"PLANREGD_DB_QUERY_TIMEOUT_MS": "20000", "PLANREGD_DB_ACQUIRE_TIMEOUT_MS": "20000",
              "PLANREGD_DB_POOL_SIZE": "10"}
# HAProxy connects to the daemons from this address, which they trust to send PROXY v2 headers
LB_SOURCE = "127.0.0.9"


def log(msg):
    sys.stderr.write("[scaleout] %s\n" % msg)
    sys.stderr.flush()


def request_id(resp):
    return pb_decode(resp.raw).get(3, [b""])[0].decode()


def organisations(resp):
    """ListOrganisationsResponse as {code: contact_email}."""
    out = {}
    for raw in resp.body.get(1, []):
        o = pb_decode(raw)
        out[o.get(1, [b""])[0].decode()] = o.get(4, [b""])[0].decode()
    return out


def upsert_contact(req_id, code, email):
    return request(req_id, UPSERT_ORGANISATION, pb_bytes(1, code) + pb_bytes(4, email))


def list_organisations(req_id):
    return request(req_id, LIST_ORGANISATIONS)


def request_line(daemon, rid):
    """The daemon's `event=request` line of the request rid (waits for it briefly)."""
    pattern = re.compile(r"^.*event=request .* rid=%s$" % re.escape(rid), re.M)
    found, _ = wait_until("the log line of request %s" % rid, lambda: pattern.search(daemon.read_log()), 5)
    return found.group(0)


class HAProxy:
    """HAProxy with deploy/haproxy/planreg.cfg, the addresses given through its environment."""

    def __init__(self, workdir, d1, d2):
        self.port = harness.free_port()
        self.stats = os.path.join(workdir, "haproxy.sock")
        self.log_path = os.path.join(workdir, "haproxy.log")
        env = dict(os.environ)
        env.update({
            "PLANREG_LB_BIND": "127.0.0.1:%d" % self.port,
            "PLANREG_LB_STATS": self.stats,
            "PLANREG_D1": "127.0.0.1:%d" % d1.port,
            "PLANREG_D2": "127.0.0.1:%d" % d2.port,
            "PLANREG_D1_HTTP_PORT": str(d1.http_port),
            "PLANREG_D2_HTTP_PORT": str(d2.http_port),
            "PLANREG_LB_CHECK_MS": str(CHECK_MS),
            "PLANREG_LB_SOURCE": LB_SOURCE,
        })
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", HAPROXY_CFG], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until("HAProxy's stats socket", lambda: self.proc.poll() is not None or os.path.exists(self.stats), 10)
        if self.proc.poll() is not None:
            raise AssertionError("haproxy exited at start:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def command(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.stats)
            s.sendall(cmd.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode()
                out += chunk
        finally:
            s.close()

    def server_status(self):
        """{server name: status} of the backend planregd, from `show stat`."""
        lines = self.command("show stat").splitlines()
        head = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(head, line.split(",")))
            if row.get("pxname") == "planregd" and row.get("svname") not in ("BACKEND", None):
                out[row["svname"]] = row["status"]
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class ScaleOutTest(harness.WireTest):
    wire_timeout = 30

    @classmethod
    def setUpClass(cls):
        harness.require_cluster()
        if not os.access(HAPROXY, os.X_OK):
            raise AssertionError("haproxy is not installed (deploy/install-deps.sh installs it)")
        cls.tmp = harness.tempdir("planreg-scaleout-pg-", 0o755)  # the postgres user must reach the clusters
        cls.primary = cls.replica = cls.service = cls.lb = None
        cls.daemons = []
        cls.saved_env = {k: os.environ.get(k) for k in ("PGHOST", "PGPORT", "PGUSER")}
        try:
            cls.primary = PgCluster(os.path.join(cls.tmp, "primary"))
            t0 = time.time()
            cls.replica = PgCluster(os.path.join(cls.tmp, "replica"), primary=cls.primary)
            log("replica made with pg_basebackup and started in %.1fs" % (time.time() - t0))
            if cls.replica.psql("SELECT pg_is_in_recovery()") != "t":
                raise AssertionError("the replica is not in recovery")
            cls.primary.psql("CREATE ROLE planreg_app NOLOGIN")
            cls.primary.psql("CREATE ROLE %s LOGIN IN ROLE planreg_app" % harness.APP_ROLE)
            # the harness reads these at each call: from here on it works on the private primary
            os.environ.update({"PGHOST": cls.primary.dir, "PGPORT": cls.primary.port, "PGUSER": "postgres"})
            # every daemon signs the one log with the one key, each keeping its own state file
            cls.log_key = os.path.join(cls.tmp, "log.key")
            r = harness.run([harness.PLANREGD, "log-key"],
                            env={"PLANREGD_LOG_KEY": cls.log_key, "PLANREGD_LOG_ORIGIN": LOG_ORIGIN})
            if r.returncode != 0:
                raise AssertionError("planregd log-key failed: %s" % r.stderr)
            cls.log_vkey = r.stdout.strip()

            def signing(name):
                return {"PLANREGD_LOG_KEY": cls.log_key, "PLANREGD_LOG_STATE": os.path.join(cls.tmp, name + ".state")}
            # the harness's own daemon has no replica: the reference for what the primary says
            cls.service = harness.Service("scaleout", daemon_env=dict(DAEMON_ENV, **signing("d0")))
            replica_dsn = cls.replica.dsn(cls.service.db, harness.APP_ROLE)
            # d1 waits long for the replica to replay a write; d2 briefly, then reads from the primary
            for name, wait_ms in (("d1", "10000"), ("d2", "300")):
                env = dict(DAEMON_ENV, PLANREGD_READ_DB_DSN=replica_dsn, PLANREGD_READ_DB_WAIT_MS=wait_ms,
                           PLANREGD_TRUSTED_PROXIES=LB_SOURCE, **signing(name))
                d = harness.Daemon(cls.service.db, cls.service.pki, cls.service.tmp, env)
                cls.daemons.append(d)
                d.wait_log(r"event=db_listening", 10)  # revocations heard: principals are cached
            cls.d1, cls.d2 = cls.daemons
            cls.lb = HAProxy(cls.service.tmp, cls.d1, cls.d2)
            wait_until("both daemons UP in HAProxy",
                       lambda: cls.lb.server_status() == {"d1": "UP", "d2": "UP"}, 10)
            cls.wait_replica_caught_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = []
        try:
            if cls.lb:
                cls.lb.stop()
            for d in cls.daemons:
                if d.proc.poll() is not None and d.proc.returncode == -signal.SIGKILL:
                    d.log.close()  # the one this test killed
                    continue
                try:
                    d.stop()
                except AssertionError as e:
                    problems.append(str(e))
            if cls.service:
                cls.service.close()
        finally:
            for c in (cls.replica, cls.primary):
                if c:
                    c.stop()
            for k, v in cls.saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            shutil.rmtree(cls.tmp, ignore_errors=True)
        if problems:
            raise AssertionError("\n".join(problems))

    # ------------------------------------------------------------ helpers

    @classmethod
    def wait_replica_caught_up(cls, timeout=20):
        lsn = cls.primary.psql("SELECT pg_current_wal_lsn()")
        wait_until("the replica replaying %s" % lsn,
                   lambda: cls.replica.psql("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % lsn) == "t", timeout)

    def cli(self, port, *args, timeout=90):
        return self.service.cli("admin", *args, port=port, timeout=timeout)

    def submit(self, port, ref, key):
        return self.cli(port, "update", "submit", str(ref), "--period", current_period(), "--confidence", "amber",
                        "--stage", "live", "--narrative", "Scale-out submission %s." % key, "--idempotency-key", key)

    # ------------------------------------------------------------ 1: request ids

    def test_1_request_ids_name_log_lines(self):
        seen = set()
        for d in (self.d1, self.d2):
            w = self.wire(daemon=d)
            ids = []
            for n in (1, 2):
                r = w.call(whoami(n))
                self.assertEqual(r.code, OK, r)
                rid = request_id(r)
                self.assertRegex(rid, r"^[0-9a-f]{10}\.\d+$")
                ids.append(rid)
                line = request_line(d, rid)
                self.assertIn("method=Whoami", line)
                self.assertIn(" id=%d " % n, line)
            self.assertEqual(ids[0].split(".")[0], ids[1].split(".")[0], "one prefix per process")
            self.assertNotEqual(ids[0], ids[1])
            seen.update(ids)
        prefixes = {rid.split(".")[0] for rid in seen}
        self.assertEqual(len(prefixes), 2, "two daemons must not share a request id prefix: %s" % seen)
        # an error's database details in the log carry the same id as the client's answer
        w = self.wire(daemon=self.d2)
        r = w.call(upsert_contact(3, "NOSUCHORG", "x@example.org"))
        self.assertNotEqual(r.code, OK)
        rid = request_id(r)
        self.assertTrue(rid)
        request_line(self.d2, rid)

    # ------------------------------------------------------------ 2: reads on the replica, read-your-writes

    def test_2_read_your_writes(self):
        # a read goes to the replica
        a = self.wire(daemon=self.d2)
        r = a.call(list_organisations(1))
        self.assertEqual(r.code, OK, r)
        self.assertIn(" db=replica", request_line(self.d2, request_id(r)))

        # the replica stops replaying: what is written now is on the primary only
        self.replica.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(self.replica.psql, "SELECT pg_wal_replay_resume()")
        email = "ryw-%s@example.org" % uuid.uuid4().hex[:6]
        r = a.call(upsert_contact(2, "LCC", email))
        self.assertEqual(r.code, OK, r)
        self.assertIn(" db=primary", request_line(self.d2, request_id(r)))
        t0 = time.time()
        r = a.call(list_organisations(3))
        took = time.time() - t0
        self.assertEqual(r.code, OK, r)
        self.assertEqual(organisations(r).get("LCC"), email, "the connection that wrote does not see its write")
        line = request_line(self.d2, request_id(r))
        log("read after write, replica paused: %.3fs: %s" % (took, line))
        self.assertIn(" db=primary ryw=fallback", line)
        self.assertGreaterEqual(took, 0.25)  # it waited read_db_wait_ms (300) for the replica first
        # another connection reads the replica, which has not got the write: the wait above was needed
        b = self.wire(daemon=self.d2)
        r = b.call(list_organisations(1))
        self.assertNotEqual(organisations(r).get("LCC"), email)
        self.assertIn(" db=replica", request_line(self.d2, request_id(r)))

        # d1 waits up to 10 s: a write, then a read while the replica resumes 0.4 s later
        c = self.wire(daemon=self.d1)
        email2 = "ryw2-%s@example.org" % uuid.uuid4().hex[:6]
        r = c.call(upsert_contact(1, "LCC", email2))
        self.assertEqual(r.code, OK, r)
        timer = threading.Timer(0.4, self.replica.psql, ("SELECT pg_wal_replay_resume()",))
        timer.start()
        t0 = time.time()
        r = c.call(list_organisations(2))
        took = time.time() - t0
        timer.join()
        self.assertEqual(organisations(r).get("LCC"), email2)
        line = request_line(self.d1, request_id(r))
        log("read after write, replica resumed after 0.4s: %.3fs: %s" % (took, line))
        self.assertIn(" db=replica ryw=waited", line)
        self.assertGreaterEqual(took, 0.3)
        # once replayed, the next read on that connection asks nothing more and stays on the replica
        r = c.call(list_organisations(3))
        line = request_line(self.d1, request_id(r))
        self.assertIn(" db=replica", line)
        self.assertNotIn("ryw=", line)
        self.assertEqual(organisations(r).get("LCC"), email2)

    def test_2d_read_your_writes_across_commands(self):
        """Two CLI processes, two connections: `org set-contact` writes, then `org list` from another
        process reads. The write's answer carried the primary's position, which the CLI kept under
        XDG_STATE_HOME and sent with the read: the read waited for the paused replica and then took
        the primary, and so shows the write. The same read without the kept position reads the
        replica, which has not got it."""
        self.replica.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(self.replica.psql, "SELECT pg_wal_replay_resume()")
        state = harness.tempdir("planreg-state-")
        email = "across-%s@example.org" % uuid.uuid4().hex[:6]
        w = self.service.cli("admin", "org", "set-contact", "LCC", email, port=self.d2.port,
                             env={"XDG_STATE_HOME": state})
        self.assertEqual(w.returncode, 0, w.stderr)
        kept = [f for f in os.listdir(os.path.join(state, "planreg")) if f.startswith("position-")]
        self.assertEqual(len(kept), 1, kept)
        r = self.service.cli("admin", "org", "list", "--format", "json", port=self.d2.port,
                             env={"XDG_STATE_HOME": state})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({o["code"]: o["contact_email"] for o in json.loads(r.stdout)}.get("LCC"), email,
                         "a second command did not read the first one's write")
        fresh = harness.tempdir("planreg-state-")
        r = self.service.cli("admin", "org", "list", "--format", "json", port=self.d2.port,
                             env={"XDG_STATE_HOME": fresh})
        self.assertNotEqual({o["code"]: o["contact_email"] for o in json.loads(r.stdout)}.get("LCC"), email,
                            "without the kept position the replica answers (so the test above means something)")

    def test_2e_a_read_that_fails_on_the_replica_runs_on_the_primary(self):
        """A read whose statement fails on the replica (here: its session is terminated while it runs)
        is not answered UNAVAILABLE: it runs again on the primary, once. To catch the read in flight,
        the replica's sessions of the daemon are stopped (SIGSTOP) before it is sent, then told to
        terminate (SIGTERM, SIGCONT): the statement fails with "terminating connection"."""
        db = self.service.db
        w = self.wire(daemon=self.d2, timeout=15)
        self.assertEqual(w.call(list_organisations(1)).code, OK)
        pids = [int(p) for p in self.replica.psql(
            "SELECT pid FROM pg_stat_activity WHERE usename = '%s'" % harness.APP_ROLE, db=db).split()]
        self.assertTrue(pids)
        before = harness.metric(self.d2.metrics(), "planregd_reads_retried_total")
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            w.send(list_organisations(2))
            time.sleep(0.3)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
                os.kill(pid, signal.SIGCONT)
        r = w.read_response()
        self.assertEqual(r.code, OK, r)
        line = request_line(self.d2, request_id(r))
        self.assertIn(" db=primary ryw=retried", line)
        self.assertEqual(harness.metric(self.d2.metrics(), "planregd_reads_retried_total"), before + 1)
        wait_until("the replica pool back", lambda: harness.metric(self.d2.metrics(),
                                                                   "planregd_read_db_healthy") == 1, 20)

    # ------------------------------------------------------------ 2b: credentials never from the replica

    def test_2b_credentials_come_from_the_primary(self):
        # the replica stops replaying: it will know neither the credential nor its revocation
        self.replica.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(self.replica.psql, "SELECT pg_wal_replay_resume()")
        name = "viewer-%s" % uuid.uuid4().hex[:6]
        self.service.enrol(name, "CA", "Viewer On Replica", "viewer")
        w = self.wire(name, daemon=self.d1)  # the connect-time lookup finds it: it ran on the primary
        r = w.call(list_organisations(1))
        self.assertEqual(r.code, OK, r)
        self.assertIn(" db=replica", request_line(self.d1, request_id(r)))  # its reads use the replica
        r = self.service.cli("admin", "cred", "revoke", name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # the revocation is heard through LISTEN on the primary (NOTIFY never reaches a standby)
        self.d1.wait_log(r"event=conn_principal_dropped .*cred=%s" % re.escape(name), 10)
        r = w.call(list_organisations(2))
        self.assertEqual((r.code, r.reason), (UNAUTHENTICATED, "credential_revoked"), r)
        self.assertEqual(self.replica.psql("SELECT count(*) FROM credential WHERE name = '%s'" % name,
                                           db=self.service.db), "0", "the replica was not behind: proves nothing")

    def test_2c_a_revocation_heard_while_a_read_waits_for_the_replica(self):
        # an admin writes, then reads on the same connection: the read waits for the replica (d1 waits up
        # to 10 s); while it waits the credential is revoked. The read must then be refused, not served
        # with the principal it had before the wait.
        name = "admin-%s" % uuid.uuid4().hex[:6]
        self.service.enrol(name, "CA", "Revoked While Waiting", "admin")
        w = self.wire(name, daemon=self.d1)
        self.replica.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(self.replica.psql, "SELECT pg_wal_replay_resume()")
        r = w.call(upsert_contact(1, "LCC", "waiting-%s@example.org" % uuid.uuid4().hex[:6]))
        self.assertEqual(r.code, OK, r)

        def revoke_then_resume():
            rr = self.service.cli("admin", "cred", "revoke", name)
            self.assertEqual(rr.returncode, 0, rr.stdout + rr.stderr)
            self.d1.wait_log(r"event=conn_principal_dropped .*cred=%s" % re.escape(name), 10)
            self.replica.psql("SELECT pg_wal_replay_resume()")

        timer = threading.Timer(0.3, revoke_then_resume)
        timer.start()
        r = w.call(list_organisations(2))
        timer.join()
        self.assertEqual((r.code, r.reason), (UNAUTHENTICATED, "credential_revoked"), r)

    # ------------------------------------------------------------ 3: a daemon killed under submissions

    def test_3_sigkill_under_submissions_lands_each_once(self):
        prefix = "kill-%s" % uuid.uuid4().hex[:6]
        refs = list(range(1, 9))
        # hold the chain's lock: every submission is then checked and waits, in flight on its daemon, for the
        # sequencer's batch that will write it (migrations/0031), which waits for the lock
        holder = subprocess.Popen(["psql", "-X", "-q", "-At", "-h", self.primary.dir, "-p", self.primary.port, "-U",
                                   "postgres", "-d", self.service.db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.addCleanup(holder.kill)
        holder.stdin.write("SELECT pg_advisory_lock(%d);\nSELECT 'locked';\n" % SUBMIT_LOCK)
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), "")  # pg_advisory_lock's empty result
        self.assertEqual(holder.stdout.readline().strip(), "locked")

        log_before = self.d1.read_log()
        log_before_d2 = self.d2.read_log()
        results = {}

        def work(ref):
            key = "%s-%d" % (prefix, ref)
            r = self.submit(self.lb.port, ref, key)
            results[key] = r

        threads = [threading.Thread(target=work, args=(ref,), daemon=True) for ref in refs]
        for t in threads:
            t.start()

        def in_flight(new):
            decoded = len(re.findall(r"event=request_decoded conn=\d+ kind=30 ", new))  # SubmitUpdate
            return decoded - len(re.findall(r"event=request .*method=SubmitUpdate", new))

        def waiting():
            written = int(self.primary.psql("SELECT count(*) FROM progress_update WHERE idempotency_key LIKE '%s-%%'"
                                            % prefix, db=self.service.db))
            batches = int(self.primary.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT "
                                            "granted", db=self.service.db))
            flying = (in_flight(self.d1.read_log()[len(log_before):]) +
                      in_flight(self.d2.read_log()[len(log_before_d2):]))
            return written == 0 and flying == len(refs) and batches >= 1

        try:
            wait_until("%d submissions checked and waiting for the sequencer, none written" % len(refs), waiting, 30)
        except AssertionError:
            for key, r in sorted(results.items()):
                log("finished early: %s exit %d: %s%s" % (key, r.returncode, r.stdout, r.stderr))
            raise
        in_flight_d1 = in_flight(self.d1.read_log()[len(log_before):])
        log("before the kill: %d of %d submissions in flight on d1" % (in_flight_d1, len(refs)))
        self.assertGreater(in_flight_d1, 0, "HAProxy sent no submission to d1: the kill would prove nothing")

        self.d1.proc.send_signal(signal.SIGKILL)
        self.d1.proc.wait(10)
        t_kill = time.time()
        wait_until("HAProxy marking d1 DOWN", lambda: self.lb.server_status().get("d1", "").startswith("DOWN"),
                   10 * CHECK_MS / 1000 + 5)
        log("HAProxy marked d1 DOWN %.2fs after SIGKILL" % (time.time() - t_kill))
        time.sleep(1.5)  # the resent submissions reach d2 and wait for the lock too
        holder.stdin.write("SELECT pg_advisory_unlock_all();\n")
        holder.stdin.close()
        for t in threads:
            t.join(90)
        holder.wait(10)
        holder.stdout.close()

        resent = [k for k, r in results.items() if "sending it again with the same idempotency key" in r.stderr]
        log("%d submissions, %d resent after the kill" % (len(results), len(resent)))
        self.assertEqual(len(results), len(refs))
        self.assertEqual(len(resent), in_flight_d1, "each submission cut by the kill is sent again once")
        # A resend made within microseconds of the kill can still be accepted by the dying daemon
        # before its listening socket is gone (HAProxy connected, so it cannot redispatch): the CLI
        # then tries again after a pause, by when HAProxy has taken d1 out. Every command succeeds.
        for key, r in sorted(results.items()):
            self.assertEqual(r.returncode, 0, "%s: exit %d\n%s%s\nHAProxy's log:\n%s" % (
                key, r.returncode, r.stdout, r.stderr, self.lb.read_log()[-5000:]))
        again = [k for k in resent if "(attempt 2 of" in results[k].stderr]
        if again:
            log("resent after a pause, the first resend having met the dying daemon: %s" % again)
        rows = self.service.sql("SELECT idempotency_key, count(*) FROM progress_update WHERE idempotency_key LIKE "
                                "'%s-%%' GROUP BY 1 ORDER BY 1" % prefix)
        counts = dict(line.split("|") for line in rows.splitlines())
        self.assertEqual(counts, {"%s-%d" % (prefix, ref): "1" for ref in refs}, "not exactly once each")
        # every receipt the client kept, from either daemon, verifies offline and against the one tree
        receipts = os.path.join(self.service.tmp, "xdg-data", "planreg", "receipts")
        ids = self.service.sql("SELECT id FROM progress_update WHERE idempotency_key LIKE '%s-%%'" % prefix).split()
        for i in ids:
            path = os.path.join(receipts, "update-%s.proof" % i)
            r = self.service.cli(None, "audit", "check-receipt", path, "--vkey", self.log_vkey,
                                 env={"PLANREG_SERVER": "localhost:1"})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.cli(self.lb.port, "audit", "verify", "--receipts", receipts)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # the dead daemon is out of rotation: new submissions go straight to d2
        self.assertRegex(self.lb.read_log(), r"Server planregd/d1 is DOWN")
        self.assertEqual(self.lb.server_status().get("d2"), "UP")
        for ref in (9, 10, 11):
            r = self.submit(self.lb.port, ref, "%s-after-%d" % (prefix, ref))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("sending it again", r.stderr)

    # ------------------------------------------------------------ 4: the replica agrees with the primary

    def pin_as_at(self):
        """A moment just past, on a whole second, after everything written so far: both sides describe it."""
        t = int(time.time()) + 1
        time.sleep(t + 0.2 - time.time())
        self.as_at = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def status_json(self, port, *extra):
        r = self.cli(port, "status", "--period", current_period(), "--as-at", self.as_at, "--format", "json", *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def test_4_replica_status_matches_primary(self):
        self.pin_as_at()
        self.wait_replica_caught_up()
        before = len(re.findall(r"method=GetStatus .* db=replica", self.d2.read_log()))
        via_replica = self.status_json(self.lb.port)
        after = len(re.findall(r"method=GetStatus .* db=replica", self.d2.read_log()))
        self.assertGreater(after, before, "the status through HAProxy was not read from the replica")
        via_primary = self.status_json(self.service.daemon.port)
        self.assertEqual(via_replica, via_primary)
        self.assertGreaterEqual(via_primary["totals"]["reported"], 11)

        r1 = self.cli(self.lb.port, "export", "updates", "--from", current_period(), "--format", "json")
        r2 = self.cli(self.service.daemon.port, "export", "updates", "--from", current_period(), "--format", "json")
        self.assertEqual(r1.returncode, 0, r1.stderr)
        self.assertEqual(json.loads(r1.stdout), json.loads(r2.stdout))

    # ------------------------------------------------------------ 5: the replica stopped

    def test_5_replica_down_reads_fall_back_to_primary(self):
        self.pin_as_at()
        self.replica.stop()
        wait_until("d2 noticing the replica is gone",
                   lambda: "planregd_read_db_healthy 0" in http_get(self.d2.http_port, "/metrics")[1], 10)
        status, body = http_get(self.d2.http_port, "/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn("replica unavailable", body)
        self.assertEqual(self.lb.server_status().get("d2"), "UP")
        before = len(re.findall(r"method=GetStatus .* db=primary", self.d2.read_log()))
        self.assertEqual(self.status_json(self.lb.port), self.status_json(self.service.daemon.port))
        after = len(re.findall(r"method=GetStatus .* db=primary", self.d2.read_log()))
        self.assertGreater(after, before)

    # ------------------------------------------------------------ 6: a flood from one address behind HAProxy

    def test_6_a_flood_through_haproxy_leaves_other_clients_served(self):
        """Issue 22: 1,000 silent connections from one real address through HAProxy, which names it to the
        daemons in a PROXY v2 header; a client at another address through the same HAProxy is served within
        2 s, and so is one at the flooding address (it takes the place of the oldest silent one). Without
        the header every connection would be the balancer's one address, and the flood everybody's."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 2000 and (hard == resource.RLIM_INFINITY or hard >= 2000):
            resource.setrlimit(resource.RLIMIT_NOFILE, (2000, hard))
        count = min(1000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 300)
        socks = []
        try:
            for _ in range(count):
                socks.append(socket.create_connection(("127.0.0.1", self.lb.port), timeout=3,
                                                      source_address=("127.0.0.1", 0)))
            time.sleep(0.5)  # the flood's connections are no longer new: they count as silent
            for source, req in (("127.0.0.2", 1), ("127.0.0.1", 2)):
                t0 = time.time()
                w = self.wire(daemon=self.lb, source=source, timeout=5)
                r = w.call(whoami(req))
                took = time.time() - t0
                self.assertEqual(r.code, OK, r)
                self.assertLess(took, 2.0, "a client at %s behind HAProxy waited %.2fs" % (source, took))
            # the daemons counted the real address, not HAProxy's (LB_SOURCE)
            live = [d for d in (self.d1, self.d2) if d.proc.poll() is None]
            logs = "".join(d.read_log() for d in live)
            self.assertRegex(logs, r"peer=127\.0\.0\.2:\d+")
            self.assertNotRegex(logs, r"event=conn_\w+ peer=%s:" % re.escape(LB_SOURCE))
        finally:
            for sock in socks:
                sock.close()


if __name__ == "__main__":
    harness.main()
