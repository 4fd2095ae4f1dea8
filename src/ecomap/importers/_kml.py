"""KML ``<coordinates>`` checked as text: GDAL reads ``114.35a77`` as ``114.35`` without a word.

A typo in a hand-edited KML then moves a point some hundreds of metres and it still lies in
the district, where no later check can see it; the numbers are checked before GDAL reads them.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .._errors import DataError, Problem

_PLACEMARK = re.compile(rb"<(?:\w+:)?Placemark\b.*?</(?:\w+:)?Placemark>", re.S)
_NAME = re.compile(rb"<(?:\w+:)?name>(.*?)</(?:\w+:)?name>", re.S)
_COORDS = re.compile(rb"<(?:\w+:)?coordinates>(.*?)</(?:\w+:)?coordinates>", re.S)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _bad_number(text: str) -> str | None:
    """The first value of a ``<coordinates>`` text that is not a number, or None."""
    for tup in re.sub(r"\s*,\s*", ",", text.strip()).split():  # GDAL allows blanks beside commas
        for v in tup.split(","):
            if v and not _NUMBER.fullmatch(v):
                return v
        if tup.count(",") not in (1, 2) or "" in tup.split(","):
            return tup
    return None


def check_kml_numbers(path: Path) -> None:
    """Refuse a ``.kml`` file whose ``<coordinates>`` hold a value that is not a number.

    Parameters
    ----------
    path : pathlib.Path
        The file; anything but a ``.kml`` (a ``.kmz`` is zipped) is left to GDAL.

    Returns
    -------
    None
        Returns when every coordinate is a number.

    Raises
    ------
    DataError
        One problem per placemark, naming it (its ``<name>``, else its number) and the value.
    """
    if path.suffix.lower() != ".kml":
        return
    data = path.read_bytes()
    problems = []
    for k, m in enumerate(_PLACEMARK.finditer(data)):
        block = m.group(0)
        for c in _COORDS.finditer(block):
            bad = _bad_number(html.unescape(c.group(1).decode("utf-8", "replace")))
            if bad is not None:
                nm = _NAME.search(block)
                label = html.unescape(nm.group(1).decode("utf-8", "replace")).strip() if nm else ""
                problems.append(Problem(str(path), label or f"#{k + 1}",
                                        f"coordinate {bad!r} is not a number (lon,lat[,alt])"))
                break
    if problems:
        raise DataError(problems)
