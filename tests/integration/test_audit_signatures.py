"""Returns and reviews signed by their submitters, through the real daemon, CLI and PostgreSQL
(docs/verifiable-log.md, "Signed by their submitters"): the CLI signs every return and review it submits and
the leaf carries the signature and the certificate's SHA-256 (checked here again with python3-cryptography,
from the leaf and the stored certificate alone); a request whose signature does not verify against the
connection's certificate, or that is unsigned, is refused with its own Status and nothing is stored
(require_signatures = no lets an unsigned one through with empty fields); and a database superuser who rewrites a
stored signature or certificate makes `planreg audit verify` fail, naming the entry."""

import hashlib
import json
import os
import re
import sys
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import test_log  # noqa: E402
import wire  # noqa: E402

PERIOD = test_log.PERIOD
SUBMIT_UPDATE = 30
REVIEW_UPDATE = 33
FAILED_PRECONDITION = 9
EXIT_LOG = 4


def fields(entry):
    """A leaf's `key=value` lines, strings as key=<length>:<bytes> (docs/verifiable-log.md, "Leaves")."""
    out, i = {}, entry.index("\n") + 1
    while i < len(entry):
        key, rest = entry[i:].split("=", 1)
        m = re.match(r"(\d+):", rest)
        if key in ("period", "comment", "signature", "certificate_sha256", "submitted_by", "submitted_org",
                   "submitted_person", "submitted_at", "reviewed_by", "reviewed_at") and m:
            n = int(m.group(1))
            start = i + len(key) + 1 + len(m.group(0))
            raw = entry[start:].encode()[:n].decode()
            out[key] = raw
            i = start + len(raw) + 1
        else:
            out[key] = rest.split("\n", 1)[0]
            i += len(key) + 1 + len(out[key]) + 1
    return out


def return_message(f):
    return wire.return_message(f["ref"], f["period"], f["content_sha256"])


def review_message(f):
    return wire.review_message(f["update_id"], f["accepted"], f["comment"])


def content_digest(ref, narrative):
    return wire.content_sha256(ref, PERIOD, "green", "concept", narrative)


def submit_body(ref, narrative, signature=None):
    content = (wire.pb_varint(1, ref) + wire.pb_bytes(2, PERIOD) + wire.pb_varint(3, 1) + wire.pb_varint(4, 1) +
               wire.pb_bytes(5, narrative))
    return wire.pb_bytes(1, content) + (wire.pb_bytes(60, signature) if signature is not None else b"")


sign_with = wire.sign


def start(t, prefix):
    """A service signing its log, and the CLIs of a submitter, the admin (who reviews) and a viewer, on t."""
    t.ls = test_log.LogService(prefix)
    t.s = t.ls.s
    t.a, t.admin, t.viewer = (test_log.Body(t.s, cred, name, t.ls.vkey)
                              for cred, name in (("submitter-CA", "ca"), ("admin", "admin"), ("viewer", "viewer")))


class SignatureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start(cls, "sig")

    @classmethod
    def tearDownClass(cls):
        cls.ls.close()

    def submit(self, ref, narrative, *extra):
        r = self.a.cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "green", "--stage",
                       "concept", "--narrative", narrative, "--format", "json", *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def leaf(self, where):
        return fields(bytes.fromhex(self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf WHERE " + where)).decode())

    def certificate(self, sha256):
        der = bytes.fromhex(self.s.sql("SELECT encode(der, 'hex') FROM submitter_certificate WHERE sha256 = '%s'"
                                       % sha256))
        return x509.load_der_x509_certificate(der)

    def count(self, table):
        return int(self.s.sql("SELECT count(*) FROM " + table))

    def verify(self):
        r = self.viewer.cli("audit", "verify", "--receipts", os.path.join(self.s.tmp, "none"), "--format", "json")
        return r, json.loads(r.stdout)

    def raw(self, cred, body_field, body, key):
        w = wire.Wire(self.s.daemon.port, wire.tls_context(self.s.pki, cred))
        try:
            return w.call(wire.request(7, body_field, body, idempotency_key=key))
        finally:
            w.close()

    def test_a_signed_return_and_review_carry_their_signature_and_certificate(self):
        u = self.submit(15, "Signed and sent.")
        f = self.leaf("update_id = %d" % u["update_id"])
        fp = self.s.fingerprints["submitter-CA"]
        self.assertEqual(f["certificate_sha256"], fp)
        self.assertEqual(f["content_sha256"], content_digest(15, "Signed and sent."))
        cert = self.certificate(fp)
        self.assertEqual(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(), fp)
        # a second implementation checks it from the leaf and the certificate alone (raises if it fails)
        cert.public_key().verify(bytes.fromhex(f["signature"]), return_message(f), ec.ECDSA(hashes.SHA256()))
        r = self.admin.cli("update", "review", str(u["update_id"]), "--return", "Say more.")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rid = self.s.sql("SELECT max(id) FROM update_review")
        g = self.leaf("review_id = %s" % rid)
        self.assertEqual(g["certificate_sha256"], self.s.fingerprints["admin"])
        self.certificate(g["certificate_sha256"]).public_key().verify(
            bytes.fromhex(g["signature"]), review_message(g), ec.ECDSA(hashes.SHA256()))
        # an amend is signed too, and audit verify checks every signature
        a = self.submit(15, "Signed, sent and amended.", "--amend")
        self.assertEqual(self.leaf("update_id = %d" % a["update_id"])["certificate_sha256"], fp)
        r, j = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(j["log_problems"], [])

    def test_a_bad_signature_or_none_is_refused_and_nothing_stored(self):
        before = (self.count("progress_update"), self.count("log_leaf"), self.count("submitter_certificate"))
        msg = return_message({"ref": 16, "period": PERIOD, "content_sha256": content_digest(16, "Forged.")})
        # signed with another officer's key: it does not verify against the connection's certificate
        forged = sign_with(self.s.pki.key("admin"), msg)
        resp = self.raw("submitter-CA", SUBMIT_UPDATE, submit_body(16, "Forged.", forged), "sig-k1")
        self.assertEqual((resp.code, resp.reason), (wire.INVALID_ARGUMENT, "signature_invalid"), resp)
        self.assertIn("does not verify against your certificate's key", resp.message)
        # signed with the right key over other content (the narrative changed on the way)
        right = sign_with(self.s.pki.key("submitter-CA"), msg)
        resp = self.raw("submitter-CA", SUBMIT_UPDATE, submit_body(16, "Changed on the way.", right), "sig-k2")
        self.assertEqual((resp.code, resp.reason), (wire.INVALID_ARGUMENT, "signature_invalid"), resp)
        # unsigned, as from an older CLI
        resp = self.raw("submitter-CA", SUBMIT_UPDATE, submit_body(16, "Unsigned."), "sig-k3")
        self.assertEqual((resp.code, resp.reason), (FAILED_PRECONDITION, "signature_required"), resp)
        self.assertIn("upgrade planreg", resp.message)
        # the same content signed with the right key is taken: the check is not refusing everything
        resp = self.raw("submitter-CA", SUBMIT_UPDATE, submit_body(16, "Forged.", right), "sig-k4")
        self.assertEqual(resp.code, wire.OK, resp)
        after = (self.count("progress_update"), self.count("log_leaf"), self.count("submitter_certificate"))
        self.assertEqual(after[0], before[0] + 1)
        self.assertEqual(after[1], before[1] + 1)
        # reviews likewise
        uid = int(self.s.sql("SELECT max(id) FROM progress_update"))
        reviews = self.count("update_review")
        body = wire.pb_varint(1, uid) + wire.pb_varint(2, 1)
        good = review_message({"update_id": uid, "accepted": "true", "comment": ""})
        resp = self.raw("admin", REVIEW_UPDATE, body + wire.pb_bytes(60, sign_with(self.s.pki.key("viewer"), good)),
                        "sig-r1")
        self.assertEqual((resp.code, resp.reason), (wire.INVALID_ARGUMENT, "signature_invalid"), resp)
        resp = self.raw("admin", REVIEW_UPDATE, body, "sig-r2")
        self.assertEqual((resp.code, resp.reason), (FAILED_PRECONDITION, "signature_required"), resp)
        self.assertEqual(self.count("update_review"), reviews)
        resp = self.raw("admin", REVIEW_UPDATE, body + wire.pb_bytes(60, sign_with(self.s.pki.key("admin"), good)),
                        "sig-r3")
        self.assertEqual(resp.code, wire.OK, resp)
        self.assertEqual(self.count("update_review"), reviews + 1)

    def test_a_rewritten_certificate_is_named_by_audit_verify(self):
        u = self.submit(4, "Certificate to be swapped.")
        r, j = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        fp = self.s.fingerprints["submitter-CA"]
        with open(self.s.pki.cert("viewer"), "rb") as f:
            other = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
        swap = ("ALTER TABLE submitter_certificate DISABLE TRIGGER USER;"
                "UPDATE submitter_certificate SET der = '\\x%s' WHERE sha256 = '%s';"
                "ALTER TABLE submitter_certificate ENABLE TRIGGER USER")
        old = self.s.sql("SELECT encode(der, 'hex') FROM submitter_certificate WHERE sha256 = '%s'" % fp)
        self.s.sql(swap % (other.hex(), fp))
        try:
            r, j = self.verify()
            self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
            self.assertTrue(j["ok"], j)  # the chain and the leaves are untouched
            leaf = int(self.s.sql("SELECT idx FROM log_leaf WHERE update_id = %d" % u["update_id"]))
            named = "update %d (project 4, %s revision 1), entry %d of the log, fails its submitter's signature: " \
                    "the service did not give the certificate whose SHA-256 it names" % (u["update_id"], PERIOD, leaf)
            self.assertIn(named, j["log_problems"])
        finally:
            self.s.sql(swap % (old, fp))
        r, j = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class RewriteSignatureTest(unittest.TestCase):
    """The superuser changes a stored signature, and the leaf and node table with it."""

    def setUp(self):
        start(self, "sigrw")

    def tearDown(self):
        self.ls.close()

    def flip(self, table, column, row_id):
        entry = "planreg_log_update_entry(x)" if table == "progress_update" else "planreg_log_review_entry(x)"
        self.s.sql("ALTER TABLE %s DISABLE TRIGGER USER; ALTER TABLE log_leaf DISABLE TRIGGER USER;"
                   "UPDATE %s SET signature = overlay(signature placing decode(lpad(to_hex(get_byte(signature, 10)"
                   " # 1), 2, '0'), 'hex') from 11 for 1) WHERE id = %s;"
                   "UPDATE log_leaf l SET entry = %s FROM %s x WHERE l.%s = x.id AND x.id = %s"
                   % (table, table, row_id, entry, table, column, row_id))
        self.ls.rebuild_nodes()

    def test_a_rewritten_signature_is_named_by_audit_verify(self):
        r = self.a.cli("update", "submit", "15", "--period", PERIOD, "--confidence", "green", "--stage", "concept",
                       "--narrative", "Signature to be changed.", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        uid = json.loads(r.stdout)["update_id"]
        self.assertEqual(self.admin.cli("update", "review", str(uid), "--accept").returncode, 0)
        rid = self.s.sql("SELECT max(id) FROM update_review")
        ok = self.viewer.cli("audit", "verify")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.flip("progress_update", "update_id", uid)
        self.flip("update_review", "review_id", rid)
        r = self.viewer.cli("audit", "verify", "--format", "json")
        j = json.loads(r.stdout)
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertTrue(j["ok"], j)  # the database's own checks pass: each leaf is the one its row makes
        leaf = int(self.s.sql("SELECT idx FROM log_leaf WHERE update_id = %d" % uid))
        rleaf = int(self.s.sql("SELECT idx FROM log_leaf WHERE review_id = %s" % rid))
        self.assertTrue(any(p.startswith("update %d (project 15, %s revision 1), entry %d of the log, fails its "
                                         "submitter's signature: its signature does not verify" % (uid, PERIOD, leaf))
                            for p in j["log_problems"]), j)
        self.assertTrue(any(p.startswith("review %s of update %d, entry %d of the log, fails its submitter's "
                                         "signature" % (rid, uid, rleaf)) for p in j["log_problems"]), j)


class UnsignedAllowedTest(unittest.TestCase):
    """require_signatures = no: an older CLI's unsigned return is recorded with empty signature fields."""

    def test_unsigned_return_recorded_when_allowed(self):
        s = harness.Service("signo", daemon_env={"PLANREGD_REQUIRE_SIGNATURES": "no"}, people=("submitter-CA",))
        try:
            w = wire.Wire(s.daemon.port, wire.tls_context(s.pki, "submitter-CA"))
            try:
                resp = w.call(wire.request(7, SUBMIT_UPDATE, submit_body(16, "From an older CLI."), "old-1"))
            finally:
                w.close()
            self.assertEqual(resp.code, wire.OK, resp)
            entry = bytes.fromhex(s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx DESC LIMIT 1"))
            self.assertTrue(entry.endswith(b"\nsignature=0:\ncertificate_sha256=0:\n"), entry)
            self.assertEqual(s.sql("SELECT count(*) FROM progress_update WHERE signature IS NULL"), "1")
            # a given signature is still checked
            msg = return_message({"ref": 16, "period": PERIOD, "content_sha256": content_digest(16, "Other.")})
            w = wire.Wire(s.daemon.port, wire.tls_context(s.pki, "submitter-CA"))
            try:
                resp = w.call(wire.request(8, SUBMIT_UPDATE, submit_body(16, "Forged.",
                                                                         sign_with(s.pki.key("submitter-CA"), msg)),
                                           "old-2"))
            finally:
                w.close()
            self.assertEqual((resp.code, resp.reason), (wire.INVALID_ARGUMENT, "signature_invalid"), resp)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
