"""Reading any OGR-readable file (Shapefile, GeoPackage, GeoJSON, ...) into WGS-84.

The read step of both :func:`~ecomap.importers.read_gis_file` and
:func:`~ecomap.importers.read_boundary`: one place for the file's driver options and its CRS.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..io import _geometry_2d
from ..spreadsheet import ENCODING_HINT, detect_encoding, normalise_encoding
from ._common import _first_line, _missing
from ._kml import check_kml_numbers

log = logging.getLogger(__package__)


#: GPX layers that repeat the vertices of routes and tracks: read only when named.
_VERTEX_LAYERS = {"route_points", "track_points"}
_NAMED_DRIVERS = {"KML", "LIBKML", "GPX"}


def _dbf_text(dbf: Path) -> bytes:
    """The bytes of a DBF's character fields (trailing blanks cut), one value a line."""
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return b""
    n = int.from_bytes(raw[4:8], "little")
    hlen = int.from_bytes(raw[8:10], "little")
    rlen = int.from_bytes(raw[10:12], "little")
    fields, pos, off = [], 32, 1
    while pos + 32 <= min(hlen, len(raw)) and raw[pos] != 0x0D:
        ftype, flen = chr(raw[pos + 11]), raw[pos + 16]
        if ftype == "C":
            fields.append((off, flen))
        off += flen
        pos += 32
    out = []
    for r in range(n):
        rec = raw[hlen + r * rlen: hlen + (r + 1) * rlen]
        out += [rec[o:o + ln].rstrip(b" \x00") for o, ln in fields]
    return b"\n".join(v for v in out if v)


def _sidecar(path: Path, suffix: str) -> Path | None:
    """The sidecar file of a Shapefile (``.cpg``, ``.dbf``), any case of the suffix."""
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    return None


def _check_shapefile_parts(path: Path) -> None:
    """Refuse a ``.shp`` without its ``.shx`` (index); warn when its ``.dbf`` (attributes) is gone."""
    if path.suffix.lower() != ".shp":
        return
    together = "copy all its files together (.shp .shx .dbf .prj .cpg)"
    if _sidecar(path, ".shx") is None:
        raise InputError(f"{path}: the Shapefile's {path.stem}.shx is not beside it; {together}")
    if _sidecar(path, ".dbf") is None:
        log.warning("%s: no %s.dbf beside it, so no attributes; %s", path, path.stem, together)


def _shapefile_encoding(path: Path, encoding: str | None) -> tuple[str | None, str | None]:
    """The encoding to read a Shapefile's DBF with, and the note saying where it came from.

    ``--encoding`` wins; then a ``.cpg`` (GDAL honours it); otherwise the text of the DBF's
    character fields is detected (:func:`ecomap.spreadsheet.detect_encoding`).
    """
    if path.suffix.lower() not in {".shp", ".dbf"}:
        if encoding is not None:
            normalise_encoding(encoding)
            log.info("%s: --encoding applies to Shapefiles and CSV; ignored", path)
        return None, None
    if encoding is not None:
        codec = normalise_encoding(encoding)
        return codec, f"encoding {codec} (given)"
    cpg = _sidecar(path, ".cpg")
    if cpg is not None:
        return None, f"encoding {cpg.read_text(errors='replace').strip() or '?'} (from {cpg.name})"
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return None, None
    text = _dbf_text(dbf)
    codec, how = detect_encoding(text, file=dbf)
    if codec == "utf-8" and not any(b > 127 for b in text):
        return None, None  # plain ASCII: nothing to say
    return codec, f"encoding {codec} ({how}; no .cpg)"


def _layers(path: Path, source_layer: str | None, prefer: str | None = None) -> list[str]:
    """The layers to read: the one named, else the one called ``prefer``, else every layer.

    GPX vertex layers and tables without geometry (a GeoPackage's ``layer_styles``, which
    QGIS and ``ecomap export`` write) are left out unless named.
    """
    try:
        listed = [(str(n), g) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio's DataSourceError, ...
        raise InputError(f"{path}: not readable as a GIS file: {_first_line(exc)}") from None
    names = [n for n, _ in listed]
    if source_layer is not None:
        if source_layer not in names:
            raise InputError(f"{path}: --source-layer {source_layer!r} is not a layer of the file; "
                             f"its layers are: {', '.join(names) or '(none)'}")
        return [source_layer]
    if prefer is not None and len(names) > 1 and prefer in names:
        return [prefer]
    keep = [n for n, g in listed if n not in _VERTEX_LAYERS and (g is not None or len(listed) == 1)]
    return keep or names


def _read_one(path: Path, layer: str, encoding: str | None) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, UnicodeDecodeError ...
        hint = f"; {ENCODING_HINT}" if isinstance(exc, UnicodeError) else ""
        raise InputError(f"{path}: not readable as a GIS file: {_first_line(exc)}{hint}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError(f"{path}: has no geometry column; a table of points (Excel, WPS) goes in as CSV "
                         "with lon,lat (or 经度,纬度) columns")
    return gdf


def _names_as_ids(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """KML/GPX: an all-empty ``id`` (the placemark's XML id) is dropped; the name becomes the id."""
    if "id" in gdf.columns and all(_missing(v) for v in gdf["id"]):
        gdf = gdf.drop(columns="id")
    name = next((c for c in ("Name", "name") if c in gdf.columns), None)
    if "id" not in gdf.columns and name is not None and not any(_missing(v) for v in gdf[name]):
        gdf.insert(0, "id", [str(v).strip() for v in gdf[name]])
    return gdf


def _read_ogr(path: Path, source_layer: str | None, *, encoding: str | None = None,
              dimension: int | None = None, prefer: str | None = None) -> gpd.GeoDataFrame:
    """Read the features of ``path`` as stored: the layer named, or every layer with ``dimension``.

    Without ``source_layer`` a multi-layer file (KML folders, GPX, GeoPackage, FileGDB)
    gives the features of every layer whose geometry has ``dimension`` (0 points, 1 lines,
    2 polygons; ``None``: the first layer only). ``attrs["notes"]`` says which encoding
    and which layers were read, and whether the file had heights.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    check_kml_numbers(path)
    _check_shapefile_parts(path)
    codec, enc_note = _shapefile_encoding(path, encoding)
    names = _layers(path, source_layer, prefer)
    notes = [enc_note] if enc_note else []
    if prefer is not None and source_layer is None and names == [prefer] and _layer_count(path) > 1:
        notes.append(f"layer read: {prefer} (named as the ecomap layer; --source-layer picks another)")
    if dimension is None or len(names) == 1:
        names = names[:1] if source_layer is None else names
        frames = [(names[0] if names else None, _read_one(path, names[0] if names else None, codec))]
    else:
        frames = []
        for name in names:
            gdf = _read_one(path, name, codec)
            geoms = gdf.geometry.values
            keep = ~shapely.is_missing(geoms) & (shapely.get_dimensions(geoms) == dimension)
            if keep.any():
                frames.append((name, gdf[keep]))
        if not frames:
            raise InputError(f"{path}: no layer holds {_KIND[dimension]}; its layers are: {', '.join(names)}")
        notes.append("layers read: " + ", ".join(f"{n} ({len(g)})" for n, g in frames))
    driver = _driver(path)
    if driver == "GeoJSON":
        frames = [(n, _rebuild_null_positions(path, g)) for n, g in frames]
    parts = [_names_as_ids(g) if driver in _NAMED_DRIVERS else g for _, g in frames]
    crs = parts[0].crs
    gdf = parts[0] if len(parts) == 1 else gpd.GeoDataFrame(
        pd.concat([p.to_crs(crs) if p.crs is not None and crs is not None else p for p in parts],
                  ignore_index=True), geometry=parts[0].geometry.name, crs=crs)
    if len(gdf) and bool(shapely.has_z(gdf.geometry.values).any()):
        notes.append("3-D coordinates: heights dropped")
    gdf.attrs["notes"] = notes
    gdf.attrs["driver"] = driver
    return gdf


def _layer_count(path: Path) -> int:
    return len(pyogrio.list_layers(path))


def _rebuild_null_positions(path: Path, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoJSON positions GDAL cannot read (``[lon, lat, null]``) built from their first two numbers."""
    col = gdf.geometry.name
    missing = np.flatnonzero(shapely.is_missing(gdf[col].values))
    if len(missing) == 0:
        return gdf
    try:
        features = json.loads(path.read_text(encoding="utf-8-sig")).get("features", [])
    except (ValueError, OSError, AttributeError, RecursionError):
        return gdf
    if len(features) != len(gdf):
        return gdf
    vals = np.asarray(gdf[col].values, dtype=object)
    for i in missing:
        f = features[i]
        vals[i] = _geometry_2d(f.get("geometry")) if isinstance(f, dict) else None
    gdf = gdf.copy()
    gdf[col] = gpd.GeoSeries(vals, index=gdf.index, crs=gdf.crs)
    return gdf


_KIND = {0: "points", 1: "lines", 2: "polygons"}


def _driver(path: Path) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyogrio.read_info(path, layer=0).get("driver")
    except Exception:  # the file was read already; the driver only tunes the columns
        return None


def _to_2d_crs(crs) -> pyproj.CRS:
    """A 3-D CRS (EPSG:4979, a compound CRS) as its horizontal part; others unchanged."""
    c = pyproj.CRS(crs)
    if c.is_compound and c.sub_crs_list:
        return c.sub_crs_list[0]
    if len(c.axis_info) == 3:
        return c.to_2d()
    return c


def _glued_zone(gdf: gpd.GeoDataFrame) -> int | None:
    """The 3-degree zone number glued to 8-digit eastings (``38512345``), or None."""
    if not len(gdf):
        return None
    x0, _, x1, _ = gdf.total_bounds
    if not (25e6 <= x0 < 46e6 and 25e6 <= x1 < 46e6) or int(x0 // 1e6) != int(x1 // 1e6):
        return None
    return int(x0 // 1e6)


def _check_glued_zone(gdf: gpd.GeoDataFrame, path: Path, option: str = "--crs") -> None:
    """Refuse 8-digit eastings (zone number in front) unless the CRS is that zone's EPSG code."""
    zone = _glued_zone(gdf)
    if zone is None:
        return
    code = 4513 + zone - 25  # CGCS2000 / 3-degree Gauss-Kruger zone 25..45 = EPSG:4513..4533
    if gdf.crs is not None and pyproj.CRS(gdf.crs).to_epsg() == code:
        return
    said = f"the file says {pyproj.CRS(gdf.crs).name}" if gdf.crs is not None else "the file has no CRS"
    raise InputError(f"{path}: eastings like {gdf.total_bounds[0]:.0f} carry the zone number {zone} in front "
                     f"(CGCS2000 3-degree zone {zone}, EPSG:{code}) but {said}; give {option} EPSG:{code}")


def _check_degrees_in_metres(gdf: gpd.GeoDataFrame, path: Path, option: str = "--crs") -> None:
    """Refuse longitude/latitude numbers labelled with a projected CRS (metres).

    Every coordinate within 180 of the origin in a projected CRS is degrees written into
    a file whose CRS was set, not converted; read as metres they land near the equator.
    """
    if gdf.crs is None or not len(gdf) or not pyproj.CRS(gdf.crs).is_projected:
        return
    x0, y0, x1, y1 = gdf.total_bounds
    if not (np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90):
        return
    raise InputError(f"{path}: coordinates like {x0:.5f}, {y0:.5f} are longitude/latitude degrees but the "
                     f"file says {pyproj.CRS(gdf.crs).name} (metres); give {option} wgs84 (or gcj02, bd09)")


def _assign_crs(gdf: gpd.GeoDataFrame, crs: str | None, path: Path, option: str = "--crs") -> gpd.GeoDataFrame:
    """Return the frame in WGS-84, its CRS taken from the file or from ``crs``.

    ``option`` is the command-line option that gives ``crs``, for the messages.

    ``gcj02`` and ``bd09`` are explicit (longitude/latitude moved to WGS-84); a 3-D CRS
    (EPSG:4979) is read as its horizontal part; 8-digit eastings with the zone number in
    front are refused unless the CRS is that zone's, naming the EPSG code to give.
    """
    if gdf.crs is not None:
        flat = _to_2d_crs(gdf.crs)
        if flat != pyproj.CRS(gdf.crs):
            gdf = gdf.set_crs(flat, allow_override=True)
    if crs is not None:
        target = _crs.parse_crs(crs)
        if target in (_crs.GCJ02, _crs.BD09):
            if gdf.crs is not None and not pyproj.CRS(gdf.crs).is_geographic:
                raise InputError(f"{path}: {option} {target} needs longitude/latitude degrees, but the file "
                                 f"is in {pyproj.CRS(gdf.crs).name}")
            convert = _crs.from_gcj02 if target == _crs.GCJ02 else _crs.from_bd09
            return convert(gdf.set_crs(_crs.WGS84, allow_override=True))
        if gdf.crs is not None and pyproj.CRS(gdf.crs) != pyproj.CRS(target):
            log.warning("%s: the file says %s; using %s as given", path, gdf.crs, target)
        gdf = gdf.set_crs(target, allow_override=True)
    _check_glued_zone(gdf, path, option)
    _check_degrees_in_metres(gdf, path, option)
    if gdf.crs is None:
        raise InputError(f"{path}: the file has no CRS; give one with {option} (EPSG:4547, wgs84, gcj02, bd09)")
    return gdf.to_crs(_crs.WGS84)
