"""The model's outputs: GeoTIFFs, GeoJSON, overlays; the CLI and the build step."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from corridors._network import _corridor, _strip_network, _table_text

from ecomap.corridors import model_corridors, write_corridor_outputs


def test_outputs_rasters_layers_and_overlays(tmp_path):
    import rasterio

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    m = model_corridors(net, resolution=30, width=2000.0)
    written, overlays = write_corridor_outputs(m, tmp_path / "out")
    names = {p.name for p in written}
    assert {"resistance.tif", "cost_distance.tif", "corridors.tif", "current.tif", "barriers.tif",
            "least_cost_paths.geojson", "corridor_comparison.csv", "summary.json"} <= names
    with rasterio.open(tmp_path / "out" / "resistance.tif") as src:
        assert src.crs.to_epsg() == 4547
        np.testing.assert_array_equal(src.read(1), m.resistance.astype("float32"))
        tags = src.tags()
        assert "cost units per metre" in tags["units"]
        assert '"expressway": 2000' in tags["resistance_values"]
    with rasterio.open(tmp_path / "out" / "corridors.tif") as src:
        assert "not metres" in src.tags()["units"]
    paths = gpd.read_file(tmp_path / "out" / "least_cost_paths.geojson")
    assert paths.crs.to_epsg() == 4326 and paths["id"].tolist() == ["A--B"]
    assert {o["name"].split(" ")[0] for o in overlays} >= {"Resistance", "Least-cost", "Current"}
    for o in overlays:
        (s, w), (n, e) = o["bounds"]
        assert s < n and w < e and 114.3 < w < 114.4 and 22.6 < s < 22.8
        assert o["png"].stat().st_size > 100
        assert all(c.startswith("#") and len(c) == 7 for c in o["legend"].values())


def test_cli_and_build_step(tmp_path):
    from conftest import run_cli

    from ecomap.build import BuildContext, _step_corridors
    from ecomap.io import write_geojson

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    data = tmp_path / "data"
    for name in ("boundary", "patches", "corridors"):
        write_geojson(net[name], data / f"{name}.geojson")
    out = tmp_path / "cli"
    assert run_cli("corridors", "--data", data, "--out", out, "--resolution", "50") == 0
    assert (out / "least_cost_paths.geojson").exists()
    # 4 neighbours, 30 m: straight along the planned corridor (60 per metre) between the patches
    four = tmp_path / "four"
    assert run_cli("corridors", "--data", data, "--out", four, "--neighbours", "4", "--no-circuit") == 0
    cwd = gpd.read_file(four / "least_cost_paths.geojson")["cwd"].iloc[0]
    assert cwd == pytest.approx(2 * 30 * (1 + 60) / 2 + 39 * 30 * 60, rel=1e-6)
    assert not (four / "current.tif").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(_table_text("default = 100", "default = -1"))
    assert run_cli("corridors", "--data", data, "--out", tmp_path / "x", "--resistance", bad) == 2
    assert not (tmp_path / "x").exists()
    assert run_cli("corridors", "--data", data, "--landcover", tmp_path / "none.tif") == 2
    assert run_cli("corridors", "--data", data, "--mode", "advanced", "--sources", tmp_path / "s.tif") == 2
    assert run_cli("corridors", "--data", data, "--mode", "advanced", "--sources", tmp_path / "s.tif",
                   "--grounds", tmp_path / "none.tif", "--out", tmp_path / "y") == 2  # not a readable raster
    assert not (tmp_path / "y").exists()
    ctx = BuildContext(net, tmp_path / "build")
    _step_corridors(ctx)
    res = ctx.results["corridors"]
    assert res["paths"].crs.to_epsg() == 4547
    assert {"from_id", "to_id", "cwd", "euclid_m", "ratio"} <= set(res["paths"].columns)
    assert all(o["png"].exists() and set(o) >= {"name", "png", "bounds", "legend"} for o in res["overlays"])



def test_a_network_without_patches_still_builds(tmp_path, minimal_data):
    from ecomap.build import BuildContext, _step_corridors
    from ecomap.network import load_network

    ctx = BuildContext(load_network(minimal_data), tmp_path / "out")
    _step_corridors(ctx)
    res = ctx.results["corridors"]
    assert res["paths"].empty and res["pinch_points"].empty
    assert [o["png"].name for o in res["overlays"]] == ["resistance.png"]
    assert (tmp_path / "out" / "corridors" / "resistance.tif").exists()


def test_a_second_run_into_the_folder_leaves_no_output_of_the_first(tmp_path):
    # a full run, then --no-circuit into the same folder: the old current/barriers must not stay
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "my_notes.txt").write_text("keep")
    first, _ = write_corridor_outputs(model_corridors(net, resolution=30, width=2000.0), out)
    assert {"current.tif", "current.qml", "current.png", "barriers.tif", "effective_resistance.csv"} <= {
        p.name for p in first}
    second, _ = write_corridor_outputs(model_corridors(net, resolution=50, width=2000.0, circuit=False), out)
    assert sorted(p.name for p in out.iterdir()) == sorted([p.name for p in second] + ["my_notes.txt"])
    assert not (out / "current.tif").exists() and not (out / "barriers.tif").exists()
