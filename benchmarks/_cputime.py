"""CPU-time companion to ``benchmarks._common.alternate``: steadier ratios on a shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["cpu_timed"]


def cpu_timed(run: Callable[[], None], seconds: list[float]) -> Callable[[], None]:
    """``run``, appending the CPU time of this thread per call to ``seconds``.

    On a shared machine wall time also counts the time other processes hold the core; this
    thread's CPU time does not, so its ratios are steadier (single-threaded contenders only).
    """

    def timed() -> None:
        t0 = time.thread_time()
        run()
        seconds.append(time.thread_time() - t0)

    return timed
