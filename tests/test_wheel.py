"""A wheel built from the repository carries the bundled layers, and an installed copy finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_the_bundled_layers_and_finds_them(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("ecomap-*.whl")
    bundled = sorted(p.name for p in (ROOT / "data" / "geo").glob("*.geojson"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    # installed as pip installs it, outside the repository (no editable path, no data/geo beside it)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(tmp_path / "site"), str(wheel)], check=True, capture_output=True)
    packaged = sorted(Path(n).name for n in names if n.startswith("ecomap/data/geo/") and n.endswith(".geojson"))
    assert packaged == bundled
    env = {k: v for k, v in os.environ.items() if k != "ECOMAP_DATA"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    code = ("import ecomap, ecomap.io, ecomap.network as n; "
            "print(ecomap.__file__); print(ecomap.io.default_data_dir()); "
            "print(len(n.load_network().corridors))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    site = str(tmp_path / "site")
    assert out[0].startswith(site), out
    assert out[1] == str(Path(site) / "ecomap" / "data" / "geo")
    from ecomap.network import load_network

    assert int(out[2]) == len(load_network(ROOT / "data" / "geo").corridors)
    # and the whole build runs there, on the data the wheel carries
    build = subprocess.run([sys.executable, "-c", "import sys; from ecomap.cli import main; sys.exit(main())",
                            "build", "--out", str(tmp_path / "out")], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    assert (tmp_path / "out" / "atlas.html").is_file()
    assert (tmp_path / "out" / "provenance.json").is_file()
