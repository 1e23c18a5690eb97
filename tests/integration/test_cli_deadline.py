"""The CLI's deadlines and its wait for a long answer, through the real CLI and daemon behind a relay that
misbehaves: every wait has a deadline that bytes cannot extend (an answer or a handshake that drips one
byte every half second still ends at --timeout, with the usual message and exit code 3, and a request
cut off that way is still sent again with its key), and `plan import` shows how long it has waited on a
terminal, clearing the line before anything is printed, and nothing through a pipe."""

import json
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from relay import Relay  # noqa: E402
from terminal import run_in_pty  # noqa: E402

PERIOD = "2026-Q3"
EXIT_CONNECT = 3
TIMEOUT_TAIL = "(timed out; PLANREG_TIMEOUT sets the limit)"


class ShapingRelay(Relay):
    """A TCP relay in front of the daemon. The client's bytes go through as they come. The server's bytes go
    through as they come until the relay starts shaping them: from the first one (start="handshake"), or
    once the client has spoken again after the server's handshake flight, that is sent its Finished and its
    request (start="answer"). From then on the first chunk waits `delay` seconds and every byte is sent on
    its own, `drip` seconds apart (0: as they come). With first_only, later connections are relayed whole."""

    def __init__(self, port, start, drip=0.0, delay=0.0, first_only=False):
        self.start, self.drip, self.delay, self.first_only = start, drip, delay, first_only
        self.dripped = 0  # bytes sent one at a time
        super().__init__(port)

    def accepted(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each dripped byte leaves at once
        super().accepted(conn)

    def new_state(self):
        return {"server_spoke": False, "client_after": False, "delayed": False,
                "shape": not self.first_only or self.connections == 1}

    def shaping(self, state):
        return state["shape"] and (self.start == "handshake" or state["client_after"])

    def forward(self, data, dst, state, upstream):
        if upstream:
            if state["server_spoke"]:
                state["client_after"] = True
            dst.sendall(data)
            return True
        if not self.shaping(state):
            state["server_spoke"] = True
            dst.sendall(data)
            return True
        if not state["delayed"]:
            state["delayed"] = True
            time.sleep(self.delay)
        if not self.drip:
            dst.sendall(data)
            return True
        for b in data:
            dst.sendall(bytes([b]))
            self.dripped += 1
            time.sleep(self.drip)
        return True


class CliDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = harness.Service("cli_deadline", people=("submitter-LCC",))
        r = cls.s.cli("admin", "plan", "import", harness.PLAN_FILE, "--dry-run", "--format", "json")
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
        cls.n_projects = len(json.loads(r.stdout))

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def relay(self, *args, **kwargs):
        relay = ShapingRelay(self.s.daemon.port, *args, **kwargs)
        self.addCleanup(relay.close)
        return relay

    def timed(self, cred, *args, env=None):
        t0 = time.monotonic()
        r = self.s.cli(cred, *args, env=env, timeout=30)  # without a deadline these take many minutes
        return r, time.monotonic() - t0

    # ------------------------------------------------------------ deadlines

    def test_an_answer_that_drips_ends_at_the_deadline(self):
        relay = self.relay("answer", drip=0.5)
        server = "localhost:%d" % relay.port
        for how, env in ((["--timeout", "2"], {}), ([], {"PLANREG_TIMEOUT": "2"})):
            before = relay.dripped
            r, took = self.timed("admin", *(how + ["whoami"]), env=dict(env, PLANREG_SERVER=server))
            self.assertEqual(r.returncode, EXIT_CONNECT, r.stdout + r.stderr)
            self.assertRegex(r.stderr, r"^planreg: no answer from %s while (waiting for|reading) the answer %s\n$"
                             % (re.escape(server), re.escape(TIMEOUT_TAIL)))
            self.assertEqual(r.stdout, "")
            self.assertGreater(took, 1.5, how)
            self.assertLess(took, 12, how)  # minutes without a deadline; 2 s plus start-up under load
            # bytes kept coming, each well inside the limit, and did not stretch it
            self.assertGreaterEqual(relay.dripped - before, 3, how)

    def test_a_handshake_that_drips_ends_at_the_deadline(self):
        relay = self.relay("handshake", drip=0.5)
        server = "localhost:%d" % relay.port
        r, took = self.timed("admin", "--timeout", "2", "whoami", env={"PLANREG_SERVER": server})
        self.assertEqual(r.returncode, EXIT_CONNECT, r.stdout + r.stderr)
        self.assertEqual(r.stderr, "planreg: no answer from %s during the TLS handshake %s\n" % (server, TIMEOUT_TAIL))
        self.assertGreater(took, 1.5)
        self.assertLess(took, 12)  # minutes without a deadline; 2 s plus start-up under load
        self.assertGreaterEqual(relay.dripped, 3)

    def test_a_request_cut_off_by_the_deadline_is_sent_again(self):
        """The deadline ends a call after its request went out: like a broken connection, the request may have
        been done, so a submission goes again with its key, and is not done twice."""
        relay = self.relay("answer", drip=0.5, first_only=True)
        count = "SELECT count(*) FROM progress_update"
        before = int(self.s.sql(count))
        r, took = self.timed("submitter-LCC", "--timeout", "2", "update", "submit", "5", "--period", PERIOD,
                             "--confidence", "green", "--stage", "live", "--narrative", "Dripped answer.",
                             "--idempotency-key", "deadline-5",
                             env={"PLANREG_SERVER": "localhost:%d" % relay.port})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(TIMEOUT_TAIL, r.stderr)
        self.assertIn("sending it again with the same idempotency key", r.stderr)
        self.assertIn("submitted update", r.stdout)
        self.assertEqual(relay.connections, 2)
        self.assertEqual(int(self.s.sql(count)), before + 1)
        self.assertLess(took, 14)  # two attempts of 2 s each plus start-up under load

    # ------------------------------------------------------------ the wait for a long answer

    def pty_env(self, relay, term="xterm"):
        return self.s.process_env("admin", port=relay.port, TERM=term)

    def assertWaited(self, out, what, printed):
        """The bar was drawn for what at least three times, its time moving on, then cleared before printed."""
        draws = list(re.finditer(r"\r  %s  (\d+\.\d) s" % re.escape(what), out))
        self.assertGreaterEqual(len(draws), 3, out)
        times = [float(m.group(1)) for m in draws]
        self.assertEqual(times, sorted(set(times)), out)  # every redraw later than the one before
        self.assertGreaterEqual(times[-1], 0.5, out)
        clear = re.compile(r"\r +\r").search(out, draws[-1].end())
        self.assertIsNotNone(clear, out)
        self.assertGreater(out.index(printed), clear.start(), out)
        self.assertNotIn(what, out[clear.end():])

    def test_plan_import_shows_the_wait_on_a_terminal(self):
        relay = self.relay("answer", delay=0.8)
        what = "importing %d projects" % self.n_projects
        rc, out = run_in_pty([harness.PLANREG, "plan", "import", harness.PLAN_FILE, "--quiet"], self.pty_env(relay))
        self.assertEqual(rc, 0, out)
        self.assertWaited(out, what, "register: ")
        rc, out = run_in_pty([harness.PLANREG, "plan", "import", harness.PLAN_FILE, "--quiet", "--dry-run"],
                             self.pty_env(relay))
        self.assertEqual(rc, 0, out)
        self.assertWaited(out, what + " (dry run)", "the server's verdict on")
        # TERM=dumb: no bar even on a terminal
        rc, out = run_in_pty([harness.PLANREG, "plan", "import", harness.PLAN_FILE, "--quiet"],
                             self.pty_env(relay, term="dumb"))
        self.assertEqual(rc, 0, out)
        self.assertNotIn("importing", out)
        self.assertNotIn("\r ", out)
        # through a pipe: nothing on stderr at all
        r = self.s.cli("admin", "plan", "import", harness.PLAN_FILE, "--quiet",
                       env={"PLANREG_SERVER": "localhost:%d" % relay.port})
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("register: ", r.stdout)

    def test_the_wait_is_cleared_before_a_failure_is_said(self):
        relay = self.relay("answer", drip=0.5)
        env = self.pty_env(relay)
        env["PLANREG_TIMEOUT"] = "1"
        rc, out = run_in_pty([harness.PLANREG, "plan", "import", harness.PLAN_FILE, "--quiet"], env)
        self.assertEqual(rc, EXIT_CONNECT, out)
        self.assertWaited(out, "importing %d projects" % self.n_projects, "planreg: no answer from")


if __name__ == "__main__":
    harness.main()
