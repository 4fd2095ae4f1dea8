"""Options several commands share: --data (a folder or a PostgreSQL URL), --out checks."""

from __future__ import annotations

import argparse


def _check_out_file(out) -> None:
    """Refuse an ``--out`` (a Path) that cannot be a file: empty, a folder, or under a file."""
    from .._errors import InputError

    if str(out) in {"", "."} or out.is_dir():
        raise InputError(f"--out {str(out)!r}: give a file name, not a folder")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is a file, not a folder")


def _path(text: str):
    """A file or folder option as a Path (pathlib loads on use: with its imports ~3 ms of start-up)."""
    from pathlib import Path

    return Path(text)


def _out_folder(text: str):
    """An output folder ``--out``: refused at once if it, or a folder above it, is a file.

    Checked before any computing, so a long run never ends on a path it cannot write
    (and a user's file is never swapped out for a folder): the folder, or the nearest
    folder above it that exists, must be a folder that can be written to.
    """
    path = _path(text)
    above = path
    while not above.exists() and above != above.parent:
        above = above.parent
    if above.exists() and not above.is_dir():
        where = "it is a file" if above == path else f"{above} is a file"
        raise argparse.ArgumentTypeError(f"{text}: {where}, not a folder; give a folder")
    import os

    if above.exists() and not os.access(above, os.W_OK | os.X_OK):  # read-only file system, no permission
        raise argparse.ArgumentTypeError(f"{text}: {above} is not writable; give a folder you can write to")
    return path


def _data_source(text: str):
    """A ``--data`` value: a ``postgresql://`` URL stays text, anything else is a folder Path."""
    from ..store import is_database_url

    return text if is_database_url(text) else _path(text)


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=_data_source, default=None, metavar="DIR|URL",
                   help="data folder of <layer>.geojson files (default: the bundled Pingshan data), "
                        "or a PostGIS database: postgresql://user@host/db?schema=NAME")


def _mspa_args(p) -> None:
    """MSPA's parameters and the choice of sources, as ``sources`` and ``build --landcover`` take them."""
    p.add_argument("--foreground", default="10,20,30,90,95", metavar="CODES",
                   help="habitat land-cover codes (default: WorldCover tree, shrub, grass, wetland, mangrove)")
    p.add_argument("--connectivity", type=int, choices=(8, 4), default=8, help="MSPA foreground connectivity")
    p.add_argument("--edge-width", type=int, default=1, metavar="CELLS", help="MSPA edge width in cells (default 1)")
    p.add_argument("--no-transition", action="store_true", help="MSPA transition off")
    p.add_argument("--no-intext", action="store_true", help="MSPA internal/external distinction off")
    p.add_argument("--min-core-ha", type=float, default=0.0, metavar="HA", help="smallest core kept as a source")
    p.add_argument("--top", type=int, default=None, metavar="N", help="keep the N cores of highest dPC")


def _mspa_options(args) -> dict:
    """The keyword arguments of :func:`ecomap.corridors.sources.sources_from_landcover` from :func:`_mspa_args`."""
    import math

    from .._errors import InputError

    try:
        fg = [int(c) for c in args.foreground.split(",") if c.strip()]
    except ValueError:
        raise InputError(f"--foreground {args.foreground!r}: give land-cover codes separated by commas") from None
    if not fg:
        raise InputError("--foreground: give at least one land-cover code")
    if not (math.isfinite(args.min_core_ha) and args.min_core_ha >= 0):
        raise InputError(f"--min-core-ha {args.min_core_ha:g}: give an area in hectares >= 0")
    if args.top is not None and args.top < 1:
        raise InputError(f"--top {args.top}: give a number of sources >= 1")
    return {"foreground": fg, "connectivity": args.connectivity, "edge_width": args.edge_width,
            "transition": not args.no_transition, "intext": not args.no_intext,
            "min_core_area_ha": args.min_core_ha, "n_sources": args.top}


def _factor_args(p) -> None:
    """Resistance from several factors (the table's ``[factors]``), as ``corridors`` and ``build`` take them."""
    p.add_argument("--dem", type=_path, default=None, metavar="FILE.tif",
                   help="elevation GeoTIFF (metres, any CRS): its slope becomes a weighted resistance factor")
    p.add_argument("--roads", default=None, metavar="network|FILE",
                   help="distance to roads as a weighted resistance factor: 'network' (the barriers layer's "
                        "expressways and arterials) or a line layer (e.g. OSM highways, any CRS)")


def _roads(value: str | None):
    """``--roads``: ``network`` as is, anything else the path of an existing file."""
    if value is None or value == "network":
        return value
    path = _path(value)
    if not path.is_file():
        from .._errors import InputError

        raise InputError(f"--roads {value}: no such file; give 'network' (the barriers layer's roads) "
                         "or a line file of roads (e.g. OSM highways)")
    return path
