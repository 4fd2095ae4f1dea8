"""Run a script in real, headless QGIS: Debian's ``python3-qgis`` under the system Python.

QGIS's Python bindings live in the system interpreter (``/usr/bin/python3``), not in the
project's virtual environment, so each check runs as a subprocess with
``QT_QPA_PLATFORM=offscreen`` and prints one JSON object. Without QGIS the tests are
skipped, unless ``ECOMAP_REQUIRE_QGIS`` is set (CI sets it), in which case they fail:
``make sysdeps`` installs ``qgis`` and ``python3-qgis``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"

#: Start QGIS without a display; every script begins with it.
PRELUDE = """
import json, sys
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
"""


@functools.cache
def _qgis_missing() -> str | None:
    try:
        r = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{SYSTEM_PYTHON} cannot run: {e}"
    return None if r.returncode == 0 else f"{SYSTEM_PYTHON} -c 'import qgis.core' fails: {r.stderr.strip()[-200:]}"


def require_qgis() -> None:
    """Skip the calling test without QGIS, or fail when ``ECOMAP_REQUIRE_QGIS`` is set."""
    reason = _qgis_missing()
    if reason is None:
        return
    if os.environ.get("ECOMAP_REQUIRE_QGIS"):
        pytest.fail(f"ECOMAP_REQUIRE_QGIS is set but {reason} (make sysdeps installs qgis and python3-qgis)")
    pytest.skip(reason)


def run_qgis(script: str, *args: str | Path, timeout: float = 300) -> dict:
    """Run ``script`` (after :data:`PRELUDE`) in headless QGIS; return the JSON its last line prints."""
    require_qgis()
    runtime = tempfile.mkdtemp(prefix="qgis-runtime-")  # private (0700), as Qt wants it
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PREFIX_PATH": "/usr", "XDG_RUNTIME_DIR": runtime}
    env.pop("PYTHONPATH", None)  # the project's packages are not QGIS's
    try:
        r = subprocess.run([SYSTEM_PYTHON, "-X", "faulthandler", "-c", PRELUDE + script, *map(str, args)],
                           capture_output=True, text=True, timeout=timeout, env=env)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    assert r.returncode == 0, f"QGIS script failed ({r.returncode}):\n{r.stderr[-3000:]}"
    lines = [x for x in r.stdout.splitlines() if x.startswith("{")]
    assert lines, f"QGIS script printed no JSON:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return json.loads(lines[-1])
