"""The verifiable log through the real daemon, CLI and PostgreSQL (docs/verifiable-log.md): `planregd log-key`,
receipts kept by `update submit` and `update review` that verify offline (by the CLI and by the independent Python
implementation, tlog_ref.py), a receipt made by the Python implementation verified by the CLI, the newest
checkpoint held by every CLI and checked for consistency, and what the database superuser cannot hide: a return
rewritten with every hash the database holds recomputed is found by the body holding a receipt, the daemon refuses
to sign a tree that does not extend its last one, and a daemon that lost its state (so signs the rewritten tree) is
caught as a fork or an inconsistency, with both checkpoints kept as evidence."""

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import tlog_ref  # noqa: E402

PERIOD = "2026-Q3"
ORIGIN = "log.test.example/planreg"
EXIT_LOG = 4


def make_key(path, origin=ORIGIN):
    r = harness.run([harness.PLANREGD, "log-key"], env={"PLANREGD_LOG_KEY": path, "PLANREGD_LOG_ORIGIN": origin})
    if r.returncode != 0:
        raise AssertionError("planregd log-key failed: %s" % r.stderr)
    return r.stdout.strip()


def lstr(key, value):
    return "%s=%d:%s\n" % (key, len(value.encode()), value)


def content_bytes(row):
    """docs/audit.md's canonical content of an update without money, milestones or risks (this module's)."""
    return ("planreg-update-v1\nref=%s\n" % row["ref"] + lstr("period", row["period"]) +
            lstr("confidence", row["confidence"]) + lstr("stage", row["stage"]) + lstr("narrative", row["narrative"]) +
            "spend_to_date_pence=-\nforecast_total_pence=-\n" + lstr("variance_note", row["variance_note"]) +
            "milestones=0\nrisks=0\n").encode()


def record_bytes(row):
    return ("revision=%s\n" % row["revision"] + lstr("submitted_by", row["submitted_by"]) +
            lstr("submitted_org", row["submitted_org"]) + lstr("submitted_person", row["submitted_person"]) +
            "on_behalf=%s\n" % row["on_behalf"] + lstr("submitted_at", row["submitted_at"])).encode()


class Body:
    """One organisation's CLI: its own credential and its own $XDG_STATE_HOME / $XDG_DATA_HOME."""

    def __init__(self, s, cred, name, vkey):
        self.s, self.cred, self.vkey = s, cred, vkey
        self.state = os.path.join(s.tmp, "state-" + name)
        self.data = os.path.join(s.tmp, "data-" + name)

    def cli(self, *args, **kw):
        env = {"XDG_STATE_HOME": self.state, "XDG_DATA_HOME": self.data, "PLANREG_LOG_VKEY": self.vkey}
        return self.s.cli(self.cred, *args, env=env, **kw)

    def receipts(self):
        return os.path.join(self.data, "planreg", "receipts")

    def held(self):
        with open(os.path.join(self.state, "planreg", "checkpoint-" + ORIGIN.replace("/", "_"))) as f:
            return f.read()

    def evidence(self):
        return sorted(glob.glob(os.path.join(self.state, "planreg", "evidence", "*")))


class LogService:
    """A Service whose daemon signs its log with a key made by `planregd log-key`."""

    def __init__(self, prefix):
        self.keydir = tempfile.mkdtemp(prefix="planreg-logkey-")
        self.key = os.path.join(self.keydir, "log.key")
        self.vkey = make_key(self.key)
        self.env = {"PLANREGD_LOG_KEY": self.key, "PLANREGD_LOG_ORIGIN": ORIGIN}
        self.s = harness.Service(prefix, daemon_env=self.env, people=("viewer", "submitter-CA", "submitter-LCC"))
        self.state_file = self.key + ".state"

    def restart(self):
        self.s.daemon.stop()
        self.s.daemon = harness.Daemon(self.s.db, self.s.pki, self.s.tmp, self.env)

    def signed_size(self):
        with open(self.state_file) as f:
            return int(f.read().split("\n")[1])

    def rewrite(self, update_id, narrative):
        """As the database superuser: changes an update's narrative and recomputes every hash the database
        holds (its content digest, the chain from it on, every update's leaf and the whole node table)."""
        cols = ("id", "ref", "period", "revision", "confidence", "stage", "narrative", "variance_note", "submitted_by",
                "submitted_org", "submitted_person", "on_behalf", "submitted_at", "prev_hash", "hash")
        rows = []
        out = self.s.sql("SELECT u.id, p.ref, u.period, u.revision, u.confidence, u.stage, u.narrative, u.variance_note,"
                         " u.submitted_by, u.submitted_org, u.submitted_person, u.on_behalf, "
                         "planreg_log_time(u.submitted_at), u.prev_hash, u.hash FROM progress_update u "
                         "JOIN project p ON p.id = u.project_id ORDER BY u.id")
        for line in out.split("\n"):
            row = dict(zip(cols, line.split("|")))
            row["on_behalf"] = "true" if row["on_behalf"] == "t" else "false"
            rows.append(row)
        sql = ["ALTER TABLE progress_update DISABLE TRIGGER USER", "ALTER TABLE log_leaf DISABLE TRIGGER USER",
               "ALTER TABLE log_node DISABLE TRIGGER USER"]
        prev = "0" * 64
        for row in rows:
            if int(row["id"]) == update_id:
                row["narrative"] = narrative
            content = content_bytes(row)
            h = hashlib.sha256(prev.encode() + b"\n" + content + record_bytes(row)).hexdigest()
            if int(row["id"]) >= update_id:
                sql.append("UPDATE progress_update SET narrative = '%s', content_sha256 = '%s', prev_hash = '%s',"
                           " hash = '%s' WHERE id = %s" % (row["narrative"].replace("'", "''"),
                                                          hashlib.sha256(content).hexdigest(), prev, h, row["id"]))
            prev = h
        sql.append("UPDATE log_leaf l SET entry = planreg_log_update_entry(u) FROM progress_update u"
                   " WHERE l.update_id = u.id")
        self.s.sql(";".join(sql))
        self.rebuild_nodes()

    def rebuild_nodes(self):
        """As the database superuser: the whole node table made again from the leaves as they are now."""
        entries = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx").split("\n")
        tree = tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries])
        nodes = []
        level = 0
        while (1 << level) <= len(entries):
            for i in range(len(entries) >> level):
                h = tree.mth(i << level, (i + 1) << level)
                nodes.append("(%d, %d, '\\x%s')" % (level, i, h.hex()))
            level += 1
        self.s.sql("ALTER TABLE log_node DISABLE TRIGGER USER; DELETE FROM log_node;"
                   "INSERT INTO log_node (level, idx, hash) VALUES %s;"
                   "ALTER TABLE progress_update ENABLE TRIGGER USER; ALTER TABLE log_leaf ENABLE TRIGGER USER;"
                   "ALTER TABLE log_node ENABLE TRIGGER USER" % ", ".join(nodes))

    def close(self):
        self.s.close()


class LogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ls = LogService("log")
        cls.s = cls.ls.s
        cls.a = Body(cls.s, "submitter-CA", "ca", cls.ls.vkey)

    @classmethod
    def tearDownClass(cls):
        cls.ls.close()

    def submit(self, body, ref, narrative, *extra):
        r = body.cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "green", "--stage", "concept",
                     "--narrative", narrative, "--format", "json", *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def read(self, path):
        with open(path) as f:
            return f.read()

    # ------------------------------------------------------------ the key

    def test_log_key_is_made_once_and_kept_private(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.ls.key).st_mode), 0o600)
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        self.assertEqual((v.name, v.type), (ORIGIN, tlog_ref.ED25519))
        with open(self.ls.key) as f:
            self.assertEqual(tlog_ref.Signer.parse(f.read().strip()).verifier.format(), self.ls.vkey)
        before = self.read(self.ls.key)
        r = harness.run([harness.PLANREGD, "log-key"], env={"PLANREGD_LOG_KEY": self.ls.key})
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        self.assertEqual(self.read(self.ls.key), before)
        # the key is never in the database
        seed = before.strip().split("+", 4)[4]
        self.assertEqual(len(seed), 44)
        dump = subprocess.run(["pg_dump", "-d", self.s.db], capture_output=True, text=True, check=True).stdout
        self.assertIn("log_leaf", dump)
        self.assertFalse(seed in dump or seed[4:40] in dump, "the signing key is in the database")

    def test_daemon_refuses_a_key_others_can_read(self):
        path = os.path.join(self.ls.keydir, "open.key")
        make_key(path)
        os.chmod(path, 0o644)
        env = dict(os.environ)
        env.update(harness.daemon_env(harness.dsn(self.s.db, harness.APP_ROLE), self.s.pki))
        env.update({"PLANREGD_LOG_KEY": path})
        r = subprocess.run([harness.PLANREGD], env=env, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("readable by others", r.stderr)
        os.chmod(path, 0o600)  # and an origin that is not the key's name
        env["PLANREGD_LOG_ORIGIN"] = "another.example/planreg"
        r = subprocess.run([harness.PLANREGD], env=env, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("log_origin is another.example/planreg but log_key is named %s" % ORIGIN, r.stderr)

    # ------------------------------------------------------------ receipts

    def test_receipt_verifies_offline_by_the_cli_and_by_python(self):
        u = self.submit(self.a, 15, "Governance review started.")
        self.assertIsInstance(u["leaf_index"], int)
        path = os.path.join(self.a.receipts(), "update-%d.proof" % u["update_id"])
        text = self.read(path)
        self.assertTrue(text.startswith("c2sp.org/tlog-proof@v1\nextra "))
        shown = self.a.cli("update", "receipt", str(u["update_id"]))
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(shown.stdout, text)
        # the CLI, offline (no server given at all)
        env = {"PLANREG_SERVER": "localhost:1", "XDG_DATA_HOME": "/nonexistent"}
        r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", self.ls.vkey, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("receipt verified: update %d (project 15, %s revision %d) is entry %d of %s"
                      % (u["update_id"], PERIOD, u["revision"], u["leaf_index"], ORIGIN), r.stdout)
        # the independent implementation: the daemon's checkpoint, signature and proof
        extra, index, _, note = tlog_ref.parse_receipt(text)
        origin, size, root, _ = tlog_ref.verify_receipt(text, tlog_ref.leaf_hash(extra),
                                                        tlog_ref.Verifier.parse(self.ls.vkey))
        self.assertEqual((origin, index), (ORIGIN, u["leaf_index"]))
        self.assertGreater(size, index)
        # what the leaf says is what the database holds
        entry = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf WHERE update_id = %d" % u["update_id"])
        self.assertEqual(extra, bytes.fromhex(entry))
        self.assertIn(b"content_sha256=%s\n" % self.s.sql("SELECT content_sha256 FROM progress_update WHERE id = %d"
                                                          % u["update_id"]).encode(), extra)
        # refusals: another log's key, a changed entry, a changed proof
        other = tlog_ref.Signer.generate(ORIGIN).verifier.format()
        r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", other, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does NOT verify", r.stderr)
        forged = tlog_ref.format_receipt(index, tlog_ref.parse_receipt(text)[2], note,
                                         extra=extra.replace(b"revision=%d" % u["revision"],
                                                             b"revision=%d" % (u["revision"] + 1)))
        bad = os.path.join(self.s.tmp, "forged.proof")
        with open(bad, "w") as f:
            f.write(forged)
        r = self.s.cli(None, "audit", "check-receipt", bad, "--vkey", self.ls.vkey, env=env)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("does NOT verify", r.stderr)
        with self.assertRaises(tlog_ref.VerifyError):
            tlog_ref.verify_receipt(forged, tlog_ref.leaf_hash(tlog_ref.parse_receipt(forged)[0]),
                                    tlog_ref.Verifier.parse(self.ls.vkey))

    def test_cli_verifies_a_receipt_python_made(self):
        signer = tlog_ref.Signer.generate("python.example/log")
        entries = [("entry %d\n" % i).encode() for i in range(7)]
        tree = tlog_ref.Tree([tlog_ref.leaf_hash(e) for e in entries])
        note = tlog_ref.sign_note(tlog_ref.format_checkpoint("python.example/log", 7, tree.root(7)), [signer])
        path = os.path.join(self.s.tmp, "python.proof")
        with open(path, "w") as f:
            f.write(tlog_ref.format_receipt(5, tree.inclusion_proof(5, 7), note, extra=entries[5]))
        r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", signer.verifier.format(), "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["ok"], j["index"], j["origin"], j["size"]), (True, 5, "python.example/log", 7))
        with open(path, "w") as f:  # the proof of another index
            f.write(tlog_ref.format_receipt(5, tree.inclusion_proof(4, 7), note, extra=entries[5]))
        r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", signer.verifier.format())
        self.assertEqual(r.returncode, 1, r.stdout)

    def test_a_batch_keeps_a_receipt_per_row(self):
        data = ("ref,period,confidence,stage,narrative\n15,%s,amber,concept,Batch row one.\n"
                "16,%s,amber,concept,Batch row two.\n" % (PERIOD, PERIOD))
        b = Body(self.s, "submitter-CA", "batch", self.ls.vkey)
        r = b.cli("update", "submit", "--csv", "-", "--format", "json", input=data)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual([x["result"] for x in rows], ["submitted", "submitted"])
        for x in rows:
            path = os.path.join(b.receipts(), "update-%d.proof" % x["update_id"])
            c = self.s.cli(None, "audit", "check-receipt", path, "--vkey", self.ls.vkey)
            self.assertEqual(c.returncode, 0, c.stdout + c.stderr)
            self.assertIn("update %d (project %d" % (x["update_id"], x["ref"]), c.stdout)

    def test_review_has_a_receipt(self):
        u = self.submit(self.a, 16, "Capacity benchmark.")
        admin = Body(self.s, "admin", "admin", self.ls.vkey)
        r = admin.cli("update", "review", str(u["update_id"]), "--return", "Say which benchmark.")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"leaf \d+ in the log")
        (path,) = glob.glob(os.path.join(admin.receipts(), "review-*.proof"))
        extra = tlog_ref.parse_receipt(self.read(path))[0]
        self.assertIn(b"kind=review\n", extra)
        self.assertIn(b"update_id=%d\n" % u["update_id"], extra)
        self.assertIn(b"comment=20:Say which benchmark.\n", extra)
        r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", self.ls.vkey)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("review ", r.stdout)
        # a review changed behind the daemon's back no longer matches its leaf
        rid = int(self.s.sql("SELECT id FROM update_review WHERE update_id = %d" % u["update_id"]))
        change = ("ALTER TABLE update_review DISABLE TRIGGER USER; UPDATE update_review SET comment = '%s' "
                  "WHERE id = %d; ALTER TABLE update_review ENABLE TRIGGER USER")
        self.s.sql(change % ("Looks fine.", rid))
        try:
            r = self.s.cli("viewer", "audit", "verify")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("audit chain BROKEN at update %d: review %d of update %d does not match its leaf"
                          % (u["update_id"], rid, u["update_id"]), r.stdout)
        finally:
            self.s.sql(change % ("Say which benchmark.", rid))
        self.assertEqual(self.s.cli("viewer", "audit", "verify").returncode, 0)

    def test_every_cli_holds_the_newest_checkpoint(self):
        b = Body(self.s, "submitter-CA", "monitor", self.ls.vkey)
        self.submit(b, 4, "Publicity plan.")
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        first = tlog_ref.parse_checkpoint(tlog_ref.open_note(b.held(), [v])[0])
        self.submit(self.a, 4, "Publicity plan, second go.")
        self.submit(self.a, 15, "Governance review, the second revision.")
        self.submit(b, 16, "Capacity benchmark, again.")  # sees the newer tree: consistent with the held one
        second = tlog_ref.parse_checkpoint(tlog_ref.open_note(b.held(), [v])[0])
        self.assertEqual(second[1], first[1] + 3)
        self.submit(self.a, 16, "Capacity benchmark, once more.")
        viewer = Body(self.s, "viewer", "monitor", self.ls.vkey)  # the same folders: one body's machine
        r = viewer.cli("audit", "verify", "--receipts", b.receipts(), "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        j = json.loads(r.stdout)
        self.assertTrue(j["log_checked"])
        self.assertEqual(j["log_problems"], [])
        self.assertEqual(j["receipts_checked"], 2)
        newer = tlog_ref.parse_checkpoint(tlog_ref.open_note(b.held(), [v])[0])
        self.assertEqual(newer[1], second[1] + 1)
        self.assertEqual(newer[1], j["log_size"])
        self.assertEqual(newer[1], int(self.s.sql("SELECT count(*) FROM log_leaf")))
        # the held checkpoint is the one the daemon keeps as its own state
        self.assertEqual(b.held(), self.read(self.ls.state_file))
        self.assertEqual(b.evidence(), [])
        # the Python implementation checks the consistency of the two trees the CLI held, from the leaves
        entries = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx").split("\n")
        tree = tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries])
        self.assertEqual(tree.root(first[1]), first[2])
        tlog_ref.verify_consistency(first[1], newer[1], tree.consistency_proof(first[1], newer[1]), first[2], newer[2])

    def test_concurrent_writes_each_get_a_receipt_under_one_tree(self):
        import concurrent.futures
        admin = Body(self.s, "admin", "parallel", self.ls.vkey)
        refs = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            got = list(ex.map(lambda ref: self.submit(admin, ref, "In parallel, project %d." % ref), refs))
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        indices = set()
        for u in got:
            text = self.read(os.path.join(admin.receipts(), "update-%d.proof" % u["update_id"]))
            extra, index, _, _ = tlog_ref.parse_receipt(text)
            tlog_ref.verify_receipt(text, tlog_ref.leaf_hash(extra), v)
            self.assertEqual(index, u["leaf_index"])
            indices.add(index)
        self.assertEqual(len(indices), len(refs))
        self.assertEqual(admin.evidence(), [])
        self.assertNotIn("log_busy", self.s.daemon.read_log())
        # every checkpoint signed meanwhile was consistent with the one before: the last one is the daemon's
        # state, and it makes the head of every entry stored
        entries = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx").split("\n")
        tree = tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries])
        cp = tlog_ref.parse_checkpoint(tlog_ref.open_note(self.read(self.ls.state_file), [v])[0])
        self.assertEqual(cp[1], len(entries))
        self.assertEqual(cp[2], tree.root(len(entries)))

    def test_receipts_come_from_their_batch(self):
        # one writer at a time: each return's batch signs the tree it made and reads its leaf's proof in the same
        # query, so its receipt is made from the batch, with no read of its own (log_seq.c, log.c) -- and it
        # verifies offline like any other
        d = self.s.daemon
        batch, read = d.metric("planregd_log_receipts_total", made="batch"), d.metric("planregd_log_receipts_total",
                                                                                    made="read")
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        admin = Body(self.s, "admin", "one-by-one", self.ls.vkey)
        for ref in (33, 34, 35):
            u = self.submit(admin, ref, "One at a time, project %d." % ref)
            text = self.read(os.path.join(admin.receipts(), "update-%d.proof" % u["update_id"]))
            extra, index, _, _ = tlog_ref.parse_receipt(text)
            tlog_ref.verify_receipt(text, tlog_ref.leaf_hash(extra), v)
            self.assertEqual(index, u["leaf_index"])
            self.assertIn(b"update_id=%d\n" % u["update_id"], extra)
        self.assertEqual(d.metric("planregd_log_receipts_total", made="batch") - batch, 3)
        self.assertEqual(d.metric("planregd_log_receipts_total", made="read") - read, 0)

    def test_leaves_follow_the_history(self):
        self.submit(self.a, 4, "Publicity plan, a third go.")
        # every update and review is one leaf, nothing is left queued, and no index is missing
        self.assertEqual(self.s.sql("SELECT count(*) = (SELECT count(*) FROM progress_update) + (SELECT count(*) "
                                    "FROM update_review) AND max(idx) + 1 = count(*) FROM log_leaf"), "t")
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_pending"), "0")
        # the chain's order is the log's (the sequencer links each update to the one whose leaf came before it,
        # migrations/0025; concurrent writes, as in the test above, commit out of id order): every update's
        # prev_hash is the hash of the update of the leaf before it, the first one's the zero hash
        self.assertEqual(self.s.sql("SELECT bool_and(ok) FROM (SELECT u.prev_hash = coalesce(lag(u.hash) OVER "
                                    "(ORDER BY l.idx), repeat('0', 64)) AS ok FROM log_leaf l JOIN progress_update "
                                    "u ON u.id = l.update_id) x"), "t")
        # the daemon's role may read the log, never write it
        for sql in ("INSERT INTO log_node VALUES (0, 999999, sha256(''))", "DELETE FROM log_leaf"):
            app = subprocess.run(["psql", "-X", "-d", harness.dsn(self.s.db, harness.APP_ROLE), "-c", sql],
                                 capture_output=True, text=True)
            self.assertNotEqual(app.returncode, 0)
            self.assertIn("permission denied", app.stderr)
        owner = subprocess.run(["psql", "-X", "-d", self.s.db, "-c", "UPDATE log_node SET hash = sha256('x')"],
                               capture_output=True, text=True)
        self.assertIn("append-only", owner.stderr)
        # the node table is the tree of the leaves
        entries = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx").split("\n")
        tree = tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries])
        n = len(entries)
        top = n.bit_length() - 1
        self.assertEqual(self.s.sql("SELECT encode(hash, 'hex') FROM log_node WHERE level = %d AND idx = 0" % top),
                         tree.mth(0, 1 << top).hex())
        self.assertEqual(int(self.s.sql("SELECT count(*) FROM log_node")), 2 * n - bin(n).count("1"))


class RewriteTest(unittest.TestCase):
    """The database superuser rewrites an old return and recomputes every hash the database holds."""

    def setUp(self):
        self.ls = LogService("logrw")
        self.s = self.ls.s
        self.a = Body(self.s, "submitter-CA", "ca", self.ls.vkey)
        self.b = Body(self.s, "viewer", "viewer", self.ls.vkey)

    def tearDown(self):
        self.ls.close()

    def submit(self, ref, narrative, body=None):
        r = (body or self.a).cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "amber",
                                 "--stage", "concept", "--narrative", narrative, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def test_rewrite_found_by_the_receipt_holder_and_never_signed(self):
        u = self.submit(15, "Governance review started.")
        self.submit(16, "Capacity benchmark.")
        self.submit(4, "Publicity plan.")
        ok = self.b.cli("audit", "verify")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        signed = self.ls.signed_size()
        self.ls.rewrite(u["update_id"], "Governance review finished, all approved.")
        # the database's own checks pass: the chain and every leaf were recomputed
        r = self.b.cli("audit", "verify", "--receipts", self.a.receipts(), "--format", "json")
        j = json.loads(r.stdout)
        self.assertTrue(j["ok"], r.stdout)
        # but the log no longer makes the head the daemon signed, and the receipt's return is named
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertTrue(any("do not make the head of its signed checkpoint" in p for p in j["log_problems"]), j)
        named = "update %d (project 15, %s revision 1), entry %d of the log, is no longer what your receipt" % (
            u["update_id"], PERIOD, u["leaf_index"])
        self.assertTrue(any(named in p for p in j["log_problems"]), j)
        # and its submitter's signature no longer verifies over the rewritten content (migration 0020)
        forged = "update %d (project 15, %s revision 1), entry %d of the log, fails its submitter's signature" % (
            u["update_id"], PERIOD, u["leaf_index"])
        self.assertTrue(any(p.startswith(forged) for p in j["log_problems"]), j)
        r = self.b.cli("audit", "verify", "--receipts", self.a.receipts())
        self.assertEqual(r.returncode, EXIT_LOG)
        self.assertIn("log BROKEN: " + named, r.stdout)
        # and the submitter who kept the receipt finds it itself
        own = self.a.cli("audit", "verify")
        self.assertEqual(own.returncode, EXIT_LOG, own.stdout + own.stderr)
        self.assertIn("log BROKEN: " + named, own.stdout)
        # the daemon will not sign a tree that does not extend its last one
        r = self.a.cli("update", "submit", "16", "--period", PERIOD, "--confidence", "red", "--stage", "concept",
                       "--narrative", "After the rewrite.")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no longer extends the last checkpoint it signed", r.stderr)
        self.assertIn("event=log_not_extending", self.s.daemon.read_log())
        self.assertEqual(self.ls.signed_size(), signed)
        r = self.b.cli("audit", "verify")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.ls.signed_size(), signed)
        self.assertEqual(self.a.evidence(), [])

    def test_a_daemon_that_lost_its_state_is_caught_as_a_fork(self):
        self.submit(15, "Governance review started.")
        self.submit(16, "Capacity benchmark.")
        ok = self.b.cli("audit", "verify")  # the viewer holds the tree of 2 entries
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        held = self.b.held()
        first_id = int(self.s.sql("SELECT min(id) FROM progress_update"))
        self.ls.rewrite(first_id, "Governance review finished.")
        self.ls.s.daemon.stop()
        os.unlink(self.ls.state_file)  # restored without its state: it signs whatever the database says
        self.ls.restart()
        # the viewer is shown a checkpoint of the same size with another head: a fork, both kept
        r = self.b.cli("audit", "verify")
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertIn("THE LOG IS INCONSISTENT", r.stderr)
        self.assertIn("same size have different heads", r.stderr)
        ev = self.b.evidence()
        self.assertEqual(len(ev), 2)
        kept = {}
        for p in ev:
            with open(p) as f:
                kept[os.path.basename(p).split("-")[-1]] = f.read()
        self.assertEqual(kept["held.checkpoint"], held)
        seen = kept["seen.checkpoint"]
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        a = tlog_ref.parse_checkpoint(tlog_ref.open_note(held, [v])[0])
        c = tlog_ref.parse_checkpoint(tlog_ref.open_note(seen, [v])[0])
        self.assertEqual(a[1], c[1])  # both signed, same size, different heads
        self.assertNotEqual(a[2], c[2])
        self.assertEqual(self.b.held(), held)  # the held one is not replaced by the fork
        # the submitter, holding the same tree, submits: the new tree does not extend it
        r = self.a.cli("update", "submit", "4", "--period", PERIOD, "--confidence", "amber", "--stage", "concept",
                       "--narrative", "Publicity plan.")
        self.assertEqual(r.returncode, EXIT_LOG, r.stdout + r.stderr)
        self.assertIn("does not extend the one of 2 seen before", r.stderr)
        self.assertEqual(len(self.a.evidence()), 2)


class SequencerCrashTest(unittest.TestCase):
    """Returns are written concurrently and given their leaves by the sequencer in batches (migrations/0025,
    server/handlers/log_seq.c; docs/verifiable-log.md, "The sequencer"). planregd is killed with SIGKILL under
    concurrent CLI submitters: while a batch waits for the chain's lock with returns queued, under load at
    several delays, and between a batch's commit and the state file's write (PLANREGD_TEST_SIGN_PAUSE_MS). No
    acknowledged return is lost, no signed checkpoint counts leaves that are not stored (or has another head), a
    return resent with its key lands once, and revisions stay 1..n per project and period."""

    REFS = (40, 41, 42)

    @classmethod
    def setUpClass(cls):
        cls.ls = LogService("logcrash")
        cls.s = cls.ls.s

    @classmethod
    def tearDownClass(cls):
        cls.ls.close()

    def start(self, **env):
        self.s.daemon = harness.Daemon(self.s.db, self.s.pki, self.s.tmp, dict(self.ls.env, **env))

    def kill(self):
        """SIGKILL the daemon; the checkpoint its state file holds must then be the head of the leaves stored."""
        d = self.s.daemon
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)
        d.log.close()
        self.assertEqual(d.proc.returncode, -signal.SIGKILL)
        self.assertIsNone(harness.sanitizer_report(d.read_log()))
        return self.assert_state_reproducible()

    def ensure_running(self):
        if self.s.daemon.proc.poll() is not None:
            self.start()

    def assert_state_reproducible(self):
        """The newest signed checkpoint (the state file) made again from the stored leaves; returns its size."""
        if not os.path.exists(self.ls.state_file):
            return 0
        with open(self.ls.state_file) as f:
            text = tlog_ref.open_note(f.read(), [tlog_ref.Verifier.parse(self.ls.vkey)])[0]
        _, size, root, _ = tlog_ref.parse_checkpoint(text)
        rows = self.s.sql("SELECT encode(entry, 'hex') FROM log_leaf WHERE idx < %d ORDER BY idx" % size)
        entries = rows.split("\n") if rows else []
        self.assertEqual(len(entries), size, "the signed checkpoint counts leaves that are not stored")
        self.assertEqual(tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries]).root(size), root,
                         "the signed checkpoint's head is not the stored leaves'")
        return size

    def send(self, body, ref, key, narrative):
        return body.cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "green", "--stage",
                        "concept", "--narrative", narrative, "--idempotency-key", key, "--format", "json",
                        timeout=60)

    def submitter(self, body, name, stop, results):
        n = 0
        while not stop.is_set():
            n += 1
            ref = self.REFS[n % len(self.REFS)]
            key = "%s-%d" % (name, n)
            r = self.send(body, ref, key, "Crash test: %s, return %d." % (name, n))
            results.append((key, ref, "Crash test: %s, return %d." % (name, n), r))
            if r.returncode != 0:
                time.sleep(0.1)  # the daemon is down: no need to spin

    def stored(self, prefix):
        """idempotency key -> (update id, leaf index or None, revision) of the returns whose key starts so."""
        out = self.s.sql("SELECT u.idempotency_key, u.id, l.idx, u.revision FROM progress_update u LEFT JOIN log_leaf "
                         "l ON l.update_id = u.id WHERE u.idempotency_key LIKE '%s%%'" % prefix)
        rows = [line.split("|") for line in out.split("\n") if line]
        self.assertEqual(len(rows), len({r[0] for r in rows}), "a key stored twice")
        return {r[0]: (int(r[1]), int(r[2]) if r[2] else None, int(r[3])) for r in rows}

    def resend_unacknowledged(self, body, results):
        """Every return whose client saw no answer goes again with its key; returns key -> its answer."""
        again = {}
        for key, ref, narrative, r in results:
            if r.returncode != 0:
                r2 = self.send(body, ref, key, narrative)
                self.assertEqual(r2.returncode, 0, "%s resent: %s%s" % (key, r2.stdout, r2.stderr))
                again[key] = json.loads(r2.stdout)
        return again

    def assert_all_in_the_log(self, body, prefix, answers):
        """Each answer (key -> the CLI's JSON) is the stored return, in the log at its index, its receipt verifies
        offline and against the tree; nothing is left queued; revisions are 1..n; the log verifies."""
        stored = self.stored(prefix)
        self.assertEqual(set(stored), set(answers))
        for key, u in answers.items():
            self.assertEqual(stored[key], (u["update_id"], u["leaf_index"], u["revision"]), key)
            path = os.path.join(body.receipts(), "update-%d.proof" % u["update_id"])
            r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", self.ls.vkey, env={"PLANREG_SERVER": "localhost:1"})
            self.assertEqual(r.returncode, 0, key + ": " + r.stdout + r.stderr)
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_pending"), "0")
        self.assertEqual(self.s.sql("SELECT count(*) FROM (SELECT revision, row_number() OVER (PARTITION BY "
                                    "project_id, period ORDER BY revision) AS n FROM progress_update) x "
                                    "WHERE revision <> n"), "0")
        r = body.cli("audit", "verify", "--receipts", body.receipts())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(body.evidence(), [])
        self.assertGreater(self.assert_state_reproducible(), max(u["leaf_index"] for u in answers.values()))

    def hold_chain_lock(self):
        """A session holding the chain's advisory lock (migrations/0025: only the sequencer's batch takes it)."""
        holder = subprocess.Popen(["psql", "-X", "-q", "-At", "-d", self.s.db], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.kill)
        holder.stdin.write("SELECT pg_advisory_lock(31644363112211817);\nSELECT 'locked';\n")
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), "")
        self.assertEqual(holder.stdout.readline().strip(), "locked")
        return holder

    def test_sigkill_under_concurrent_submitters_loses_no_acknowledged_return(self):
        body = Body(self.s, "admin", "crash", self.ls.vkey)
        stop = threading.Event()
        results = []
        threads = [threading.Thread(target=self.submitter, args=(body, "crash-t%d" % i, stop, results), daemon=True)
                   for i in range(6)]

        def acked():
            return len([1 for x in results if x[3].returncode == 0])
        # a batch pending: with the chain's lock held, the batch waits for it and the returns wait in the daemon,
        # none written (the batch writes them, migrations/0031)
        holder = self.hold_chain_lock()
        for t in threads:
            t.start()
        try:
            harness.wait_until("a batch waiting for the held lock", lambda: self.s.sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid = (31644363112211817 & 4294967295)") == "1", 30)
            time.sleep(1.0)  # the other submitters' returns queue behind it
            self.assertEqual(acked(), 0, "a return was answered without its leaf")
            self.assertEqual(self.s.sql("SELECT count(*) FROM progress_update WHERE idempotency_key LIKE 'crash-%'"),
                             "0", "a return was written outside its batch")
            self.kill()
            holder.stdin.write("SELECT pg_advisory_unlock_all();\n")
            holder.stdin.close()
            holder.wait(10)
            holder.stdout.close()
            self.start()
            # under load, at several moments after the daemon came back
            for delay in (0.5, 1.3, 2.2):
                n = acked()
                time.sleep(delay)
                harness.wait_until("returns answered by the new daemon", lambda: acked() >= n + 3, 30)
                self.kill()
                self.start()
            # and once between a batch's commit and its checkpoint (the state file's write paused): the
            # returns of that batch are written, and their calls are cut before any answer
            self.kill()
            self.start(PLANREGD_TEST_SIGN_PAUSE_MS="3000")
            self.s.daemon.wait_log(r"event=log_sign_paused", 60)
            self.kill()
            self.start()
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
            self.ensure_running()
        answers = {key: json.loads(r.stdout) for key, _, _, r in results if r.returncode == 0}
        cut = [key for key, _, _, r in results if r.returncode != 0]
        self.assertGreater(len(answers), 10)
        self.assertTrue(cut, "no return was cut by a kill: the kills proved nothing")
        again = self.resend_unacknowledged(body, results)
        # a return written before the kill that cut it is found by its key, not written again
        replayed = [key for key, u in again.items() if u["replayed"]]
        self.assertTrue(replayed, "no cut return had been written")
        print("\n%d returns answered, %d cut by the 6 kills (%d of them written before it)" % (
            len(answers), len(cut), len(replayed)), file=sys.stderr)
        answers.update(again)
        self.assert_all_in_the_log(body, "crash-", answers)

    def test_sigkill_between_the_batch_commit_and_the_checkpoint(self):
        body = Body(self.s, "admin", "pause", self.ls.vkey)
        self.s.daemon.stop()
        self.start(PLANREGD_TEST_SIGN_PAUSE_MS="60000")
        mark = self.s.daemon.log_mark()
        before = self.assert_state_reproducible()
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(
            ("pause-%d" % i, self.REFS[i % 3], "Paused: %d." % i,
             self.send(body, self.REFS[i % 3], "pause-%d" % i, "Paused: %d." % i))), daemon=True) for i in range(4)]
        try:
            for t in threads:
                t.start()
            # the daemon holds a grown tree it has not written to its state file yet: the batch has committed
            size = int(self.s.daemon.wait_log(r"event=log_sign_paused size=(\d+)", 60, since=mark).group(1))
            self.assertGreater(size, before)
            self.assertGreaterEqual(int(self.s.sql("SELECT count(*) FROM log_leaf")), size)
            # the state file is written by a thread of its own: the event loop goes on serving while it waits
            # (the metrics endpoint is served by the same loop and needs no database connection)
            t0 = time.monotonic()
            self.assertGreaterEqual(self.s.daemon.metric("planregd_connections_open"), 0)
            self.assertLess(time.monotonic() - t0, 5, "the event loop stopped while a checkpoint was written")
            self.assertEqual(self.kill(), before, "the state file moved before the checkpoint was written")
            self.start()
            for t in threads:
                t.join(120)
        finally:
            self.ensure_running()
        self.assertEqual(len(results), 4)
        self.assertEqual([r.returncode != 0 for _, _, _, r in results], [True] * 4, "answered before it was signed")
        written = self.stored("pause-")
        self.assertTrue(any(idx is not None and idx < size for _, idx, _ in written.values()))
        again = self.resend_unacknowledged(body, results)
        for key, (update_id, _, _) in written.items():
            self.assertEqual(again[key]["update_id"], update_id, "%s written again" % key)
            self.assertTrue(again[key]["replayed"])
        self.assert_all_in_the_log(body, "pause-", again)


    def leaf_of(self, key):
        out = self.s.sql("SELECT l.idx FROM log_leaf l JOIN progress_update u ON u.id = l.update_id "
                         "WHERE u.idempotency_key = '%s'" % key)
        return int(out) if out else None

    def test_a_review_the_running_batch_sequenced_goes_on_with_it(self):
        # The batch for review 0 waits for the chain's lock (held here); review 1 commits meanwhile (a review is
        # written by its call and queued in log_pending, migrations/0025), so it waits for the next batch, but the
        # running one sequences it too, since it reads the queue once it has the lock. Review 1 goes on with that
        # batch (log_seq.c, log_seq_claim), its receipt made from it.
        body = Body(self.s, "admin", "claim", self.ls.vkey)
        ids = [json.loads(self.send(body, self.REFS[i], "claim-%d" % i, "Reviewed while a batch waits: %d." % i)
                          .stdout)["update_id"] for i in range(2)]
        d = self.s.daemon
        made = lambda how: d.metric("planregd_log_receipts_total", made=how)
        batch, read = made("batch"), made("read")
        holder = self.hold_chain_lock()
        results = {}

        def review(i):
            results[i] = body.cli("update", "review", str(ids[i]), "--accept", timeout=60)

        def until(what, sql, want):
            deadline = time.monotonic() + 30
            while self.s.sql(sql) != want and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.s.sql(sql), want, what)

        threads = [threading.Thread(target=review, args=(i,), daemon=True) for i in range(2)]
        threads[0].start()
        until("review 0's batch does not wait for the lock", "SELECT count(*) FROM pg_locks WHERE locktype = "
              "'advisory' AND NOT granted AND objid = (31644363112211817 & 4294967295)", "1")
        threads[1].start()
        until("review 1 was not written", "SELECT count(*) FROM update_review WHERE update_id = %d" % ids[1], "1")
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_pending"), "2")
        holder.stdin.write("SELECT pg_advisory_unlock(31644363112211817);\n")
        holder.stdin.flush()
        for t in threads:
            t.join(60)
        for i in range(2):
            self.assertEqual(results[i].returncode, 0, results[i].stdout + results[i].stderr)
        self.assertEqual((made("batch") - batch, made("read") - read), (2, 0))
        self.assertEqual(self.s.sql("SELECT count(*) FROM log_pending"), "0")
        proofs = glob.glob(os.path.join(body.receipts(), "review-*.proof"))
        self.assertEqual(len(proofs), 2)
        for path in proofs:
            r = self.s.cli(None, "audit", "check-receipt", path, "--vkey", self.ls.vkey,
                           env={"PLANREG_SERVER": "localhost:1"})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = body.cli("audit", "verify", "--receipts", body.receipts())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_returns_of_one_batch_are_written_together_and_a_bad_one_fails_alone(self):
        # Returns that arrive while a batch waits for the chain's lock are written by the next batch, in its one
        # transaction (migrations/0031). One of them fails in the database (a trigger the daemon knows nothing of
        # stands in for any row the database refuses): the batch fails as a whole, and then each of its returns
        # is written in a batch of its own (log_seq.c, log_seq_requeue), so the bad one gets its own error and
        # the others are written, each once.
        body = Body(self.s, "admin", "together", self.ls.vkey)
        self.s.sql("CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.narrative LIKE 'Poison%' THEN RAISE EXCEPTION 'poisoned return' USING ERRCODE = 'P0001'; "
                   "END IF; RETURN NEW; END $$; CREATE TRIGGER test_poison BEFORE INSERT ON progress_update "
                   "FOR EACH ROW EXECUTE FUNCTION test_poison()")
        self.addCleanup(self.s.sql, "DROP TRIGGER IF EXISTS test_poison ON progress_update")
        d = self.s.daemon
        mark = d.log_mark()
        holder = self.hold_chain_lock()
        results = {}
        texts = {0: "First, waits for the lock.", 1: "Together: one.", 2: "Poison: refused.", 3: "Together: three."}

        def send(i):
            results[i] = self.send(body, self.REFS[i % 3], "together-%d" % i, texts[i])

        threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(4)]
        threads[0].start()
        harness.wait_until("a batch waiting for the held lock", lambda: self.s.sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid = (31644363112211817 & 4294967295)") == "1", 30)
        for t in threads[1:]:
            t.start()
        time.sleep(1.5)  # returns 1-3 queue in the daemon behind the running batch (each holds one of the 4
        # database connections, as return 0 does, whose batch waits on it)
        self.assertEqual(self.s.sql("SELECT count(*) FROM progress_update WHERE idempotency_key LIKE 'together-%'"),
                         "0")
        holder.stdin.write("SELECT pg_advisory_unlock(31644363112211817);\n")
        holder.stdin.flush()
        for t in threads:
            t.join(60)
        for i in (0, 1, 3):
            self.assertEqual(results[i].returncode, 0, "%d: %s%s" % (i, results[i].stdout, results[i].stderr))
        self.assertNotEqual(results[2].returncode, 0)
        self.assertIn("poisoned return", results[2].stdout + results[2].stderr)
        # the batch of three failed once, then each was tried alone, and only the bad one failed again
        log = d.read_log()[mark:]
        self.assertEqual(len(re.findall(r"event=log_sequence_failed writes=3 ", log)), 1, log)
        self.assertEqual(len(re.findall(r"event=log_sequence_failed writes=1 ", log)), 1, log)
        stored = self.stored("together-")
        self.assertEqual(sorted(stored), ["together-0", "together-1", "together-3"])
        answers = {"together-%d" % i: json.loads(results[i].stdout) for i in (0, 1, 3)}
        self.assert_all_in_the_log(body, "together-", answers)

    def test_batches_that_commit_during_a_write_share_one_checkpoint(self):
        # While one batch's checkpoint is being written (paused here), three more returns commit, each in a batch
        # of its own, one after another. The three batches are held as one (log_seq.c, log_seq_merge): one more
        # checkpoint for all three, and every receipt made from its batch, none read back from the database.
        body = Body(self.s, "admin", "merge", self.ls.vkey)
        self.s.daemon.stop()
        self.start(PLANREGD_TEST_SIGN_PAUSE_MS="5000")
        d = self.s.daemon
        mark = d.log_mark()
        made = lambda how: d.metric("planregd_log_receipts_total", made=how)
        batch, read = made("batch"), made("read")
        results = {}

        def send(i):
            results[i] = self.send(body, self.REFS[i % 3], "merge-%d" % i, "Merged batches: %d." % i)

        threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(4)]
        try:
            threads[0].start()
            d.wait_log(r"event=log_sign_paused", 60, since=mark)
            for i in (1, 2, 3):
                threads[i].start()
                deadline = time.monotonic() + 30
                while self.leaf_of("merge-%d" % i) is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertIsNotNone(self.leaf_of("merge-%d" % i), "return %d was not sequenced" % i)
            for t in threads:
                t.join(120)
            self.assertEqual((made("batch") - batch, made("read") - read), (4, 0))
            self.assertEqual(d.log_since(mark).count("event=log_sign_paused"), 2)
        finally:
            self.s.daemon.stop()
            self.start()
        answers = {}
        for i in range(4):
            self.assertEqual(results[i].returncode, 0, results[i].stdout + results[i].stderr)
            answers["merge-%d" % i] = json.loads(results[i].stdout)
        v = tlog_ref.Verifier.parse(self.ls.vkey)
        sizes = set()
        for i in (1, 2, 3):
            u = answers["merge-%d" % i]
            with open(os.path.join(body.receipts(), "update-%d.proof" % u["update_id"])) as f:
                note = tlog_ref.parse_receipt(f.read())[3]
            sizes.add(tlog_ref.parse_checkpoint(tlog_ref.open_note(note, [v])[0])[1])
        self.assertEqual(len(sizes), 1, "the three held batches were signed apart")
        self.assert_all_in_the_log(body, "merge-", answers)


class MigrationTest(unittest.TestCase):
    """Migration 0014 on a database that already has history: the chain becomes the first leaves."""

    def test_existing_history_becomes_the_first_leaves(self):
        ls = LogService("logmig")
        try:
            s = ls.s
            a = Body(s, "submitter-CA", "ca", ls.vkey)
            admin = Body(s, "admin", "admin", ls.vkey)
            viewer = Body(s, "viewer", "viewer", ls.vkey)
            for ref, words in ((15, "One."), (16, "Two.")):
                self.assertEqual(a.cli("update", "submit", str(ref), "--period", PERIOD, "--confidence", "green",
                                       "--stage", "concept", "--narrative", words).returncode, 0)
            first = s.sql("SELECT min(id) FROM progress_update")
            self.assertEqual(admin.cli("update", "review", first, "--accept").returncode, 0)
            self.assertEqual(a.cli("update", "submit", "4", "--period", PERIOD, "--confidence", "green", "--stage",
                                   "concept", "--narrative", "Three.").returncode, 0)
            # back to a database from before 0014: its objects gone, its row in schema_migrations gone, and no
            # signatures on its rows (they came with 0020, which stays; 0014 makes its unsigned leaves again)
            ls.s.daemon.stop()
            s.sql("ALTER TABLE progress_update DISABLE TRIGGER USER; ALTER TABLE update_review DISABLE TRIGGER USER;"
                  "UPDATE progress_update SET signature = NULL, certificate_sha256 = NULL;"
                  "UPDATE update_review SET signature = NULL, certificate_sha256 = NULL;"
                  "ALTER TABLE progress_update ENABLE TRIGGER USER; ALTER TABLE update_review ENABLE TRIGGER USER")
            s.sql("DROP TRIGGER progress_update_log ON progress_update; DROP TRIGGER update_review_log ON "
                  "update_review; DROP TABLE log_leaf, log_node; DROP FUNCTION planreg_log_update_leaf(), "
                  "planreg_log_review_leaf(), planreg_log_append(bytea, bigint, bigint), "
                  "planreg_log_update_entry(progress_update), planreg_log_review_entry(update_review), "
                  "planreg_log_str(text, text), planreg_log_time(timestamptz);"
                  "DELETE FROM schema_migrations WHERE version = 14")
            harness.migrate(s.db)
            # every update in id order, then every review (the review was written between the updates)
            order = s.sql("SELECT coalesce('u' || update_id, 'r' || review_id) FROM log_leaf ORDER BY idx")
            updates = s.sql("SELECT 'u' || id FROM progress_update ORDER BY id").split("\n")
            reviews = s.sql("SELECT 'r' || id FROM update_review ORDER BY id").split("\n")
            self.assertEqual(order.split("\n"), updates + reviews)
            entries = s.sql("SELECT encode(entry, 'hex') FROM log_leaf ORDER BY idx").split("\n")
            tree = tlog_ref.Tree([tlog_ref.leaf_hash(bytes.fromhex(e)) for e in entries])
            self.assertEqual(s.sql("SELECT encode(hash, 'hex') FROM log_node WHERE level = 2 AND idx = 0"),
                             tree.mth(0, 4).hex())
            # a new log: the daemon's old state and the CLIs' held checkpoints were of another tree
            os.unlink(ls.state_file)
            shutil.rmtree(viewer.state, ignore_errors=True)
            ls.restart()
            r = viewer.cli("audit", "verify", "--receipts", os.path.join(s.tmp, "none"), "--format", "json")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            j = json.loads(r.stdout)
            self.assertTrue(j["ok"])
            self.assertEqual((j["log_checked"], j["log_size"], j["log_problems"]), (True, 4, []))
            cp = tlog_ref.parse_checkpoint(tlog_ref.open_note(viewer.held(), [tlog_ref.Verifier.parse(ls.vkey)])[0])
            self.assertEqual(cp[2], tree.root(4))
        finally:
            ls.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
