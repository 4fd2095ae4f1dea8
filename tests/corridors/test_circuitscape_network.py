"""Circuitscape.jl's network-mode tests (``sgNetworkVerify*``, ``mgNetworkVerify*``) against its outputs.

Inputs in ``tests/data/circuitscape/input/network``, verified outputs (node ids as in the input)
in ``output_verify`` (MIT, see LICENSE.md and COMMIT).
"""

import configparser
from pathlib import Path

import numpy as np
import pytest
from corridors.test_circuitscape_peer import DATA

from ecomap import InputError
from ecomap.corridors import network_advanced, network_pairwise

NET = DATA / "input" / "network"
OUT = DATA / "output_verify"


def _options(name: str) -> dict:
    cfg = configparser.ConfigParser()
    cfg.read(NET / f"{name}.ini")
    return {k: v for s in cfg.sections() for k, v in cfg[s].items()}


def _edges(opt: dict) -> np.ndarray:
    return np.loadtxt(NET / Path(opt["habitat_file"]).name, ndmin=2)


def _pairwise(name: str):
    opt = _options(name)
    focal = np.loadtxt(NET / Path(opt["point_file"]).name, ndmin=1).astype(int)
    return focal, network_pairwise(_edges(opt), list(focal), conductances=opt["habitat_map_is_resistances"] != "True",
                                   keep_pairs=True)


def _by_node(path: Path) -> dict[int, float]:
    return {int(i): x for i, x in np.loadtxt(path, ndmin=2)}


def _by_edge(path: Path) -> dict[tuple[int, int], float]:
    return {(int(min(a, b)), int(max(a, b))): x for a, b, x in np.loadtxt(path, ndmin=2)}


def _check_nodes(flow, want: dict[int, float], values: np.ndarray, atol: float = 1e-8):
    got = dict(zip(flow.ids.tolist(), values, strict=True))
    for i, x in want.items():
        assert got[i] == pytest.approx(x, rel=1e-5, abs=atol), i


def _check_edges(flow, want: dict[tuple[int, int], float], values: np.ndarray):
    got: dict[tuple[int, int], float] = {}
    for (a, b), x in zip(flow.edges.tolist(), values, strict=True):
        key = (min(a, b), max(a, b))
        got[key] = got.get(key, 0.0) + x
    for key, x in got.items():  # Circuitscape leaves out branches under 1e-6 A
        assert x == pytest.approx(want.get(key, 0.0), rel=1e-5, abs=1e-6), key


#: Circuitscape's verified node currents of sgNetworkVerify1 are off by up to 1.3e-7 A at nodes
#: carrying 1e-6..6e-4 A (its iterative solve); ecomap's voltages equal a dense pseudo-inverse to
#: 1e-14 there (test_pair_voltages_equal_the_dense_pseudo_inverse). Currents are compared as the
#: raster maps are: 1e-5 relative, 1e-6 A absolute (Circuitscape's own branch-current cut-off).
CURRENT_ATOL = 1e-6
SG = ["sgNetworkVerify1", "sgNetworkVerify2", "sgNetworkVerify3"]
MG = ["mgNetworkVerify1", "mgNetworkVerify2", "mgNetworkVerify3"]


@pytest.mark.parametrize("name", SG)
def test_pairwise_resistances_match_circuitscape(name):
    focal, flow = _pairwise(name)
    want = np.loadtxt(OUT / f"{name}_resistances.out", ndmin=2)
    assert list(want[0, 1:].astype(int)) == list(focal)
    np.testing.assert_allclose(flow.resistances, want[1:, 1:], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", SG)
def test_pairwise_currents_match_circuitscape(name):
    _, flow = _pairwise(name)
    _check_nodes(flow, _by_node(OUT / f"{name}_node_currents_cum.txt"), flow.node_current, CURRENT_ATOL)
    _check_edges(flow, _by_edge(OUT / f"{name}_branch_currents_cum.txt"), flow.branch_current)
    assert flow.pairs
    for (a, b), pair in flow.pairs.items():
        _check_nodes(pair, _by_node(OUT / f"{name}_voltages_{a}_{b}.txt"), pair.voltage)
        _check_nodes(pair, _by_node(OUT / f"{name}_node_currents_{a}_{b}.txt"), pair.node_current,
                     CURRENT_ATOL)
        _check_edges(pair, _by_edge(OUT / f"{name}_branch_currents_{a}_{b}.txt"), pair.branch_current)


@pytest.mark.parametrize("name", MG)
def test_advanced_matches_circuitscape(name):
    opt = _options(name)
    sources = _by_node(NET / Path(opt["source_file"]).name)
    grounds = _by_node(NET / Path(opt["ground_file"]).name)
    flow = network_advanced(_edges(opt), sources, grounds,
                            grounds_are_resistances=opt["ground_file_is_resistances"] == "True",
                            direct_grounds=opt["use_direct_grounds"] == "True",
                            unit_currents=opt["use_unit_currents"] == "True", conflicts=opt["remove_src_or_gnd"])
    _check_nodes(flow, _by_node(OUT / f"{name}_voltages.txt"), flow.voltage)
    _check_nodes(flow, _by_node(OUT / f"{name}_node_currents.txt"), flow.node_current, CURRENT_ATOL)
    _check_edges(flow, _by_edge(OUT / f"{name}_branch_currents.txt"), flow.branch_current)


def test_parallel_edges_add_and_unconnected_pairs_are_minus_one():
    edges = [(1, 2, 2.0), (1, 2, 2.0), (2, 3, 1.0), (7, 8, 1.0)]  # 2 || 2 ohm = 1 ohm
    flow = network_pairwise(edges, [1, 3, 7])
    np.testing.assert_allclose(flow.resistances, [[0, 2, -1], [2, 0, -1], [-1, -1, 0]])


@pytest.mark.parametrize(("edges", "focal", "match"), [
    ([(1, 2, 0.0)], [1, 2], "edge row 1"),
    ([(1, 2, 1.0), (2, 3, np.nan)], [1, 2], "edge row 2"),
    ([(1, 2, 1.0)], [1, 5], "focal node 5"),
])
def test_bad_graph_refused(edges, focal, match):
    with pytest.raises(InputError, match=match):
        network_pairwise(edges, focal)


def test_pair_voltages_equal_the_dense_pseudo_inverse():
    opt = _options("sgNetworkVerify1")
    edges = _edges(opt)
    _, flow = _pairwise("sgNetworkVerify1")
    ids = flow.ids
    a_, b_ = np.searchsorted(ids, edges[:, :2].astype(int)).T
    lap = np.zeros((len(ids), len(ids)))
    np.add.at(lap, (a_, b_), -edges[:, 2])
    np.add.at(lap, (b_, a_), -edges[:, 2])
    lap[np.diag_indices(len(ids))] = -lap.sum(axis=1)
    pinv = np.linalg.pinv(lap)
    for (a, b), pair in flow.pairs.items():
        i, j = np.searchsorted(ids, [a, b])
        v = pinv[:, j] - pinv[:, i]
        v -= v[i]
        live = pair.voltage != 0
        np.testing.assert_allclose(pair.voltage[live], v[live], atol=1e-10)
