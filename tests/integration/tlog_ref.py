"""tlog_ref.py - an independent Python implementation of the verifiable log's formats, to check
proto/merkle.c, note.c and checkpoint.c against: RFC 6962 hashing and proofs (written from the RFC's
recursive definitions), the RFC 9162 verification loops, C2SP signed notes with Ed25519, tlog-checkpoint,
tlog-cosignature (type 0x04) and tlog-proof receipts.

Written apart from the C code, from the specifications, so that one misreading is unlikely to be made
twice. Standard library plus Debian's python3-cryptography (Ed25519). Every check raises VerifyError.
"""

import base64
import hashlib
import os
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE = 0x04
DASH = "\u2014 "
RECEIPT_HEADER = "c2sp.org/tlog-proof@v1"


class VerifyError(Exception):
    pass


# ---------------------------------------------------------------- RFC 6962 trees


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """MTH, PATH and PROOF over a list of leaf hashes, by the RFC's recursion, memoised per range."""

    def __init__(self, leaf_hashes):
        self.leaves = list(leaf_hashes)
        self.memo = {}

    def mth(self, lo, hi):
        if lo == hi:
            return sha256(b"")
        if hi - lo == 1:
            return self.leaves[lo]
        key = (lo, hi)
        if key not in self.memo:
            k = split(hi - lo)
            self.memo[key] = node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))
        return self.memo[key]

    def root(self, n):
        return self.mth(0, n)

    def path(self, m, lo, hi):
        if hi - lo <= 1:
            return []
        k = split(hi - lo)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def inclusion_proof(self, m, n):
        if not 0 <= m < n:
            raise ValueError("index out of range")
        return self.path(m, 0, n)

    def subproof(self, m, lo, hi, b):
        if m == hi - lo:
            return [] if b else [self.mth(lo, hi)]
        k = split(hi - lo)
        if m <= k:
            return self.subproof(m, lo, lo + k, b) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]

    def consistency_proof(self, m, n):
        if not 0 < m <= n:
            raise ValueError("consistency is defined for 0 < m <= n")
        return self.subproof(m, 0, n, True)


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise VerifyError("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerifyError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerifyError("inclusion proof does not lead to the root")


def verify_consistency(m, n, proof, root_m, root_n):
    """RFC 9162 section 2.1.4.2 for 0 < m < n; m == n needs the empty proof and equal roots."""
    if m == 0 or m > n:
        raise VerifyError("no consistency proof exists for these sizes")
    if m == n:
        if proof or root_m != root_n:
            raise VerifyError("equal sizes need the empty proof and equal roots")
        return
    if not proof:
        raise VerifyError("empty proof")
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != root_m or sr != root_n:
        raise VerifyError("consistency proof does not lead to the roots")


# ---------------------------------------------------------------- base64, keys


def b64(b):
    return base64.b64encode(b).decode("ascii")


def unb64(s):
    """Standard padded base64, canonical only (re-encoding must give the input back)."""
    try:
        b = base64.b64decode(s, validate=True)
    except (ValueError, TypeError) as e:
        raise VerifyError("bad base64") from e
    if not s or b64(b) != s:
        raise VerifyError("non-canonical base64")
    return b


def key_id(name, sig_type, pub):
    return int.from_bytes(sha256(name.encode() + b"\n" + bytes([sig_type]) + pub)[:4], "big")


def name_ok(name):
    return bool(name) and "+" not in name and not re.search(r"\s", name) and not re.search(r"[\x00-\x1f\x7f]", name)


class Verifier:
    def __init__(self, name, sig_type, pub):
        if not name_ok(name) or sig_type not in (ED25519, COSIGNATURE) or len(pub) != 32:
            raise VerifyError("bad verifier key")
        self.name, self.type, self.pub = name, sig_type, pub
        self.id = key_id(name, sig_type, pub)

    @classmethod
    def parse(cls, s):
        parts = s.split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise VerifyError("bad verifier key")
        raw = unb64(parts[2])
        if len(raw) != 33:
            raise VerifyError("bad verifier key")
        v = cls(parts[0], raw[0], raw[1:])
        if v.id != int(parts[1], 16):
            raise VerifyError("verifier key id mismatch")
        return v

    def format(self):
        return "%s+%08x+%s" % (self.name, self.id, b64(bytes([self.type]) + self.pub))

    def verify(self, msg, sig):
        try:
            Ed25519PublicKey.from_public_bytes(self.pub).verify(sig, msg)
        except InvalidSignature as e:
            raise VerifyError("bad signature by %s" % self.name) from e


class Signer:
    def __init__(self, name, sig_type, seed):
        self.key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.verifier = Verifier(name, sig_type, pub)
        self.name, self.type, self.seed, self.id = name, sig_type, seed, self.verifier.id

    @classmethod
    def generate(cls, name, sig_type=ED25519):
        return cls(name, sig_type, os.urandom(32))

    @classmethod
    def parse(cls, s):
        parts = s.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not re.fullmatch(r"[0-9a-f]{8}", parts[3]):
            raise VerifyError("bad signer key")
        raw = unb64(parts[4])
        if len(raw) != 33:
            raise VerifyError("bad signer key")
        s = cls(parts[2], raw[0], raw[1:])
        if s.id != int(parts[3], 16):
            raise VerifyError("signer key id mismatch")
        return s

    def format(self):
        return "PRIVATE+KEY+%s+%08x+%s" % (self.name, self.id, b64(bytes([self.type]) + self.seed))


# ---------------------------------------------------------------- signed notes


def text_ok(text):
    return text.endswith("\n") and not re.search(r"[\x00-\x09\x0b-\x1f]", text)


def cosignature_message(text, when):
    return ("cosignature/v1\ntime %d\n" % when).encode() + text.encode()


def signature_line(signer, text, when=0):
    if not text_ok(text):
        raise ValueError("not a note text")
    if signer.type == COSIGNATURE:
        if not 0 <= when < 2**63:
            raise ValueError("timestamp out of range")
        payload = when.to_bytes(8, "big") + signer.key.sign(cosignature_message(text, when))
    else:
        payload = signer.key.sign(text.encode())
    return "%s%s %s\n" % (DASH, signer.name, b64(signer.id.to_bytes(4, "big") + payload))


def sign_note(text, signers, when=0):
    return text + "\n" + "".join(signature_line(s, text, when) for s in signers)


def split_note(msg):
    """(text, [(name, key id, payload)]): the text ends at the last empty line."""
    if re.search(r"[\x00-\x09\x0b-\x1f]", msg):
        raise VerifyError("control character in note")
    at = msg.rfind("\n\n")
    if at < 0:
        raise VerifyError("no empty line before the signatures")
    text, block = msg[: at + 1], msg[at + 2 :]
    if not block or not block.endswith("\n"):
        raise VerifyError("no signature lines")
    sigs = []
    for line in block[:-1].split("\n"):
        m = re.fullmatch(r"\u2014 ([^ ]+) ([^ ]+)", line)
        if not m or not name_ok(m.group(1)):
            raise VerifyError("malformed signature line")
        raw = unb64(m.group(2))
        if len(raw) < 5:
            raise VerifyError("short signature")
        sigs.append((m.group(1), int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, sigs


def open_note(msg, verifiers):
    """Returns (text, {verifier: time or None}) over the known keys that signed; unknown keys are
    ignored, a known key's bad signature is fatal, and at least one known key must have signed."""
    text, sigs = split_note(msg)
    signed = {}
    for name, kid, payload in sigs:
        known = [v for v in verifiers if v.name == name and v.id == kid]
        if len(known) > 1:
            raise VerifyError("ambiguous keys")
        if not known:
            continue
        v = known[0]
        if v.type == COSIGNATURE:
            if len(payload) != 72:
                raise VerifyError("bad cosignature length")
            when = int.from_bytes(payload[:8], "big")
            if when >= 2**63:
                raise VerifyError("cosignature time out of range")
            v.verify(cosignature_message(text, when), payload[8:])
            signed[v] = when
        else:
            v.verify(text.encode(), payload)
            signed[v] = None
    if not signed:
        raise VerifyError("no known key signed the note")
    return text, signed


# ---------------------------------------------------------------- checkpoints and receipts


def format_checkpoint(origin, size, root, extensions=""):
    return "%s\n%d\n%s\n%s" % (origin, size, b64(root), extensions)


def parse_checkpoint(text):
    """(origin, size, root, extension text)."""
    if not text_ok(text):
        raise VerifyError("not a note text")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise VerifyError("a checkpoint has three or more non-empty lines")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]) or int(lines[1]) >= 2**64:
        raise VerifyError("bad tree size")
    root = unb64(lines[2])
    if len(root) != 32:
        raise VerifyError("bad root hash")
    ext = "".join(line + "\n" for line in lines[3:])
    return lines[0], int(lines[1]), root, ext


def format_receipt(index, proof, note, extra=None):
    head = RECEIPT_HEADER + "\n"
    if extra is not None:
        head += "extra %s\n" % b64(extra)
    head += "index %d\n" % index
    return head + "".join(b64(h) + "\n" for h in proof) + "\n" + note


def parse_receipt(s):
    """(extra or None, index, proof, note)."""
    lines = s.split("\n")
    if lines[0] != RECEIPT_HEADER or len(lines) < 3:
        raise VerifyError("not a tlog-proof receipt")
    at, extra = 1, None
    if lines[at].startswith("extra "):
        extra = unb64(lines[at][6:])
        at += 1
    m = re.fullmatch(r"index (0|[1-9][0-9]*)", lines[at])
    if not m:
        raise VerifyError("bad index line")
    at += 1
    proof = []
    while at < len(lines) and lines[at] != "":
        h = unb64(lines[at])
        if len(h) != 32:
            raise VerifyError("bad proof hash")
        proof.append(h)
        at += 1
    if at >= len(lines) - 1:
        raise VerifyError("no checkpoint in the receipt")
    note = "\n".join(lines[at + 1 :])
    if not note:
        raise VerifyError("no checkpoint in the receipt")
    return extra, int(m.group(1)), proof, note


def verify_receipt(s, leaf, log, witnesses=(), quorum=0, origin=None):
    """The checkpoint (origin, size, root, ext) the receipt proves leaf (a leaf hash) under."""
    _, index, proof, note = parse_receipt(s)
    text, signed = open_note(note, [log] + list(witnesses))
    if log not in signed:
        raise VerifyError("the log did not sign the checkpoint")
    if sum(1 for w in witnesses if w in signed) < quorum:
        raise VerifyError("too few cosignatures")
    cp = parse_checkpoint(text)
    if cp[0] != (origin or log.name):
        raise VerifyError("the checkpoint names another log")
    verify_inclusion(leaf, index, cp[1], proof, cp[2])
    return cp
