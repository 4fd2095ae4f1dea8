"""Circuitscape.jl's advanced-mode raster tests (``mgVerify*``) against its verified maps.

Inputs and outputs copied in ``tests/data/circuitscape/`` (MIT, see its LICENSE.md and COMMIT);
the large files of case 7 are gzipped.
"""

import configparser
import gzip
from pathlib import Path

import numpy as np
import pytest
from corridors.test_circuitscape_peer import DATA, _asc

from ecomap.corridors import advanced

CASES = sorted(p.name for p in (DATA / "input").iterdir() if p.name.startswith("mgVerify"))


def _file(folder: Path, name: str) -> Path:
    path = folder / Path(name).name
    return path if path.exists() else path.with_name(path.name + ".gz")


def _grid(path: Path) -> np.ndarray:
    if path.name.endswith(".tif.gz"):
        from rasterio.io import MemoryFile

        with MemoryFile(gzip.decompress(path.read_bytes())) as mem, mem.open() as src:
            arr = src.read(1).astype(float)
            return np.where(arr == src.nodata, np.nan, arr)
    return _asc(path)[0]


def _cells(path: Path, head: dict, shape) -> np.ndarray:
    """A Circuitscape text list (value, x, y) as a raster (NaN elsewhere); the last row of a cell wins."""
    out = np.full(shape, np.nan)
    for val, x, y in np.loadtxt(path, ndmin=2):
        row = int(np.ceil(shape[0] - (y - head["yllcorner"]) / head["cellsize"])) - 1
        col = int(np.ceil((x - head["xllcorner"]) / head["cellsize"])) - 1
        out[row, col] = val
    return out


def _layer(path: Path, head: dict, shape) -> np.ndarray:
    return _cells(path, head, shape) if path.suffix == ".txt" else _grid(path)


def _run(name: str):
    cfg = configparser.ConfigParser()
    cfg.read(DATA / "input" / name / f"{name}.ini")
    opt = {k: v for s in cfg.sections() for k, v in cfg[s].items()}
    folder = DATA / "input" / name
    hab_path = _file(folder, opt["habitat_file"])
    hab = _grid(hab_path)
    head = _asc(hab_path)[1] if hab_path.suffix != ".tif" else _asc(_file(folder, "cellmap10x10.asc"))[1]
    res = hab if opt["habitat_map_is_resistances"] == "True" else 1.0 / hab
    res = np.where(res > 0, res, np.nan)
    shorts = []
    if opt.get("use_polygons") == "True":
        poly = _grid(_file(folder, opt["polygon_file"]))
        shorts = [poly == p for p in np.unique(poly[np.isfinite(poly) & (poly > 0)])]
    out = advanced(
        res, _layer(_file(folder, opt["source_file"]), head, res.shape),
        _layer(_file(folder, opt["ground_file"]), head, res.shape),
        grounds_are_resistances=opt["ground_file_is_resistances"] == "True",
        direct_grounds=opt["use_direct_grounds"] == "True", unit_currents=opt["use_unit_currents"] == "True",
        conflicts=opt["remove_src_or_gnd"], short_circuit=shorts,
        neighbours=4 if opt["connect_four_neighbors_only"] == "True" else 8,
        average="resistance" if opt["connect_using_avg_resistances"] == "True" else "conductance")
    return out, res, shorts


MAPS = [(c, kind) for c in CASES for kind in ("voltmap", "curmap")
        if _file(DATA / "output_verify", f"{c}_{kind}.asc").exists()]


@pytest.mark.parametrize(("name", "kind"), MAPS)
def test_map_matches_circuitscape(name, kind):
    (volt, cur), res, shorts = _run(name)
    want = _grid(_file(DATA / "output_verify", f"{name}_{kind}.asc"))
    got = volt if kind == "voltmap" else cur
    ok = np.isfinite(got)  # NaN: dropped cells outside every region with a valid cell
    assert ok[np.isfinite(res)].all()
    assert ok[~np.isfinite(res)].sum() == sum(int((m & ~np.isfinite(res)).sum()) for m in shorts
                                              if np.isfinite(res[m]).any())
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-5, atol=1e-6)


def _strip(src, gnd, **kw):
    """Three 1-ohm cells in a row (two 1-ohm links), 4 neighbours."""
    return advanced(np.ones((1, 3)), np.array([src], dtype=float), np.array([gnd], dtype=float),
                    neighbours=4, **kw)


@pytest.mark.parametrize(("gnd", "kw", "want"), [
    ([np.nan, np.nan, 1.0], {}, [3.0, 2.0, 1.0]),                    # 1 A through 1 + 1 + 1 ohm
    ([1.0, np.nan, 1.0], {}, [0.75, 0.5, 0.25]),                      # 1 ohm parallel to 3 ohm
    ([1.0, np.nan, 1.0], {"conflicts": "rmvgnd"}, [3.0, 2.0, 1.0]),
    ([1.0, np.nan, 1.0], {"conflicts": "rmvsrc"}, [0.0, 0.0, 0.0]),   # nothing left to solve
    ([1.0, np.nan, 1.0], {"conflicts": "rmvall"}, [0.0, 0.0, 0.0]),
    ([0.0, np.nan, 1.0], {"grounds_are_resistances": True}, [3.0, 2.0, 1.0]),  # direct ground under a source dropped
    ([np.nan, np.nan, 0.0], {"grounds_are_resistances": True}, [2.0, 1.0, 0.0]),
    ([np.nan, np.nan, 5.0], {"direct_grounds": True}, [2.0, 1.0, 0.0]),
])
def test_strip_by_hand(gnd, kw, want):
    volt, cur = _strip([1.0, 0, 0], gnd, **kw)
    np.testing.assert_allclose(volt[0], want, atol=1e-12)
    if want[0]:
        assert cur[0, 0] == pytest.approx(1.0)  # every node current of a 1 A source is at most 1 A


def test_unit_currents_count_cells_of_a_region():
    region = np.array([[True, True, False]])
    volt, _ = advanced(np.ones((1, 3)), np.array([[3.0, 5.0, 0]]), np.array([[np.nan, np.nan, 1.0]]),
                       unit_currents=True, short_circuit=[region], neighbours=4)
    np.testing.assert_allclose(volt[0], [4.0, 4.0, 2.0])  # 2 A through 1 ohm, then 1 ohm to ground


@pytest.mark.parametrize(("kw", "match"), [
    ({"grounds": np.full((1, 3), -1.0)}, "grounds must be >= 0"),
    ({"sources": np.ones((2, 2))}, "shape"),
    ({"conflicts": "drop"}, "conflicts must be one of"),
])
def test_bad_input_refused(kw, match):
    from ecomap import InputError

    args = {"sources": np.ones((1, 3)), "grounds": np.ones((1, 3))} | kw
    conflicts = args.pop("conflicts", "keepall")
    with pytest.raises(InputError, match=match):
        advanced(np.ones((1, 3)), args["sources"], args["grounds"], conflicts=conflicts)
