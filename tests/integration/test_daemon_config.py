"""planregd's command line and configuration: defaults, the config file, PLANREGD_*
overrides, check-config, and a clear refusal for every bad setting."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def planregd(*args, env=None):
    clean = {k: "" for k in os.environ if k.startswith("PLANREGD_")}
    clean.update(env or {})
    return harness.run([harness.PLANREGD] + list(args), env=clean)


class DaemonConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.tempdir("planregd-config-")

    def conf(self, text):
        path = os.path.join(self.dir, "planregd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_help_lists_every_key(self):
        r = planregd("--help")
        self.assertEqual(r.returncode, 0)
        for key in ("listen_port", "tls_cert", "db_dsn", "max_frame_bytes", "max_inflight_per_conn",
                    "drain_timeout_ms", "due_days", "http_port"):
            self.assertIn(key, r.stdout)
        self.assertIn("(SIGHUP)", r.stdout)

    def test_check_config_defaults_and_missing_tls(self):
        r = planregd("check-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("listen_port = 7443", r.stdout)
        self.assertIn("max_frame_bytes = 1048576", r.stdout)
        self.assertIn("max_inflight_per_conn = 32", r.stdout)
        self.assertIn("serving needs tls_cert, tls_key, tls_ca", r.stderr)
        r = planregd("serve")
        self.assertEqual(r.returncode, 2)
        self.assertIn("serving needs tls_cert", r.stderr)

    def test_file_then_environment(self):
        path = self.conf("# comment\n\ntls_cert = /a.crt\ntls_key=/a.key\n  tls_ca =  /ca.crt  \n"
                         "listen_port = 9000\ndb_dsn = host=x password=secret\n")
        r = planregd("--config", path, "check-config", env={"PLANREGD_LISTEN_PORT": "9100"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("listen_port = 9100", r.stdout)
        self.assertIn("tls_ca = /ca.crt", r.stdout)
        self.assertNotIn("secret", r.stdout)

    def test_bad_settings_are_named(self):
        cases = [
            ({"PLANREGD_MAX_FRAME_BYTES": "12"}, None, "max_frame_bytes = 12 is out of range (1024 to 67108864)"),
            ({"PLANREGD_LISTEN_PORT": "seventy"}, None, "listen_port must be a whole number"),
            ({"PLANREGD_LOG_LEVEL": "loud"}, None, "log_level \"loud\" is not one of"),
            ({}, "colour = blue\n", "planregd.conf:1: unknown key \"colour\""),
            ({}, "tls_cert\n", "planregd.conf:1: expected \"key = value\""),
        ]
        for env, text, message in cases:
            args = ["check-config"]
            if text is not None:
                args = ["--config", self.conf(text)] + args
            r = planregd(*args, env=env)
            self.assertEqual(r.returncode, 2, message)
            self.assertIn(message, r.stderr)
        r = planregd("--config", os.path.join(self.dir, "missing.conf"), "check-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read", r.stderr)

    def test_unknown_command(self):
        r = planregd("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)

    def test_bad_tls_files_fail_at_start(self):
        path = self.conf("tls_cert = /nonexistent.crt\ntls_key = /nonexistent.key\ntls_ca = /nonexistent-ca.crt\n"
                         "listen_port = 0\nhttp_port = -1\n")
        r = planregd("--config", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot load server certificate /nonexistent.crt", r.stderr)

    def test_enrol_checks_its_arguments(self):
        r = planregd("enrol", "x", "CA", "boss", "ab" * 32)
        self.assertEqual(r.returncode, 2)
        self.assertIn("role \"boss\" is not one of", r.stderr)
        r = planregd("enrol", "x", "CA", "admin", "abc")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a SHA-256 fingerprint", r.stderr)


if __name__ == "__main__":
    harness.main()
