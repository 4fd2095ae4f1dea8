"""Shared test helpers: small data folders written in the test, and the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from ecomap.cli import main
from ecomap.layers import empty_layer

# A 2 km x 2 km square in central Pingshan (WGS-84), used as the boundary of test folders.
PINGSHAN_SQUARE = [[114.34, 22.68], [114.36, 22.68], [114.36, 22.70], [114.34, 22.70], [114.34, 22.68]]


def feature(geometry: dict | None, **props) -> dict:
    """A GeoJSON Feature with the given properties."""
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_layer(folder: Path, name: str, features: list[dict], **extra) -> Path:
    """Write ``<folder>/<name>.geojson`` as a FeatureCollection (extra keys go on the collection)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}), encoding="utf-8")
    return path


def common(**props) -> dict:
    base = {"name_zh": "测试", "name_en": "test", "source": "test fixture", "confidence": "synthetic"}
    base.update(props)
    return base


def boundary_feature() -> dict:
    return feature({"type": "Polygon", "coordinates": [PINGSHAN_SQUARE]}, id="440310", adcode="440310", **common())


@pytest.fixture
def minimal_data(tmp_path) -> Path:
    """A data folder with only a boundary layer."""
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    return folder


def run_cli(*args: str) -> int:
    """Run ``ecomap`` in-process and return its exit code."""
    return main([str(a) for a in args])


def internal_layer(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    """A layer as a Network holds it (EPSG:4547, indexed by id), every catalogue column present."""
    base = empty_layer(name)
    df = pd.DataFrame(rows)
    ids = df.pop("id")
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4547")
    gdf.index = pd.Index(ids.astype(str), name="id")
    for c in base.columns:
        if c not in gdf.columns and c != "geometry":
            gdf[c] = None
    return gdf


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory):
    """Keep what ecomap remembers between runs (``ecomap._extent_cache``) out of the user's home."""
    import os

    before = os.environ.get("ECOMAP_CACHE_DIR")
    os.environ["ECOMAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("ecomap-cache"))
    yield
    if before is None:
        os.environ.pop("ECOMAP_CACHE_DIR", None)
    else:
        os.environ["ECOMAP_CACHE_DIR"] = before
