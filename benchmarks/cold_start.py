"""Cold start: what a user waits for in a fresh process, with the numba cache warm and cold.

Each measurement is a new Python process that runs one task and reports its own timings:

* ``plan``: ``import gridworld_env, planners``, then the first plan of the lecture's 4x3 world
  (``value_iteration(TabularMDP.from_env(LectureGridEnv(slip=0.2)), gamma=1.0)``, AIMA's setting;
  on so small an MDP the planners run in NumPy and numba is never imported);
* ``plan-auto``: the same with ``method="auto"``, which runs the numba kernels;
* ``vector``: ``import gridworld_env``, then ``make_vec("LectureGrid-v0", 1024)``, ``reset`` and
  the first ``step`` (slip 0.2, so the random-number path is compiled too).

*Warm*: ``NUMBA_CACHE_DIR`` points at a directory filled by an earlier run, so the kernels
are loaded from disk.  *Cold*: it points at a new, empty temporary directory, so every kernel
is compiled (what the very first run after installation costs).  The process column is the
parent's wall time for the whole child, interpreter start-up included.

Run: ``python -m benchmarks.cold_start [--quick] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import write_results

__all__ = ["TASKS", "main"]

_PLAN = """
import json, sys, time
t0 = time.perf_counter()
import gridworld_env, planners
t1 = time.perf_counter()
mdp = planners.TabularMDP.from_env(gridworld_env.LectureGridEnv("lecture", living_reward=-0.04, slip=0.2))
res = planners.value_iteration(mdp, gamma=1.0, method=sys.argv[1])
t2 = time.perf_counter()
# AIMA's U(1,1) = 0.705, plus 0.04: here the living reward is paid on entering, not in the state
assert res.converged and abs(res.values[8] - 0.7453) < 1e-3, res.values
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1}))
"""

_VECTOR = """
import json, time
t0 = time.perf_counter()
import gymnasium as gym, numpy as np, gridworld_env
t1 = time.perf_counter()
envs = gym.make_vec("LectureGrid-v0", num_envs=1024, slip=0.2)
envs.reset(seed=0)
envs.step(np.zeros(1024, dtype=np.int64))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1}))
"""

#: task name -> (description, child script, its arguments)
TASKS = {
    "plan": ("import gridworld_env, planners + first plan of the 4x3 world (value_iteration)", _PLAN, ["jacobi"]),
    "plan-auto": ("import gridworld_env, planners + first plan, method='auto' (numba kernels)", _PLAN, ["auto"]),
    "vector": ("import gridworld_env + first vector step (N=1024, slip=0.2)", _VECTOR, []),
}


def _run_child(script: str, args: list[str], cache_dir: str) -> dict[str, float]:
    """Run ``script args`` in a fresh interpreter with ``NUMBA_CACHE_DIR=cache_dir``; its timings plus ``process_s``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start child failed (exit {proc.returncode}):\n{proc.stderr.strip()[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; write ``cold_start.json`` / ``.md`` under ``--out``; return the JSON path.

    Parameters
    ----------
    argv : list of str, optional
        ``--quick`` (one warm and one cold run per task), ``--out DIR`` (default ``bench_results``),
        ``--repeats R`` runs per task and cache state, ``--tasks plan,vector``.
    """
    p = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one run per task and cache state (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--repeats", type=int, default=None, help="runs per task and cache state")
    p.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {list(TASKS)}")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if repeats < 1 or unknown or not tasks:
        raise ValueError(
            f"--repeats must be >= 1 and --tasks a subset of {list(TASKS)}, got {repeats} and {args.tasks!r}"
        )

    rows: list[dict[str, Any]] = []
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="lecturegrid-numba-warm-") as warm_dir:
        for task in tasks:
            _, script, script_args = TASKS[task]
            _run_child(script, script_args, warm_dir)  # fills the warm cache
            warm, cold = [], []
            for _ in range(repeats):  # alternate warm and cold, as benchmarks._common.alternate does
                warm.append(_run_child(script, script_args, warm_dir))
                with tempfile.TemporaryDirectory(prefix="lecturegrid-numba-cold-") as cold_dir:
                    cold.append(_run_child(script, script_args, cold_dir))
            for cache, results in (("warm", warm), ("cold", cold)):
                runs[f"{task}/{cache}"] = results
                row = {
                    "task": TASKS[task][0],
                    "numba cache": cache,
                    "import s": statistics.median(r["import_s"] for r in results),
                    "first call s": statistics.median(r["first_s"] for r in results),
                    "process s": statistics.median(r["process_s"] for r in results),
                }
                rows.append(row)
                print(
                    f"{row['task']:<78} {cache}: import {row['import s']:.3f}s  first call "
                    f"{row['first call s']:.3f}s  process {row['process s']:.3f}s"
                )
    return write_results("cold_start", rows, args.out, extra={"repeats": repeats, "runs": runs})


if __name__ == "__main__":
    main()
