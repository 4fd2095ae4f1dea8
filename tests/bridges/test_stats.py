"""The bridge-site register: listing and counting (by status, host, subdistrict, corridor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from ecomap import crs
from ecomap._errors import InputError
from ecomap.bridges import SUBDISTRICT_CENTRES, corridor_of, list_sites, site_stats, subdistrict_of


def test_list_by_status_and_within_a_corridor(many):
    got = list_sites(many, status=["built", "damaged"], within="corridors:C07")
    foot = many.corridors.geometry.loc["C07"].buffer(150)
    b = many.bridges
    want = b.index[b["status"].isin(["built", "damaged"]).to_numpy() & shapely.covers(foot, b.geometry.values)]
    assert list(got.index) == list(want) and len(got) > 5
    with pytest.raises(InputError, match="status 'bulit' is not one of"):
        list_sites(many, status=["bulit"])


def test_stats_against_independent_counts(many):
    b = many.bridges
    st = site_stats(many, by="status")
    assert st["sites"].to_dict() == b["status"].value_counts().to_dict()
    assert st["share"].sum() == pytest.approx(1.0)
    host = site_stats(many, by="host")
    cross = pd.crosstab(b["host"], b["status"])
    for h in cross.index:
        assert host.loc[h, "sites"] == cross.loc[h].sum()
        for s in cross.columns:
            assert host.loc[h, s] == cross.loc[h, s]
    # corridors: one covers() per corridor footprint, by hand
    cor = site_stats(many, by="corridor")
    inside_any = np.zeros(len(b), dtype=bool)
    for cid, row in many.corridors.iterrows():
        m = shapely.covers(row.geometry.buffer(row.width_m / 2), b.geometry.values)
        inside_any |= m
        assert cor.loc[cid, "sites"] == m.sum()
    assert cor.loc["(none)", "sites"] == (~inside_any).sum()
    assert len(corridor_of(many, b)) == cor.drop(index="(none)")["sites"].sum()


def test_subdistrict_is_the_nearest_centre_by_geodesic_distance(many):
    b = many.bridges.to_crs(crs.WGS84)
    names = list(SUBDISTRICT_CENTRES)
    g = pyproj.Geod(ellps="WGS84")
    d = np.column_stack([
        g.inv(b.geometry.x.to_numpy(), b.geometry.y.to_numpy(), np.full(len(b), lon), np.full(len(b), lat))[2]
        for lon, lat in SUBDISTRICT_CENTRES.values()
    ])
    want = [names[k] for k in d.argmin(axis=1)]
    assert list(subdistrict_of(many.bridges)) == want
    counts = site_stats(many, by="subdistrict")["sites"]
    assert counts.sum() == len(b)

