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

from typing import TYPE_CHECKING

from .._lazy import lazy_names
from .prepare import (  # eager: the submodule's name is also the function's
    coordinates_label,
    iso_dates,
    prepare,
)

if TYPE_CHECKING:  # imported on first use (:data:`_LAZY`)
    from .formats import FORMATS, Format, resolve_format

#: Public name -> the submodule that defines it, imported on first access: ``ecomap
#: query`` needs only :func:`prepare`, not the formats, writers and styles (~25 ms of imports).
_LAZY = {
    "FORMATS": "formats",
    "Format": "formats",
    "resolve_format": "formats",
    "analysis_frames": "bundle",
    "export_layers": "bundle",
    "export_network": "bundle",
    "layer_style_qml": "styles",
    "layer_style_sld": "styles",
    "shapefile_fields": "writers",
}

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


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
