"""wire.py - planreg/1 spoken directly, for tests that must send what the CLI
never would: a small protobuf wire codec (standard library only), frames, a TLS connection that reads
Responses, and the submitter's signature of a return or review (docs/verifiable-log.md, "Signed by their
submitters"; python3-cryptography, imported only by sign)."""

import hashlib
import socket
import ssl
import struct

# Request / Response oneof field numbers (proto/planreg.proto)
WHOAMI = 10
LIST_PROJECTS = 14
GET_PROJECT = 15
IMPORT_PLAN = 16
REVOKE_CREDENTIAL = 18

OK = 0
INVALID_ARGUMENT = 3
UNAVAILABLE = 14
UNAUTHENTICATED = 16


# ---------------------------------------------------------------- protobuf wire codec

def _varint(n):
    if n < 0:
        raise ValueError("a varint is unsigned: encode a negative int32/int64 as n & (2**64 - 1)")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, value):
    return _varint(field << 3) + _varint(value)


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _read_varint(buf, i):
    shift = 0
    value = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def pb_decode(buf):
    """One message level: {field number: [values]}; varints as int, everything else as bytes."""
    fields = {}
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(buf, i)
        elif wire == 2:
            n, i = _read_varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated length-delimited field")
            value = bytes(buf[i:i + n])
            i += n
        elif wire == 1:
            value = bytes(buf[i:i + 8])
            i += 8
        elif wire == 5:
            value = bytes(buf[i:i + 4])
            i += 4
        else:
            raise ValueError("wire type %d" % wire)
        fields.setdefault(field, []).append(value)
    return fields


def first(fields, number, default):
    values = fields.get(number)
    return values[0] if values else default


def request(req_id, body_field=None, body=b"", idempotency_key=None):
    msg = pb_varint(1, req_id) if req_id else b""
    if idempotency_key:
        msg += pb_bytes(2, idempotency_key)
    if body_field is not None:
        msg += pb_bytes(body_field, body)
    return msg


def whoami(req_id):
    return request(req_id, WHOAMI)


def get_project(req_id, ref):
    return request(req_id, GET_PROJECT, pb_varint(1, ref))


def lstr(key, value):
    """A string field as the leaves and signed messages write it: key=<byte length>:<bytes>."""
    return "%s=%d:%s\n" % (key, len(value.encode()), value)


def content_sha256(ref, period, confidence, stage, narrative, variance_note=""):
    """docs/audit.md's content digest of a return without money, milestones or risks (names, e.g. "amber")."""
    text = ("planreg-update-v1\nref=%d\n" % ref + lstr("period", period) + lstr("confidence", confidence) +
            lstr("stage", stage) + lstr("narrative", narrative) + "spend_to_date_pence=-\nforecast_total_pence=-\n" +
            lstr("variance_note", variance_note) + "milestones=0\nrisks=0\n")
    return hashlib.sha256(text.encode()).hexdigest()


def return_message(ref, period, digest):
    return ("planreg-return-signature/v1\nref=%s\n" % ref + lstr("period", period) +
            "content_sha256=%s\n" % digest).encode()


def review_message(update_id, accepted, comment):
    return ("planreg-review-signature/v1\nupdate_id=%s\naccepted=%s\n" % (update_id, accepted) +
            lstr("comment", comment)).encode()


def sign(key_path, message):
    """The signature of message with the EC key in key_path (the test PKI's keys are P-256), as the CLI makes it."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def frame(msg):
    return struct.pack(">I", len(msg)) + msg


class Response:
    def __init__(self, data):
        self.raw = data
        f = pb_decode(data)
        self.id = first(f, 1, 0)
        status = pb_decode(first(f, 2, b""))
        self.code = first(status, 1, 0)
        self.message = first(status, 2, b"").decode()
        self.reason = first(status, 4, b"").decode()
        bodies = sorted(k for k in f if k >= 10)
        if len(bodies) > 1:
            raise AssertionError("a Response with two bodies: %r" % bodies)
        self.body_field = bodies[0] if bodies else None
        self.body = pb_decode(f[bodies[0]][0]) if bodies else None

    def principal(self):
        """WhoamiResponse.principal as {credential, organisation, person, role}."""
        p = pb_decode(first(self.body, 1, b""))
        return {"credential": first(p, 1, b"").decode(), "organisation": first(p, 2, b"").decode(),
                "person": first(p, 3, b"").decode(), "role": first(p, 4, 0)}

    def __repr__(self):
        return "Response(id=%d code=%d reason=%r message=%r body=%r)" % (
            self.id, self.code, self.reason, self.message, self.body_field)


# ---------------------------------------------------------------- a raw planreg/1 connection

def tls_context(pki, cred="admin", alpn=("planreg/1",)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca)
    if cred is not None:
        ctx.load_cert_chain(pki.cert(cred), pki.key(cred))
    if alpn is not None:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def read_exact(sock, n):
    """Exactly n bytes from sock, or None when the stream ends first."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def close_all(socks):
    """Close every socket in socks, whatever state each one is in."""
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def read_frame(sock):
    """The body of the next frame on sock, or None when the stream ends first. Errors propagate."""
    head = read_exact(sock, 4)
    if head is None:
        return None
    return read_exact(sock, struct.unpack(">I", head)[0])


class Wire:
    """One TLS connection speaking frames; the handshake happens in the constructor. source: the local
    address to connect from (127.0.0.0/8 is all ours); session: a TLS session to resume; preamble:
    bytes sent before the handshake (a PROXY protocol header)."""

    def __init__(self, port, ctx, timeout=5.0, source=None, session=None, preamble=b""):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        try:
            if preamble:
                raw.sendall(preamble)
            self.sock = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        except BaseException:
            raw.close()
            raise
        self.buf = b""
        self.eof = False

    def send(self, *msgs):
        self.sock.sendall(b"".join(frame(m) for m in msgs))

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buf) < n and not self.eof:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return len(self.buf) >= n

    def read_response(self):
        """The next Response, or None at end of stream. ssl.SSLError (an alert) propagates."""
        if not self._fill(4):
            if self.buf:
                raise AssertionError("stream ended inside a frame header: %r" % self.buf)
            return None
        n = struct.unpack(">I", self.buf[:4])[0]
        if not self._fill(4 + n):
            raise AssertionError("stream ended inside a %d-byte frame" % n)
        body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return Response(body)

    def call(self, msg):
        self.send(msg)
        resp = self.read_response()
        if resp is None:
            raise AssertionError("the server closed instead of answering")
        return resp

    def closed_within(self, seconds):
        """True when the server ends the stream within seconds (anything it sends first is kept)."""
        self.sock.settimeout(seconds)
        try:
            self._fill(len(self.buf) + (1 << 30))
        except socket.timeout:
            return False
        except ssl.SSLError:
            return True
        return self.eof

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2(client_ip, client_port, server_ip="127.0.0.1", server_port=7443, local=False):
    """A PROXY protocol v2 header (as HAProxy's send-proxy-v2 writes it) naming an IPv4 client."""
    if local:
        return PROXY_V2_SIGNATURE + bytes([0x20, 0x00]) + struct.pack(">H", 0)
    body = socket.inet_aton(client_ip) + socket.inet_aton(server_ip) + struct.pack(">HH", client_port, server_port)
    return PROXY_V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack(">H", len(body)) + body
