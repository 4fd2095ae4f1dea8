"""The study extent of a data folder, remembered between runs of ``ecomap query``.

A question about one layer must still check it against the study extent, the bounds of
the ``boundary`` and ``districts`` layers; reading and checking those two files was about
a quarter of ``ecomap query``'s own time on the bundled data. This file remembers the
extent they gave, in the user's cache folder (``$ECOMAP_CACHE_DIR``, else
``$XDG_CACHE_HOME/ecomap``, else ``~/.cache/ecomap``; ``ECOMAP_CACHE_DIR=""`` turns it
off), never in a data or output folder.

An entry is found only by the SHA-256 of the two files' bytes as they are now, of the
code that reads and checks them and of the libraries' versions (:func:`_fingerprint`):
a file changed in any way, even within the same second and at the same size, misses and
is read and checked again. An entry is written only from files that were read and
checked without a single problem, under the SHA-256 of the very bytes that were parsed
(``attrs["sha256"]`` of :func:`ecomap.io.read_layer_file`). A cache file that cannot be
read, is not JSON or holds anything but four finite, ordered numbers for a key is
ignored, and replaced at the next write; a cache folder that cannot be written is
not an error. Writes go through a temporary file renamed into place, so a reader sees
the old file or the new one, never half of one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["cache_file", "lookup", "remember"]

#: The layers whose bounds make the study extent (:func:`ecomap.network._study_extent`).
EXTENT_LAYERS = ("boundary", "districts")
#: The modules whose code decides what reading and checking those layers gives.
_CODE = ("io", "layers", "_labels", "network", "crs", "_errors", "_extent_cache")
_FILE = "extent-v1.json"
_KEEP = 64  # entries kept, the latest written


def cache_file() -> Path | None:
    """The cache's file, or None when caching is off (``ECOMAP_CACHE_DIR=""``) or there is no home.

    Returns
    -------
    pathlib.Path or None
        ``extent-v1.json`` in ``$ECOMAP_CACHE_DIR``, ``$XDG_CACHE_HOME/ecomap`` or
        ``~/.cache/ecomap``.
    """
    folder = os.environ.get("ECOMAP_CACHE_DIR")
    if folder is not None:
        return Path(folder) / _FILE if folder.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):
            return None
    return Path(base) / "ecomap" / _FILE


@functools.cache
def _fingerprint() -> str:
    """SHA-256 of the checking code's source and of the versions of Python and the libraries."""
    import importlib

    import geopandas
    import numpy
    import pandas
    import pyogrio
    import shapely

    h = hashlib.sha256()
    for name in _CODE:
        h.update(Path(importlib.import_module(f"ecomap.{name}").__file__).read_bytes())
    for v in (sys.version, numpy.__version__, pandas.__version__, geopandas.__version__, shapely.__version__,
              shapely.geos_version_string, pyogrio.__version__, pyogrio.__gdal_version_string__):
        h.update(b"\0" + str(v).encode())
    return h.hexdigest()


def _key(digests: Mapping[str, str | None]) -> str:
    """The entry's key: the fingerprint and each extent layer's SHA-256 (``-`` for no file)."""
    parts = [_fingerprint(), *(digests.get(name) or "-" for name in EXTENT_LAYERS)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _entries(path: Path) -> dict:
    """The cache's entries; an empty dict for a missing, unreadable or malformed file."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, dict) else {}


def _extent(value) -> tuple[float, float, float, float] | None:
    """``value`` as an extent if it is four finite numbers with min <= max, else None."""
    if not (isinstance(value, list) and len(value) == 4):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else None


def lookup(data_dir: Path) -> tuple[float, float, float, float] | None:
    """The extent remembered for the extent layers of ``data_dir`` as they are now, if any.

    Parameters
    ----------
    data_dir : pathlib.Path
        A data folder.

    Returns
    -------
    tuple of 4 float or None
        ``(minlon, minlat, maxlon, maxlat)``, the margin included, as
        :func:`ecomap.network._study_extent` gave it for these very files; None when
        caching is off, ``boundary`` is missing or unreadable, or nothing is remembered.
    """
    path = cache_file()
    if path is None:
        return None
    from .io import layer_path

    digests = {}
    for name in EXTENT_LAYERS:
        try:
            digests[name] = hashlib.sha256(layer_path(data_dir, name).read_bytes()).hexdigest()
        except FileNotFoundError:
            if name == "boundary":
                return None  # the full read reports it
            digests[name] = None
        except OSError:
            return None
    return _extent(_entries(path).get(_key(digests)))


def remember(frames: Mapping, extent: tuple[float, float, float, float]) -> None:
    """Remember ``extent`` for the extent layers read in ``frames`` (call only when they are clean).

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        The layers read by :func:`ecomap.io.read_layer_file`, with ``boundary`` (and
        ``districts`` when the folder has it); the key is their ``attrs["sha256"]``.
    extent : tuple of 4 float
        The extent :func:`ecomap.network._study_extent` made of them.

    Returns
    -------
    None
        Nothing is written when caching is off, a digest is missing, or the folder cannot be written.
    """
    path = cache_file()
    digests = {name: frames[name].attrs.get("sha256") for name in EXTENT_LAYERS if name in frames}
    if path is None or not digests.get("boundary") or any(d is None for d in digests.values()):
        return
    if _extent(list(extent)) is None:
        return
    entries = _entries(path)
    entries.pop(key := _key(digests), None)
    entries[key] = [float(v) for v in extent]
    kept = dict(list(entries.items())[-_KEEP:])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"entries": kept}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
