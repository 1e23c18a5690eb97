"""The Debian packages (debian/, docs/decisions.md "The Debian packages"): `dpkg-buildpackage -us -uc -b` builds
planreg and planregd from a copy of the tree, lintian finds neither an error nor a warning, and both install
with `dpkg -i` into a clean root, a minimal Debian 12 made with debootstrap from Debian's mirror (kept in the
build tree, never changed, and copied for each run) into which apt has put only what the packages' Depends
lines name. There the binaries run, every file is where Debian expects it and `dpkg -L` lists it, the system
users exist, the units name /usr's paths and are not enabled, and a purge leaves nothing behind.
Needs root (debootstrap, chroot); about two to three minutes, most of it debootstrap on a first run."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ.get("PLANREG_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PLANREG_BUILD") or os.path.join(SOURCE, "build", "release")
VERSION = os.environ.get("PLANREG_VERSION", "")
MIRROR = os.environ.get("PLANREG_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"

# what each package must hold, as `dpkg -L` lists it
FILES = {
    "planreg": ["/usr/bin/planreg", "/usr/share/man/man1/planreg.1.gz",
                "/usr/share/bash-completion/completions/planreg",
                "/usr/share/doc/planreg/copyright", "/usr/share/doc/planreg/changelog.gz",
                "/usr/share/doc/planreg/examples/client.conf.example",
                "/usr/share/planreg/lcr-digital-action-plan-2021-2023.txt", "/usr/share/planreg/names.tsv"],
    "planregd": ["/usr/sbin/planregd", "/usr/share/man/man8/planregd.8.gz", "/usr/share/man/man5/planregd.conf.5.gz",
                 "/lib/systemd/system/planregd.service", "/lib/systemd/system/planreg-remind.service",
                 "/lib/systemd/system/planreg-remind.timer", "/usr/lib/sysusers.d/planreg.conf",
                 "/usr/share/doc/planregd/copyright", "/usr/share/doc/planregd/README.md",
                 "/usr/share/doc/planregd/examples/planregd.conf.example",
                 "/usr/share/planreg/migrations/0001_register.sql"],
}
UNITS = ["planregd.service", "planreg-remind.service", "planreg-remind.timer"]


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def check(r, what):
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (what, r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def phase(name, started):
    print("test_package: %s took %.0f s" % (name, time.monotonic() - started), flush=True)


def copy_tree(dest):
    """The tree as git sees it (tracked and new files, nothing ignored), so build/ and var/ stay behind."""
    files = check(run(["git", "-C", SOURCE, "ls-files", "-z", "-co", "--exclude-standard"]), "git ls-files")
    for rel in files.stdout.split("\0"):
        src = os.path.join(SOURCE, rel)
        if rel and os.path.lexists(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)


def base_root():
    """A minimal Debian made once per build tree and then only copied: debootstrap from Debian's mirror."""
    base = os.path.join(BUILD, "package-root", SUITE)
    if os.path.isdir(base):
        return base
    started = time.monotonic()
    partial = base + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.dirname(base), exist_ok=True)
    check(run(["debootstrap", "--variant=minbase", SUITE, partial, MIRROR], timeout=900),
          "debootstrap %s from %s" % (SUITE, MIRROR))
    os.rename(partial, base)
    phase("debootstrap", started)
    return base


def in_root(root, script, timeout=300):
    """Runs a shell script chrooted in root, with /proc and /dev mounted in a mount namespace of its own (so
    nothing stays mounted afterwards)."""
    return run(["unshare", "--mount", "--fork", "sh", "-ec",
                'mount -t proc proc "$0/proc"; mount --rbind /dev "$0/dev"; exec chroot "$0" sh -ec "$1"',
                root, script], timeout=timeout, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C"))


def depends(debs):
    """The packages' Depends lines, less their dependencies on each other: what apt must bring."""
    out = []
    for deb in debs:
        field = check(run(["dpkg-deb", "--field", deb, "Depends"]), "dpkg-deb --field").stdout.strip()
        out += [d.strip() for d in field.split(",") if d.strip() and not re.match(r"planregd?\b", d.strip())]
    return ", ".join(out)


@unittest.skipUnless(os.geteuid() == 0, "debootstrap and chroot need root (tests/run.sh runs as root)")
class DebianPackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="planreg-package.", dir=os.environ.get("PLANREG_TEST_TMP") or None)
        src = os.path.join(cls.tmp, "planreg")
        copy_tree(src)
        started = time.monotonic()
        r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=1200)
        with open(os.path.join(cls.tmp, "build.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        check(r, "dpkg-buildpackage -us -uc -b (log: %s/build.log)" % cls.tmp)
        phase("dpkg-buildpackage", started)
        arch = check(run(["dpkg", "--print-architecture"]), "dpkg --print-architecture").stdout.strip()
        cls.version = re.match(r"\S+ \(([^)]+)\)", open(os.path.join(src, "debian", "changelog")).readline()).group(1)
        cls.debs = [os.path.join(cls.tmp, "%s_%s_%s.deb" % (p, cls.version, arch)) for p in FILES]
        cls.changes = os.path.join(cls.tmp, "planreg_%s_%s.changes" % (cls.version, arch))
        cls.root = os.path.join(cls.tmp, "root")
        base = base_root()
        started = time.monotonic()
        check(run(["cp", "-a", base, cls.root]), "copying the clean root")
        shutil.copy("/etc/resolv.conf", os.path.join(cls.root, "etc", "resolv.conf"))
        for deb in cls.debs:
            shutil.copy(deb, os.path.join(cls.root, "tmp"))
        names = " ".join("/tmp/" + os.path.basename(d) for d in cls.debs)
        cls.install = in_root(cls.root, "apt-get -q update >/dev/null; apt-get -q -y --no-install-recommends satisfy "
                              "'%s'; dpkg -i %s" % (depends(cls.debs), names))
        phase("installing into the clean root", started)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_version_is_the_projects(self):
        if VERSION:
            self.assertEqual(self.version, VERSION, "debian/changelog and CMakeLists.txt's project() disagree")

    def test_lintian_finds_no_error_or_warning(self):
        r = run(["lintian", "--fail-on", "error,warning", self.changes], timeout=600)
        tags = [line for line in r.stdout.splitlines() if re.match(r"[EW]: ", line)]
        self.assertEqual(tags, [], r.stdout + r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_installs_with_dpkg_and_runs(self):
        check(self.install, "apt-get satisfy and dpkg -i in the clean root")
        r = check(in_root(self.root, "dpkg-query -W -f '${Package} ${Status}\\n' planreg planregd"), "dpkg-query")
        self.assertEqual(sorted(r.stdout.split("\n")[:2]),
                         ["planreg install ok installed", "planregd install ok installed"])
        r = check(in_root(self.root, "planregd --version"), "planregd --version")
        self.assertEqual((r.stdout + r.stderr).strip(), "planregd %s" % self.version)
        r = check(in_root(self.root, "planreg --help"), "planreg --help")
        self.assertTrue(r.stdout.startswith("usage: planreg"), r.stdout)

    def test_files_where_debian_expects_them(self):
        check(self.install, "the installation")
        for pkg, files in FILES.items():
            listed = check(in_root(self.root, "dpkg -L " + pkg), "dpkg -L " + pkg).stdout.split("\n")
            for path in files:
                self.assertIn(path, listed, "dpkg -L %s" % pkg)
                self.assertTrue(os.path.isfile(self.root + path), path)
            self.assertFalse([p for p in listed if p.startswith("/usr/local")], "nothing under /usr/local")
        for binary in ("/usr/bin/planreg", "/usr/sbin/planregd"):
            self.assertTrue(os.access(self.root + binary, os.X_OK), binary)

    def test_users_and_units(self):
        check(self.install, "the installation")
        r = check(in_root(self.root, "getent passwd planreg planreg-remind"), "getent passwd")
        self.assertEqual([line.split(":")[0] for line in r.stdout.splitlines()], ["planreg", "planreg-remind"])
        for unit in UNITS:
            lines = open(os.path.join(self.root, "lib/systemd/system", unit)).read().splitlines()
            self.assertFalse([line for line in lines if "/usr/local" in line and not line.startswith("#")], unit)
        service = open(os.path.join(self.root, "lib/systemd/system/planregd.service")).read()
        self.assertIn("ExecStart=/usr/sbin/planregd ", service)
        remind = open(os.path.join(self.root, "lib/systemd/system/planreg-remind.service")).read()
        self.assertIn("ExecStart=/usr/bin/planreg remind run", remind)
        self.assertIn("file:///usr/share/doc/planregd/README.md", remind)
        # installed, not enabled: both need configuring first (debian/rules)
        r = in_root(self.root, "systemctl is-enabled planregd.service planreg-remind.timer || true")
        self.assertEqual(r.stdout.split(), ["disabled", "disabled"], r.stdout + r.stderr)

    def test_zz_purge_leaves_nothing(self):
        check(self.install, "the installation")
        check(in_root(self.root, "dpkg --purge planregd planreg"), "dpkg --purge")
        for files in FILES.values():
            for path in files:
                self.assertFalse(os.path.lexists(self.root + path), path)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=sys.argv[:1])
