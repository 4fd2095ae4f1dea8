"""Exporting layers and a whole network (with analysis results) into one folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd

from .. import crs as _crs
from .._errors import InputError
from ..io import output_folder
from ..layers import CATALOGUE
from .formats import FORMATS, _geographic, coordinates_label, resolve_format
from .gpkg import write_gpkg
from .prepare import prepare
from .writers import _WRITERS, _file_name

log = logging.getLogger("ecomap.export")


def export_layers(
    frames: Mapping[str, gpd.GeoDataFrame],
    out: str | os.PathLike,
    *,
    fmt: str | None = None,
    crs: str = _crs.WGS84,
    precision: int | None = None,
) -> list[Path]:
    """Write named layers (or results) in one format; returns the files written.

    Each file is written beside its destination and renamed into place
    (:func:`ecomap.io.atomic_write`). GeoJSON, GeoPackage, FlatGeobuf, GeoParquet and
    KML files name their layer and coordinates (``WGS-84``, ``GCJ-02`` or ``EPSG:nnnn``)
    in their own metadata, and a CSV not in WGS-84 has a ``coordinates`` column.
    Catalogue layers in a GeoPackage also get their catalogue style in the
    ``layer_styles`` table QGIS reads (QML and SLD, :func:`layer_style_qml`,
    :func:`layer_style_sld`). A Shapefile
    comes with ``<layer>.fields.csv``, the table of renamed columns
    (:func:`shapefile_fields`) and text values cut to 254 bytes.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Name -> GeoDataFrame (catalogue layers as the Network holds them, or results).
        Empty frames are skipped.
    out : str or os.PathLike
        A folder (one file per layer, named ``<layer>.<suffix>``, or
        ``<layer>_gcj02.<suffix>`` for GCJ-02) or, for ``gpkg`` or a single layer, a
        file with the format's suffix. A GeoPackage written to a folder is
        ``<folder>/ecomap.gpkg`` (``ecomap_gcj02.gpkg`` for GCJ-02).
    fmt : str, optional
        One of :data:`FORMATS`; default the format ``out``'s suffix names, else geojson
        (:func:`resolve_format`).
    crs : str, default "EPSG:4326"
        ``EPSG:4326`` (default), ``gcj02`` or any CRS pyproj knows; KML takes only
        longitude/latitude.
    precision : int, optional
        Decimals of the coordinates (default 7 for degrees, 3 for metres).

    Returns
    -------
    list of pathlib.Path
        Every file written: one per layer, one GeoPackage, or for a Shapefile each of
        its parts (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) and its
        ``.fields.csv``.

    Raises
    ------
    InputError
        An unknown format, an ``out`` with another format's suffix, a CRS the format
        cannot hold, CSV of lines or polygons,
        or a file name for several single-layer files; also an unknown CRS, or every
        frame empty.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016) (GeoJSON written by
       GDAL with ``RFC7946=YES`` for longitude/latitude).
    .. [2] OGC 12-128r19, *OGC GeoPackage Encoding Standard*, version 1.4.0 (2024): the
       version GDAL 3.12 writes (``PRAGMA user_version`` 10400).
    .. [3] *FlatGeobuf*, https://flatgeobuf.org (with its packed Hilbert R-tree index).
    .. [4] *GeoParquet*, version 1.1.0, https://geoparquet.org (WKB geometry and a
       ``bbox`` covering column).
    .. [5] ESRI, *ESRI Shapefile Technical Description* (July 1998).
    .. [6] OGC 07-147r2, *OGC KML*, version 2.2.0 (2008).
    .. [7] Y. Shafranovich, *Common Format and MIME Type for Comma-Separated Values
       (CSV) Files*, RFC 4180 (2005) (written as UTF-8 with a byte order mark).
    """
    fmt = resolve_format(out, fmt)
    f = FORMATS[fmt]
    code = _crs.parse_crs(crs)
    if f.geographic_only and not _geographic(code):
        raise InputError(f"{fmt}: KML is always longitude/latitude; use --crs EPSG:4326 or gcj02, not {crs}")
    todo = {n: g for n, g in frames.items() if len(g)}
    for n in frames:
        if n not in todo:
            log.info("%s: empty, not exported", n)
    if not todo:
        raise InputError(f"nothing to export: {', '.join(frames) or 'no layers'} "
                         f"{'is' if len(frames) == 1 else 'are'} empty")
    if f.points_only:
        bad = [n for n, g in todo.items() if not set(g.geom_type.dropna()) <= {"Point"}]
        if bad:
            raise InputError(f"CSV holds points only (lon/lat columns); {', '.join(bad)} "
                             f"{'is not a point layer' if len(bad) == 1 else 'are not point layers'}: "
                             "use geojson, gpkg or another format")
    prepared = {n: prepare(g, n, crs=code, precision=precision) for n, g in todo.items()}
    label = coordinates_label(code)
    out = Path(out)
    as_file = out.suffix.lower() == f.suffix
    if f.multi_layer:
        path = out if as_file else out / (f"ecomap_gcj02{f.suffix}" if label == "GCJ-02" else f"ecomap{f.suffix}")
        return write_gpkg(prepared, path)
    if as_file and len(prepared) > 1:
        raise InputError(f"{out}: {len(prepared)} layers make {len(prepared)} {fmt} files; give a folder as --out")
    if as_file:
        name, frame = next(iter(prepared.items()))
        return _WRITERS[fmt](frame, out, name)
    written: list[Path] = []
    with output_folder(out) as folder:  # the folder swapped in whole: old or new after a kill
        for name, frame in prepared.items():
            written += [out / p.name for p in _WRITERS[fmt](frame, folder / _file_name(name, f, label), name)]
    return written


def analysis_frames(network, **options) -> dict[str, gpd.GeoDataFrame]:
    """The connectivity analysis as layers: ``gaps`` and ``corridor_ranking``.

    ``gaps`` are the barrier crossings with no bridge site or tunnel nearby (points);
    ``corridor_ranking`` is every corridor's line with its rank, dPC, dIIC, gravity,
    bridge and gap counts.

    Parameters
    ----------
    network : Network
        The network to analyse.
    **options
        Go to :func:`ecomap.connectivity.analyse`.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``{"gaps": ..., "corridor_ranking": ...}``, in the network's CRS (EPSG:4547).
        The ranking is indexed by corridor ``id``, sorted by ``rank`` (stable), with
        the corridors' ``name_zh``/``name_en``; corridors without a geometry are left
        out.
    """
    from ..connectivity import analyse

    result = analyse(network, **options)
    cor = network.corridors
    table = result.corridors.drop(columns=[c for c in result.corridors.columns if c in cor.columns])
    names = [c for c in ("name_zh", "name_en") if c in cor.columns]
    ranking = gpd.GeoDataFrame(table.join(cor[[*names, cor.geometry.name]], how="left"),
                               geometry=cor.geometry.name, crs=cor.crs)
    ranking.index.name = "id"
    ranking = ranking[ranking.geometry.notna()]
    if "rank" in ranking.columns:
        ranking = ranking.sort_values("rank", kind="stable")
    return {"gaps": result.gaps, "corridor_ranking": ranking}


def export_network(network, out: str | os.PathLike, *, fmt: str | None = None, layers: Iterable[str] | None = None,
                   crs: str = _crs.WGS84, precision: int | None = None, results: bool = False) -> list[Path]:
    """Export layers of a Network: the named ones, or every non-empty one.

    A named layer that is empty raises InputError; CSV without named layers takes the
    point layers only. ``results`` adds the connectivity analysis (:func:`analysis_frames`).

    Parameters
    ----------
    network : Network
        The layers to export (EPSG:4547, indexed by ``id``).
    out : str or os.PathLike
        A folder, or a file with the format's suffix (see :func:`export_layers`).
    fmt : str, optional
        One of :data:`FORMATS`; default the format ``out``'s suffix names, else geojson.
    layers : iterable of str, optional
        Catalogue layers to export, duplicates ignored; default every non-empty one.
    crs : str, default "EPSG:4326"
        ``EPSG:4326``, ``gcj02`` or any CRS pyproj knows.
    precision : int, optional
        Decimals of the coordinates (default 7 for degrees, 3 for metres).
    results : bool, default False
        Also export ``gaps`` and ``corridor_ranking`` (for CSV, only the point ones).

    Returns
    -------
    list of pathlib.Path
        Every file written (:func:`export_layers`).

    Raises
    ------
    InputError
        An unknown or empty named layer, and whatever :func:`export_layers` refuses.
    """
    fmt = resolve_format(out, fmt)
    if layers:
        names = list(dict.fromkeys(layers))
        unknown = [n for n in names if n not in CATALOGUE]
        if unknown:
            raise InputError(f"unknown layer {unknown[0]!r}; layers are: {', '.join(CATALOGUE)}")
    else:
        names = [n for n, g in network.layers.items() if len(g)]
        if fmt in FORMATS and FORMATS[fmt].points_only:
            names = [n for n in names if CATALOGUE[n].kind == "point"]
    frames = {n: network[n] for n in names}
    empty = [n for n in names if not len(frames[n])]
    if layers and empty:
        raise InputError(f"layer {empty[0]} is empty in {network.data_dir}: nothing to export")
    if results:
        extra = analysis_frames(network)
        if fmt in FORMATS and FORMATS[fmt].points_only:
            extra = {n: g for n, g in extra.items() if set(g.geom_type.dropna()) <= {"Point"}}
        frames.update(extra)
    return export_layers(frames, out, fmt=fmt, crs=crs, precision=precision)
