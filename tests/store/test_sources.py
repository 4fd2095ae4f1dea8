"""Every command that takes --data answers the same from the folder and from PostGIS."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomap._errors import InputError
from ecomap.io import default_data_dir
from ecomap.network import load_network, read_layers
from ecomap.query import format_result, query
from ecomap.store import init_schema, write_layers

BUNDLED = default_data_dir()
W, S, E, N = 114.27, 22.62, 114.43, 22.78  # around Pingshan


@pytest.fixture(scope="module")
def bundled_url(cluster) -> str:
    url = cluster.url(schema=f"b_{uuid.uuid4().hex[:12]}")
    init_schema(url)
    write_layers(url, read_layers(BUNDLED))
    return url


@pytest.fixture(scope="module")
def networks(bundled_url):
    return load_network(BUNDLED), load_network(bundled_url)


def _out(capsys, *args) -> tuple[int, str]:
    code = run_cli(*args)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ("layers",),
    ("query", "bridges", "--near", "114.35,22.70", "--radius", "1500", "--format", "csv"),
    ("query", "trails", "--within", "corridors:C07", "--format", "json"),
    ("query", "bridges", "--nearest", "5", "--to", "114.38,22.71", "--where", "status == 'built'"),
    ("connectivity", "--json"),
    ("bridges", "list", "--status", "damaged", "--within", "corridors:C07", "--format", "csv"),
    ("bridges", "stats", "--json"),
    ("bridges", "stats", "--by", "corridor", "--json"),
])
def test_cli_answers_the_same_from_both_sources(bundled_url, capsys, args):
    a = _out(capsys, *args, "--data", BUNDLED)
    b = _out(capsys, *args, "--data", bundled_url)
    assert a[0] == 0 and a == b


def test_validate_and_map_take_a_url(bundled_url, tmp_path, capsys):
    assert run_cli("validate", "--data", bundled_url) == 0
    assert "every layer passes" in capsys.readouterr().out
    assert run_cli("map", "--data", bundled_url, "--basemap", "none", "--no-analysis",
                   "--out", tmp_path / "m.html") == 0
    assert (tmp_path / "m.html").stat().st_size > 10_000


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(layer=st.sampled_from(["bridges", "trails", "patches", "corridors", "reservoirs"]),
       lon=st.floats(W, E), lat=st.floats(S, N), radius=st.floats(0, 5000),
       size=st.floats(0.001, 0.05), status=st.sampled_from([None, "built", "planned"]))
def test_query_answers_the_same_from_folder_and_postgis(networks, layer, lon, lat, radius, size, status):
    folder, db = networks
    where = f"status == '{status}'" if status and layer == "bridges" else None
    for kw in ({"near": (lon, lat), "radius_m": radius}, {"bbox": (lon, lat, lon + size, lat + size)},
               {"nearest": 3, "to": (lon, lat)}):
        a = query(folder, layer, where=where, **kw)
        b = query(db, layer, where=where, **kw)
        assert format_result(a, layer, fmt="geojson") == format_result(b, layer, fmt="geojson")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(layer=st.sampled_from(["bridges", "trails", "patches", "corridors", "reservoirs", "subdistricts"]),
       lon=st.floats(W, E), lat=st.floats(S, N), radius=st.floats(0, 5000), size=st.floats(0.001, 0.05),
       n=st.integers(1, 40), status=st.sampled_from([None, "built", "planned"]),
       ref=st.sampled_from([None, "corridors:C07", "corridors:C01", "patches:P01", "subdistricts:PS", "patches:P99"]))
def test_sql_query_answers_as_the_folder(networks, bundled_url, layer, lon, lat, radius, size, n, status, ref):
    """The URL path (GiST index + in-memory check of the candidates) gives the folder's answer."""
    folder, _ = networks
    where = f"status == '{status}'" if status and layer == "bridges" else None
    for kw in ({"near": (lon, lat), "radius_m": radius}, {"bbox": (lon, lat, lon + size, lat + size)},
               {"nearest": n, "to": (lon, lat)}, {"nearest": n, "near": (lon, lat), "radius_m": radius},
               {"within": ref} if ref else {}, {"within": ref, "nearest": n, "to": (lon, lat)} if ref else {},
               {"input_crs": "gcj02", "near": (lon, lat), "radius_m": radius}):
        try:
            a = query(folder, layer, where=where, **kw)
        except InputError as exc:
            with pytest.raises(InputError) as got:
                query(bundled_url, layer, where=where, **kw)
            assert str(got.value) == str(exc)
            continue
        b = query(bundled_url, layer, where=where, **kw)
        assert format_result(a, layer, fmt="geojson") == format_result(b, layer, fmt="geojson")


@pytest.mark.parametrize("by", ["status", "host", "material", "subdistrict", "corridor"])
def test_sql_stats_answer_as_the_folder(networks, bundled_url, by):
    from ecomap.bridges import site_stats

    folder, _ = networks
    pd.testing.assert_frame_equal(site_stats(folder, by=by), site_stats(bundled_url, by=by))


def test_stats_text_is_the_same_but_for_the_source_line(bundled_url, capsys):
    a = _out(capsys, "bridges", "stats", "--data", BUNDLED)
    b = _out(capsys, "bridges", "stats", "--data", bundled_url)
    assert a[0] == b[0] == 0
    assert a[1].splitlines()[1:] == b[1].splitlines()[1:]
    assert b[1].splitlines()[0].startswith("400 sites in postgresql://")
