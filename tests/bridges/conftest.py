"""Fixtures of the bridge-register tests: a small register in a 2 km district with two corridors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import boundary_feature, common, feature, write_layer

from ecomap.network import load_network

BRIDGE_COLS = dict(material="stone", note=None)


def _site(fid, lon, lat, status="built", host="ditch", installed="2024-01-02"):
    return feature({"type": "Point", "coordinates": [lon, lat]}, id=fid, host=host, status=status,
                   installed=installed, **BRIDGE_COLS, **common())


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    write_layer(folder, "bridges", [
        _site("B00001", 114.345, 22.685),
        _site("B00007", 114.350, 22.690, status="planned", installed=None),
        _site("B00003", 114.355, 22.695, status="damaged", host="well"),
    ])
    write_layer(folder, "corridors", [
        feature({"type": "LineString", "coordinates": [[114.341, 22.690], [114.359, 22.690]]}, id="C07",
                width_m=300, kind="green", from_id=None, to_id=None, status="existing", **common()),
        feature({"type": "LineString", "coordinates": [[114.355, 22.681], [114.355, 22.699]]}, id="C02",
                width_m=100, kind="water", from_id=None, to_id=None, status="planned", **common()),
    ])
    return folder


@pytest.fixture
def many(data):
    rng = np.random.default_rng(4)
    feats = [_site(f"S{i:03d}", float(lon), float(lat), status=str(s), host=str(h))
             for i, (lon, lat, s, h) in enumerate(zip(
                 rng.uniform(114.3405, 114.3595, 200), rng.uniform(22.6805, 22.6995, 200),
                 rng.choice(["planned", "built", "damaged", "removed"], 200),
                 rng.choice(["ditch", "well", "pool", "culvert"], 200), strict=True))]
    write_layer(data, "bridges", feats)
    return load_network(data)
