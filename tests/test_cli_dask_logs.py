"""Without -v the CLI keeps dask/distributed loggers at WARNING (a LocalCluster printed ~33 INFO lines)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import logging
import os
from ecomap.cli.main import _quiet_dask
_quiet_dask({verbose})
import distributed  # sets its loggers from dask's config on import
print(logging.getLogger("distributed").getEffectiveLevel(), logging.getLogger("distributed.scheduler").getEffectiveLevel())
"""


@pytest.mark.parametrize(("verbose", "level"), [(0, logging.WARNING), (1, logging.INFO), (2, logging.DEBUG)])
def test_distributed_loggers_follow_verbose_when_imported_later(verbose, level):
    pytest.importorskip("distributed")
    out = subprocess.run([sys.executable, "-c", CHECK.format(verbose=verbose)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}, check=True).stdout.split()
    assert out == [str(level), str(level)]


def test_distributed_loggers_quiet_when_imported_before(monkeypatch):
    pytest.importorskip("distributed")
    from ecomap.cli.main import _quiet_dask

    monkeypatch.delenv("DASK_LOGGING__DISTRIBUTED", raising=False)
    before = {n: logging.getLogger(n).level for n in ("distributed", "dask")}
    try:
        _quiet_dask(0)
        assert not logging.getLogger("distributed.scheduler").isEnabledFor(logging.INFO)
        _quiet_dask(1)
        assert logging.getLogger("distributed.scheduler").isEnabledFor(logging.INFO)
    finally:
        for n, lv in before.items():
            logging.getLogger(n).setLevel(lv)
