"""The layer catalogue: every layer's geometry, columns, allowed values, style, and its rules.

This module is the one place that says what a layer is. Loading (``io``), validation
(``ecomap validate``), export, queries and maps all read it from here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import Problem
from ._labels import _ids, _is_missing, _plain_dates

__all__ = [
    "Column",
    "LayerSpec",
    "CATALOGUE",
    "LAYER_NAMES",
    "CONFIDENCE",
    "spec",
    "empty_layer",
    "coerce_columns",
    "check_layer",
    "check_references",
    "check_extent",
]

CONFIDENCE = ("surveyed", "digitized", "indicative", "synthetic")


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer.

    ``dtype`` is one of ``str``, ``float``, ``int``, ``date`` (ISO 8601 ``YYYY-MM-DD``).
    A ``required`` column must be present in the file; ``nullable`` says whether a
    feature may leave it empty. ``allowed`` lists the values a ``str`` may take;
    ``minimum``/``maximum`` bound a number.

    Parameters
    ----------
    name : str
        The column's name in the GeoJSON properties and every export.
    dtype : {"str", "float", "int", "date"}, default "str"
        The value type; ``float`` and ``int`` are held as ``float64`` once loaded.
    required : bool, default True
        Whether the file must have the column.
    nullable : bool, default False
        Whether a feature may leave the value empty (missing, null or blank).
    allowed : tuple of str, optional
        The only values a ``str`` column may take; None allows any.
    minimum, maximum : float, optional
        Inclusive bounds of a number, in the column's unit (metres for ``*_m``).
    description : str, default ""
        What the column means, for people.

    References
    ----------
    .. [1] ISO 8601-1:2019, *Date and time: representations for information interchange*
       (the ``YYYY-MM-DD`` calendar date).
    """

    name: str
    dtype: str = "str"
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class LayerSpec:
    """A layer of the ecological network: its name, geometry and columns.

    Parameters
    ----------
    name : str
        The layer's name; its file in a data folder is ``<name>.geojson``.
    geometry : tuple of str
        The geometry types a feature may have (``Polygon``/``MultiPolygon``,
        ``LineString``/``MultiLineString`` or ``Point``); the first names the kind.
    columns : tuple of Column
        The attribute columns, in the order exports write them (after ``id``).
    title_en, title_zh : str
        The layer's title in English and Chinese, for maps and file metadata.
    scale : {"pingshan", "city"}, default "pingshan"
        ``pingshan`` for district detail, ``city`` for the city-wide framework.
    style : mapping of str to str, optional
        Map colours: ``color`` (outline or line, ``#rrggbb``) and, for polygons,
        ``fill`` (``#rrggbb`` or ``none``).
    """

    name: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    title_en: str
    title_zh: str
    scale: str = "pingshan"  # "pingshan" (district detail) or "city" (the framework)
    style: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``polygon``, ``line`` or ``point``."""
        g = self.geometry[0]
        return {"Polygon": "polygon", "LineString": "line", "Point": "point"}[
            g.removeprefix("Multi")
        ]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The catalogue's column names, in order (``id`` and geometry not included)."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``.

        Parameters
        ----------
        name : str
            A column of this layer.

        Returns
        -------
        Column

        Raises
        ------
        KeyError
            If the layer has no such column.
        """
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def filename(self) -> str:
        """The layer's file name in a data folder: ``<name>.geojson``."""
        return f"{self.name}.geojson"


def _common() -> tuple[Column, ...]:
    return (
        Column("name_zh", nullable=True, required=False, description="name in Chinese"),
        Column("name_en", nullable=True, required=False, description="name in English"),
        Column("source", description="where the feature comes from"),
        Column("confidence", allowed=CONFIDENCE, description="how far to trust the geometry"),
    )


_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")

CATALOGUE: dict[str, LayerSpec] = {
    s.name: s
    for s in (
        LayerSpec(
            "boundary", _POLY,
            (Column("adcode", description="administrative code, 440310 for Pingshan"), *_common()),
            "District boundary", "区界",
            style={"color": "#333333", "fill": "none"},
        ),
        LayerSpec(
            "districts", _POLY,
            (Column("adcode"), *_common()),
            "Shenzhen districts", "深圳各区", scale="city",
            style={"color": "#888888", "fill": "none"},
        ),
        LayerSpec(
            "subdistricts", _POLY,
            (
                Column("osm_id", nullable=True, required=False,
                       description="the OpenStreetMap object the outline comes from, e.g. relation/10501406"),
                *_common(),
            ),
            "Subdistricts", "街道",
            style={"color": "#9e9e9e", "fill": "none"},
        ),
        LayerSpec(
            "ridge", _POLY,
            (
                Column("kind", allowed=("country_park", "nature_reserve", "forest")),
                Column("elev_max_m", "float", nullable=True, required=False, minimum=0, maximum=1000),
                *_common(),
            ),
            "Ecological ridge (mountain cores)", "生态山脊", scale="city",
            style={"color": "#2e7d32", "fill": "#66bb6a"},
        ),
        LayerSpec(
            "belt", _POLY,
            (
                Column("segment"),
                Column("width_m", "float", minimum=0),
                *_common(),
            ),
            "Coastal blue belt", "滨海蓝带", scale="city",
            style={"color": "#00838f", "fill": "#4dd0e1"},
        ),
        LayerSpec(
            "corridors", _LINE,
            (
                Column("width_m", "float", minimum=1, description="corridor width; footprint = centre line buffered by width_m / 2"),
                Column("kind", allowed=("mountain", "water", "green")),
                Column("from_id", nullable=True, description="patch id at the start"),
                Column("to_id", nullable=True, description="patch id at the end"),
                Column("status", allowed=("existing", "planned", "broken")),
                *_common(),
            ),
            "Ecological corridors", "生态廊道", scale="city",
            style={"color": "#7cb342"},
        ),
        LayerSpec(
            "river", _LINE,
            (
                Column("rank", allowed=("axis", "tributary")),
                Column("parent_id", nullable=True, required=False),
                *_common(),
            ),
            "River axis and tributaries", "河流水系",
            style={"color": "#1565c0"},
        ),
        LayerSpec(
            "trails", _LINE,
            (
                Column("kind", allowed=("greenway", "hiking", "ridge")),
                Column("surface", nullable=True, required=False),
                *_common(),
            ),
            "Trails and greenways", "步道绿道",
            style={"color": "#8d6e63"},
        ),
        LayerSpec(
            "bridges", ("Point",),
            (
                Column("host", allowed=("ditch", "well", "pool", "culvert", "interception_ditch")),
                Column("material", allowed=("stone", "wood", "net", "rope", "ramp")),
                Column("status", allowed=("planned", "built", "damaged", "removed")),
                Column("installed", "date", nullable=True),
                Column("note", nullable=True, required=False),
                Column("host_feature", nullable=True, required=False,
                       description="the feature the site sits on, as layer:id (e.g. trails:TR03)"),
                *_common(),
            ),
            "Escape-bridge sites (Ten Thousand Bridge Plan)", "万桥计划 动物逃生设施",
            style={"color": "#f57c00"},
        ),
        LayerSpec(
            "patches", _POLY,
            (
                Column("kind", description="habitat kind, e.g. core, forest, riparian, wetland"),
                Column("quality", "float", nullable=True, required=False, minimum=0, maximum=1),
                *_common(),
            ),
            "Habitat patches", "生境斑块", scale="city",
            style={"color": "#1b5e20", "fill": "#a5d6a7"},
        ),
        LayerSpec(
            "barriers", _LINE,
            (
                Column("kind", allowed=("expressway", "railway", "arterial", "dam")),
                Column("permeability", "float", minimum=0, maximum=1),
                Column("structure", nullable=True, required=False, allowed=("surface", "tunnel", "bridge"),
                       description="tunnel and bridge sections do not cut a corridor"),
                *_common(),
            ),
            "Barriers (roads, rail, dams)", "阻隔(道路 铁路 水坝)",
            style={"color": "#212121"},
        ),
        LayerSpec(
            "reservoirs", _POLY,
            (
                Column("capacity", "float", nullable=True, required=False, minimum=0,
                       description="storage capacity in m3, where known"),
                *_common(),
            ),
            "Reservoirs", "水库",
            style={"color": "#0277bd", "fill": "#81d4fa"},
        ),
    )
}

LAYER_NAMES: tuple[str, ...] = tuple(CATALOGUE)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def spec(name: str) -> LayerSpec:
    """The catalogue entry of a layer; an unknown name raises KeyError listing the valid ones.

    Parameters
    ----------
    name : str
        A layer of :data:`CATALOGUE` (one of :data:`LAYER_NAMES`).

    Returns
    -------
    LayerSpec

    Raises
    ------
    KeyError
        If ``name`` is not a layer; the message lists the layers.
    """
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; layers are: {', '.join(LAYER_NAMES)}") from None


def empty_layer(name: str, crs: str = "EPSG:4547") -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the layer's columns, indexed by ``id``.

    Parameters
    ----------
    name : str
        A layer of :data:`CATALOGUE`.
    crs : str, default "EPSG:4547"
        The frame's CRS; EPSG:4547 is where a :class:`~ecomap.network.Network` holds
        its layers.

    Returns
    -------
    geopandas.GeoDataFrame
        No rows; every catalogue column (``float64`` for numbers, ``object`` otherwise)
        and a geometry column, index named ``id``.

    Raises
    ------
    KeyError
        If ``name`` is not a layer of the catalogue.
    """
    return _empty_template(spec(name).name, crs).copy()


@functools.lru_cache(maxsize=64)
def _empty_template(name: str, crs: str) -> gpd.GeoDataFrame:
    """The empty layer built once (~8 ms); :func:`empty_layer` hands out copies (~0.1 ms)."""
    cols = {c.name: pd.Series(dtype="float64" if c.dtype in {"float", "int"} else "object") for c in spec(name).columns}
    gdf = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    gdf.index = pd.Index([], dtype="object", name="id")
    return gdf


def coerce_columns(gdf: pd.DataFrame, name: str) -> pd.DataFrame:
    """A copy of ``gdf`` with every catalogue column of layer ``name``: the one coercion rule.

    A column the frame lacks is added empty (``NaN`` for numbers, ``None`` otherwise); a
    numeric column (``float``/``int`` in the catalogue) becomes ``float64``, with values
    that are not numbers as ``NaN``. Other columns are left as they are.

    Parameters
    ----------
    gdf : pandas.DataFrame or geopandas.GeoDataFrame
        Rows of the layer, any index.
    name : str
        A layer of :data:`CATALOGUE`.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Same type, index and row order as ``gdf``.

    Raises
    ------
    KeyError
        If ``name`` is not a layer of the catalogue.
    """
    out = gdf.copy()
    for c in spec(name).columns:
        if c.name not in out.columns:
            out[c.name] = np.nan if c.dtype in {"float", "int"} else None
        elif c.dtype in {"float", "int"}:
            out[c.name] = pd.to_numeric(out[c.name], errors="coerce").astype("float64")
    return out


def check_layer(gdf: gpd.GeoDataFrame, name: str, *, file: str) -> list[Problem]:
    """Every rule of the catalogue that ``gdf`` (as read, WGS-84, ``id`` a column) breaks.

    Rules: missing ``id`` column or value, duplicate ``id``; missing required column;
    empty or missing geometry; geometry type not the layer's; invalid geometry (with the
    reason from GEOS); value missing where not nullable; value outside its allowed set;
    number that does not parse or lies outside its range; date that does not parse.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as :func:`ecomap.io.read_layer_file` reads it: WGS-84, ``id`` a column,
        values as in the file.
    name : str
        A layer of :data:`CATALOGUE`, whose rules apply.
    file : str
        The file's path, for each problem's ``file``.

    Returns
    -------
    list of Problem
        Every broken rule, one per feature and rule, grouped by rule (``id`` rules
        first, then columns, geometries, and values column by column); empty when the
        layer is clean.

    Raises
    ------
    KeyError
        If ``name`` is not a layer of the catalogue.

    References
    ----------
    .. [1] OGC 06-103r4, *OpenGIS Implementation Standard for Geographic information:
       Simple feature access, Part 1: Common architecture*, 1.2.1 (2011): the validity
       rules GEOS checks (``shapely.is_valid_reason``).
    .. [2] ISO 8601-1:2019 (``YYYY-MM-DD`` dates).
    """
    s = spec(name)
    problems: list[Problem] = []
    ids = _ids(gdf)

    def add(i: int | None, rule: str) -> None:
        problems.append(Problem(file, None if i is None else ids[i], rule))

    if "id" not in gdf.columns:
        add(None, "missing required column 'id'")
    else:
        missing = _is_missing(gdf["id"])
        for i in np.flatnonzero(missing):
            add(int(i), "missing id")
        idstr = gdf["id"].astype(str)
        dup = idstr.duplicated(keep="first").to_numpy() & ~missing
        for i in np.flatnonzero(dup):
            add(int(i), f"duplicate id {idstr.iloc[i]!r}")

    present = set(gdf.columns)
    for c in s.columns:
        if c.required and c.name not in present:
            add(None, f"missing required column {c.name!r}")

    geoms = gdf.geometry.values
    missing_geom = shapely.is_missing(geoms)
    empty = shapely.is_empty(geoms) & ~missing_geom
    for i in np.flatnonzero(missing_geom):
        add(int(i), "missing geometry")
    for i in np.flatnonzero(empty):
        add(int(i), "empty geometry")
    ok = ~(missing_geom | empty)
    gtypes = np.asarray(gdf.geom_type.to_numpy(), dtype=object)
    wrong = ok & ~np.isin(gtypes, s.geometry)
    for i in np.flatnonzero(wrong):
        add(int(i), f"geometry type {gtypes[i]} is not one of {', '.join(s.geometry)}")
    valid = np.ones(len(gdf), dtype=bool)
    valid[ok] = shapely.is_valid(geoms[ok])
    for i in np.flatnonzero(~valid):
        add(int(i), f"invalid geometry: {shapely.is_valid_reason(geoms[i])}")

    for c in s.columns:
        if c.name not in present:
            continue
        col = gdf[c.name]
        miss = _is_missing(col)
        if not c.nullable:
            for i in np.flatnonzero(miss):
                add(int(i), f"{c.name} is missing")
        have = ~miss
        if c.allowed is not None:
            bad = have & ~col.astype(str).isin(c.allowed).to_numpy()
            for i in np.flatnonzero(bad):
                add(int(i), f"{c.name} {col.iloc[i]!r} is not one of {', '.join(c.allowed)}")
        if c.dtype in {"float", "int"}:
            num = pd.to_numeric(col.where(have), errors="coerce").to_numpy(dtype=float)
            for i in np.flatnonzero(have & np.isnan(num)):
                add(int(i), f"{c.name} {col.iloc[i]!r} is not a number")
            good = have & ~np.isnan(num)
            if c.minimum is not None:
                for i in np.flatnonzero(good & (num < c.minimum)):
                    add(int(i), f"{c.name} {num[i]:g} is below {c.minimum:g}")
            if c.maximum is not None:
                for i in np.flatnonzero(good & (num > c.maximum)):
                    add(int(i), f"{c.name} {num[i]:g} is above {c.maximum:g}")
        if c.dtype == "date" and not _plain_dates(col):
            text = col.astype(str).str.strip()
            shaped = text.str.match(_DATE).to_numpy()
            parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
            bad = have & (~shaped | parsed.isna().to_numpy())
            for i in np.flatnonzero(bad):
                add(int(i), f"{c.name} {col.iloc[i]!r} is not a date (YYYY-MM-DD)")
    return problems


def check_extent(
    gdf: gpd.GeoDataFrame, extent: tuple[float, float, float, float], *, file: str
) -> list[Problem]:
    """Features whose WGS-84 bounds fall outside ``extent`` (minlon, minlat, maxlon, maxlat).

    A feature that would fall inside once its x and y are exchanged is reported as having
    swapped (lat, lon) coordinates; any other is reported as outside the extent.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read (WGS-84 longitude/latitude). Missing and empty geometries are
        skipped (:func:`check_layer` reports them).
    extent : tuple of 4 float
        ``(minlon, minlat, maxlon, maxlat)`` in degrees; a feature must lie within it,
        edges included.
    file : str
        The file's path, for each problem's ``file``.

    Returns
    -------
    list of Problem
        One per feature outside, in row order; empty when all lie inside.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016), section 3.1.1:
       positions are longitude, latitude (the order a swap breaks).
    """
    if gdf.empty:
        return []
    ids = _ids(gdf)
    geoms = gdf.geometry.values
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = np.full((len(gdf), 4), np.nan)
    b[usable] = shapely.bounds(geoms[usable])
    x0, y0, x1, y1 = extent
    inside = (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    swapped_inside = (b[:, 1] >= x0) & (b[:, 3] <= x1) & (b[:, 0] >= y0) & (b[:, 2] <= y1)
    problems = []
    for i in np.flatnonzero(usable & ~inside):
        if swapped_inside[i]:
            rule = "coordinates look swapped (lat, lon): GeoJSON wants lon, lat"
        else:
            rule = (
                f"lies outside the study area (bounds {b[i, 0]:.5f}, {b[i, 1]:.5f}, "
                f"{b[i, 2]:.5f}, {b[i, 3]:.5f}; allowed {x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f})"
            )
        problems.append(Problem(file, ids[i], rule))
    return problems


def check_references(
    corridors: gpd.GeoDataFrame, patch_ids: Iterable[str], *, file: str
) -> list[Problem]:
    """Corridors whose ``from_id``/``to_id`` name no patch.

    Parameters
    ----------
    corridors : geopandas.GeoDataFrame
        The corridors layer as read (``id``, ``from_id`` and ``to_id`` columns; a missing
        column is not checked, an empty value names nothing and is allowed).
    patch_ids : iterable of str
        The ids of the patches layer; values are compared as text.
    file : str
        The corridors file's path, for each problem's ``file``.

    Returns
    -------
    list of Problem
        One per reference to an unknown patch, ``from_id`` ones first.
    """
    known = {str(p) for p in patch_ids}
    ids = _ids(corridors)
    problems = []
    for col in ("from_id", "to_id"):
        if col not in corridors.columns:
            continue
        vals = corridors[col]
        have = ~_is_missing(vals)
        bad = have & ~vals.astype(str).isin(known).to_numpy()
        for i in np.flatnonzero(bad):
            problems.append(Problem(file, ids[i], f"{col} {vals.iloc[i]!r} names no patch"))
    return problems
