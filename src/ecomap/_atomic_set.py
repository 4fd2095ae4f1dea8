"""A set of files that belong together (a Shapefile's parts) replaced old-or-new, through a journal.

A Shapefile is several files beside each other (``x.shp``, ``x.shx``, ``x.dbf``,
``x.prj``, ``x.cpg``, and ecomap's ``x.fields.csv``) that are only meaningful together.
A folder can be swapped in with one rename (:func:`ecomap._atomic.atomic_folder`); a set
of names among other files cannot, since no system call renames several names at once.
:func:`atomic_file_set` replaces the set through a journal instead, with
:mod:`ecomap._atomic`'s private temporary folder, read-back check, ``fsync`` and
error handling:

1. The writer writes every part into a private (0700) folder beside the destination,
   ``.x.shp.<pid>.<random>.set/new/``; the main file is read back
   (:func:`~ecomap._atomic.verify_written`), each part gets the mode of the part it
   replaces, and all are ``fsync``'ed. The destination has not been touched.
2. The journal ``manifest.json`` (the new parts in rename order, the main file last,
   and the stale parts to remove: old parts such as a ``.qix`` index that the new set
   does not have) is written as ``manifest.tmp``, ``fsync``'ed and renamed into place,
   then the folder is ``fsync``'ed. That rename is the commit point.
3. Under an exclusive ``flock`` on the destination folder, the stale parts are
   removed, each new part is renamed over its namesake, the folder is ``fsync``'ed and
   the journal removed.

**The guarantee, exactly.** Let a run be killed (``kill -9``, or the machine loses
power) at any instant. If the commit point was not reached, the destination holds the
old set, untouched, and the journal is deleted by the next run. If it was, every new
part is in the journal or already in place, and the next run redoes step 3 (each of
its actions can be repeated), so the destination holds the new set. After the next
run's cleanup the parts are therefore all old or all new, never a mix. "The next run"
is the next :func:`atomic_file_set` into that folder (an ``export --out x.shp``), or
:func:`recover_file_sets` (an export into a folder copies the old folder's journals
with it, and its next Shapefile write completes them). A journal is recovered only when no process holds its ``flock``
(its writer holds it from creating the journal to the end), so a live run's journal is
never touched; two runs on one folder serialise their step 3 and recoveries on the
folder's ``flock``.

What it does not give: a program that opens the parts during step 3 (a few renames),
or after a kill and before the next run, can find parts of both sets; it is not
ecomap's reader of record (QGIS, GDAL). A failure other than a kill during step 3 (an
``OSError`` from a rename) leaves the journal for the next run and raises
:class:`~ecomap._atomic.WriteError` saying so.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from ._atomic import (
    WriteError,
    _check_written,
    _from_file_system,
    _fsync_path,
    _mkdtemp,
    _write_error,
    clean_stale,
)

__all__ = ["atomic_file_set", "recover_file_sets", "SHAPEFILE_PARTS"]

#: Parts of a Shapefile that describe its data: an old one the new set lacks is removed
#: (a stale ``.qix`` index or ``.cpg`` would misdescribe the new ``.dbf``). A ``.qml``
#: or ``.qmd`` (a user's QGIS style or metadata) is replaced when ecomap writes one, and
#: otherwise kept.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fields.csv")

_JOURNAL = re.compile(r"\..+\.\d+\.[A-Za-z0-9_]+\.set")
_MANIFEST = "manifest.json"


@contextlib.contextmanager
def _folder_lock(folder: Path, *, blocking: bool = True) -> Iterator[bool]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _lock_journal(journal: Path) -> int | None:
    """An fd holding ``journal``'s exclusive flock, or None if a live run holds it."""
    try:
        fd = os.open(journal, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _commit(journal: Path, folder: Path) -> None:
    """Step 3 from the journal's manifest: every action can be repeated after a kill."""
    manifest = json.loads((journal / _MANIFEST).read_text(encoding="utf-8"))
    for name in manifest["stale"]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)
    for name in manifest["parts"]:
        part = journal / "new" / name
        if os.path.lexists(part):  # else already in place
            os.replace(part, folder / name)
    _fsync_path(folder)
    shutil.rmtree(journal)


def _recover(folder: Path) -> list[str]:
    done = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not _JOURNAL.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        journal = Path(entry.path)
        fd = _lock_journal(journal)
        if fd is None:
            continue
        try:
            if (journal / _MANIFEST).exists():
                _commit(journal, folder)  # committed: finish it, the new set
                done.append(entry.name)
            else:
                shutil.rmtree(journal, ignore_errors=True)  # not committed: the old set is untouched
        finally:
            os.close(fd)
    return done


def recover_file_sets(folder: str | os.PathLike, *, wait: bool = True) -> list[str]:
    """Finish or discard the file-set swaps that killed runs left in ``folder``.

    A journal with a manifest (the run was killed after its commit point) is completed,
    so its set becomes the new one; one without is deleted (its set was never touched).
    Journals whose writer still runs (it holds their ``flock``) are left alone.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder holding the sets.
    wait : bool, default True
        Wait for a run that is swapping a set in this folder; False skips the recovery
        when one is (for opportunistic callers).

    Returns
    -------
    list of str
        The journals completed (their names), in name order.
    """
    folder = Path(folder)
    try:
        with _folder_lock(folder, blocking=wait) as held:
            return _recover(folder) if held else []
    except OSError:  # no folder, or one this user cannot write: nothing ecomap left there
        return []


def _journal_for(path: Path) -> tuple[Path, int]:
    """The journal folder of a new set of ``path``, created and flocked under the folder's lock."""
    with _folder_lock(path.parent):
        _recover(path.parent)
        journal = _mkdtemp(path.parent, path.name, "set")
        fd = _lock_journal(journal)
        assert fd is not None  # just made, and recoveries wait for the folder's lock
    (journal / "new").mkdir(mode=0o700)
    return journal, fd


def _prepare(journal: Path, path: Path, stale_suffixes: Iterable[str], verify) -> None:
    """Steps 1-2: check, mode, fsync the parts, then commit the manifest."""
    new = journal / "new"
    _check_written(new / path.name, verify)
    parts = sorted((p.name for p in new.iterdir()), key=lambda n: (n == path.name, n))
    for name in parts:
        with contextlib.suppress(FileNotFoundError):
            st = os.stat(path.parent / name)
            os.chmod(new / name, st.st_mode & 0o7777)
        _fsync_path(new / name)
    _fsync_path(new)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    stale = [f"{stem}{s}" for s in stale_suffixes
             if f"{stem}{s}" not in parts and os.path.lexists(path.parent / f"{stem}{s}")]
    tmp = journal / "manifest.tmp"
    tmp.write_text(json.dumps({"parts": parts, "stale": stale}), encoding="utf-8")
    _fsync_path(tmp)
    os.rename(tmp, journal / _MANIFEST)  # the commit point
    _fsync_path(journal)


@contextlib.contextmanager
def atomic_file_set(path: str | os.PathLike, *, stale_suffixes: Iterable[str] = SHAPEFILE_PARTS,
                    verify=None) -> Iterator[Path]:
    """Yield the main file's temporary path; every file written beside it replaces its namesake as one set.

    Parameters
    ----------
    path : str or os.PathLike
        The set's main file (``x.shp``); its folder is created if missing. Parts are
        the files the writer puts in the yielded path's folder (``x.shx``, ``x.dbf``…).
    stale_suffixes : iterable of str, default SHAPEFILE_PARTS
        Suffixes (after the stem) of old parts to remove when the new set lacks them.
    verify : callable or False, optional
        Check of the main file before the commit (as :func:`~ecomap._atomic.atomic_write`;
        default: read back by suffix).

    Yields
    ------
    pathlib.Path
        Where to write the main file, in a folder only this process writes.

    Raises
    ------
    WriteError
        Any file system error while writing, checking or committing; before the commit
        point the set is unchanged, after it the next run completes the new set.
    """
    path = Path(os.path.abspath(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path.parent, path.name)
        journal, fd = _journal_for(path)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    committed = False
    try:
        try:
            yield journal / "new" / path.name
        except Exception as exc:
            if _from_file_system(exc, path.parent):
                raise _write_error(path, exc) from exc
            raise
        try:
            _prepare(journal, path, stale_suffixes, verify)
        except OSError as exc:
            raise _write_error(path, exc) from exc
        committed = True
        try:
            with _folder_lock(path.parent):
                _commit(journal, path.parent)
        except OSError as exc:
            raise WriteError(f"{path}: cut while its parts were being replaced ({exc.strerror or exc}); "
                             "the next ecomap run in this folder completes the new set") from exc
    finally:
        if not committed:
            shutil.rmtree(journal, ignore_errors=True)
        os.close(fd)

