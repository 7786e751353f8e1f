"""Shared timing and reporting for the benchmarks.

Every benchmark runs its contenders in one process, alternating between them for several
repeats (so slow drifts of a shared, noisy machine hit all of them alike), and reports the
median of each and its ratio to a reference contender.  Results are written as JSON and as a
Markdown table under ``bench_results/`` (or ``--out``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Measurement", "alternate", "machine_info", "markdown_table", "time_call", "write_results"]


@dataclass
class Measurement:
    """Repeated timings of one contender: seconds per call, plus an optional work count per call."""

    name: str
    seconds: list[float] = field(default_factory=list)
    work: float = 1.0  # units of work per call (steps, sweeps...), for throughput
    unit: str = "call"

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.seconds)

    @property
    def throughput(self) -> float:
        """Median units of work per second."""
        return self.work / self.median

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d.update(median_s=self.median, throughput=self.throughput)
        return d


def time_call(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call of ``fn`` (``time.perf_counter``)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def alternate(
    contenders: Mapping[str, Callable[[], Any]],
    repeats: int = 5,
    work: Mapping[str, float] | None = None,
    unit: str = "call",
    warmup: int = 1,
) -> dict[str, Measurement]:
    """Time each contender ``repeats`` times, round-robin, after ``warmup`` untimed rounds.

    Parameters
    ----------
    contenders : mapping name -> zero-argument callable
    repeats : int
        Timed rounds; each round calls every contender once, in order.
    work : mapping name -> float, optional
        Units of work one call performs (for throughput); default 1.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    out = {n: Measurement(n, work=(work or {}).get(n, 1.0), unit=unit) for n in contenders}
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    for _ in range(repeats):
        for n, fn in contenders.items():
            out[n].seconds.append(time_call(fn))
    return out


def machine_info() -> dict[str, Any]:
    """Where the numbers were measured: CPU, cores, Python and library versions."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    for mod in ("numpy", "numba", "gymnasium", "torch"):
        with contextlib.suppress(Exception):
            info[mod] = __import__(mod).__version__
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows of dicts as a Markdown table (floats to 4 significant digits)."""
    if not rows:
        return ""
    cols = list(columns or rows[0].keys())

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _strict(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    return obj


def write_results(
    name: str,
    rows: Sequence[Mapping[str, Any]],
    out_dir: str | os.PathLike = "bench_results",
    extra: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
) -> Path:
    """Write ``<out_dir>/<name>.json`` (rows, machine info, extra) and ``<name>.md``; return the JSON path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine_info(), "rows": list(rows), **(extra or {})}
    path = out / f"{name}.json"
    # strict JSON: non-finite numbers (a KL of an empty histogram, a target never reached) become null
    path.write_text(json.dumps(_strict(payload), indent=2, default=float, allow_nan=False))
    m = payload["machine"]
    md = f"### {name}\n\nMachine: {m['processor']}, {m['cpu_count']} cores, Python {m['python']}\n\n"
    (out / f"{name}.md").write_text(md + markdown_table(rows, columns) + "\n")
    return path
