"""Vector stepping: ``LectureGridVectorEnv`` vs ``SyncVectorEnv`` of the single env vs CartPole's native vector env.

For each batch size N every contender is stepped with random actions (a pool of 8 action
arrays drawn up front, so the sampler is not timed) and autoresets as Gymnasium 1.x does; the
throughput is env-steps per second (N per ``step`` call).  Contenders:

* ``LectureGridVectorEnv``: ``gym.make_vec("LectureGrid-v0", num_envs=N, copy=False)`` (one numba
  kernel, reused output buffers), plus ``copy=True`` (fresh arrays each step, the default),
  ``slip=0.2`` (one random number per env-step) and ``autoreset_mode=SAME_STEP`` (the ending step
  restarts the env and reports ``info["final_obs"]``, deterministic and with ``slip=0.2``) variants;
* ``SyncVectorEnv``: ``gym.make_vec("LectureGrid-v0", num_envs=N, vectorization_mode="sync")``,
  i.e. N single envs in a Python loop, what Gymnasium does for an env without a vector entry point;
* ``CartPole-v1 (native vector)``: ``gym.make_vec("CartPole-v1", N, vectorization_mode="vector_entry_point")``,
  Gymnasium's numpy-vectorised reference (the reference of the ratio column).

Throughput is reported twice: from wall time (the headline, as ``benchmarks._common`` times it)
and from this thread's CPU time (steadier on a shared machine, where other processes take the
core part of the time; meaningless for ``parallel=True``, whose work runs on other threads).

Targets at N = 16384: >= 100M env-steps/s, >= 15x CartPole's native vector env, >= 100x SyncVectorEnv.

Run: ``python -m benchmarks.vector_step [--quick] [--out DIR] [--sizes 1,64,1024,16384] [--parallel]``.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ._common import alternate, write_results
from ._cputime import cpu_timed

__all__ = ["REFERENCE", "SIZES", "main"]

SIZES = (1, 64, 1024, 16384)
REFERENCE = "CartPole-v1 (native vector)"
OURS = "LectureGridVectorEnv"
SYNC = "SyncVectorEnv(LectureGrid-v0)"
_POOL = 8  # distinct action arrays cycled through


def _contenders(n: int, quick: bool, parallel: bool = False) -> dict[str, tuple[str, dict[str, Any], int]]:
    """name -> (env id, make_vec kwargs, env-steps per timed call)."""
    # (env-steps, step calls) budget per timed call, whichever is smaller: ~0.1-1 s each
    budget = {"ours": (20_000_000, 50_000), "cartpole": (2_000_000, 5_000), "sync": (150_000, 10_000)}
    c = {
        OURS: ("LectureGrid-v0", {"copy": False}, budget["ours"]),
        f"{OURS} (copy=True)": ("LectureGrid-v0", {"copy": True}, budget["ours"]),
        f"{OURS} (slip=0.2)": ("LectureGrid-v0", {"copy": False, "slip": 0.2}, budget["ours"]),
        f"{OURS} (SAME_STEP)": ("LectureGrid-v0", {"copy": False, "autoreset_mode": "SameStep"}, budget["ours"]),
        f"{OURS} (SAME_STEP, slip=0.2)": (
            "LectureGrid-v0",
            {"copy": False, "autoreset_mode": "SameStep", "slip": 0.2},
            budget["ours"],
        ),
        REFERENCE: ("CartPole-v1", {}, budget["cartpole"]),
        SYNC: ("LectureGrid-v0", {"vectorization_mode": "sync"}, budget["sync"]),
    }
    if parallel:
        c[f"{OURS} (parallel=True)"] = ("LectureGrid-v0", {"copy": False, "parallel": True}, budget["ours"])
    scale = 100 if quick else 1
    return {k: (i, kw, max(1, min(steps // n, calls) // scale) * n) for k, (i, kw, (steps, calls)) in c.items()}


def _stepper(env_id: str, kwargs: dict[str, Any], n: int, env_steps: int, seed: int) -> Callable[[], None]:
    import gridworld_env  # noqa: F401  (registers LectureGrid-v0)

    kwargs = dict(kwargs)
    mode = kwargs.pop("vectorization_mode", "vector_entry_point")
    envs = gym.make_vec(env_id, num_envs=n, vectorization_mode=mode, **kwargs)
    envs.reset(seed=seed)
    n_actions = int(envs.single_action_space.n)
    rng = np.random.default_rng(seed)
    pool = [rng.integers(0, n_actions, n) for _ in range(_POOL)]
    calls = env_steps // n
    step = envs.step

    def run() -> None:
        for j in range(calls):
            step(pool[j % _POOL])

    return run


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; write ``vector_step.json`` / ``.md`` under ``--out``; return the JSON path.

    Parameters
    ----------
    argv : list of str, optional
        ``--quick`` (tiny budget and N in {1, 64}), ``--out DIR`` (default ``bench_results``),
        ``--sizes`` comma-separated batch sizes, ``--repeats R``.
    """
    p = argparse.ArgumentParser(prog="python -m benchmarks.vector_step", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budget (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--sizes", default=None, help="comma-separated batch sizes (default 1,64,1024,16384)")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds")
    p.add_argument(
        "--parallel",
        action="store_true",
        help="add LectureGridVectorEnv(parallel=True); its spinning OpenMP workers slow the "
        "contenders timed after it on a machine with few cores",
    )
    args = p.parse_args(argv)
    try:
        sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else ([1, 64] if args.quick else list(SIZES))
    except ValueError:
        raise ValueError(f"--sizes must be comma-separated integers, got {args.sizes!r}") from None
    repeats = args.repeats or (2 if args.quick else 5)
    if repeats < 1 or any(n < 1 for n in sizes):
        raise ValueError(f"--repeats and --sizes must be >= 1, got {repeats} and {sizes}")

    rows, measurements = [], {}
    for n in sizes:
        spec = _contenders(n, args.quick, args.parallel)
        cpu: dict[str, list[float]] = {name: [] for name in spec}
        runs = {name: cpu_timed(_stepper(i, kw, n, steps, seed=0), cpu[name]) for name, (i, kw, steps) in spec.items()}
        res = alternate(runs, repeats=repeats, work={k: v[2] for k, v in spec.items()}, unit="env-step")
        ref, sync = res[REFERENCE].throughput, res[SYNC].throughput
        cpu_rate = {name: spec[name][2] / statistics.median(cpu[name][-repeats:]) for name in spec}
        for name, m in res.items():
            rows.append(
                {
                    "N": n,
                    "contender": name,
                    "M env-steps/s": m.throughput / 1e6,
                    "x CartPole native": m.throughput / ref,
                    "x SyncVectorEnv": m.throughput / sync,
                    "CPU-time M env-steps/s": cpu_rate[name] / 1e6,
                    "x CartPole (CPU time)": cpu_rate[name] / cpu_rate[REFERENCE],
                }
            )
            measurements[f"{name} @ N={n}"] = m.summary()
            print(
                f"N={n:<6} {name:<40} {m.throughput / 1e6:9.2f}M env-steps/s  "
                f"{m.throughput / ref:8.2f}x CartPole  {m.throughput / sync:9.1f}x Sync"
            )
    return write_results(
        "vector_step", rows, args.out, extra={"repeats": repeats, "reference": REFERENCE, "measurements": measurements}
    )


if __name__ == "__main__":
    main()
