"""Memory bandwidth of this machine, STREAM-style: the triad ``a[i] = b[i] + s * c[i]``.

Memory-bound kernels (a value-iteration sweep, a vector-env step) are judged against what the
memory system can deliver: ``bytes the kernel must move / bandwidth`` is a lower bound on its
time.  :func:`triad_bandwidth` measures that bandwidth with McCalpin's STREAM triad, compiled
with numba like the kernels it is compared with, on arrays far larger than the last-level
cache, counting 24 bytes per element (read ``b`` and ``c``, write ``a``; STREAM's convention,
which ignores the write-allocate read) and keeping the best of several repeats (STREAM's rule).
Serial and multi-threaded figures are separate: compare a serial kernel with the serial one.

>>> bw = triad_bandwidth(n_elements=2**16, repeats=2)
>>> bw["bytes_per_s"] > 0 and bw["bytes"] == 24 * 2**16
True
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numba import njit, prange

__all__ = ["TRIAD_BYTES_PER_ELEMENT", "triad_bandwidth"]

TRIAD_BYTES_PER_ELEMENT = 24


@njit(cache=True, nogil=True)
def _triad(a, b, c, s):  # pragma: no cover - compiled
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=True, nogil=True, parallel=True)
def _triad_parallel(a, b, c, s):  # pragma: no cover - compiled
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


def triad_bandwidth(n_elements: int = 2**24, repeats: int = 7, parallel: bool = False) -> dict[str, Any]:
    """Best-of-``repeats`` STREAM triad bandwidth.

    Parameters
    ----------
    n_elements : int
        Elements per array (float64); the default, 3 x 128 MiB, dwarfs any cache.
    repeats : int
        Timed repetitions after one warm-up; the fastest counts.
    parallel : bool
        Use all numba threads (``prange``) instead of one.

    Returns
    -------
    dict
        ``bytes_per_s`` (best), ``median_bytes_per_s``, ``seconds`` (best), ``bytes`` per call,
        ``n_elements``, ``threads``.
    """
    if isinstance(n_elements, bool) or not isinstance(n_elements, (int, np.integer)) or n_elements < 1:
        raise ValueError(f"n_elements must be a positive integer, got {n_elements!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    fn = _triad_parallel if parallel else _triad
    b = np.full(n_elements, 1.0)
    c = np.full(n_elements, 2.0)
    a = np.empty(n_elements)
    fn(a, b, c, 3.0)  # compile / page in
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(a, b, c, 3.0)
        times.append(time.perf_counter() - t0)
    nbytes = TRIAD_BYTES_PER_ELEMENT * n_elements
    import numba

    return {
        "bytes_per_s": nbytes / min(times),
        "median_bytes_per_s": nbytes / float(np.median(times)),
        "seconds": min(times),
        "bytes": nbytes,
        "n_elements": int(n_elements),
        "threads": numba.get_num_threads() if parallel else 1,
    }
