"""A refused ``ecomap omniscape`` run leaves no --out folder behind (and keeps one that was there)."""

from __future__ import annotations

import pytest

from ecomap.cli import main
from tests.corridors.test_omniscape import DATA

RES = str(DATA / "input" / "resistance.asc")


@pytest.mark.parametrize("extra", [["--workers", "0"], ["--radius", "100000", "--block-size", "1"]])
def test_refused_run_leaves_no_folder(tmp_path, capsys, extra):
    out = tmp_path / "a" / "b"
    argv = ["omniscape", RES, "--radius", "5", "--out", str(out), *extra]
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_refused_run_keeps_a_folder_that_was_there(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["omniscape", RES, "--radius", "5", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
