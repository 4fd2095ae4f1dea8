"""A build from PostGIS records, per table, an MD5 of the rows it read."""

from __future__ import annotations

import json

import psycopg

from ecomap.build import BuildContext, _load_consistent_database, _step_provenance
from ecomap.io import default_data_dir
from ecomap.network import read_layers
from ecomap.store import database, init_schema, write_layers
from ecomap.store.digest import table_digests


def _loaded(cluster, tag: str) -> str:
    url = cluster.url(schema=f"p_{tag}")
    init_schema(url)
    write_layers(url, read_layers(default_data_dir()))
    return url


def _sql(url: str, statement: str) -> None:
    db = database(url)
    conninfo = db.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(statement.format(schema=db.schema))


def test_digests_follow_the_rows(cluster):
    a, b = _loaded(cluster, "a"), _loaded(cluster, "b")
    da = table_digests(a)
    assert da == table_digests(b)  # the same rows in the same order: the same digests
    assert set(da) == set(read_layers(a)) and all(len(v) == 32 for v in da.values())
    _sql(a, "UPDATE {schema}.bridges SET note = 'changed' WHERE id = (SELECT min(id) FROM {schema}.bridges)")
    changed = table_digests(a)
    assert changed["bridges"] != da["bridges"]
    assert {k: v for k, v in changed.items() if k != "bridges"} == {k: v for k, v in da.items() if k != "bridges"}


def test_provenance_of_a_build_from_a_url(cluster, tmp_path):
    url = _loaded(cluster, "c")
    network, digests = _load_consistent_database(url)
    assert digests == table_digests(url)
    ctx = BuildContext(network, tmp_path, {}, digests=digests)
    _step_provenance(ctx)
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["data_dir"] == database(url).label
    assert {n: i["md5_rows"] for n, i in prov["inputs"].items()} == digests
    assert prov["inputs"]["bridges"]["features"] == len(network.bridges)
