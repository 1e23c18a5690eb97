"""`cmake --install` of this build: what goes where, the versions, the man pages
(rendered by man, no groff warnings; planregd(8)'s commands in step with --help,
while planreg(1)'s commands and options and planregd.conf(5)'s keys are written
from the tables themselves when the pages are built, man/CMakeLists.txt), the
example configs, and `planregd migrate` from a copy of the stage away from the
source tree."""

import hashlib
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import stage  # noqa: E402

VERSION = os.environ.get("PLANREG_VERSION", "")
MIGRATIONS_DIR = os.path.join(harness.SOURCE_DIR, "migrations")
MAN_PAGES = {"planreg": "share/man/man1/planreg.1", "planregd": "share/man/man8/planregd.8",
             "planregd.conf": "share/man/man5/planregd.conf.5"}

def run(cmd, cwd=None, env=None, timeout=120):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def roff_section(text, name):
    """The lines of one .SH section of a man page's roff source."""
    lines = text.split("\n")
    out, inside = [], False
    for line in lines:
        if line.startswith(".SH "):
            inside = line[4:].strip().strip('"') == name
            continue
        if inside:
            out.append(line)
    return out


def defined_terms(lines):
    """Terms of a definition list as scdoc writes it: a line that is one bold word, then .RS 4."""
    terms = []
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"^\\fB([a-z][a-z-]*)\\fR(?: .*)?$", line)
        if m and lines[i + 1] == ".RS 4":
            terms.append(m.group(1))
    return terms


def help_section(text, heading):
    """Lines of a --help listing under heading, up to the next blank line."""
    lines = text.split("\n")
    start = lines.index(heading) + 1
    out = []
    for line in lines[start:]:
        if not line.strip():
            break
        out.append(line)
    return out


PLANREG_COMMAND = r"^  ([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?:\s{2,}\S|$)"  # "  NOUN VERB  summary" in planreg --help
PLANREGD_COMMAND = r"^  ([a-z][a-z-]*)(?: |$)"


def help_commands(text, pattern):
    """The commands a --help listing names under "Commands:", each matched by pattern (group 1: the command)."""
    out = []
    for line in help_section(text, "Commands:"):
        m = re.match(pattern, line)
        if m:
            out.append(m.group(1))
    return out


def render(path):
    """man -l's text for a page (overstrike removed), its stderr and status."""
    env = dict(os.environ, MANWIDTH="100", LC_ALL="C.UTF-8", MANPAGER="cat", PAGER="cat")
    r = run(["man", "--warnings", "-l", path], env=env)
    return re.sub(r".\x08", "", r.stdout), r.stderr, r.returncode


class InstallTest(stage.StagedTest):
    tmp_prefix = "planreg-install-"

    def path(self, rel):
        return os.path.join(self.prefix, rel)

    def test_layout(self):
        for rel in stage.LAYOUT:
            self.assertTrue(os.path.isfile(self.path(rel)), "not installed: " + rel)
        for rel in ("bin/planreg", "sbin/planregd"):
            self.assertTrue(os.access(self.path(rel), os.X_OK), rel + " is not executable")
        # every migration, byte for byte, and nothing else
        sources = sorted(f for f in os.listdir(MIGRATIONS_DIR) if f.endswith(".sql"))
        installed = sorted(os.listdir(self.path("share/planreg/migrations")))
        self.assertEqual(installed, sources)
        for name in sources:
            self.assertEqual(sha256(self.path("share/planreg/migrations/" + name)),
                             sha256(os.path.join(MIGRATIONS_DIR, name)), name)
        self.assertEqual(sha256(self.path("share/planreg/lcr-digital-action-plan-2021-2023.txt")),
                         sha256(harness.PLAN_FILE))

    def test_versions_agree_with_cmake(self):
        self.assertRegex(VERSION, r"^\d+\.\d+\.\d+$", "ctest passes CMake's project VERSION")
        for binary, name in (("bin/planreg", "planreg"), ("sbin/planregd", "planregd")):
            r = run([self.path(binary), "--version"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.split("\n")[0].split()[:2], [name, VERSION], r.stdout)
        r = run([self.path("sbin/planregd"), "-V"])
        self.assertEqual(r.stdout.split()[:2], ["planregd", VERSION])
        for page, rel in MAN_PAGES.items():
            with open(self.path(rel)) as f:
                th = [line for line in f.read().split("\n") if line.startswith(".TH ")]
            self.assertEqual(len(th), 1, rel)
            self.assertIn('"planreg %s"' % VERSION, th[0], rel)

    def test_man_pages_render_without_warnings(self):
        for page, rel in MAN_PAGES.items():
            path = self.path(rel)
            r = run(["groff", "-t", "-ww", "-z", "-man", "-Tutf8", path])
            self.assertEqual((r.returncode, r.stderr), (0, ""), "groff warns about " + rel)
            text, err, rc = render(path)
            self.assertEqual((rc, err), (0, ""), "man -l " + rel)
            self.assertIn("NAME", text)
            self.assertIn("%s - " % page, text)
            self.assertIn("SEE ALSO", text)
            # whatis and apropos read the NAME line through mandb's parser
            r = run(["lexgrog", path])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn('"%s - ' % page, r.stdout)
        # the sources are plain ASCII: no encoding for man to guess
        man_src = os.path.join(harness.SOURCE_DIR, "man")
        for name in os.listdir(man_src):
            if name.endswith(".scd"):
                with open(os.path.join(man_src, name), "rb") as f:
                    data = f.read()
                self.assertTrue(all(b < 0x80 for b in data), name + " has a byte that is not ASCII")

    def test_planregd_page_documents_every_command(self):
        r = run([self.path("sbin/planregd"), "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        commands = set(help_commands(r.stdout, PLANREGD_COMMAND))
        self.assertIn("migrate", commands)
        reloadable = set()
        for line in r.stdout.split("\n"):
            m = re.match(r"^  ([a-z_]+)\s+(?:int|string)\s+default\s+\S+\s+(\(SIGHUP\))?", line)
            if m and m.group(2):
                reloadable.add(m.group(1))
        self.assertIn("tls_cert", reloadable)

        with open(self.path(MAN_PAGES["planregd"])) as f:
            roff8 = f.read()
        self.assertEqual(set(defined_terms(roff_section(roff8, "COMMANDS"))), commands)
        # what SIGHUP reloads, as --help marks it, is named under SIGHUP
        signals = "\n".join(roff_section(roff8, "SIGNALS"))
        sighup = signals[signals.index("SIGHUP"):]
        for key in reloadable:
            self.assertIn(key, sighup)

    def test_example_configs_load(self):
        example = self.path("share/doc/planreg/examples/planregd.conf.example")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANREGD_")}
        r = run([self.path("sbin/planregd"), "--config", example, "check-config"], env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("listen_addr = 0.0.0.0", r.stdout)
        self.assertIn("tls_ca = /etc/planreg/ca.crt", r.stdout)
        # the client's: read without complaint, then it fails on the certificate files it names
        xdg = os.path.join(self.tmp, "xdg")
        os.makedirs(os.path.join(xdg, "planreg"), exist_ok=True)
        shutil.copy(self.path("share/doc/planreg/examples/client.conf.example"),
                    os.path.join(xdg, "planreg", "client.conf"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANREG_")}
        env["XDG_CONFIG_HOME"] = xdg
        r = run([self.path("bin/planreg"), "--server", "127.0.0.1:1", "whoami"], env=env)
        self.assertNotIn("client.conf:", r.stderr)
        self.assertEqual(r.returncode, 3, r.stderr)

    def test_migrate_from_a_copy_of_the_stage(self):
        # the stage moved elsewhere, run from there, with nothing pointing at the source tree
        moved = os.path.join(self.tmp, "elsewhere")
        shutil.copytree(self.prefix, moved, symlinks=True)
        db = harness.create_database("install")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANREG", "PLANREGD_"))}
            env["PLANREGD_DB_DSN"] = harness.dsn(db)
            planregd = os.path.join(moved, "sbin", "planregd")
            r = run([planregd, "migrate"], cwd=moved, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            installed = sorted(os.listdir(os.path.join(moved, "share/planreg/migrations")))
            self.assertIn("applied %d migrations" % len(installed), r.stdout)
            # it applied exactly the installed files' content
            rows = harness.psql("SELECT name || ' ' || checksum FROM schema_migrations ORDER BY version", db)
            want = ["%s %s" % (n, sha256(os.path.join(moved, "share/planreg/migrations", n))) for n in installed]
            self.assertEqual(rows.split("\n"), want)
            again = run([planregd, "migrate"], cwd="/", env=env)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn("up to date (%d migrations applied)" % len(installed), again.stdout)
        finally:
            harness.drop_database(db)


if __name__ == "__main__":
    harness.main()
