"""The connectivity report: bilingual, names beside ids, gap coordinates to 6 decimals, an overview map."""

from __future__ import annotations

import re

import pytest

from ecomap import load_network
from ecomap.connectivity import analyse
from ecomap.report import gap_table, write_report


@pytest.fixture(scope="module")
def bundled():
    net = load_network()
    return net, analyse(net)


def test_report_is_bilingual_with_names_map_and_precise_gaps(bundled, tmp_path):
    net, result = bundled
    written = write_report(result, tmp_path, network=net)
    assert (tmp_path / "network_map.png") in written and (tmp_path / "network_map.png").stat().st_size > 10_000
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for heading in ("总览图 Overview map", "廊道重要性排序 Corridors ranked by importance", "生境斑块 Patches",
                    "缺口 Gaps"):
        assert f"<h2>{heading}</h2>" in page
    assert "马峦山" in page  # patch and corridor names, not only ids
    named = net.patches[net.patches["name_zh"].fillna("").str.contains("马峦山")]
    assert len(named) and re.search(rf"<th>{named.index[0]}</th><td>[^<]*马峦山", page)
    if len(result.gaps):
        coords = re.findall(r"<td>(1\d\d\.\d+)</td><td>(2\d\.\d+)</td>", page)
        assert coords and all(len(x.split(".")[1]) == 6 and len(y.split(".")[1]) == 6 for x, y in coords)
        assert "lon_gcj02" in page


def test_gap_table_gives_wgs84_and_gcj02(bundled):
    from ecomap import crs

    net, result = bundled
    if not len(result.gaps):
        pytest.skip("no gap in the bundled data")
    t = gap_table(result)
    g = result.gaps.to_crs(4326)
    assert abs(t["lon"].iloc[0] - g.geometry.x.iloc[0]) < 1e-6
    back = crs.from_gcj02(crs.to_gcj02(g))
    assert abs(back.geometry.x.iloc[0] - g.geometry.x.iloc[0]) < 1e-5
    # GCJ-02 is offset by a few hundred metres in Shenzhen
    assert 1e-4 < abs(t["lon_gcj02"].iloc[0] - t["lon"].iloc[0]) < 0.02


def test_report_pdf_has_a_text_page_and_one_page_per_chart(tmp_path):
    """report.pdf: a valid PDF whose pages are the text page plus every chart the HTML shows."""
    import re

    from ecomap.connectivity import analyse
    from ecomap.network import load_network

    net = load_network()
    written = write_report(analyse(net), tmp_path, network=net)
    pdf = tmp_path / "report.pdf"
    assert pdf in written
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    charts = [p for p in written if p.suffix == ".png"]
    assert len(charts) == 3
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", data)
    assert len(pages) == 1 + len(charts)
    assert not list(tmp_path.glob(".report.pdf*"))  # no temporary left behind


def test_report_shows_the_corridor_model_map_when_given_one(tmp_path):
    import re

    from ecomap.connectivity import analyse
    from ecomap.corridors import model_corridors
    from ecomap.network import load_network

    net = load_network()
    model = model_corridors(net, resolution=200.0)
    written = write_report(analyse(net), tmp_path, network=net, corridor_model=model)
    png = tmp_path / "corridor_model.png"
    assert png in written and png.stat().st_size > 10_000
    assert "src='corridor_model.png'" in (tmp_path / "index.html").read_text(encoding="utf-8")
    charts = [p for p in written if p.suffix == ".png"]
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", (tmp_path / "report.pdf").read_bytes())) == 1 + len(charts)
