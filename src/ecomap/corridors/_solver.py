"""The linear solvers of the circuit and the memory they need: sparse LU or AMG-preconditioned CG.

Private to the circuit (:mod:`ecomap.corridors.circuit`); kept apart so that the circuit's file
reads as the method (build the circuit, solve, reduce pairs) and this one as the numerics.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .._errors import EcomapWarning, InputError

log = logging.getLogger(__name__)

#: The most memory a sparse LU factorization may take before ``solver='auto'`` turns to AMG.
DIRECT_MAX_BYTES = 6 << 30


def _lu_bytes(n: int) -> int:
    r"""Memory of a SuperLU factorization of a 2-D grid Laplacian with minimum-degree ordering.

    Fill grows as :math:`n \log_2 n`; measured here: 10.6 M entries of L+U for 127 000 nodes and
    140 M for 1.14 M nodes (at most 6.1 n log2 n); 12 bytes an entry, with 50 % headroom.
    """
    return int(150 * n * max(math.log2(max(n, 2)), 1.0))


def _available_memory() -> int:
    """Bytes the kernel says are available (``MemAvailable``), or 8 GiB where it cannot say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


class _Solver:
    """Solves ``L_red x = b`` on one connected component, the ground node removed.

    ``direct``: one SuperLU factorization (minimum-degree ordering on A + A^T, symmetric mode),
    reused by every right-hand side. ``amg``: one smoothed-aggregation hierarchy (pyamg), reused
    by every right-hand side as the preconditioner of conjugate gradients. ``auto`` factorizes
    while the factor fits in ``DIRECT_MAX_BYTES`` and half the available memory (on this kind of
    grid the reused factor is faster per solve, see ``benchmarks/bench_corridors.py``), else AMG.
    """

    def __init__(self, a: sp.csr_matrix, *, method: str, tol: float):
        self.n = a.shape[0]
        self.tol = tol
        if method == "auto":
            budget = min(DIRECT_MAX_BYTES, _available_memory() // 2)
            method = "direct" if _lu_bytes(self.n) <= budget else "amg"
        self.method = method
        if method == "direct":
            lu = splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
            self._solve = lu.solve
        elif method == "amg":
            import pyamg

            a = a.tocsr()
            a.sum_duplicates()
            a.sort_indices()
            if a.nnz < 2**31 - 1:  # pyamg's kernels are much faster on 32-bit indices
                a.indices = a.indices.astype(np.int32)
                a.indptr = a.indptr.astype(np.int32)
            self._ml = pyamg.smoothed_aggregation_solver(
                a, symmetry="symmetric", smooth=("energy", {"krylov": "cg"}))
        else:
            raise InputError("solver must be 'auto', 'direct' or 'amg'")

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.method == "direct":
            return self._solve(b)
        res: list[float] = []
        x = self._ml.solve(b, tol=self.tol, accel="cg", maxiter=500, residuals=res)
        if res and res[-1] > self.tol * max(res[0], 1e-300) * 10:
            rel = res[-1] / res[0]
            log.warning("AMG-CG stopped at relative residual %.2e", rel)
            warnings.warn(f"AMG-CG did not converge: stopped at relative residual {rel:.2e} "
                          f"(tolerance {self.tol:g}); the potentials are approximate",
                          EcomapWarning, stacklevel=2)
        return x


#: Peak bytes of a direct solve per ``n log2 n`` (n the passable cells): the Laplacian's copies and
#: SuperLU's fill; measured 79.0-80.6 on the district at 30, 45 and 60 m (20 and 40 sources).
FACTOR_BYTES = 80.0
#: Peak bytes of an AMG solve per passable cell (the hierarchy, the Laplacian's copies, CG's
#: vectors); measured 35.1 MB on 45 649 cells and about 145 MB on 182 575, pyamg imported.
AMG_BYTES = 780.0
#: Dense ``m x m`` float64 matrices the region rule holds at its peak (``m`` ring cells) above the
#: factor term: CHOLMOD's dense ring supernode, G's lower triangle and the pair blocks; measured
#: 2.25-2.32 at 30, 45 and 60 m (7.1-7.3 before, with SuperLU and G kept whole).
RING_MATRICES = 2.3


def estimate_memory(n_cells: int, n_nodes: int, *, neighbours: int = 8, valid: int | None = None,
                    regions: str = "all", rings: int = 0, solver: str = "auto") -> int:
    r"""Bytes a pairwise circuit solve needs at its peak: the factor or AMG hierarchy, potentials, ring matrices.

    .. math:: M \approx \max(F,\; F/4 + 8\,n\,(N + 2)) + 18.4\,m^2,\qquad F = 80\,n \log_2 n

    for ``n`` passable cells, ``N`` focal nodes and ``m`` ring cells (region rule only): SuperLU's
    factorization of the Laplacian peaks at about 80 bytes per :math:`n \log_2 n` (measured on
    the district at 30-60 m) and keeps about a quarter of that (the factor alone, no copy of the
    Laplacian: 53.6 MB measured at 60 m with 100 sources, estimate 51.4 MB); one potential
    vector a focal node is kept after it (``regions='all'``); the region rule holds about 2.3 dense :math:`m \times m`
    matrices. With AMG (``solver='amg'``,
    or ``'auto'`` when the factor would not fit) the factor term is about 780 bytes a cell.

    Parameters
    ----------
    n_cells : int
        Cells of the raster (rows x cols, dropped cells included); the passable cells when
        ``valid`` is not given.
    n_nodes : int
        Focal nodes (sources).
    neighbours : {8, 4}
        Neighbourhood of the circuit.
    valid : int, optional
        Passable cells (the circuit's nodes); default ``n_cells``.
    regions : {'all', 'pair'}
        The region rule (:func:`~ecomap.corridors.effective_resistance`).
    rings : int, default 0
        Ring cells of the focal regions (cells next to a cell outside their region), for
        ``regions='pair'``.
    solver : {'auto', 'direct', 'amg'}
        The solver, as :func:`~ecomap.corridors.effective_resistance` chooses it.

    Returns
    -------
    int
        Bytes.
    """
    n = max(int(valid if valid is not None else n_cells), 2)
    scale = (neighbours + 1) / 9.0  # the Laplacian's entries a row
    amg = solver == "amg" or (solver == "auto" and _lu_bytes(n) > min(DIRECT_MAX_BYTES, _available_memory() // 2))
    solve = AMG_BYTES * scale * n if amg else FACTOR_BYTES * scale * n * math.log2(n)
    potentials = 8 * n * (n_nodes + 2) if regions == "all" else 0
    ring = RING_MATRICES * 8 * rings * rings if regions == "pair" else 0
    return int(max(solve, solve / 4 + potentials) + ring)


def _check_memory(n_cells: int, n_nodes: int, neighbours: int, max_memory: int | None, *,
                  valid: int | None = None, solver: str = "auto") -> None:
    need = estimate_memory(n_cells, n_nodes, neighbours=neighbours, valid=valid, solver=solver)
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        raise InputError(
            f"circuit solve on {n_cells:,} cells and {n_nodes} focal nodes needs about "
            f"{need / 2**30:.1f} GiB but {have / 2**30:.1f} GiB is available; "
            "use a coarser resolution or fewer sources"
        )


def _blas_thread_controls() -> list[tuple]:
    """(get, set) of the OpenBLAS thread count of every OpenBLAS loaded (numpy's, scipy's); Linux only."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
    except OSError:
        return []
    out = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    out.append((get, put))
    return out


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with OpenBLAS on one thread, then restore its thread counts.

    The region rule makes hundreds of dense calls of a few hundred rows; on a shared 2-core
    machine OpenBLAS's threads made them 3-6 times slower than one thread (measured,
    ``benchmarks/bench_regions.py``).
    """
    controls = _blas_thread_controls()
    before = [get() for get, _ in controls]
    for _, put in controls:
        put(1)
    try:
        yield
    finally:
        for (_, put), n in zip(controls, before, strict=True):
            put(n)


def _openblas_core() -> str | None:
    """An OpenBLAS kernel set this CPU runs (``SkylakeX`` with AVX-512, ``Haswell`` with AVX2), else None."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = next((set(line.split(":", 1)[1].split()) for line in fh if line.startswith("flags")), set())
    except OSError:
        return None
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def import_cholmod():
    """``sksparse.cholmod``, loading the system OpenBLAS under it with kernels for this CPU.

    CHOLMOD calls the system BLAS (Debian 12: OpenBLAS 0.3.21). That OpenBLAS does not know
    recent Xeons and falls back to its ``Prescott`` (SSE3) kernels: its dense Cholesky then takes
    2-3 times as long (measured on the region rule's ring block, ``benchmarks/bench_regions.py``).
    Unless ``OPENBLAS_CORETYPE`` is set, it is set for the load to the kernels the CPU's flags
    allow, then restored (OpenBLAS reads it once, when the library is loaded).
    """
    if "OPENBLAS_CORETYPE" in os.environ or (core := _openblas_core()) is None:
        from sksparse import cholmod

        return cholmod
    os.environ["OPENBLAS_CORETYPE"] = core
    try:
        from sksparse import cholmod
    finally:
        del os.environ["OPENBLAS_CORETYPE"]
    return cholmod
