"""planreg builds with only its run-time dependencies (docs/hacking.md): configured with
-DBUILD_TESTING=OFF where pkg-config knows only the libraries the binaries link (no cmocka)
and PATH has no scdoc and no clang-format, the daemon and the CLI build and run, and the man
pages are skipped with a message rather than failing the configure."""
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("PLANREG_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# what planreg and planregd link, and what those .pc files require in turn
RUNTIME_PC = ["libevent", "libevent_openssl", "libprotobuf-c", "libpq", "openssl", "libssl", "libcrypto", "libcurl"]
MISSING_TOOLS = {"scdoc", "clang-format", "clang-format-14"}


def pc_dir(name):
    return subprocess.run(["pkg-config", "--variable=pcfiledir", name], check=True, capture_output=True,
                          text=True).stdout.strip()


class MinimalBuild(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="planreg-minimal.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        pc = os.path.join(self.tmp, "pkgconfig")
        os.mkdir(pc)
        for name in RUNTIME_PC:
            os.symlink(os.path.join(pc_dir(name), name + ".pc"), os.path.join(pc, name + ".pc"))
        # every program on PATH but the build-only tools
        self.bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.bin)
        for d in os.environ.get("PATH", "/usr/bin:/bin").split(":"):
            if not os.path.isdir(d):
                continue
            for f in os.listdir(d):
                target = os.path.join(self.bin, f)
                if f in MISSING_TOOLS or os.path.lexists(target):
                    continue
                os.symlink(os.path.join(d, f), target)
        self.env = dict(os.environ, PKG_CONFIG_LIBDIR=pc, PKG_CONFIG_PATH="", PATH=self.bin)

    def run_step(self, *cmd):
        r = subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, timeout=900)
        self.assertEqual(r.returncode, 0, "%s failed:\n%s\n%s" % (" ".join(cmd), r.stdout[-3000:], r.stderr[-3000:]))
        return r

    def test_runtime_dependencies_are_enough(self):
        for tool in MISSING_TOOLS:
            self.assertIsNone(shutil.which(tool, path=self.bin))
        r = subprocess.run(["pkg-config", "--exists", "cmocka"], env=self.env)
        self.assertNotEqual(r.returncode, 0, "cmocka must be invisible to this build")
        build = os.path.join(self.tmp, "build")
        r = self.run_step("cmake", "-S", SOURCE, "-B", build, "-DBUILD_TESTING=OFF", "-DCMAKE_BUILD_TYPE=Release",
                          # only PATH: the system directories would find the tools the farm leaves out
                          "-DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF")
        self.assertIn("man pages", r.stdout + r.stderr)  # skipped, and said so
        self.run_step("cmake", "--build", build, "-j2", "--target", "planreg", "planregd")
        v = self.run_step(os.path.join(build, "server", "planregd"), "--version")
        self.assertIn("planregd", v.stdout + v.stderr)
        h = self.run_step(os.path.join(build, "client", "planreg"), "--help")
        self.assertIn("planreg", h.stdout)
        self.assertFalse(os.path.exists(os.path.join(build, "tests")), "no test tree with BUILD_TESTING=OFF")


if __name__ == "__main__":
    unittest.main()
