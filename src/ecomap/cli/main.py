"""The ``ecomap`` command: a thin shell that parses options, calls the Python API and prints.

Each sub-command has an ``_add_<name>`` function that declares its options and a
``_run_<name>`` function that calls the API, in the file of its family (``data``,
``analysis``, ``explore``, ``bridges``); shared options live in ``options``. Task modules
are imported inside the run functions so that ``ecomap --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from .._errors import DataError, EcomapError, InputError
from .analysis import (
    _add_connectivity,
    _add_corridors,
    _add_omniscape,
    _add_sources,
    _run_connectivity,
    _run_corridors,
    _run_omniscape,
    _run_sources,
)
from .bridges import _add_bridges, _run_bridges
from .data import (
    _add_build,
    _add_db,
    _add_export,
    _add_import,
    _add_layers,
    _add_validate,
    _run_build,
    _run_db,
    _run_export,
    _run_import,
    _run_layers,
    _run_validate,
)
from .explore import _add_map, _add_query, _run_map, _run_query

__all__ = ["main", "parser", "COMMANDS"]

log = logging.getLogger("ecomap")


COMMANDS = {
    "build": (_add_build, _run_build),
    "validate": (_add_validate, _run_validate),
    "layers": (_add_layers, _run_layers),
    "import": (_add_import, _run_import),
    "query": (_add_query, _run_query),
    "export": (_add_export, _run_export),
    "corridors": (_add_corridors, _run_corridors),
    "omniscape": (_add_omniscape, _run_omniscape),
    "sources": (_add_sources, _run_sources),
    "connectivity": (_add_connectivity, _run_connectivity),
    "map": (_add_map, _run_map),
    "bridges": (_add_bridges, _run_bridges),
    "db": (_add_db, _run_db),
}


class _VersionAction(argparse.Action):
    """``--version``: read the version only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .. import __version__

        print(f"ecomap {__version__}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``ecomap``."""
    p = argparse.ArgumentParser(
        prog="ecomap",
        description="The ecological network of Pingshan District, Shenzhen: layers, connectivity, queries, maps.",
    )
    p.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``ecomap``; returns the exit code (0 ok, 2 bad input, 1 anything else)."""
    args = parser().parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(args)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one line: ``ecomap: warning: ...`` (an EcomapWarning changes a result)."""
    print(f"ecomap: warning: {message}", file=sys.stderr if file is None else file)


def _run(args) -> int:
    """Run the chosen command; errors become one line and an exit code."""
    try:
        return COMMANDS[args.command][1](args)
    except DataError as exc:
        for p in exc.problems:
            print(f"ecomap: {p}", file=sys.stderr)
        return exc.exit_code
    except (InputError, EcomapError) as exc:
        print(f"ecomap: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecomap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an ecomap bug: one line, the traceback with -v
        if args.verbose:
            raise
        print(f"ecomap: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
