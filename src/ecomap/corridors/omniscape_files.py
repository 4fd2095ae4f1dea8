"""Omniscape on raster files, tile by tile: read windows, write windowed GeoTIFFs.

Neither the client nor a worker holds a whole raster: each task reads its tile grown by the
halo from the input files (so on a remote cluster the workers must see the same paths), and the
client writes each finished output tile into tiled GeoTIFFs with ``src.write(arr, window=...)``,
in row-major tile order, so the files are the same bytes whatever ran the tasks.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from .._errors import InputError
from ._tiles import FileChunk, Grid, read_window
from .omniscape import TILE_SIZE, _grid, _params, run_tiled

__all__ = ["run_omniscape_files"]

#: Output file -> (index in the written tiles, band description, units).
_OUTPUTS = {
    "cum_currmap.tif": (0, "cumulative current", "amperes, summed over moving windows"),
    "flow_potential.tif": (1, "flow potential", "amperes on uniform resistance"),
    "normalized_cum_currmap.tif": (2, "normalized current", "cumulative / flow potential (unitless)"),
}


def _profile(path) -> dict:
    import rasterio

    try:
        with rasterio.open(path) as d:
            return {"shape": (d.height, d.width), "crs": d.crs, "transform": d.transform}
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{path}: not a readable raster ({exc})") from exc


def _check_tiles(path, grid: Grid) -> None:
    """The resistance read tile by tile: > 0 wherever it is not NoData, and not all NoData."""
    any_valid = False
    for i in range(grid.tiles[0]):
        for j in range(grid.tiles[1]):
            y0, y1, x0, x1 = grid.core(i, j)
            a = read_window(path, (y0, x0), (y1 - y0, x1 - x0))
            ok = np.isfinite(a)
            if (a[ok] <= 0).any():
                raise InputError(f"{path}: resistance must be > 0 on every cell that is not NoData "
                                 f"(a value <= 0 in rows {y0}-{y1 - 1}, columns {x0}-{x1 - 1})")
            any_valid = any_valid or bool(ok.any())
    if not any_valid:
        raise InputError(f"{path}: resistance must be > 0 on at least one cell; it is all NoData")


def run_omniscape_files(resistance, out_dir, *, source=None, tile_size: int = TILE_SIZE, workers: int | None = None,
                        scheduler: str | None = None, client=None, max_memory: int | None = None,
                        **options) -> list:
    """Run :func:`~ecomap.corridors.omniscape` on raster files and write the three GeoTIFFs tile by tile.

    Parameters
    ----------
    resistance : str or os.PathLike
        A single-band raster GDAL reads (GeoTIFF, ASCII grid) of resistance (cost units); its
        NoData value marks NoData cells.
    out_dir : str or os.PathLike
        Folder for ``cum_currmap.tif``, ``flow_potential.tif`` and ``normalized_cum_currmap.tif``
        (float32, NoData NaN, the resistance's CRS and transform, tiled and deflated), each
        written atomically.
    source : str or os.PathLike, optional
        A raster of source strength on the same grid (relative, unitless). Default: from the
        resistance.
    tile_size : int, default 256
        Side of a tile in cells (a task; also the GeoTIFF block when a multiple of 16).
    workers, scheduler, client, max_memory
        Where the tiles run and the memory bound, as for :func:`~ecomap.corridors.omniscape`.
    **options
        The other options of :func:`~ecomap.corridors.omniscape` (``radius`` in cells is
        required; not ``conditions``).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        An unreadable raster, a source on another grid, a resistance <= 0, or any refusal of
        :func:`~ecomap.corridors.omniscape` (options, memory, executor).
    """
    from ..io import atomic_write

    prof = _profile(resistance)
    shape = prof["shape"]
    if source is not None and _profile(source)["shape"] != shape:
        s = _profile(source)["shape"]
        raise InputError(f"{source}: source strength is {s[0]} x {s[1]} cells, resistance {shape[0]} x {shape[1]}: "
                         "they must be on one grid")
    _check_options(options)
    params = _params(shape, **options)
    grid = _grid(shape, tile_size, params.setup)
    _check_tiles(resistance, grid)
    names = [n for n, (k, _, _) in _OUTPUTS.items() if k == 0 or params.flow_potential]
    paths = [Path(out_dir) / n for n in names]
    # absolute paths: a worker process need not share the client's working folder
    r_path, s_path = str(Path(resistance).resolve()), None if source is None else str(Path(source).resolve())

    def chunk_of(e):
        return FileChunk((e[0], e[2]), (e[1] - e[0], e[3] - e[2]), r_path, s_path)

    with _remove_if_refused(Path(out_dir)), contextlib.ExitStack() as stack:
        dsts = [_open(stack.enter_context(atomic_write(p)), stack, prof, grid) for p in paths]

        def write(core, *tiles):
            from rasterio.windows import Window

            win = Window(core[2], core[0], core[3] - core[2], core[1] - core[0])
            for name, dst in zip(names, dsts, strict=True):
                dst.write(tiles[_OUTPUTS[name][0]].astype("float32"), 1, window=win)

        n = run_tiled(grid, chunk_of, params, write, workers=workers, scheduler=scheduler, client=client,
                      max_memory=max_memory)
        tags = {k: str(v) for k, v in options.items() if isinstance(v, (int, float, str))}
        for name, dst in zip(names, dsts, strict=True):
            dst.set_band_description(1, _OUTPUTS[name][1])
            tags.update(units=_OUTPUTS[name][2], n_targets=str(n), block_size=str(params.setup.block_size),
                        tile_size=str(grid.size))
            dst.update_tags(**tags)
    return paths


@contextlib.contextmanager
def _remove_if_refused(out: Path):
    """On an error, remove the folders this run made for ``out`` (only those, and only if empty)."""
    made = []
    folder = out.absolute()
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    try:
        yield
    except BaseException:
        for folder in made:  # innermost first
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _check_options(options: dict) -> None:
    if "radius" not in options:
        raise InputError("omniscape needs a radius (cells)")
    if "conditions" in options or "source_strength" in options:
        raise InputError("run_omniscape_files takes a source file (source=), not arrays; "
                         "use omniscape() for conditions")
    r, b = int(options["radius"]), int(options.get("block_size", 1))
    if r < 1 or b < 1 or int(options.get("buffer", 0)) < 0:
        raise InputError("radius and block_size must be >= 1 cell, buffer >= 0 cells")
    from ._common import check_neighbours

    check_neighbours(options.get("neighbours", 8))


def _open(tmp, stack, prof: dict, grid: Grid):
    import rasterio

    block = grid.size if grid.size % 16 == 0 else 256
    return stack.enter_context(rasterio.open(
        tmp, "w", driver="GTiff", height=prof["shape"][0], width=prof["shape"][1], count=1, dtype="float32",
        crs=prof["crs"], transform=prof["transform"], nodata=np.nan, compress="deflate", tiled=True,
        blockxsize=block, blockysize=block))
