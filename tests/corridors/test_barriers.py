"""Barrier Mapper's improvement score, worked by hand on a walled strip."""

from __future__ import annotations

import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import barrier_improvement, cost_distance
from ecomap.corridors.barriers import _link_improvements


# --- Barrier Mapper -----------------------------------------------------------------------------
def test_barrier_improvement_on_a_walled_strip():
    res = np.ones((1, 11))
    res[0, 5] = 101.0
    a = cost_distance(res, [(0, 0)])
    b = cost_distance(res, [(0, 10)])
    assert (a + b).min() == pytest.approx(110.0)  # 8 unit steps + 2 x (1 + 101) / 2
    score = barrier_improvement(a, b, radii=[1.0])
    # restoring cells 4..6 to 1 gives LCD 10: (110 - 10) / 2 per unit restored
    assert score[0, 5] == pytest.approx(50.0)
    assert score.argmax() == 5
    assert score[0, 0] == 0.0


def test_link_scores_are_the_largest_pair_score_and_radii_below_a_cell_are_input_errors():
    """The model's per-source filtering gives the maximum of the per-pair scores, computed pair by pair."""
    rng = np.random.default_rng(8)
    res = rng.uniform(1, 30, size=(15, 17))
    res[7, 3:14] = 400.0  # a wall with the sources on either side
    cwd = [cost_distance(res, [cell], cellsize=10.0) for cell in [(0, 0), (14, 16), (2, 15), (13, 1)]]
    links = [(0, 1), (0, 2), (2, 3)]
    radii = [10.0, 25.0]
    got = _link_improvements(cwd, links, radii=radii, cellsize=10.0, restored=2.0)
    want = np.zeros(res.shape)
    for a, b in links:
        want = np.fmax(want, barrier_improvement(cwd[a], cwd[b], radii=radii, cellsize=10.0, restored=2.0))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert got.max() > 0
    for call in (lambda: barrier_improvement(cwd[0], cwd[1], radii=[5.0], cellsize=10.0),
                 lambda: _link_improvements(cwd, links, radii=[5.0], cellsize=10.0, restored=1.0)):
        with pytest.raises(InputError, match="radius 5.0 is smaller than a cell"):
            call()


def _linkage_mapper(cwd_a, cwd_b, radii):
    """Linkage Mapper's s6_barriers.py raster algebra (cell size 1), transcribed with scipy.

    ``FocalStatistics(cwd, "ANNULUS r-1 r MAP", "MINIMUM", "DATA")`` per source, then
    ``(lcd - focal1 - focal2 - 2r) / 2r``, the maximum over the radii, ``SetNull(VALUE < 0)``.
    """
    from scipy import ndimage

    big = np.finfo(float).max / 4
    lcd = np.min((cwd_a + cwd_b)[np.isfinite(cwd_a + cwd_b)])
    best = np.full(cwd_a.shape, -np.inf)
    for r in radii:
        k = int(r)
        yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
        d = np.hypot(yy, xx)
        ring = (d > r - 1) & (d <= r)
        fa = ndimage.minimum_filter(np.where(np.isfinite(cwd_a), cwd_a, big), footprint=ring, mode="constant", cval=big)
        fb = ndimage.minimum_filter(np.where(np.isfinite(cwd_b), cwd_b, big), footprint=ring, mode="constant", cval=big)
        best = np.fmax(best, (lcd - fa - fb - 2 * r) / (2 * r))
    best[best < 0] = np.nan
    return best


def test_annulus_is_linkage_mappers_rule_and_the_disc_differs_at_a_swallowed_core():
    res = np.ones((40, 60))
    res[:, 30:33] = 50.0  # a barrier band 3 cells wide
    a = np.zeros(res.shape, bool)
    a[19:21, 28:30] = True  # a 2 x 2 core touching the band
    b = np.zeros(res.shape, bool)
    b[15:25, 50:55] = True
    ca, cb = cost_distance(res, a), cost_distance(res, b)
    lm = _linkage_mapper(ca, cb, [6, 4])
    got = barrier_improvement(ca, cb, radii=[6, 4])
    np.testing.assert_allclose(got[np.isfinite(lm)], lm[np.isfinite(lm)], rtol=1e-12, atol=1e-12)
    assert (got[np.isnan(lm)] == 0).all()  # no gain: 0, where Linkage Mapper writes NoData
    disc = barrier_improvement(ca, cb, radii=[6, 4], shape="disc")
    assert (disc >= got - 1e-12).all() and (disc > got + 1e-6).any()
    with pytest.raises(InputError, match="shape must be"):
        barrier_improvement(ca, cb, radii=[6], shape="ring")


def test_sum_over_links_adds_each_links_best_radius():
    rng = np.random.default_rng(3)
    res = rng.uniform(1, 30, size=(15, 17))
    res[7, 3:14] = 400.0
    cwd = [cost_distance(res, [cell], cellsize=10.0) for cell in [(0, 0), (14, 16), (2, 15)]]
    links = [(0, 1), (0, 2), (1, 2)]
    got = _link_improvements(cwd, links, radii=[10.0, 20.0], cellsize=10.0, restored=2.0, combine="sum")
    want = sum(barrier_improvement(cwd[a], cwd[b], radii=[10.0, 20.0], cellsize=10.0, restored=2.0)
               for a, b in links)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(InputError, match="combine must be"):
        _link_improvements(cwd, links, radii=[10.0], cellsize=10.0, restored=1.0, combine="mean")


def test_annulus_at_a_radius_that_is_no_whole_number_of_cells_widens_to_one_cell():
    from ecomap.corridors.barriers import _footprint

    ring = _footprint(60.0, 25.0, "annulus")  # no cell centre at 59 < d <= 60 m
    assert ring.any()
    yy, xx = np.nonzero(ring)
    d = np.hypot(yy - ring.shape[0] // 2, xx - ring.shape[1] // 2) * 25.0
    assert (d > 35.0).all() and (d <= 60.0).all()
