"""``build`` on a folder reads each layer file once and hashes the bytes it parsed.

A writer that replaces the register by rename (ignoring the lock) over and over while
builds run cannot make ``provenance.json`` name other data than the outputs hold: the
SHA-256 recorded is always that of the version whose sites are in ``layers/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import ecomap.build as build_mod

DATA = Path(__file__).resolve().parents[1] / "data" / "geo"


def test_a_writer_replacing_a_file_cannot_make_provenance_disagree(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    reg = json.loads((data / "bridges.geojson").read_text())
    versions = {}
    for label, n in (("A", 150), ("B", 400)):
        doc = {**reg, "features": [{**f, "properties": {**f["properties"], "note": label}} for f in reg["features"][:n]]}
        versions[label] = json.dumps(doc).encode()
    sha = {label: hashlib.sha256(b).hexdigest() for label, b in versions.items()}
    (data / "bridges.geojson").write_bytes(versions["A"])
    stop, swaps = threading.Event(), [0]

    def writer():  # rename A and B over the register in turn, as fast as it can, no lock
        tmp = data / ".w.tmp"
        while not stop.is_set():
            tmp.write_bytes(versions["AB"[swaps[0] % 2]])
            os.replace(tmp, data / "bridges.geojson")
            swaps[0] += 1

    def swap_between_steps(ctx):
        (data / "bridges.geojson").write_bytes(versions["A"])

    monkeypatch.setattr(build_mod, "STEPS", [("layers", build_mod._step_layers), ("swap", swap_between_steps),
                                             ("provenance", build_mod._step_provenance)])
    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set()
        for k in range(4):
            out = tmp_path / f"out{k}"
            build_mod.build(data, out)
            prov = json.loads((out / "provenance.json").read_text())["inputs"]["bridges"]
            feats = json.loads((out / "layers" / "bridges.geojson").read_text())["features"]
            (used,) = {f["properties"]["note"] for f in feats}
            assert prov["sha256"] == sha[used]
            assert prov["features"] == len(feats) == {"A": 150, "B": 400}[used]
            seen.add(used)
    finally:
        stop.set()
        t.join()
    assert swaps[0] > 4
