"""planregd against hostile clients (docs/protocol.md: limits and deadlines): decode
bombs, frames too large for their kind, strings that protobuf-c would cut at a NUL,
invalid UTF-8, text that would break the daemon's log, a TLS record trickled a few
bytes a second, clients that never read their answers, a close that a client tries
to hold open, a flood of silent TCP sockets and the per-address limit.

Each test fails when the defence it names is taken out. Everything runs on
loopback, every loop is bounded in count and time, and the daemons are stopped
with the harness's sanitizer check (the suite also runs under the ASan build).
"""

import os
import re
import resource
import select
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import metric  # noqa: E402
from wire import (GET_PROJECT, IMPORT_PLAN, INVALID_ARGUMENT, LIST_PROJECTS, OK, WHOAMI, Response,  # noqa: E402
                  close_all, first, frame, get_project, pb_bytes, pb_decode, pb_varint, request, tls_context, whoami)

PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
SUBMIT_UPDATE = 30
MAX_FRAME = 1048576
MAX_REQUEST = 65536
DECODE_BUDGET = 16777216
MIB = 1024 * 1024


# ---------------------------------------------------------------- helpers

def proc_status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def import_bomb(req_id, size=MAX_FRAME):
    """A Request{import_plan: {projects: [{}, {}, ...]}} of about size bytes: 2 bytes per empty Project."""
    n = (size - 16) // 2
    body = b"\x2a\x00" * n  # field 5 (projects), length 0
    msg = request(req_id, IMPORT_PLAN, body)
    assert len(msg) <= size, len(msg)
    return msg


def submit_update(req_id, key, narrative, ref=1, period="2022-Q3"):
    """SubmitUpdate{content{ref, period, confidence green, stage live, narrative}}; key and narrative as bytes."""
    content = pb_varint(1, ref) + pb_bytes(2, period) + pb_varint(3, 1) + pb_varint(4, 4) + pb_bytes(5, narrative)
    return request(req_id, SUBMIT_UPDATE, pb_bytes(1, content), idempotency_key=key)


def violations(resp):
    """Status.violations as [(field, description)], decoded strictly as UTF-8."""
    status = pb_decode(first(pb_decode(resp.raw), 2, b""))
    out = []
    for v in status.get(3, []):
        f = pb_decode(v)
        out.append((first(f, 1, b"").decode(), first(f, 2, b"").decode()))
    return out


class RawTls:
    """TLS spoken through memory BIOs over a plain socket, so that the test decides when each
    encrypted byte leaves: a record can be sent a few bytes at a time, or not read at all."""

    def __init__(self, port, ctx, rcvbuf=None, timeout=5.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")
        self.plain = bytearray()
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("the server closed during the handshake")
                self.incoming.write(data)
        self._flush()

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def seal(self, plaintext):
        """The TLS records carrying plaintext, not sent."""
        self.tls.write(plaintext)
        return self.outgoing.read()

    def send(self, *msgs):
        self.sock.sendall(self.seal(b"".join(frame(m) for m in msgs)))

    def closed(self, wait):
        """True when the server has ended the connection (close_notify, FIN or reset) within wait seconds."""
        end = time.time() + wait
        while True:
            left = end - time.time()
            ready, _, _ = select.select([self.sock], [], [], max(0.0, left))
            if not ready:
                return False
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not data:
                return True
            self.incoming.write(data)
            try:
                while True:
                    chunk = self.tls.read(65536)
                    if not chunk:
                        return True
                    self.plain += chunk
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLError):
                return True
            if time.time() >= end:
                return False

    def responses(self):
        """The whole Responses read so far."""
        out, buf = [], bytes(self.plain)
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            out.append(Response(buf[4:4 + n]))
            buf = buf[4 + n:]
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, want)) if hard != resource.RLIM_INFINITY else max(soft, want)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def silent_sockets(port, count, sources, timeout=3.0):
    """Opens count TCP connections that never send a byte, spread over the source addresses."""
    socks, failed = [], 0
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.bind((sources[i % len(sources)], 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    return socks, failed


# ---------------------------------------------------------------- the tests

class HostileTest(harness.WireTest):
    """One service (database, PKI, the plan, an admin and a viewer) with short deadlines."""

    @classmethod
    def setUpClass(cls):
        raise_fd_limit(4096)
        cls.service = harness.Service("hostile", daemon_env={
            "PLANREGD_FRAME_TIMEOUT_MS": "1000",
            "PLANREGD_WRITE_TIMEOUT_MS": "1000",
            "PLANREGD_CLOSING_TIMEOUT_MS": "1000",
        }, people=("viewer",))
        cls.daemon = cls.service.daemon
        cls.pki = cls.service.pki

    def raw(self, cred="admin", **kw):
        return self.track(RawTls(self.daemon.port, tls_context(self.pki, cred), **kw))

    def assert_usable(self, w, req_id=900):
        r = w.call(whoami(req_id))
        self.assertEqual((r.id, r.code, r.body_field), (req_id, OK, WHOAMI), r)

    def refused(self, reason, daemon=None):
        return metric((daemon or self.daemon).metrics(), "planregd_requests_refused_total", reason=reason)

    # ------------------------------------------------ 1: decode amplification

    def test_viewer_import_bomb_is_refused_before_decoding(self):
        pid = self.daemon.proc.pid
        before = self.refused("role_not_allowed")
        hwm0 = proc_status_kib(pid, "VmHWM")
        w = self.wire("viewer")
        t0 = time.time()
        r = w.call(import_bomb(71))
        self.assertEqual((r.id, r.code, r.reason), (71, PERMISSION_DENIED, "role_not_allowed"), r)
        self.assertIn("importing a plan needs the role admin", r.message)
        self.assertIn("credential viewer has role viewer", r.message)
        self.assertLess(time.time() - t0, 10)
        self.assert_usable(w)
        # refused by the check before decoding (the one after decoding does not count here)
        self.assertEqual(self.refused("role_not_allowed"), before + 1)
        grew = (proc_status_kib(pid, "VmHWM") - hwm0) / 1024.0
        self.assertLess(grew, 64, "the daemon's peak RSS grew by %.0f MiB for a refused request" % grew)

    def test_admin_import_bomb_hits_the_decode_budget(self):
        pid = self.daemon.proc.pid
        before = self.refused("decode_budget_bytes")
        rss0, hwm0 = proc_status_kib(pid, "VmRSS"), proc_status_kib(pid, "VmHWM")
        w = self.wire("admin")
        r = w.call(import_bomb(72))
        self.assertEqual((r.id, r.code, r.reason), (72, RESOURCE_EXHAUSTED, "request_too_large"), r)
        self.assertIn("decode_budget_bytes (%d)" % DECODE_BUDGET, r.message)
        self.assert_usable(w)  # the stream is in sync: the connection carries on
        self.assertEqual(self.refused("decode_budget_bytes"), before + 1)
        rss_grew = (proc_status_kib(pid, "VmRSS") - rss0) / 1024.0
        hwm_grew = (proc_status_kib(pid, "VmHWM") - hwm0) / 1024.0
        self.assertLess(rss_grew, 64, "RSS grew by %.0f MiB" % rss_grew)
        self.assertLess(hwm_grew, 64, "peak RSS grew by %.0f MiB while decoding a 1 MiB frame" % hwm_grew)
        # a real import (the plan, ~100 KiB) still fits the budget
        r = self.service.cli("admin", "plan", "import", harness.PLAN_FILE)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_the_decode_budget_bounds_a_connection(self):
        """decode_budget_bytes bounds what one connection's requests in flight hold decoded together,
        not only each request: a small bomb that fits alone is refused while others like it, sent in
        the same packet (so decoded before any is answered), are in flight."""
        d = self.extra_daemon({"PLANREGD_DECODE_BUDGET_BYTES": "65536"})
        w = self.wire("admin", daemon=d)
        bomb = 400  # bytes on the wire (about 200 empty projects): alone it decodes under the budget
        r = w.call(import_bomb(80, bomb))
        self.assertNotEqual(r.reason, "request_too_large", r)  # refused for its content, not its size
        w.send(*[import_bomb(81 + i, bomb) for i in range(16)])
        answers = [w.read_response() for _ in range(16)]
        held = [a for a in answers if a.reason == "request_too_large"]
        self.assertTrue(held, [(a.id, a.code, a.reason) for a in answers])
        self.assertLess(len(held), 16, "some fit together")
        for a in held:
            self.assertEqual(a.code, RESOURCE_EXHAUSTED)
            self.assertIn("in flight on this connection need more than decode_budget_bytes", a.message)
        self.assert_usable(w)

    def test_request_kind_caps_the_frame(self):
        before = self.refused("max_request_bytes")
        w = self.wire("viewer")
        pad = "k" * (100 * 1024)
        r = w.call(request(73, GET_PROJECT, pb_varint(1, 3), idempotency_key=pad))
        self.assertEqual((r.id, r.code, r.reason), (73, RESOURCE_EXHAUSTED, "request_too_large"), r)
        self.assertIn("showing a project", r.message)
        self.assertIn("max_request_bytes (%d)" % MAX_REQUEST, r.message)
        self.assertEqual(self.refused("max_request_bytes"), before + 1)
        # the stream is in sync: the next request on the same connection is answered
        r = w.call(get_project(74, 3))
        self.assertEqual((r.id, r.code, r.body_field), (74, OK, GET_PROJECT), r)
        # just under the cap is fine
        r = w.call(request(75, GET_PROJECT, pb_varint(1, 3), idempotency_key="k" * (MAX_REQUEST - 64)))
        self.assertEqual((r.id, r.code, r.body_field), (75, OK, GET_PROJECT), r)
        # a pipelined mix: the oversized one is refused, the others answered, in any order
        w.send(get_project(76, 4), request(77, WHOAMI, b"", idempotency_key=pad), whoami(78))
        got = {r.id: r for r in (w.read_response(), w.read_response(), w.read_response())}
        self.assertEqual(sorted(got), [76, 77, 78])
        self.assertEqual((got[76].code, got[77].code, got[78].code), (OK, RESOURCE_EXHAUSTED, OK))

    # ------------------------------------------------ 5: strings protobuf-c would cut short

    def assert_invalid_string(self, r, req_id, path, what):
        self.assertEqual((r.id, r.code, r.reason), (req_id, INVALID_ARGUMENT, "invalid_string"), r)
        self.assertIn(path, r.message)
        self.assertIn(what, r.message)
        self.assertEqual([v[0] for v in violations(r)], [path])

    def test_nul_in_narrative_is_refused_with_the_field(self):
        before = self.refused("invalid_string")
        w = self.wire("admin")
        key = "hostile-" + uuid.uuid4().hex
        r = w.call(submit_update(81, key, b"before\0after"))
        self.assert_invalid_string(r, 81, "submit_update.content.narrative", "a NUL byte at byte 6")
        self.assertEqual(self.refused("invalid_string"), before + 1)
        stored = self.service.sql("SELECT count(*) FROM progress_update WHERE narrative LIKE 'before%'")
        self.assertEqual(stored, "0", "a narrative cut at its NUL was stored")
        self.assert_usable(w)

    def test_c1_controls_are_refused_like_c0(self):
        """U+009B (CSI) and U+0085 (NEL) are terminal controls in many terminals: refused in text."""
        w = self.wire("admin")
        for i, text in enumerate(("clear \u009b2J here", "next \u0085 line")):
            r = w.call(submit_update(88 + i, "hostile-" + uuid.uuid4().hex, text.encode()))
            self.assertEqual((r.id, r.code), (88 + i, INVALID_ARGUMENT), r)
            self.assertIn("contains a control character", r.message)
        self.assert_usable(w)

    def test_nul_in_idempotency_key_is_refused(self):
        w = self.wire("admin")
        prefix = "hostile-" + uuid.uuid4().hex
        for i, tail in enumerate((b"\0first", b"\0second")):
            r = w.call(submit_update(82 + i, prefix.encode() + tail, b"A fine narrative."))
            self.assert_invalid_string(r, 82 + i, "idempotency_key", "a NUL byte")
        self.assert_usable(w)

    def test_invalid_utf8_is_refused(self):
        w = self.wire("admin")
        r = w.call(submit_update(85, "hostile-" + uuid.uuid4().hex, b"caf\xe9 latin-1"))
        self.assert_invalid_string(r, 85, "submit_update.content.narrative", "invalid UTF-8 at byte 3")
        # in a filter of a read request too, and in a repeated field's element
        r = w.call(request(86, LIST_PROJECTS, pb_bytes(6, b"ok\xc3")))
        self.assert_invalid_string(r, 86, "list_projects.text", "invalid UTF-8")
        # well-formed UTF-8 beyond ASCII passes the check and reaches the handler
        r = w.call(request(87, LIST_PROJECTS, pb_bytes(6, "caf\u00e9 \u2013 \U0001F680")))
        self.assertEqual((r.id, r.code), (87, OK), r)
        self.assert_usable(w)

    def test_status_message_is_always_utf8(self):
        # the violation echoes lead_org and is cut at 1 KiB inside a two-byte character
        w = self.wire("viewer")
        r = w.call(request(91, LIST_PROJECTS, pb_bytes(3, "x" + "\u00e9" * 600)))
        self.assertEqual((r.id, r.code, r.reason), (91, INVALID_ARGUMENT, "invalid_filter"), r)
        self.assertIn("lead org", r.message)  # Response() decoded it strictly as UTF-8
        self.assertTrue(r.message.endswith("\ufffd"), r.message[-20:])
        for field, description in violations(r):  # strictly decoded as well
            self.assertEqual(field, "lead_org")
        self.assert_usable(w)

    def test_log_escapes_control_characters(self):
        mark = self.daemon.log_mark()
        w = self.wire("viewer")
        forged = "X\x1b[31mRED\r\nts=2020-01-01T00:00:00.000Z level=error event=forged\x07"
        r = w.call(request(92, LIST_PROJECTS, pb_bytes(3, forged)))
        self.assertEqual((r.id, r.code), (92, INVALID_ARGUMENT), r)
        line = self.daemon.wait_log(r"event=request conn=\d+ id=92 .*", since=mark).group(0)
        self.assertIn("\\x1b[31mRED\\r\\nts=2020", line)
        log = self.daemon.read_log()[mark:]
        self.assertNotIn("\x1b", log)
        self.assertNotIn("\x07", log)
        self.assertIsNone(re.search(r"^ts=2020", log, re.M), "a client forged a log line")

    # ------------------------------------------------ 2: slow clients and write stalls

    def test_trickled_tls_record_is_cut_off_by_frame_timeout(self):
        mark = self.daemon.log_mark()
        before = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="frame")
        t = self.raw("admin")
        # one whole frame in one TLS record of ~3 KiB, sent 3 bytes every 0.2 s: the daemon
        # sees no byte of it until the record is whole, which would take minutes
        record = t.seal(frame(request(93, WHOAMI, b"", idempotency_key="p" * 3000)))
        self.assertGreater(len(record), 3000)
        t0 = time.time()
        closed = False
        for i in range(0, len(record), 3):
            if time.time() - t0 > 6:
                break
            try:
                t.sock.sendall(record[i:i + 3])
            except OSError:
                closed = True
                break
            if t.closed(0.2):
                closed = True
                break
        took = time.time() - t0
        self.assertTrue(closed, "a TLS record trickled 3 bytes at a time kept the connection open for %.1fs" % took)
        self.assertGreater(took, 0.7, "closed before frame_timeout_ms (1000)")
        self.assertLess(took, 3.5)
        self.assertEqual(t.responses(), [], "the trickled request was answered")
        self.daemon.wait_log(r"event=conn_close .*reason=\"frame not completed in time\"", 5, since=mark)
        after = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="frame")
        self.assertEqual(after, before + 1)

    def big_answers(self, t, count, first_id):
        """count ListProjects (the whole register each) in one write."""
        t.send(*[request(first_id + i, LIST_PROJECTS, pb_varint(7, 1000)) for i in range(count)])

    def test_client_that_never_reads_is_closed_by_write_timeout(self):
        mark = self.daemon.log_mark()
        before = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="write")
        t = self.raw("admin", rcvbuf=4096)
        t0 = time.time()
        self.big_answers(t, 200, 1000)
        m = self.daemon.wait_log(r"event=conn_close .*reason=\"write timeout[^\"]*\"", 15, since=mark)
        took = time.time() - t0
        self.assertLess(took, 12, "the stalled connection lived %.1fs" % took)
        self.assertIn("requests=", m.group(0))
        after = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="write")
        self.assertGreaterEqual(after, before + 1)
        # it is really gone: what the client finally reads ends in a reset or EOF, within bounds
        self.assertTrue(t.closed(10) or t.closed(10))
        self.assert_usable(self.wire("admin"))

    def test_slow_reader_is_closed_by_write_timeout(self):
        # reading a trickle does not reset the write deadline: only an empty output does
        mark = self.daemon.log_mark()
        t = self.raw("admin", rcvbuf=4096)
        self.big_answers(t, 200, 2000)
        t0 = time.time()
        closed = False
        while time.time() - t0 < 12:
            ready, _, _ = select.select([t.sock], [], [], 0.1)
            if ready:
                try:
                    data = t.sock.recv(512)
                except OSError:
                    closed = True
                    break
                if not data:
                    closed = True
                    break
            if re.search(r"reason=\"write timeout", self.daemon.read_log()[mark:]):
                closed = True
                break
        self.assertTrue(closed, "a client reading 512 bytes every 100 ms kept its stalled output for 12s")
        self.daemon.wait_log(r"event=conn_close .*reason=\"write timeout", 5, since=mark)

    def test_lingering_client_cannot_hold_the_close(self):
        before = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="closing")
        t = self.raw("admin")
        t.sock.sendall(t.seal(struct.pack(">I", 0)))  # a protocol error: the daemon answers and closes
        self.assertTrue(t.closed(3), "no close after a bad frame")
        # now keep talking without reading: a lingering close reads and drops it, but only for
        # closing_timeout_ms (1000) in all
        t0 = time.time()
        gone = False
        while time.time() - t0 < 6:
            try:
                t.sock.sendall(b"\x17\x03\x03\x00\x05hello")
            except OSError:
                gone = True
                break
            time.sleep(0.1)
        took = time.time() - t0
        self.assertTrue(gone, "the daemon kept a closing connection open while the client kept sending")
        self.assertLess(took, 3.5)
        after = metric(self.daemon.metrics(), "planregd_deadlines_passed_total", deadline="closing")
        self.assertEqual(after, before + 1)

    # ------------------------------------------------ 3: unauthenticated flood

    def test_silent_flood_does_not_lock_out_enrolled_clients(self):
        limit = raise_fd_limit(4096)
        count = 1000 if limit >= 1400 else max(300, limit - 200)
        d = self.extra_daemon({"PLANREGD_MAX_HANDSHAKES": "64"})
        sources = ["127.0.0.%d" % i for i in range(2, 22)]  # 50 a source: under max_connections_per_addr
        socks, failed = silent_sockets(d.port, count, sources)
        churn_stop = threading.Event()
        churned = []

        def churn():
            # the flood goes on while the enrolled client connects: a new silent socket every 10 ms
            for i in range(200):
                if churn_stop.is_set():
                    break
                s, _ = silent_sockets(d.port, 1, [sources[i % len(sources)]], timeout=1.0)
                churned.extend(s)
                time.sleep(0.01)

        try:
            time.sleep(0.4)  # the flood's sockets are no longer new
            flooder = threading.Thread(target=churn)
            flooder.start()
            try:
                time.sleep(0.2)
                t0 = time.time()
                w = self.wire(daemon=d)
                r = w.call(whoami(1))
                took = time.time() - t0
            finally:
                churn_stop.set()
                flooder.join(10)
            self.assertEqual((r.id, r.code), (1, OK), r)
            self.assertLess(took, 2.0, "an enrolled client waited %.2fs under a flood of %d silent sockets"
                            % (took, count))
            body = d.metrics()
            unauth = metric(body, "planregd_connections_unauthenticated")
            self.assertIsNotNone(unauth, body)
            self.assertLessEqual(unauth, 64)
            refused = metric(body, "planregd_connections_refused_total", reason="handshakes") or 0
            evicted = metric(body, "planregd_handshakes_evicted_total") or 0
            self.assertGreaterEqual(refused + evicted, count - failed - 64, body)
            self.assertLessEqual(metric(body, "planregd_connections_open"), 64 + 5)
            # and the connection stays usable while the silent sockets sit there
            self.assertEqual(w.call(whoami(2)).code, OK)
        finally:
            close_all(socks)
            close_all(churned)

    def test_unauthenticated_never_take_the_reserve(self):
        # max_handshakes above three quarters of max_connections: the budget is 3/4 of them
        d = self.extra_daemon({"PLANREGD_MAX_CONNECTIONS": "40", "PLANREGD_MAX_HANDSHAKES": "1000"})
        self.assertIn("unauthenticated_limit=30", d.read_log())
        socks, _ = silent_sockets(d.port, 60, ["127.0.0.30", "127.0.0.31"])
        try:
            time.sleep(0.3)
            body = d.metrics()
            self.assertLessEqual(metric(body, "planregd_connections_unauthenticated"), 30, body)
            w = self.wire(daemon=d)
            self.assertEqual(w.call(whoami(1)).code, OK)
        finally:
            close_all(socks)

    # ------------------------------------------------ the HTTP listener (/healthz, /metrics)

    def http_raw(self, port, data, timeout=5):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                out += chunk
        finally:
            s.close()

    def test_http_listener_holds_a_flood_of_idle_connections(self):
        """1,500 idle connections to the HTTP port: the daemon holds at most http_max_connections of
        them (its own share of descriptors), /healthz is still answered, and so is the TLS listener."""
        raise_fd_limit(4096)
        d = self.extra_daemon({"PLANREGD_HTTP_MAX_CONNECTIONS": "8"})
        before = len(os.listdir("/proc/%d/fd" % d.proc.pid))
        socks = []
        try:
            for _ in range(1500):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", d.http_port), timeout=2))
                except OSError:
                    pass
            time.sleep(0.5)
            held = len(os.listdir("/proc/%d/fd" % d.proc.pid)) - before
            self.assertLessEqual(held, 8 + 2, "the daemon holds %d more descriptors" % held)
            status, body = harness.http_get(d.http_port, "/healthz")
            self.assertEqual(status, 200, body)
            self.assertEqual(self.wire(daemon=d).call(whoami(1)).code, OK)
            body = d.metrics()
            self.assertLessEqual(metric(body, "planregd_http_connections_open"), 8, body)
            self.assertGreaterEqual(metric(body, "planregd_http_refused_total", reason="evicted") +
                                    metric(body, "planregd_http_refused_total", reason="max_connections"), 1000, body)
        finally:
            close_all(socks)

    def test_http_deadline_is_whole(self):
        """A client that drips a header line every 0.3 s is closed at http_timeout_ms from accept."""
        d = self.extra_daemon({"PLANREGD_HTTP_TIMEOUT_MS": "1500"})
        s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
        t0 = time.time()
        closed = None
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            for i in range(30):
                time.sleep(0.3)
                try:
                    s.sendall(b"X-Drip-%d: 1\r\n" % i)
                except OSError:
                    closed = time.time() - t0
                    break
        finally:
            s.close()
        self.assertIsNotNone(closed, "the dripping client was never closed")
        self.assertLess(closed, 3.0)
        self.assertGreaterEqual(metric(d.metrics(), "planregd_http_refused_total", reason="deadline"), 1)

    def test_http_answers(self):
        port = self.daemon.http_port
        r = self.http_raw(port, b"HEAD /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 200 OK\r\n"), r)
        self.assertTrue(r.endswith(b"\r\n\r\n"), "HEAD has no body: %r" % r)
        r = self.http_raw(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 405 "), r)
        r = self.http_raw(port, b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"planregd_requests_total", r)
        r = self.http_raw(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 431 "), r[:80])
        r = self.http_raw(port, b"hello\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 400 "), r)

    def test_per_address_limit(self):
        """The quota of one address holds against its authenticated connections: a newcomer from
        there is refused only when none of them is a handshake it may replace."""
        d = self.extra_daemon({"PLANREGD_MAX_CONNECTIONS_PER_ADDR": "4"})
        held = [self.wire(daemon=d, source="127.0.0.50", timeout=3) for _ in range(4)]
        for i, w in enumerate(held):
            self.assertEqual(w.call(whoami(10 + i)).code, OK)
        # a fifth from the same address is closed at accept: no handshake, no answer
        with self.assertRaises((OSError, ssl.SSLError)):
            w = self.wire(daemon=d, source="127.0.0.50", timeout=3)
            w.call(whoami(1))
        # another address is served
        w = self.wire(daemon=d, source="127.0.0.51", timeout=3)
        self.assertEqual(w.call(whoami(2)).code, OK)
        body = d.metrics()
        self.assertGreaterEqual(metric(body, "planregd_connections_refused_total", reason="per_addr"), 1, body)
        d.wait_log(r"event=conn_refused peer=127\.0\.0\.50:\d+ reason=per_addr limit=4", 3)
        # authenticated connections are never evicted: the four still answer
        for i, w in enumerate(held):
            self.assertEqual(w.call(whoami(20 + i)).code, OK)
        for w in held:
            w.close()
        # the count drops as the connections go: the address is served again
        deadline = time.time() + 5
        while True:
            try:
                w = self.wire(daemon=d, source="127.0.0.50", timeout=3)
                r = w.call(whoami(3))
                break
            except (OSError, ssl.SSLError, AssertionError):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.assertEqual(r.code, OK)

    def test_silent_flood_from_one_address_leaves_its_clients_served(self):
        """Clients behind one NAT or proxy share an address: 1,000 silent sockets from it fill its
        quota, and an enrolled client from the same address still gets in within 2 s, taking
        the place of the oldest silent one."""
        limit = raise_fd_limit(4096)
        count = 1000 if limit >= 1400 else max(300, limit - 200)
        d = self.extra_daemon({"PLANREGD_MAX_HANDSHAKES": "64"})
        socks, failed = silent_sockets(d.port, count, ["127.0.0.1"])
        try:
            time.sleep(0.4)  # the flood's sockets are no longer new: they count as silent
            t0 = time.time()
            w = self.wire(daemon=d, source="127.0.0.1", timeout=5)
            r = w.call(whoami(1))
            took = time.time() - t0
            self.assertEqual((r.id, r.code), (1, OK), r)
            self.assertLess(took, 2.0, "an enrolled client from the flooding address waited %.2fs" % took)
            body = d.metrics()
            self.assertLessEqual(metric(body, "planregd_connections_open"), 64 + 5, body)
            self.assertGreaterEqual(metric(body, "planregd_handshakes_evicted_total"), 1, body)
            # the flood's later sockets keep taking each other's places, never the client's
            more, _ = silent_sockets(d.port, 100, ["127.0.0.1"])
            socks.extend(more)
            time.sleep(0.3)
            self.assertEqual(w.call(whoami(2)).code, OK)
        finally:
            close_all(socks)


if __name__ == "__main__":
    harness.main()
