"""Barrier Mapper's improvement score, worked by hand on a walled strip."""

from __future__ import annotations

import numpy as np
import pytest

from ecomap.corridors import barrier_improvement, cost_distance


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
