"""The register file and the rejects file: ids, the rows added, and writing them.

The last steps of :func:`ecomap.bridges.import_sites`. The register
(``<data>/bridges.geojson``) keeps its features as they were and gets the new ones
appended, one feature per line; both files are written through :func:`ecomap.io.write_text`
(a temporary file and a rename), so a failure leaves them unchanged. A symlinked register is
written beside the link's target, and keeps its mode.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import check_layer, coerce_columns, spec
from ..spreadsheet import write_csv_text


def _register_path(data_dir: str | os.PathLike | None) -> Path:
    from ..io import default_data_dir, layer_path

    return layer_path(Path(data_dir) if data_dir is not None else default_data_dir(), "bridges")


def _next_ids(taken: set[str], n: int) -> list[str]:
    """``n`` new ids ``B#####`` after the highest number in use; never one that is taken."""
    nums = [int(m.group(1)) for t in taken if (m := re.fullmatch(r"B(\d+)", t))]
    width = max([5, *(len(t) - 1 for t in taken if re.fullmatch(r"B\d+", t))])
    k = max(nums, default=0)
    out = []
    while len(out) < n:
        k += 1
        cand = f"B{k:0{width}d}"
        if cand not in taken:
            out.append(cand)
    return out


def _new_sites(add: np.ndarray, given_id: np.ndarray, values: dict[str, np.ndarray], existing_ids: set[str],
               lon: np.ndarray, lat: np.ndarray, path: Path) -> gpd.GeoDataFrame:
    """Return the rows ``add`` as register sites in WGS-84, with ``id`` as a column.

    A row without an id gets the next free ``B`` number (:func:`_next_ids`). The columns
    are the catalogue's, in its order (:func:`ecomap.layers.coerce_columns` adds those the
    survey does not give, empty); coordinates are rounded to 7 decimals (about 1 cm). The
    catalogue's own rules are the last check: nothing reaches the register unchecked.
    """
    taken = existing_ids | {given_id[i] for i in add if given_id[i]}
    new_ids = iter(_next_ids(taken, int(sum(1 for i in add if not given_id[i]))))
    ids = [given_id[i] if given_id[i] else next(new_ids) for i in add]
    coords = np.column_stack([np.round(lon[add], 7), np.round(lat[add], 7)]) if len(add) else np.empty((0, 2))
    names = spec("bridges").column_names
    frame = pd.DataFrame({"id": ids, **{k: v[add] for k, v in values.items() if k in names}}, dtype=object)
    frame = coerce_columns(frame, "bridges")[["id", *names]]
    sites = gpd.GeoDataFrame(frame, geometry=shapely.points(coords), crs=_crs.WGS84)
    problems = check_layer(sites, "bridges", file=str(path))
    if problems:
        raise InputError(str(problems[0]))
    return sites


def _dump_register(doc: dict) -> str:
    """Return the register as GeoJSON text: one feature per line, so a diff shows the sites added."""
    head = {k: v for k, v in doc.items() if k != "features"}
    body = ",\n".join(json.dumps(f, ensure_ascii=False) for f in doc["features"])
    text = json.dumps(head, ensure_ascii=False)
    return text[:-1] + (", " if head else "") + '"features": [\n' + body + "\n]}\n"


def _append_to_register(register: Path, sites: gpd.GeoDataFrame) -> None:
    """Append ``sites`` (WGS-84, ``id`` a column) to the register, its other features kept as they were."""
    from ..io import write_text

    if register.exists():
        doc = json.loads(register.read_text(encoding="utf-8"))
    else:
        doc = {"type": "FeatureCollection", "name": "bridges", "features": []}
    doc.setdefault("features", [])
    coords = shapely.get_coordinates(sites.geometry.values)
    for rec, (lo, la) in zip(sites.drop(columns="geometry").to_dict("records"), coords, strict=True):
        props = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        doc["features"].append({"type": "Feature", "properties": props,
                                "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]}})
    write_text(register, _dump_register(doc), follow_symlinks=True)


def _rejects_path(path: Path, kind: str) -> Path:
    return path.with_name(f"{path.stem}.rejects.{'geojson' if kind == 'geojson' else 'csv'}")


def _write_rejects(dest: Path, raw: dict, lines: list[int], not_added: dict[int, str]) -> None:
    """Write the rows not added, exactly as the volunteer entered them, with line and reason first."""
    from ..io import write_text

    if raw["kind"] == "geojson":
        feats = []
        for line, f in zip(lines, raw["features"], strict=True):
            if line in not_added:
                g = json.loads(json.dumps(f))
                g["properties"] = {"reject_line": line, "reject_reason": not_added[line], **(g.get("properties") or {})}
                feats.append(g)
        write_text(dest, json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1) + "\n")
        return
    rows = [[line, not_added[line], *row] for line, row in zip(lines, raw["rows"], strict=True) if line in not_added]
    write_text(dest, "\ufeff" + write_csv_text(["line", "reason", *raw["header"]], rows))
