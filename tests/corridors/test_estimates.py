"""Every memory estimate within 10 % of the peak measured in a subprocess.

The child loads its imports and data, runs a warm-up (every lazy import and compiled kernel
loaded), resets the kernel's high-water mark (``/proc/self/clear_refs``), and reports the peak
resident memory (``VmHWM``) minus the resident memory at that point, with the estimate. glibc's
mmap threshold is fixed (``MALLOC_MMAP_THRESHOLD_``): by default it grows after a large block
is freed, and later arrays then reuse memory the warm-up left resident, which hides them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
BENCH = str(Path(__file__).resolve().parents[2] / "benchmarks")

pytestmark = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")

PRELUDE = """
import json, sys
sys.path[:0] = [{src!r}, {bench!r}]
import numpy as np

def rss(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

def measure(fn):
    open("/proc/self/clear_refs", "w").write("5")
    base = rss("VmRSS:")
    out = fn()
    return rss("VmHWM:") - base, out
"""


def _run(body: str) -> dict:
    code = PRELUDE.format(src=SRC, bench=BENCH) + textwrap.dedent(body)
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _within(got: dict, tol: float = 0.10) -> None:
    ratio = got["estimate"] / got["peak"]
    assert 1 - tol <= ratio <= 1 + tol, got


@pytest.mark.parametrize("neighbours", [8, 16])
def test_cost_distance_estimate_holds(neighbours):
    got = _run(f"""
    from ecomap.corridors import cost_distance, cost_distances, estimate_cost_memory
    rng = np.random.default_rng(1)
    c = rng.uniform(1, 9, (1500, 1500)); c[rng.random(c.shape) < 0.05] = np.nan; c[750, 749:751] = 1.0
    cost_distance(np.ones((3, 3)), [(0, 0)], neighbours={neighbours})
    one, _ = measure(lambda: float(cost_distance(c, [(750, 750)], cellsize=10.0, neighbours={neighbours})[0, 0]))
    def masks():  # as the corridor model gives them (lab == a: every page written)
        for k in range(2):
            m = np.full(c.shape, False)
            m[750, 750 - k] = True
            yield m
    def loop():
        return [float(d[0, 0]) for d in cost_distances(c, masks(), cellsize=10.0, neighbours={neighbours})]
    many, _ = measure(loop)
    print(json.dumps({{"one": one, "many": many, "est_one": estimate_cost_memory(c.size),
                      "est_many": estimate_cost_memory(c.size, kept=1, mask=True)}}))
    """)
    _within({"peak": got["one"], "estimate": got["est_one"]})
    _within({"peak": got["many"], "estimate": got["est_many"]})


CIRCUIT = """
from bench_corridors import _sources
from ecomap.corridors import estimate_memory, make_grid, resistance_surface
from ecomap.corridors._budget import ring_cells
from ecomap.corridors.circuit import _pairwise
from ecomap.network import load_network
net = load_network()
r, grid = resistance_surface(net, resolution={res})
lab, _ = _sources(net, grid, r, {n})
lab = np.where(lab < {n}, lab, -1)
masks = [lab == i for i in range({n})]
pairs = [(a, b) for a in range({n}) for b in range(a + 1, {n})]
kw = dict(resistances=True, neighbours=8, average="conductance", solver={solver!r}, tol=1e-8,
          max_memory=None, progress=False, regions={regions!r})
_pairwise(r, masks[:2], pairs=[(0, 1)], **kw)  # warm-up: lazy imports
peak, _ = measure(lambda: _pairwise(r, masks, pairs=pairs, **kw))
est = estimate_memory(r.size, {n}, valid=int(np.isfinite(r).sum()), regions={regions!r}, rings=ring_cells(lab),
                      solver={solver!r})
print(json.dumps({{"peak": peak, "estimate": est}}))
"""


def test_circuit_estimate_holds_every_region_shorted():
    _within(_run(CIRCUIT.format(res=60.0, n=20, solver="auto", regions="all")))


@pytest.mark.slow
@pytest.mark.parametrize(("res", "n", "solver", "regions"), [
    (60.0, 20, "auto", "pair"),  # Circuitscape's region rule: the dense ring matrices
    (60.0, 100, "auto", "all"),  # a potential vector per source outgrows the factor
    (60.0, 20, "amg", "all"),
    (30.0, 20, "auto", "all"),
])
def test_circuit_estimate_holds(res, n, solver, regions):
    _within(_run(CIRCUIT.format(res=res, n=n, solver=solver, regions=regions)))


MODEL = """
from ecomap.corridors import model_corridors
from ecomap.network import load_network
net = load_network()
model_corridors(net, resolution=4 * {res}, circuit={circuit})  # warm-up: lazy imports, compiled kernels
peak, m = measure(lambda: model_corridors(net, resolution={res}, circuit={circuit}))
print(json.dumps({{"peak": peak, "estimate": m.notes["memory_estimate_bytes"]}}))
"""


def test_model_estimate_holds():
    _within(_run(MODEL.format(res=60.0, circuit=False)))


@pytest.mark.slow
@pytest.mark.parametrize(("res", "circuit"), [(60.0, True), (30.0, False)])
def test_model_estimate_holds_at_more_cells(res, circuit):
    _within(_run(MODEL.format(res=res, circuit=circuit)))
