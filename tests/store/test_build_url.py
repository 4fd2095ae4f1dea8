"""``ecomap build --data postgresql://…``: the same outputs as from the folder, and provenance that matches them.

The end-to-end test runs the CLI twice, on the bundled folder and on a database loaded
from it, and compares every layer, the connectivity numbers and the corridor model's
tables byte for byte, and the provenance's table digests to those of another snapshot.
The consistency test builds while another connection keeps rewriting the register:
the digest in ``provenance.json`` is always the one of the rows in the outputs.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import run_cli

import ecomap.build as build_mod
from ecomap.io import default_data_dir
from ecomap.network import read_layers
from ecomap.store import database, init_schema, write_layers
from ecomap.store.digest import table_digests

BUNDLED = default_data_dir()


def _loaded(cluster) -> str:
    url = cluster.url(schema=f"u_{uuid.uuid4().hex[:12]}")
    init_schema(url)
    write_layers(url, read_layers(BUNDLED))
    return url


def _conninfo(url: str) -> tuple[str, str]:
    db = database(url)
    return db.url.replace("postgresql+psycopg://", "postgresql://"), db.schema


def _same_files(a: Path, b: Path, pattern: str) -> list[str]:
    names = sorted(p.relative_to(a).as_posix() for p in a.glob(pattern))
    assert names == sorted(p.relative_to(b).as_posix() for p in b.glob(pattern))
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    return names


@pytest.mark.slow
def test_build_from_a_url_matches_the_build_from_its_folder(cluster, tmp_path, capsys):
    url = cluster.url(schema=f"e_{uuid.uuid4().hex[:12]}")
    assert run_cli("db", "init", "--data", url) == 0
    assert run_cli("db", "load", BUNDLED, "--data", url) == 0
    assert run_cli("build", "--data", BUNDLED, "--out", tmp_path / "folder") == 0
    assert run_cli("build", "--data", url, "--out", tmp_path / "db") == 0
    f, d = tmp_path / "folder", tmp_path / "db"
    layers = _same_files(f, d, "layers/*")
    assert "layers/bridges.geojson" in layers and "layers/summary.csv" in layers
    _same_files(f, d, "report/*.json")  # the connectivity numbers
    _same_files(f, d, "report/*.csv")
    _same_files(f, d, "corridors/*.csv")
    pf, pd_ = (json.loads((x / "provenance.json").read_text()) for x in (f, d))
    assert pd_["data_dir"] == database(url).label and pf["data_dir"] == str(BUNDLED)
    assert pf["outputs"] == pd_["outputs"] and set(pf["inputs"]) == set(pd_["inputs"])
    for name, got in pd_["inputs"].items():
        assert {k: v for k, v in got.items() if k not in ("table", "md5_rows")} == \
               {k: v for k, v in pf["inputs"][name].items() if k not in ("file", "sha256")}
    # the digests of the rows read: those of this database now, and of another one loaded from the same folder
    digests = {n: i["md5_rows"] for n, i in pd_["inputs"].items()}
    assert digests == table_digests(url) == table_digests(_loaded(cluster))


def _flip(conn, schema: str) -> None:
    """Flip every note in one transaction; the two writers take turns on a table lock (two
    concurrent whole-table UPDATEs can lock rows in different orders and deadlock). The lock
    mode does not block readers, so the build's snapshot reads are not serialised by it."""
    with conn.transaction():
        conn.execute(f"LOCK TABLE {schema}.bridges IN SHARE ROW EXCLUSIVE MODE")
        conn.execute(f"UPDATE {schema}.bridges SET note = CASE note WHEN 'A' THEN 'B' ELSE 'A' END")


def test_a_writer_between_steps_cannot_make_provenance_disagree(cluster, tmp_path, monkeypatch):
    url = _loaded(cluster)
    conninfo, schema = _conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"UPDATE {schema}.bridges SET note = 'A'")
        digest = {"A": table_digests(url)["bridges"]}
        conn.execute(f"UPDATE {schema}.bridges SET note = 'B'")
        digest["B"] = table_digests(url)["bridges"]
    assert digest["A"] != digest["B"]
    stop, flips = threading.Event(), [0]

    def writer():  # every commit flips every note: all A or all B, never a mix
        with psycopg.connect(conninfo, autocommit=True) as conn:
            while not stop.is_set():
                _flip(conn, schema)
                flips[0] += 1

    def flip_between_steps(ctx):  # and between two steps of the build
        with psycopg.connect(conninfo, autocommit=True) as conn:
            _flip(conn, schema)

    monkeypatch.setattr(build_mod, "STEPS", [("layers", build_mod._step_layers), ("flip", flip_between_steps),
                                             ("provenance", build_mod._step_provenance)])
    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set()
        for k in range(4):
            out = tmp_path / f"out{k}"
            build_mod.build(url, out)
            prov = json.loads((out / "provenance.json").read_text())
            notes = {f["properties"]["note"] for f in json.loads((out / "layers" / "bridges.geojson").read_text())["features"]}
            assert len(notes) == 1, notes  # one snapshot
            (used,) = notes
            assert prov["inputs"]["bridges"]["md5_rows"] == digest[used]
            seen.add(used)
    finally:
        stop.set()
        t.join()
    assert flips[0] > 4
