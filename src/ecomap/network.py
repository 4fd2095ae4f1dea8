"""The Network: every layer of a data folder, checked and in EPSG:4547, plus the joins between them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _check_cache
from . import crs as _crs
from ._check_cache import EXTENT_LAYERS
from ._errors import DataError, InputError, Problem
from .io import default_data_dir, layer_path, read_layer_file
from .layers import (
    CATALOGUE,
    LAYER_NAMES,
    check_extent,
    check_layer,
    check_references,
    coerce_columns,
    empty_layer,
)
from .store._url import is_database_url

__all__ = [
    "Network",
    "load_network",
    "checked_with",
    "validate_data",
    "read_layers",
    "read_lonlat_layers",
    "layer_summary",
    "corridor_footprints",
    "corridor_widths_m",
    "EXTENT_MARGIN_DEG",
]

log = logging.getLogger(__name__)

#: How far (degrees) features may reach beyond the boundary and district layers' extent.
EXTENT_MARGIN_DEG = 0.1


class _Layers(Mapping):
    """Every layer of the catalogue, read-only; one left out is made empty when first asked for.

    Building an empty layer costs ~8 ms, so a Network of two layers (``ecomap query``) does not
    build the other ten unless something reads them.
    """

    def __init__(self, given: Mapping[str, gpd.GeoDataFrame]):
        self._given = {name: given[name] for name in LAYER_NAMES if name in given}

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in self._given:
            if name not in CATALOGUE:
                raise KeyError(name)
            self._given[name] = empty_layer(name)
        return self._given[name]

    def __iter__(self):
        return iter(LAYER_NAMES)

    def __len__(self) -> int:
        return len(LAYER_NAMES)


@dataclass(frozen=True)
class Network:
    """A frozen bundle of named layers, each a GeoDataFrame in EPSG:4547 indexed by ``id``.

    Every layer of the catalogue is present; a layer the data folder leaves out is empty
    with the right columns. Layers are reachable as ``network.corridors`` or
    ``network["corridors"]``.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name -> frame in EPSG:4547 (metres), indexed by ``id``; layers of the
        catalogue that are left out become :func:`~ecomap.layers.empty_layer`. Held as a
        read-only mapping.
    data_dir : pathlib.Path, optional
        The data folder the layers were read from.
    sources : mapping of str to pathlib.Path, optional
        Layer name -> the file it was read from (for provenance); empty for a database.
    source : str, optional
        Where the layers were read from, for messages: the data folder, or the database
        URL (password hidden) of a PostGIS source (whose ``data_dir`` is None).
    digests : mapping of str to str, optional
        Layer name -> digest of exactly what was read (for provenance): the SHA-256 of a
        file's bytes, or the MD5 of a table's rows (:func:`ecomap.store.tables.rows_md5`).

    Raises
    ------
    KeyError
        ``network[name]`` with a name that is not a layer (the message lists them);
        ``network.name`` raises AttributeError instead.

    See Also
    --------
    load_network : Read, check and reproject a data folder into a Network.
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    data_dir: Path | None = None
    sources: Mapping[str, Path] = field(default_factory=dict)
    source: str | None = None
    digests: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source is None and self.data_dir is not None:
            object.__setattr__(self, "source", str(self.data_dir))
        object.__setattr__(self, "layers", _Layers(self.layers))

    def __getattr__(self, name: str) -> gpd.GeoDataFrame:
        if name in CATALOGUE:
            return self.layers[name]
        raise AttributeError(name)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in CATALOGUE:
            raise KeyError(f"unknown layer {name!r}; layers are: {', '.join(LAYER_NAMES)}")
        return self.layers[name]

    @property
    def district(self) -> shapely.Geometry:
        """The district outline (union of the boundary layer), EPSG:4547."""
        return shapely.union_all(self.layers["boundary"].geometry.values)

    @property
    def crs(self) -> str:
        """The CRS every layer is in: ``"EPSG:4547"`` (:data:`ecomap.crs.INTERNAL`)."""
        return _crs.INTERNAL

    def replace(self, **layers: gpd.GeoDataFrame) -> Network:
        """A new Network with some layers swapped (for scenarios).

        Parameters
        ----------
        **layers : geopandas.GeoDataFrame
            Layer name -> its replacement, in EPSG:4547 and indexed by ``id``.

        Returns
        -------
        Network
            The same data folder and sources; other layers shared with this one.
        """
        merged = dict(self.layers)
        merged.update(layers)
        return Network(merged, self.data_dir, self.sources, self.source, self.digests)


def _study_extent(frames: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    bounds = [
        frames[n].total_bounds
        for n in ("boundary", "districts")
        if n in frames and len(frames[n]) and not frames[n].geometry.is_empty.all()
    ]
    if not bounds:
        return None
    b = np.vstack(bounds)
    m = EXTENT_MARGIN_DEG
    return (float(np.nanmin(b[:, 0]) - m), float(np.nanmin(b[:, 1]) - m),
            float(np.nanmax(b[:, 2]) + m), float(np.nanmax(b[:, 3]) + m))


def _read_folder(data_dir: Path, names: set[str], clean=None
                 ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, Path], list[Problem], set[str]]:
    """Read and check layers ``names`` of a folder; the last item names those not checked again.

    ``clean(name, gdf)`` says whether an earlier run found these very bytes clean
    (:func:`ecomap._check_cache.known_clean`); such a layer, read without a problem, is
    not checked again.
    """
    if not data_dir.is_dir():
        raise DataError(Problem(str(data_dir), None, f"a file, not a data folder (--data takes the folder: "
                                f"{data_dir.parent})" if data_dir.is_file() else "data folder does not exist"))
    frames: dict[str, gpd.GeoDataFrame] = {}
    paths: dict[str, Path] = {}
    problems: list[Problem] = []
    known: set[str] = set()
    for name in (n for n in LAYER_NAMES if n in names):
        path = layer_path(data_dir, name)
        if not path.exists():
            if name == "boundary":
                problems.append(Problem(str(path), None, "missing: every data folder needs a boundary layer"))
            continue
        gdf, read_problems = read_layer_file(path, name)
        problems += read_problems
        if gdf is None:
            continue
        if not read_problems and clean is not None and clean(name, gdf):
            known.add(name)
        else:
            broken = gdf.attrs.get("broken_geometry", set())
            problems += [
                p for p in check_layer(gdf, name, file=str(path))
                if not (p.feature in broken and p.rule == "missing geometry")
            ]
        frames[name] = gdf
        paths[name] = path
    found = {p.name for p in data_dir.glob("*.geojson")}
    filenames = [CATALOGUE[n].filename for n in LAYER_NAMES]
    for extra in sorted(found - set(filenames)):
        log.warning("%s: not a layer of the catalogue; ignored%s", data_dir / extra, _did_you_mean(extra, filenames))
    return frames, paths, problems, known


def _did_you_mean(filename: str, filenames: list[str]) -> str:
    """`` (did you mean bridges.geojson?)`` for a file named close to a layer's, else ``""``."""
    import difflib

    stems = {Path(f).stem: f for f in filenames}
    close = difflib.get_close_matches(Path(filename).stem.lower(), list(stems), n=1, cutoff=0.75)
    return f" (did you mean {stems[close[0]]}?)" if close else ""


def _read_database(url: str, names: set[str]) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str], list[Problem]]:
    from .store import database, read_layers

    db = database(url)
    frames = read_layers(db, layers=names)
    where = {name: db.table(name) for name in frames}
    problems = [] if "boundary" in frames else [
        Problem(db.table("boundary"), None, "missing: every data source needs a boundary layer")]
    for name, gdf in frames.items():
        problems += check_layer(gdf, name, file=where[name])
    return frames, where, problems


def checked_with(layers) -> set[str]:
    """The layers to read for ``layers`` and the rules that span layers.

    That is ``layers`` itself, ``boundary`` and ``districts`` (the study extent), and
    ``patches`` with ``corridors`` (the corridors' patch references).

    Parameters
    ----------
    layers : iterable of str or None
        Layers of the catalogue; None means every layer.

    Returns
    -------
    set of str
        The layers to read.

    Raises
    ------
    InputError
        If a name is not a layer of the catalogue.
    """
    if layers is None:
        return set(LAYER_NAMES)
    names = set(layers)
    unknown = sorted(names - set(LAYER_NAMES))
    if unknown:
        raise InputError(f"unknown layer {unknown[0]!r}; layers are: {', '.join(LAYER_NAMES)}")
    return names | {"boundary", "districts"} | ({"patches"} if "corridors" in names else set())


def _read_all(source: str | os.PathLike, layers=None, *, remembered: bool = False
              ) -> tuple[dict[str, gpd.GeoDataFrame], dict, list[Problem]]:
    """The layers of a folder or a database (WGS-84, ``id`` a column), where each came from, problems.

    With ``remembered``, a folder's layers are checked with :mod:`ecomap._check_cache`:
    ``boundary`` and ``districts`` are read for the study extent only when it does not
    remember the extent of these very files (unless ``layers`` names them, they are then
    left out of the frames), a layer it remembers as clean inside that extent is not
    checked again, and what this run found clean is remembered.
    """
    names = checked_with(layers)
    folder = None if is_database_url(source) else Path(source)
    remembered = remembered and folder is not None and layers is not None
    extent = None
    if remembered:
        extent = _check_cache.lookup_extent(folder)
        if extent is not None:
            names -= set(EXTENT_LAYERS) - set(layers)
    known: set[str] = set()
    if folder is None:
        frames, paths, problems = _read_database(str(source), names)
    else:
        clean = None if extent is None else partial(_known_clean, extent=extent)
        frames, paths, problems, known = _read_folder(folder, names, clean)
    if extent is None:
        extent = _study_extent(frames)
    if extent is not None:
        for name, gdf in frames.items():
            if name not in known:
                problems += check_extent(gdf, extent, file=str(paths[name]))
    if "corridors" in frames:
        patch_ids = frames["patches"]["id"].astype(str) if "patches" in frames and "id" in frames["patches"] else []
        problems += check_references(frames["corridors"], patch_ids, file=str(paths["corridors"]))
    if remembered and extent is not None:
        bad = {p.file for p in problems}
        found = [n for n in frames if n not in known and str(paths[n]) not in bad]
        _check_cache.remember(frames, extent, found)
    return frames, paths, problems


def _known_clean(name: str, gdf: gpd.GeoDataFrame, *, extent) -> bool:
    return _check_cache.known_clean(name, gdf.attrs.get("sha256"), extent)


def read_layers(data: str | os.PathLike | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of a data folder or database as stored (WGS-84, ``id`` a column), checked.

    The same reading and checks as :func:`load_network`, without reprojecting: what
    ``ecomap db load`` copies into a database, coordinates bit for bit.

    Parameters
    ----------
    data : str or os.PathLike, optional
        A data folder or a ``postgresql://`` URL (see :func:`load_network`).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> its features in EPSG:4326, ``id`` a column, values as stored; only
        the layers the source has.

    Raises
    ------
    DataError
        Listing every problem, as :func:`load_network`.
    """
    frames, _, problems = _read_all(_source(data))
    if problems:
        raise DataError(problems)
    return frames


def _source(data: str | os.PathLike | None) -> str | Path:
    if data is None:
        return default_data_dir()
    return str(data) if is_database_url(data) else Path(data)


def validate_data(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """Every problem in a data folder, in file order (an empty list means it is clean).

    Each layer file is read (:func:`ecomap.io.read_layer_file`) and checked against the
    catalogue (:func:`~ecomap.layers.check_layer`); then every feature against the study
    extent, the boundary and district layers' bounds widened by
    :data:`EXTENT_MARGIN_DEG` degrees (:func:`~ecomap.layers.check_extent`); then the
    corridors' patch references (:func:`~ecomap.layers.check_references`). A file that
    is not a layer of the catalogue is logged and ignored.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A folder of ``<layer>.geojson`` files (WGS-84), or a ``postgresql://`` URL
        (see :func:`load_network`). Defaults to the bundled data
        (:func:`ecomap.io.default_data_dir`).

    Returns
    -------
    list of Problem
        Every broken rule: reading and catalogue rules layer by layer in catalogue
        order, then the extent, then the references; a missing folder or ``boundary``
        layer is a problem too.

    See Also
    --------
    load_network : The same checks, raising :class:`~ecomap.DataError` when any fails.
    """
    _, _, problems = _read_all(_source(data_dir))
    return problems


def _indexed(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    out = coerce_columns(gdf, name)
    out["id"] = out["id"].astype(str)
    return out.set_index("id")


def _internal(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    return _crs.to_internal(_indexed(gdf, name))


def read_lonlat_layers(data_dir: str | os.PathLike | None, layers: Iterable[str]) -> dict[str, gpd.GeoDataFrame]:
    """Some layers of a data folder as a :class:`Network` holds them, but still in WGS-84.

    For a caller that reprojects only what it must (``ecomap query``): the same reading and
    checks as ``load_network(data_dir, layers=layers)``, the same columns and ``id`` index,
    the coordinates as read. On a folder, what earlier runs found for these very files
    is used and what this one finds is remembered (:mod:`ecomap._check_cache`): the study
    extent, and which layers broke no rule.

    Parameters
    ----------
    data_dir : str or os.PathLike or None
        A data folder (None: the bundled data) or a ``postgresql://`` URL.
    layers : iterable of str
        The layers wanted (names outside the catalogue are ignored).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> its features in EPSG:4326, indexed by ``id``, catalogue columns
        coerced; only the wanted layers the source has.

    Raises
    ------
    DataError
        Listing every problem of the layers read, as :func:`load_network`.
    """
    wanted = {n for n in layers if n in CATALOGUE}
    frames, _, problems = _read_all(_source(data_dir), wanted, remembered=True)
    if problems:
        raise DataError(problems)
    return {name: _indexed(gdf, name) for name, gdf in frames.items() if name in wanted}


def load_network(data_dir: str | os.PathLike | None = None, *, layers=None) -> Network:
    """Read, check and reproject every layer of a data folder into a :class:`Network`.

    Each file is read once and hashed from the bytes parsed, and a database's tables are
    read in one snapshot with the MD5 of their rows, so :attr:`Network.digests` describes
    exactly the data loaded.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A folder of ``<layer>.geojson`` files (WGS-84), or a PostGIS database as
        ``postgresql://user@host/db?schema=NAME`` (its tables made by ``ecomap db
        init``; see :mod:`ecomap.store`). Defaults to the bundled data. Any layer except
        ``boundary`` may be left out (a database table may be empty).
    layers : iterable of str, optional
        Read only these layers, and those the checks across layers need
        (:func:`checked_with`); no other file or table is read, and the other layers of
        the Network are empty. Default: every layer.

    Returns
    -------
    Network
        Every layer in EPSG:4547 (metres), indexed by ``id`` (as text), with the
        catalogue's columns (numbers as ``float64``, :func:`~ecomap.layers.coerce_columns`).

    Raises
    ------
    DataError
        Listing every problem found, one per line (``FILE: feature ID: rule``); the
        problems are those :func:`validate_data` returns.
    """
    source = _source(data_dir)
    frames, paths, problems = _read_all(source, layers)
    if problems:
        raise DataError(problems)
    digests = {name: gdf.attrs.get("sha256") or gdf.attrs.get("md5_rows") for name, gdf in frames.items()}
    internal = {name: _internal(gdf, name) for name, gdf in frames.items()}
    log.info("loaded %d layers from %s", len(internal), source)
    if isinstance(source, Path):
        return Network(internal, source, paths, digests=digests)
    from .store import database

    return Network(internal, None, {}, source=database(source).label, digests=digests)


def layer_summary(network: Network) -> pd.DataFrame:
    """One row per layer: feature count, geometry type, WGS-84 bbox, total length or area.

    Parameters
    ----------
    network : Network
        The layers to summarise.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``layer`` in catalogue order, with ``features`` (int), ``geometry``
        (the allowed types joined by ``/``), ``bbox_wgs84`` (``minlon,minlat,maxlon,maxlat``
        in degrees to 4 decimals, empty for an empty layer), ``total`` (float: area in
        km2 for polygons, length in km for lines, NaN for points) and ``unit``
        (``km2``, ``km`` or empty), measured in EPSG:4547.
    """
    rows = []
    for name, gdf in network.layers.items():
        spec = CATALOGUE[name]
        n = len(gdf)
        if n:
            lon0, lat0, lon1, lat1 = gdf.to_crs(_crs.WGS84).total_bounds
            bbox = f"{lon0:.4f},{lat0:.4f},{lon1:.4f},{lat1:.4f}"
        else:
            bbox = ""
        if spec.kind == "polygon":
            measure, unit = float(gdf.geometry.area.sum()) / 1e6, "km2"
        elif spec.kind == "line":
            measure, unit = float(gdf.geometry.length.sum()) / 1e3, "km"
        else:
            measure, unit = float("nan"), ""
        rows.append({
            "layer": name,
            "features": n,
            "geometry": "/".join(spec.geometry),
            "bbox_wgs84": bbox,
            "total": measure,
            "unit": unit,
        })
    return pd.DataFrame(rows).set_index("layer")


def corridor_footprints(corridors: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each corridor's footprint: the one rule, its centre line buffered by ``width_m / 2``.

    Joins, queries, the corridor model, the connectivity scenario and the atlas all take
    a corridor's area from here. The catalogue requires ``width_m`` (at least 1 m), so a
    corridor without a usable width is refused rather than given a made-up one.

    Parameters
    ----------
    corridors : geopandas.GeoDataFrame
        Centre lines in a metric CRS (EPSG:4547 inside ecomap), with a ``width_m`` column
        (metres), indexed by corridor id.

    Returns
    -------
    geopandas.GeoSeries
        One (Multi)Polygon per corridor (round ends), same index and CRS, named
        ``footprint``.

    Raises
    ------
    InputError
        If ``width_m`` is missing, not a number, or not positive for any corridor; the
        message names the corridors.
    """
    width = corridor_widths_m(corridors)
    geoms = shapely.buffer(corridors.geometry.values, width / 2.0)
    return gpd.GeoSeries(geoms, index=corridors.index, crs=corridors.crs, name="footprint")


def corridor_widths_m(corridors: gpd.GeoDataFrame) -> np.ndarray:
    """Each corridor's ``width_m`` as floats, checked: the width half of the footprint rule.

    Parameters
    ----------
    corridors : geopandas.GeoDataFrame
        Rows of the corridors layer.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Widths in metres, all finite and positive.

    Raises
    ------
    InputError
        If the column is missing (and there are corridors) or a width is missing, not a
        number or not positive; the message names up to ten corridors.
    """
    if "width_m" not in corridors.columns:
        if len(corridors) == 0:
            return np.zeros(0)
        raise InputError("corridors: no width_m column, so no footprint (the catalogue requires one)")
    width = pd.to_numeric(corridors["width_m"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(width) & (width > 0))
    if bad.any():
        ids = ", ".join(map(str, corridors.index[bad][:10]))
        more = " ..." if bad.sum() > 10 else ""
        raise InputError(f"corridors {ids}{more}: width_m must be a positive number of metres, "
                         "so the corridor has a footprint")
    return width
