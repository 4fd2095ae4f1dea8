"""The model's Linkage Mapper tools (Centrality and Pinchpoint Mapper), knight's moves, and the CLI."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from corridors._network import _corridor, _strip_network

from ecomap.corridors import current_flow_centrality, model_corridors, pinchpoint_mapper


def _four_patches():
    return _strip_network((0, 0, 150, 150), (600, 0, 750, 150), (0, 450, 150, 600), (1200, 450, 1350, 600))


def test_model_tools_are_the_public_functions_on_its_links():
    m = model_corridors(_four_patches(), max_cost=1e9, centrality=True, pinchpoint_cutoff=3000.0)
    ids = list(m.sources.index)
    links = [(ids.index(a), ids.index(b)) for a, b in zip(m.paths["from_id"], m.paths["to_id"], strict=True)]
    assert len(links) >= 4
    c = current_flow_centrality(links, m.paths["cwd"].to_numpy(), cores=range(len(ids)))
    np.testing.assert_allclose(m.paths["cf_current"], c.links, rtol=1e-12)
    np.testing.assert_allclose(m.sources["cf_central"], c.cores, rtol=1e-12)
    masks = [m.source_labels == i for i in range(len(ids))]
    pp = pinchpoint_mapper(m.resistance, masks, links, cutoff=3000.0, cellsize=m.grid.cellsize)
    np.testing.assert_allclose(m.paths["pp_eff_resistance"], pp.eff_resistance, rtol=1e-9)
    np.testing.assert_allclose(m.paths["cwd_to_eff_resistance"], pp.cwd_to_eff_resistance, rtol=1e-9)
    np.testing.assert_allclose(m.pinchpoints, pp.current, rtol=1e-9, equal_nan=True)
    # truncation leaves the corridor narrower than the whole raster: resistance at least the full one
    assert (m.paths["pp_eff_resistance"] >= m.paths["eff_resistance"] * (1 - 1e-9)).all()
    # Centrality Mapper needs no raster circuit; Pinchpoint Mapper is one
    bare = model_corridors(_four_patches(), max_cost=1e9, centrality=True, pinchpoint_cutoff=3000.0, circuit=False)
    np.testing.assert_allclose(bare.paths["cf_current"], m.paths["cf_current"], rtol=1e-12)
    assert bare.pinchpoints is None and "pp_eff_resistance" not in bare.paths


def test_knights_moves_in_the_model():
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    eight = model_corridors(net, resolution=30, max_cost=1e9)
    sixteen = model_corridors(net, resolution=30, max_cost=1e9, neighbours=16)
    assert sixteen.notes["neighbours"] == 16
    assert (sixteen.paths["cwd"] <= eight.paths["cwd"] * (1 + 1e-12)).all()
    # the circuits stay 8-neighbour: the same effective resistance and current
    np.testing.assert_allclose(sixteen.paths["eff_resistance"], eight.paths["eff_resistance"], rtol=1e-9)
    np.testing.assert_allclose(sixteen.current, eight.current, rtol=1e-9, equal_nan=True)


def test_pinchpoint_cutoff_is_checked():
    from ecomap._errors import InputError

    with pytest.raises(InputError, match=r"pinchpoint_cutoff \(--pinchpoint-cutoff\) -1.0 must be"):
        model_corridors(_four_patches(), pinchpoint_cutoff=-1.0)


def test_cli_neighbours_16_centrality_and_pinchpoints(tmp_path):
    from conftest import run_cli

    from ecomap.io import write_geojson

    net = _strip_network((0, 0, 150, 150), (600, 0, 750, 150), (0, 450, 150, 600), (1200, 450, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 75), (600, 75)]))
    data = tmp_path / "data"
    for name in ("boundary", "patches", "corridors"):
        write_geojson(net[name], data / f"{name}.geojson")
    out = tmp_path / "out"
    assert run_cli("corridors", "--data", data, "--out", out, "--neighbours", "16", "--max-cost", "1e9",
                   "--centrality", "--pinchpoint-cutoff", "3000") == 0
    paths = gpd.read_file(out / "least_cost_paths.geojson")
    assert {"cf_current", "pp_eff_resistance", "cwd_to_eff_resistance"} <= set(paths.columns)
    cores = pd.read_csv(out / "core_centrality.csv", index_col=0)
    assert (cores["cf_central"] >= 1.0).all()  # every core ends at least one pair
    assert (out / "pinchpoints.tif").exists() and (out / "pinchpoints.qml").exists()
    assert run_cli("corridors", "--data", data, "--out", tmp_path / "bad", "--pinchpoint-cutoff", "nan") == 2
    pins = gpd.read_file(out / "pinch_points.geojson")
    assert (pins["method"] == "pinchpoint_mapper").all() and set(pins.geom_type) <= {"Polygon", "MultiPolygon"}
    # --square-resistance: Pinchpoint Mapper's circuits on r * r (the ratio is left unset, as Linkage Mapper)
    sq = tmp_path / "sq"
    assert run_cli("corridors", "--data", data, "--out", sq, "--neighbours", "16", "--max-cost", "1e9", "--pinchpoint-cutoff", "3000",
                   "--square-resistance") == 0
    squared = gpd.read_file(sq / "least_cost_paths.geojson")
    assert squared["cwd_to_eff_resistance"].isna().all()
    assert (squared["pp_eff_resistance"] > paths["pp_eff_resistance"]).all()
    assert run_cli("corridors", "--data", data, "--out", tmp_path / "bad2", "--square-resistance") == 2
