"""Planner benchmark: value iteration on open N x N LectureGrid layouts, ours against the alternatives.

For N = 10, 100, 300, 1000, deterministic (slip 0) and slippery (slip 0.2), living reward -0.04,
gamma 0.99, tolerance 1e-8 on the sup-norm change, it measures

* **ours**: ``value_iteration(method="auto")`` (label correcting, then ordered in-place
  sweeps) end to end on a built MDP, and our textbook Jacobi value iteration (time per sweep,
  serial and multi-threaded kernel, and time to converge);
* **numpy**: a vectorised Jacobi value iteration written here, the baseline a NumPy user
  would write (time per sweep; time to converge measured up to N = 100, and beyond as its
  sweep count, the same as our Jacobi's, times its time per sweep, unless ``--full-baseline``);
* **pymdptoolbox** ``ValueIteration`` when importable, up to N = 100 (its set-up is quadratic
  in the number of states), end to end from the sparse matrices;
* the **memory-bandwidth bound** of one sweep: the bytes the sweep kernel must stream
  (int32 successor and float64 probability per outcome, float64 expected reward per
  state-action, the terminal flag, one value read and one written per state) over the
  bandwidth of a STREAM triad (:mod:`benchmarks._bandwidth`) over arrays far larger than the
  caches, timed alternately with the sweep (best of each).  Grids whose arrays fit in the
  caches sweep faster than this bound (ratio below 1); 1000 x 1000 is the real test;
* **cold start**: a fresh process importing the packages and planning the 4x3 world, with
  an empty numba cache (compiling) and with a warm one.

Run ``python -m benchmarks.planners`` (``--quick`` for a smoke test); results go to
``bench_results/planners.{json,md}``.
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
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks._bandwidth import triad_bandwidth
from benchmarks._common import alternate, machine_info, markdown_table, write_results

GAMMA = 0.99
TOL = 1e-8
LIVING_REWARD = -0.04


def numpy_value_iteration(
    ns: np.ndarray, pr: np.ndarray, rsa: np.ndarray, term: np.ndarray, gamma: float, tol: float, max_iter: int = 100_000
) -> tuple[np.ndarray, int]:
    """The baseline: vectorised Jacobi value iteration in NumPy; returns (values, sweeps)."""
    v = np.zeros(ns.shape[0])
    for n in range(1, max_iter + 1):
        w = (rsa + gamma * (pr * v[ns]).sum(axis=2)).max(axis=1)
        w[term] = 0.0
        change = np.abs(w - v).max()
        v = w
        if change < tol:
            return v, n
    return v, max_iter


def numpy_sweep(ns: np.ndarray, pr: np.ndarray, rsa: np.ndarray, term: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One sweep of :func:`numpy_value_iteration`."""
    w = (rsa + GAMMA * (pr * v[ns]).sum(axis=2)).max(axis=1)
    w[term] = 0.0
    return w


def sweep_bytes(S: int, A: int, K: int) -> int:
    """Bytes one sweep streams: successors (int32) and probabilities (float64) of every outcome,
    expected rewards (float64) of every state-action, terminal flags, one value in and one out.
    Successor values are gathered from neighbours already in cache and are not counted.
    The deterministic case (K = 1) counts its probabilities too: the kernel reads them, since
    :class:`planners.TabularMDP` accepts probabilities that sum to 1 within 1e-9, so a lone
    outcome's probability need not be exactly 1.0 and skipping the product would change bits."""
    return S * (A * K * (4 + 8) + A * 8 + 1 + 8 + 8)


def _median_time(fn: Any, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up call."""
    return alternate({"fn": fn}, repeats=repeats)["fn"].median


def _pymdptoolbox() -> Any | None:
    try:
        import mdptoolbox.mdp as mdp_mod  # type: ignore[import-not-found]
    except Exception:
        return None
    return mdp_mod


def bench_grid(
    N: int, slip: float, repeats: int, full_baseline: bool, pymdp_max: int, jacobi_full: bool, quick: bool = False
) -> dict[str, Any]:
    """All measurements for one open N x N grid."""
    import planners
    from gridworld_env import open_grid
    from gridworld_env.model import build_model
    from planners import _kernels as K

    m = build_model(open_grid(N, N), living_reward=LIVING_REWARD, slip=slip)
    t0 = time.perf_counter()
    mdp = planners.TabularMDP.from_env(m)
    _ = mdp.expected_reward
    t_mdp = time.perf_counter() - t0
    ns, pr, rsa, term = mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal
    S, A, Kk = mdp.shape
    row: dict[str, Any] = {"grid": f"{N}x{N}", "slip": slip, "states": S}

    # ours, end to end on the built MDP (fresh MDP each call: no cached expected rewards)
    def ours() -> Any:
        fresh = planners.TabularMDP.from_env(m)
        return planners.value_iteration(fresh, GAMMA, tol=TOL, method="auto")

    auto = ours()
    timings = alternate({"auto": ours}, repeats=repeats, warmup=0)
    row["ours_auto_s"] = timings["auto"].median
    row["ours_auto_sweeps"] = auto.iterations

    # sweep kernels and their memory-bandwidth bound: a triad over at least as many bytes as the
    # sweep and far more than the caches (3 x 64 MiB at least), timed alternately with the sweep
    # so that both see the same machine (a shared machine's load drifts)
    from benchmarks._bandwidth import TRIAD_BYTES_PER_ELEMENT, _triad

    v = np.random.default_rng(0).random(S)
    w = np.empty(S)
    empty = np.empty(0, dtype=np.int64)
    nbytes = sweep_bytes(S, A, Kk)
    n_el = max(nbytes // TRIAD_BYTES_PER_ELEMENT, 2**23 if not quick else 2**18)
    ta, tb, tc = np.empty(n_el), np.full(n_el, 1.0), np.full(n_el, 2.0)
    sweep_reps = max(5, repeats)
    pair = alternate(
        {
            "sweep": lambda: K.bellman_sweep(ns, pr, rsa, term, GAMMA, v, w, empty),
            "triad": lambda: _triad(ta, tb, tc, 3.0),
        },
        repeats=sweep_reps,
    )
    row["sweep_ms"] = 1e3 * pair["sweep"].median
    row["sweep_best_ms"] = 1e3 * min(pair["sweep"].seconds)
    row["sweep_MB"] = nbytes / 1e6
    row["triad_GBps"] = n_el * TRIAD_BYTES_PER_ELEMENT / min(pair["triad"].seconds) / 1e9
    row["sweep_bound_ms"] = 1e3 * nbytes / (row["triad_GBps"] * 1e9)
    row["sweep_vs_bound"] = row["sweep_best_ms"] / row["sweep_bound_ms"]
    row["sweep_par_ms"] = 1e3 * _median_time(
        lambda: K.bellman_sweep_parallel(ns, pr, rsa, term, GAMMA, v, w, 8192), sweep_reps
    )
    row["numpy_sweep_ms"] = 1e3 * _median_time(lambda: numpy_sweep(ns, pr, rsa, term, v), max(3, repeats // 2))

    # ours, textbook Jacobi to convergence (the numpy baseline takes the same number of sweeps)
    if jacobi_full:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            jac = planners.value_iteration(mdp, GAMMA, tol=TOL, method="jacobi")
            row["ours_jacobi_s"] = time.perf_counter() - t0
        row["jacobi_sweeps"] = jac.iterations
        row["max_diff_auto_jacobi"] = float(np.abs(jac.values - auto.values).max())
        sweeps = jac.iterations
    else:
        sweeps = None
    # the numpy baseline to convergence: measured, or its sweep count times its time per sweep
    if full_baseline or N <= 100:
        t0 = time.perf_counter()
        vb, nb = numpy_value_iteration(ns, pr, rsa, term, GAMMA, TOL)
        row["numpy_s"] = time.perf_counter() - t0
        row["numpy_estimated"] = False
        row["max_diff_auto_numpy"] = float(np.abs(vb - auto.values).max())
        if sweeps is None:
            sweeps = nb
    elif sweeps is not None:
        row["numpy_s"] = sweeps * row["numpy_sweep_ms"] / 1e3
        row["numpy_estimated"] = True
    if "numpy_s" in row:
        row["speedup_vs_numpy"] = row["numpy_s"] / row["ours_auto_s"]

    # pymdptoolbox, end to end from the matrices, against ours end to end from the arrays
    mod = _pymdptoolbox()
    if mod is not None and pymdp_max >= N:
        P, R = mdp.to_dense(sparse=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            # its stopping threshold is epsilon (1 - gamma) / gamma on the span of the change
            vi = mod.ValueIteration(P, R, GAMMA, epsilon=TOL * GAMMA / (1 - GAMMA), max_iter=100_000)
            t_setup = time.perf_counter() - t0
            vi.run()
            row["pymdptoolbox_s"] = time.perf_counter() - t0
        row["pymdptoolbox_setup_s"] = t_setup
        row["max_diff_auto_pymdptoolbox"] = float(np.abs(np.asarray(vi.V) - auto.values).max())
        row["ours_end_to_end_s"] = t_mdp + row["ours_auto_s"]
        row["speedup_vs_pymdptoolbox"] = row["pymdptoolbox_s"] / row["ours_end_to_end_s"]
    return row


_COLD_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import gridworld_env, planners
t1 = time.perf_counter()
mdp = planners.TabularMDP.from_env(gridworld_env.LectureGridEnv(slip=0.2))
res = planners.value_iteration(mdp, 1.0, method=sys.argv[1])
t2 = time.perf_counter()
out = {"import_s": t1 - t0, "plan_s": t2 - t1, "utility_start": float(res.values[8]) - 0.04}
if sys.argv[2] == "all":
    planners.value_iteration(mdp, 1.0, method="gauss-seidel"); planners.policy_iteration(mdp, 0.9)
    planners.policy_iteration(mdp, 0.9, evaluation="iterative"); planners.modified_policy_iteration(mdp, 0.9)
    planners.batch_plan(gridworld_env.LectureGridEnv(), [-0.04, -0.5])
    big = planners.TabularMDP.from_env(gridworld_env.LectureGridEnv("open:40x40", slip=0.2))
    planners.value_iteration(big, 0.9); planners.q_values(big, planners.value_iteration(big, 0.9).values, 0.9)
    out["all_kernels_s"] = time.perf_counter() - t2
print(json.dumps(out))
"""


def cold_start(repeats: int = 3) -> dict[str, Any]:
    """Fresh processes importing the packages and planning the 4x3 world.

    ``value_iteration`` (Jacobi) on so small an MDP runs in NumPy and never loads numba;
    ``method="auto"`` uses the numba kernels: timed with an empty numba cache (compiling) and
    a warm one.  Then the compile time of every other kernel (cold).
    """
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)

        def run(method: str, extra: str = "") -> dict[str, Any]:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", _COLD_SCRIPT, method, extra or "-"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - t0
            d = json.loads(proc.stdout.strip().splitlines()[-1])
            d["process_s"] = wall
            return d

        vi = [run("jacobi") for _ in range(repeats)]
        cold = run("auto")
        warm = [run("auto") for _ in range(repeats)]
        every = run("auto", "all")  # auto's kernels are cached now; the others compile
    out["vi_process_s"] = statistics.median(d["process_s"] for d in vi)
    out["vi_import_s"] = statistics.median(d["import_s"] for d in vi)
    out["vi_plan_s"] = statistics.median(d["plan_s"] for d in vi)
    out["auto_cold_process_s"] = cold["process_s"]
    out["auto_cold_plan_s"] = cold["plan_s"]
    out["auto_warm_process_s"] = statistics.median(d["process_s"] for d in warm)
    out["auto_warm_plan_s"] = statistics.median(d["plan_s"] for d in warm)
    out["compile_other_kernels_s"] = every.get("all_kernels_s")
    out["utility_start"] = vi[0]["utility_start"]
    return out


COLUMNS = [
    "grid",
    "slip",
    "ours_auto_s",
    "ours_auto_sweeps",
    "ours_jacobi_s",
    "jacobi_sweeps",
    "numpy_s",
    "numpy_estimated",
    "speedup_vs_numpy",
    "sweep_ms",
    "sweep_par_ms",
    "numpy_sweep_ms",
    "sweep_MB",
    "triad_GBps",
    "sweep_vs_bound",
    "pymdptoolbox_s",
    "ours_end_to_end_s",
    "speedup_vs_pymdptoolbox",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table; write ``<out>/planners.{json,md}``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.planners", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes and budgets (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--sizes", type=int, nargs="*", default=None, help="grid sizes N (default 10 100 300 1000)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats of the fast contenders")
    p.add_argument(
        "--full-baseline",
        action="store_true",
        help="run the numpy baseline to convergence at every size (minutes at N = 1000)",
    )
    p.add_argument("--no-cold", action="store_true", help="skip the fresh-process cold-start measurement")
    args = p.parse_args(argv)
    sizes = args.sizes or ([10, 30] if args.quick else [10, 100, 300, 1000])
    repeats = args.repeats or (1 if args.quick else 5)

    bw = triad_bandwidth(n_elements=2**20 if args.quick else 2**24, repeats=3 if args.quick else 7)
    bw_par = triad_bandwidth(n_elements=2**20 if args.quick else 2**24, repeats=3 if args.quick else 7, parallel=True)
    rows = []
    for slip in (0.0, 0.2):
        for N in sizes:
            row = bench_grid(
                N,
                slip,
                repeats,
                args.full_baseline,
                pymdp_max=30 if args.quick else 100,
                jacobi_full=True,
                quick=args.quick,
            )
            rows.append(row)
            print(
                f"  {row['grid']:>9} slip {slip}: auto {row['ours_auto_s']:.4g} s, "
                f"x{row.get('speedup_vs_numpy', float('nan')):.0f} vs numpy",
                flush=True,
            )
    extra: dict[str, Any] = {
        "settings": {"gamma": GAMMA, "tol": TOL, "living_reward": LIVING_REWARD, "repeats": repeats},
        "triad_GBps": bw["bytes_per_s"] / 1e9,
        "triad_parallel_GBps": bw_par["bytes_per_s"] / 1e9,
        "triad_parallel_threads": bw_par["threads"],
    }
    if not (args.quick or args.no_cold):
        extra["cold_start"] = cold_start()
    path = write_results("planners", rows, args.out, extra=extra, columns=COLUMNS)
    m = machine_info()
    print(
        f"\nMachine: {m['processor']}, {m['cpu_count']} cores; STREAM triad {extra['triad_GBps']:.1f} GB/s "
        f"(1 thread), {extra['triad_parallel_GBps']:.1f} GB/s ({bw_par['threads']} threads)\n"
    )
    print(markdown_table(rows, COLUMNS))
    if "cold_start" in extra:
        print("\ncold start:", json.dumps(extra["cold_start"], indent=1))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
