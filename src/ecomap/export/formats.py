"""The export formats: GDAL driver, suffix, what each can hold; the coordinates label."""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import CATALOGUE
from .prepare import _geographic, coordinates_label  # noqa: F401 - here since before; ecomap query needs only prepare


@dataclass(frozen=True)
class Format:
    """One export format: its GDAL driver (if any), file suffix, and what it can hold.

    Parameters
    ----------
    name : str
        The format's key in :data:`FORMATS` and on the command line (``--format``).
    suffix : str
        The file suffix, with its dot (``.geojson``).
    driver : str or None
        The GDAL (OGR) driver that writes it, or None when written without GDAL
        (GeoParquet through pyarrow, CSV through pandas).
    multi_layer : bool, default False
        Whether one file holds every layer (GeoPackage).
    geographic_only : bool, default False
        Whether coordinates must be longitude/latitude (KML).
    points_only : bool, default False
        Whether only point layers fit (CSV with lon/lat columns).
    description : str, default ""
        One line for people.
    """

    name: str
    suffix: str
    driver: str | None
    multi_layer: bool = False
    geographic_only: bool = False
    points_only: bool = False
    description: str = ""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("geojson", ".geojson", "GeoJSON", description="RFC 7946 GeoJSON, one file per layer"),
        Format("gpkg", ".gpkg", "GPKG", multi_layer=True, description="one GeoPackage with every layer and its style"),
        Format("fgb", ".fgb", "FlatGeobuf", description="FlatGeobuf with a spatial index, one file per layer"),
        Format("parquet", ".parquet", None, description="GeoParquet (WKB, bbox covering column), one file per layer"),
        Format("shp", ".shp", "ESRI Shapefile", description="Shapefile plus <layer>.fields.csv rename table"),
        Format("kml", ".kml", "LIBKML", geographic_only=True,
               description="KML for Google Earth and field phones: the atlas's styles, a folder per layer"),
        Format("kmz", ".kmz", "LIBKML", geographic_only=True, description="the KML zipped (doc.kml), for phones"),
        Format("csv", ".csv", None, points_only=True, description="CSV with lon/lat columns, point layers only"),
    )
}


def resolve_format(out, fmt: str | None = None) -> str:
    """The export format for ``out``: ``fmt`` if given, else the one its suffix names, else geojson.

    Parameters
    ----------
    out : str or os.PathLike
        The folder or file to write.
    fmt : str, optional
        One of :data:`FORMATS`; None takes the format whose suffix ``out`` has
        (``roads.shp`` -> ``shp``), or ``geojson`` for a folder.

    Returns
    -------
    str
        A key of :data:`FORMATS`.

    Raises
    ------
    InputError
        An unknown ``fmt``, or an ``out`` whose suffix is another format's (``b.gpkg`` with csv).
    """
    from pathlib import PurePath

    from .._errors import InputError

    suffix = PurePath(out).suffix.lower()
    named = next((f.name for f in FORMATS.values() if f.suffix == suffix), None)
    if fmt is None:
        return named or "geojson"
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; formats are: {', '.join(FORMATS)}")
    if named is not None and named != fmt:
        raise InputError(f"--out {out} is a {suffix} ({named}) file but --format is {fmt}: give an --out ending "
                         f"in {FORMATS[fmt].suffix} or a folder, or leave --format out to write {named}")
    return fmt


#: Titles of the analysis results exported beside the layers.
RESULT_TITLES = {"gaps": "Gaps: barrier crossings of corridors with no passage / 缺口",
                 "corridor_ranking": "Corridors ranked by dPC, the loss of connectivity if removed / 廊道重要性排序"}


def _description(name: str, label: str) -> str:
    spec = CATALOGUE.get(name)
    title = f"{spec.title_en} / {spec.title_zh}" if spec else RESULT_TITLES.get(name, name)
    if label == "GCJ-02":
        return f"{title}. Coordinates: GCJ-02 (offset lon/lat of Chinese map apps, NOT WGS-84)."
    return f"{title}. Coordinates: {label}."
