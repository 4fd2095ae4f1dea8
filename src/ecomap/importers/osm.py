"""OpenStreetMap extracts into ecomap layers and a data folder.

:func:`import_osm` streams an OSM extract (``.osm.pbf`` or ``.osm`` XML) with pyosmium and
writes the ``river``, ``reservoirs``, ``barriers``, ``trails``, ``patches`` and ``ridge``
layers clipped to a boundary, plus the ``boundary`` layer itself. The steps: the study area
(:func:`~ecomap.importers.read_boundary`) → five streaming passes (``_osm_passes``) → rows
by tag rules (``_osm_tags``, ``_osm_layers``) → clip to the boundary and project to
EPSG:4547 (:func:`read_osm`) → write, validate and swap the folder into place (``_folder``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import shapely

from .. import crs as _crs
from .._errors import DataError, InputError, Problem
from ..io import file_digest, layer_path, write_geojson
from ..layers import spec
from ..network import validate_data
from ._common import _first_line, _now
from ._folder import OSM_LICENCE, ImportResult, _check_new_folder, _new_folder, _write_sources
from ._geometry import _keep_dimension
from ._osm_layers import _build_layers, _frame, _river_parents
from ._osm_passes import _read_passes
from ._osm_tags import (
    BARRIER_PERMEABILITY,
    OSM_CONFIDENCE,
    OSM_LAYERS,
    STRUCTURE_PERMEABILITY,
)
from .boundary import read_boundary

__all__ = [
    "OSM_LICENCE",
    "OSM_CONFIDENCE",
    "BARRIER_PERMEABILITY",
    "STRUCTURE_PERMEABILITY",
    "MARGIN_DEG",
    "OSM_LAYERS",
    "read_osm",
    "import_osm",
]

log = logging.getLogger(__package__)

#: A way is read when one of its nodes lies this close (degrees, ~5 km) to the boundary's bbox.
MARGIN_DEG = 0.05


def read_osm(
    path: str | os.PathLike,
    boundary: shapely.Geometry,
    *,
    margin_deg: float = MARGIN_DEG,
    progress: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OSM extract into ecomap layers clipped to ``boundary``.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.osm.pbf`` or ``.osm`` (XML) file; read in streaming passes, never whole.
    boundary : shapely.Geometry
        The area to keep, a (Multi)Polygon in WGS-84 longitude/latitude (degrees).
    margin_deg : float, default 0.05
        Ways are read when one of their nodes lies within this many degrees (0 to 5) of the
        boundary's bounding box; their geometry is then clipped to the boundary itself.
    progress : bool, default False
        Show progress bars (tqdm, on stderr) over the node and way passes.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``{layer: GeoDataFrame}`` for each of :data:`OSM_LAYERS`, in EPSG:4547, indexed by
        ``id`` (``w<way id>`` or ``r<relation id>``), with the catalogue's columns; ``source``
        holds ``osm:way/<id>`` or ``osm:relation/<id>`` (``;``-separated for merged rivers).

    Raises
    ------
    InputError
        The file is missing or not a readable OSM file, ``margin_deg`` is outside 0 to 5,
        or no node of the file lies near the boundary.

    References
    ----------
    OpenStreetMap contributors, OpenStreetMap data (ODbL 1.0), https://www.openstreetmap.org;
    read with pyosmium / libosmium (https://osmcode.org/pyosmium/).
    """
    return _read_osm(path, boundary, margin_deg=margin_deg, progress=progress)[0]


def _read_osm(path, boundary: shapely.Geometry, *, margin_deg: float,
              progress: bool) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """:func:`read_osm`, and the notes on ways split and areas dropped at the extract's edge."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such OSM file")
    if not 0 <= margin_deg <= 5:
        raise InputError(f"margin {margin_deg:g} degrees: give 0 to 5 degrees")
    x0, y0, x1, y1 = shapely.bounds(boundary)
    box = (x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg)
    try:
        read = _read_passes(path, box, progress=progress)
    except RuntimeError as exc:
        raise InputError(f"{path}: not a readable OSM file: {_first_line(exc)}") from None
    if read.stats.get("nodes_inside", 0) == 0:
        raise InputError(
            f"{path}: none of its {read.stats.get('nodes', 0)} nodes lies within {margin_deg:g} degrees "
            f"of the boundary (bounds {x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f}): the boundary does not "
            "overlap the extract"
        )
    rows = _build_layers(read)
    notes = []
    if read.stats.get("ways_split"):
        notes.append(f"{read.stats['ways_split']} way(s) cut by the extract split where nodes are missing")
    if read.stats.get("areas_dropped"):
        notes.append(f"{read.stats['areas_dropped']} area(s) dropped: a ring misses nodes or ways outside the extract")
    return {name: _clip_layer(_frame(rows[name], name), name, boundary) for name in OSM_LAYERS}, notes


def _clip_layer(gdf: gpd.GeoDataFrame, name: str, boundary: shapely.Geometry) -> gpd.GeoDataFrame:
    """One layer's rows clipped to ``boundary``, in EPSG:4547, indexed by ``id``.

    The clip is done in longitude/latitude, where the boundary is defined and stored: a
    ``--bbox`` is a box in degrees, and its edges are not straight lines in EPSG:4547.
    """
    dim = 1 if spec(name).kind == "line" else 2
    geoms = gdf.geometry.values
    if dim == 2:
        geoms = shapely.make_valid(geoms)
    clipped = _keep_dimension(shapely.intersection(geoms, boundary), dim)
    keep = ~shapely.is_missing(clipped)
    broken = keep & ~shapely.is_valid(clipped)  # e.g. a way whose nodes all coincide
    if broken.any():
        log.warning("%s: %d features with invalid geometry left out: %s", name, int(broken.sum()),
                    ", ".join(gdf["id"][broken].astype(str)[:10]))
        keep &= ~broken
    gdf = gdf.set_geometry(gpd.GeoSeries(clipped, index=gdf.index, crs=_crs.WGS84))[keep]
    gdf = gdf.drop_duplicates("id").to_crs(_crs.INTERNAL)
    if name == "river":
        gdf["parent_id"] = _river_parents(gdf.reset_index(drop=True))
    log.info("%s: %d features", name, len(gdf))
    return gdf.set_index("id")


def import_osm(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    boundary: str | os.PathLike | None = None,
    bbox: tuple[float, float, float, float] | str | None = None,
    boundary_crs: str | None = None,
    adcode: str | None = None,
    margin_deg: float = MARGIN_DEG,
    overwrite: bool = False,
    progress: bool = False,
) -> ImportResult:
    """Import an OSM extract into a new data folder clipped to a boundary.

    Writes ``boundary.geojson`` and each non-empty layer of :data:`OSM_LAYERS`, plus
    ``sources.json`` and a README that says the OSM layers are ODbL. Everything is written
    into a temporary folder beside ``out_dir``, checked with :func:`ecomap.validate_data`,
    and renamed into place only when it passes: a failure leaves no half-written folder.

    Parameters
    ----------
    path : str or os.PathLike
        The OSM extract (``.osm.pbf`` or ``.osm``).
    out_dir : str or os.PathLike
        The data folder to create (an existing non-empty one only with ``overwrite``).
    boundary, bbox, boundary_crs, adcode
        The study area: ``path``, ``bbox``, ``crs`` and ``adcode`` of
        :func:`~ecomap.importers.read_boundary`.
    margin_deg : float, default 0.05
        Degrees around the boundary's bounding box; see :func:`read_osm`.
    overwrite : bool, default False
        Replace an existing non-empty ``out_dir`` (only once the new folder passed).
    progress : bool, default False
        Show progress bars over the passes.

    Returns
    -------
    ImportResult
        The folder, the feature count per layer (``boundary`` and every OSM layer, 0 for
        one left unwritten) and the files written.

    Raises
    ------
    InputError
        ``out_dir`` is a file or a non-empty folder without ``overwrite``, the study area
        is wrong (see :func:`~ecomap.importers.read_boundary`) or the extract is (see
        :func:`read_osm`).
    DataError
        The written layers fail :func:`ecomap.validate_data`; nothing is left behind.

    References
    ----------
    OpenStreetMap contributors, OpenStreetMap data (ODbL 1.0), https://www.openstreetmap.org/copyright.
    """
    path = Path(path)
    out_dir = Path(out_dir)
    _check_new_folder(out_dir, overwrite=overwrite)  # before the long read
    bnd = read_boundary(path=boundary, bbox=bbox, crs=boundary_crs, adcode=adcode)
    layers, notes = _read_osm(path, bnd.geometry.iloc[0], margin_deg=margin_deg, progress=progress)
    digest = file_digest(path)
    with _new_folder(out_dir, overwrite=overwrite) as tmp:
        files = _write_osm_folder(tmp, f"OpenStreetMap extract {path.name} (sha256 {digest[:12]})", bnd, layers)
        problems = validate_data(tmp)
        if problems:
            raise DataError([Problem(str(out_dir / Path(p.file).name), p.feature, p.rule) for p in problems])
    counts = {"boundary": 1, **{name: len(gdf) for name, gdf in layers.items()}}
    return ImportResult(out_dir, counts, tuple(out_dir / f.name for f in files), tuple(notes))


def _write_osm_folder(tmp: Path, source: str, bnd: gpd.GeoDataFrame,
                      layers: dict[str, gpd.GeoDataFrame]) -> list[Path]:
    """Write the boundary, each non-empty layer and ``sources.json``/README into ``tmp``."""
    files = [write_geojson(bnd, layer_path(tmp, "boundary"))]
    stamp = _now()
    entries = {"boundary": {"source": bnd["source"].iloc[0], "licence": "", "features": 1,
                            "confidence": bnd["confidence"].iloc[0], "imported": stamp}}
    for name, gdf in layers.items():
        if gdf.empty:
            continue
        files.append(write_geojson(gdf, layer_path(tmp, name)))
        entries[name] = {"source": source,
                         "licence": OSM_LICENCE, "features": len(gdf),
                         "confidence": OSM_CONFIDENCE, "imported": stamp}
    files += _write_sources(tmp, entries)
    return files

