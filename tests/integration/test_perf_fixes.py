"""Performance fixes against the real planregd and planreg: answers of two TLS records
are not held back by Nagle and delayed ACKs (TCP_NODELAY), the CLI resumes its TLS
session from a per-identity cache, and a connection's principal is cached (no credential
lookup per request) yet dropped as soon as the credential is revoked, by this daemon
or, through LISTEN/NOTIFY, by another one."""

import calendar
import os
import re
import ssl
import stat
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from wire import (LIST_PROJECTS, OK, UNAUTHENTICATED, Response, Wire, pb_varint, read_frame, request,  # noqa: E402
                  tls_context, whoami)

LOOKUPS = "planregd_credential_lookups_total"


class PerfFixesTest(harness.WireTest):
    @classmethod
    def setUpClass(cls):
        cls.s = cls.service = harness.Service("perf_fixes", people=("viewer",))
        cls.daemon = cls.s.daemon
        cls.daemon.wait_log(r"event=db_listening channel=planreg_credentials", 10)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    # ------------------------------------------------------------ TCP_NODELAY

    def test_answer_of_two_records_is_not_delayed(self):
        """The gap between the first and the last byte of an answer of two TLS records, so
        that the time the server takes to make it (slow under a sanitizer) does not count."""
        w = self.wire()
        w.call(whoami(1))
        gaps = []
        for i in range(15):
            w.send(request(100 + i, LIST_PROJECTS, pb_varint(7, 1000)))
            first = w.sock.recv(65536)  # one TLS record's worth at most
            t0 = time.perf_counter()
            self.assertGreater(len(first), 4)
            n = struct.unpack(">I", first[:4])[0]
            self.assertGreater(n, 16384, "the answer must span two TLS records")
            self.assertLess(len(first), 4 + n, "the answer came in one record")
            w.buf = first
            self.assertTrue(w._fill(4 + n))
            gaps.append(time.perf_counter() - t0)
            r = w.read_response()
            self.assertEqual((r.id, r.code), (100 + i, OK), r)
        # with Nagle on, the second record waits for the client's delayed ACK (~40 ms)
        self.assertLess(statistics.median(gaps), 0.030, ["%.1f ms" % (t * 1000) for t in gaps])

    # ------------------------------------------------------------ TLS session resumption

    def cache_env(self, name):
        d = os.path.join(self.s.tmp, "cache-" + name)
        return d, {"XDG_CACHE_HOME": d}

    def whoami_resumed(self, cred, env):
        """Runs `planreg whoami`; returns the resumed= of its conn_open line."""
        mark = self.daemon.log_mark()
        r = self.s.cli(cred, "whoami", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(cred, r.stdout)
        m = self.daemon.wait_log(r"event=conn_open .*cred=%s .*resumed=(\d)" % re.escape(cred), 5, since=mark)
        return int(m.group(1))

    def test_cli_resumes_its_tls_session(self):
        cache, env = self.cache_env("resume")
        self.assertEqual(self.whoami_resumed("admin", env), 0)
        self.assertEqual(self.whoami_resumed("admin", env), 1, "the second command did not resume")
        self.assertEqual(self.whoami_resumed("admin", env), 1)
        d = os.path.join(cache, "planreg")
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        files = os.listdir(d)
        self.assertEqual(len(files), 1, files)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, files[0])).st_mode), 0o600)
        # another identity has a session of its own, and is still itself when resumed
        self.assertEqual(self.whoami_resumed("viewer", env), 0)
        self.assertEqual(self.whoami_resumed("viewer", env), 1)
        self.assertEqual(len(os.listdir(d)), 2)
        self.assertEqual(self.whoami_resumed("admin", env), 1)
        # resuming skips the server's certificate check: a session made under another CA is not used
        other = harness.Pki(os.path.join(self.s.tmp, "other-trust"))
        r = self.s.cli("admin", "whoami", env=dict(env, PLANREG_CA=other.ca))
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("server's certificate is not trusted", r.stderr)

    def test_corrupt_or_open_cache_is_ignored_and_replaced(self):
        cache, env = self.cache_env("corrupt")
        self.assertEqual(self.whoami_resumed("admin", env), 0)
        d = os.path.join(cache, "planreg")
        path = os.path.join(d, os.listdir(d)[0])
        good = open(path).read()
        self.assertIn("BEGIN SSL SESSION PARAMETERS", good)
        for garbage in ("garbage\n", good.replace("A", "B"), "-----BEGIN SSL SESSION PARAMETERS-----\nAAAA\n"):
            with open(path, "w") as f:
                f.write(garbage)
            self.assertEqual(self.whoami_resumed("admin", env), 0)
            self.assertIn("BEGIN SSL SESSION PARAMETERS", open(path).read())
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        # a session file others can read is not trusted (nor is the directory left open)
        os.chmod(path, 0o644)
        os.chmod(d, 0o755)
        self.assertEqual(self.whoami_resumed("admin", env), 0)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        self.assertEqual(self.whoami_resumed("admin", env), 1)
        # an unusable cache directory costs nothing but the resumption
        blocked = os.path.join(self.s.tmp, "cache-blocked")
        open(blocked, "w").close()
        r = self.s.cli("admin", "whoami", env={"XDG_CACHE_HOME": blocked})
        self.assertEqual(r.returncode, 0, r.stderr)

    # ------------------------------------------------------------ the cached principal

    def test_principal_is_cached_on_the_connection(self):
        w = self.wire("viewer")
        self.assertEqual(w.call(whoami(1)).code, OK)
        before = self.daemon.metric(LOOKUPS)
        for i in range(20):
            r = w.call(whoami(2 + i))
            self.assertEqual(r.code, OK, r)
            self.assertEqual(r.principal()["credential"], "viewer")
        self.assertEqual(self.daemon.metric(LOOKUPS), before, "requests looked the credential up again")
        # a new connection looks it up once, at connect
        w2 = self.wire("viewer")
        self.assertEqual(w2.call(whoami(1)).code, OK)
        self.assertEqual(self.daemon.metric(LOOKUPS), before + 1)

    def test_a_resumed_session_does_not_outlive_its_certificate(self):
        # A full handshake checks the certificate's dates with its chain; a resumed one skips the chain, so
        # the daemon checks the dates itself. A certificate valid for a few seconds: a full handshake and a
        # session ticket while it is valid, then a resumption after it has expired.
        d = os.path.join(self.s.tmp, "short-ca")
        os.makedirs(d)
        with open(os.path.join(d, "index.txt"), "w"):
            pass
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = c\n[c]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
                    "default_md = sha256\npolicy = p\nunique_subject = no\nx509_extensions = ext\n"
                    "[p]\norganizationName = supplied\norganizationalUnitName = optional\ncommonName = supplied\n"
                    "[ext]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n")
        key, csr, crt = (os.path.join(d, n) for n in ("short.key", "short.csr", "short.crt"))
        ca_key = os.path.join(self.s.pki.dir, "ca.key")
        end = time.gmtime(time.time() + 10)  # room for a loaded machine to get through the first two
        for cmd in (["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
                    ["openssl", "req", "-new", "-key", key, "-subj", "/O=CA/OU=viewer/CN=Short Lived", "-out", csr],
                    ["openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", self.s.pki.ca, "-keyfile", ca_key,
                     "-in", csr, "-out", crt, "-startdate", "20260101000000Z",
                     "-enddate", time.strftime("%Y%m%d%H%M%SZ", end), "-notext"]):
            r = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.s.cli("admin", "cred", "enrol", "--cert", crt, "--role", "viewer", "--name", "short-lived")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ctx = tls_context(self.s.pki, None)
        ctx.load_cert_chain(crt, key)

        def connect(session=None):
            return Wire(self.daemon.port, ctx, session=session).sock

        def call(sock, req):
            """The answer read straight off the socket: a TLS alert is an SSLError, as it comes."""
            sock.sendall(struct.pack(">I", len(req)) + req)
            body = read_frame(sock)
            return Response(body) if body is not None else None

        s1 = connect()
        self.assertEqual(call(s1, whoami(1)).code, OK)  # the session ticket has arrived by now
        session = s1.session
        s1.close()
        s2 = connect(session)  # still valid: resumed and served
        self.assertTrue(s2.session_reused)
        self.assertEqual(call(s2, whoami(1)).code, OK)
        s2.close()
        time.sleep(max(0.0, calendar.timegm(end) + 1.5 - time.time()))
        s3 = connect(session)
        self.assertTrue(s3.session_reused, "the daemon did not resume: this proves nothing")
        r = call(s3, whoami(1))
        s3.close()
        self.assertIsNotNone(r, "closed without saying why")
        self.assertEqual((r.id, r.code, r.reason), (0, UNAUTHENTICATED, "certificate_expired"), r)
        self.assertIn("it expired", r.message)
        # and a full handshake with it fails in TLS, as it always did
        with self.assertRaises(ssl.SSLError):
            s4 = connect()
            call(s4, whoami(1))

    def test_revocation_applies_to_the_next_request_despite_the_cache(self):
        self.s.enrol("temp-rev", "CA", "Temp Revoked", "viewer")
        w = self.wire("temp-rev")
        for i in range(3):
            self.assertEqual(w.call(whoami(1 + i)).code, OK)
        rc = self.s.cli("admin", "cred", "revoke", "temp-rev")
        self.assertEqual(rc.returncode, 0, rc.stdout + rc.stderr)
        r = w.call(whoami(9))
        self.assertEqual((r.id, r.code, r.reason), (9, UNAUTHENTICATED, "credential_revoked"), r)
        self.assertTrue(w.closed_within(3))

    def test_revocation_reaches_another_daemon_by_notification(self):
        other = self.extra_daemon()
        other.wait_log(r"event=db_listening channel=planreg_credentials", 10)
        self.s.enrol("temp-far", "CA", "Temp Far", "viewer")
        w = self.wire("temp-far", daemon=other)
        self.assertEqual(w.call(whoami(1)).code, OK)
        before = other.metric(LOOKUPS)
        self.assertEqual(w.call(whoami(2)).code, OK)
        self.assertEqual(other.metric(LOOKUPS), before, "the other daemon did not cache the principal")
        mark = other.log_mark()
        rc = self.s.cli("admin", "cred", "revoke", "temp-far")  # through the first daemon
        self.assertEqual(rc.returncode, 0, rc.stdout + rc.stderr)
        other.wait_log(r"event=conn_principal_dropped .*cred=temp-far", 5, since=mark)
        r = w.call(whoami(3))
        self.assertEqual((r.id, r.code, r.reason), (3, UNAUTHENTICATED, "credential_revoked"), r)
        self.assertTrue(w.closed_within(3))

    def test_a_revocation_by_hand_in_sql_is_heard_too(self):
        # the owner revokes in SQL, not through the daemon: the database's own trigger (migration 0007)
        # announces it, so the open connection's cached principal goes at once, not after its 60 s
        self.s.enrol("temp-sql", "CA", "Temp SQL", "viewer")
        w = self.wire("temp-sql")
        self.assertEqual(w.call(whoami(1)).code, OK)
        before = self.daemon.metric(LOOKUPS)
        self.assertEqual(w.call(whoami(2)).code, OK)
        self.assertEqual(self.daemon.metric(LOOKUPS), before, "the principal was not cached")
        mark = self.daemon.log_mark()
        self.s.sql("UPDATE credential SET revoked_at = now(), revoked_by = 'owner by hand' WHERE name = 'temp-sql'")
        self.daemon.wait_log(r"event=conn_principal_dropped .*cred=temp-sql", 5, since=mark)
        r = w.call(whoami(3))
        self.assertEqual((r.id, r.code, r.reason), (3, UNAUTHENTICATED, "credential_revoked"), r)
        # a revocation through the daemon is still announced once (identical notifications merge)
        self.s.enrol("temp-once", "CA", "Temp Once", "viewer")
        w2 = self.wire("temp-once")
        self.assertEqual(w2.call(whoami(1)).code, OK)
        mark = self.daemon.log_mark()
        rc = self.s.cli("admin", "cred", "revoke", "temp-once")
        self.assertEqual(rc.returncode, 0, rc.stdout + rc.stderr)
        self.daemon.wait_log(r"event=conn_principal_dropped .*cred=temp-once", 5, since=mark)
        time.sleep(0.3)
        dropped = re.findall(r"event=conn_principal_dropped .*cred=temp-once", self.daemon.read_log()[mark:])
        self.assertEqual(len(dropped), 1, dropped)

    def test_lost_listener_makes_every_cache_stale(self):
        w = self.wire("viewer")
        self.assertEqual(w.call(whoami(1)).code, OK)
        self.assertEqual(w.call(whoami(2)).code, OK)
        mark = self.daemon.log_mark()
        before = self.daemon.metric(LOOKUPS)
        self.s.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE application_name = 'planregd-listen' AND datname = current_database()")
        self.daemon.wait_log(r"event=db_listen_lost", 5, since=mark)
        # while nothing listens, every request looks its credential up
        self.assertEqual(w.call(whoami(3)).code, OK)
        self.daemon.wait_log(r"event=db_listening", 10, since=mark)
        # subscribed again: the cache from before is stale, so one lookup, then none
        after_relisten = self.daemon.metric(LOOKUPS)
        self.assertGreater(after_relisten, before)
        self.assertEqual(w.call(whoami(4)).code, OK)
        self.assertEqual(self.daemon.metric(LOOKUPS), after_relisten + 1)
        self.assertEqual(w.call(whoami(5)).code, OK)
        self.assertEqual(self.daemon.metric(LOOKUPS), after_relisten + 1)


if __name__ == "__main__":
    harness.main()
