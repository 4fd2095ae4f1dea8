"""Errors raised by ecomap, and the problems that validation reports."""

from __future__ import annotations

import logging
from dataclasses import dataclass

__all__ = ["EcomapError", "InputError", "DataError", "Problem", "EcomapWarning"]

# The package logger stays silent unless the application configures logging. It lives here,
# not in ecomap/__init__, because every module that logs imports this one and ``ecomap --help``
# imports neither (logging costs ~10 ms of start-up).
logging.getLogger("ecomap").addHandler(logging.NullHandler())


class EcomapError(Exception):
    """Base of every error ecomap raises on purpose; the CLI exits 1 for these.

    Attributes
    ----------
    exit_code : int
        The command line's exit status for this error: 1.
    """

    exit_code = 1


class InputError(EcomapError, ValueError):
    """Bad input from the user (a file, a row, an option); the CLI exits 2.

    Also a :class:`ValueError`, so callers can catch it as the builtin (as rasterio's
    errors are), e.g. ``except ValueError``.

    Attributes
    ----------
    exit_code : int
        The command line's exit status for this error: 2.

    References
    ----------
    rasterio's ``rasterio.errors``, whose errors mix in builtins (``CRSError(ValueError)``).
    """

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One broken rule in one feature of one file.

    ``str(problem)`` is the one-line form the CLI prints:
    ``FILE: feature ID: rule broken`` (``FILE: file: rule broken`` for a rule of the
    whole file).

    Parameters
    ----------
    file : str
        The file (or folder) the rule was checked in, as a path string.
    feature : str or None
        The feature's ``id`` (``#n`` for the n-th feature when it has none), or None when
        the rule concerns the whole file.
    rule : str
        The rule broken, in words.
    """

    file: str
    feature: str | None
    rule: str

    def __str__(self) -> str:
        where = f"feature {self.feature}" if self.feature is not None else "file"
        return f"{self.file}: {where}: {self.rule}"


class DataError(InputError):
    """A data folder or file broke one or more rules; ``problems`` lists them all.

    An :class:`InputError`, so also a :class:`ValueError`; the CLI exits 2. Its message
    is every problem, one per line.

    Parameters
    ----------
    problems : list of Problem or str, Problem or str
        The problems found; a single one is taken as a list of one.

    Attributes
    ----------
    problems : list of Problem or str
        Every problem, in the order found.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str | Problem):
            problems = [problems]  # type: ignore[list-item]
        self.problems: list[Problem | str] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EcomapWarning(UserWarning):
    """A condition that changes a result without stopping it.

    Raised with :func:`warnings.warn` (not only logged), e.g. when an iterative solver did
    not converge to its tolerance or a fallback extent was used, so a notebook user sees
    it and a test can turn it into an error with ``-W error::ecomap.EcomapWarning``.

    References
    ----------
    rasterio's warning classes in ``rasterio.errors`` (e.g. ``NotGeoreferencedWarning``).
    """

