"""Export of layers and analysis results: GeoJSON, GeoPackage, FlatGeobuf, GeoParquet, Shapefile, KML, CSV.

Every format is written through a temporary file beside the destination and renamed
into place, so a failed export never leaves half a file behind. Layers of the
catalogue keep its column order (``id`` first) and, in a GeoPackage, its style; any
other GeoDataFrame (gaps, ranked corridors, modelled corridors) exports the same way
with its own columns.

Coordinates are WGS-84 longitude/latitude unless ``crs`` says otherwise: any EPSG code,
or ``gcj02`` (the offset system of Chinese map apps). A GCJ-02 export is only made when
asked for, and says so: the file names end in ``_gcj02``, and the file's own metadata
(GeoJSON member, layer description, Parquet key, KML description, a CSV
``coordinates`` column) names GCJ-02.
"""

from __future__ import annotations

from .bundle import analysis_frames, export_layers, export_network
from .formats import FORMATS, Format, coordinates_label, resolve_format
from .prepare import iso_dates, prepare
from .styles import layer_style_qml, layer_style_sld
from .writers import shapefile_fields

__all__ = [
    "FORMATS",
    "Format",
    "prepare",
    "export_layers",
    "export_network",
    "analysis_frames",
    "shapefile_fields",
    "layer_style_qml",
    "layer_style_sld",
    "coordinates_label",
    "resolve_format",
    "iso_dates",
]
