"""One factorization a process: the circuit's factor built once where its tasks run, reused by them.

Private to :mod:`ecomap.corridors._pairloop`. A task names the circuit by a digest of its arrays
(:func:`digest`, computed once by the client) and :func:`use` gives it that circuit's state
(factors, and whatever the tasks add to it), built by the first task that asks in this process
(a Dask worker, or this process for the serial run) and reused by the others. A factor object
(CHOLMOD's, SuperLU's) does not pickle, so it is built where it is used and never sent.

One entry at a time: a new digest drops the previous state before building its own, so a worker
holds at most one circuit's factor (as the memory estimate assumes); :func:`drop` frees it at the
end of a run. Tasks in one process take turns on the state (CHOLMOD's solves share a workspace;
the OpenBLAS thread count is process-wide), so use one thread a worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator

import numpy as np

_lock = threading.RLock()
_entries: dict[str, object] = {}
_built = 0


def digest(*parts) -> str:
    """A digest of arrays (dtype, shape and bytes) and plain values (``repr``): the key of a circuit."""
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(f"array {a.dtype.str} {a.shape};".encode())
            h.update(a.tobytes())
        else:
            h.update(f"value {p!r};".encode())
    return h.hexdigest()


@contextlib.contextmanager
def use(key: str, build: Callable[[], object]) -> Iterator[object]:
    """The state of circuit ``key`` in this process, built by ``build()`` if not held; held for the block."""
    global _built
    with _lock:
        if key not in _entries:
            _entries.clear()  # the old factor goes before the new one is built
            _entries[key] = build()
            _built += 1
        yield _entries[key]


def drop(key: str | None = None) -> int:
    """Forget circuit ``key`` (all when None); the number of circuits still held."""
    with _lock:
        if key is None:
            _entries.clear()
        else:
            _entries.pop(key, None)
        return len(_entries)


def builds() -> int:
    """How many circuit states (factorizations) this process has built since it started."""
    return _built
