"""The CLI's edges through the real CLI and daemon: an option given an empty
value is a usage error naming the option (nothing is sent), and a credential
that cannot be used says which file and why (missing, not PEM, not a pair,
the wrong way round, protected by a passphrase) instead of OpenSSL's
"system lib" or "PEM lib", without ever stopping to ask for a passphrase."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

PERIOD = "2026-Q3"
EXIT_USAGE, EXIT_CONNECT = 2, 3
OPENSSL_JARGON = ("system lib", "PEM lib", "SSL routines", "error:")


class CliEdgesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("cli_edges", people=("submitter-LCC",))
        cls.s.issue("other", "LCC", "Other Person", "submitter")  # a valid pair, never enrolled
        cls.dir = os.path.join(cls.s.tmp, "files")
        os.mkdir(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def path(self, name, content=None):
        p = os.path.join(self.dir, name)
        if content is not None:
            with open(p, "w") as f:
                f.write(content)
        return p

    def updates(self):
        return int(self.s.sql("SELECT count(*) FROM progress_update"))

    def submit(self, *extra):
        args = ["update", "submit", "5", "--period", PERIOD, "--confidence", "green", "--stage", "live",
                "--narrative", "Progress as planned."]
        return self.s.cli("submitter-LCC", *(args + list(extra)))

    def assertUsage(self, r, *words):
        self.assertEqual(r.returncode, EXIT_USAGE, r.stdout + r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        # a value error is one line that says what to write, without the synopsis
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("planreg: update submit: "), r.stderr)
        self.assertNotIn("usage:", r.stderr)

    # ------------------------------------------------------------ the server setting

    def test_a_port_out_of_range_is_a_usage_error(self):
        """getaddrinfo would take 99999 modulo 65536 (port 34463) and connect there."""
        for server in ("localhost:99999", "localhost:0", "localhost:7443x", "localhost:", "[::1]:70000"):
            r = self.s.cli("viewer", "--server", server, "whoami")
            self.assertEqual(r.returncode, EXIT_USAGE, "%s: %s%s" % (server, r.stdout, r.stderr))
            self.assertIn("is not host:port with a port from 1 to 65535", r.stderr)

    # ------------------------------------------------------------ empty values

    def test_empty_spend_is_a_usage_error(self):
        before = self.updates()
        for value in ("", "   "):
            self.assertUsage(self.submit("--spend", value), "--spend is empty", "leave --spend out")
        self.assertEqual(self.updates(), before, "an update went in without its spend")

    def test_empty_forecast_is_a_usage_error(self):
        before = self.updates()
        self.assertUsage(self.submit("--spend", "£1M", "--forecast", ""), "--forecast is empty")
        self.assertUsage(self.submit("--forecast=", "--spend", "£1M"), "--forecast is empty")
        self.assertEqual(self.updates(), before)

    def test_empty_risk_is_a_usage_error(self):
        before = self.updates()
        self.assertUsage(self.submit("--risk", ""), "--risk is empty")
        self.assertUsage(self.submit("--risk", "Supply chain", "--risk", " "), "--risk 2 of 2 is empty")
        self.assertEqual(self.updates(), before)

    def test_empty_milestone_is_a_usage_error(self):
        before = self.updates()
        self.assertUsage(self.submit("--milestone", ""), "--milestone is empty", "TITLE|BASELINE|FORECAST|ACHIEVED")
        self.assertUsage(self.submit("--milestone", "Phase 1|2026-06-30||", "--milestone", ""),
                         "--milestone 2 of 2 is empty")
        self.assertEqual(self.updates(), before)

    def test_the_same_options_with_values_go_in(self):
        r = self.submit("--spend", "£1.2M", "--forecast", "£7.2M", "--milestone", "Phase 1|2026-06-30|2026-07-31|",
                        "--risk", "Supply chain", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_an_empty_csv_cell_still_leaves_a_figure_out(self):
        """In a CSV row an empty cell is how a figure is left out: only options are strict."""
        csv = self.path("q3.csv", "ref,period,confidence,stage,narrative,spend,forecast,milestones,risks\n"
                                  "6,%s,amber,concept,Scoping the scale-out.,,,,\n" % PERIOD)
        r = self.s.cli("submitter-LCC", "update", "submit", "--csv", csv)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 submitted", r.stdout)

    # ------------------------------------------------------------ certificates and keys

    def whoami(self, cert, key, ca=None, stdin=subprocess.DEVNULL, shell_prefix=""):
        """planreg whoami with these files, stdin closed, in a session of its own (no terminal to prompt on)."""
        env = dict(os.environ)
        env.update(self.s.cli_env(None))
        env.update({"PLANREG_CERT": cert, "PLANREG_KEY": key})
        if ca is not None:
            env["PLANREG_CA"] = ca
        cmd = [harness.PLANREG, "whoami"]
        if shell_prefix:
            cmd = ["bash", "-c", shell_prefix + ' exec "$0" whoami', harness.PLANREG]
        r = subprocess.run(cmd, env=env, stdin=stdin, capture_output=True, text=True, timeout=10,
                           start_new_session=True)
        report = harness.sanitizer_report(r.stderr)
        self.assertIsNone(report, report)
        return r

    def assertCredentialProblem(self, r, *words):
        self.assertEqual(r.returncode, EXIT_CONNECT, r.stdout + r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        for jargon in OPENSSL_JARGON:
            self.assertNotIn(jargon, r.stderr)

    def test_a_good_pair_works(self):
        r = self.whoami(self.s.pki.cert("submitter-LCC"), self.s.pki.key("submitter-LCC"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_missing_key(self):
        key = self.path("nothere.key")
        r = self.whoami(self.s.pki.cert("submitter-LCC"), key)
        self.assertCredentialProblem(r, "cannot read the client key %s: no such file" % key)

    def test_missing_certificate(self):
        cert = self.path("nothere.crt")
        r = self.whoami(cert, self.s.pki.key("submitter-LCC"))
        self.assertCredentialProblem(r, "cannot read the client certificate %s: no such file" % cert)

    def test_key_is_a_directory(self):
        r = self.whoami(self.s.pki.cert("submitter-LCC"), self.dir)
        self.assertCredentialProblem(r, "cannot read the client key %s: it is a directory" % self.dir)

    def test_key_of_another_certificate(self):
        cert, key = self.s.pki.cert("submitter-LCC"), self.s.pki.key("other")
        r = self.whoami(cert, key)
        self.assertCredentialProblem(r, "the key %s does not match the certificate %s" % (key, cert))

    def test_certificate_that_is_not_pem(self):
        junk = self.path("junk.crt", "this is not a certificate\n")
        r = self.whoami(junk, self.s.pki.key("submitter-LCC"))
        self.assertCredentialProblem(r, "the client certificate %s is not a PEM certificate" % junk)
        empty = self.path("empty.crt", "")
        r = self.whoami(empty, self.s.pki.key("submitter-LCC"))
        self.assertCredentialProblem(r, "the client certificate %s is empty" % empty)

    def test_key_that_is_not_pem(self):
        junk = self.path("junk.key", "-----BEGIN NOTHING-----\n")
        r = self.whoami(self.s.pki.cert("submitter-LCC"), junk)
        self.assertCredentialProblem(r, "the client key %s is not a PEM private key" % junk)

    def test_certificate_and_key_the_wrong_way_round(self):
        cert, key = self.s.pki.cert("submitter-LCC"), self.s.pki.key("submitter-LCC")
        r = self.whoami(key, cert)
        self.assertCredentialProblem(r, "the client certificate %s holds a private key, not a certificate" % key,
                                     "wrong way round")

    def test_ca_that_is_not_pem(self):
        junk = self.path("junk-ca.crt", "not a CA\n")
        r = self.whoami(self.s.pki.cert("submitter-LCC"), self.s.pki.key("submitter-LCC"), ca=junk)
        self.assertCredentialProblem(r, "the CA certificate %s is not a PEM certificate" % junk)
        missing = self.path("missing-ca.crt")
        r = self.whoami(self.s.pki.cert("submitter-LCC"), self.s.pki.key("submitter-LCC"), ca=missing)
        self.assertCredentialProblem(r, "cannot read the CA certificate %s: no such file" % missing)

    def test_passphrase_protected_key_fails_fast(self):
        """Never a prompt: with stdin at /dev/null, and with stdin closed, it fails at once and says why."""
        key = self.path("protected.key")
        r = subprocess.run(["openssl", "pkey", "-in", self.s.pki.key("submitter-LCC"), "-aes256", "-passout",
                            "pass:x", "-out", key], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(key) as f:
            self.assertIn("ENCRYPTED", f.read())
        for how in ({}, {"shell_prefix": "exec 0<&-;", "stdin": None}):
            r = self.whoami(self.s.pki.cert("submitter-LCC"), key, **how)
            self.assertCredentialProblem(r, "the client key %s is protected by a passphrase" % key,
                                         "never asks for one")
            self.assertNotIn("Enter", r.stdout + r.stderr)

    def test_a_copy_of_the_key_without_its_passphrase_works(self):
        """The way out the message points to."""
        protected, plain = self.path("p2.key"), self.path("p2-plain.key")
        subprocess.run(["openssl", "pkey", "-in", self.s.pki.key("submitter-LCC"), "-aes256", "-passout", "pass:x",
                        "-out", protected], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", protected, "-passin", "pass:x", "-out", plain], check=True,
                       capture_output=True)
        r = self.whoami(self.s.pki.cert("submitter-LCC"), plain)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    harness.main()
