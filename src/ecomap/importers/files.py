"""Foreign GIS files (Shapefile, GeoPackage, GeoJSON, ...) into one ecomap layer.

:func:`read_gis_file` reads any OGR-readable file into one layer in named steps: read
(``_ogr``) → map columns (:func:`parse_mapping`, ``_map_columns``) → fill defaults →
CRS to WGS-84 → tidy values → check against the catalogue → coerce columns
(:func:`ecomap.layers.coerce_columns`) → EPSG:4547. :func:`import_file` then checks the
extent against the folder's boundary and writes the layer with its ``sources.json`` entry.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import DataError, InputError, Problem
from ..io import layer_path, write_geojson
from ..layers import CONFIDENCE, LayerSpec, check_extent, check_layer, coerce_columns, spec
from ..network import EXTENT_MARGIN_DEG
from ._common import _as_text, _first_line, _missing, _now
from ._csv import _read_csv_points
from ._datum import check_stated_datum
from ._folder import ImportResult, _write_sources
from ._geometry import _keep_dimension
from ._ogr import _assign_crs, _read_ogr

__all__ = ["parse_mapping", "read_gis_file", "import_file"]

log = logging.getLogger(__package__)


def parse_mapping(text: str | Mapping[str, str] | None, *, option: str = "--map") -> dict[str, str]:
    """Column renames ``"old=new,old2=new2"`` as a dict.

    Parameters
    ----------
    text : str or mapping of str to str or None
        The ``--map`` text; a mapping is returned as a plain dict of str, ``None`` as ``{}``.
        Blank items between commas are skipped.
    option : str, default ``"--map"``
        The option named in errors (``--set`` parses the same way).

    Returns
    -------
    dict of str to str
        ``{old: new}`` in the order given.

    Raises
    ------
    InputError
        If an item is not ``old=new`` (a side empty, or a second ``=``) or a column is
        mapped twice.
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "=" in new:
            raise InputError(f"{option} {item!r}: expected old=new")
        if old in out:
            raise InputError(f"{option}: column {old!r} is given twice")
        out[old] = new
    return out


def read_gis_file(
    layer: str,
    path: str | os.PathLike,
    *,
    crs: str | None = None,
    mapping: Mapping[str, str] | str | None = None,
    source_layer: str | None = None,
    source: str | None = None,
    confidence: str = "digitized",
    encoding: str | None = None,
    make_valid: bool = False,
    clip: shapely.Geometry | None = None,
    set_values: Mapping[str, str] | str | None = None,
) -> gpd.GeoDataFrame:
    """Read an OGR-readable file as one ecomap layer, checked against the catalogue.

    Parameters
    ----------
    layer : str
        The ecomap layer (``corridors``, ``patches``, ``bridges``, ...).
    path : str or os.PathLike
        Shapefile, GeoPackage, GeoJSON or any other file GDAL reads.
    crs : str, optional
        The file's CRS when it has none or a wrong one: ``EPSG:nnnn``, ``wgs84`` or ``gcj02``
        (longitude/latitude in GCJ-02, converted to WGS-84). Default: the file's own.
    mapping : mapping of str to str or str, optional
        ``{old: new}`` column renames (or ``"old=new,..."``); every ``old`` must be a column
        of the file, every ``new`` a column of the layer or ``id``. Columns that are not in
        the layer after renaming are dropped.
    source_layer : str, optional
        The layer inside a multi-layer file to read. Default: the one named as ``layer``
        (an ``ecomap export`` GeoPackage), else every layer holding the layer's geometry
        (KML folders, GPX waypoints or routes and tracks, GeoPackage and FileGDB layers;
        tables without geometry left out); ``attrs["notes"]`` says which and how many
        features each gave.
    source : str, optional
        Filled in where the file has no ``source`` column; default ``file:<name>``.
    confidence : str, default ``"digitized"``
        Filled in where the file has no ``confidence`` column; one of
        :data:`ecomap.layers.CONFIDENCE`.
    encoding : str, optional
        The text encoding of a Shapefile's DBF (``gbk``, ``big5``, ``utf-8`` ...). Default:
        its ``.cpg``, else detected from the text (:func:`ecomap.spreadsheet.detect_encoding`).
    make_valid : bool, default False
        Repair invalid geometries (``shapely.make_valid``, parts of the layer's dimension
        kept) instead of refusing them; the repaired ids are in ``attrs["notes"]``.
    clip : shapely.Geometry, optional
        A WGS-84 polygon (the study area): features are cut to it, those outside dropped.
    set_values : mapping of str to str or str, optional
        Constant columns ``{column: value}`` (or ``"adcode=440310,kind=hiking"``), set on
        every feature after the renames.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4547 (metres), indexed by ``id``, with every column of the layer (numeric
        ones ``float64``, as :func:`ecomap.layers.coerce_columns` makes them). Without an
        ``id`` column, ids are the KML/GPX names, else ``<layer>-<row>``; a column the layer
        requires but allows empty (``from_id``) is added empty. ``attrs["notes"]`` lists
        what the reader decided: the encoding, the layers read, heights dropped, the
        features repaired or clipped.

    Raises
    ------
    InputError
        The layer is unknown, ``confidence`` not allowed, the file missing, unreadable,
        empty or without a CRS (and no ``crs``), or ``mapping`` names a column the file or
        the layer lacks, or makes two columns of one name.
    DataError
        Listing every problem (``FILE: feature ID: rule``), as ``ecomap validate`` does.
    """
    try:
        s = spec(layer)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    path = Path(path)
    mapping = parse_mapping(mapping)
    if confidence not in CONFIDENCE:
        raise InputError(f"--confidence {confidence!r} is not one of {', '.join(CONFIDENCE)}")
    constants = parse_mapping(set_values, option="--set")
    gdf = _read_features(path, source_layer, encoding, s)
    check_stated_datum(path, gdf, crs)
    notes = list(gdf.attrs.get("notes", []))
    lines = gdf.attrs.get("lines")
    gdf = _map_columns(gdf, mapping, s, path, notes)
    lines = lines if "id" not in gdf.columns else None  # CSV rows that get ids <layer>-<n>
    gdf = _set_constants(gdf, constants, s)
    gdf = _fill_defaults(gdf, s, source=source or f"file:{path.name}", confidence=confidence)
    gdf = _to_wgs84_2d(gdf, crs, path)
    _check_degrees(gdf, path)
    if make_valid:
        gdf = _repair(gdf, s, notes)
    if clip is not None:
        gdf = _clip(gdf, clip, s, path, notes)
    gdf = _tidy_values(gdf, s)
    problems = check_layer(gdf, layer, file=str(path))
    if problems:
        raise DataError(_with_lines(problems, lines, s.name))
    out = coerce_columns(gdf, layer)
    out["id"] = out["id"].astype(str)
    out = out.set_index("id").to_crs(_crs.INTERNAL)
    out.attrs["notes"] = notes
    return out


_DIMENSION = {"point": 0, "line": 1, "polygon": 2}


def _read_features(path: Path, source_layer: str | None, encoding: str | None, s: LayerSpec) -> gpd.GeoDataFrame:
    """Read step: the file's features as stored; a file without features is refused."""
    if path.suffix.lower() in {".csv", ".txt"}:
        gdf = _read_csv_points(path, encoding)
    else:
        gdf = _read_ogr(path, source_layer, encoding=encoding, dimension=_DIMENSION[s.kind], prefer=s.name)
    if gdf.empty:
        raise InputError(f"{path}: holds no features")
    return gdf


def _set_constants(gdf: gpd.GeoDataFrame, constants: dict[str, str], s: LayerSpec) -> gpd.GeoDataFrame:
    """``--set column=value``: a constant column of the layer on every feature."""
    bad = [c for c in constants if c not in {"id", *s.column_names}]
    if bad:
        raise InputError(f"--set: {', '.join(map(repr, bad))} is not a column of layer {s.name!r}; "
                         f"its columns are: {', '.join(s.column_names)}")
    for c, v in constants.items():
        gdf[c] = v
    return gdf


def _repair(gdf: gpd.GeoDataFrame, s: LayerSpec, notes: list[str]) -> gpd.GeoDataFrame:
    """``--make-valid``: invalid geometries made valid, parts of the layer's dimension kept."""
    geoms = gdf.geometry.values
    bad = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_valid(geoms))
    if len(bad) == 0 or s.kind == "point":
        return gdf
    fixed = _keep_dimension(shapely.make_valid(np.asarray(geoms[bad], dtype=object)), _DIMENSION[s.kind])
    gdf = gdf.copy()
    col = gdf.geometry.name
    vals = np.asarray(gdf[col].values, dtype=object)
    vals[bad] = fixed
    gdf[col] = gpd.GeoSeries(vals, index=gdf.index, crs=gdf.crs)
    ids = [str(v) for v in gdf["id"].to_numpy()[bad]]
    notes.append(f"repaired {len(bad)} invalid geometr{'y' if len(bad) == 1 else 'ies'}: "
                 + ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""))
    return gdf


def _clip(gdf: gpd.GeoDataFrame, area: shapely.Geometry, s: LayerSpec, path: Path,
          notes: list[str]) -> gpd.GeoDataFrame:
    """``--clip``: features cut to the study area (WGS-84); those outside it dropped."""
    geoms = shapely.intersection(gdf.geometry.values, area)
    geoms = _keep_dimension(np.asarray(geoms, dtype=object), _DIMENSION[s.kind]) if s.kind != "point" \
        else np.where(shapely.is_empty(geoms), None, geoms)
    keep = ~shapely.is_missing(geoms)
    n = len(gdf)
    gdf = gdf.copy()
    gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    gdf = gdf[keep]
    if gdf.empty:
        raise InputError(f"{path}: no feature lies inside the study area (--clip)")
    notes.append(f"clipped to the study area: {len(gdf)} of {n} features kept")
    return gdf


def _map_columns(gdf: gpd.GeoDataFrame, mapping: dict[str, str], s: LayerSpec, path: Path,
                 notes: list[str]) -> gpd.GeoDataFrame:
    """Map step: rename by ``mapping`` (checked), then by case (``KIND`` -> ``kind``), drop the rest."""
    geom_name = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geom_name]
    unknown = [old for old in mapping if old not in columns]
    if unknown:
        raise InputError(f"{path}: --map names no column {', '.join(map(repr, unknown))}; "
                         f"the file's columns are: {', '.join(columns) or '(none)'}")
    allowed = {"id", *s.column_names}
    bad = [new for new in mapping.values() if new not in allowed]
    if bad:
        raise InputError(f"--map: {', '.join(map(repr, bad))} is not a column of layer {s.name!r}; "
                         f"its columns are: id, {', '.join(s.column_names)}")
    targets = list(mapping.values())
    if len(set(targets)) != len(targets):
        raise InputError("--map: two columns are mapped to the same name")
    gdf = gdf.rename(columns=mapping)
    clash = [c for c in mapping.values() if list(gdf.columns).count(c) > 1]
    if clash:
        raise InputError(f"{path}: --map makes a second column named {clash[0]!r}; map the old one away too")
    gdf = _match_case(gdf, allowed, geom_name, notes)
    dropped = [c for c in gdf.columns if c != geom_name and c not in allowed]
    if dropped:
        log.info("%s: columns not in layer %s dropped: %s", path, s.name, ", ".join(dropped))
    said = [c for c in dropped if c not in _FORMAT_FIELDS]
    if said:
        notes.append(f"columns left out (layer {s.name} has no such column; --map OLD=NEW keeps one): "
                     + ", ".join(map(str, said)))
    return gdf[[c for c in gdf.columns if c in allowed] + [geom_name]]


#: Fields GDAL's KML and GPX drivers add to every feature: not the user's columns.
_FORMAT_FIELDS = frozenset(
    "Name description timestamp begin end altitudeMode tessellate extrude visibility drawOrder icon "
    "name ele time magvar geoidheight cmt desc src link1_href link1_text link1_type link2_href "
    "link2_text link2_type sym type fix sat hdop vdop pdop ageofdgpsdata dgpsid number "
    "track_fid track_seg_id track_seg_point_id route_fid route_point_id".split())


def _match_case(gdf: gpd.GeoDataFrame, allowed: set[str], geom_name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """A column that is a layer column but for its case (a Shapefile's ``KIND``) takes its name.

    Only where the layer column is not there already and one column alone matches it.
    """
    have = set(gdf.columns)
    by_lower: dict[str, list[str]] = {}
    for c in gdf.columns:
        if c != geom_name and c not in allowed and str(c).lower() in allowed:
            by_lower.setdefault(str(c).lower(), []).append(c)
    renames = {cols[0]: low for low, cols in by_lower.items() if len(cols) == 1 and low not in have}
    if renames:
        notes.append("columns matched ignoring case: " + ", ".join(f"{a} -> {b}" for a, b in renames.items()))
    return gdf.rename(columns=renames)


def _fill_defaults(gdf: gpd.GeoDataFrame, s: LayerSpec, *, source: str, confidence: str) -> gpd.GeoDataFrame:
    """Ids ``<layer>-<row>``, ``source`` and ``confidence`` where the file has none; empty columns."""
    if "id" not in gdf.columns:
        gdf.insert(0, "id", [f"{s.name}-{i + 1}" for i in range(len(gdf))])
    if "source" not in gdf.columns:
        gdf["source"] = source
    if "confidence" not in gdf.columns:
        gdf["confidence"] = confidence
    for c in s.columns:  # a column that may be empty is added empty (from_id, installed, ...)
        if c.required and c.nullable and c.name not in gdf.columns:
            gdf[c.name] = None
    return gdf


def _to_wgs84_2d(gdf: gpd.GeoDataFrame, crs: str | None, path: Path) -> gpd.GeoDataFrame:
    """Bring the frame to WGS-84 (see ``_ogr._assign_crs``), its geometry named ``geometry``, 2-D."""
    gdf = _assign_crs(gdf, crs, path)
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    gdf["geometry"] = gpd.GeoSeries(shapely.force_2d(gdf.geometry.values), index=gdf.index, crs=gdf.crs)
    return gdf


def _with_lines(problems: list[Problem], lines: list[int] | None, layer: str) -> list[Problem]:
    """CSV rows given ids ``<layer>-<n>``: each problem names the row's line too."""
    if not lines:
        return problems
    out = []
    for p in problems:
        m = re.fullmatch(rf"{re.escape(layer)}-(\d+)", p.feature or "")
        if m and 0 < int(m[1]) <= len(lines):
            p = Problem(p.file, f"{p.feature} (line {lines[int(m[1]) - 1]})", p.rule)
        out.append(p)
    return out


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse coordinates that are not longitude/latitude degrees once in WGS-84.

    A latitude beyond 90 (a KML ``lat,lon`` slip, a CRS that does not fit the numbers)
    would otherwise fail deep inside the writer; a feature that fits once x and y are
    exchanged is reported as swapped.
    """
    geoms = gdf.geometry.values
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = np.full((len(gdf), 4), np.nan)
    b[usable] = shapely.bounds(geoms[usable])
    ok = (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
    bad = np.flatnonzero(usable & ~ok)
    if not len(bad):
        return
    ids = gdf["id"].astype(str).tolist()
    problems = []
    for i in bad:
        x, y = b[i, 0], b[i, 1]
        if np.isfinite(b[i]).all() and -90 <= b[i, 0] and b[i, 2] <= 90 and -180 <= b[i, 1] and b[i, 3] <= 180:
            rule = f"coordinates {x:.7g}, {y:.7g} look swapped (lat, lon): longitude comes first"
        else:
            rule = (f"coordinates {x:.7g}, {y:.7g} lie outside longitude -180..180 / latitude -90..90 "
                    "(WGS-84, after the file's CRS; is --crs right?)")
        problems.append(Problem(str(path), ids[i], rule))
    raise DataError(problems)


_DATE_FORMS = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


def _iso_date(text: str) -> str:
    """``2024/5/3`` and ``2024.5.3`` (Excel, as ``bridges import`` takes them) as ``2024-05-03``."""
    m = _DATE_FORMS.match(text)
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else text


def _tidy_values(gdf: gpd.GeoDataFrame, s: LayerSpec) -> gpd.GeoDataFrame:
    """Text and date columns as text: dates ``YYYY-MM-DD``, whole floats without ``.0``, blanks None."""
    for c in ["id", *s.column_names]:
        if c not in gdf.columns:
            continue
        col = gdf[c]
        dtype = "str" if c == "id" else s.column(c).dtype
        if pd.api.types.is_datetime64_any_dtype(col):
            gdf[c] = col.dt.strftime("%Y-%m-%d").where(col.notna(), None)
        elif dtype in {"str", "date"}:
            gdf[c] = [None if _missing(v) else (v.isoformat() if isinstance(v, _dt.date) else _as_text(v))
                      for v in col]
            if dtype == "date":
                gdf[c] = [_iso_date(v) if isinstance(v, str) else v for v in gdf[c]]
    return gdf


def import_file(
    layer: str,
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    crs: str | None = None,
    mapping: Mapping[str, str] | str | None = None,
    source_layer: str | None = None,
    source: str | None = None,
    confidence: str = "digitized",
    overwrite: bool = False,
    encoding: str | None = None,
    make_valid: bool = False,
    clip: bool = False,
    set_values: Mapping[str, str] | str | None = None,
) -> ImportResult:
    """Import a GIS file as one layer of a data folder (created if needed).

    The file is read and checked with :func:`read_gis_file`; when the folder already has a
    boundary, features are also checked to lie within its extent (grown by
    :data:`ecomap.network.EXTENT_MARGIN_DEG`), as ``ecomap validate`` does. Nothing is
    written unless every check passes; the layer file is written atomically, and
    ``sources.json`` and the README are updated.

    Parameters
    ----------
    layer, path, crs, mapping, source_layer, source, confidence, encoding, make_valid, set_values
        As for :func:`read_gis_file`.
    out_dir : str or os.PathLike
        The data folder; created when missing.
    overwrite : bool, default False
        Replace the layer when the folder already has it.
    clip : bool, default False
        Cut the features to the folder's boundary (a city-wide file into a district
        folder); the folder must have a boundary.

    Returns
    -------
    ImportResult
        The folder, ``{layer: features}``, the files written (the layer,
        ``sources.json`` and the README) and the reader's notes (encoding, layers read,
        heights dropped, features repaired or clipped).

    Raises
    ------
    InputError
        As :func:`read_gis_file`; also when ``out_dir`` is a file or the layer exists and
        ``overwrite`` is not given.
    DataError
        The features fail the catalogue's checks or lie outside the folder's boundary.
    """
    path = Path(path)
    out_dir = Path(out_dir)
    try:
        spec(layer)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    target = _layer_target(out_dir, layer, overwrite=overwrite)
    area = _study_area(out_dir) if clip else None
    gdf = read_gis_file(layer, path, crs=crs, mapping=mapping, source_layer=source_layer,
                        source=source, confidence=confidence, encoding=encoding,
                        make_valid=make_valid, clip=area, set_values=set_values)
    _check_within_boundary(gdf, out_dir, layer, path)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [write_geojson(gdf, target)]
    files += _write_sources(out_dir, {layer: {
        "source": f"file {path.name}" + (f" (layer {source_layer})" if source_layer else ""),
        "licence": "", "features": len(gdf), "confidence": ", ".join(sorted(set(gdf["confidence"]))),
        "imported": _now(),
    }})
    return ImportResult(out_dir, {layer: len(gdf)}, tuple(files), tuple(gdf.attrs.get("notes", ())))


def _study_area(out_dir: Path) -> shapely.Geometry:
    """The folder's boundary (WGS-84) for ``--clip``; refused when the folder has none."""
    bpath = layer_path(out_dir, "boundary")
    if not bpath.exists():
        raise InputError(f"--clip: {out_dir} has no boundary layer to clip to; import one first "
                         "(ecomap import file boundary FILE --out DIR)")
    try:
        b = gpd.read_file(bpath).to_crs(_crs.WGS84)
    except Exception as exc:  # pyogrio errors: the boundary file is the user's
        raise InputError(f"{bpath}: not readable ({_first_line(exc)}); needed for --clip") from None
    return shapely.union_all(shapely.make_valid(b.geometry.values))


def _layer_target(out_dir: Path, layer: str, *, overwrite: bool) -> Path:
    """Return the layer's file in ``out_dir``; refused when it exists without ``overwrite``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    target = layer_path(out_dir, layer)
    if target.exists() and not overwrite:
        raise InputError(f"{target}: exists; use --overwrite to replace it")
    return target


def _check_within_boundary(gdf: gpd.GeoDataFrame, out_dir: Path, layer: str, path: Path) -> None:
    """Refuse features outside the folder's boundary (its bounds grown by the extent margin)."""
    bpath = layer_path(out_dir, "boundary")
    if layer == "boundary" or not bpath.exists() or not len(gdf):
        return
    try:
        bounds = gpd.read_file(bpath).total_bounds
    except Exception as exc:  # an unreadable boundary is reported, not fatal to the import
        log.warning("%s: not readable (%s); extent not checked", bpath, _first_line(exc))
        return
    m = EXTENT_MARGIN_DEG
    extent = (bounds[0] - m, bounds[1] - m, bounds[2] + m, bounds[3] + m)
    wgs = gdf.to_crs(_crs.WGS84).reset_index()
    problems = check_extent(wgs, extent, file=str(path))
    if problems:
        raise DataError(problems)
