"""A throw-away PostgreSQL + PostGIS cluster for the store tests, in a temporary folder.

The cluster is made once per session with Debian's ``initdb`` and ``pg_ctl`` (from
``/usr/lib/postgresql/<version>/bin``), listens only on a Unix socket inside its folder,
and is stopped and removed at the end. Every test gets its own schema (``?schema=...``),
so tests never see each other's tables. When the binaries or the PostGIS extension are
missing the tests are skipped, unless ``ECOMAP_REQUIRE_POSTGIS`` is set (CI sets it), in
which case they fail. As root, the cluster runs as the ``postgres`` user (``initdb``
refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PORT = 5433


def _postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<v>/bin`` that has initdb and whose PostGIS is installed."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bindir = Path(initdb).parent
        version = bindir.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            found.append((float(version) if version.replace(".", "").isdigit() else 0.0, bindir))
    return max(found)[1] if found else None


def _missing(reason: str):
    if os.environ.get("ECOMAP_REQUIRE_POSTGIS"):
        pytest.fail(f"ECOMAP_REQUIRE_POSTGIS is set but {reason} (make sysdeps installs postgresql and postgis)")
    pytest.skip(reason)


class Cluster:
    """A running cluster: its folder, socket directory, and a superuser URL per database."""

    def __init__(self, bindir: Path, root: Path, run_as: str | None):
        self.bindir, self.root, self.run_as = bindir, root, run_as
        self.data = root / "data"

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self._run(self.bindir / "initdb", "-D", self.data, "-U", "ecomap", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        opts = (f"-k {self.root} -p {PORT} -c listen_addresses='' -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.root / "log", "-w", "start")

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "ecomap", schema: str | None = None) -> str:
        tail = f"&schema={schema}" if schema else ""
        return f"postgresql://ecomap@/{db}?host={self.root}&port={PORT}{tail}"


@pytest.fixture(scope="session")
def cluster():
    """A running cluster with a database ``ecomap`` that has PostGIS."""
    bindir = _postgres_bin()
    if bindir is None:
        _missing("PostgreSQL with PostGIS is not installed (/usr/lib/postgresql/*/bin, postgis.control)")
    run_as = None
    root = Path(tempfile.mkdtemp(prefix="ecomap-pg-"))
    if os.geteuid() == 0:
        run_as = "postgres"
        pw = pwd.getpwnam(run_as)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    c = Cluster(bindir, root, run_as)
    try:
        c.start()
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr}\n{log}")
    try:
        import psycopg

        with psycopg.connect(dbname="postgres", user="ecomap", host=str(root), port=PORT, autocommit=True) as conn:
            conn.execute("CREATE DATABASE ecomap")
        with psycopg.connect(dbname="ecomap", user="ecomap", host=str(root), port=PORT, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield c
    finally:
        c.stop()


@pytest.fixture
def pg_url(cluster) -> str:
    """A URL to the cluster with a schema of this test's own (created by ``ecomap db init``)."""
    return cluster.url(schema=f"t_{uuid.uuid4().hex[:12]}")
