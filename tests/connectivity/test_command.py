"""The connectivity command, the build steps and the report on the three-patch chain."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from conftest import internal_layer as layer
from connectivity._network import X0, Y0, hline, three_patches

from ecomap import connectivity as cn


@pytest.fixture
def chain_folder(tmp_path):
    """The three-patch chain as a WGS-84 data folder, with a boundary around it."""
    from ecomap.io import write_geojson

    net = three_patches()
    c = net.corridors.copy()
    c["name_en"] = ["<script>alert(1)</script>", "plain & simple"]
    b = layer("boundary", [{"id": "440310", "adcode": "440310", "source": "t", "confidence": "synthetic"}],
              [shapely.box(X0 - 1000, Y0 - 1000, X0 + 10000, Y0 + 3000)])
    folder = tmp_path / "data"
    for name, gdf in {"patches": net.patches, "corridors": c, "boundary": b}.items():
        write_geojson(gdf, folder / f"{name}.geojson")
    return folder


def test_cli_json_matches_the_hand_worked_chain(chain_folder, capsys):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder, "--landscape-area", "10", "--json") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["iic"] == pytest.approx(6 / 25, rel=1e-5)
    assert d["components"] == 1 and d["alpha"] == 0
    p2 = next(p for p in d["patches"] if p["id"] == "P2")
    assert p2["dIIC"] == pytest.approx(100 * 14 / 24, rel=1e-5)


def test_cli_table_and_scenario(chain_folder, capsys):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder) == 0
    out = capsys.readouterr().out
    assert "IIC" in out and "Corridors by importance" in out and "C23" in out
    assert run_cli("connectivity", "--data", chain_folder, "--landscape-area", "10", "--remove", "C23",
                   "--json") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["indices"]["iic"]["before"] == pytest.approx(0.24, rel=1e-5)
    assert d["indices"]["iic"]["after"] == pytest.approx(0.16, rel=1e-5)


@pytest.mark.parametrize(("args", "message"), [
    (["--remove", "C07,C99"], "unknown id 'C07'"),
    (["--median-dispersal", "-5"], "median dispersal distance (m) must be more than 0"),
    (["--links", "distance"], "needs --threshold"),
    (["--links", "distance", "--threshold", "-3"], "threshold must be 0 or more"),
    (["--threshold", "500"], "--threshold 500 applies to --links distance only"),  # was ignored
    (["--landscape-area", "0"], "landscape area"),
    (["--cover-distance", "-1"], "cover distance must be a distance of 0 m or more"),
])
def test_cli_bad_input_exits_2_with_one_line(chain_folder, capsys, args, message):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_cli_add_file_with_wrong_geometry(chain_folder, tmp_path, capsys):
    from conftest import run_cli

    p = tmp_path / "site.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "S1"},
        "geometry": {"type": "Point", "coordinates": [114.35, 22.69]}}]}))
    assert run_cli("connectivity", "--data", chain_folder, "--add", p) == 2
    err = capsys.readouterr().err.strip()
    assert "site.geojson: feature S1: geometry type Point" in err and len(err.splitlines()) == 1


def test_build_steps_write_the_report(chain_folder, tmp_path):
    from ecomap.build import STEPS, BuildContext, _step_connectivity, _step_report
    from ecomap.network import load_network

    names = [n for n, _ in STEPS]
    assert names.index("layers") < names.index("connectivity") < names.index("report") < names.index("provenance")
    ctx = BuildContext(load_network(chain_folder), tmp_path / "out", {"landscape_area_km2": 10})
    _step_connectivity(ctx)
    _step_report(ctx)
    rep = tmp_path / "out" / "report"
    assert {p.name for p in ctx.written} >= {"connectivity.json", "index.html", "corridor_importance.png",
                                             "dpc_fractions.png", "gaps.geojson"}
    d = json.loads((rep / "connectivity.json").read_text())
    assert d["iic"] == pytest.approx(0.24, rel=1e-5)
    assert isinstance(ctx.results["connectivity"], cn.ConnectivityResult)
    page = (rep / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "plain &amp; simple" in page
    for png in ("corridor_importance.png", "dpc_fractions.png"):
        data = (rep / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(rep.glob(".*"))  # no temporary files left behind


def test_cli_add_file_with_a_bad_width(chain_folder, tmp_path, capsys):
    """The --add file's widths go through the one footprint rule; the message names the file."""
    from conftest import run_cli

    line = gpd.GeoSeries([hline(4414, 7000)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    p = tmp_path / "plan.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "NEW1", "width_m": 0}, "geometry": shapely.geometry.mapping(line)}]}))
    assert run_cli("connectivity", "--data", chain_folder, "--add", p) == 2
    err = capsys.readouterr().err.strip()
    assert "plan.geojson: corridors NEW1: width_m must be a positive number" in err and len(err.splitlines()) == 1


def test_charts_draw_ids_with_dollar_signs_as_plain_text(tmp_path):
    """An id like ``C01 $x^{$`` is valid data; the report's charts must not parse it as mathtext."""
    import json
    import shutil

    from ecomap.connectivity import analyse
    from ecomap.io import default_data_dir
    from ecomap.network import load_network
    from ecomap.report import chart_corridor_importance, chart_dpc_fractions

    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    for name, key in (("corridors", "id"), ("patches", "id")):
        p = data / f"{name}.geojson"
        doc = json.loads(p.read_text(encoding="utf-8"))
        old = doc["features"][0]["properties"][key]
        new = f"{old} $x^{{$"
        doc["features"][0]["properties"][key] = new
        if name == "patches":  # keep the corridors' references whole
            c = json.loads((data / "corridors.geojson").read_text(encoding="utf-8"))
            for f in c["features"]:
                for end in ("from_id", "to_id"):
                    if f["properties"].get(end) == old:
                        f["properties"][end] = new
            (data / "corridors.geojson").write_text(json.dumps(c, ensure_ascii=False), encoding="utf-8")
        p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = analyse(load_network(data))
    assert chart_corridor_importance(result, tmp_path / "c.png").stat().st_size > 1000
    assert chart_dpc_fractions(result, tmp_path / "p.png").stat().st_size > 1000
