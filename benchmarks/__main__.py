"""Run the benchmark suite: ``python -m benchmarks [--quick] [--out DIR] [names...]`` (``make bench``).

Every public module ``benchmarks/<name>.py`` (no leading underscore) is a benchmark with a
``main(argv)`` that accepts ``--quick`` and ``--out DIR`` and writes ``<name>.json`` and
``<name>.md`` there.  This runner runs them one after the other (all, or the ``names`` given),
then writes ``summary.md`` (every table, under the machine they ran on) and ``summary.json``
(every result file) into the same directory.  A benchmark that fails is reported and the others
still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from ._common import machine_info

__all__ = ["available", "main"]

#: Run first, in this order (the rest follow alphabetically).
ORDER = ("env_step", "vector_step", "planners", "cold_start")


def available() -> list[str]:
    """Names of the benchmark modules in this package, in run order."""
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")]
    return [n for n in ORDER if n in names] + sorted(n for n in names if n not in ORDER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks and write the summary; return the exit status (0: all ran).

    Parameters
    ----------
    argv : list of str, optional
        ``--quick``, ``--out DIR`` (default ``bench_results``), then benchmark names (default: all).
    """
    names_all = available()
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budgets (a smoke test of every benchmark)")
    p.add_argument("--out", default="bench_results", help="output directory (default bench_results)")
    p.add_argument("names", nargs="*", metavar="name", help=f"benchmarks to run (default all: {', '.join(names_all)})")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in names_all]
    if unknown:
        p.error(f"unknown benchmark(s) {unknown}; available: {names_all}")
    names = args.names or names_all
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    failed: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name in names:
        print(f"\n== {name} ==", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            module.main((["--quick"] if args.quick else []) + ["--out", str(out)])
        except Exception:
            failed[name] = traceback.format_exc()
            print(failed[name], file=sys.stderr)
        seconds[name] = time.perf_counter() - t0

    summary = write_summary(out, names, quick=args.quick, failed=failed, seconds=seconds)
    print(f"\nwrote {summary} and {summary.with_suffix('.json')}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def write_summary(
    out: Path, names: Sequence[str], quick: bool, failed: dict[str, str], seconds: dict[str, float]
) -> Path:
    """Combine the ``*.json`` / ``*.md`` results in ``out`` of the benchmarks in ``names`` into ``summary.*``."""
    m = machine_info()
    lines = [
        "# lecturegrid benchmarks" + (" (--quick: smoke-test budgets, not representative)" if quick else ""),
        "",
        f"Machine: {m['processor']}, {m['cpu_count']} cores, {m['platform']}, Python {m['python']}, "
        + ", ".join(f"{k} {m[k]}" for k in ("numpy", "numba", "gymnasium", "torch") if k in m),
        "",
    ]
    results = {}
    for name in names:
        if name in failed:
            lines += [f"### {name}", "", "FAILED (see the console for the traceback)", ""]
            continue
        # a benchmark may write several result files (e.g. planners and its bandwidth triad)
        for md in sorted(out.glob(f"{name}*.md")):
            body = "\n".join(ln for ln in md.read_text().strip().splitlines() if not ln.startswith("Machine:"))
            while "\n\n\n" in body:
                body = body.replace("\n\n\n", "\n\n")
            lines += [body, ""]
        for js in sorted(out.glob(f"{name}*.json")):
            results[js.stem] = json.loads(js.read_text())
    path = out / "summary.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    path.with_suffix(".json").write_text(
        json.dumps(
            {"machine": m, "quick": quick, "seconds": seconds, "failed": sorted(failed), "results": results},
            indent=2,
            default=float,
        )
    )
    return path


if __name__ == "__main__":
    sys.exit(main())
