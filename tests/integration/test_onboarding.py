"""Joining (docs/onboarding.md) against the real daemon over real TLS: an admin invites, the
officer runs `planreg join CODE` from a home of their own with no access to the PKI, the key is made
there, the CA is pinned by the code, the certificate is issued by the service and renewed by the CLI.
Codes used, expired, cancelled and forged; requests for another subject, weak or badly signed; two
redemptions at once; a two-minute certificate renewed and another expiring; a connection without a
certificate trying every other request; the secret never in the log or an answer."""

import glob
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import wire  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

GET_SERVER_CA = 23
REDEEM_INVITATION = 24
FAILED_PRECONDITION = 9
RESOURCE_EXHAUSTED = 8
NEW_INVITATION = "ask the Combined Authority for a new invitation"


def code_for(host, port, ca_fp, secret_hex):
    """An invitation code as proto/invite.c writes it: the parts, then the first 4 bytes of their SHA-256."""
    body = "planreg-invite-1:%s:%d:%s:%s" % (host, port, ca_fp, secret_hex)
    return body + ":" + hashlib.sha256(body.encode()).hexdigest()[:8]


def parse_code(code):
    """(host, port, ca, secret) of a code."""
    parts = code.split(":")
    return parts[1], int(parts[2]), parts[3], parts[4]


def secret_hash(secret_hex):
    return hashlib.sha256(b"planreg-invite-secret-1\x00" + bytes.fromhex(secret_hex)).hexdigest()


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def as_nobody():
    """The command prefix that runs a program as the user nobody, with exactly the environment given."""
    nobody = pwd.getpwnam("nobody")
    return ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid, "--clear-groups"]


def openssl(*args, input=None):
    r = subprocess.run(["openssl"] + list(args), input=input, capture_output=True)
    if r.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


def csr_der(directory, name, keyspec=("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            subject="/CN=officer", extra=()):
    """A certificate request (DER) for a new key made with keyspec, with the subject and extensions asked."""
    key = os.path.join(directory, name + ".key")
    return openssl("req", "-new", *keyspec, "-nodes", "-keyout", key, "-subj", subject, "-outform", "DER",
                   *extra)


def redeem(secret_hex, csr):
    return wire.request(7, REDEEM_INVITATION, wire.pb_bytes(1, secret_hex) + wire.pb_bytes(2, csr))


class OnboardingTest(harness.WireTest):
    @classmethod
    def setUpClass(cls):
        cls.service = harness.Service("onboarding", daemon_env=harness.issuer_env)
        cls.secrets = []  # every secret this test handled: none may reach the log
        cls.homes = []

    @classmethod
    def tearDownClass(cls):
        for h in cls.homes:
            shutil.rmtree(h, ignore_errors=True)
        cls.service.close()

    # ---------------------------------------------------------------- helpers

    def invite(self, org="SEFTON", role="submitter", name="New Officer", port=None, *extra):
        r = self.service.cli("admin", "cred", "invite", "--org", org, "--role", role, "--name", name,
                             "--format", "json", *extra, port=port)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        inv = json.loads(r.stdout)
        self.secrets.append(parse_code(inv["code"])[3])
        return inv

    def home(self):
        """A new empty home directory; owned by nobody when we are root (then the PKI cannot be read)."""
        h = tempfile.mkdtemp(prefix="planreg-officer-")
        os.chmod(h, 0o755)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(h, nobody.pw_uid, nobody.pw_gid)
        self.homes.append(h)
        return h

    def officer(self, home, *args, env=None):
        """planreg as the officer: only PATH and HOME (as nobody when we are root), no PLANREG_* at all."""
        e = {"PATH": "/usr/bin:/bin", "HOME": home}
        e.update(env or {})
        cmd = [harness.PLANREG] + list(args)
        if os.geteuid() == 0:
            cmd = as_nobody() + cmd
        r = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=120, cwd=home)
        report = harness.sanitizer_report(r.stderr)
        if report:
            raise AssertionError("planreg sanitizer report:\n" + report)
        return r

    def key_path(self, home):
        return os.path.join(home, ".local", "share", "planreg", "client.key")

    def anonymous(self, daemon=None):
        """A connection without a client certificate, trusting the deployment's CA."""
        return self.wire(daemon=daemon, ctx=wire.tls_context(self.service.pki, cred=None))

    def invitation_state(self, inv_id):
        return self.service.sql("SELECT CASE WHEN used_at IS NOT NULL THEN 'used' WHEN cancelled_at IS NOT NULL "
                                "THEN 'cancelled' ELSE 'pending' END FROM invitation WHERE id = %d" % inv_id)

    # ---------------------------------------------------------------- joining

    def test_join_from_a_separate_home(self):
        """The officer's one command, from a home with nothing set up and no access to the PKI: then whoami
        works, the key is theirs alone (0600, only in that home), the certificate is the service's, with the
        invitation's subject, and cred list shows it with its end and its invitation."""
        if os.geteuid() == 0:  # nobody cannot read the CA key, nor even reach the PKI's directory
            r = subprocess.run(as_nobody() + ["test", "-r", os.path.join(self.service.pki.dir, "ca.key")])
            self.assertNotEqual(r.returncode, 0)
        inv = self.invite(name="Ann Officer")
        home = self.home()
        j = self.officer(home, "join", inv["code"])
        self.assertEqual(j.returncode, 0, j.stdout + j.stderr)
        self.assertIn("joined as", j.stdout)
        w = self.officer(home, "whoami", "--format", "json")
        self.assertEqual(w.returncode, 0, w.stderr)
        who = json.loads(w.stdout)
        self.assertEqual((who["organisation"], who["role"], who["person"]), ("SEFTON", "submitter", "Ann Officer"))
        # and reports for a project its organisation leads, as the credential the invitation made
        sefton = [p["ref"] for p in self.service.cli_json("admin", "projects", "list") if "SEFTON" in p["lead_orgs"]]
        self.assertTrue(sefton)
        sub = self.officer(home, "update", "submit", str(sefton[0]), "--period", "2026-Q3", "--confidence", "green",
                           "--stage", "live", "--narrative", "Joined and reported.", "--format", "json")
        self.assertEqual(sub.returncode, 0, sub.stdout + sub.stderr)
        update_id = json.loads(sub.stdout)["update_id"]
        self.assertEqual(self.service.sql("SELECT submitted_by FROM progress_update WHERE id = %d" % update_id),
                         who["credential"])
        key = self.key_path(home)
        st = os.stat(key)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        with open(key, "rb") as f:
            key_bytes = f.read()
        self.assertIn(b"BEGIN PRIVATE KEY", key_bytes)
        for path in glob.glob(os.path.join(self.service.tmp, "**"), recursive=True):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(key_bytes.strip(), f.read(), path)
        conf = read(os.path.join(home, ".config", "planreg", "client.conf"))
        self.assertRegex(conf, r"(?m)^server = localhost:%d$" % self.service.daemon.port)
        self.assertRegex(conf, r"(?m)^renew = auto$")
        cert = os.path.join(home, ".local", "share", "planreg", "client.crt")
        subject = openssl("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253").decode()
        self.assertIn("O=SEFTON", subject)
        self.assertIn("CN=Ann Officer", subject)
        ca_copy = os.path.join(home, ".local", "share", "planreg", "ca.crt")
        self.assertEqual(openssl("x509", "-in", ca_copy, "-noout", "-fingerprint", "-sha256"),
                         openssl("x509", "-in", self.service.pki.ca, "-noout", "-fingerprint", "-sha256"))
        creds = {c["name"]: c for c in self.service.cli_json("admin", "cred", "list")}
        c = creds[who["credential"]]
        self.assertEqual(c["invitation_id"], inv["id"])
        self.assertEqual(c["not_after"], who["cert_not_after"])
        self.assertIsNotNone(c["last_seen"])
        table = self.service.cli("admin", "cred", "list").stdout
        self.assertIn(c["not_after"], table)
        human = self.officer(home, "whoami")
        self.assertRegex(human.stdout, r"certificate expires: +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (89|90) days\)")
        # a second join on the same machine is refused before anything is sent, unless --force
        again = self.officer(home, "join", self.invite(name="Ann Officer")["code"])
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("exists already", again.stderr)

    def test_used_expired_cancelled_and_forged_codes(self):
        """Each is refused with exit 1 and the advice to ask for a new invitation; nothing is left behind."""
        host, port, ca, _ = parse_code(self.invite()["code"])
        failed_before = self.service.daemon.metric("planregd_invitations_failed_total")
        # used
        inv = self.invite(name="Used Once")
        first = self.officer(self.home(), "join", inv["code"])
        self.assertEqual(first.returncode, 0, first.stderr)
        # expired: an invitation whose time is over (written as the owner, as if three days had passed)
        expired = secrets.token_hex(16)
        self.secrets.append(expired)
        self.service.sql("INSERT INTO invitation (secret_sha256, org_code, role, person, created_by, created_at,"
                         " expires_at) VALUES ('%s', 'SEFTON', 'submitter', 'Late Officer', 'test',"
                         " now() - interval '4 days', now() - interval '1 day')" % secret_hash(expired))
        # cancelled
        cancelled = self.invite(name="Cancelled Officer")
        r = self.service.cli("admin", "cred", "uninvite", str(cancelled["id"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("cancelled invitation %d" % cancelled["id"], r.stdout)
        # forged: a well-formed code (its check matches) whose secret the server never made
        forged = secrets.token_hex(16)
        self.secrets.append(forged)
        cases = {"used": inv["code"], "expired": code_for(host, port, ca, expired),
                 "cancelled": cancelled["code"], "forged": code_for(host, port, ca, forged)}
        for what, code in cases.items():
            home = self.home()
            r = self.officer(home, "join", code)
            self.assertEqual(r.returncode, 1, what + ": " + r.stdout + r.stderr)
            self.assertIn(NEW_INVITATION, r.stderr, what)
            self.assertFalse(os.path.exists(os.path.join(home, ".config", "planreg", "client.conf")), what)
            self.assertEqual(glob.glob(os.path.join(home, ".local", "share", "planreg", "*.key*")), [], what)
        self.assertEqual(self.service.daemon.metric("planregd_invitations_failed_total"), failed_before + 4)
        # a code that pins another CA: refused before the secret is sent, so the invitation still works after
        real = self.invite(name="Pinned Officer")
        h, p, _, s = parse_code(real["code"])
        r = self.officer(self.home(), "join", code_for(h, p, "ab" * 32, s))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("is not the one your invitation names", r.stderr)
        self.assertIn(NEW_INVITATION, r.stderr)
        self.assertEqual(self.invitation_state(real["id"]), "pending")
        self.assertEqual(self.officer(self.home(), "join", real["code"]).returncode, 0)
        # a code damaged in copying never reaches the server
        damaged = real["code"][:-3] + ("0" if real["code"][-3] != "0" else "1") + real["code"][-2:]
        r = self.officer(self.home(), "join", damaged)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("damaged", r.stderr)
        listed = {i["id"]: i["state"] for i in self.service.cli_json("admin", "cred", "invitations")}
        self.assertEqual((listed[inv["id"]], listed[cancelled["id"]]), ("used", "cancelled"))
        self.assertIn("expired", listed.values())

    def test_wrong_secrets_are_throttled_and_counted(self):
        """Secrets that open nothing are counted per address; past the limit that address waits (even with a
        good secret), and /metrics counts the failures, the throttled attempts and the redemptions."""
        d = self.extra_daemon(harness.issuer_env(self.service.pki, {"PLANREGD_INVITE_FAILURES_PER_MINUTE": "2"}))
        good = parse_code(self.invite(name="Patient Officer", port=d.port)["code"])[3]
        csr = csr_der(self.service.tmp, "patient")
        ctx = wire.tls_context(self.service.pki, cred=None)
        guesser = self.wire(daemon=d, ctx=ctx, source="127.0.0.7")
        for _ in range(2):
            r = guesser.call(redeem(secrets.token_hex(16), csr))
            self.assertEqual((r.code, r.reason), (FAILED_PRECONDITION, "invitation_invalid"), r)
        r = guesser.call(redeem(good, csr))
        self.assertEqual((r.code, r.reason), (RESOURCE_EXHAUSTED, "too_many_attempts"), r)
        self.assertIn("try again in", r.message)
        # another address is not held back by the guesser's failures
        r = self.wire(daemon=d, ctx=ctx, source="127.0.0.8").call(redeem(good, csr))
        self.assertEqual(r.code, wire.OK, r)
        self.assertEqual((d.metric("planregd_invitations_failed_total"), d.metric("planregd_invitations_throttled_total"),
                          d.metric("planregd_invitations_redeemed_total")), (2, 1, 1))

    def test_a_request_for_another_subject_or_role_is_ignored(self):
        """The invitation decides who the certificate is for: a request naming the CA's admin, asking to be a
        CA, gets a plain client certificate for the invited person of the invited organisation."""
        inv = self.invite(name="Honest Officer")
        secret = parse_code(inv["code"])[3]
        csr = csr_der(self.service.tmp, "greedy", subject="/O=CA/OU=admin/CN=Admin User",
                      extra=("-addext", "basicConstraints=critical,CA:TRUE",
                             "-addext", "subjectAltName=DNS:planreg.example.org"))
        r = self.anonymous().call(redeem(secret, csr))
        self.assertEqual(r.code, wire.OK, r)
        pem = wire.first(r.body, 1, b"")
        text = openssl("x509", "-noout", "-text", "-nameopt", "RFC2253", input=pem).decode()
        self.assertRegex(text, r"Subject: CN=Honest Officer,O=SEFTON|Subject: O=SEFTON,CN=Honest Officer")
        self.assertIn("CA:FALSE", text)
        self.assertIn("TLS Web Client Authentication", text)
        self.assertNotIn("planreg.example.org", text)
        row = self.service.sql("SELECT org_code, role, person FROM credential WHERE invitation_id = %d" % inv["id"])
        self.assertEqual(row, "SEFTON|submitter|Honest Officer")

    def test_weak_or_badly_signed_requests_are_refused(self):
        """RSA-1024 and a request whose signature does not verify are refused, saying why; the invitation
        stays open for a good request."""
        inv = self.invite(name="Careful Officer")
        secret = parse_code(inv["code"])[3]
        weak = csr_der(self.service.tmp, "weak", keyspec=("-newkey", "rsa:1024"))
        r = self.anonymous().call(redeem(secret, weak))
        self.assertEqual(r.code, wire.INVALID_ARGUMENT, r)
        self.assertIn("2048", r.message)
        good = bytearray(csr_der(self.service.tmp, "signed"))
        good[-5] ^= 0x01  # inside the signature
        r = self.anonymous().call(redeem(secret, bytes(good)))
        self.assertEqual(r.code, wire.INVALID_ARGUMENT, r)
        self.assertIn("certificate request", r.message)
        self.assertEqual(self.invitation_state(inv["id"]), "pending")
        r = self.anonymous().call(redeem(secret, csr_der(self.service.tmp, "fine")))
        self.assertEqual(r.code, wire.OK, r)

    def test_two_redemptions_at_once_give_one_certificate(self):
        inv = self.invite(name="Twice Officer")
        secret = parse_code(inv["code"])[3]
        wires = [self.anonymous() for _ in range(2)]
        msgs = [redeem(secret, csr_der(self.service.tmp, "race%d" % i)) for i in range(2)]
        start = threading.Barrier(2)
        answers = [None, None]

        def go(i):
            start.wait()
            answers[i] = wires[i].call(msgs[i])

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        codes = sorted(a.code for a in answers)
        self.assertEqual(codes, [wire.OK, FAILED_PRECONDITION], answers)
        self.assertEqual(self.service.sql("SELECT count(*) FROM credential WHERE invitation_id = %d" % inv["id"]),
                         "1")

    def test_a_connection_without_a_certificate_may_only_join(self):
        """Every request kind but the two of joining is UNAUTHENTICATED without a certificate."""
        proto = read(os.path.join(harness.SOURCE_DIR, "proto", "planreg.proto"))
        oneof = proto[proto.index("message Request {"):proto.index("message Response {")]
        kinds = [int(n) for n in re.findall(r"^\s+\w+Request \w+ = (\d+);", oneof, re.M)]
        self.assertIn(25, kinds)
        self.assertGreater(len(kinds), 30)
        r = self.anonymous().call(wire.request(3, GET_SERVER_CA))
        self.assertEqual(r.code, wire.OK, r)
        fp = openssl("x509", "-in", self.service.pki.ca, "-noout", "-fingerprint", "-sha256").decode()
        self.assertEqual(wire.first(r.body, 2, b"").decode(), fp.split("=")[1].strip().replace(":", "").lower())
        for kind in kinds:
            if kind in (GET_SERVER_CA, REDEEM_INVITATION):
                continue
            r = self.anonymous().call(wire.request(9, kind))
            self.assertEqual(r.code, wire.UNAUTHENTICATED, "kind %d: %r" % (kind, r))

    def test_only_an_admin_invites(self):
        self.service.enrol("submitter-LCC", "LCC", "Ann Williams", "submitter")
        r = self.service.cli("submitter-LCC", "cred", "invite", "--org", "LCC", "--role", "admin", "--name", "Me")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.service.sql("SELECT count(*) FROM invitation WHERE person = 'Me'"), "0")
        r = self.service.cli("admin", "cred", "invite", "--org", "NOSUCH", "--role", "viewer", "--name", "X")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no organisation NOSUCH", r.stderr)
        r = self.service.cli("admin", "cred", "invite", "--org", "LCC", "--role", "viewer", "--name", "X",
                             "--expires", "soon")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_invitations_listing_and_the_mail(self):
        """cred invitations by the one output contract (CSV header = JSON keys), never a secret; --email
        mails the code through the reminder job's SMTP settings, and the mailed code joins."""
        with SmtpSink() as sink:
            smtp = {"PLANREG_SMTP_URL": "smtp://127.0.0.1:%d" % sink.port, "PLANREG_SMTP_FROM": "pmo@example.org"}
            r = self.service.cli("admin", "cred", "invite", "--org", "LCC", "--role", "viewer", "--name",
                                 "Mailed Officer", "--email", "mailed@example.org", "--expires", "2h", env=smtp)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("sent to mailed@example.org", r.stderr)
            self.assertEqual([m["rcpt_tos"] for m in sink.messages], [["mailed@example.org"]])
            body = sink.messages[0]["headers"].get_content()
        code = re.search(r"planreg join '(planreg-invite-1:[^']+)'", body).group(1)
        self.secrets.append(parse_code(code)[3])
        self.assertIn(code, r.stdout)
        self.assertIn(NEW_INVITATION, body)
        self.assertEqual(self.officer(self.home(), "join", code).returncode, 0)
        # without the mail settings nothing is made
        before = self.service.sql("SELECT count(*) FROM invitation")
        r = self.service.cli("admin", "cred", "invite", "--org", "LCC", "--role", "viewer", "--name", "Nobody",
                             "--email", "n@example.org")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.service.sql("SELECT count(*) FROM invitation"), before)
        js = self.service.cli_json("admin", "cred", "invitations")
        csv = self.service.cli("admin", "cred", "invitations", "--format", "csv").stdout
        self.assertEqual(csv.splitlines()[0].split(","), list(js[0].keys()))
        mailed = [i for i in js if i["person"] == "Mailed Officer"][0]
        self.assertEqual((mailed["state"], mailed["email"], mailed["role"]), ("used", "mailed@example.org", "viewer"))
        self.assertIsNone(mailed["cancelled_at"])
        text = json.dumps(js) + csv
        for s in self.secrets:
            self.assertNotIn(s, text)

    def test_the_first_admin_joins_with_planregd_invite(self):
        """The bootstrap: an invitation written into the database by planregd itself, redeemed by join."""
        env = {"PLANREGD_DB_DSN": harness.dsn(self.service.db), "PLANREGD_TLS_CA": self.service.pki.ca,
               "PLANREGD_PUBLIC_ADDRESS": "localhost:%d" % self.service.daemon.port}
        r = harness.run([harness.PLANREGD, "invite", "--org", "NEWCA", "--role", "admin", "--name", "First Admin"],
                        env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        code = r.stdout.strip()
        self.assertRegex(code, r"^planreg-invite-1:localhost:%d:[0-9a-f]{64}:[0-9a-f]{32}:[0-9a-f]{8}$"
                         % self.service.daemon.port)
        self.secrets.append(parse_code(code)[3])
        self.assertIn("planreg join", r.stderr)
        home = self.home()
        self.assertEqual(self.officer(home, "join", code).returncode, 0)
        who = json.loads(self.officer(home, "whoami", "--format", "json").stdout)
        self.assertEqual((who["organisation"], who["role"]), ("NEWCA", "admin"))
        self.assertEqual(self.service.sql("SELECT created_by FROM invitation WHERE person = 'First Admin'"),
                         "planregd invite")
        bad = harness.run([harness.PLANREGD, "invite", "--org", "CA", "--role", "boss", "--name", "X"], env=env)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not one of", bad.stderr)

    def test_short_lived_certificates_renew_and_expire(self):
        """With two-minute certificates: one is renewed by a later command once a third of its life is left,
        and the old one is refused after the new one's first use; another (renew = off) expires and is
        refused with the advice to ask for a new invitation, by the CLI and by the server."""
        d = self.extra_daemon(harness.issuer_env(self.service.pki, {"PLANREGD_CERT_LIFETIME_SECONDS": "120"}))
        renewing, lapsing = self.home(), self.home()
        for h, name in ((renewing, "Brief Officer"), (lapsing, "Lapsing Officer")):
            inv = self.invite(name=name, port=d.port)
            r = self.officer(h, "join", inv["code"])
            self.assertEqual(r.returncode, 0, r.stderr)
        issued = time.time()
        conf = os.path.join(lapsing, ".config", "planreg", "client.conf")
        text = read(conf).replace("renew = auto", "renew = off")
        with open(conf, "w") as f:
            f.write(text)
        data = os.path.join(renewing, ".local", "share", "planreg")
        old = {n: read(os.path.join(data, n), "rb") for n in ("client.crt", "client.key")}
        early = self.officer(renewing, "whoami", "--format", "json")
        self.assertEqual(early.returncode, 0, early.stderr)
        self.assertNotIn("renewed", early.stderr)  # two thirds of its life are left
        first_name = json.loads(early.stdout)["credential"]
        time.sleep(max(0, issued + 84 - time.time()))  # less than a third (40 s) left
        self.assertGreaterEqual(d.metric("planregd_credentials_expiring"), 2)
        r = self.officer(renewing, "whoami", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("renewed the certificate", r.stderr)
        new = {n: read(os.path.join(data, n), "rb") for n in ("client.crt", "client.key")}
        self.assertNotEqual(new["client.crt"], old["client.crt"])
        self.assertNotEqual(new["client.key"], old["client.key"])
        self.assertEqual(os.stat(os.path.join(data, "client.key")).st_mode & 0o777, 0o600)
        self.assertEqual(glob.glob(os.path.join(data, "*.new")), [])
        after = self.officer(renewing, "whoami", "--format", "json")  # the new certificate's first use
        self.assertEqual(after.returncode, 0, after.stderr)
        self.assertNotIn("renewed", after.stderr)
        self.assertEqual(json.loads(after.stdout)["credential"], first_name + ".r2")
        oldcopy = self.home()
        for n, b in old.items():
            with open(os.path.join(oldcopy, n), "wb") as f:
                f.write(b)
        if os.geteuid() == 0:
            for n in old:
                os.chown(os.path.join(oldcopy, n), pwd.getpwnam("nobody").pw_uid, -1)
        refused = self.officer(renewing, "whoami", env={
            "PLANREG_CERT": os.path.join(oldcopy, "client.crt"), "PLANREG_KEY": os.path.join(oldcopy, "client.key")})
        self.assertEqual(refused.returncode, 3, refused.stdout + refused.stderr)
        self.assertIn("credential %s was revoked" % first_name, refused.stderr)
        self.assertNotIn("warning", refused.stderr)  # said once, by the refusal itself
        self.assertEqual(self.service.sql("SELECT revoked_by FROM credential WHERE name = '%s'" % first_name),
                         "renewed as %s.r2" % first_name)
        # renew = off: never renewed, and once expired refused before connecting
        kept = read(os.path.join(lapsing, ".local", "share", "planreg", "client.crt"), "rb")
        r = self.officer(lapsing, "whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("renewed", r.stderr)
        self.assertEqual(read(os.path.join(lapsing, ".local", "share", "planreg", "client.crt"), "rb"), kept)
        time.sleep(max(0, issued + 123 - time.time()))
        r = self.officer(lapsing, "whoami")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("expired", r.stderr)
        self.assertIn("new invitation", r.stderr)
        r = self.officer(lapsing, "cred", "renew")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("new invitation", r.stderr)
        # and the server itself refuses the expired certificate at the handshake
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.service.pki.ca)
        ctx.load_cert_chain(os.path.join(lapsing, ".local", "share", "planreg", "client.crt"),
                            os.path.join(lapsing, ".local", "share", "planreg", "client.key"))
        ctx.set_alpn_protocols(["planreg/1"])
        with self.assertRaises((ssl.SSLError, ConnectionError, AssertionError)):
            w = self.wire(daemon=d, ctx=ctx)
            r = w.read_response()
            if r is None or r.code != wire.OK:
                raise ssl.SSLError("refused: %r" % (r,))

    def test_renew_by_hand(self):
        home = self.home()
        self.assertEqual(self.officer(home, "join", self.invite(name="Manual Officer")["code"]).returncode, 0)
        before = json.loads(self.officer(home, "whoami", "--format", "json").stdout)
        r = self.officer(home, "cred", "renew")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("renewed: credential %s.r2" % before["credential"], r.stdout)
        after = json.loads(self.officer(home, "whoami", "--format", "json").stdout)
        self.assertEqual(after["credential"], before["credential"] + ".r2")
        self.assertNotEqual(after["fingerprint"], before["fingerprint"])
        old = self.service.sql("SELECT revoked_by FROM credential WHERE name = '%s'" % before["credential"])
        self.assertEqual(old, "renewed as %s.r2" % before["credential"])

    def test_the_digest_names_certificates_ending_soon(self):
        """The reminder digest to an organisation's contacts lists its people whose certificates end within
        14 days, and its setup text says to ask the Combined Authority for an invitation."""
        d = self.extra_daemon(harness.issuer_env(self.service.pki, {"PLANREGD_CERT_LIFETIME_DAYS": "5"}))
        inv = self.invite(org="LAS", name="Soon Officer", port=d.port)
        self.assertEqual(self.officer(self.home(), "join", inv["code"]).returncode, 0)
        self.assertEqual(self.officer(self.home(), "join", self.invite(org="LAS", name="Later Officer")["code"])
                         .returncode, 0)  # 90 days: not named
        self.service.enrol("reminder", *harness.PEOPLE["reminder"])
        for org, contact in (("LAS", "las@example.org"), ("CA", "pmo@example.org")):
            r = self.service.cli("admin", "org", "set-contact", org, contact)
            self.assertEqual(r.returncode, 0, r.stderr)
        with SmtpSink() as sink:
            r = self.service.cli("reminder", "remind", "run", "--period", "2026-Q3", "--as-of", "2026-10-20",
                                 "--smtp", "smtp://127.0.0.1:%d" % sink.port, "--from", "planreg@example.org")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            mail = {m["rcpt_tos"][0]: m["headers"].get_content() for m in sink.messages}
        las = mail["las@example.org"]
        ends = self.service.sql("SELECT to_char(not_after AT TIME ZONE 'UTC', 'FMDD FMMonth YYYY') FROM credential"
                                " WHERE invitation_id = %d" % inv["id"])
        self.assertIn("certificates of", las)
        self.assertRegex(las, r"(?m)^  Soon Officer: ends on \w+ %s\r?$" % re.escape(ends))
        self.assertNotIn("Later Officer", las)
        flat = " ".join(las.split())
        self.assertIn("ask the Combined Authority for a new invitation", flat)
        self.assertIn("for an invitation to planreg for", flat)
        self.assertNotIn("Soon Officer", mail["pmo@example.org"])  # the organisation's own people, to it

    def test_zz_the_secret_is_never_in_the_log_or_an_answer(self):
        """Of every secret handled above (and one redeemed here over the wire), none is in the daemon's log,
        in the redemption's answer, or in the listing of invitations."""
        inv = self.invite(name="Quiet Officer")
        secret = parse_code(inv["code"])[3]
        r = self.anonymous().call(redeem(secret, csr_der(self.service.tmp, "quiet")))
        self.assertEqual(r.code, wire.OK, r)
        self.assertNotIn(secret.encode(), r.raw)
        lst = self.wire("admin").call(wire.request(4, 21))
        self.assertEqual(lst.code, wire.OK, lst)
        self.assertGreater(len(self.secrets), 5)
        log = self.service.daemon.read_log()
        self.assertIn("event=invitation_redeemed", log)
        for s in self.secrets:
            self.assertNotIn(s, log)
            self.assertNotIn(s.encode(), lst.raw)
            self.assertNotIn(secret_hash(s), log)


if __name__ == "__main__":
    harness.main()
