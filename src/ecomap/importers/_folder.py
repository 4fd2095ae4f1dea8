"""Writing a data folder: a temporary folder swapped into place, ``sources.json`` and a README.

Both importers write through here: :func:`~ecomap.importers.import_osm` builds a whole
folder in :func:`_new_folder`; :func:`~ecomap.importers.import_file` adds one layer to a
folder. Either way :func:`_write_sources` records where each layer came from and rewrites
the README that states the licences (ODbL for OpenStreetMap layers).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .._errors import InputError
from ..io import atomic_folder, write_text

#: Licence of every layer derived from OpenStreetMap.
OSM_LICENCE = "ODbL-1.0"
_OSM_ATTRIBUTION = (
    "Contains data from OpenStreetMap, (c) OpenStreetMap contributors, available under the "
    "Open Database License 1.0 (https://opendatacommons.org/licenses/odbl/1-0/); "
    "see https://www.openstreetmap.org/copyright."
)
_README_MARK = "<!-- written by ecomap import; edit sources.json, not this file -->"


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the folder, the feature count per layer, and the files.

    Attributes
    ----------
    out_dir : pathlib.Path
        The data folder written to.
    counts : dict of str to int
        Features per layer (``{"boundary": 1, "river": 12, ...}``); a layer with 0 features
        is counted but not written.
    files : tuple of pathlib.Path
        Every file written: the layers' GeoJSON, ``sources.json`` and the README.
    notes : tuple of str
        What the import decided and the user should know, one line each (the encoding
        used, the layers read, heights dropped, features repaired, ways split).
    """

    out_dir: Path
    counts: dict[str, int]
    files: tuple[Path, ...]
    notes: tuple[str, ...] = ()


def _check_new_folder(out_dir: Path, *, overwrite: bool) -> None:
    """Refuse a file in the folder's place, or a non-empty folder without ``overwrite``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise InputError(f"{out_dir}: folder exists and is not empty; use --overwrite to replace it")


def _new_folder(out_dir: Path, *, overwrite: bool):
    """Yield a temporary folder beside ``out_dir``; on success it becomes ``out_dir``.

    :func:`ecomap.io.atomic_folder`: with ``overwrite`` an existing folder is swapped with
    the new one in one atomic rename (old or new after a kill at any point), then
    removed; without it, only a missing or empty folder is replaced, and a folder that
    holds files by the end (another import wrote there meanwhile) is left as it is and
    the import refused.
    """
    out_dir = Path(out_dir)
    _check_new_folder(out_dir, overwrite=overwrite)
    return atomic_folder(out_dir, replace=overwrite, keep_existing=False)


def _write_sources(folder: Path, entries: Mapping[str, dict]) -> list[Path]:
    """Merge ``entries`` into ``sources.json`` and rewrite the folder's README (ODbL note)."""
    manifest_path = folder / "sources.json"
    manifest: dict = {"layers": {}}
    if manifest_path.exists():
        with contextlib.suppress(ValueError, OSError):
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest.setdefault("layers", {})
    manifest["layers"].update(entries)
    written = [write_text(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")]
    readme = folder / "README.md"
    if readme.exists() and _README_MARK not in readme.read_text(encoding="utf-8", errors="replace"):
        readme = folder / "SOURCES.md"  # never overwrite a README someone else wrote
    written.append(write_text(readme, "\n".join(_readme_lines(manifest["layers"])) + "\n"))
    return written


def _readme_lines(layers: Mapping[str, dict]) -> list[str]:
    """Return the README of a data folder: a table of its layers and the licence notes."""
    lines = [
        _README_MARK,
        "# Data folder",
        "",
        "Layers of an ecomap data folder (`ecomap validate --data .` checks them).",
        "",
        "| layer | features | source | licence | confidence | imported |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(layers):
        e = layers[name]
        lines.append(f"| {name} | {e.get('features', '')} | {e.get('source', '')} | "
                     f"{e.get('licence', '')} | {e.get('confidence', '')} | {e.get('imported', '')} |")
    osm = sorted(n for n, e in layers.items() if e.get("licence") == OSM_LICENCE)
    if osm:
        lines += [
            "",
            "## Licence of the OpenStreetMap layers",
            "",
            f"{', '.join(osm)}: {_OSM_ATTRIBUTION}",
            "If you publish these layers, or a database derived from them, attribute "
            "OpenStreetMap and share the derived database under the ODbL.",
        ]
    others = sorted(set(layers) - set(osm))
    if others:
        lines += ["", "The other layers keep the licence of the files they were imported from: "
                  + ", ".join(others) + "."]
    return lines
