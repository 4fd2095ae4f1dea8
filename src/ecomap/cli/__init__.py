"""The ``ecomap`` command: a thin shell that parses options, calls the Python API and prints.

Each sub-command has an ``_add_<name>`` function that declares its options and a
``_run_<name>`` function that calls the API, in the file of its family (``data``,
``analysis``, ``explore``, ``bridges``); shared options live in ``options``. Task modules
are imported inside the run functions so that ``ecomap --help`` stays fast.
"""

from __future__ import annotations

from .main import COMMANDS, main, parser

__all__ = ["main", "parser", "COMMANDS"]
