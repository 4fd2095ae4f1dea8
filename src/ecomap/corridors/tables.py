"""Resistance tables (TOML): resistance per metre by layer and class, and land-cover reclass tables.

The shipped tables, ``resistance.toml`` and ``landcover_worldcover.toml``, stay package data of
``ecomap`` itself (``ecomap/*.toml`` in ``pyproject.toml``).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .._errors import InputError

__all__ = ["ResistanceTable", "load_resistance_table", "load_reclass_table", "default_table_path"]

#: Sections of a resistance table and the classes each must give (``*`` = any extra keys allowed).
_RESISTANCE_SECTIONS: dict[str, tuple[str, ...]] = {
    "matrix": ("default",),
    "reservoirs": ("default",),
    "river": ("axis", "tributary"),
    "belt": ("default",),
    "corridors": ("existing", "planned", "broken"),
    "ridge": ("country_park", "nature_reserve", "forest"),
    "patches": ("default",),
    "barriers": ("expressway", "railway", "arterial", "dam"),
}
_WIDTH_SECTIONS = {
    "barrier_width_m": ("expressway", "railway", "arterial", "dam"),
    "river_width_m": ("axis", "tributary"),
}


def default_table_path() -> Path:
    """Return the path of the resistance table shipped with ecomap.

    Returns
    -------
    pathlib.Path
        ``ecomap/resistance.toml`` inside the installed package.
    """
    return Path(str(resources.files("ecomap") / "resistance.toml"))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def _resistance_value(file: str, name: str, value: Any) -> float:
    if isinstance(value, str) and value.strip().lower() in {"inf", "impassable"}:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{file}: class {name}: resistance {value!r} is not a number (or 'impassable')")
    if not value > 0:  # also NaN
        raise InputError(f"{file}: class {name}: resistance {value!r} must be > 0")
    return float(value)


def _number(file: str, name: str, value: Any, *, lo: float, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise InputError(f"{file}: {name}: {value!r} must be a number from {lo:g} to {hi:g}")
    return float(value)


@dataclass(frozen=True)
class ResistanceTable:
    """A checked resistance table: resistance per metre by layer and class, plus strip widths.

    Attributes
    ----------
    resistance : dict of str to dict of str to float
        ``resistance[section][class]`` in cost units per metre (``inf`` = impassable).
    widths : dict of str to dict of str to float
        Strip widths in metres (``barrier_width_m``, ``river_width_m``) by class.
    structure : dict of str to float
        Share of a barrier's resistance kept by a ``surface``, ``bridge`` or ``tunnel`` section
        (0-1).
    bridge_sites : dict
        ``resistance`` per metre and ``radius_m`` of the disc an escape-bridge site lowers, and
        the ``statuses`` that count.
    restoration : dict
        Barrier Mapper's restored ``resistance`` and disc ``radii_m``.
    path : str
        The file it was read from.
    raw : dict
        The TOML as read (written into the GeoTIFF tags).
    factors : dict or None
        The ``[factors]`` section, checked (:func:`_factors`): ``weights`` by factor
        (``landcover``, ``slope``, ``roads``; summing to 1), the ``slope`` and ``roads``
        classes (``breaks``, ``grades``), the road ``kinds`` and OSM ``highway`` values, and the
        ``barriers`` rule (``"max"`` or ``"add"``); None if the table has none.
    """

    resistance: dict[str, dict[str, float]]
    widths: dict[str, dict[str, float]]
    structure: dict[str, float]
    bridge_sites: dict[str, Any]
    restoration: dict[str, Any]
    path: str
    raw: dict = field(repr=False, default_factory=dict)
    factors: dict | None = None

    def value(self, section: str, cls: str | None) -> float:
        """Resistance of a class, falling back to the section's ``default``.

        Parameters
        ----------
        section : str
            A section of the table, e.g. ``'barriers'``.
        cls : str or None
            The class, e.g. ``'railway'``; None for the default.

        Returns
        -------
        float
            Cost units per metre (``inf`` = impassable).

        Raises
        ------
        InputError
            If the class is not listed and the section has no default.
        """
        sec = self.resistance[section]
        if cls is not None and str(cls) in sec:
            return sec[str(cls)]
        if "default" in sec:
            return sec["default"]
        raise InputError(f"{self.path}: class {section}.{cls} has no value (and {section} has no default)")

    @property
    def minimum(self) -> float:
        """The lowest resistance in the table (cost units per metre)."""
        return min(v for sec in self.resistance.values() for v in sec.values())


def _resistances(file: str, raw: dict) -> dict[str, dict[str, float]]:
    res: dict[str, dict[str, float]] = {}
    for section, required in _RESISTANCE_SECTIONS.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise InputError(f"{file}: [{section}] must be a table of class = resistance")
        for cls in required:
            if cls not in given:
                raise InputError(f"{file}: class {section}.{cls} has no value")
        res[section] = {str(k): _resistance_value(file, f"{section}.{k}", v) for k, v in given.items()}
    return res


def _widths(file: str, raw: dict) -> dict[str, dict[str, float]]:
    widths: dict[str, dict[str, float]] = {}
    for section, required in _WIDTH_SECTIONS.items():
        given = raw.get(section, {})
        for cls in required:
            if cls not in given:
                raise InputError(f"{file}: width {section}.{cls} has no value")
        widths[section] = {str(k): _number(file, f"{section}.{k}", v, lo=0) for k, v in given.items()}
    return widths


def _structure(file: str, raw: dict) -> dict[str, float]:
    struct = raw.get("structure", {})
    structure = {}
    for cls in ("surface", "bridge", "tunnel"):
        if cls not in struct:
            raise InputError(f"{file}: structure.{cls} has no value")
        structure[cls] = _number(file, f"structure.{cls}", struct[cls], lo=0, hi=1)
    return structure


def _bridge_sites(file: str, raw: dict) -> dict[str, Any]:
    bs = raw.get("bridge_sites", {})
    for key in ("resistance", "radius_m", "statuses"):
        if key not in bs:
            raise InputError(f"{file}: bridge_sites.{key} has no value")
    return {
        "resistance": _resistance_value(file, "bridge_sites.resistance", bs["resistance"]),
        "radius_m": _number(file, "bridge_sites.radius_m", bs["radius_m"], lo=0),
        "statuses": [str(s) for s in bs["statuses"]],
    }


def _restoration(file: str, raw: dict) -> dict[str, Any]:
    rs = raw.get("restoration", {})
    for key in ("resistance", "radii_m"):
        if key not in rs:
            raise InputError(f"{file}: restoration.{key} has no value")
    radii = rs["radii_m"]
    if not isinstance(radii, list) or not radii:
        raise InputError(f"{file}: restoration.radii_m must be a list of radii in metres")
    return {
        "resistance": _resistance_value(file, "restoration.resistance", rs["resistance"]),
        "radii_m": [_number(file, "restoration.radii_m", r, lo=1e-9) for r in radii],
    }


#: The factors a ``[factors.weights]`` table may weigh.
FACTORS = ("landcover", "slope", "roads")


def _classes(file: str, name: str, sec: Any) -> dict[str, list[float]]:
    """A factor's classes: ``breaks`` strictly increasing, one more ``grades`` (each > 0)."""
    if not isinstance(sec, dict) or "breaks" not in sec or "grades" not in sec:
        raise InputError(f"{file}: [factors.{name}] needs breaks = [...] and grades = [...]")
    breaks = [_number(file, f"factors.{name}.breaks", b, lo=0) for b in sec["breaks"]]
    grades = [_resistance_value(file, f"factors.{name}.grades", g) for g in sec["grades"]]
    if any(b >= c for b, c in zip(breaks, breaks[1:], strict=False)):
        raise InputError(f"{file}: factors.{name}.breaks must increase: {breaks}")
    if len(grades) != len(breaks) + 1:
        raise InputError(f"{file}: factors.{name} has {len(breaks)} breaks, so needs {len(breaks) + 1} grades, "
                         f"not {len(grades)}")
    return {"breaks": breaks, "grades": grades}


def _factors(file: str, raw: dict) -> dict | None:
    """The ``[factors]`` section: weights summing to 1, slope and road classes, the barrier rule."""
    f = raw.get("factors")
    if f is None:
        return None
    weights = f.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise InputError(f"{file}: [factors.weights] needs a weight for each factor ({', '.join(FACTORS)})")
    for k in weights:
        if k not in FACTORS:
            raise InputError(f"{file}: factors.weights.{k}: not a factor (give {', '.join(FACTORS)})")
    w = {k: _number(file, f"factors.weights.{k}", v, lo=0, hi=1) for k, v in weights.items()}
    if not math.isclose(sum(w.values()), 1.0, abs_tol=1e-6):
        raise InputError(f"{file}: factors.weights sum to {sum(w.values()):g}, not 1")
    rule = f.get("barriers", "max")
    if rule not in ("max", "add"):
        raise InputError(f"{file}: factors.barriers {rule!r} must be 'max' or 'add'")
    roads = f.get("roads", {})
    return {"weights": w, "barriers": rule,
            "slope": _classes(file, "slope", f.get("slope")) if "slope" in w else None,
            "roads": {**_classes(file, "roads", roads), "kinds": [str(k) for k in roads.get("kinds", [])],
                      "highway": [str(k) for k in roads.get("highway", [])]} if "roads" in w else None}


def load_resistance_table(path: str | os.PathLike | None = None) -> ResistanceTable:
    """Read and check a resistance table (TOML).

    Every class listed in the default table must have a value > 0 (or ``inf`` /
    ``"impassable"``); widths, structure shares, bridge sites and restoration are checked too,
    and the optional ``[factors]`` section (weights summing to 1, increasing breaks, one grade
    more than breaks).

    Parameters
    ----------
    path : str or os.PathLike, optional
        The TOML file; ``None`` reads the shipped default (:func:`default_table_path`).

    Returns
    -------
    ResistanceTable
        The checked table.

    Raises
    ------
    InputError
        If the file is missing or not TOML, or a class is missing, negative or not a number;
        the message names the file and the class.
    """
    p = Path(path) if path is not None else default_table_path()
    raw = _read_toml(p)
    file = str(p)
    return ResistanceTable(_resistances(file, raw), _widths(file, raw), _structure(file, raw),
                           _bridge_sites(file, raw), _restoration(file, raw), file, raw, _factors(file, raw))


def load_reclass_table(path: str | os.PathLike) -> dict[int, float]:
    """Read a land-cover reclassification table: ``[classes]`` of ``code = resistance``.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file; codes are integers (TOML keys, e.g. ``10 = 1``), values as in a
        resistance table (> 0, or ``"impassable"``).

    Returns
    -------
    dict of int to float
        Resistance per metre by land-cover code.

    Raises
    ------
    InputError
        If the file is missing or not TOML, has no ``[classes]``, or a code or value is not
        valid; the message names the file and the class.
    """
    p = Path(path)
    raw = _read_toml(p)
    classes = raw.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise InputError(f"{p}: needs a [classes] table of land-cover code = resistance")
    out: dict[int, float] = {}
    for k, v in classes.items():
        try:
            code = int(str(k).strip())
        except ValueError:
            raise InputError(f"{p}: class {k!r} is not an integer land-cover code") from None
        out[code] = _resistance_value(str(p), str(code), v)
    return out
