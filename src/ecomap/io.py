"""Reading and writing layers: GeoJSON in and out, atomic writes (:mod:`ecomap._atomic`), provenance."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import pyproj
import shapely
import shapely.geometry

from . import crs as _crs
from ._errors import DataError, Problem
from ._lazy import lazy_names
from .layers import CATALOGUE, spec

if TYPE_CHECKING:  # re-exported, imported on first use (:data:`_LAZY`)
    from ._atomic import (
        WriteError,
        atomic_folder,
        atomic_write,
        locked,
        output_folder,
        verify_written,
        write_bytes,
    )
    from ._atomic_set import atomic_file_set, recover_file_sets

__all__ = [
    "default_data_dir",
    "atomic_write",
    "atomic_folder",
    "atomic_file_set",
    "recover_file_sets",
    "locked",
    "write_bytes",
    "verify_written",
    "output_folder",
    "WriteError",
    "write_text",
    "write_json",
    "finite_json",
    "read_layer_file",
    "write_geojson",
    "to_wgs84_frame",
    "file_digest",
]

log = logging.getLogger(__name__)

#: The writing helpers re-exported here, imported on first use: reading a layer
#: (``ecomap query``) needs none of them.
_LAZY = {
    **dict.fromkeys(("WriteError", "atomic_folder", "atomic_write", "locked", "output_folder", "verify_written",
                     "write_bytes"), "_atomic"),
    **dict.fromkeys(("atomic_file_set", "recover_file_sets"), "_atomic_set"),
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)

_REPO_DATA = Path(__file__).resolve().parents[2] / "data" / "geo"
#: Where a wheel carries the bundled layers (copied there by setup.py's build hook).
_PACKAGED_DATA = Path(__file__).resolve().parent / "data" / "geo"


def default_data_dir() -> Path:
    """The bundled data folder: ``$ECOMAP_DATA``, else the repository's or the wheel's copy.

    Returns
    -------
    pathlib.Path
        ``$ECOMAP_DATA`` when set; else the source tree's ``data/geo`` when it exists
        (a checkout or an editable install); else the copy an installed wheel carries
        (``ecomap/data/geo``); else ``data/geo`` relative to the working directory.
        Not checked to exist.
    """
    env = os.environ.get("ECOMAP_DATA")
    if env:
        return Path(env)
    if _REPO_DATA.is_dir():
        return _REPO_DATA
    if _PACKAGED_DATA.is_dir():
        return _PACKAGED_DATA
    return Path("data/geo")


def write_text(path: str | os.PathLike, text: str, *, follow_symlinks: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The destination; its folder is created if missing.
    text : str
        The whole content.
    follow_symlinks : bool, default False
        When ``path`` is a symlink, replace the file it points to (the link is kept).

    Returns
    -------
    pathlib.Path
        ``path``.

    See Also
    --------
    atomic_write : How the file is replaced.

    Raises
    ------
    WriteError
        If the file cannot be written in full (disk full, read-only, permission);
        ``path`` is then unchanged.
    """
    from ._atomic import write_bytes

    return write_bytes(path, text.encode("utf-8"), follow_symlinks=follow_symlinks)


def write_json(path: str | os.PathLike, obj) -> Path:
    """Write ``obj`` as indented UTF-8 JSON atomically (numpy scalars become numbers).

    Parameters
    ----------
    path : str or os.PathLike
        The destination; its folder is created if missing.
    obj : object
        Anything :func:`json.dumps` writes, plus numpy integers, floats and booleans,
        and paths (as text). Non-ASCII text is kept as is, indented by 2, with a final
        newline. A NaN or infinite float (Python or numpy, at any depth) is written as
        ``null``: the file is always strict JSON (RFC 8259), never ``NaN``/``Infinity``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``obj`` holds a value that cannot be written as JSON.
    """
    text = json.dumps(finite_json(obj), ensure_ascii=False, indent=2, default=_json_default,
                      allow_nan=False)
    return write_text(path, text + "\n")


def finite_json(obj):
    """``obj`` with every NaN or infinite float replaced by ``None``, at any depth.

    Parameters
    ----------
    obj : object
        Nested dicts, lists and tuples of JSON values, numpy scalars included.

    Returns
    -------
    object
        The same structure (tuples become lists) with non-finite floats as ``None``,
        so that ``json.dumps(..., allow_nan=False)`` accepts it.
    """
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    return obj


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o) if np.isfinite(o) else None
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot write {type(o).__name__} as JSON")


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, for provenance records.

    Parameters
    ----------
    path : str or os.PathLike
        The file, read in 1 MiB blocks.

    Returns
    -------
    str
        The digest as 64 lowercase hexadecimal digits.

    References
    ----------
    .. [1] NIST FIPS 180-4, *Secure Hash Standard (SHS)* (2015).
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _geometry_from_wkb(wkb: np.ndarray, ids: list[str], file: str) -> tuple[np.ndarray, list[Problem]]:
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    problems = []
    broken = np.flatnonzero(shapely.is_missing(geoms) & pd.notna(pd.Series(wkb)).to_numpy())
    for i in broken:
        try:
            shapely.from_wkb(wkb[i])
            reason = "unreadable geometry"
        except shapely.errors.GEOSException as exc:
            reason = str(exc).split(":", 1)[-1].strip()
        problems.append(Problem(file, ids[i], f"invalid geometry: {reason}"))
    return geoms, problems


def read_layer_file(path: str | os.PathLike, name: str) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read one layer's GeoJSON file as it is (WGS-84, ``id`` a column), with its problems.

    File-level problems (unreadable, not GeoJSON, wrong or missing CRS) return ``None``
    and stop there; geometries that GEOS cannot build (an unclosed ring) are reported with
    GEOS's reason and kept as missing so the other rules still run.

    Parameters
    ----------
    path : str or os.PathLike
        A GeoJSON file in WGS-84 (EPSG:4326), read through GDAL (pyogrio).
    name : str
        The layer of :data:`~ecomap.layers.CATALOGUE` the file holds.

    Returns
    -------
    gdf : geopandas.GeoDataFrame or None
        Every feature with its properties as in the file (``id`` a column, text with
        ``None`` for null) and its geometry in EPSG:4326; ``attrs["broken_geometry"]``
        is the set of feature labels whose geometry could not be built and
        ``attrs["sha256"]`` the SHA-256 of the bytes parsed (the file is read once, so
        the digest is of exactly the data returned). None after a file-level problem.
    problems : list of Problem
        The file-level problem, or the unbuildable and empty (``"coordinates": []``)
        geometries. The catalogue's rules are not checked here
        (:func:`~ecomap.layers.check_layer`).

    Raises
    ------
    KeyError
        If ``name`` is not a layer of the catalogue.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016).
    """
    path = Path(path)
    file = str(path)
    spec(name)
    try:
        data = path.read_bytes()  # read once: parsed and hashed from the same bytes
    except OSError as exc:
        return None, [Problem(file, None, f"not readable as GeoJSON: {_first_line(exc)}")]
    if not data.strip():
        return None, [Problem(file, None, f"empty file ({len(data)} bytes): a layer is a GeoJSON FeatureCollection")]
    read = _parse_once(data) if _plainly_geojson(data) else None
    if read is None:  # anything else: GDAL names the driver first, then reads
        read = _parse_checked(data, file)
        if isinstance(read, Problem):
            return None, [read]
    meta, wkb, fields = read
    crs = meta.get("crs")
    if crs is None:
        return None, [Problem(file, None, "missing CRS: layers must be WGS-84 (EPSG:4326) GeoJSON")]
    if not _is_wgs84(crs):
        return None, [Problem(file, None, f"wrong CRS {crs}: layers must be WGS-84 (EPSG:4326) GeoJSON")]
    problems: list[Problem] = []
    columns = {str(n): np.asarray(v) for n, v in zip(meta["fields"], fields, strict=True)}
    frame = pd.DataFrame(columns)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), None)
    n = len(frame) if len(frame.columns) else (0 if wkb is None else len(wkb))
    if wkb is None:
        wkb = np.full(n, None, dtype=object)
    label = [
        str(v) if v is not None and str(v) != "" else f"#{i + 1}"
        for i, v in enumerate(frame["id"].tolist() if "id" in frame.columns else [None] * n)
    ]
    geoms, gproblems = _geometry_from_wkb(np.asarray(wkb, dtype=object), label, file)
    gproblems += _empty_read_as_null(data, wkb, label, file, geoms)
    problems += gproblems
    if bool(shapely.has_z(geoms).any()):  # RFC 7946 allows [lon, lat, alt]: heights are not used
        log.info("%s: 3-D coordinates; heights dropped", file)
        geoms = shapely.force_2d(geoms)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=_crs.WGS84), crs=_crs.WGS84)
    gdf.attrs["broken_geometry"] = {p.feature for p in gproblems}
    gdf.attrs["sha256"] = hashlib.sha256(data).hexdigest()
    return gdf, problems


# Members that make GDAL open a JSON object with another driver than GeoJSON (TopoJSON,
# ESRIJSON, JSON-FG) or as a sequence (GeoJSONSeq's record separator).
_OTHER_JSON = (b'"Topology"', b"esriGeometry", b'"geometryType"', b'"spatialReference"',
               b'"conformsTo"', b'"coordRefSys"', b'"place"', b'"featureType"', b"\x1e")
_FEATURE_COLLECTION = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"type"\s*:\s*"FeatureCollection"\s*,')


def _plainly_geojson(data: bytes) -> bool:
    """Whether ``data`` is a FeatureCollection that only GDAL's GeoJSON driver would open.

    A JSON object whose first member is ``"type": "FeatureCollection"`` and that holds
    none of the members other JSON drivers look for (:data:`_OTHER_JSON`) in its first
    64 KiB (GDAL picks a driver from the first few KiB). Anything else (CSV, a truncated
    file, TopoJSON, ...) takes the slower path that asks GDAL which driver reads it.
    """
    head = data[:65536]
    return _FEATURE_COLLECTION.match(head, 0, 4096) is not None and not any(m in head for m in _OTHER_JSON)


def _parse_once(data: bytes):
    """``(meta, wkb, fields)`` of a plain GeoJSON file, parsed once; None if GDAL fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, fields = pyogrio.raw.read(data)
    except Exception:  # noqa: BLE001 - the checked path below reports it
        return None
    return meta, wkb, fields


def _parse_checked(data: bytes, file: str):
    """``(meta, wkb, fields)`` after GDAL names the driver, or the file-level Problem."""
    try:
        info = pyogrio.read_info(data)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        return Problem(file, None, f"not readable as GeoJSON: {_first_line(exc)}")
    if info.get("driver") != "GeoJSON":
        return Problem(file, None, f"not GeoJSON (read as {info.get('driver')})")
    if info.get("crs") is None or not _is_wgs84(info["crs"]):
        return {"crs": info.get("crs")}, None, []  # refused on its CRS before the features are read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        meta, _fids, wkb, fields = pyogrio.raw.read(data)
    return meta, wkb, fields


def _is_wgs84(crs) -> bool:
    """WGS-84 longitude/latitude, 2-D (EPSG:4326) or with heights (EPSG:4979, RFC 7946)."""
    if crs == "EPSG:4326":
        return True
    c = pyproj.CRS.from_user_input(crs)
    if len(c.axis_info) == 3 and c.is_geographic:
        c = c.to_2d()
    return c == pyproj.CRS.from_user_input(_crs.WGS84)


def _positions_2d(coords):
    """GeoJSON coordinates with every position cut to ``[lon, lat]`` (heights, null, time dropped).

    Parameters
    ----------
    coords : list
        The ``coordinates`` member of a GeoJSON geometry, any depth.

    Returns
    -------
    list
        The same nesting, each position its first two numbers.
    """
    if isinstance(coords, list) and coords and not isinstance(coords[0], list):
        return coords[:2]
    return [_positions_2d(c) for c in coords] if isinstance(coords, list) else coords


def _geometry_2d(geom: dict | None):
    """A GeoJSON geometry as a 2-D shapely geometry (``None`` when it cannot be built)."""
    if not isinstance(geom, dict):
        return None
    try:
        if geom.get("type") == "GeometryCollection":
            return shapely.GeometryCollection([g for g in map(_geometry_2d, geom.get("geometries", [])) if g])
        return shapely.geometry.shape({"type": geom.get("type"), "coordinates": _positions_2d(geom.get("coordinates"))})
    except (TypeError, ValueError, KeyError, AttributeError, shapely.errors.GEOSException):
        return None


def _empty_read_as_null(data: bytes, wkb, label: list[str], file: str,
                        geoms: np.ndarray | None = None) -> list[Problem]:
    """GDAL reads a geometry with no coordinates (``"coordinates": []``) as null; tell them apart.

    Only when some geometry came back null is the file parsed again as plain JSON. A
    position GDAL cannot read (``[lon, lat, null]`` from a phone) is built again from its
    first two numbers into ``geoms``.
    """
    nulls = [i for i, g in enumerate(wkb) if g is None]
    if not nulls:
        return []
    try:
        features = json.loads(data.decode("utf-8")).get("features", [])
    except (ValueError, AttributeError, RecursionError):
        return []
    if len(features) != len(wkb):
        return []
    problems = []
    for i in nulls:
        if not isinstance(features[i], dict) or features[i].get("geometry") is None:
            continue
        g = _geometry_2d(features[i]["geometry"])
        if g is not None and not g.is_empty and geoms is not None:
            geoms[i] = g
        else:
            problems.append(Problem(file, label[i], "empty geometry"))
    return problems


_GDAL_HINT = re.compile(r"\.?;? ?It might help to specify the correct driver.*$")
_VSIMEM = re.compile(r"'?/vsimem/[^' ]*'? ?")


def _first_line(exc: BaseException) -> str:
    """An error's first line, without GDAL's in-memory file names and driver-prefix hint."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    line = _GDAL_HINT.sub("", text.splitlines()[0])
    return _VSIMEM.sub("", line).strip() or type(exc).__name__


def to_wgs84_frame(gdf: gpd.GeoDataFrame, *, precision: int | None = 7) -> gpd.GeoDataFrame:
    """An internal layer (index ``id``, any CRS) as a WGS-84 frame with ``id`` first.

    Coordinates are rounded to ``precision`` decimals (7 decimals is ~1 cm).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer as the Network holds it (EPSG:4547, index ``id``), or any frame; without
        a CRS it is taken as WGS-84.
    precision : int or None, default 7
        Decimals of a degree kept (``shapely.set_precision``, vertex by vertex); None
        keeps every digit.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, ``id`` the first column (from the index when it is named ``id``),
        the geometry last, other columns in their order.
    """
    out = gdf.to_crs(_crs.WGS84) if gdf.crs is not None else gdf.set_crs(_crs.WGS84)
    if out.index.name == "id" and "id" not in out.columns:
        out = out.reset_index()
    if precision is not None and len(out):
        out = out.set_geometry(shapely.set_precision(out.geometry.values, 10.0 ** -precision, mode="pointwise"))
    cols = ["id", *[c for c in out.columns if c not in {"id", out.geometry.name}], out.geometry.name]
    return out[[c for c in cols if c in out.columns]]


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, precision: int = 7) -> Path:
    """Write a layer as RFC 7946 GeoJSON (WGS-84 lon/lat, right-hand rings), atomically.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer or result in any CRS (taken as WGS-84 without one); an index named
        ``id`` becomes the first property.
    path : str or os.PathLike
        The destination ``.geojson`` file; its folder is created if missing.
    precision : int, default 7
        Decimals of a degree written (GDAL's ``COORDINATE_PRECISION``; 7 is ~1 cm).

    Returns
    -------
    pathlib.Path
        ``path``.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016): WGS-84 longitude,
       latitude (section 4) and counter-clockwise exterior rings (section 3.1.6), as
       GDAL's GeoJSON driver writes with ``RFC7946=YES``.
    """
    out = to_wgs84_frame(gdf, precision=None)
    path = Path(path)
    from ._atomic import atomic_write

    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(
            out, tmp, driver="GeoJSON",
            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(precision), "WRITE_NAME": "NO"},
        )
    return path


def layer_path(data_dir: str | os.PathLike, name: str) -> Path:
    """Where a layer lives in a data folder.

    Parameters
    ----------
    data_dir : str or os.PathLike
        The data folder.
    name : str
        A layer of the catalogue.

    Returns
    -------
    pathlib.Path
        ``data_dir / "<name>.geojson"`` (not checked to exist).

    Raises
    ------
    KeyError
        If ``name`` is not a layer of the catalogue.
    """
    return Path(data_dir) / CATALOGUE[name].filename


def raise_if(problems: list[Problem]) -> None:
    """Raise DataError carrying every problem, if there are any.

    Parameters
    ----------
    problems : list of Problem
        The problems found; an empty list does nothing.

    Raises
    ------
    DataError
        If ``problems`` is not empty, listing them all.
    """
    if problems:
        raise DataError(problems)
