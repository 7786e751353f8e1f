"""Numba threads for one call: the ``threads`` argument's check and a context manager that sets them."""

from __future__ import annotations

from typing import Any

from ._checks import check_int

__all__ = ["check_threads", "numba_threads"]


def check_threads(threads: Any) -> int:
    """An integer >= 1 (not a bool): the numba threads a call may use."""
    return check_int(threads, "threads", 1)


class numba_threads:
    """Context manager: run with ``n`` numba threads (at most numba's pool, ``NUMBA_NUM_THREADS``),
    then restore the previous count."""

    def __init__(self, n: int) -> None:
        import numba

        pool = int(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009 (untyped module attribute)
        self.numba, self.n, self.old = numba, min(n, pool), 0

    def __enter__(self) -> None:
        self.old = self.numba.get_num_threads()
        self.numba.set_num_threads(self.n)

    def __exit__(self, *exc: Any) -> None:
        self.numba.set_num_threads(self.old)
