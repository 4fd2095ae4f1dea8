"""Removal importance on threads: the same bits for any thread count, the same values as one batch."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from ecomap import connectivity as cn
from ecomap.connectivity import removal


def spatial_graph(n: int, seed: int, *, ties: bool) -> cn.Graph:
    """n patches, each linked to its 4 nearest; lengths rounded to 100 m (many ties) or not."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20_000, (n, 2))
    pairs = {(min(i, j), max(i, j)) for i in range(n)
             for j in np.argsort(np.hypot(*(xy - xy[i]).T))[1:5]}
    length = np.array([math.hypot(*(xy[u] - xy[v])) for u, v in sorted(pairs)])
    if ties:
        length = np.maximum(np.round(length, -2), 100.0)
    links = [(f"L{k}", u, v, float(d)) for k, ((u, v), d) in enumerate(zip(sorted(pairs), length, strict=True))]
    return cn.Graph.from_links(rng.uniform(0.1, 2, n), links)


@pytest.mark.parametrize("kind", ["iic", "pc"])
def test_thread_count_does_not_change_a_bit(kind):
    g = spatial_graph(300, 0, ties=True)
    runs = [removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=t)
            for t in (1, 2, 5)]
    assert len(range(0, g.n, max(removal.BATCH_MIN, -(-g.n // removal.BATCH_COUNT)))) > 5   # several batches
    for r in runs[1:]:
        assert r.num == runs[0].num
        assert np.array_equal(r.nodes.to_numpy(), runs[0].nodes.to_numpy())
        assert np.array_equal(r.links.to_numpy(), runs[0].links.to_numpy())


@pytest.mark.parametrize("kind", ["iic", "pc"])
def test_batches_sum_to_one_sequential_run(kind, monkeypatch):
    """Fixed batches on threads against every source in one batch (one sum in source order)."""
    g = spatial_graph(200, 1, ties=False)
    r = removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=2)
    monkeypatch.setattr(removal, "BATCH_MIN", 10 ** 9)
    one = removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=1)
    assert r.num == pytest.approx(one.num, rel=1e-13)
    assert np.allclose(r.nodes.to_numpy(), one.nodes.to_numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(r.links.to_numpy(), one.links.to_numpy(), rtol=1e-12, atol=1e-12)


def test_available_cores_is_the_affinity():
    assert 1 <= removal.available_cores() <= len(os.sched_getaffinity(0))
