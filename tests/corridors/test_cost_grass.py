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
from ecomap.corridors.cost import _trace

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


def _path_cost(cost: np.ndarray, cells: list[tuple[int, int]]) -> float:
    """The cost of a traced path, step by step, by r.cost's rule written out here."""
    total = 0.0
    for (r0, c0), (r1, c1) in zip(cells, cells[1:], strict=False):
        dr, dc = r1 - r0, c1 - c0
        if abs(dr) + abs(dc) == 3:
            mid = (cost[r0 + dr // 2, c0] + cost[r0 + dr // 2, c0 + dc]) if abs(dr) == 2 else (
                cost[r0, c0 + dc // 2] + cost[r0 + dr, c0 + dc // 2])
            total += np.sqrt(5) * (cost[r0, c0] + cost[r1, c1] + mid) / 4
        else:
            assert max(abs(dr), abs(dc)) == 1
            total += np.hypot(dr, dc) * (cost[r0, c0] + cost[r1, c1]) / 2
    return total


@pytest.mark.parametrize("neighbours", [4, 8, 16])
def test_traced_path_costs_the_cost_distance_at_its_end(neighbours):
    rng = np.random.default_rng(11)
    cost = rng.uniform(1, 10, (25, 30))
    cost[rng.random(cost.shape) < 0.1] = np.nan
    cost[12, 3] = 1.0
    cwd = cost_distance(cost, [(12, 3)], neighbours=neighbours)
    knights = 0
    for end in np.argwhere(np.isfinite(cwd))[::7]:
        cells = _trace(cwd, cost, tuple(end), cellsize=1.0, neighbours=neighbours)
        assert cells[0] == (12, 3) and cells[-1] == tuple(end)
        assert _path_cost(cost, cells) == pytest.approx(cwd[tuple(end)], rel=1e-12, abs=1e-12)
        knights += sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 3 for a, b in zip(cells, cells[1:], strict=False))
    assert (knights > 0) == (neighbours == 16)


@pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS is not installed")
def test_live_grass_rdrain_follows_the_same_knights_moves(tmp_path):
    """r.cost -k with its direction raster, then r.drain -d from far cells: the same cells as _trace."""
    rng = np.random.default_rng(8)
    cost = rng.uniform(1, 10, (16, 19))
    cost[rng.random(cost.shape) < 0.1] = np.nan
    start = (3, 4)
    cost[start] = 1.0
    cwd = cost_distance(cost, [start], neighbours=16)
    ends = [tuple(int(v) for v in e) for e in np.argwhere(np.isfinite(cwd)) if cwd[tuple(e)] > 40][::9][:4]
    h = cost.shape[0]
    rows = "\n".join(" ".join("*" if not np.isfinite(v) else repr(float(v)) for v in row) for row in cost)
    (tmp_path / "c.asc").write_text(f"north: {h}\nsouth: 0\neast: {cost.shape[1]}\nwest: 0\nrows: {h}\n"
                                    f"cols: {cost.shape[1]}\nnull: *\n{rows}\n")
    script = [f"r.in.ascii input={tmp_path}/c.asc output=c --q --o", "g.region raster=c",
              f"r.cost -k input=c output=cum outdir=dir start_coordinates={start[1] + 0.5},{h - start[0] - 0.5} "
              "--q --o"]
    for k, (r, c) in enumerate(ends):
        script += [f"r.drain -d input=cum direction=dir output=p{k} start_coordinates={c + 0.5},{h - r - 0.5} --q --o",
                   f"r.out.ascii input=p{k} output={tmp_path}/p{k}.asc null_value=* --q --o"]
    (tmp_path / "run.sh").write_text("\n".join(script) + "\n")
    subprocess.run(["grass", "--tmp-location", "XY", "--exec", "bash", str(tmp_path / "run.sh")],
                   check=True, capture_output=True, timeout=120)
    knights = 0
    for k, end in enumerate(ends):
        lines = (tmp_path / f"p{k}.asc").read_text().splitlines()[6:]
        drained = {(i, j) for i, ln in enumerate(lines) for j, t in enumerate(ln.split()) if t != "*"}
        cells = _trace(cwd, cost, end, cellsize=1.0, neighbours=16)
        assert set(cells) == drained
        knights += sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 3 for a, b in zip(cells, cells[1:], strict=False))
    assert knights > 0
