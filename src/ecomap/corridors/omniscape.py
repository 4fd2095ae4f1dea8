"""Omniscape moving windows: wall-to-wall current from circuit solves in a circle around every target.

The algorithm of Omniscape.jl (McRae et al. 2016; Landau et al. 2021): a target block of
``block_size`` x ``block_size`` cells is grounded at its centre, every source cell within
``radius`` cells (outside the block) injects current in proportion to its strength, the total
being the block's strength, and the node currents of that one Circuitscape "advanced" solve on
the circular window (``radius + buffer`` cells) are added to the cumulative map. Flow potential is
the same solve on uniform resistance; normalized current is their ratio.

Every convention of Omniscape.jl 0.6 is kept so that its verified outputs are reproduced
(``tests/corridors/test_omniscape.py``): average *conductance* between neighbours (diagonals
divided by 2 sqrt 2), node current = max(inflow, outflow) with branch currents below 1e-8 of
the largest set to 0, an even ``block_size`` raised by one, sources at the ground removed, the
block-artifact correction of ``calc_correction``, and one quirk: the block whose sources are set
to 0 sits at the window's nominal centre, ``radius + buffer`` cells from its top-left corner,
which for a window clipped by the raster's top or left edge is not the target's own block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ._common import check_neighbours
from ._window import _circle, _correction, _cut, _Setup, _window_sources, window_current

__all__ = ["Condition", "OmniscapeResult", "omniscape", "omniscape_targets", "run_omniscape_files",
           "source_from_resistance", "window_current"]

@dataclass(frozen=True)
class OmniscapeResult:
    """The three maps of a moving-window run, on the input raster's grid (NaN on NoData if masked)."""

    cumulative: np.ndarray
    flow_potential: np.ndarray | None
    normalized: np.ndarray | None
    n_targets: int
    block_size: int


@dataclass(frozen=True)
class Condition:
    """A conditional-connectivity layer: a source only counts if it is like the target on it.

    ``present`` is the layer now and ``future`` (default: ``present``) the layer the target block is
    read from, both of shape (rows, cols), NaN for NoData. ``comparison='within'``: a source
    counts when ``lower <= present - median(future over the target block) <= upper`` (units of the
    layer); ``'equal'``: when ``present`` equals the block's mode (on ties, the value that first
    reaches the top count in column order, as StatsBase's ``mode``).
    """

    present: np.ndarray
    future: np.ndarray | None = None
    comparison: str = "within"
    lower: float = 0.0
    upper: float = 0.0

    def keep(self, y: int, x: int, br: int, rs: slice, cs: slice) -> np.ndarray:
        """Sources kept in the window ``rs, cs`` for the target block centred on ``(y, x)``."""
        fut = self.present if self.future is None else self.future
        block = fut[y - br:y + br + 1, x - br:x + br + 1].ravel(order="F")
        block = block[np.isfinite(block)]
        p = self.present[rs, cs]
        if block.size == 0:
            return np.ones(p.shape, dtype=bool)
        if self.comparison == "equal":
            value = _mode(block)
            return ~(np.isfinite(p) & (p != value))
        d = p - np.median(block)
        return ~((d > self.upper) | (d < self.lower))


def _mode(values: np.ndarray) -> float:
    counts: dict[float, int] = {}
    best, top = values[0], 0
    for v in values.tolist():
        counts[v] = counts.get(v, 0) + 1
        if counts[v] > top:
            best, top = v, counts[v]
    return best


def source_from_resistance(resistance, *, r_cutoff: float = math.inf,
                           resistance_is_conductance: bool = False) -> np.ndarray:
    """Source strength as Omniscape.jl derives it: 1 / resistance, 0 where resistance > ``r_cutoff``.

    Parameters
    ----------
    resistance : array_like of float, shape (rows, cols)
        Resistance per cell (dimensionless cost units); NaN for NoData.
    r_cutoff : float, default inf
        Cells with a resistance above this (cost units) are no source.
    resistance_is_conductance : bool, default False
        ``resistance`` holds conductances (1 / cost units); the strength is then the value itself.

    Returns
    -------
    numpy.ndarray of float, shape (rows, cols)
        Source strength (relative, unitless); 0 on NoData and above the cutoff.
    """
    r = np.asarray(resistance, dtype=float)
    with np.errstate(divide="ignore"):
        s = r.copy() if resistance_is_conductance else 1.0 / r
    cut = 1.0 / r_cutoff if r_cutoff else math.inf
    return np.where(np.isfinite(s) & (s >= cut), s, 0.0)


def omniscape_targets(source: np.ndarray, block_size: int) -> np.ndarray:
    """Target centres and strengths: every ``block_size``-th cell, strength = its block's source sum.

    Parameters
    ----------
    source : numpy.ndarray of float, shape (rows, cols)
        Source strength per cell (unitless, >= 0, no NaN).
    block_size : int
        Odd side of a target block in cells.

    Returns
    -------
    numpy.ndarray of float, shape (n, 3)
        Row, column (0-based cells) and strength of each target with a strength > 0, in
        Omniscape.jl's order (columns outer, rows inner).
    """
    br = (block_size - 1) // 2
    rows, cols = source.shape
    out = []
    for x in range(br, cols - br, block_size):
        for y in range(br, rows - br, block_size):
            out.append((y, x, source[y - br:y + br + 1, x - br:x + br + 1].sum()))
    t = np.array(out, dtype=float).reshape(-1, 3)
    return t[t[:, 2] > 0]


def _check(resistance, source, radius: int, block_size: int, buffer: int, neighbours: int):
    check_neighbours(neighbours)
    r = np.asarray(resistance, dtype=float)
    if r.ndim != 2:
        raise InputError("resistance must be a 2-D array")
    ok = np.isfinite(r)
    if not ok.any() or (r[ok] <= 0).any():
        raise InputError("resistance must be > 0 on at least one cell; use NaN for NoData")
    if int(radius) < 1 or int(block_size) < 1 or int(buffer) < 0:
        raise InputError("radius and block_size must be >= 1 cell, buffer >= 0 cells")
    if source is not None:
        source = np.asarray(source, dtype=float)
        if source.shape != r.shape:
            raise InputError(f"source strength is {source.shape[0]} x {source.shape[1]} cells, "
                             f"resistance {r.shape[0]} x {r.shape[1]}: they must be on one grid")
    return r, source


def _reclassify(r: np.ndarray, reclass: dict[float, float] | None) -> np.ndarray:
    """Replace each old value by its new one (NaN: NoData), all read from the unchanged raster."""
    if not reclass:
        return r
    out = r.copy()
    for old, new in reclass.items():
        out[r == old] = new
    return out


def omniscape(
    resistance,
    *,
    radius: int,
    block_size: int = 1,
    buffer: int = 0,
    source_strength=None,
    source_threshold: float = 0.0,
    r_cutoff: float = math.inf,
    resistance_is_conductance: bool = False,
    reclass: dict[float, float] | None = None,
    neighbours: int = 8,
    correct_artifacts: bool = True,
    flow_potential: bool = True,
    mask_nodata: bool = True,
    conditions: tuple[Condition, ...] = (),
) -> OmniscapeResult:
    """Moving-window current flow (Omniscape.jl's algorithm) on a resistance raster.

    Parameters
    ----------
    resistance : array_like of float, shape (rows, cols)
        Resistance per cell (cost units), NaN for NoData; conductance if
        ``resistance_is_conductance``.
    radius : int
        Radius of the moving window in cells (a source farther than this from the target does not
        inject current).
    block_size : int, default 1
        Side of a target block in cells; an even value is raised by one, as Omniscape.jl does.
    buffer : int, default 0
        Cells added to the radius for the circuit (but not for the sources).
    source_strength : array_like of float, shape (rows, cols), optional
        Source strength per cell (relative, unitless), NaN or 0 for none. Default: from the
        resistance (:func:`source_from_resistance` with ``r_cutoff``).
    source_threshold : float, default 0
        Strengths below this (same units as ``source_strength``) become 0; only for a given
        ``source_strength``.
    r_cutoff : float, default inf
        Cost units above which a cell is no source, for strengths taken from the resistance.
    resistance_is_conductance : bool, default False
        ``resistance`` holds conductances (1 / cost units).
    reclass : dict of float to float, optional
        Old resistance value -> new value (NaN for NoData), applied before anything else.
    neighbours : {8, 4}
        Neighbourhood of the circuit.
    correct_artifacts : bool, default True
        Apply Omniscape.jl's block-artifact correction (when ``block_size`` > 1).
    flow_potential : bool, default True
        Also compute flow potential (the same solves on uniform resistance) and normalized current.
    mask_nodata : bool, default True
        NaN in every output where the resistance is NoData.
    conditions : tuple of Condition, optional
        Conditional connectivity (at most two layers in Omniscape.jl): a source only injects
        current towards targets it is like on every layer.

    Returns
    -------
    OmniscapeResult
        ``cumulative`` current (amperes, summed over windows), ``flow_potential`` (amperes) and
        ``normalized`` (cumulative / flow potential, 0 where both are 0), each of shape
        (rows, cols); the two last None unless ``flow_potential``.

    Raises
    ------
    InputError
        A resistance that is not 2-D or not > 0, a radius or block size < 1, a negative buffer, a
        neighbourhood other than 4 or 8, or a source or condition raster on another grid.

    References
    ----------
    McRae, B. H., Popper, K., Jones, A., et al. (2016). Conserving nature's stage: mapping
    omnidirectional connectivity for resilient terrestrial landscapes in the Pacific Northwest.
    The Nature Conservancy.
    Landau, V. A., Shah, V. B., Anantharaman, R., Hall, K. R. (2021). Omniscape.jl: Software to
    compute omnidirectional landscape connectivity. Journal of Open Source Software, 6(57), 2829.
    """
    r, src = _check(resistance, source_strength, radius, block_size, buffer, neighbours)
    if src is None:
        src = source_from_resistance(_reclassify(r, reclass), r_cutoff=r_cutoff,
                                     resistance_is_conductance=resistance_is_conductance)
    else:
        src = np.where(np.isfinite(src) & (src >= source_threshold), src, 0.0)
    r = _reclassify(r, reclass)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = r if resistance_is_conductance else 1.0 / r
    cond = np.where(np.isfinite(r), cond, np.nan)
    bs = int(round(block_size)) + (1 - int(round(block_size)) % 2)
    st = _Setup(int(round(radius)), int(round(buffer)), bs, r.shape, neighbours)
    _check_conditions(conditions, r.shape)
    corr = _correction(st) if correct_artifacts and bs > 1 else None
    targets = omniscape_targets(src, bs)
    cum = np.zeros(r.shape)
    fp = np.zeros(r.shape) if flow_potential else None
    for y, x, amps in targets:
        _solve_target(int(y), int(x), amps, cond, src, st, corr, cum, fp, conditions)
    return _finish(cum, fp, np.isfinite(r), mask_nodata, len(targets), bs)


def _check_conditions(conditions, shape) -> None:
    for k, c in enumerate(conditions):
        if c.comparison not in ("within", "equal"):
            raise InputError(f"condition {k + 1}: comparison must be 'within' or 'equal'")
        for name in ("present", "future"):
            a = getattr(c, name)
            if a is not None and np.shape(a) != shape:
                raise InputError(f"condition {k + 1}: the {name} layer is not on the resistance's grid")


def _solve_target(y: int, x: int, amps: float, cond, src, st: _Setup, corr, cum, fp, conditions=()) -> None:
    """One window (Omniscape.jl's ``solve_target!``): solve, correct, add to the running sums."""
    rs, cs, at = st.window(y, x)
    shape = (rs.stop - rs.start, cs.stop - cs.start)
    sources = _window_sources(src, st, y, x, amps)
    for c in conditions:  # after the scaling, as in Omniscape.jl
        sources[~c.keep(y, x, st.block_radius, rs, cs)] = 0.0
    c = np.where(_circle(shape, at, st.reach), cond[rs, cs], np.nan)
    cur = window_current(c, sources, at, neighbours=st.neighbours)
    pot = window_current(np.ones(shape), sources, at, neighbours=st.neighbours) if fp is not None else None
    if corr is not None:
        k = _cut(corr, st, y, x, shape)
        cur = cur * k
        pot = pot * k if pot is not None else None
    cum[rs, cs] += cur
    if fp is not None:
        fp[rs, cs] += pot


def _finish(cum, fp, valid, mask_nodata: bool, n: int, bs: int) -> OmniscapeResult:
    norm = None
    if fp is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = cum / fp
        norm[np.isnan(norm)] = 0.0
    if mask_nodata:
        for a in (cum, fp, norm):
            if a is not None:
                a[~valid] = np.nan
    return OmniscapeResult(cum, fp, norm, n, bs)


#: Output file -> (result attribute, band description, units).
_OUTPUTS = {
    "cum_currmap.tif": ("cumulative", "cumulative current", "amperes, summed over moving windows"),
    "flow_potential.tif": ("flow_potential", "flow potential", "amperes on uniform resistance"),
    "normalized_cum_currmap.tif": ("normalized", "normalized current", "cumulative / flow potential (unitless)"),
}


def _read_raster(path) -> tuple[np.ndarray, dict]:
    import rasterio

    try:
        with rasterio.open(path) as d:
            a = d.read(1).astype(float)
            nodata, profile = d.nodata, d.profile
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{path}: not a readable raster ({exc})") from exc
    if nodata is not None:
        a[a == nodata] = np.nan
    return a, profile


def run_omniscape_files(resistance, out_dir, *, source=None, **options) -> list:
    """Read a resistance raster (and a source raster), run :func:`omniscape`, write the GeoTIFFs.

    Parameters
    ----------
    resistance : str or os.PathLike
        A single-band raster GDAL reads (GeoTIFF, ASCII grid) of resistance (cost units); its
        NoData value marks NoData cells.
    out_dir : str or os.PathLike
        Folder for ``cum_currmap.tif``, ``flow_potential.tif`` and ``normalized_cum_currmap.tif``
        (float32, NoData NaN, the resistance's CRS and transform), each written atomically.
    source : str or os.PathLike, optional
        A raster of source strength on the same grid (relative, unitless). Default: from the
        resistance.
    **options
        Passed to :func:`omniscape` (``radius`` in cells is required).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        An unreadable raster, or any refusal of :func:`omniscape`.
    """
    from pathlib import Path

    import rasterio

    from ..io import atomic_write

    r, profile = _read_raster(resistance)
    s = _read_raster(source)[0] if source is not None else None
    res = omniscape(r, source_strength=s, **options)
    out = []
    for name, (attr, desc, units) in _OUTPUTS.items():
        arr = getattr(res, attr)
        if arr is None:
            continue
        path = Path(out_dir) / name
        with atomic_write(path) as tmp:
            with rasterio.open(tmp, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
                               dtype="float32", crs=profile.get("crs"), transform=profile["transform"],
                               nodata=np.nan, compress="deflate") as dst:
                dst.write(arr.astype("float32"), 1)
                dst.set_band_description(1, desc)
                tags = {k: str(v) for k, v in options.items() if isinstance(v, (int, float, str))}
                tags.update(units=units, n_targets=str(res.n_targets), block_size=str(res.block_size))
                dst.update_tags(**tags)
        out.append(path)
    return out
