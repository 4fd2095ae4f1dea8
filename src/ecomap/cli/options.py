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


def _data_source(text: str):
    """A ``--data`` value: a ``postgresql://`` URL stays text, anything else is a folder Path."""
    from ..store import is_database_url

    return text if is_database_url(text) else _path(text)


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=_data_source, default=None, metavar="DIR|URL",
                   help="data folder of <layer>.geojson files (default: the bundled Pingshan data), "
                        "or a PostGIS database: postgresql://user@host/db?schema=NAME")
