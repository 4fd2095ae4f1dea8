"""A command that needs some layers reads only those tables from PostGIS.

Counted by PostgreSQL itself: ``pg_stat_user_tables`` (``seq_scan + idx_scan``) of the
test's own schema, before and after the command. A backend reports its counters when
it ends, so the pooled connections are closed and the test waits for their backends
to exit before reading.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from conftest import run_cli

from ecomap.io import default_data_dir
from ecomap.layers import LAYER_NAMES
from ecomap.network import read_layers
from ecomap.store import database, init_schema, write_layers
from ecomap.store._url import engine

BUNDLED = default_data_dir()


@pytest.fixture(scope="module")
def loaded(cluster) -> str:
    url = cluster.url(schema=f"r_{uuid.uuid4().hex[:12]}")
    init_schema(url)
    write_layers(url, read_layers(BUNDLED))
    return url


def _conninfo(url: str) -> str:
    return database(url).url.replace("postgresql+psycopg://", "postgresql://")


def _scans(url: str) -> dict[str, int]:
    """Scans per table of the URL's schema, once every other backend has ended (and reported)."""
    db = database(url)
    engine(db.url).dispose()
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        for _ in range(200):
            others = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                                  "AND pid <> pg_backend_pid()").fetchone()[0]
            if not others:
                break
            time.sleep(0.05)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute("SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                            "WHERE schemaname = %s", (db.schema,)).fetchall()
    return {name: n for name, n in rows if name in LAYER_NAMES}


def _read_by(url: str, *args) -> set[str]:
    before = _scans(url)
    assert run_cli(*args) == 0
    after = _scans(url)
    return {name for name in after if after[name] > before.get(name, 0)}


@pytest.mark.parametrize(("args", "tables"), [
    (("query", "bridges", "--near", "114.35,22.70", "--radius", "500"), {"bridges"}),
    (("query", "corridors", "--bbox", "114.30,22.65,114.40,22.75"), {"corridors"}),
    (("query", "bridges", "--within", "corridors:C07"), {"bridges", "corridors"}),
    (("bridges", "list"), {"bridges"}),
    (("bridges", "list", "--within", "corridors:C07"), {"bridges", "corridors"}),
    (("bridges", "stats", "--by", "host"), {"bridges"}),
    (("bridges", "stats", "--by", "subdistrict"), {"bridges", "subdistricts"}),
    (("export", "--layers", "bridges", "--format", "geojson"), {"bridges", "boundary", "districts"}),
    (("export", "--layers", "corridors", "--format", "shp"), {"corridors", "patches", "boundary", "districts"}),
    (("map", "--layers", "bridges", "--no-analysis", "--basemap", "none"), {"bridges", "boundary", "districts"}),
    (("layers",), set(LAYER_NAMES)),
])
def test_only_the_tables_a_command_needs_are_read(loaded, tmp_path, capsys, args, tables):
    if args[0] in ("export", "map"):
        args = (*args, "--out", tmp_path / ("out" if args[0] == "export" else "map.html"))
    got = _read_by(loaded, *args, "--data", loaded)
    assert got == tables


def test_an_import_reads_the_register_and_the_outline_only(loaded, tmp_path, capsys):
    survey = tmp_path / "survey.csv"
    survey.write_text("lon,lat,host,material,status,installed,note\n"
                      "114.3501,22.7001,ditch,stone,built,2024-05-03,a\n"
                      "114.3601,22.7101,ditch,stone,built,2024-05-03,b\n")
    got = _read_by(loaded, "bridges", "import", survey, "--data", loaded)
    assert got == {"bridges", "boundary", "districts"}
