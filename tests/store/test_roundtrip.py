"""Folder <-> PostGIS: init, load, dump byte for byte; constraints; errors."""

from __future__ import annotations

import uuid

import pytest
from conftest import run_cli

from ecomap.io import default_data_dir
from ecomap.layers import LAYER_NAMES
from ecomap.network import load_network, read_layers
from ecomap.store import init_schema, parse_database_url, transaction, write_layers

BUNDLED = default_data_dir()


def test_init_load_dump_round_trip_is_byte_identical(pg_url, tmp_path, capsys):
    assert run_cli("db", "init", "--data", pg_url) == 0
    assert f"created {len(LAYER_NAMES)} table(s)" in capsys.readouterr().out
    assert run_cli("db", "init", "--data", pg_url) == 0  # again: harmless
    assert "all existed" in capsys.readouterr().out
    assert run_cli("db", "load", BUNDLED, "--data", pg_url) == 0
    out = tmp_path / "dump"
    assert run_cli("db", "dump", "--data", pg_url, "--out", out) == 0
    files = sorted(p.name for p in BUNDLED.glob("*.geojson"))
    assert sorted(p.name for p in out.glob("*.geojson")) == files
    for name in files:
        assert (out / name).read_bytes() == (BUNDLED / name).read_bytes(), name


def test_network_from_postgis_equals_network_from_folder(pg_url):
    init_schema(pg_url)
    write_layers(pg_url, read_layers(BUNDLED))
    a, b = load_network(BUNDLED), load_network(pg_url)
    assert b.data_dir is None and b.source.startswith("postgresql://")
    for name in LAYER_NAMES:
        x, y = a[name], b[name]
        assert list(x.index) == list(y.index), name
        assert x.drop(columns="geometry").equals(y.drop(columns="geometry")), name
        assert x.geometry.geom_equals_exact(y.geometry, tolerance=0).all(), name


def test_schema_has_constraints_and_gist_indexes(pg_url):
    from sqlalchemy import text

    init_schema(pg_url)
    db = parse_database_url(pg_url)
    with transaction(db) as conn:
        idx = conn.execute(text("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = :s"),
                           {"s": db.schema}).all()
        gist = {t for t, d in idx if "USING gist (geom)" in d}
        assert gist == set(LAYER_NAMES)
        srid = conn.execute(text("SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = :s"),
                            {"s": db.schema}).scalars().all()
        assert srid == [4326]
        checks = conn.execute(text(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = :s AND contype = 'c'"), {"s": db.schema}).scalars().all()
    assert {"bridges_status_allowed", "corridors_width_m_min", "barriers_permeability_max",
            "bridges_geom_type", "bridges_source_not_blank"} <= set(checks)


@pytest.mark.parametrize("column, value, rule", [
    ("status", "maybe", "bridges_status_allowed"),
    ("source", " ", "bridges_source_not_blank"),
    ("id", "B00002", "bridges_pkey"),
])
def test_a_row_against_the_catalogue_is_refused_and_nothing_changes(pg_url, column, value, rule):
    init_schema(pg_url)
    layers = read_layers(BUNDLED)
    write_layers(pg_url, layers)
    bad = layers["bridges"].copy()
    bad.loc[0, column] = value
    with pytest.raises(ValueError, match=rule):
        write_layers(pg_url, {**layers, "bridges": bad})
    assert list(load_network(pg_url).bridges.index) == list(layers["bridges"]["id"])


def test_errors_name_the_database_without_its_password(cluster, tmp_path, capsys):
    url = cluster.url(schema="nothing_here").replace("ecomap@", "ecomap:s3cret@")
    assert run_cli("layers", "--data", url) == 2
    err = capsys.readouterr().err
    assert "has no ecomap tables" in err and "ecomap db init" in err and "s3cret" not in err
    assert run_cli("db", "init", "--data", "postgresql://ecomap@/ecomap?schema=Bad-Name") == 2
    assert "lower-case" in capsys.readouterr().err
    assert run_cli("layers", "--data", "postgresql://nobody:pw@/ecomap?host=/nonexistent&schema=x") == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and ":pw@" not in err


def test_dump_refuses_a_folder_with_layers_unless_overwrite(pg_url, tmp_path, minimal_data):
    init_schema(pg_url)
    write_layers(pg_url, read_layers(minimal_data))
    out = tmp_path / "out"
    out.mkdir()
    (out / "bridges.geojson").write_text("stale")
    assert run_cli("db", "dump", "--data", pg_url, "--out", out) == 2
    assert run_cli("db", "dump", "--data", pg_url, "--out", out, "--overwrite") == 0
    assert sorted(p.name for p in out.iterdir()) == ["boundary.geojson"]


def test_store_functions_are_documented():
    from test_docstrings import faults, public_functions

    import ecomap.store

    problems = [f for name, func in public_functions(ecomap.store) for f in faults(name, func)]
    assert not problems, "\n".join(problems)


def test_a_team_role_that_owns_only_its_schema_can_init_load_and_import(cluster, tmp_path, capsys):
    import psycopg

    name = f"team_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(cluster.url().split("?")[0], host=str(cluster.root), port=5433, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN")
        conn.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    url = cluster.url(schema=name).replace("ecomap@", f"{name}@")
    assert run_cli("db", "init", "--data", url) == 0
    assert run_cli("db", "load", BUNDLED, "--data", url) == 0
    survey = tmp_path / "week12.csv"
    survey.write_text("lon,lat,host,material,status,installed\n114.3460,22.6860,ditch,wood,built,2025-03-01\n")
    assert run_cli("bridges", "import", survey, "--data", url) == 0
    assert "added 1 (B00401)" in capsys.readouterr().out
    other = cluster.url(schema=f"{name}_x").replace("ecomap@", f"{name}@")
    assert run_cli("db", "init", "--data", other) == 2  # no right to create a schema: one line, exit 2
    assert "permission denied" in capsys.readouterr().err
