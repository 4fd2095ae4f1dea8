"""Usage errors (wrong choice, wrong type, unknown option) are one line and exit 2, no usage block."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["corridors", "--mode", "bogus"], "ecomap corridors: --mode: invalid choice 'bogus' (choose from"),
        (["corridors", "--neighbours", "12"], "ecomap corridors: --neighbours: invalid choice 12"),
        (["build", "--connectivity", "6"], "ecomap build: --connectivity: invalid choice 6"),
        (["sources", "--resolution", "abc"], "ecomap sources: --resolution: invalid"),
        (["nonsense"], "ecomap: COMMAND: invalid choice 'nonsense'"),
        (["import", "bogus"], "ecomap import: SOURCE: invalid choice 'bogus'"),
    ],
)
def test_usage_error_is_one_line_exit_2(args, expected, capsys):
    with pytest.raises(SystemExit) as e:
        run_cli(*args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(expected), err
    assert "usage:" not in err
    assert err.rstrip().endswith("--help")


OMNI_RES = str(__import__("pathlib").Path(__file__).parent / "data" / "omniscape" / "input" / "resistance.asc")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sources", "--landcover", "lc.tif", "--min-core-ha", "-1"], "ecomap: --min-core-ha -1: give an area"),
        (["sources", "--landcover", "lc.tif", "--min-core-ha", "nan"], "ecomap: --min-core-ha nan: give an area"),
        (["sources", "--landcover", "lc.tif", "--min-core-ha", "inf"], "ecomap: --min-core-ha inf: give an area"),
        (["corridors", "--mode", "advanced"], "ecomap: --mode advanced needs --sources S.tif and --grounds G.tif"),
        (["corridors", "--grounds", "g.tif"], "ecomap: --sources and --grounds go with --mode advanced only"),
        (["corridors", "--roads", "nonsense"], "ecomap: --roads nonsense: no such file; give 'network'"),
        (["omniscape", OMNI_RES, "--radius", "0"], "ecomap: --radius 0: give a whole number of cells >= 1"),
        (["omniscape", OMNI_RES, "--radius", "3", "--block-size", "0"], "ecomap: --block-size 0: give"),
        (["omniscape", OMNI_RES, "--radius", "3", "--buffer", "-1"], "ecomap: --buffer -1: give"),
    ],
)
def test_bad_option_values_name_the_option(args, expected, tmp_path, capsys):
    assert run_cli(*args, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(expected), err
    assert not (tmp_path / "o").exists()


def test_select_sources_refuses_a_negative_core_area():
    import numpy as np
    from affine import Affine

    from ecomap import InputError
    from ecomap.corridors import select_sources

    with pytest.raises(InputError, match="min_core_area_ha -1.0 must be a finite area"):
        select_sources(np.full((4, 4), 17, dtype=np.uint8), transform=Affine.identity(), cellsize=1.0,
                       min_core_area_ha=-1.0)


@pytest.mark.parametrize("command", [["build"], ["corridors"], ["sources", "--landcover", "lc.tif"],
                                     ["omniscape", OMNI_RES, "--radius", "3"]])
@pytest.mark.parametrize("under", [False, True])
def test_an_output_folder_that_is_a_file_is_refused_before_any_work(command, under, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("precious")
    out = notes / "run" if under else notes
    with pytest.raises(SystemExit) as e:
        run_cli(*command, "--out", out)
    assert e.value.code == 2
    err = capsys.readouterr().err
    where = f"{notes} is a file" if under else "it is a file"
    assert err == f"ecomap {command[0]}: --out: {out}: {where}, not a folder; give a folder; see ecomap {command[0]} --help\n"
    assert notes.read_text() == "precious" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # root may write anywhere but on a read-only mount: stand in for one (access(2) says EROFS there)
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: str(p) != str(locked) and real_access(p, mode, **kw))
    with pytest.raises(SystemExit) as e:
        run_cli("corridors", "--out", locked / "c")
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err == (f"ecomap corridors: --out: {locked / 'c'}: {locked} is not writable; give a folder you can "
                   "write to; see ecomap corridors --help\n")
    assert list(locked.iterdir()) == []


def test_corridor_outputs_under_a_file_are_a_write_error(tmp_path):
    from ecomap.corridors.outputs import write_corridor_outputs
    from ecomap.io import WriteError

    (tmp_path / "f").write_text("x")
    with pytest.raises(WriteError, match=r"f/c: not written \(Not a directory\)"):
        write_corridor_outputs(None, tmp_path / "f" / "c")
