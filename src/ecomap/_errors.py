"""Errors raised by ecomap, and the problems that validation reports."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EcomapError", "InputError", "DataError", "Problem", "EcomapWarning"]


class EcomapError(Exception):
    """Base of every error ecomap raises on purpose; the CLI exits 1 for these."""

    exit_code = 1


class InputError(EcomapError, ValueError):
    """Bad input from the user (a file, a row, an option); the CLI exits 2.

    Also a :class:`ValueError`, so callers can catch it as the builtin (as rasterio's
    errors are), e.g. ``except ValueError``.
    """

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One broken rule in one feature of one file.

    ``str(problem)`` is the one-line form the CLI prints:
    ``FILE: feature ID: rule broken``.
    """

    file: str
    feature: str | None
    rule: str

    def __str__(self) -> str:
        where = f"feature {self.feature}" if self.feature is not None else "file"
        return f"{self.file}: {where}: {self.rule}"


class DataError(InputError):
    """A data folder or file broke one or more rules; ``problems`` lists them all."""

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
    """

