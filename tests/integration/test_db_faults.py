"""The daemon against a PostgreSQL that misbehaves: frozen with SIGSTOP (as a
partition or a stuck host looks from the daemon), restarted under load, and
the daemon itself killed with SIGKILL under load. Checks the query deadline,
the acquire deadline, /healthz, reconnection after an outage, the TCP
keepalive settings, and that no acknowledged submission is lost or doubled.

Freezing the suite's shared cluster would stall every other test running in
parallel, so this module starts a PRIVATE cluster of its own with
deploy/pgcluster.sh (over TCP on 127.0.0.1, so that keepalives apply) and points
the harness at it through PGHOST/PGPORT; tearDown always thaws it, and the
module always stops it.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import current_period, http_get, metric, wait_until  # noqa: E402
from pgcluster import PgCluster  # noqa: E402
from wire import OK, UNAVAILABLE, Wire, get_project, tls_context, whoami  # noqa: E402

RESOURCE_EXHAUSTED = 8

# short deadlines, so that the faults show in seconds; reconnect_max_ms stays at its
# default (10 s): recovery within ~1 s must not depend on a short maximum
FAST = {
    "PLANREGD_DB_QUERY_TIMEOUT_MS": "2000",
    "PLANREGD_DB_ACQUIRE_TIMEOUT_MS": "2000",
    "PLANREGD_DB_CONNECT_TIMEOUT_MS": "2000",
}


def log(msg):
    sys.stderr.write("[db_faults] %s\n" % msg)
    sys.stderr.flush()


def ss_seconds(text):
    """ss's timer text in seconds: 119min, 1min20sec, 40sec, 4.123ms (4.123 s), 855ms."""
    m = re.fullmatch(r"(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?", text)
    if not m:
        raise AssertionError("cannot read ss timer %r" % text)
    mins, secs, ms = (int(g) if g else 0 for g in m.groups())
    return mins * 60 + secs + ms / 1000


class Cluster(PgCluster):
    """A private cluster over TCP that can be frozen and thawed."""

    def __init__(self):
        self.tmp = harness.tempdir("planreg-dbfaults-pg-", 0o755)  # the postgres user must reach the cluster
        self.frozen = set()
        self.pid = None
        try:
            super().__init__(os.path.join(self.tmp, "pg"), tcp=True)
            self.pid = self.postmaster()
        except BaseException:
            self.close()
            raise

    def postmaster(self):
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            return int(f.readline())

    @staticmethod
    def children(ppid):
        kids = set()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == ppid:
                kids.add(int(name))
        return kids

    def freeze(self):
        """SIGSTOP to the postmaster first (it forks no more), then to each of its children."""
        pm = self.postmaster()
        os.kill(pm, signal.SIGSTOP)
        self.frozen.add(pm)
        for _ in range(10):
            new = self.children(pm) - self.frozen
            if not new:
                break
            for pid in new:
                try:
                    os.kill(pid, signal.SIGSTOP)
                    self.frozen.add(pid)
                except ProcessLookupError:
                    pass

    def thaw(self):
        pids = set(self.frozen)
        try:
            pm = self.postmaster()
            pids |= {pm} | self.children(pm)
        except (OSError, ValueError):
            pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen.clear()

    def close(self):
        try:
            self.thaw()
        finally:
            self.stop()
            self.stop_by_pid()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def stop_by_pid(self):
        """When pgcluster.sh could not stop it: a fast shutdown (SIGINT) of this cluster's own postmaster."""
        pid = self.pid
        try:
            pid = pid or self.postmaster()
        except (OSError, ValueError):
            pass
        if not pid:
            return
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if os.path.join(self.dir, "data").encode() not in f.read():
                    return  # not ours (any more)
            os.kill(pid, signal.SIGINT)
        except (OSError, ProcessLookupError):
            return
        for _ in range(150):
            if not os.path.exists("/proc/%d" % pid):
                return
            time.sleep(0.1)


class DbFaultsTest(harness.WireTest):
    cluster = None
    wire_timeout = 15

    @classmethod
    def setUpClass(cls):
        harness.require_cluster()
        cls.cluster = Cluster()
        try:
            # harness reads these at each call: from here on this process uses the private cluster
            os.environ.update({"PGHOST": "127.0.0.1", "PGPORT": cls.cluster.port, "PGUSER": "postgres"})
            cls.service = harness.Service("dbfaults", daemon_env=FAST)
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.service:
                cls.cluster.thaw()
                cls.service.close()
        finally:
            cls.cluster.close()

    def tearDown(self):
        self.cluster.thaw()  # whatever happened: never leave the cluster frozen
        super().tearDown()

    # ------------------------------------------------------------ helpers

    def daemon(self, env=None):
        return self.extra_daemon(dict(FAST, **(env or {})))

    def cli(self, d, *args, timeout=60):
        return self.service.cli("admin", *args, port=d.port, timeout=timeout)

    def submit(self, d, ref, key):
        return self.cli(d, "update", "submit", str(ref), "--period", current_period(), "--confidence", "green",
                        "--stage", "live", "--narrative", "Fault test submission %s." % key, "--idempotency-key",
                        key)

    def answers(self, d):
        """True when a new connection's whoami succeeds (a raw request: no CLI start-up in the timing)."""
        try:
            w = Wire(d.port, tls_context(self.service.pki, "admin"), timeout=5)
        except (OSError, ssl.SSLError):
            return False
        try:
            r = w.call(whoami(1))
            return r.code == OK and r.id == 1
        except (OSError, ssl.SSLError, AssertionError):
            return False
        finally:
            w.close()

    def healthz(self, d):
        return http_get(d.http_port, "/healthz")[0]

    def rows_with_key(self, key):
        return int(self.service.sql("SELECT count(*) FROM progress_update WHERE idempotency_key = '%s'" % key))

    def submitters(self, d, prefix, refs, count, stop):
        """Threads submitting `count` updates each (one project per thread), until stop is set.
        Returns (threads, results); results gets (key, rc, started, ended, stderr) tuples."""
        results = []
        lock = threading.Lock()

        def work(ref):
            for i in range(count):
                if stop.is_set():
                    return
                key = "%s-%d-%d" % (prefix, ref, i)
                t0 = time.time()
                try:
                    r = self.submit(d, ref, key)
                    rc, err = r.returncode, r.stderr
                except (subprocess.TimeoutExpired, OSError) as e:
                    rc, err = -1, "not run: %s" % e
                with lock:
                    results.append((key, rc, t0, time.time(), err))
                time.sleep(0.05)

        threads = [threading.Thread(target=work, args=(ref,), daemon=True) for ref in refs]
        for t in threads:
            t.start()
        return threads, results

    # ------------------------------------------------------------ 1: frozen

    def test_frozen_database_answers_unavailable_and_recovers(self):
        d = self.daemon()
        w = self.wire(daemon=d)
        self.assertEqual(w.call(whoami(1)).code, OK)
        self.assertEqual(self.healthz(d), 200)

        t1 = time.time()
        self.assertEqual(self.cli(d, "projects", "show", "5").returncode, 0)
        healthy = time.time() - t1
        self.cluster.freeze()
        t0 = time.time()
        w.send(get_project(2, 5))
        r = w.read_response()
        took = time.time() - t0
        log("frozen: GetProject answered %s after %.2fs (db_query_timeout_ms 2000)" % (r, took))
        self.assertIsNotNone(r, "the connection closed instead of answering")
        self.assertEqual((r.id, r.code, r.reason), (2, UNAVAILABLE, "database_unavailable"), r)
        self.assertLess(took, 8.0)
        self.assertRegex(d.read_log(), r"event=db_query_timeout conn=\d+ state=query timeout_ms=2000")

        _, took = wait_until("/healthz 503 while frozen", lambda: self.healthz(d) == 503, 5)
        log("frozen: /healthz 503 %.2fs after the answer" % took)
        # the server is known to be silent: a new request fails at once instead of waiting out a deadline
        t1 = time.time()
        r = self.cli(d, "projects", "show", "5")
        took = time.time() - t1
        log("frozen: CLI request exited %d after %.2fs" % (r.returncode, took))
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("unavailable", r.stderr)
        # "at once": no slower than the same command took while the database answered, by
        # less than the 2 s deadline it would otherwise wait out (a fixed bound measured the
        # CLI's start-up under ASan on a loaded machine more than the daemon)
        self.assertLess(took, healthy + 1.5, "healthy run took %.2fs" % healthy)

        self.cluster.thaw()
        t2 = time.time()
        n = [10]

        def ok():
            n[0] += 1
            return w.call(get_project(n[0], 5)).code == OK

        _, took = wait_until("a request succeeding after SIGCONT", ok, 5)
        log("thawed: first successful request %.2fs after SIGCONT" % (time.time() - t2))
        self.assertLess(took, 2.0)
        _, took = wait_until("/healthz 200 after SIGCONT", lambda: self.healthz(d) == 200, 5)
        self.assertLess(time.time() - t2, 3.0)
        self.assertRegex(d.read_log(), r"event=db_answering")

    def test_frozen_idle_pool_turns_unhealthy(self):
        d = self.daemon()
        self.assertEqual(self.healthz(d), 200)
        self.cluster.freeze()
        # nothing is asked: the pool's own SELECT 1 finds the server silent
        _, took = wait_until("/healthz 503 while frozen and idle", lambda: self.healthz(d) == 503, 10)
        log("frozen idle pool: /healthz 503 after %.2fs" % took)
        # expected: ping interval (1 s) + the deadline (2 s); a pool that only noticed its connections
        # failing one by one would take several deadlines plus connect timeouts
        self.assertLess(took, 6.0)
        status, body = http_get(d.http_port, "/healthz")
        self.assertEqual((status, body.strip()), (503, "database unavailable"))
        self.cluster.thaw()
        _, took = wait_until("/healthz 200 after SIGCONT", lambda: self.healthz(d) == 200, 5)
        log("thawed idle pool: /healthz 200 after %.2fs" % took)
        self.assertLess(took, 3.0)

    # ------------------------------------------------------------ 2: restarted under load

    def test_restart_under_load(self):
        d = self.daemon()
        stop = threading.Event()
        threads, results = self.submitters(d, "restart-%s" % uuid.uuid4().hex[:6], [21, 22], 400, stop)
        try:
            wait_until("submissions before the restart", lambda: any(r[1] == 0 for r in list(results)), 30)
            self.cluster.pg("stop")
            t_down = time.time()
            time.sleep(7.0)  # longer than the pause a plain doubling back-off would have reached
            t_start = time.time()
            self.cluster.pg("start", self.cluster.port)
            t_up = time.time()

            _, took = wait_until("a request succeeding after the restart", lambda: self.answers(d), 15, step=0.05)
            log("restart: outage %.1fs; first success %.2fs after pg_ctl start returned" % (t_up - t_down, took))
            self.assertLess(took, 2.0)

            def all_up():
                return metric(http_get(d.http_port, "/metrics")[1], "planregd_db_connections_up") == 4

            # the first connection back wakes the others from their long pauses
            _, took_all = wait_until("every pool connection back", all_up, 15, step=0.05)
            log("restart: all 4 connections up %.2fs after the first success" % took_all)
            self.assertLess(took_all, 3.0)
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        self.assertIsNone(d.proc.poll(), "planregd died during the restart")
        # connection 0 keeps looking every half second however long the outage; the others back off further
        text = d.read_log()
        scout = [int(x) for x in re.findall(r"event=db_connect_failed conn=0 .*retry_ms=(\d+)", text)]
        others = [int(x) for x in re.findall(r"event=db_connect_failed conn=[1-9]\d* .*retry_ms=(\d+)", text)]
        log("restart: reconnect pauses of conn 0 %s; largest of the others %s" % (scout, max(others or [0])))
        self.assertTrue(scout, "connection 0 never retried during the outage")
        self.assertLessEqual(max(scout), 500)
        self.assertGreater(max(others or [0]), 1000, "the other connections did not back off")
        during = [r for r in list(results) if r[2] > t_down + 0.5 and r[3] < t_start]
        self.assertTrue(during, "no submission was tried during the outage")
        for key, rc, t0, t1, err in during:
            self.assertEqual(rc, 3, "%s during the outage: exit %d: %s" % (key, rc, err))
            self.assertIn("unavailable", err)
            self.assertLess(t1 - t0, 3.0, "%s took %.1fs to fail during the outage" % (key, t1 - t0))
        log("restart: %d submissions, %d during the outage, %d acknowledged" % (
            len(results), len(during), sum(1 for r in results if r[1] == 0)))
        self.assertTrue(any(r[1] == 0 and r[2] > t_up for r in results), "no submission succeeded after restart")
        for key, rc, _, _, err in results:
            n = self.rows_with_key(key)
            if rc == 0:
                self.assertEqual(n, 1, "acknowledged submission %s" % key)
            else:
                self.assertLessEqual(n, 1, key)
        self.assertNotRegex(d.read_log(), r"AddressSanitizer|runtime error")

    # ------------------------------------------------------------ 3: the daemon killed under load

    def test_kill_9_under_load_keeps_every_acknowledged_submission_once(self):
        d = self.daemon()
        stop = threading.Event()
        prefix = "kill-%s" % uuid.uuid4().hex[:6]
        threads, results = self.submitters(d, prefix, [31, 32, 33, 34], 15, stop)
        try:
            wait_until("a few acknowledged submissions", lambda: sum(1 for r in list(results) if r[1] == 0) >= 6,
                       60)
            d.proc.kill()
            d.proc.wait(30)
            log("kill -9: daemon killed after %d acknowledged submissions" % sum(1 for r in results if r[1] == 0))
        finally:
            for t in threads:
                t.join(300)
            stop.set()
        self.extra_daemons.remove(d)
        d.log.close()
        self.assertIsNone(harness.sanitizer_report(d.read_log()))

        d2 = self.daemon()
        acked = [r[0] for r in results if r[1] == 0]
        refused = [r for r in results if r[1] != 0]
        for key, rc, _, _, err in refused:
            self.assertIn(rc, (1, 3), "%s: exit %d: %s" % (key, rc, err))
        for key in acked:
            self.assertEqual(self.rows_with_key(key), 1, "acknowledged submission %s" % key)
        doubled = self.service.sql("SELECT idempotency_key FROM progress_update WHERE idempotency_key LIKE '%s-%%' "
                                   "GROUP BY submitted_by, idempotency_key HAVING count(*) > 1" % prefix)
        self.assertEqual(doubled, "")
        stored = int(self.service.sql("SELECT count(*) FROM progress_update WHERE idempotency_key LIKE '%s-%%'"
                                      % prefix))
        log("kill -9: %d acknowledged, %d refused, %d stored (an unacknowledged one may have gone in)" % (
            len(acked), len(refused), stored))
        self.assertGreaterEqual(stored, len(acked))
        self.assertLessEqual(stored, len(results))
        r = self.cli(d2, "audit", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit chain verified", r.stdout)

    # ------------------------------------------------------------ 4: waiting for a connection

    def test_acquire_timeout_bounds_the_wait_for_a_connection(self):
        d = self.daemon({"PLANREGD_DB_POOL_SIZE": "1", "PLANREGD_DB_QUERY_TIMEOUT_MS": "10000",
                         "PLANREGD_DB_ACQUIRE_TIMEOUT_MS": "1000"})
        holder, waiter = self.wire(daemon=d), self.wire(daemon=d)
        self.assertEqual(holder.call(whoami(1)).code, OK)
        self.assertEqual(waiter.call(whoami(1)).code, OK)
        self.cluster.freeze()  # shorter than the query deadline: the held query is answered in the end
        try:
            holder.send(get_project(2, 5))
            time.sleep(0.3)  # the holder has the only connection
            t0 = time.time()
            waiter.send(get_project(2, 6))
            r = waiter.read_response()
            took = time.time() - t0
        finally:
            self.cluster.thaw()
        log("acquire: the queued request was answered %s after %.2fs (db_acquire_timeout_ms 1000)" % (r, took))
        self.assertIsNotNone(r)
        self.assertEqual(r.id, 2)
        self.assertIn(r.code, (UNAVAILABLE, RESOURCE_EXHAUSTED), r)
        # nothing answered while it waited: the database, not the load, is the trouble
        self.assertEqual((r.code, r.reason), (UNAVAILABLE, "database_unavailable"), r)
        self.assertGreater(took, 0.8)
        self.assertLess(took, 2.5)
        self.assertRegex(d.read_log(), r"event=db_acquire_timeout waited_ms=\d+ busy=no")
        held = holder.read_response()
        self.assertEqual((held.id, held.code), (2, OK), held)
        self.assertEqual(waiter.call(get_project(3, 6)).code, OK)

    def test_acquire_timeout_before_the_first_connection(self):
        """A server that accepts TCP connections and never says a word (the kernel completes the handshake
        into the listen backlog): the pool never connects, and requests are refused after
        db_acquire_timeout_ms instead of waiting for a connection that does not come."""
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        self.addCleanup(silent.close)
        d = self.extra_daemon({
            "PLANREGD_DB_DSN": "host=127.0.0.1 port=%d dbname=nothing user=nobody" % silent.getsockname()[1],
            "PLANREGD_DB_CONNECT_TIMEOUT_MS": "30000",
            "PLANREGD_DB_ACQUIRE_TIMEOUT_MS": "1000",
        }, wait_db=False)
        w = self.wire(daemon=d)
        t0 = time.time()
        w.send(whoami(1))
        r = w.read_response()
        took = time.time() - t0
        log("never connected: answered %s after %.2fs (db_acquire_timeout_ms 1000)" % (r, took))
        self.assertIsNotNone(r)
        # the connect-time credential check is what waited: a connection-level answer (id 0)
        self.assertEqual((r.code, r.reason), (UNAVAILABLE, "database_unavailable"), r)
        self.assertIn("not connected yet", r.message)
        self.assertLess(took, 2.5)
        self.assertEqual(http_get(d.http_port, "/healthz")[0], 503)
        # tearDown stops it: exit code 0 and sanitizer-clean

    # ------------------------------------------------------------ 5: TCP keepalive and user timeout

    def keepalive_timers(self, d):
        """The keepalive timers (seconds) of the daemon's established TCP connections to the cluster."""
        r = subprocess.run(["ss", "-tnpoH", "state", "established", "( dport = :%s )" % self.cluster.port],
                           capture_output=True, text=True, timeout=30)
        timers = []
        for line in r.stdout.splitlines():
            m = re.search(r"timer:\(keepalive,([^,]+),", line)
            if "pid=%d," % d.proc.pid in line and m:
                timers.append(ss_seconds(m.group(1)))
        return timers

    def test_tcp_keepalive_follows_db_tcp_user_timeout(self):
        if shutil.which("ss") is None:
            self.skipTest("ss (iproute2) is not installed")
        d = self.daemon()  # db_tcp_user_timeout_ms 10000: keepalive after 5 s idle
        timers, _ = wait_until("keepalive timers on the pool's connections", lambda: self.keepalive_timers(d), 10)
        log("keepalive: timers %s s with db_tcp_user_timeout_ms 10000" % timers)
        self.assertLessEqual(max(timers), 5.5)  # the system's default is two hours
        self.assertRegex(d.read_log(), r"event=db_tcp keepalives_idle_s=5 .*tcp_user_timeout_ms=10000 left_to_dsn=0")

        # the operator's DSN wins for what it sets
        dsn = harness.dsn(self.service.db, harness.APP_ROLE) + " keepalives_idle=40"
        d2 = self.daemon({"PLANREGD_DB_DSN": dsn})
        self.assertRegex(d2.read_log(), r"event=db_tcp .*left_to_dsn=1")
        timers, _ = wait_until("keepalive timers (DSN)", lambda: self.keepalive_timers(d2), 10)
        log("keepalive: timers %s s with keepalives_idle=40 in the DSN" % timers)
        self.assertGreater(min(timers), 10)
        self.assertLessEqual(max(timers), 40.5)


if __name__ == "__main__":
    harness.main()
