"""Single-env stepping: ``gym.make("LectureGrid-v0")`` vs the toy-text envs users would pick instead.

Every contender runs the same loop a user writes: ``step`` with a random action (drawn up front
as Python ints, so the action sampler is not timed), ``reset`` when the episode ends.  All are
created with ``gym.make`` and its default wrappers (``TimeLimit``, ``OrderEnforcing``,
``PassiveEnvChecker``); the ``unwrapped`` rows show what the wrappers cost.  Throughput comes
from wall time and, steadier on a shared machine, from this thread's CPU time.  The reference is
``FrozenLake-v1`` with ``is_slippery=False``; the target is at least 1.5x its steps per second.

Run: ``python -m benchmarks.env_step [--quick] [--out DIR]``.
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

__all__ = ["CONTENDERS", "REFERENCE", "main"]

REFERENCE = "FrozenLake-v1 (is_slippery=False)"
#: name -> (env id, make kwargs, unwrapped?)
CONTENDERS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "LectureGrid-v0": ("LectureGrid-v0", {}, False),
    "LectureGrid-v0 (slip=0.2)": ("LectureGrid-v0", {"slip": 0.2}, False),
    REFERENCE: ("FrozenLake-v1", {"is_slippery": False}, False),
    "CliffWalking-v1": ("CliffWalking-v1", {}, False),
    "LectureGrid-v0 unwrapped": ("LectureGrid-v0", {}, True),
    "FrozenLake-v1 (is_slippery=False) unwrapped": ("FrozenLake-v1", {"is_slippery": False}, True),
}


def _stepper(env_id: str, kwargs: dict[str, Any], unwrapped: bool, steps: int, seed: int) -> Callable[[], None]:
    import gridworld_env  # noqa: F401  (registers LectureGrid-v0)

    env = gym.make(env_id, **kwargs)
    if unwrapped:
        env = env.unwrapped
    env.reset(seed=seed)
    n_actions = int(env.action_space.n)
    actions = np.random.default_rng(seed).integers(0, n_actions, steps).tolist()
    step, reset = env.step, env.reset

    def run() -> None:
        for a in actions:
            _, _, terminated, truncated, _ = step(a)
            if terminated or truncated:
                reset()

    return run


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; write ``env_step.json`` / ``.md`` under ``--out``; return the JSON path.

    Parameters
    ----------
    argv : list of str, optional
        ``--quick`` (tiny budget, a smoke test), ``--out DIR`` (default ``bench_results``),
        ``--steps N`` steps per timed call, ``--repeats R``.
    """
    p = argparse.ArgumentParser(prog="python -m benchmarks.env_step", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budget (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--steps", type=int, default=None, help="steps per timed call")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds")
    args = p.parse_args(argv)
    steps = args.steps or (2_000 if args.quick else 200_000)
    repeats = args.repeats or (2 if args.quick else 7)
    if steps < 1 or repeats < 1:
        raise ValueError(f"--steps and --repeats must be >= 1, got {steps} and {repeats}")

    cpu: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    runs = {
        name: cpu_timed(_stepper(i, kw, unw, steps, seed=0), cpu[name]) for name, (i, kw, unw) in CONTENDERS.items()
    }
    res = alternate(runs, repeats=repeats, work={n: steps for n in runs}, unit="step")
    ref = res[REFERENCE].throughput
    cpu_rate = {name: steps / statistics.median(cpu[name][-repeats:]) for name in CONTENDERS}
    rows = [
        {
            "contender": name,
            "wrappers": "unwrapped" if CONTENDERS[name][2] else "gym.make",
            "k steps/s": m.throughput / 1e3,
            "ns/step": 1e9 / m.throughput,
            f"x {REFERENCE}": m.throughput / ref,
            "CPU-time k steps/s": cpu_rate[name] / 1e3,
            "x reference (CPU time)": cpu_rate[name] / cpu_rate[REFERENCE],
        }
        for name, m in res.items()
    ]
    for r in rows:
        print(f"{r['contender']:<46} {r['k steps/s']:9.0f}k steps/s  {r[f'x {REFERENCE}']:6.2f}x")
    return write_results(
        "env_step",
        rows,
        args.out,
        extra={
            "steps_per_call": steps,
            "repeats": repeats,
            "reference": REFERENCE,
            "measurements": {n: m.summary() for n, m in res.items()},
        },
    )


if __name__ == "__main__":
    main()
