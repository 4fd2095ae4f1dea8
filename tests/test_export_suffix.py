"""``export``: the format from --out's suffix when --format is not given; a suffix of another format refused."""

from __future__ import annotations

import geopandas as gpd
import pytest

from ecomap import InputError
from ecomap.export import resolve_format
from tests.conftest import run_cli


@pytest.mark.parametrize(("out", "fmt"), [("y.shp", "shp"), ("a/b.GPKG", "gpkg"), ("t.kml", "kml"), ("p.csv", "csv"),
                                          ("x.geojson", "geojson"), ("z.fgb", "fgb"), ("folder", "geojson"),
                                          ("v1.2", "geojson")])
def test_format_from_suffix(out, fmt):
    assert resolve_format(out) == fmt
    assert resolve_format(out, fmt) == fmt


def test_suffix_of_another_format_is_refused():
    with pytest.raises(InputError, match=r"--out b.gpkg is a .gpkg \(gpkg\) file but --format is csv"):
        resolve_format("b.gpkg", "csv")


def test_cli_shp_suffix_writes_a_shapefile(tmp_path, capsys):
    out = tmp_path / "y.shp"
    assert run_cli("export", "--layers", "bridges", "--out", out) == 0
    assert out.is_file() and (tmp_path / "y.dbf").is_file()
    from ecomap.network import load_network

    assert len(gpd.read_file(out)) == len(load_network().bridges) > 0
    assert not (tmp_path / "y.shp" / "bridges.geojson").exists()


@pytest.mark.parametrize(("fmt", "out"), [("csv", "b.gpkg"), ("gpkg", "x.shp"), ("geojson", "r.kml")])
def test_cli_format_and_suffix_disagree(tmp_path, capsys, fmt, out):
    assert run_cli("export", "--layers", "bridges", "--format", fmt, "--out", tmp_path / out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--format is {fmt}" in err and out in err, err
    assert list(tmp_path.iterdir()) == []


def test_cli_help_shows_the_default_format(capsys):
    with pytest.raises(SystemExit):
        run_cli("export", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: the format --out's suffix names" in help_text and "else geojson" in help_text
