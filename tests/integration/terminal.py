"""terminal.py - running a command on a real pseudo-terminal, for tests of what the CLI draws only on a
terminal (progress bars, the wait for a long answer)."""

import os
import pty
import select
import time


def run_in_pty(argv, env, timeout=60):
    """Runs argv with stdout and stderr on a new pseudo-terminal; returns (exit code, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    deadline = time.time() + timeout
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            raise AssertionError("%s did not finish within %d s" % (argv, timeout))
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")
