"""Start-up: ``import ecomap.cli`` and ``ecomap --help`` load none of the heavy libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("geopandas", "shapely", "folium", "scipy", "pandas", "pyproj", "pyogrio", "networkx", "dask", "distributed")


def _loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of HEAVY it left in sys.modules."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("code", [
    "import ecomap",
    "import ecomap.cli",
    "import ecomap, ecomap.cli; ecomap.__dir__(); ecomap.InputError",
    "import contextlib, io\nfrom ecomap.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n        main(['--help'])\n    except SystemExit:\n        pass",
    "import contextlib, io\nfrom ecomap.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n        main(['connectivity', '--help'])\n    except SystemExit:\n        pass",
])
def test_no_heavy_import_at_start_up(code):
    assert _loaded_after(code) == []


def test_heavy_modules_load_on_first_use():
    assert "geopandas" in _loaded_after("import ecomap\necomap.load_network")


def test_version_is_read_on_demand():
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", "import sys; from ecomap.cli import main; sys.exit(main(['--version']))"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.startswith("ecomap ")
    import ecomap

    assert isinstance(ecomap.__version__, str) and ecomap.__version__
