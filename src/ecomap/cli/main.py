"""The ``ecomap`` command: a thin shell that parses options, calls the Python API and prints.

Each sub-command has an ``_add_<name>`` function that declares its options and a
``_run_<name>`` function that calls the API, in the file of its family (``data``,
``analysis``, ``explore``, ``bridges``); shared options live in ``options``. Task modules
are imported inside the run functions, and a command's options are declared only when that
command is chosen (:class:`_Commands`), so that ``ecomap --help`` stays fast: it loads
argparse and these files, not logging, json, the errors module or any task package.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "parser", "COMMANDS"]

#: Each command and the file of its family, where ``_add_<name>`` declares its options
#: and ``_run_<name>`` runs it; a family's file is imported when one of its commands is
#: listed or run (``ecomap query`` loads ``explore`` only).
_FAMILIES = {
    "build": "data", "validate": "data", "layers": "data", "import": "data", "query": "explore",
    "export": "data", "corridors": "analysis", "omniscape": "analysis", "sources": "analysis",
    "connectivity": "analysis", "map": "explore", "bridges": "bridges", "db": "data",
}


def _step(name: str, kind: str):
    """``_<kind>_<name>`` of the command's family file, imported on the first call."""

    def call(*args, **kwargs):
        import importlib

        module = importlib.import_module(f".{_FAMILIES[name]}", __package__)
        return getattr(module, f"_{kind}_{name}")(*args, **kwargs)

    call.__name__ = f"_{kind}_{name}"
    return call


COMMANDS = {name: (_step(name, "add"), _step(name, "run")) for name in _FAMILIES}


class _VersionAction(argparse.Action):
    """``--version``: read the version only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .. import __version__

        print(f"ecomap {__version__}")
        parser.exit()


def _columns() -> int:
    """The terminal's width, as ``shutil.get_terminal_size`` reads it (COLUMNS, then the tty, else 80)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, sized without importing shutil (which brings bz2 and lzma)."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help uses :class:`_Formatter`; its sub-parsers are ``_Parser`` too."""

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        """Print a usage error as one line naming the command and its ``--help``; exit 2."""
        message = message[len("argument ") :] if message.startswith("argument ") else message
        message = message.replace("invalid choice: ", "invalid choice ", 1)
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


class _Ignore:
    """Accepts any call and ignores it: a command's options while the commands are only listed."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: self


class _Commands(argparse._SubParsersAction):
    """The sub-commands; each declares its options only when it is chosen on the command line.

    ``add(self)`` runs twice per command: first while listing, when :meth:`add_parser`
    makes the sub-parser (name, help, description) and hands back an :class:`_Ignore` for
    the options; then, if the command is chosen, for real on the same sub-parser. Building
    every command's options cost ~15 ms of ``ecomap --help``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: dict = {}
        self._declaring = False

    def add_command(self, name: str, add) -> None:
        """List command ``name``; ``add(subparsers)`` declares it (see the class)."""
        self._pending[name] = add
        add(self)

    def add_parser(self, name, **kwargs):
        """Make the sub-parser while listing (options ignored); hand it back while declaring."""
        if self._declaring:
            return self._name_parser_map[name]
        super().add_parser(name, **kwargs)
        return _Ignore()

    def declare(self, name: str) -> argparse.ArgumentParser:
        """Declare the options of command ``name`` (once) and return its sub-parser."""
        add = self._pending.pop(name, None)
        if add is not None:
            self._declaring = True
            try:
                add(self)
            finally:
                self._declaring = False
        return self._name_parser_map[name]

    def __call__(self, parser, namespace, values, option_string=None):
        if values and values[0] in self._pending:
            self.declare(values[0])
        super().__call__(parser, namespace, values, option_string)


def parser(lazy: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``ecomap``.

    Parameters
    ----------
    lazy : bool
        Declare a command's options only when it is chosen (the default, fast start-up);
        False declares every command's options now (e.g. to inspect them).
    only : str, optional
        List only this command (what :func:`main` does once the command line names one):
        its options, help and errors are the same, and the other twelve sub-parsers are not
        built. None lists every command.

    Returns
    -------
    argparse.ArgumentParser
        The parser; its sub-commands action is a ``_Commands``.
    """
    p = _Parser(
        prog="ecomap",
        description="The ecological network of Pingshan District, Shenzhen: layers, connectivity, queries, maps.",
    )
    p.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, action=_Commands)
    for name, (add, _) in COMMANDS.items():
        if only is not None and name != only:
            continue
        sub.add_command(name, add)
        if not lazy:
            sub.declare(name)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``ecomap``; returns the exit code (0 ok, 2 bad input, 1 anything else)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(only=_chosen(argv)).parse_args(argv)
    import logging
    import warnings

    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    _quiet_dask(args.verbose)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(args)


def _chosen(argv: list[str]) -> str | None:
    """The command ``argv`` names after the top-level ``-v`` flags, if it is one.

    None, and so every command listed, when anything else comes first (``--help``,
    ``--version``, ``--``, an abbreviation, an unknown name): the full parser decides.
    """
    for token in argv:
        if not token.startswith("-"):
            return token if token in COMMANDS else None
        if token != "--verbose" and set(token[1:]) != {"v"}:
            return None
    return None


def _quiet_dask(verbose: int) -> None:
    """Keep dask's and distributed's loggers at WARNING unless ``-v`` (INFO) or ``-vv`` (DEBUG).

    distributed sets its loggers to INFO when imported (``logging.distributed`` of dask's
    config): the environment variable covers a later import and the worker processes, the
    levels an earlier import.
    """
    import logging

    level = "warning" if verbose == 0 else "info" if verbose == 1 else "debug"
    os.environ["DASK_LOGGING__DISTRIBUTED"] = level
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(level.upper())
    if "dask" in sys.modules:
        import dask

        dask.config.set({"logging.distributed": level})


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one line: ``ecomap: warning: ...`` (an EcomapWarning changes a result)."""
    print(f"ecomap: warning: {message}", file=sys.stderr if file is None else file)


def _run(args) -> int:
    """Run the chosen command; errors become one line and an exit code."""
    from .._errors import DataError, EcomapError, InputError

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
