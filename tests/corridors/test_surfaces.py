"""The model's per-source surfaces kept on windows give the values of full surfaces kept for every source."""

from __future__ import annotations

import numpy as np
import pytest

from ecomap.corridors import cost_distances, model_corridors
from ecomap.corridors._surfaces import kept_surfaces, reach
from ecomap.corridors.barriers import _link_improvements
from ecomap.corridors.cost import _trace
from ecomap.network import load_network


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    r = rng.uniform(1, 30, size=(60, 70))
    r[rng.random(r.shape) < 0.08] = np.nan
    r[20:40, 33:35] = np.nan  # a wall with an island behind it
    lab = np.full(r.shape, -1)
    for i, (y, x) in enumerate([(5, 5), (50, 60), (10, 60), (55, 8), (30, 20)]):
        lab[y:y + 3, x:x + 3] = i
    lab[~np.isfinite(r)] = -1
    return r, lab


@pytest.mark.parametrize("neighbours", [8, 4, 16])
def test_windows_hold_every_value_the_links_read(neighbours):
    r, lab = _random_case(3)
    full = list(cost_distances(r, [lab == a for a in range(5)], cellsize=10.0, neighbours=neighbours))
    raw = np.array([[np.min(d[lab == b]) for b in range(5)] for d in full])
    pairs = [(0, 4), (1, 2), (3, 4)]
    width = 400.0
    kept = kept_surfaces(r, lab, reach(raw, pairs, width), cellsize=10.0, neighbours=neighbours, progress=False)
    assert kept.data[1] is not None and kept.data[0] is not None
    assert kept.nbytes < 5 * r.size * 8  # less than the five full surfaces
    for a, b in pairs:
        lcd = min(raw[a, b], raw[b, a])
        for s in (a, b):
            near = full[s] <= lcd + width
            np.testing.assert_array_equal(kept[s][near], full[s][near])  # bit for bit where read
            assert np.all(np.isinf(kept[s][~near]) | (kept[s][~near] == full[s][~near]))
        end = np.unravel_index(int(np.argmin(np.where(lab == b, kept[a], np.inf))), r.shape)
        assert _trace(kept[a], r, end, cellsize=10.0, neighbours=8) == _trace(full[a], r, end, cellsize=10.0,
                                                                              neighbours=8)
    for combine in ("max", "sum"):
        for shape in ("annulus", "disc"):
            kw = {"radii": [10.0, 30.0, 60.0], "cellsize": 10.0, "restored": 1.0, "shape": shape, "combine": combine}
            np.testing.assert_array_equal(_link_improvements(kept, pairs, **kw), _link_improvements(full, pairs, **kw))
    assert kept[2] is kept[2]  # the last full raster is reused, read-only
    assert not kept[2].flags.writeable


@pytest.mark.slow
def test_bundled_model_at_60_m_equals_full_surfaces():
    """The model's corridors, paths and barriers equal those made from every source's full surface."""
    m = model_corridors(load_network(), resolution=60.0)
    lab, r, cs = m.source_labels, m.resistance, m.grid.cellsize
    n = len(m.sources)
    full = list(cost_distances(r, [lab == a for a in range(n)], cellsize=cs))
    pos = {pid: i for i, pid in enumerate(m.sources.index.astype(str))}
    links = [(pos[a], pos[b]) for a, b in zip(m.paths["from_id"], m.paths["to_id"], strict=True)]
    lcd = m.lcd.to_numpy()
    mosaic = np.min([full[a] + full[b] - lcd[a, b] for a, b in links], axis=0)
    want = np.where((mosaic <= m.width) & (lab < 0), mosaic, np.nan)
    np.testing.assert_array_equal(m.corridors, want)
    radii = [x for x in m.table.restoration["radii_m"] if x >= cs] or [cs]
    bars = _link_improvements(full, links, radii=radii, cellsize=cs, restored=m.table.restoration["resistance"])
    bars[~np.isfinite(r)] = np.nan
    np.testing.assert_array_equal(m.barriers, bars)
    for (a, b), line in zip(links, m.paths.geometry, strict=True):
        end = np.unravel_index(int(np.argmin(np.where(lab == b, full[a], np.inf))), r.shape)
        cells = np.array(_trace(full[a], r, end, cellsize=cs, neighbours=8))
        xs, ys = m.grid.xy(cells[:, 0], cells[:, 1])
        np.testing.assert_array_equal(np.asarray(line.coords), np.column_stack([xs, ys]))
    np.testing.assert_array_equal(m.cost_distance, np.min(full, axis=0))
