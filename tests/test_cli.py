"""The ecomap command: version, exit codes, build on a small folder, the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import ecomap
from tests.conftest import run_cli, write_layer


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        run_cli("--version")
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"ecomap {ecomap.__version__}"


def test_build_on_minimal_folder_writes_layers_and_provenance(minimal_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("build", "--data", minimal_data, "--out", out) == 0
    layer = json.loads((out / "layers" / "boundary.geojson").read_text())
    assert layer["features"][0]["properties"]["id"] == "440310"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["inputs"]["boundary"]["features"] == 1
    assert len(prov["inputs"]["boundary"]["sha256"]) == 64
    assert "layers/boundary.geojson" in prov["outputs"]


def test_build_refuses_bad_data_and_writes_nothing(minimal_data, tmp_path, capsys):
    write_layer(minimal_data, "bridges", [{"type": "Feature", "properties": {"id": "B1"}, "geometry": None}])
    out = tmp_path / "out"
    assert run_cli("build", "--data", minimal_data, "--out", out) == 2
    err = capsys.readouterr().err
    assert "bridges.geojson: feature B1: missing geometry" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_console_script_exit_codes(minimal_data):
    exe = shutil.which("ecomap") or str(shutil.which("ecomap", path=str(__import__("pathlib").Path(sys.executable).parent)))
    ok = subprocess.run([exe, "validate", "--data", str(minimal_data)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([exe, "layers", "--data", str(minimal_data / "missing")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "data folder does not exist" in bad.stderr
