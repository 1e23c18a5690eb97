"""stage.py - `cmake --install` of the build under test into a directory of its own,
for test_install.py and test_systemd.py. ctest passes the build directory in
PLANREG_BUILD and cmake itself in CMAKE."""

import os
import shutil
import subprocess
import unittest

import harness

BUILD = os.environ.get("PLANREG_BUILD", "")
CMAKE = os.environ.get("CMAKE", "cmake")

# what `cmake --install` must put under the prefix, relative to it
LAYOUT = [
    "bin/planreg",
    "sbin/planregd",
    "share/planreg/lcr-digital-action-plan-2021-2023.txt",
    "share/planreg/names.tsv",
    "share/man/man1/planreg.1",
    "share/man/man5/planregd.conf.5",
    "share/man/man8/planregd.8",
    "share/doc/planreg/README.md",
    "share/doc/planreg/operations.md",
    "share/doc/planreg/examples/planregd.conf.example",
    "share/doc/planreg/examples/client.conf.example",
    "lib/systemd/system/planregd.service",
    "lib/systemd/system/planreg-remind.service",
    "lib/systemd/system/planreg-remind.timer",
    "lib/sysusers.d/planreg.conf",
]


def install(prefix, cwd=None):
    """Installs the build into prefix (relative to cwd when relative); returns cmake's output."""
    if not BUILD:
        raise SystemExit("PLANREG_BUILD is not set: run this test through ctest")
    r = subprocess.run([CMAKE, "--install", BUILD, "--prefix", prefix], capture_output=True, text=True, timeout=300,
                       cwd=cwd)
    if r.returncode != 0:
        raise AssertionError("cmake --install failed:\n%s%s" % (r.stdout, r.stderr))
    return r.stdout


class StagedTest(unittest.TestCase):
    """A test class with the build installed once into a stage of its own: cls.prefix, inside cls.tmp (named
    after tmp_prefix), removed after the last test."""

    tmp_prefix = "planreg-stage-"

    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.tempdir(cls.tmp_prefix)
        cls.prefix = os.path.join(cls.tmp, "stage")
        install(cls.prefix)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
