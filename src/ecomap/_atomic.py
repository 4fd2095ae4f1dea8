"""Crash-safe writes: one file, or one folder, replaced all or nothing.

The one mechanism every output goes through (re-exported by :mod:`ecomap.io`):

- :func:`atomic_write` makes a private (0700) temporary folder beside the destination
  (``.<name>.<pid>.<random>.tmp``); the writer creates the file in there by name, so no
  one else can plant a symlink under that name. The file is then checked (read back
  for GDAL formats, which do not always report a full disk), ``fsync``'ed, given the
  old file's mode, renamed over the destination and the folder ``fsync``'ed.
- :func:`atomic_folder` builds a whole folder beside the destination and swaps it in
  with one ``renameat2(RENAME_EXCHANGE)``, so after a kill at any point the folder is
  either the old or the new one; without ``replace`` it never removes a folder that is
  not empty.
- A set of files among others (a Shapefile's parts) is swapped through a journal that the
  next run completes (:mod:`ecomap._atomic_set`).
- Any ``OSError`` (disk full, read-only, permission) becomes :class:`WriteError`, an
  :class:`~ecomap.InputError` (exit 2) naming the file; the destination is unchanged.
- Temporaries left by a killed run (their process gone) are removed by the next write
  to the same name; a folder whose swap was cut in the middle is restored.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ._errors import InputError

__all__ = ["WriteError", "atomic_write", "atomic_folder", "write_bytes", "locked", "clean_stale",
           "verify_written", "output_folder"]

#: Errors of the file system a user can act on (disk full, read-only, no permission, quota).
_FS_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EIO, errno.EFBIG)
_FS_TEXTS = tuple(os.strerror(e) for e in _FS_ERRNOS)

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2


class WriteError(InputError):
    """A file or folder could not be written; nothing was replaced (the CLI exits 2)."""


def _write_error(path: Path | str, exc: BaseException) -> WriteError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _first(exc)
    if os.strerror(errno.ENOSPC) not in reason and _disk_full(Path(path).parent):
        reason += "; the disk is full"
    return WriteError(f"{path}: not written ({reason}); the previous version, if any, is unchanged")


def _disk_full(folder: Path) -> bool:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    # A pseudo file system (/proc, /sys) has no blocks at all: it is not full, it is no disk.
    return st.f_blocks > 0 and st.f_bavail * st.f_frsize < 256 * 1024


def _is_fs_error(exc: BaseException) -> bool:
    """A GDAL/pyogrio/rasterio error that is really the file system's (their texts carry strerror)."""
    return isinstance(exc, Exception) and any(t in str(exc) for t in _FS_TEXTS)


def _from_file_system(exc: BaseException, folder: Path) -> bool:
    """A writer's error that is the file system's: an OSError (rasterio's too) or GDAL's text.

    GDAL's "Cannot write feature" on a full disk names no cause: the disk is asked.
    """
    return not isinstance(exc, InputError) and (isinstance(exc, OSError) or _is_fs_error(exc)
                                                or _disk_full(folder))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _renameat2(src: Path, dst: Path, flags: int) -> None:
    """``renameat2(2)``; OSError(EINVAL or ENOSYS) where the system or file system lacks it."""
    fn = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 not available", str(src))
    if fn(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(src), None, str(dst))


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no libc (not Linux)
    _LIBC = None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) * path.is_dir())
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = Path(root) / f
            if not p.is_symlink():
                _fsync_path(p)
        _fsync_path(Path(root))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+\.(tmp|old)")


def clean_stale(folder: str | os.PathLike, name: str) -> None:
    """Remove the temporaries of ``name`` in ``folder`` left by a run that was killed.

    Only those whose process is gone are touched. A folder whose swap was cut between
    its two renames (``name`` missing, ``.name.*.old`` present) is renamed back.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder holding ``name``.
    name : str
        The file or folder name whose temporaries to clean.
    """
    folder = Path(folder)
    pat = _tmp_pattern(name)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        m = pat.fullmatch(e.name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        p = Path(e.path)
        if m.group(2) == "old" and not (folder / name).exists():
            with contextlib.suppress(OSError):
                os.rename(p, folder / name)
                continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()


def _mkdtemp(folder: Path, name: str, kind: str = "tmp") -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=f".{kind}", dir=folder))


# --- checking what a writer produced --------------------------------------------------------
def _verify_json(p: Path) -> None:
    import json

    with open(p, "rb") as fh:
        json.load(fh)


def _verify_xml(p: Path) -> None:
    import xml.etree.ElementTree as ET

    ET.parse(p)


def _verify_raster(p: Path) -> None:
    import rasterio

    with rasterio.open(p) as src:
        for i in range(1, src.count + 1):
            src.read(i)


def _verify_vector(p: Path) -> None:
    import warnings

    import pyogrio
    import pyogrio.raw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for layer in pyogrio.list_layers(p)[:, 0]:
            n = pyogrio.read_info(p, layer=layer)["features"]
            meta, _fids, _geom, _fields = pyogrio.raw.read(p, layer=layer)
            if _fields and n >= 0 and len(_fields[0]) != n:
                raise OSError(errno.EIO, f"{n} features announced, {len(_fields[0])} read", str(p))


def _verify_parquet(p: Path) -> None:
    import pyarrow.parquet as pq

    pq.read_table(p)


def _verify_png(p: Path) -> None:
    with open(p, "rb") as fh:
        head = fh.read(8)
        fh.seek(-12, os.SEEK_END)
        tail = fh.read(12)
    if head != b"\x89PNG\r\n\x1a\n" or tail[4:8] != b"IEND":
        raise OSError(errno.EIO, "incomplete PNG", str(p))


_VERIFY: dict[str, Callable[[Path], None]] = {
    ".geojson": _verify_json, ".json": _verify_json, ".kml": _verify_xml,
    ".tif": _verify_raster, ".tiff": _verify_raster,
    ".gpkg": _verify_vector, ".fgb": _verify_vector, ".shp": _verify_vector,
    ".parquet": _verify_parquet, ".png": _verify_png,
}


def _check_written(tmp: Path, verify) -> None:
    if not tmp.exists():
        raise OSError(errno.EIO, "the writer produced no file", str(tmp))
    check = _VERIFY.get(tmp.suffix.lower()) if verify is None else verify
    if not check:
        return
    try:
        check(tmp)
    except Exception as exc:  # a truncated file: GDAL, XML or JSON cannot read it back
        if isinstance(exc, OSError) and exc.errno in _FS_ERRNOS:
            raise
        raise OSError(errno.EIO, f"written file is incomplete, disk full? ({_first(exc)})", str(tmp)) from exc


def verify_written(path: str | os.PathLike) -> None:
    """Read a just-written file back by its suffix; OSError if it is missing or incomplete.

    GDAL drivers do not always report a full disk; a file that cannot be read back is
    the sign. Formats without a check (CSV, HTML, text) pass.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Raises
    ------
    OSError
        If the file is missing or cannot be read back in full.
    """
    _check_written(Path(path), None)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def _destination(path: Path, follow_symlinks: bool) -> Path:
    if follow_symlinks and path.is_symlink():
        return Path(os.path.realpath(path))
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str | None = None, verify=None,
                 follow_symlinks: bool = False) -> Iterator[Path]:
    """Yield a temporary path in a private folder beside ``path``; on success rename it over ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The destination; its folder is created if missing.
    suffix : str, optional
        The temporary file's suffix, if not ``path``'s own.
    verify : callable or False, optional
        Called with the temporary path before the rename; raising means the file is
        incomplete. Default: read back by suffix (GeoJSON/JSON, KML, GeoTIFF, GeoPackage,
        FlatGeobuf, Shapefile, GeoParquet, PNG). False: no check.
    follow_symlinks : bool, default False
        When ``path`` is a symlink, replace the file it points to (the link is kept).

    Yields
    ------
    pathlib.Path
        A path that does not exist yet, in a folder only this process writes; create
        the file there (by name, as GDAL does, or with :func:`os.open` ``O_EXCL``).

    Raises
    ------
    WriteError
        Any file system error (disk full, read-only, permission) while writing, checking
        or renaming; ``path`` is then unchanged and the temporary removed.
    """
    path = Path(path)
    dest = _destination(path, follow_symlinks)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(dest.parent, dest.name)
        tmpdir = _mkdtemp(dest.parent, dest.name)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    tmp = tmpdir / (dest.name if suffix is None else f"{dest.stem}{suffix}")
    try:
        try:
            yield tmp
        except Exception as exc:
            if _from_file_system(exc, dest.parent):
                raise _write_error(path, exc) from exc
            raise
        try:
            _check_written(tmp, verify)
            _fsync_path(tmp)
            try:
                st = os.stat(dest)
            except FileNotFoundError:
                pass
            else:
                os.chmod(tmp, st.st_mode & 0o7777)
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, dest)
            _fsync_path(dest.parent)
        except OSError as exc:
            raise _write_error(path, exc) from exc
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_bytes(path: str | os.PathLike, data: bytes, *, follow_symlinks: bool = False) -> Path:
    """Write ``data`` to ``path`` all or nothing, through an ``O_EXCL`` descriptor.

    Parameters
    ----------
    path : str or os.PathLike
        The destination; its folder is created if missing.
    data : bytes
        The whole content.
    follow_symlinks : bool, default False
        When ``path`` is a symlink, replace the file it points to.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    WriteError
        If it cannot be written in full; ``path`` is then unchanged.
    """
    with atomic_write(path, verify=False, follow_symlinks=follow_symlinks) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    return Path(path)


@contextlib.contextmanager
def locked(folder: str | os.PathLike, *, exclusive: bool, name: str = ".ecomap.lock") -> Iterator[None]:
    """Hold an ``fcntl.flock`` on ``folder/name`` for the block.

    An exclusive lock serialises writers (``bridges import``); a shared one lets readers
    (``build``) read a consistent folder. A folder where the lock file cannot be
    created (read-only) is read without a lock: no one writes there through ecomap.

    Parameters
    ----------
    folder : str or os.PathLike
        The data folder.
    exclusive : bool
        Exclusive (a writer) or shared (a reader).
    name : str, default ".ecomap.lock"
        The lock file's name in ``folder``.

    Yields
    ------
    None
        While the lock is held.
    """
    p = Path(folder) / name
    try:
        fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except OSError:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            if exclusive and Path(folder).is_dir():
                raise
            yield
            return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _swap_in(tmp: Path, dest: Path, *, replace: bool) -> None:
    """Put folder ``tmp`` at ``dest``: the old or the new folder is at ``dest`` at every instant."""
    if not replace:
        # rename(2) replaces only a missing or empty folder, atomically; never one with files
        try:
            os.rename(tmp, dest)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise InputError(f"{dest}: a folder with files appeared there while ecomap was writing; "
                                 "it was left as it is and nothing was written (use --overwrite to replace it)") from exc
            raise
        return
    if not dest.exists() and not dest.is_symlink():
        os.rename(tmp, dest)
        return
    try:
        _renameat2(tmp, dest, RENAME_EXCHANGE)
        old = tmp
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        # no atomic exchange here: two renames, undone on failure; a kill between them is
        # repaired by the next run (clean_stale renames ``.name.*.old`` back)
        old = _mkdtemp(dest.parent, dest.name, "old")
        os.rmdir(old)
        os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except BaseException:
            os.rename(old, dest)
            raise
    _fsync_path(dest.parent)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike, *, replace: bool = True, keep_existing: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it becomes ``path`` whole.

    Parameters
    ----------
    path : str or os.PathLike
        The destination folder.
    replace : bool, default True
        Replace an existing folder (swapped atomically, the old one then removed).
        Without it only a missing or empty folder is replaced, and a folder that holds
        files at the end raises :class:`InputError`, untouched.
    keep_existing : bool, default True
        Start from hard links of what ``path`` holds, so files not written again are
        kept (an export into a folder with other files).

    Yields
    ------
    pathlib.Path
        The folder to write into.

    Raises
    ------
    WriteError
        On any file system error; ``path`` is then unchanged.
    """
    path = Path(os.path.abspath(path))
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if path.exists() and not path.is_dir():  # never swap a user's file out for a folder
            raise WriteError(f"{path}: a file, not a folder; nothing written (give a folder, or remove the file)")
        clean_stale(parent, path.name)
        try:
            tmp = _mkdtemp(parent, path.name)
            old_mode = path.stat().st_mode & 0o7777 if path.is_dir() else 0o777 & ~_umask()
            os.chmod(tmp, old_mode)
            if keep_existing and path.is_dir():
                skip = re.compile(r"\..*\.\d+\.[A-Za-z0-9_]+\.(tmp|old)")
                shutil.copytree(path, tmp, symlinks=True, copy_function=_link_or_copy, dirs_exist_ok=True,
                                ignore=lambda _d, names: [n for n in names if skip.fullmatch(n)])
        except OSError as exc:
            raise _write_error(path, exc) from exc
        try:
            try:
                yield tmp
            except WriteError as exc:  # name the file where it was going, not the temporary folder
                raise WriteError(str(exc).replace(str(tmp), str(path))) from exc
            try:
                _fsync_tree(tmp)
                _swap_in(tmp, path, replace=replace)
            except OSError as exc:
                raise _write_error(path, exc) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        os.close(lock_fd)


def output_folder(path: str | os.PathLike):
    """:func:`atomic_folder` for an output folder (keeping its other files), or the folder itself.

    A folder that holds the working directory cannot be swapped (the shell would be
    left in the removed old one): it is written in place, file by file, each file still
    all or nothing.

    Parameters
    ----------
    path : str or os.PathLike
        The output folder.

    Returns
    -------
    contextlib.AbstractContextManager
        Yielding the folder to write into.
    """
    out = Path(path)
    here = Path.cwd().resolve()
    target = out.resolve()
    if target == here or target in here.parents:
        out.mkdir(parents=True, exist_ok=True)
        return contextlib.nullcontext(out)
    return atomic_folder(out, keep_existing=True)
