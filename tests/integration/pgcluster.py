"""pgcluster.py - a PostgreSQL cluster of a test module's own (deploy/pgcluster.sh), for tests that stop,
freeze or replicate the database under a running daemon and so cannot share the suite's cluster. The
postgres user must reach its directory: make the parent with harness.tempdir(prefix, 0o755)."""

import os
import subprocess

import harness

PGCLUSTER = os.path.join(harness.SOURCE_DIR, "deploy", "pgcluster.sh")


class PgCluster:
    """A cluster in directory, started on a free port (its socket in directory). tcp: it listens on
    127.0.0.1 too; fast: it skips fsync (a throwaway cluster); primary: a streaming replica of that
    running cluster instead of a new one."""

    def __init__(self, directory, tcp=False, fast=True, primary=None):
        self.dir = directory
        self.port = str(harness.free_port())
        self.env = dict(os.environ, PLANREG_PG_LISTEN="127.0.0.1") if tcp else dict(os.environ)
        try:
            if primary is not None:
                self.pg("replica", primary.dir)
            else:
                self.pg("init", *(["--fast"] if fast else []))
            self.start()
        except BaseException:
            self.stop()  # a start that failed half-way may still have left a server running
            raise

    def pg(self, command, *args):
        """deploy/pgcluster.sh COMMAND DIR ARGS...; fails when it does."""
        r = subprocess.run(["bash", PGCLUSTER, command, self.dir] + list(args), capture_output=True, text=True,
                           timeout=120, env=self.env)
        if r.returncode != 0:
            raise AssertionError("pgcluster.sh %s failed: %s%s" % (" ".join((command,) + args), r.stdout, r.stderr))

    def start(self):
        self.pg("start", self.port)

    def stop(self):
        """Stops it if it runs; never fails (for clean-ups)."""
        subprocess.run(["bash", PGCLUSTER, "stop", self.dir], capture_output=True, timeout=120)

    def psql(self, sql, db="postgres"):
        """Runs sql as the cluster's superuser; returns stdout (unaligned, tuples only)."""
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", self.dir, "-p", self.port,
                            "-U", "postgres", "-d", db], input=sql, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("psql on %s failed: %s\n%s" % (self.dir, sql, r.stderr))
        return r.stdout.strip()

    def dsn(self, db, user, host=None):
        """A libpq connection string to db as user, through the socket unless host is given."""
        return "host=%s port=%s dbname=%s user=%s" % (host or self.dir, self.port, db, user)
