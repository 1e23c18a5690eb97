"""Witnesses of the verifiable log through the real daemon, CLI and PostgreSQL (docs/verifiable-log.md, "Witnesses"):
`planreg audit witness-key` makes an organisation's cosignature key, the CA registers it (and nobody else may), `audit
witness` cosigns the newest checkpoint, which GetCheckpoint then serves with the cosignature (checked here by the
independent Python implementation, tlog_ref.py), `audit verify --witnesses N` finds the newest checkpoint N trusted
witnesses cosigned and checks that the current tree extends it, the daemon refuses a cosignature by another key, a
forged one, an older tree, an earlier time and a checkpoint its key signed that is not the stored log's, and a witness
that cosigned a tree refuses to cosign one that does not extend it (a database superuser's rewrite signed by a daemon
that lost its state)."""

import json
import os
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import test_log  # noqa: E402
import tlog_ref  # noqa: E402
import wire  # noqa: E402

PERIOD = test_log.PERIOD
EXIT_LOG = test_log.EXIT_LOG
GET_CHECKPOINT, ADD_COSIGNATURE, GET_COSIGNED = 80, 87, 88
PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION = 7, 3, 9


class Witness(test_log.Body):
    """An organisation's machine running the witness: its own key file and its own state."""

    def key_file(self):
        return os.path.join(self.data, "planreg", "witness.key")

    def state_file(self):
        return os.path.join(self.state, "planreg", "witness-" + test_log.ORIGIN.replace("/", "_"))

    def make_key(self, *args):
        r = self.cli("audit", "witness-key", *args)
        if r.returncode != 0:
            raise AssertionError("audit witness-key failed: %s" % r.stderr)
        return r.stdout.strip()

    def witness(self, *args):
        return self.cli("audit", "witness", "--format", "json", *args)


def served_checkpoint(s, cred="viewer"):
    """GetCheckpoint's note, straight off the wire."""
    w = wire.Wire(s.daemon.port, wire.tls_context(s.pki, cred))
    try:
        r = w.call(wire.request(1, GET_CHECKPOINT))
        assert r.code == 0, r
        return wire.first(r.body, 1, b"").decode()
    finally:
        w.close()


def add_cosignature(s, cred, note, line):
    w = wire.Wire(s.daemon.port, wire.tls_context(s.pki, cred))
    try:
        return w.call(wire.request(2, ADD_COSIGNATURE, wire.pb_bytes(1, note.encode()) +
                                   wire.pb_bytes(2, line.encode())))
    finally:
        w.close()


def verify(ws, witnesses, trusted, cred="viewer", name="verifier", fmt="json"):
    """`audit verify --witnesses N` by a fresh body trusting the witness keys given."""
    b = test_log.Body(ws.s, cred, name, ws.ls.vkey)
    env = {"XDG_STATE_HOME": b.state, "XDG_DATA_HOME": b.data, "PLANREG_LOG_VKEY": b.vkey,
           "PLANREG_WITNESS_VKEYS": " ".join(trusted)}
    return ws.s.cli(cred, "audit", "verify", "--witnesses", str(witnesses), "--format", fmt, env=env)


def get_cosigned(s, vkeys, quorum, cred="viewer"):
    w = wire.Wire(s.daemon.port, wire.tls_context(s.pki, cred))
    try:
        body = b"".join(wire.pb_bytes(1, k.encode()) for k in vkeys) + wire.pb_varint(2, quorum)
        return w.call(wire.request(3, GET_COSIGNED, body))
    finally:
        w.close()


class WitnessService:
    def __init__(self, prefix):
        self.ls = test_log.LogService(prefix)
        self.s = self.ls.s
        self.s.enrol_people("submitter-STFC")
        self.a = test_log.Body(self.s, "submitter-CA", "ca", self.ls.vkey)
        self.lcc = Witness(self.s, "submitter-LCC", "lcc", self.ls.vkey)
        self.stfc = Witness(self.s, "submitter-STFC", "stfc", self.ls.vkey)

    def register(self, org, vkey, cred="admin"):
        return self.s.cli(cred, "audit", "witness-enrol", org, vkey, "--format", "json")

    def submit(self, ref, narrative, body=None):
        r = (body or self.a).cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "amber",
                                 "--stage", "concept", "--narrative", narrative)
        assert r.returncode == 0, r.stdout + r.stderr
        return r


class WitnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = WitnessService("witness")
        cls.s = cls.ws.s
        cls.lcc_vkey = cls.ws.lcc.make_key("--name", "lcc.example/witness")
        r = cls.ws.register("LCC", cls.lcc_vkey)
        assert r.returncode == 0, r.stdout + r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.ws.ls.close()

    def verify(self, witnesses, trusted, **kw):
        return verify(self.ws, witnesses, trusted, **kw)

    def test_the_key_is_made_once_and_kept_private(self):
        w = self.ws.lcc
        self.assertEqual(stat.S_IMODE(os.stat(w.key_file()).st_mode), 0o600)
        v = tlog_ref.Verifier.parse(self.lcc_vkey)
        self.assertEqual((v.name, v.type), ("lcc.example/witness", tlog_ref.COSIGNATURE))
        with open(w.key_file()) as f:
            before = f.read()
        self.assertEqual(tlog_ref.Signer.parse(before.strip()).verifier.format(), self.lcc_vkey)
        r = w.cli("audit", "witness-key")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("exists", r.stderr)
        with open(w.key_file()) as f:
            self.assertEqual(f.read(), before)
        os.chmod(w.key_file(), 0o640)  # a key others can read is refused
        try:
            r = w.witness()
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("readable by others (mode 640)", r.stderr)
        finally:
            os.chmod(w.key_file(), 0o600)
        dump = subprocess.run(["pg_dump", "-d", self.s.db], capture_output=True, text=True, check=True).stdout
        self.assertIn("witness_key", dump)
        # the key's base64 is the fifth field (PRIVATE+KEY+name+hash+key) and may itself hold a "+"
        secret = before.strip().split("+", 4)[4]
        self.assertGreater(len(secret), 40)
        self.assertNotIn(secret, dump)

    def test_only_the_ca_registers_a_key(self):
        vkey = tlog_ref.Signer.generate("stfc.example/witness", tlog_ref.COSIGNATURE).verifier.format()
        for cred in ("submitter-STFC", "viewer"):
            r = self.ws.register("STFC", vkey, cred=cred)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("admin", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM witness_key WHERE org_code = 'STFC'"), "0")
        # a log key is not a witness key, and an unknown organisation has none
        r = self.ws.register("STFC", self.ws.ls.vkey)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        r = self.ws.register("NOSUCH", vkey)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no organisation NOSUCH", r.stderr)

    def test_witness_cosigns_and_the_checkpoint_carries_it(self):
        self.ws.submit(15, "Governance review started.")
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        size = self.ws.ls.signed_size()
        self.assertEqual((j["organisation"], j["origin"], j["size"]), ("LCC", test_log.ORIGIN, size))
        self.assertLessEqual(abs(j["time"] - time.time()), 60)
        # the next GetCheckpoint carries the cosignature, which the Python implementation verifies
        note = served_checkpoint(self.s)
        log_v, lcc_v = tlog_ref.Verifier.parse(self.ws.ls.vkey), tlog_ref.Verifier.parse(self.lcc_vkey)
        text, signed = tlog_ref.open_note(note, [log_v, lcc_v])
        self.assertEqual(signed[lcc_v], j["time"])
        self.assertIn(log_v, signed)
        self.assertEqual(tlog_ref.parse_checkpoint(text)[1], size)
        # the witness keeps what it cosigned
        with open(self.ws.lcc.state_file()) as f:
            self.assertEqual(tlog_ref.open_note(f.read(), [log_v, lcc_v])[0], text)
        # audit verify counts the witnesses it trusts
        r = self.verify(1, [self.lcc_vkey])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout)["witnessed"], 1)
        other = tlog_ref.Signer.generate("other.example/witness", tlog_ref.COSIGNATURE).verifier.format()
        r = self.verify(2, [self.lcc_vkey])  # more than are trusted
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("more witnesses than you trust", r.stderr)
        r = self.verify(2, [self.lcc_vkey, other])
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["witnessed"], j["witnessed_size"]), (1, None))
        self.assertTrue(any("no checkpoint of the log is cosigned by 2 of the witnesses you trust (the newest is by 1)"
                            in p for p in j["log_problems"]), j)
        r = self.verify(1, [other])
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout)["witnessed"], 0)
        # a run with nothing new cosigns the same checkpoint again, and the service keeps the first
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_cosignature WHERE tree_size = %d" % size), "1")
        # a newer tree is witnessed by the checkpoint cosigned before, which it extends (the consistency proof)
        self.ws.submit(16, "Capacity benchmark.")
        self.assertEqual(len(tlog_ref.split_note(served_checkpoint(self.s))[1]), 1)  # the newest has no cosignature
        r = self.verify(1, [self.lcc_vkey])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["witnessed"], j["witnessed_size"], j["log_size"]), (1, size, size + 1))
        r = self.verify(1, [self.lcc_vkey], fmt="text")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("cosigned by 1 witnesses at size %d; current size %d consistent" % (size, size + 1), r.stdout)
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((json.loads(r.stdout)["previous_size"], json.loads(r.stdout)["size"]), (size, size + 1))
        j = json.loads(self.verify(1, [self.lcc_vkey]).stdout)
        self.assertEqual((j["witnessed"], j["witnessed_size"], j["log_size"]), (1, size + 1, size + 1))
        # a stored line changed behind the daemon's back is not served (verifiers would refuse the whole note)
        where = "org_code = 'LCC' AND tree_size = %d" % (size + 1)
        line = self.s.sql("SELECT line FROM log_cosignature WHERE " + where)
        raw = bytearray(tlog_ref.unb64(line.split(" ")[2]))
        raw[-1] ^= 1
        change = ("ALTER TABLE log_cosignature DISABLE TRIGGER USER; UPDATE log_cosignature SET line = '%s' WHERE "
                  + where + "; ALTER TABLE log_cosignature ENABLE TRIGGER USER")
        self.s.sql(change % ("%s%s %s\n" % (tlog_ref.DASH, lcc_v.name, tlog_ref.b64(bytes(raw)))))
        try:
            self.assertEqual(len(tlog_ref.split_note(served_checkpoint(self.s))[1]), 1)
            self.assertIn("event=cosignature_corrupt", self.s.daemon.read_log())
            r = self.verify(1, [self.lcc_vkey])
            self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
            self.assertEqual(json.loads(r.stdout)["witnessed"], 0)
        finally:
            self.s.sql(change % (line + "\n"))
        self.assertEqual(self.verify(1, [self.lcc_vkey]).returncode, 0)
        # two witnesses: the newest checkpoint both cosigned is the older one, which the tree extends
        stfc_vkey = self.ws.stfc.make_key("--name", "stfc.example/witness")
        self.assertEqual(self.ws.register("STFC", stfc_vkey).returncode, 0)
        self.ws.submit(15, "Supplier chosen.")
        self.assertEqual(self.ws.stfc.witness().returncode, 0)  # STFC at size + 2
        self.ws.submit(16, "Site survey.")
        self.assertEqual(self.ws.lcc.witness().returncode, 0)  # LCC at size + 3, not size + 2
        r = self.verify(2, [self.lcc_vkey, stfc_vkey])
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)  # no checkpoint has both
        self.assertEqual(self.ws.stfc.witness().returncode, 0)  # STFC at size + 3 too
        self.ws.submit(4, "Contract signed.")
        r = self.verify(2, [self.lcc_vkey, stfc_vkey])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["witnessed"], j["witnessed_size"], j["log_size"]), (2, size + 3, size + 4))
        # what the service answers: that checkpoint's note with both lines, which the Python implementation opens
        r = get_cosigned(self.s, [self.lcc_vkey, stfc_vkey], 2)
        self.assertEqual(r.code, 0, r)
        note = wire.first(r.body, 1, b"").decode()
        stfc_v = tlog_ref.Verifier.parse(stfc_vkey)
        text, signed = tlog_ref.open_note(note, [log_v, lcc_v, stfc_v])
        self.assertEqual((tlog_ref.parse_checkpoint(text)[1], len(signed)), (size + 3, 3))
        r = get_cosigned(self.s, [other], 1)  # nobody cosigned with that key
        self.assertEqual((r.code, wire.first(r.body, 1, b"")), (0, b""), r)
        for keys, quorum in (([self.lcc_vkey], 2), ([self.lcc_vkey], 0), ([], 1), ([self.ws.ls.vkey], 1)):
            r = get_cosigned(self.s, keys, quorum)
            self.assertEqual((r.code, r.reason), (INVALID_ARGUMENT, "invalid_witness_query"), (keys, quorum, r))

    def test_a_cosignature_by_another_key_is_refused(self):
        self.ws.submit(4, "Publicity plan.")
        note = served_checkpoint(self.s, "submitter-LCC")
        text = tlog_ref.split_note(note)[0]
        stranger = tlog_ref.Signer.generate("lcc.example/witness", tlog_ref.COSIGNATURE)
        r = add_cosignature(self.s, "submitter-LCC", note, tlog_ref.signature_line(stranger, text, int(time.time())))
        self.assertEqual((r.code, r.reason), (PERMISSION_DENIED, "cosignature_wrong_key"), r)
        # the registered key's name and id, with a signature that does not verify
        with open(self.ws.lcc.key_file()) as f:
            mine = tlog_ref.Signer.parse(f.read().strip())
        good = tlog_ref.signature_line(mine, text, int(time.time()))
        raw = bytearray(tlog_ref.unb64(good.rstrip("\n").split(" ")[2]))
        raw[-1] ^= 1
        forged = "%s%s %s\n" % (tlog_ref.DASH, mine.name, tlog_ref.b64(bytes(raw)))
        r = add_cosignature(self.s, "submitter-LCC", note, forged)
        self.assertEqual((r.code, r.reason), (INVALID_ARGUMENT, "cosignature_invalid"), r)
        # one line only: more would change the note every verifier is served
        for bad in (good + good, good + "\n" + good, "junk"):
            r = add_cosignature(self.s, "submitter-LCC", note, bad)
            self.assertEqual((r.code, r.reason), (INVALID_ARGUMENT, "cosignature_malformed"), r)
        # a checkpoint the log did not sign
        fake = tlog_ref.sign_note(text, [tlog_ref.Signer.generate(test_log.ORIGIN)])
        r = add_cosignature(self.s, "submitter-LCC", fake, good)
        self.assertEqual((r.code, r.reason), (INVALID_ARGUMENT, "checkpoint_not_signed"), r)
        # another organisation with the LCC's key: STFC has none registered
        r = add_cosignature(self.s, "submitter-STFC", note, good)
        self.assertEqual((r.code, r.reason), (FAILED_PRECONDITION, "witness_key_unregistered"), r)
        r = self.ws.stfc.witness("--key", self.ws.lcc.key_file())
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("STFC has no witness key registered", r.stderr)
        # the CLI with an unregistered key file says whose key the service has
        path = os.path.join(self.ws.lcc.data, "other.key")
        self.ws.lcc.make_key("--key", path)
        r = self.ws.lcc.witness("--key", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("another witness key registered for LCC", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_cosignature WHERE org_code = 'STFC'"), "0")
        # a witness never goes back: the older checkpoint of an early receipt, once a newer one is cosigned
        self.ws.submit(16, "Capacity benchmark, for the witness.")
        self.assertEqual(self.ws.lcc.witness().returncode, 0)
        first = sorted(os.listdir(self.ws.a.receipts()), key=lambda n: int(n.split("-")[1].split(".")[0]))[0]
        with open(os.path.join(self.ws.a.receipts(), first)) as f:
            old_note = tlog_ref.parse_receipt(f.read())[3]
        old_text = tlog_ref.split_note(old_note)[0]
        newest = int(self.s.sql("SELECT max(tree_size) FROM log_cosignature WHERE org_code = 'LCC'"))
        self.assertLess(tlog_ref.parse_checkpoint(old_text)[1], newest)
        r = add_cosignature(self.s, "submitter-LCC", old_note, tlog_ref.signature_line(mine, old_text, int(time.time())))
        self.assertEqual((r.code, r.reason), (FAILED_PRECONDITION, "cosignature_not_newer"), r)
        self.assertIn("already cosigned a tree of %d entries" % newest, r.message)
        # nor back in time: a newer tree cosigned with a time before the last cosignature's
        self.ws.submit(15, "Publicity plan, for the clock.")
        note = served_checkpoint(self.s, "submitter-LCC")
        text = tlog_ref.split_note(note)[0]
        last = int(self.s.sql("SELECT max(cosigned_at) FROM log_cosignature WHERE org_code = 'LCC'"))
        r = add_cosignature(self.s, "submitter-LCC", note, tlog_ref.signature_line(mine, text, last - 3600))
        self.assertEqual((r.code, r.reason), (FAILED_PRECONDITION, "cosignature_time_backwards"), r)
        self.assertIn("at time %d" % last, r.message)
        self.assertEqual(self.s.sql("SELECT max(tree_size) FROM log_cosignature WHERE org_code = 'LCC'"), str(newest))


class InconsistentTreeTest(unittest.TestCase):
    """The witness holds a cosigned tree; a superuser rewrites the history and the daemon, restored without its
    state, signs the rewritten tree: the witness refuses to cosign, loudly, with both checkpoints as evidence."""

    def setUp(self):
        self.ws = WitnessService("witnessrw")
        self.s = self.ws.s
        self.lcc_vkey = self.ws.lcc.make_key()
        self.assertEqual(self.ws.register("LCC", self.lcc_vkey).returncode, 0)

    def tearDown(self):
        self.ws.ls.close()

    def test_a_witness_refuses_a_tree_that_does_not_extend_what_it_cosigned(self):
        self.ws.submit(15, "Governance review started.")
        self.ws.submit(16, "Capacity benchmark.")
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        cosigned = json.loads(r.stdout)["size"]
        self.assertEqual(verify(self.ws, 1, [self.lcc_vkey], name="before").returncode, 0)
        before = served_checkpoint(self.s)  # signed by the log's key, of the history as it was
        first_id = int(self.s.sql("SELECT min(id) FROM progress_update"))
        self.ws.ls.rewrite(first_id, "Governance review finished.")
        self.ws.ls.s.daemon.stop()
        os.unlink(self.ws.ls.state_file)  # restored without its state: it signs whatever the database says
        self.ws.ls.restart()
        # the same size with another head: a fork
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertIn("THE LOG IS INCONSISTENT", r.stderr)
        self.assertIn("same size have different heads", r.stderr)
        self.assertIn("the witness did NOT cosign", r.stderr)
        self.assertEqual(len(self.ws.lcc.evidence()), 2)
        # a verifier finds the tree the witness cosigned, and that the current one (same size) has another head
        r = verify(self.ws, 1, [self.lcc_vkey])
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertTrue(any("is not consistent with the current one" in p for p in json.loads(r.stdout)["log_problems"]),
                        r.stdout)
        # another witness, never cosigned before, offered the old checkpoint the log's key signed: the daemon
        # recomputes the head at that size from its node table, and it is not that one
        stfc_vkey = self.ws.stfc.make_key()
        self.assertEqual(self.ws.register("STFC", stfc_vkey).returncode, 0)
        with open(self.ws.stfc.key_file()) as f:
            stfc = tlog_ref.Signer.parse(f.read().strip())
        old_text = tlog_ref.split_note(before)[0]
        self.assertEqual(tlog_ref.parse_checkpoint(old_text)[1], cosigned)
        r = add_cosignature(self.s, "submitter-STFC", before, tlog_ref.signature_line(stfc, old_text, int(time.time())))
        self.assertEqual((r.code, r.reason), (FAILED_PRECONDITION, "checkpoint_not_in_log"), r)
        self.assertIn("event=cosignature_not_in_log", self.s.daemon.read_log())
        # the checkpoint as the log holds it now is accepted from that witness
        now = served_checkpoint(self.s)
        now_text = tlog_ref.split_note(now)[0]
        r = add_cosignature(self.s, "submitter-STFC", now, tlog_ref.signature_line(stfc, now_text, int(time.time())))
        self.assertEqual(r.code, 0, r)
        # the tree grows on the rewritten history: it does not extend the cosigned one, and the witness that lost
        # its own state still knows the last size from the service
        self.ws.submit(4, "Publicity plan.", body=test_log.Body(self.s, "submitter-CA", "fresh", self.ws.ls.vkey))
        os.unlink(self.ws.lcc.state_file())
        r = self.ws.lcc.witness()
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertIn("does not extend the one of %d seen before" % cosigned, r.stderr)
        self.assertIn("as the service holds it", r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) || ' ' || max(tree_size) FROM log_cosignature WHERE org_code = 'LCC'"),
                         "1 %d" % cosigned)
        # and a verifier finds the grown tree does not extend what the witness cosigned
        r = verify(self.ws, 1, [self.lcc_vkey], name="verifier2")
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertTrue(any("is not consistent with the current one" in p for p in json.loads(r.stdout)["log_problems"]),
                        r.stdout)
        # and the newest checkpoint served carries no cosignature, so a verifier that asks for one fails
        note = served_checkpoint(self.s)
        self.assertEqual(len(tlog_ref.split_note(note)[1]), 1)


class UnsignedLogTest(unittest.TestCase):
    def test_an_unsigned_log_is_not_witnessed(self):
        s = harness.Service("witnessnolog", people=("viewer",))
        try:
            vkey = tlog_ref.Signer.generate("w.example/witness", tlog_ref.COSIGNATURE).verifier.format()
            r = s.cli("viewer", "audit", "verify", "--witnesses", "1", env={"PLANREG_WITNESS_VKEYS": vkey})
            self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
            self.assertIn("does not sign its log, so nothing is witnessed", r.stderr)
            self.assertEqual(s.cli("viewer", "audit", "verify").returncode, 0)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
