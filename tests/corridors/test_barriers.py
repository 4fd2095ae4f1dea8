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
