"""Before and after: every index once more after removing corridors/patches and adding planned ones."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import crs as _crs
from .._errors import EcomapWarning, InputError
from ..io import _first_line
from ..layers import coerce_columns
from ..network import Network, corridor_widths_m
from ._common import plain
from .analysis import ConnectivityResult, analyse

__all__ = ["DEFAULT_ADDED_WIDTH_M", "Scenario", "read_addition", "scenario"]

#: Width (m) of a planned corridor whose ``--add`` feature has no ``width_m``: an explicit
#: input default of :func:`read_addition` (its footprint, as every corridor's, is then
#: built by :func:`ecomap.network.corridor_footprints`).
DEFAULT_ADDED_WIDTH_M = 100.0


def read_addition(path: str | os.PathLike, *, default_width_m: float = DEFAULT_ADDED_WIDTH_M
                  ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read a GeoJSON file of planned corridors (LineString) and/or patches (Polygon), in EPSG:4547.

    Missing values get defaults (corridor ``width_m`` ``default_width_m`` = 100 m, ``kind``
    green, ``status`` planned; patch ``kind`` planned; ``source`` the file, ``confidence``
    indicative); every other catalogue column is added empty (:func:`ecomap.layers.coerce_columns`).
    A feature without ``id`` gets ``ADD<n>``. Coordinates are taken to EPSG:4547 as every
    layer is (:func:`ecomap.crs.to_internal`; a file without a CRS is WGS-84).

    Parameters
    ----------
    path : str or os.PathLike
        The GeoJSON file (RFC 7946: WGS-84 lon/lat).
    default_width_m : float, default 100
        Width in metres of a planned corridor without ``width_m``.

    Returns
    -------
    corridors, patches : geopandas.GeoDataFrame
        Indexed by id, in EPSG:4547, with every catalogue column of their layer.

    Raises
    ------
    InputError
        If the file is missing or unreadable, a feature is neither a (Multi)LineString nor
        a (Multi)Polygon, or a corridor's ``width_m`` is given but not a positive number;
        the message names the file and the feature.

    Warns
    -----
    EcomapWarning
        If a planned corridor has no ``width_m`` and takes ``default_width_m``, naming them.
    """
    path = Path(path)
    gdf = _read_geojson(path)
    if "id" not in gdf.columns:
        gdf["id"] = None
    ids = [str(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""
           else f"ADD{i + 1}" for i, v in enumerate(gdf["id"].tolist())]
    gdf["id"] = ids
    seen: dict[str, int] = {}
    for i, v in enumerate(ids):
        if v in seen:
            raise InputError(f"{path}: feature {v}: duplicate id {v!r} (also feature {seen[v] + 1}); "
                             "every added corridor or patch needs its own id")
        seen[v] = i
    types = gdf.geom_type.to_numpy(dtype=object)
    line = np.isin(types, ("LineString", "MultiLineString"))
    poly = np.isin(types, ("Polygon", "MultiPolygon"))
    bad = np.flatnonzero(~(line | poly))
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{path}: feature {ids[i]}: geometry type {types[i]} is not a corridor "
                         "(LineString) or a patch (Polygon)")
    gdf = _crs.to_internal(gdf).set_index("id")
    return _added_corridors(gdf[line], path, default_width_m), _added_patches(gdf[poly], path)


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise InputError(f"{path}: not readable as GeoJSON: {_first_line(exc)}") from None


def _fill(frame: gpd.GeoDataFrame, defaults: dict) -> None:
    """Put ``defaults[column]`` where a value is missing."""
    for k, v in defaults.items():
        frame[k] = frame[k].where(frame[k].notna(), v)


def _added_corridors(rows: gpd.GeoDataFrame, path: Path, default_width_m: float) -> gpd.GeoDataFrame:
    """Catalogue columns, checked widths (missing -> ``default_width_m``, with a warning), defaults."""
    raw = rows["width_m"] if "width_m" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    corr = coerce_columns(rows, "corridors")
    given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    not_number = given & corr["width_m"].isna().to_numpy()
    if not_number.any():
        raise InputError(f"{path}: feature {corr.index[not_number][0]}: width_m "
                         f"{raw[not_number].iloc[0]!r} is not a number of metres")
    missing = corr["width_m"].isna().to_numpy()
    if missing.any():
        ids = ", ".join(map(str, corr.index[missing][:10])) + (" ..." if missing.sum() > 10 else "")
        warnings.warn(f"{path}: planned corridors {ids} have no width_m; taken as {default_width_m:g} m",
                      EcomapWarning, stacklevel=3)
        corr.loc[missing, "width_m"] = float(default_width_m)
    try:
        corridor_widths_m(corr)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    _fill(corr, {"kind": "green", "status": "planned", "source": str(path), "confidence": "indicative"})
    return corr


def _added_patches(rows: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Catalogue columns (``quality`` empty where not given) and defaults."""
    pat = coerce_columns(rows, "patches")
    _fill(pat, {"kind": "planned", "source": str(path), "confidence": "indicative"})
    return pat


@dataclass
class Scenario:
    """Before and after of a change to the network; ``table`` has before, after, change.

    Attributes
    ----------
    before, after : ConnectivityResult
        The analysis of the network as it is and as changed.
    removed, added : list of str
        The corridor and patch ids taken out and put in.
    """

    before: ConnectivityResult
    after: ConnectivityResult
    removed: list[str]
    added: list[str]

    @property
    def table(self) -> pd.DataFrame:
        """Network indices before and after: columns ``before``, ``after``, ``change``, ``change_pct``.

        ``change_pct`` is ``100 (after - before) / |before|``, NaN where ``before`` is 0.
        """
        keys = ["iic", "pc", "ec_pc", "ec_iic", "alpha", "beta", "gamma", "components",
                "n_patches", "n_links", "habitat_km2", "n_gaps"]
        b = pd.Series({k: self.before.summary[k] for k in keys}, dtype=float)
        a = pd.Series({k: self.after.summary[k] for k in keys}, dtype=float)
        pct = 100 * (a - b) / b.abs().where(b != 0)
        return pd.DataFrame({"before": b, "after": a, "change": a - b, "change_pct": pct})

    def to_dict(self) -> dict:
        """Return the JSON shape: ``removed``, ``added``, ``indices`` (the table by index) and ``after``.

        Returns
        -------
        dict
            JSON-ready (NaN as ``None``); ``after`` is :meth:`ConnectivityResult.to_dict`.
        """
        t = self.table
        return {
            "removed": self.removed, "added": self.added,
            "indices": {k: {c: plain(t.loc[k, c]) for c in t.columns} for k in t.index},
            "after": self.after.to_dict(),
        }


def scenario(
    network: Network,
    *,
    remove: list[str] | tuple[str, ...] = (),
    add: str | os.PathLike | tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
    **options,
) -> Scenario:
    """Every index before and after removing corridors/patches and adding planned ones.

    Steps: check the ids to remove -> read the added file (:func:`read_addition`) and its
    ids -> take out and put in -> analyse the network as it is and the changed one.

    Parameters
    ----------
    network : Network
        The network as it is (EPSG:4547).
    remove : list or tuple of str, default ()
        Corridor or patch ids to take out (a removed patch takes its corridors' links
        with it); blanks are ignored.
    add : str, os.PathLike or tuple of geopandas.GeoDataFrame, optional
        A GeoJSON file (see :func:`read_addition`) or a pair of frames (corridors,
        patches) in EPSG:4547 indexed by id.
    **options
        Passed to :func:`~ecomap.connectivity.analyse` for both runs.

    Returns
    -------
    Scenario
        Both analyses and the ids removed and added.

    Raises
    ------
    InputError
        If an id to remove is not in the network, an added id already is, the file is
        bad (see :func:`read_addition`), or an option is (see ``analyse``).
    """
    remove = [str(r).strip() for r in remove if str(r).strip()]
    corr_ids = set(network.corridors.index.astype(str))
    patch_ids = set(network.patches.index.astype(str))
    unknown = [r for r in remove if r not in corr_ids | patch_ids]
    if unknown:
        raise InputError(f"--remove: unknown id {unknown[0]!r} (not a corridor or patch id)")
    if add is not None and not isinstance(add, tuple):
        add = read_addition(add)  # a bad file is reported before either analysis runs
    after_net, added = _changed_network(network, remove, add, known=corr_ids | patch_ids)
    before = analyse(network, **options)
    after = analyse(after_net, **options)
    return Scenario(before, after, remove, added)


def _changed_network(network: Network, remove: list[str], add, *, known: set[str]) -> tuple[Network, list[str]]:
    """Take ``remove`` out of the network and put ``add`` in; return it and the ids added."""
    corridors = network.corridors[~network.corridors.index.astype(str).isin(remove)]
    patches = network.patches[~network.patches.index.astype(str).isin(remove)]
    added: list[str] = []
    if add is not None:
        new_c, new_p = read_addition(add) if not isinstance(add, tuple) else add
        clash = sorted((set(new_c.index) | set(new_p.index)) & known)
        if clash:
            raise InputError(f"--add: id {clash[0]!r} is already in the network")
        # the added rows take the network's columns, coerced as every layer is
        new_c = coerce_columns(new_c, "corridors").reindex(columns=list(network.corridors.columns))
        new_p = coerce_columns(new_p, "patches").reindex(columns=list(network.patches.columns))
        corridors = pd.concat([corridors, new_c])
        patches = pd.concat([patches, new_p])
        added = [*map(str, new_c.index), *map(str, new_p.index)]
    after_net = network.replace(corridors=gpd.GeoDataFrame(corridors, crs=_crs.INTERNAL),
                                patches=gpd.GeoDataFrame(patches, crs=_crs.INTERNAL))
    return after_net, added
