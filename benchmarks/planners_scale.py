"""Planners at scale: the grid backend against NumPy sweeps and the STREAM triad, threads, 10^8 states, sparse MDPs.

Three parts, each optional (``--parts grid threads big sparse``):

* **grid** (open N x N grids, the +1 exit in the bottom-right corner as :func:`gridworld_env.open_grid`,
  living reward -0.04, gamma 0.99, tol 1e-8, slip 0 and 0.2): the whole
  :func:`planners.grid.solve_grid` (``"auto"``) against one vectorised NumPy Jacobi sweep of the
  same grid's general arrays (:func:`benchmarks.planners.numpy_sweep`), timed alternately, medians;
  one stencil Jacobi sweep against a STREAM triad over the same byte count (17 bytes a padded
  cell: values in and out, one code byte; best of each, alternately); Bellman steps and line
  sweeps; for N <= 300 the largest difference from the general ``value_iteration(method="auto")``.
* **threads**: the stencil Jacobi sweep and the parallel triad at 1, 2, 4, ... threads (those
  numba offers on this machine; ``--threads`` to choose), on the largest grid.
* **big** (``--big N``): an N x N slippery open grid built from NumPy masks (nothing of size
  ``S x A x K``), solved with ``return_q=False``: time, Bellman residual of the result (one more
  stencil sweep), and the process's peak resident memory.
* **sparse**: a random MDP with ``--sparse-states`` states, ``--sparse-actions`` actions and 10-20
  successors per pair (uniform), Dirichlet(1) probabilities, rewards uniform in [0, 1], gamma 0.99,
  as scipy.sparse matrices: ``TabularMDP.from_dense`` then our solvers, against QuantEcon's
  ``DiscreteDP`` (state-action-pair sparse formulation) and MDPSolver when installed, each told to
  reach the same guarantee ``||V - V*|| <= eps``; the largest pairwise value difference is reported.

Run ``python -m benchmarks.planners_scale`` (``--quick`` for a smoke test); results go to
``bench_results/planners_scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import resource
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks._bandwidth import TRIAD_BYTES_PER_ELEMENT, _triad, _triad_parallel
from benchmarks._common import alternate, markdown_table, write_results

GAMMA = 0.99
TOL = 1e-8
LIVING_REWARD = -0.04
GRID_BYTES_PER_CELL = 17


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def open_masks(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The open N x N grid as masks (no walls, the +1 exit bottom-right): wall, terminal, reward."""
    wall = np.zeros((n, n), dtype=bool)
    term = np.zeros((n, n), dtype=bool)
    term[-1, -1] = True
    return wall, term, 1.0


def bench_grid(n: int, slip: float, repeats: int) -> dict[str, Any]:
    """The grid backend on one open N x N grid against the NumPy sweep and the triad."""
    import planners
    from benchmarks.planners import numpy_sweep
    from gridworld_env import open_grid
    from gridworld_env.model import build_model
    from planners.grid import GridMDP, solve_grid

    lay = open_grid(n, n)
    m = build_model(lay, living_reward=LIVING_REWARD, slip=slip)
    mdp = planners.TabularMDP(m.next_state, m.prob, m.reward, m.absorbing)
    ns, pr, rsa, term = mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal
    g = GridMDP.from_layout(lay, LIVING_REWARD, slip)
    info: dict[str, Any] = {}
    res = solve_grid(g, GAMMA, tol=TOL, info=info)
    v = res.values.copy()
    timings = alternate(
        {"solve": lambda: solve_grid(g, GAMMA, tol=TOL), "numpy_sweep": lambda: numpy_sweep(ns, pr, rsa, term, v)},
        repeats=repeats,
    )
    row: dict[str, Any] = {"grid": f"{n}x{n}", "slip": slip, "states": n * n, "method": info["method"]}
    row["solve_s"] = timings["solve"].median
    row["numpy_sweep_s"] = timings["numpy_sweep"].median
    row["solve_in_numpy_sweeps"] = row["solve_s"] / row["numpy_sweep_s"]
    row["bellman_steps"] = info["bellman_steps"]
    row["line_sweeps"] = info["line_sweeps"]
    row["residual"] = float(res.residuals[-1])
    row.update(_sweep_vs_triad(g, v, repeats))
    if n <= 300:
        ref = planners.value_iteration(mdp, GAMMA, tol=TOL, method="auto")
        row["max_diff_general_auto"] = float(np.abs(ref.values - res.values).max())
        row["guarantee"] = 2 * TOL * GAMMA / (1 - GAMMA)  # both within tol * gamma / (1 - gamma) of V*
    return row


def _sweep_vs_triad(g: Any, v: np.ndarray, repeats: int) -> dict[str, Any]:
    """One stencil Jacobi sweep against a triad over the same bytes (at least 3 x 64 MiB): best of 21
    alternated calls each (STREAM itself reports the best of 10; a 1 ms sweep's best of 7 still
    varied by 30% from run to run on a 2-core shared machine)."""
    vp = g.pad(v)
    wp = np.zeros_like(vp)
    nbytes = GRID_BYTES_PER_CELL * vp.shape[0]
    n_el = max(nbytes // TRIAD_BYTES_PER_ELEMENT, 2**23)
    ta, tb, tc = np.empty(n_el), np.full(n_el, 1.0), np.full(n_el, 2.0)
    pair = alternate(
        {"sweep": lambda: g.sweep_padded(GAMMA, vp, wp), "triad": lambda: _triad(ta, tb, tc, 3.0)},
        repeats=max(21, repeats),
    )
    triad_bps = n_el * TRIAD_BYTES_PER_ELEMENT / min(pair["triad"].seconds)
    best = min(pair["sweep"].seconds)
    return {
        "sweep_ms": 1e3 * pair["sweep"].median,
        "sweep_best_ms": 1e3 * best,
        "sweep_MB": nbytes / 1e6,
        "triad_GBps": triad_bps / 1e9,
        "sweep_vs_triad": best / (nbytes / triad_bps),
    }


def bench_threads(n: int, threads: Sequence[int], repeats: int) -> list[dict[str, Any]]:
    """Stencil Jacobi sweep and parallel triad at each thread count (numba's pool, set per call)."""
    import numba

    from planners.grid import GridMDP

    wall, term, rew = open_masks(n)
    g = GridMDP(wall, term, rew, LIVING_REWARD, 0.2)
    vp = g.pad(np.random.default_rng(0).random(n * n))
    wp = np.zeros_like(vp)
    n_el = max(GRID_BYTES_PER_CELL * vp.shape[0] // TRIAD_BYTES_PER_ELEMENT, 2**23)
    ta, tb, tc = np.empty(n_el), np.full(n_el, 1.0), np.full(n_el, 2.0)
    rows = []
    old = numba.get_num_threads()
    try:
        for t in threads:
            numba.set_num_threads(t)
            triad = _triad_parallel if t > 1 else _triad
            pair = alternate(
                {
                    "sweep": functools.partial(g.sweep_padded, GAMMA, vp, wp, threads=t),
                    "triad": functools.partial(triad, ta, tb, tc, 3.0),
                },
                repeats=max(7, repeats),
            )
            bps = n_el * TRIAD_BYTES_PER_ELEMENT / min(pair["triad"].seconds)
            best = min(pair["sweep"].seconds)
            rows.append(
                {
                    "grid": f"{n}x{n}",
                    "threads": t,
                    "sweep_ms": 1e3 * pair["sweep"].median,
                    "sweep_best_ms": 1e3 * best,
                    "triad_GBps": bps / 1e9,
                    "sweep_vs_triad": best / (GRID_BYTES_PER_CELL * vp.shape[0] / bps),
                }
            )
    finally:
        numba.set_num_threads(old)
    return rows


def bench_big(n: int, slip: float = 0.2) -> dict[str, Any]:
    """An N x N slippery grid from masks, solved lean (no Q-values): time, residual, peak memory."""
    from planners.grid import GridMDP, solve_grid

    rss0 = _peak_rss_mb()
    t0 = time.perf_counter()
    wall, term, rew = open_masks(n)
    g = GridMDP(wall, term, rew, LIVING_REWARD, slip)
    del wall, term
    t_build = time.perf_counter() - t0
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    res = solve_grid(g, GAMMA, tol=TOL, return_q=False, info=info)
    t_solve = time.perf_counter() - t0
    vp = g.pad(res.values)
    del res
    wp = np.zeros_like(vp)
    check = g.sweep_padded(GAMMA, vp, wp)  # ||T V - V||: at most gamma * tol after a stop below tol
    return {
        "grid": f"{n}x{n}",
        "slip": slip,
        "states": n * n,
        "build_s": t_build,
        "solve_s": t_solve,
        "bellman_steps": info["bellman_steps"],
        "line_sweeps": info["line_sweeps"],
        "bellman_residual": check,
        "residual_bound": GAMMA * TOL,
        "value_error_bound": TOL * GAMMA / (1 - GAMMA),
        "peak_rss_MB": _peak_rss_mb(),
        "rss_before_MB": rss0,
    }


def random_sparse_mdp(S: int, A: int, seed: int = 0, kmin: int = 10, kmax: int = 20) -> tuple[list[Any], np.ndarray]:
    """``A`` CSR matrices ``(S, S)`` with 10-20 random successors per row (Dirichlet(1)), rewards ``(S, A)``."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    P = []
    for _a in range(A):
        counts = rng.integers(kmin, kmax + 1, size=S)
        indptr = np.zeros(S + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        cols = rng.integers(0, S, size=int(indptr[-1])).astype(np.int32)
        w = np.asarray(rng.exponential(size=cols.shape[0]))  # Dirichlet(1) after normalising each row
        sums = np.add.reduceat(w, indptr[:-1])
        w /= np.repeat(sums, counts)
        m = sp.csr_matrix((w, cols, indptr), shape=(S, S))
        m.sum_duplicates()  # a repeated successor: one entry, probabilities added
        P.append(m)
    return P, rng.random((S, A))


def _quantecon_ddp(P: list[Any], R: np.ndarray, gamma: float) -> Any:
    """QuantEcon's DiscreteDP in its state-action-pair sparse formulation (rows ``a * S + s``)."""
    import scipy.sparse as sp
    from quantecon.markov import DiscreteDP

    S, A = R.shape
    Q = sp.vstack(P, format="csr")
    s_idx = np.tile(np.arange(S), A)
    a_idx = np.repeat(np.arange(A), S)
    return DiscreteDP(R.T.reshape(-1), Q, gamma, s_idx, a_idx)


def _mdpsolver_model(P: list[Any], R: np.ndarray, gamma: float) -> Any:
    """MDPSolver's model from nested lists (its sparse format: per state and action, probabilities and columns)."""
    import mdpsolver

    S, A = R.shape
    probs = [[None] * A for _ in range(S)]
    cols = [[None] * A for _ in range(S)]
    for a, m in enumerate(P):
        data, ind, ptr = m.data.tolist(), m.indices.tolist(), m.indptr.tolist()
        for s in range(S):
            probs[s][a] = data[ptr[s] : ptr[s + 1]]
            cols[s][a] = ind[ptr[s] : ptr[s + 1]]
    mdl = mdpsolver.model()
    mdl.mdp(discount=gamma, rewards=R.tolist(), tranMatProbs=probs, tranMatColumns=cols)
    return mdl


def bench_sparse(S: int, A: int, eps: float, with_mdpsolver: bool = True, rounds: int = 3) -> dict[str, Any]:
    """Ours (``from_dense`` + span-stopped value iteration) against QuantEcon and MDPSolver, same model.

    Every solver is asked for values within ``eps`` of ``V*``: ours ``tol = eps (1 - gamma) / gamma``,
    QuantEcon's modified policy iteration ``epsilon = 2 eps`` (its values are ``epsilon / 2``-close),
    MDPSolver's ``tolerance = eps`` (its documentation promises an eps-optimal policy).  Ours and
    QuantEcon's are built and solved ``rounds`` times, alternated, and their medians reported: the
    first build of a few GB pays the fresh memory's page faults (several seconds on this VM), which
    would otherwise land on whichever solver runs first.  MDPSolver runs once (it is the slowest).
    Where ours runs on several threads (``ours_threads``), ``ours_1thread`` is the same solve on one,
    in the same rounds (the same values, bit for bit).
    """
    import planners
    from planners.span import default_threads, span_value_iteration

    P, R = random_sparse_mdp(S, A)
    row: dict[str, Any] = {"states": S, "actions": A, "nnz": int(sum(m.nnz for m in P)), "eps": eps}
    row["rounds"] = rounds

    def ours(threads: int | None = None) -> tuple[float, float, Any, int]:
        t0 = time.perf_counter()
        mdp = planners.TabularMDP.from_dense(P, R, terminal=np.zeros(S, dtype=bool))
        _ = mdp.expected_reward
        built = time.perf_counter() - t0
        row["outcome_slots"] = int(mdp.next_state.size)
        res = span_value_iteration(mdp, GAMMA, tol=eps * (1 - GAMMA) / GAMMA, threads=threads)
        return built, res.wall_time, res.values, res.iterations

    def quantecon() -> tuple[float, float, Any, int]:
        t0 = time.perf_counter()
        ddp = _quantecon_ddp(P, R, GAMMA)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        qe = ddp.solve(method="modified_policy_iteration", epsilon=2 * eps, k=20)
        return built, time.perf_counter() - t0, np.asarray(qe.v), int(qe.num_iter)

    contenders: dict[str, Any] = {"ours": ours}
    row["ours_threads"] = default_threads(S * A * max(int(np.diff(m.indptr).max()) for m in P))  # as from_dense's K
    if row["ours_threads"] > 1:  # the same solver on one thread, in the same rounds
        contenders["ours_1thread"] = functools.partial(ours, 1)
    if importlib.util.find_spec("quantecon") is not None:
        contenders["quantecon"] = quantecon
    else:
        row["quantecon_solve_s"] = None
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    values: dict[str, Any] = {}
    for _ in range(rounds):
        for name, run in contenders.items():
            built, solved, values[name], row[f"{name}_steps"] = run()
            times[name].append((built, solved))
    for name, ts in times.items():
        row[f"{name}_build_s"] = float(np.median([b for b, _ in ts]))
        row[f"{name}_solve_s"] = float(np.median([x for _, x in ts]))
        row[f"{name}_end_to_end_s"] = float(np.median([b + x for b, x in ts]))
        row[f"{name}_rounds_s"] = [[round(b, 3), round(x, 3)] for b, x in ts]
    if with_mdpsolver:
        try:
            t0 = time.perf_counter()
            mdl = _mdpsolver_model(P, R, GAMMA)
            row["mdpsolver_build_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            mdl.solve(algorithm="mpi", tolerance=eps, update="standard", criterion="discounted", verbose=False)
            row["mdpsolver_solve_s"] = time.perf_counter() - t0
            row["mdpsolver_end_to_end_s"] = row["mdpsolver_build_s"] + row["mdpsolver_solve_s"]
            values["mdpsolver"] = np.asarray(mdl.getValueVector(), dtype=float)
            del mdl
        except ImportError:
            row["mdpsolver_solve_s"] = None
    names = list(values)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            row[f"max_diff_{a}_{b}"] = float(np.abs(values[a] - values[b]).max())
    for name in names[1:]:
        row[f"speedup_vs_{name}"] = row[f"{name}_solve_s"] / row["ours_solve_s"]
        row[f"end_to_end_speedup_vs_{name}"] = row[f"{name}_end_to_end_s"] / row["ours_end_to_end_s"]
    row["peak_rss_MB"] = _peak_rss_mb()
    return row


GRID_COLUMNS = [
    "grid",
    "slip",
    "method",
    "solve_s",
    "numpy_sweep_s",
    "solve_in_numpy_sweeps",
    "bellman_steps",
    "line_sweeps",
    "sweep_ms",
    "sweep_MB",
    "triad_GBps",
    "sweep_vs_triad",
    "max_diff_general_auto",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected parts; print the tables; write ``<out>/planners_scale.{json,md}``."""
    import numba

    p = argparse.ArgumentParser(prog="python -m benchmarks.planners_scale", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--parts", nargs="*", default=["grid", "threads", "sparse"], help="grid threads big sparse")
    p.add_argument("--sizes", type=int, nargs="*", default=None, help="grid sizes N (default 300 1000)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5)")
    p.add_argument("--threads", type=int, nargs="*", default=None, help="thread counts (default 1 2 4 ... available)")
    p.add_argument("--big", type=int, default=10_000, help="side of the big grid (part 'big')")
    p.add_argument("--sparse-states", type=int, default=None, help="states of the sparse MDP (default 1e6)")
    p.add_argument("--sparse-actions", type=int, default=3, help="actions of the sparse MDP")
    p.add_argument("--eps", type=float, default=1e-4, help="sparse part: ||V - V*|| every solver must reach")
    p.add_argument("--no-mdpsolver", action="store_true", help="skip MDPSolver (its list input is memory-hungry)")
    p.add_argument(
        "--sparse-rounds", type=int, default=3, help="sparse part: alternated rounds of ours and QuantEcon's"
    )
    args = p.parse_args(argv)
    sizes = args.sizes or ([20, 40] if args.quick else [300, 1000])
    repeats = args.repeats or (1 if args.quick else 5)
    avail = int(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009 (untyped module attribute)
    threads = args.threads or [t for t in (1, 2, 4, 8, 16) if t <= avail]
    extra: dict[str, Any] = {"settings": {"gamma": GAMMA, "tol": TOL, "living_reward": LIVING_REWARD}}
    rows: list[dict[str, Any]] = []
    if "grid" in args.parts:
        for slip in (0.0, 0.2):
            for n in sizes:
                rows.append(bench_grid(n, slip, repeats))
                r = rows[-1]
                print(
                    f"  {r['grid']} slip {slip}: solve {r['solve_s']:.4g} s = {r['solve_in_numpy_sweeps']:.3g} "
                    f"numpy sweeps; sweep {r['sweep_vs_triad']:.3g} x triad",
                    flush=True,
                )
        print(markdown_table(rows, GRID_COLUMNS))
    if "threads" in args.parts:
        extra["threads"] = bench_threads(max(sizes), threads, repeats)
        print(markdown_table(extra["threads"]))
    if "big" in args.parts:
        extra["big"] = bench_big(100 if args.quick else args.big)
        print(extra["big"])
    if "sparse" in args.parts:
        S = args.sparse_states or (2000 if args.quick else 1_000_000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            extra["sparse"] = bench_sparse(
                S, args.sparse_actions, args.eps, not args.no_mdpsolver, rounds=args.sparse_rounds
            )
        print(extra["sparse"])
    path = write_results("planners_scale", rows, args.out, extra=extra, columns=GRID_COLUMNS)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
