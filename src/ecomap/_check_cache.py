"""What the checks of a data folder found, remembered between runs of ``ecomap query``.

A question about one layer must still check that layer against the catalogue and the
study extent, the bounds of the ``boundary`` and ``districts`` layers. Reading and checking
those two files was about a quarter of ``ecomap query``'s own time on the bundled data,
and checking the layer asked about most of the rest. This file remembers two things, in
the user's cache folder (``$ECOMAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/ecomap``, else
``~/.cache/ecomap``; ``ECOMAP_CACHE_DIR=""`` turns it off), never in a data or output folder:

* the extent that a ``boundary`` and a ``districts`` file gave (:func:`lookup_extent`);
* that a layer's file broke no rule of the catalogue and lay inside an extent
  (:func:`known_clean`).

Every entry is found by SHA-256: of the files' bytes as they are now, of the code that
reads and checks them, and of the versions of Python and the libraries
(:func:`_fingerprint`). A file changed in any way, even within the same second and at the
same size, misses and is read and checked again. Entries are written only for files that
were read and checked without a single problem, under the SHA-256 of the very bytes that
were parsed (``attrs["sha256"]`` of :func:`ecomap.io.read_layer_file`). A cache file that
cannot be read, is not JSON or holds anything but four finite, ordered numbers for an
extent is ignored and replaced at the next write; a cache folder that cannot be written
is not an error. Writes go through a temporary file renamed into place, so a reader sees
the old file or the new one, never half of one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["cache_file", "lookup_extent", "known_clean", "remember"]

#: The layers whose bounds make the study extent (:func:`ecomap.network._study_extent`).
EXTENT_LAYERS = ("boundary", "districts")
#: The modules whose code decides what reading and checking a layer gives.
_CODE = ("io", "layers", "_labels", "network", "crs", "_errors", "_check_cache")
_FILE = "checked-v1.json"
_KEEP = 256  # entries kept of each kind, the latest written

Extent = tuple[float, float, float, float]


def cache_file() -> Path | None:
    """The cache's file, or None when caching is off (``ECOMAP_CACHE_DIR=""``) or there is no home.

    Returns
    -------
    pathlib.Path or None
        ``checked-v1.json`` in ``$ECOMAP_CACHE_DIR``, ``$XDG_CACHE_HOME/ecomap`` or
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


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join([_fingerprint(), *parts]).encode()).hexdigest()


def _extent_key(digests: Mapping[str, str | None]) -> str:
    """The key of an extent: each extent layer's SHA-256 (``-`` for no file)."""
    return _key("extent", *(digests.get(name) or "-" for name in EXTENT_LAYERS))


def _clean_key(name: str, digest: str, extent: Extent) -> str:
    """The key of a clean layer: its name, its SHA-256 and the extent it lies in (exact floats)."""
    return _key("clean", name, digest, *(repr(float(v)) for v in extent))


def _load(path: Path) -> dict[str, dict]:
    """The cache's two tables (``extent``, ``clean``); empty ones for a missing or malformed file."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        data = None
    data = data if isinstance(data, dict) else {}
    return {kind: data[kind] if isinstance(data.get(kind), dict) else {} for kind in ("extent", "clean")}


def _extent(value) -> Extent | None:
    """``value`` as an extent if it is four finite numbers with min <= max, else None."""
    if not (isinstance(value, list) and len(value) == 4):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else None


def _tables() -> dict[str, dict]:
    """The cache as it is now (a small file, read at each look-up)."""
    path = cache_file()
    return _load(path) if path is not None else {"extent": {}, "clean": {}}


def lookup_extent(data_dir: Path) -> Extent | None:
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
    if cache_file() is None:
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
    return _extent(_tables()["extent"].get(_extent_key(digests)))


def known_clean(name: str, digest: str | None, extent: Extent) -> bool:
    """Whether layer ``name``'s file with SHA-256 ``digest`` was found clean inside ``extent``.

    Parameters
    ----------
    name : str
        A layer of the catalogue.
    digest : str or None
        The SHA-256 of the file's bytes as parsed (``attrs["sha256"]``); None is never clean.
    extent : tuple of 4 float
        The study extent it must lie in.

    Returns
    -------
    bool
        True only if an earlier run read and checked these very bytes, under the same code
        and libraries, against the same extent, and found no problem.
    """
    if not digest or cache_file() is None:
        return False
    return _tables()["clean"].get(_clean_key(name, digest, extent)) is True


def remember(frames: Mapping, extent: Extent, clean: Iterable[str]) -> None:
    """Remember the extent of the extent layers in ``frames``, and the layers found ``clean`` in it.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        The layers read by :func:`ecomap.io.read_layer_file`; entries are keyed by their
        ``attrs["sha256"]``.
    extent : tuple of 4 float
        The study extent the checks used.
    clean : iterable of str
        The layers of ``frames`` whose file gave no problem at all. The extent is
        remembered only if ``boundary`` is among them, and ``districts`` too when read.

    Returns
    -------
    None
        Nothing is written when caching is off or the folder cannot be written.
    """
    path = cache_file()
    clean = {n for n in clean if n in frames and frames[n].attrs.get("sha256")}
    if path is None or _extent(list(extent)) is None or not clean:
        return
    tables = _load(path)
    new = {"clean": {_clean_key(n, frames[n].attrs["sha256"], extent): True for n in clean}}
    read = [n for n in EXTENT_LAYERS if n in frames]
    if "boundary" in read and set(read) <= clean:
        digests = {n: frames[n].attrs["sha256"] for n in read}
        new["extent"] = {_extent_key(digests): [float(v) for v in extent]}
    for kind, entries in new.items():
        table = tables[kind]
        for key, value in entries.items():
            table.pop(key, None)
            table[key] = value
        tables[kind] = dict(list(table.items())[-_KEEP:])
    _write(path, tables)


def _write(path: Path, tables: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(tables), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
