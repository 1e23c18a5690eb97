"""The verifiable log's C primitives (proto/merkle.c, note.c, checkpoint.c, driven by tests/tools/tlog_tool.c)
against the independent Python implementation in tlog_ref.py: each side's proofs, checkpoints,
cosignatures and receipts verified by the other, tampered ones refused by both. Needs no database.

ctest passes the driver in TLOG_TOOL.
"""

import base64
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlog_ref as ref  # noqa: E402

TOOL = os.environ.get("TLOG_TOOL", "")
MAX = 40  # every tree size up to this, every index and every old size

# The Go note package's example key and note (golang.org/x/mod/sumdb/note), and the Certificate
# Transparency test vectors: checks that the reference itself reads the standards as others do.
PN_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PN_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PN_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PN_NOTE = (PN_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpR"
           "Zb6KE6RyyBwJnAM=\n")
CT_ENTRIES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
CT_INCLUSION_5_8 = ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]
CT_CONSISTENCY_6_8 = ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]


def b64(h):
    return base64.b64encode(h).decode()


def flip(h, bit=0):
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


class TlogRef(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TOOL:
            raise SystemExit("TLOG_TOOL is not set: run this through ctest")
        cls.tmp = tempfile.mkdtemp(prefix="tlog-ref.")
        cls.entries = ["entry %d: %s" % (i, "x" * (i % 7)) for i in range(MAX + 3)]
        cls.leaves_file = cls.write("leaves", "".join(e + "\n" for e in cls.entries))
        cls.tree = ref.Tree(ref.leaf_hash(e.encode()) for e in cls.entries)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp], check=False)

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def tool(self, *args, ok=True):
        r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, encoding="utf-8")
        if ok is not None and (r.returncode == 0) != ok:
            self.fail("tlog_tool %s: exit %d, expected %s\n%s%s" % (" ".join(args), r.returncode,
                                                                   "success" if ok else "refusal",
                                                                   r.stdout, r.stderr))
        self.assertNotIn("Sanitizer", r.stderr)
        return r

    def c_keygen(self, name, cosigner=False):
        out = self.tool("keygen", name, *(["cosigner"] if cosigner else [])).stdout.split("\n")
        return self.write("skey-" + name.replace("/", "_"), out[0] + "\n"), out[0], out[1]

    def python_checkpoint(self, signer, size):
        return ref.sign_note(ref.format_checkpoint(signer.name, size, self.tree.root(size)), [signer])

    # ---------------------------------------------------------------- the reference itself

    def test_reference_reads_the_standards(self):
        v, s = ref.Verifier.parse(PN_VKEY), ref.Signer.parse(PN_SKEY)
        self.assertEqual(v.format(), PN_VKEY)
        self.assertEqual(s.format(), PN_SKEY)
        self.assertEqual(ref.sign_note(PN_TEXT, [s]), PN_NOTE)
        self.assertEqual(ref.open_note(PN_NOTE, [v])[0], PN_TEXT)
        with self.assertRaises(ref.VerifyError):
            ref.open_note(PN_NOTE.replace("cryptography", "cryptographY"), [v])
        ct = ref.Tree(ref.leaf_hash(bytes.fromhex(e)) for e in CT_ENTRIES)
        self.assertEqual(ct.root(8).hex(), CT_ROOT_8)
        self.assertEqual([h.hex() for h in ct.inclusion_proof(5, 8)], CT_INCLUSION_5_8)
        self.assertEqual([h.hex() for h in ct.consistency_proof(6, 8)], CT_CONSISTENCY_6_8)

    # ---------------------------------------------------------------- proofs

    def test_c_proofs_match_and_verify_in_python(self):
        lines = self.tool("proofs", self.leaves_file, str(MAX)).stdout.splitlines()
        seen = {"root": 0, "inclusion": 0, "consistency": 0}
        for line in lines:
            word = line.split(" ")
            kind, a, b = word[0], int(word[1]), int(word[2]) if len(word) > 2 and word[0] != "root" else 0
            hashes = [base64.b64decode(w) for w in word[3:]] if kind != "root" else []
            seen[kind] += 1
            if kind == "root":
                self.assertEqual(word[2], b64(self.tree.root(a)), line)
            elif kind == "inclusion":
                self.assertEqual(hashes, self.tree.inclusion_proof(a, b), line)
                ref.verify_inclusion(self.tree.leaves[a], a, b, hashes, self.tree.root(b))
                for i in range(len(hashes)):
                    bad = list(hashes)
                    bad[i] = flip(bad[i], (a * 7 + i) % 256)
                    with self.assertRaises(ref.VerifyError):
                        ref.verify_inclusion(self.tree.leaves[a], a, b, bad, self.tree.root(b))
            else:
                self.assertEqual(hashes, self.tree.consistency_proof(a, b), line)
                ref.verify_consistency(a, b, hashes, self.tree.root(a), self.tree.root(b))
                if hashes:
                    with self.assertRaises(ref.VerifyError):
                        ref.verify_consistency(a, b, hashes[:-1], self.tree.root(a), self.tree.root(b))
        n = MAX * (MAX + 1) // 2
        self.assertEqual(seen, {"root": MAX + 1, "inclusion": n, "consistency": n})

    def test_python_proofs_verify_in_c(self):
        lines, want = [], []

        def add(kind, a, b, x, y, hashes, good):
            lines.append(" ".join([kind, str(a), str(b), b64(x), b64(y)] + [b64(h) for h in hashes]))
            want.append("ok" if good else "refused")

        t = self.tree
        for n in range(1, MAX + 1):
            root = t.root(n)
            for m in range(n):
                p, leaf = t.inclusion_proof(m, n), t.leaves[m]
                add("inclusion", m, n, leaf, root, p, True)
                add("inclusion", m, n, flip(leaf, m % 256), root, p, False)
                add("inclusion", m, n, leaf, flip(root, n % 256), p, False)
                if p:
                    add("inclusion", m, n, leaf, root, p[:-1], False)
                    add("inclusion", m, n, leaf, root, [flip(p[0], 3)] + p[1:], False)
                add("inclusion", m, n, leaf, root, p + [root], False)
                add("inclusion", m, n + 1, leaf, t.root(n + 1), p, False)
                add("inclusion", (m + 1) % n if n > 1 else 1, n, leaf, root, p, False)
            for m in range(1, n + 1):
                p = t.consistency_proof(m, n)
                add("consistency", m, n, t.root(m), root, p, True)
                if m < n:
                    add("consistency", m, n, t.root(m), root, p[:-1], False)
                    add("consistency", m, n, t.root(m), root, p + [root], False)
                    add("consistency", m, n, t.root(m), root, p[:-1] + [flip(p[-1], 9)], False)
                    add("consistency", m, n + 1, t.root(m), t.root(n + 1), p, False)
                    add("consistency", n, m, root, t.root(m), p, False)
                add("consistency", m, n, flip(t.root(m), 1), root, p, False)
        add("consistency", 0, 5, t.root(0), t.root(5), [], False)
        add("inclusion", 0, 0, t.leaves[0], t.root(0), [], False)
        got = self.tool("verify-proofs", self.write("proofs", "\n".join(lines) + "\n")).stdout.splitlines()
        self.assertEqual(len(got), len(want))
        for line, g, w in zip(lines, got, want):
            self.assertEqual(g, w, line)
            # and the reference agrees on each
            word = line.split(" ")
            args = [int(word[1]), int(word[2])] + [base64.b64decode(x) for x in word[3:5]]
            hashes = [base64.b64decode(x) for x in word[5:]]
            try:
                if word[0] == "inclusion":
                    ref.verify_inclusion(args[2], args[0], args[1], hashes, args[3])
                else:
                    ref.verify_consistency(args[0], args[1], hashes, args[2], args[3])
                verdict = "ok"
            except ref.VerifyError:
                verdict = "refused"
            self.assertEqual(verdict, w, line)

    # ---------------------------------------------------------------- notes and checkpoints

    def test_python_checkpoint_verified_by_c(self):
        log = ref.Signer.generate("py.example/log")
        note = self.python_checkpoint(log, 17)
        out = self.tool("verify-note", self.write("py-cp", note), log.verifier.format()).stdout
        self.assertEqual(out, "verified py.example/log -\n\n" + note[: note.index("\n\n") + 1])
        for bad in (note.replace("\n17\n", "\n18\n"), note.replace("py.example/log\n", "py.example/lag\n", 1),
                    note[:-3] + ("A" if note[-3] != "A" else "B") + note[-2:]):
            r = self.tool("verify-note", self.write("py-cp-bad", bad), log.verifier.format(), ok=False)
            self.assertIn("refused", r.stderr)
            with self.assertRaises(ref.VerifyError):
                ref.open_note(bad, [log.verifier])
        # an unknown key's note: refused by both
        other = ref.Signer.generate("py.example/log")
        self.tool("verify-note", self.write("py-cp-other", note), other.verifier.format(), ok=False)
        with self.assertRaises(ref.VerifyError):
            ref.open_note(note, [other.verifier])

    def test_c_checkpoint_verified_by_python(self):
        skey_file, skey, vkey = self.c_keygen("c.example/log")
        v, s = ref.Verifier.parse(vkey), ref.Signer.parse(skey)
        self.assertEqual(s.verifier.format(), vkey)  # the key strings read the same both ways
        root = self.tree.root(29)
        note = self.tool("sign-checkpoint", skey_file, "c.example/log", "29", b64(root)).stdout
        text, signed = ref.open_note(note, [v])
        self.assertEqual(signed, {v: None})
        self.assertEqual(ref.parse_checkpoint(text), ("c.example/log", 29, root, ""))
        # Ed25519 is deterministic: Python signing the same text with the same key writes the same note
        self.assertEqual(ref.sign_note(text, [s]), note)
        for bad in (note.replace("\n29\n", "\n28\n"), note.replace("\u2014 c.example/log ", "\u2014 c.example/lag ")):
            with self.assertRaises(ref.VerifyError):
                ref.open_note(bad, [v])
            self.tool("verify-note", self.write("c-cp-bad", bad), vkey, ok=False)

    def test_cosignatures_both_ways(self):
        log = ref.Signer.generate("py.example/log")
        note_file = self.write("cosign-py", self.python_checkpoint(log, 11))
        # C cosigns the Python checkpoint; Python verifies the cosignature and its time
        c_wit_file, _, c_wit_vkey = self.c_keygen("c.example/witness", cosigner=True)
        cosigned = self.tool("cosign", c_wit_file, "1712345678", note_file).stdout
        c_wit = ref.Verifier.parse(c_wit_vkey)
        self.assertEqual(c_wit.type, ref.COSIGNATURE)
        _, signed = ref.open_note(cosigned, [log.verifier, c_wit])
        self.assertEqual(signed[c_wit], 1712345678)
        # Python cosigns too; C verifies all three signatures and reports both times
        py_wit = ref.Signer.generate("py.example/witness", ref.COSIGNATURE)
        text = cosigned[: cosigned.index("\n\n") + 1]
        both = cosigned + ref.signature_line(py_wit, text, 1799999999)
        out = self.tool("verify-note", self.write("cosign-both", both), log.verifier.format(), c_wit_vkey,
                        py_wit.verifier.format()).stdout
        self.assertEqual(out.split("\n\n")[0].splitlines(),
                         ["verified py.example/log -", "verified c.example/witness 1712345678",
                          "verified py.example/witness 1799999999"])
        # a timestamp changed after signing: refused by both
        line = ref.signature_line(py_wit, text, 1799999999)
        payload = bytearray(base64.b64decode(line.split(" ")[2]))
        payload[11] ^= 1
        bad = cosigned + "\u2014 py.example/witness " + b64(bytes(payload)) + "\n"
        self.tool("verify-note", self.write("cosign-bad", bad), log.verifier.format(), py_wit.verifier.format(),
                  ok=False)
        with self.assertRaises(ref.VerifyError):
            ref.open_note(bad, [log.verifier, py_wit.verifier])

    # ---------------------------------------------------------------- receipts

    def test_receipts_both_ways(self):
        log = ref.Signer.generate("py.example/log")
        wit = ref.Signer.generate("py.example/witness", ref.COSIGNATURE)
        size = 23
        text = ref.format_checkpoint(log.name, size, self.tree.root(size))
        note = ref.sign_note(text, [log]) + ref.signature_line(wit, text, 1700000000)
        note_file = self.write("receipt-note", note)
        vkeys = [log.verifier.format(), wit.verifier.format()]
        for index in (0, 7, 16, 22):
            leaf = self.tree.leaves[index]
            c_receipt = self.tool("receipt", note_file, self.leaves_file, str(index)).stdout
            py_receipt = ref.format_receipt(index, self.tree.inclusion_proof(index, size), note)
            self.assertEqual(c_receipt, py_receipt)  # one format, written alike
            self.assertEqual(ref.verify_receipt(c_receipt, leaf, log.verifier, [wit.verifier], 1)[1], size)
            out = self.tool("verify-receipt", self.write("receipt", py_receipt), b64(leaf), vkeys[0], vkeys[1],
                            "1").stdout
            self.assertEqual(out, "ok py.example/log %d\n" % size)
            # tampered: another entry, a flipped proof hash, another index, a quorum not met
            lines = py_receipt.split("\n")
            flipped = list(lines)
            flipped[2] = b64(flip(base64.b64decode(lines[2]), 5))
            other_index = py_receipt.replace("index %d\n" % index, "index %d\n" % ((index + 1) % size), 1)
            for bad, leaf_used, quorum in ((py_receipt, self.tree.leaves[index + 1], 0),
                                           ("\n".join(flipped), leaf, 0), (other_index, leaf, 0),
                                           (py_receipt, leaf, 2)):
                self.tool("verify-receipt", self.write("receipt-bad", bad), b64(leaf_used), vkeys[0], vkeys[1],
                          str(quorum), ok=False)
                with self.assertRaises(ref.VerifyError):
                    ref.verify_receipt(bad, leaf_used, log.verifier, [wit.verifier], quorum)
        # with extra data, written by Python and read by C
        extra = ref.format_receipt(3, self.tree.inclusion_proof(3, size), note, extra=b"opaque context")
        self.tool("verify-receipt", self.write("receipt-extra", extra), b64(self.tree.leaves[3]), vkeys[0])
        self.assertEqual(ref.parse_receipt(extra)[0], b"opaque context")


if __name__ == "__main__":
    unittest.main(verbosity=2)
