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


def test_help_stays_within_argparse():
    """``--help`` loads argparse and the cli files only: no logging, json, pathlib, shutil, errors module."""
    probe = ("import contextlib, io, json, sys\nbefore = set(sys.modules)\nfrom ecomap.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main(['--help'])\n"
             "    except SystemExit:\n        pass\n"
             "print(json.dumps(sorted(set(sys.modules) - before)))")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & {"logging", "pathlib", "shutil", "dataclasses", "typing", "ecomap._errors"}, loaded


def test_package_logger_is_silent_once_a_task_module_loads():
    assert "NullHandler" in _loaded_handlers("import ecomap.network")
    assert "NullHandler" in _loaded_handlers("import ecomap.corridors.links")


def _loaded_handlers(code: str) -> str:
    probe = f"{code}\nimport logging\nprint([type(h).__name__ for h in logging.getLogger('ecomap').handlers])"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                          check=True).stdout


def _walk(parser, path=()):
    """Every (command path, help text) of ``parser`` and its sub-parsers, declaring lazy ones."""
    import argparse

    yield path, parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name in list(action._name_parser_map):
                sub = action.declare(name) if hasattr(action, "declare") else action._name_parser_map[name]
                yield from _walk(sub, (*path, name))


def test_lazy_commands_declare_the_same_options_as_eager_ones():
    from ecomap.cli import parser

    lazy, eager = dict(_walk(parser())), dict(_walk(parser(lazy=False)))
    assert len(eager) > 20 and lazy == eager
    for argv in (["query", "bridges", "--near", "114.3,22.7", "--radius", "50"], ["build"],
                 ["map", "--out", "m.html"], ["bridges", "list", "--format", "json"], ["corridors", "--no-circuit"]):
        assert vars(parser().parse_args(argv)) == vars(parser(lazy=False).parse_args(argv))


def test_lazy_commands_keep_path_defaults_and_errors(capsys):
    from pathlib import Path

    from ecomap.cli import parser

    assert parser().parse_args(["build"]).out == Path("outputs")
    assert parser().parse_args(["map"]).out == Path("map.html")
    with pytest.raises(SystemExit):
        parser().parse_args(["nosuch"])
    assert "invalid choice 'nosuch'" in capsys.readouterr().err


def test_python_dash_m_ecomap_is_the_command():
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-m", "ecomap", "query", "--help"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "usage: ecomap query" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "ecomap", "no-such-command"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2


@pytest.mark.parametrize("argv", [
    ["query", "bridges", "--near", "114.3,22.7", "--radius", "50"], ["-v", "query", "bridges", "--where", "x"],
    ["-vv", "--verbose", "map", "--out", "m.html"], ["bridges", "list", "--format", "json"], ["build"],
])
def test_a_parser_of_the_chosen_command_parses_as_the_full_one(argv):
    from ecomap.cli import parser
    from ecomap.cli.main import _chosen

    name = _chosen(argv)
    assert name == next(t for t in argv if not t.startswith("-"))
    only, full = parser(only=name), parser()
    assert vars(only.parse_args(argv)) == vars(full.parse_args(argv))
    assert dict(_walk(parser(only=name)))[(name,)] == dict(_walk(parser()))[(name,)]


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h", "query"], ["-vh", "query"], ["--he", "query"], ["--version"],
                                  ["--", "query"], ["nosuch"], ["-x", "query"], ["--verb", "query"]])
def test_anything_else_gets_the_full_parser(argv):
    from ecomap.cli.main import _chosen

    assert _chosen(argv) is None


def test_errors_of_the_chosen_command_are_the_same(capsys):
    from ecomap.cli import main

    for argv in (["query"], ["query", "bridges", "--radius", "x"], ["-v", "query", "bridges", "--nosuch"]):
        with pytest.raises(SystemExit) as fast:
            main(argv)
        fast_err = capsys.readouterr().err
        from ecomap.cli import parser

        with pytest.raises(SystemExit) as full:
            parser().parse_args(argv)
        assert fast.value.code == full.value.code == 2 and fast_err == capsys.readouterr().err
