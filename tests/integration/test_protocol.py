"""planreg/1 on the wire against the real planregd: frames, pipelining, back-pressure,
deadlines, mutual TLS and ALPN, enrolment and revocation, the database going away,
/healthz and /metrics, graceful drain on SIGTERM and certificate reload on SIGHUP.

The test speaks the protocol itself (docs/protocol.md) with a small protobuf wire
codec below, so that it can send what the CLI never would.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import http_get, metric  # noqa: E402
from pgcluster import PgCluster  # noqa: E402

IMPORT_LOCK_KEY = "31644363112211816"  # planreg_import_plan's pg_advisory_xact_lock
DEFAULT_MAX_FRAME = 1048576

from wire import (GET_PROJECT, INVALID_ARGUMENT, LIST_PROJECTS, OK, UNAUTHENTICATED, UNAVAILABLE,  # noqa: E402
                  WHOAMI, Wire, first, frame, get_project, pb_bytes, pb_decode, pb_varint, request, tls_context,
                  whoami)


# ---------------------------------------------------------------- the tests

class ProtocolTest(harness.WireTest):
    """One service (database, PKI, daemon with short deadlines, the plan imported) for every test."""

    @classmethod
    def setUpClass(cls):
        cls.service = harness.Service("protocol", daemon_env={
            "PLANREGD_FRAME_TIMEOUT_MS": "800",
            "PLANREGD_HANDSHAKE_TIMEOUT_MS": "800",
        })
        cls.daemon = cls.service.daemon
        cls.pki = cls.service.pki

    @classmethod
    def tearDownClass(cls):
        cls.service.close()

    # 1
    def test_whoami_over_raw_tls(self):
        w = self.wire()
        self.assertEqual(w.sock.selected_alpn_protocol(), "planreg/1")
        r = w.call(whoami(4242))
        self.assertEqual(r.id, 4242)
        self.assertEqual(r.code, OK, r)
        self.assertEqual(r.body_field, WHOAMI)
        p = r.principal()
        self.assertEqual(p["credential"], "admin")
        self.assertEqual(p["organisation"], "CA")
        self.assertEqual(p["role"], 1)  # ROLE_ADMIN
        # a large id survives the round trip (uint64)
        r = w.call(whoami(2 ** 63 + 5))
        self.assertEqual(r.id, 2 ** 63 + 5)
        self.assertEqual(r.code, OK)

    # 2
    def test_pipelined_requests_each_answered_once(self):
        w = self.wire()
        want = {}
        msgs = []
        for i, req_id in enumerate(range(100, 150)):
            if i % 2 == 0:
                msgs.append(whoami(req_id))
                want[req_id] = (WHOAMI, None)
            else:
                ref = (i // 2) % 20 + 1
                msgs.append(get_project(req_id, ref))
                want[req_id] = (GET_PROJECT, ref)
        w.send(*msgs)  # one write
        seen = {}
        for _ in range(50):
            r = w.read_response()
            self.assertIsNotNone(r, "connection closed after %d answers" % len(seen))
            self.assertIn(r.id, want, "an answer to an id never sent: %r" % r)
            self.assertNotIn(r.id, seen, "id %d answered twice" % r.id)
            seen[r.id] = r
        self.assertEqual(set(seen), set(want))
        for req_id, r in seen.items():
            kind, ref = want[req_id]
            self.assertEqual(r.code, OK, r)
            self.assertEqual(r.body_field, kind, r)
            if kind == GET_PROJECT:
                project = pb_decode(first(r.body, 1, b""))
                self.assertEqual(first(project, 1, 0), ref, "id %d answered with the wrong project" % req_id)
            else:
                self.assertEqual(r.principal()["credential"], "admin")
        # nothing more is owed: the connection is still usable and quiet
        r = w.call(whoami(999))
        self.assertEqual((r.id, r.code), (999, OK))

    # 3
    def test_backpressure_pauses_instead_of_failing(self):
        d = self.extra_daemon({"PLANREGD_MAX_INFLIGHT_PER_CONN": "2"})
        w = self.wire(daemon=d)
        msgs = [whoami(i) if i % 3 else get_project(i, i % 20 + 1) for i in range(1, 61)]
        w.send(*msgs)
        answered = {}
        for _ in range(60):
            r = w.read_response()
            self.assertIsNotNone(r, "connection closed after %d answers" % len(answered))
            self.assertNotIn(r.id, answered)
            answered[r.id] = r
        self.assertEqual(sorted(answered), list(range(1, 61)))
        failed = [r for r in answered.values() if r.code != OK]
        self.assertEqual(failed, [], "requests beyond max_inflight_per_conn must wait, not fail")
        log = d.read_log()
        self.assertRegex(log, r"event=conn_backpressure conn=\d+ inflight=2")
        self.assertIn("max_inflight_per_conn=2", log)

    # 4
    def assert_connection_error(self, w, code, reason, message_part):
        r = w.read_response()
        self.assertIsNotNone(r, "the server closed without naming the reason")
        self.assertEqual(r.id, 0, r)
        self.assertEqual(r.code, code, r)
        self.assertEqual(r.reason, reason, r)
        self.assertIn(message_part, r.message)
        self.assertTrue(w.closed_within(3), "the server did not close after a connection-level error")
        self.assertEqual(w.buf, b"", "the server sent more after the connection-level error")
        return r

    def test_frame_length_zero(self):
        w = self.wire()
        w.send_raw(struct.pack(">I", 0))
        self.assert_connection_error(w, INVALID_ARGUMENT, "bad_frame",
                                     "frame length 0 is outside 1..%d bytes" % DEFAULT_MAX_FRAME)

    def test_frame_length_above_max(self):
        w = self.wire()
        # only the header: the server must judge the length as soon as it has the header
        w.send_raw(struct.pack(">I", DEFAULT_MAX_FRAME + 1))
        self.assert_connection_error(w, INVALID_ARGUMENT, "bad_frame",
                                     "frame length %d is outside 1..%d" % (DEFAULT_MAX_FRAME + 1, DEFAULT_MAX_FRAME))

    def test_frame_length_max_is_accepted(self):
        # a Request of exactly max_frame_bytes (a whoami padded with an idempotency key) passes the
        # frame layer; any request but ImportPlan must also fit max_request_bytes (64 KiB): refused
        # as RESOURCE_EXHAUSTED with the stream in sync, and served where that limit is raised
        base = whoami(77)
        pad = DEFAULT_MAX_FRAME - len(base) - 1 - 3  # tag + 3-byte length
        msg = base + pb_bytes(2, "k" * pad)
        self.assertEqual(len(msg), DEFAULT_MAX_FRAME)
        w = self.wire()
        r = w.call(msg)
        self.assertEqual((r.id, r.code, r.reason), (77, 8, "request_too_large"), r)  # RESOURCE_EXHAUSTED
        self.assertEqual(w.call(whoami(78)).code, OK)
        d = self.extra_daemon({"PLANREGD_MAX_REQUEST_BYTES": str(DEFAULT_MAX_FRAME)})
        r = self.wire(daemon=d).call(msg)
        self.assertEqual((r.id, r.code, r.body_field), (77, OK, WHOAMI))

    def test_frame_in_pieces(self):
        # one request trickled a byte at a time (well within frame_timeout_ms), then two at once
        w = self.wire()
        data = frame(whoami(41))
        for i in range(len(data)):
            w.send_raw(data[i:i + 1])
            time.sleep(0.01)
        r = w.read_response()
        self.assertEqual((r.id, r.code, r.body_field), (41, OK, WHOAMI))
        two = frame(whoami(42)) + frame(get_project(43, 7))
        w.send_raw(two[:5])
        time.sleep(0.1)
        w.send_raw(two[5:])
        got = {r.id: r for r in (w.read_response(), w.read_response())}
        self.assertEqual(sorted(got), [42, 43])
        self.assertEqual(got[43].body_field, GET_PROJECT)

    def test_small_max_frame_bytes(self):
        d = self.extra_daemon({"PLANREGD_MAX_FRAME_BYTES": "4096"})
        w = self.wire(daemon=d)
        # an answer that would not fit one frame is refused, and the connection carries on
        r = w.call(request(51, LIST_PROJECTS, pb_varint(7, 1000)))
        self.assertEqual((r.id, r.code, r.reason), (51, 8, "response_too_large"), r)  # RESOURCE_EXHAUSTED
        self.assertIn("4096", r.message)
        r = w.call(get_project(52, 3))
        self.assertEqual((r.id, r.code, r.body_field), (52, OK, GET_PROJECT))
        w.send_raw(struct.pack(">I", 4097))
        self.assert_connection_error(w, INVALID_ARGUMENT, "bad_frame", "frame length 4097 is outside 1..4096")

    def test_garbage_frame(self):
        w = self.wire()
        w.send_raw(frame(b"\xff" * 10))
        self.assert_connection_error(w, INVALID_ARGUMENT, "bad_message", "not a valid planreg.v1.Request")

    def test_unknown_request_kind_keeps_connection(self):
        w = self.wire()
        r = w.call(request(31, 99, b""))  # field 99: a body this server does not know
        self.assertEqual(r.id, 31)
        self.assertEqual(r.code, INVALID_ARGUMENT, r)
        self.assertEqual(r.reason, "unknown_request")
        self.assertIsNone(r.body_field)
        r = w.call(request(32))  # no body at all
        self.assertEqual((r.id, r.code), (32, INVALID_ARGUMENT), r)
        r = w.call(whoami(33))
        self.assertEqual((r.id, r.code, r.body_field), (33, OK, WHOAMI))

    def test_protocol_error_with_requests_in_flight(self):
        # valid requests, then a bad frame, in one write: the error is reported and the
        # connection closed; the daemon survives the answers that arrive for a closed connection
        w = self.wire()
        w.send_raw(b"".join(frame(get_project(i, i)) for i in range(1, 11)) + struct.pack(">I", 0))
        answers = []
        while True:
            r = w.read_response()
            if r is None:
                break
            answers.append(r)
        errors = [r for r in answers if r.id == 0]
        self.assertEqual(len(errors), 1, answers)
        self.assertEqual((errors[0].code, errors[0].reason), (INVALID_ARGUMENT, "bad_frame"))
        self.assertTrue(all(r.code == OK for r in answers if r.id != 0), answers)
        self.assertEqual(self.wire().call(whoami(1)).code, OK)

    def test_client_vanishing_with_requests_in_flight(self):
        w = self.wire()
        w.send(*[get_project(i, i % 20 + 1) for i in range(1, 31)])
        w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        w.close()
        time.sleep(0.3)
        r = self.wire().call(whoami(2))
        self.assertEqual((r.id, r.code), (2, OK))
        self.assertIsNone(self.daemon.proc.poll())

    def test_close_without_close_notify_is_an_ordinary_disconnect(self):
        # (docs/hacking.md, traps) OpenSSL 3 reports a peer closing without close_notify as an error; the
        # daemon must treat it as an ordinary disconnect (log reason "client disconnected")
        mark = self.daemon.log_mark()
        w = self.wire()
        r = w.call(whoami(61))
        self.assertEqual(r.code, OK)
        peer = "peer=127.0.0.1:%d " % w.sock.getsockname()[1]
        w.sock.shutdown(socket.SHUT_RDWR)  # TCP FIN, no TLS close_notify
        w.close()
        line = self.daemon.wait_log(r"(?m)^.*event=conn_close .*%s.*$" % re.escape(peer), 5, since=mark).group(0)
        self.assertIn('reason="client disconnected"', line)

    def test_idle_connection_is_closed(self):
        d = self.extra_daemon({"PLANREGD_IDLE_TIMEOUT_MS": "1000"})
        w = self.wire(daemon=d)
        self.assertEqual(w.call(whoami(1)).code, OK)
        t0 = time.time()
        self.assertTrue(w.closed_within(5), "an idle connection stayed open")
        took = time.time() - t0
        self.assertGreater(took, 0.7)
        self.assertLess(took, 3.0)
        d.wait_log(r"event=conn_close .*reason=\"idle timeout\"", 3)
        # a connection waiting for its answer is busy, not idle
        locker = self.take_import_lock()
        importer = None
        try:
            importer = self.start_blocked_import(d)
            time.sleep(2.2)
            self.assertIsNone(importer.poll(), "the import ended while the lock was held")
        finally:
            locker.communicate(timeout=30)
            if importer is not None:
                out, err = importer.communicate(timeout=60)
        self.assertEqual(importer.returncode, 0, "a connection with a request in flight was closed as idle: "
                         + out + err)
        self.assertTrue(out.rstrip().endswith("changes)"), out)

    # 5
    def test_slow_frame_is_cut_off(self):
        mark = self.daemon.log_mark()
        w = self.wire()
        self.assertEqual(w.call(whoami(1)).code, OK)
        w.send_raw(b"\x00\x00")  # half a header, then nothing
        t0 = time.time()
        self.assertTrue(w.closed_within(5), "the server waited for the rest of the frame forever")
        took = time.time() - t0
        self.assertLess(took, 3.0)
        self.assertGreater(took, 0.5, "closed before frame_timeout_ms (800) passed")
        self.daemon.wait_log(r"event=conn_close .*reason=\"frame not completed in time\"", 3, since=mark)

    def test_trickled_frame_body_is_cut_off(self):
        # the frame deadline is absolute: a byte every 200 ms does not keep a frame alive
        w = self.wire()
        w.send_raw(struct.pack(">I", 100) + b"\x08")  # header promises 100 bytes
        t0 = time.time()
        closed = False
        while not closed and time.time() - t0 < 5:
            try:
                w.send_raw(b"\x01")
            except (OSError, ssl.SSLError):
                closed = True
                break
            closed = w.closed_within(0.2)
        self.assertTrue(closed, "a trickling client kept its frame open")
        self.assertLess(time.time() - t0, 3.0)

    # 6
    def test_handshake_deadline(self):
        mark = self.daemon.log_mark()
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5)
        try:
            t0 = time.time()
            try:
                data = s.recv(1)
            except ConnectionResetError:
                data = b""
            took = time.time() - t0
        finally:
            s.close()
        self.assertEqual(data, b"")
        self.assertLess(took, 3.0)
        self.daemon.wait_log(r"TLS handshake deadline", 3, since=mark)

    # 7
    def assert_refused_at_tls(self, ctx, expect=None):
        """The handshake, or the first read after it, fails with an SSLError; nothing is answered."""
        try:
            w = self.wire(ctx=ctx)
        except ssl.SSLError as e:
            if expect:
                self.assertRegex(str(e), expect)
            return e
        try:
            w.send(whoami(5))
        except (ssl.SSLError, OSError):
            pass
        try:
            r = w.read_response()
        except ssl.SSLError as e:
            if expect:
                self.assertRegex(str(e), expect)
            return e
        self.fail("no TLS error; the server answered %r" % (r,))

    def test_tls_without_client_certificate(self):
        """A connection without a certificate is one joining with an invitation (docs/onboarding.md): it
        may ask for the server's CA and redeem an invitation, and everything else is UNAUTHENTICATED."""
        w = self.wire(ctx=tls_context(self.pki, cred=None))
        r = w.call(whoami(5))
        self.assertEqual((r.id, r.code, r.reason), (5, UNAUTHENTICATED, "certificate_required"), r)
        self.assertIn("join with an invitation code", r.message)

    def test_tls_certificate_from_another_ca(self):
        other = harness.Pki(os.path.join(self.service.tmp, "other-pki"))
        other.issue("admin", "CA", "Admin User", "admin")  # same subject, wrong issuer
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.pki.ca)  # we still trust the real server
        ctx.load_cert_chain(other.cert("admin"), other.key("admin"))
        ctx.set_alpn_protocols(["planreg/1"])
        self.assert_refused_at_tls(ctx, "(?i)unknown.ca|certificate")

    def test_tls_without_alpn(self):
        try:
            w = self.wire(ctx=tls_context(self.pki, alpn=None))
        except ssl.SSLError:
            return  # refusing at the handshake is also acceptable
        r = w.read_response()
        self.assertIsNotNone(r, "closed without a reason")
        self.assertEqual((r.id, r.code, r.reason), (0, UNAUTHENTICATED, "alpn_required"), r)
        self.assertIn("planreg/1", r.message)
        self.assertTrue(w.closed_within(3))
        try:
            w.send(whoami(6))
        except (ssl.SSLError, OSError):
            pass
        try:
            later = w.read_response()
        except ssl.SSLError:
            later = None
        self.assertIsNone(later, "a request was answered on a connection without ALPN")

    def test_tls_wrong_alpn(self):
        self.assert_refused_at_tls(tls_context(self.pki, alpn=("h2",)), "(?i)application.protocol|alpn")

    def test_tls_1_1_refused_and_1_2_accepted(self):
        ctx = tls_context(self.pki)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that our side really offers TLS 1.1
        except ssl.SSLError:
            pass
        with self.assertRaises(ssl.SSLError):
            w = self.wire(ctx=ctx)
            w.call(whoami(7))

        ctx = tls_context(self.pki)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        w = self.wire(ctx=ctx)
        self.assertEqual(w.sock.version(), "TLSv1.2")
        self.assertEqual(w.sock.selected_alpn_protocol(), "planreg/1")
        r = w.call(whoami(8))
        self.assertEqual((r.id, r.code, r.body_field), (8, OK, WHOAMI))
        self.assertEqual(r.principal()["credential"], "admin")

    def test_tls_1_3_is_preferred(self):
        w = self.wire()
        self.assertEqual(w.sock.version(), "TLSv1.3")

    # 8
    def test_certificate_not_enrolled(self):
        mark = self.daemon.log_mark()
        self.service.issue("stranger", "CA", "Not Enrolled", "viewer")
        w = self.wire("stranger")
        w.send(whoami(9))
        r = w.read_response()
        self.assertIsNotNone(r, "closed without a reason")
        self.assertEqual((r.id, r.code, r.reason), (0, UNAUTHENTICATED, "certificate_not_enrolled"), r)
        self.assertIn(self.service.fingerprints["stranger"], r.message)
        self.assertTrue(w.closed_within(3))
        self.assertEqual(w.buf, b"", "request 9 was answered on an unauthenticated connection")
        self.daemon.wait_log(r"event=conn_close .*reason=\"certificate_not_enrolled\"", 3, since=mark)

    # 9
    def test_revocation_applies_to_the_next_request_on_the_same_connection(self):
        self.service.enrol("viewer-rev", "CA", "Revoked Viewer", "viewer")
        w = self.wire("viewer-rev")
        r = w.call(whoami(1))
        self.assertEqual(r.code, OK, r)
        self.assertEqual(r.principal()["credential"], "viewer-rev")
        self.assertEqual(r.principal()["role"], 2)  # ROLE_VIEWER
        rc = self.service.cli("admin", "cred", "revoke", "viewer-rev")
        self.assertEqual(rc.returncode, 0, rc.stdout + rc.stderr)
        r = w.call(whoami(2))
        self.assertEqual((r.id, r.code, r.reason), (2, UNAUTHENTICATED, "credential_revoked"), r)
        self.assertIsNone(r.body_field)
        self.assertTrue(w.closed_within(3), "a revoked credential's connection stayed open")
        # and a new connection with it is refused at once
        w2 = self.wire("viewer-rev")
        w2.send(whoami(3))
        r = w2.read_response()
        self.assertIsNotNone(r)
        self.assertEqual((r.id, r.code, r.reason), (0, UNAUTHENTICATED, "credential_revoked"), r)

    # 11
    def test_http_healthz_metrics_and_404(self):
        w = self.wire()
        for i in range(3):
            self.assertEqual(w.call(whoami(i + 1)).code, OK)
        status, body = http_get(self.daemon.http_port, "/healthz")
        self.assertEqual((status, body.strip()), (200, "ok"))
        status, body = http_get(self.daemon.http_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(metric(body, "planregd_requests_total") or 0, 3, body)
        up = metric(body, "planregd_db_connections_up")
        self.assertIsNotNone(up, body)
        self.assertGreaterEqual(up, 1)
        self.assertIsNotNone(metric(body, "planregd_connections_open"), body)
        self.assertRegex(body, r'planregd_responses_total\{code="OK"\} \d+')
        self.assertIn("# TYPE planregd_requests_total counter", body)
        status, _ = http_get(self.daemon.http_port, "/nope")
        self.assertEqual(status, 404)

    # 12
    def test_sigterm_drains_in_flight_requests(self):
        d = self.extra_daemon({"PLANREGD_DRAIN_TIMEOUT_MS": "20000"})
        locker = self.take_import_lock()
        importer = None
        new_conn_problem = None
        try:
            importer = self.start_blocked_import(d)
            d.signal(signal.SIGTERM)
            d.wait_log(r"event=draining", 5)
            time.sleep(0.5)
            self.assertIsNone(d.proc.poll(), "planregd exited with a request in flight")
            self.assertIsNone(importer.poll(), "the import finished while the lock was held")
            status, body = http_get(d.http_port, "/healthz")
            self.assertEqual((status, body.strip()), (503, "shutting down"))
            # a new connection is refused at once: not served, and not left hanging until the drain ends
            t0 = time.time()
            try:
                w = self.wire(daemon=d, timeout=3)
                w.send(whoami(1))
                answered = w.read_response()
                self.assertIsNone(answered, "a connection made while draining was served: %r" % (answered,))
            except socket.timeout:
                new_conn_problem = ("a connection made while draining hung for %.1fs instead of being refused "
                                    "(the listening socket stays open, so the kernel still completes TCP "
                                    "handshakes into the backlog)" % (time.time() - t0))
            except (OSError, ssl.SSLError):
                pass
        finally:
            locker.communicate(timeout=30)  # closing its input ends the session: the lock is released
            if importer is not None:
                out, err = importer.communicate(timeout=60)
        self.assertEqual(importer.returncode, 0, out + err)
        self.assertTrue(out.rstrip().endswith("changes)"), out)
        d.proc.wait(30)
        self.extra_daemons.remove(d)
        text = d.stop()  # exit code 0 and sanitizer-clean
        self.assertIn("event=drained", text)
        self.assertRegex(text, r"event=request .*method=ImportPlan cred=admin code=OK")
        self.assertNotIn("event=drain_timeout", text)
        self.assertIsNone(new_conn_problem)

    def take_import_lock(self):
        """A psql session holding the lock planreg_import_plan waits for; communicate() releases it."""
        locker = subprocess.Popen(["psql", "-X", "-q", "-At", "-d", self.service.db], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            locker.stdin.write("SELECT pg_advisory_lock(%s);\n" % IMPORT_LOCK_KEY)
            locker.stdin.flush()
            self.poll_sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", "1",
                          "the psql session never took the import lock")
        except BaseException:
            locker.communicate(timeout=30)
            raise
        return locker

    def start_blocked_import(self, d):
        """`planreg plan import` against daemon d, once the server waits for the import lock."""
        env = self.service.process_env("admin", port=d.port)
        importer = subprocess.Popen([harness.PLANREG, "plan", "import", harness.PLAN_FILE], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.poll_sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'planregd' "
                          "AND wait_event_type = 'Lock' AND wait_event = 'advisory'", "1",
                          "the import never reached the server's lock wait")
        except BaseException:
            importer.kill()
            importer.communicate()
            raise
        return importer

    def poll_sql(self, sql, want, what, timeout=15):
        deadline = time.time() + timeout
        got = None
        while time.time() < deadline:
            got = self.service.sql(sql)
            if got == want:
                return
            time.sleep(0.05)
        self.fail("%s (%s gave %r)" % (what, sql, got))

    # 13
    def test_sighup_reloads_certificates(self):
        pki = self.pki
        second = os.path.join(self.service.tmp, "pki-second")
        os.makedirs(second)
        for f in ("ca.crt", "ca.key"):
            shutil.copy(os.path.join(pki.dir, f), second)
        r = harness.run(["bash", harness.PKI, "server", second, "localhost"])
        self.assertEqual(r.returncode, 0, r.stderr)
        conf = os.path.join(self.service.tmp, "reload.conf")

        def write_conf(cert, key):
            with open(conf + ".tmp", "w") as f:
                f.write("# written by test_protocol\ntls_cert = %s\ntls_key = %s\ntls_ca = %s\n"
                        "frame_timeout_ms = 5000\n" % (cert, key, pki.ca))
            os.replace(conf + ".tmp", conf)

        write_conf(os.path.join(pki.dir, "server.crt"), os.path.join(pki.dir, "server.key"))
        d = ConfigDaemon(self.service.db, conf, self.service.tmp)
        self.extra_daemons.append(d)

        def der(path):
            with open(path) as f:
                return ssl.PEM_cert_to_DER_cert(f.read())

        def peer_and_whoami(req_id):
            w = self.wire(daemon=d)
            cert = w.sock.getpeercert(binary_form=True)
            r = w.call(whoami(req_id))
            self.assertEqual((r.id, r.code), (req_id, OK), r)
            return cert, w

        first_cert, old_wire = peer_and_whoami(1)
        self.assertEqual(first_cert, der(os.path.join(pki.dir, "server.crt")))

        mark = d.log_mark()
        write_conf(os.path.join(second, "server.crt"), os.path.join(second, "server.key"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"event=reloaded ", 5, since=mark)
        self.assertIn(os.path.join(second, "server.crt"), d.log_since(mark))
        new_cert, _ = peer_and_whoami(2)
        self.assertNotEqual(new_cert, first_cert, "SIGHUP did not change the certificate served")
        self.assertEqual(new_cert, der(os.path.join(second, "server.crt")))
        # a connection made before the reload carries on
        r = old_wire.call(whoami(3))
        self.assertEqual((r.id, r.code), (3, OK))

        mark = d.log_mark()
        write_conf(os.path.join(self.service.tmp, "missing.crt"), os.path.join(self.service.tmp, "missing.key"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"event=reload_failed ", 5, since=mark)
        self.assertIn("missing.crt", d.log_since(mark))
        self.assertIsNone(d.proc.poll(), "a failed reload stopped the daemon")
        kept_cert, _ = peer_and_whoami(4)
        self.assertEqual(kept_cert, new_cert, "a failed reload must keep the previous certificate")


class ConfigDaemon(harness.Daemon):
    """A planregd whose TLS files come only from a --config file (so that SIGHUP re-reads them)."""

    def __init__(self, db, config_file, workdir):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANREGD_")}
        env.update(harness.daemon_env(harness.dsn(db, harness.APP_ROLE)))
        self.spawn([harness.PLANREGD, "--config", config_file], env, workdir)


# ---------------------------------------------------------------- 10: the database goes away

class DatabaseAwayTest(unittest.TestCase):
    """A private PostgreSQL cluster of its own, stopped and started under a running daemon.
    The daemon reaches it over TCP by the name "localhost", so its connections go
    through the pool's non-blocking name lookup."""

    @classmethod
    def setUpClass(cls):
        harness.require_cluster()
        cls.tmp = harness.tempdir("planreg-protocol-db-", 0o755)  # the postgres user must reach the cluster
        cls.cluster = None
        try:
            cls.cluster = PgCluster(os.path.join(cls.tmp, "pg"), tcp=True, fast=False)
            cls.port = cls.cluster.port
            cls.db = "planreg_away"
            cls.cluster.psql("CREATE DATABASE %s" % cls.db)
            owner = {"PLANREGD_DB_DSN": cls.cluster.dsn(cls.db, "postgres")}
            r = harness.run([harness.PLANREGD, "migrate"], env=owner)
            if r.returncode != 0:
                raise AssertionError("planregd migrate failed: %s%s" % (r.stdout, r.stderr))
            cls.cluster.psql("CREATE ROLE %s LOGIN; GRANT planreg_app TO %s" % (harness.APP_ROLE, harness.APP_ROLE),
                             cls.db)
            cls.pki = harness.Pki(os.path.join(cls.tmp, "pki"))
            fp = cls.pki.issue("admin", "CA", "Admin User", "admin")
            r = harness.run([harness.PLANREGD, "enrol", "admin", "CA", "admin", fp, "Admin User"], env=owner)
            if r.returncode != 0:
                raise AssertionError("planregd enrol failed: %s%s" % (r.stdout, r.stderr))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.cluster:
            cls.cluster.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.daemon = harness.Daemon(self.db, self.pki, self.tmp, {
            "PLANREGD_DB_DSN": self.cluster.dsn(self.db, harness.APP_ROLE, host="localhost"),
            "PLANREGD_DB_RECONNECT_MAX_MS": "1000",
            "PLANREGD_DB_CONNECT_TIMEOUT_MS": "2000",
        })
        self.addCleanup(self.daemon.stop)
        # started again even when the test fails, so that the daemon stops with a database under it
        self.addCleanup(self.cluster.start)

    def cli(self, *args, timeout=30):
        return harness.planreg(args, {
            "PLANREG_SERVER": "localhost:%d" % self.daemon.port,
            "PLANREG_CA": self.pki.ca,
            "PLANREG_CERT": self.pki.cert("admin"),
            "PLANREG_KEY": self.pki.key("admin"),
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "xdg"),
            "NO_COLOR": "1",
        }, timeout=timeout)

    def test_requests_fail_fast_while_the_database_is_away_and_recover(self):
        w = Wire(self.daemon.port, tls_context(self.pki))
        self.addCleanup(w.close)
        r = w.call(whoami(1))
        self.assertEqual((r.id, r.code), (1, OK), r)
        self.assertEqual(http_get(self.daemon.http_port, "/healthz")[0], 200)
        # the name was looked up by the event loop's resolver, not by libpq (which would block)
        self.assertIn("event=db_resolver host=localhost resolver=evdns", self.daemon.read_log())
        self.assertRegex(self.daemon.read_log(), r"event=db_resolved conn=\d+ host=localhost addr=(127\.0\.0\.1|::1)")

        mark = self.daemon.log_mark()
        self.cluster.pg("stop")
        self.daemon.wait_log(r"event=db_(disconnected|connect_failed)", 10, since=mark)

        t0 = time.time()
        r = self.cli("whoami", timeout=30)
        took = time.time() - t0
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("unavailable", r.stderr)
        self.assertLess(took, 3.0, "a request took %.1fs to fail with the database away" % took)

        # on an open connection too: UNAVAILABLE for the request, fast
        t0 = time.time()
        r = w.call(whoami(2))
        self.assertLess(time.time() - t0, 3.0)
        self.assertEqual((r.id, r.code), (2, UNAVAILABLE), r)

        status, body = http_get(self.daemon.http_port, "/healthz")
        self.assertEqual((status, body.strip()), (503, "database unavailable"))
        status, body = http_get(self.daemon.http_port, "/metrics")
        self.assertEqual(metric(body, "planregd_db_connections_up"), 0, body)

        self.cluster.start()
        deadline = time.time() + 15
        last = None
        while time.time() < deadline:
            last = self.cli("whoami")
            if last.returncode == 0:
                break
            time.sleep(0.2)
        self.assertEqual(last.returncode, 0, "the pool did not reconnect: %s%s" % (last.stdout, last.stderr))
        self.assertIn("admin", last.stdout)
        status, body = http_get(self.daemon.http_port, "/healthz")
        self.assertEqual((status, body.strip()), (200, "ok"))
        self.assertRegex(self.daemon.log_since(mark), r"event=db_connected")


if __name__ == "__main__":
    harness.main()
