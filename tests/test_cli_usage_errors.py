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
