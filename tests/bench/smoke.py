#!/usr/bin/python3
"""smoke.py - ctest bench.smoke: runs tests/bench/run.sh (BENCH_QUICK=1 from the environment) and checks only
that it exits 0 and prints every comparison line with a number; the figures themselves are not judged."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINES = ["submit: planregd", "idle:", "whoami pipelined:", "proofs:", "handshakes: full", "cli whoami:", "audit verify:"]
if os.environ.get("BENCH_SKIP_STATUS") != "1" and os.environ.get("BENCH_QUICK") != "1":
    LINES.append("status: planregd")

p = subprocess.run(["bash", os.path.join(HERE, "run.sh")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, timeout=170)
sys.stdout.write(p.stdout)
if p.returncode != 0:
    sys.exit("run.sh exited %d" % p.returncode)
out = p.stdout.splitlines()
missing = [want for want in LINES
           if not any(l.startswith(want) and re.search(r"\d", l[len(want):]) for l in out)]
if missing:
    sys.exit("run.sh printed no line (with a number) for: %s" % ", ".join(missing))
print("bench.smoke: all %d comparison lines present" % len(LINES))
