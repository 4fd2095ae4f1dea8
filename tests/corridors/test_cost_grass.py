"""GRASS r.cost options: knight's move (-k), max_cost, and a start cell on NULL.

``tests/data/grass/rcost_9x11.npz`` holds a random 9 x 11 cost grid (15 % NULL) and GRASS 8.2's
r.cost outputs from cell (4, 5): plain, ``-k`` and ``max_cost=20``; the live test re-runs GRASS.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import cost_distance, cost_distances

DATA = np.load(Path(__file__).parents[1] / "data" / "grass" / "rcost_9x11.npz")
START = (4, 5)


def _grass(tmp_path: Path, cost: np.ndarray, start, options: str = "") -> np.ndarray:
    h, w = cost.shape
    rows = "\n".join(" ".join("*" if not np.isfinite(v) else repr(float(v)) for v in row) for row in cost)
    (tmp_path / "c.asc").write_text(f"north: {h}\nsouth: 0\neast: {w}\nwest: 0\nrows: {h}\ncols: {w}\n"
                                    f"null: *\n{rows}\n")
    x, y = start[1] + 0.5, h - start[0] - 0.5
    (tmp_path / "run.sh").write_text(
        f"r.in.ascii input={tmp_path}/c.asc output=c --q --o\ng.region raster=c\n"
        f"r.cost {options} input=c output=cum start_coordinates={x},{y} --q --o\n"
        f"r.out.ascii input=cum output={tmp_path}/o.asc null_value=* precision=17 --q --o\n")
    subprocess.run(["grass", "--tmp-location", "XY", "--exec", "bash", str(tmp_path / "run.sh")],
                   check=True, capture_output=True, timeout=120)
    lines = (tmp_path / "o.asc").read_text().splitlines()[6:]
    return np.array([[np.nan if t == "*" else float(t) for t in ln.split()] for ln in lines])


def _same(got: np.ndarray, grass: np.ndarray) -> None:
    """Equal where GRASS has a value, inf where it writes NULL."""
    ok = np.isfinite(grass)
    np.testing.assert_allclose(got[ok], grass[ok], rtol=1e-12, atol=1e-12)
    assert np.isinf(got[~ok]).all()


def test_knights_move_equals_rcost_k():
    got = cost_distance(DATA["cost"], [START], neighbours=16)
    _same(got, DATA["knight"])
    assert (got[np.isfinite(got)] <= cost_distance(DATA["cost"], [START])[np.isfinite(got)] + 1e-12).all()
    (only,) = cost_distances(DATA["cost"], [[START]], neighbours=16)
    np.testing.assert_array_equal(only, got)


def test_knights_move_needs_both_cells_it_passes_between():
    cost = np.ones((3, 2))
    cost[1, :] = [np.nan, 1.0]  # (0,0) -> (2,1) passes between (1,0) NULL and (1,1)
    d = cost_distance(cost, [(0, 0)], neighbours=16)
    assert d[2, 1] == pytest.approx(1.0 + np.sqrt(2))  # (0,0)-(1,1)-(2,1), not sqrt(5)
    cost[1, 0] = 1.0
    assert cost_distance(cost, [(0, 0)], neighbours=16)[2, 1] == pytest.approx(np.sqrt(5))


def test_max_cost_is_exact_below_the_cap_and_inf_beyond():
    """GRASS also writes unfinished costs just past the cap; ecomap writes inf there."""
    got = cost_distance(DATA["cost"], [START], max_cost=20.0)
    full = DATA["eight"]
    grass = DATA["max_cost_20"]
    below = np.isfinite(full) & (full <= 20.0)
    np.testing.assert_allclose(got[below], grass[below], rtol=1e-12)
    np.testing.assert_allclose(got[below], full[below], rtol=1e-12)
    assert np.isinf(got[~below]).all()
    assert (np.isfinite(grass) & ~below).any()  # GRASS's cells past the cap


def test_start_on_null_is_refused_by_name():
    c = np.full((6, 6), 2.0)
    c[3, 3] = np.nan
    with pytest.raises(InputError, match=r"start cell \(row 3, col 3\) is NULL"):
        cost_distance(c, [(3, 3)])
    with pytest.raises(InputError, match=r"row 3, col 3"):
        list(cost_distances(c, [[(0, 0)], [(3, 3)]]))
    mask = np.zeros((6, 6), dtype=bool)
    mask[3, 3] = True
    with pytest.raises(InputError, match="every one of the source's 1 cells is NULL"):
        cost_distance(c, mask)
    mask[0, 0] = True  # a region with one passable cell starts there
    assert cost_distance(c, mask)[0, 0] == 0.0


@pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS is not installed")
def test_live_grass_knight_and_max_cost(tmp_path):
    rng = np.random.default_rng(5)
    cost = rng.uniform(1, 10, (14, 17)).round(3)
    cost[rng.random(cost.shape) < 0.12] = np.nan
    cost[7, 8] = 2.0
    _same(cost_distance(cost, [(7, 8)], neighbours=16), _grass(tmp_path, cost, (7, 8), "-k"))
    full = _grass(tmp_path, cost, (7, 8))
    capped = cost_distance(cost, [(7, 8)], max_cost=15.0)
    below = np.isfinite(full) & (full <= 15.0)
    np.testing.assert_allclose(capped[below], full[below], rtol=1e-12)
    assert np.isinf(capped[~below]).all()
