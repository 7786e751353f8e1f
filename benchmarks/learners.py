"""Tabular Q-learning throughput: ``learners.learn_batch`` (N agents in one numba kernel) vs the
tutorial loop (plain Python/NumPy Q-learning over ``gym.make("LectureGrid-v0")``), same run.

All contenders learn with the same rule and settings (alpha 0.1 constant, epsilon 0.1 constant,
gamma 0.99) on the deterministic 4x3 world with ``gym.make``'s 100-step limit.  The batch
kernel is single-threaded (one core).  Targets (issue 12): at least 100M agent-steps/s at
N = 4096 and at least 500x the tutorial loop.  Also timed: ``learners.learn`` (the Python path,
our agent stepping the env).  The machine's load average is recorded beside the numbers.

``--cold``: also the compile latency of that call, in fresh processes (``import`` and the first
``learn_batch`` of 8 agents x 10 steps with ``NUMBA_CACHE_DIR`` a new empty directory, then again
with the cache it filled).

Run: ``python -m benchmarks.learners [--quick] [--cold] [--out DIR] [--agents N] [--steps T]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np

from ._common import alternate, write_results
from .cold_start import _run_child

__all__ = ["HYPER", "compile_latency", "main", "tutorial_q_learning"]

HYPER = dict(alpha=0.1, omega=0.0, epsilon=0.1, epsilon_decay=0.0)
GAMMA = 0.99
TARGET_RATE = 100e6
TARGET_RATIO = 500.0


def tutorial_q_learning(env: gym.Env, steps: int, seed: int = 0) -> np.ndarray:
    """The Q-learning loop of a tutorial: NumPy table, epsilon-greedy with ``np.argmax``, ``env.step``."""
    n_s, n_a = int(env.observation_space.n), int(env.action_space.n)
    q = np.zeros((n_s, n_a))
    rng = np.random.default_rng(seed)
    alpha, eps = HYPER["alpha"], HYPER["epsilon"]
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        a = int(rng.integers(n_a)) if rng.random() < eps else int(np.argmax(q[obs]))
        obs2, r, term, trunc, _ = env.step(a)
        target = r if term else r + GAMMA * q[obs2].max()
        q[obs, a] += alpha * (target - q[obs, a])
        obs = obs2
        if term or trunc:
            obs, _ = env.reset()
    return q


_FIRST_CALL = """
import json, time
t0 = time.perf_counter()
import gymnasium as gym
import gridworld_env
import learners
t1 = time.perf_counter()
env = gym.make("LectureGrid-v0")
learners.learn_batch("q_learning", env, 8, 10, gamma=0.99, curves=False, alpha=0.1, omega=0.0, epsilon=0.1,
                     epsilon_decay=0.0)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1}))
"""


def compile_latency() -> dict[str, dict[str, float]]:
    """Seconds to import and to run the first ``learn_batch`` (fast Q-learning kernel) in a fresh process.

    Returns ``{"cold": ..., "warm": ...}``, each with ``import_s``, ``first_s`` and ``process_s``:
    cold with an empty numba cache (everything compiled), warm with the cache the cold run filled.
    """
    with tempfile.TemporaryDirectory(prefix="lecturegrid-numba-") as cache:
        cold = _run_child(_FIRST_CALL, [], cache)
        warm = _run_child(_FIRST_CALL, [], cache)
    return {"cold": cold, "warm": warm}


def _contenders(n_agents: int, steps: int, tut_steps: int) -> dict[str, Callable[[], object]]:
    import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
    import learners

    env = gym.make("LectureGrid-v0")
    return {
        f"learn_batch (N={n_agents})": lambda: learners.learn_batch(
            "q_learning", env, n_agents, steps, gamma=GAMMA, curves=False, **HYPER
        ),
        "learn (Python path)": lambda: learners.learn(
            "q_learning", env, tut_steps, gamma=GAMMA, n_checkpoints=0, **HYPER
        ),
        "tutorial loop": lambda: tutorial_q_learning(env, tut_steps),
    }


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; write ``learners.json`` / ``.md`` under ``--out``; return the JSON path.

    Parameters
    ----------
    argv : list of str, optional
        ``--quick`` (tiny budget), ``--out DIR``, ``--agents N`` (default 4096), ``--steps T``
        per agent (default 10 000), ``--tutorial-steps`` (default 20 000), ``--repeats R``.
    """
    p = argparse.ArgumentParser(prog="python -m benchmarks.learners", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budget (smoke test)")
    p.add_argument("--out", default="bench_results", help="output directory")
    p.add_argument("--agents", type=int, default=None, help="agents in the batch")
    p.add_argument("--steps", type=int, default=None, help="steps per agent in the batch")
    p.add_argument("--tutorial-steps", type=int, default=None, help="steps of the Python loops")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds")
    p.add_argument("--cold", action="store_true", help="also time the first call in fresh processes (cold/warm cache)")
    args = p.parse_args(argv)
    n = args.agents or (64 if args.quick else 4096)
    steps = args.steps or (1_000 if args.quick else 10_000)
    tut = args.tutorial_steps or (500 if args.quick else 20_000)
    repeats = args.repeats or (2 if args.quick else 5)
    if min(n, steps, tut, repeats) < 1:
        raise ValueError(
            f"--agents, --steps, --tutorial-steps and --repeats must be >= 1, got {n}, {steps}, {tut}, {repeats}"
        )
    runs = _contenders(n, steps, tut)
    batch = next(iter(runs))
    work = {name: float(n * steps if name == batch else tut) for name in runs}
    res = alternate(runs, repeats=repeats, work=work, unit="agent-step")
    ref = res["tutorial loop"].throughput
    load = os.getloadavg()
    rows = [
        {
            "contender": name,
            "M agent-steps/s": m.throughput / 1e6,
            "ns/agent-step": 1e9 / m.throughput,
            "x tutorial": m.throughput / ref,
        }
        for name, m in res.items()
    ]
    rate = res[batch].throughput
    for r in rows:
        print(f"{r['contender']:<24} {r['M agent-steps/s']:10.3f} M agent-steps/s  {r['x tutorial']:9.1f}x tutorial")
    print(
        f"load average {load[0]:.2f} on {os.cpu_count()} cores; targets: >= {TARGET_RATE / 1e6:.0f}M/s ({'met' if rate >= TARGET_RATE else 'NOT met'}), >= {TARGET_RATIO:.0f}x ({'met' if rate / ref >= TARGET_RATIO else 'NOT met'})"
    )
    latency = compile_latency() if args.cold else None
    if latency is not None:
        for k, v in latency.items():
            print(
                f"first learn_batch in a fresh process, {k} numba cache: {v['first_s']:.2f} s (import {v['import_s']:.2f} s)"
            )
    return write_results(
        "learners",
        rows,
        args.out,
        extra={
            "agents": n,
            "steps_per_agent": steps,
            "tutorial_steps": tut,
            "repeats": repeats,
            "hyper": {**HYPER, "gamma": GAMMA},
            "load_average": list(load),
            "targets": {"agent_steps_per_s": TARGET_RATE, "x_tutorial": TARGET_RATIO},
            "measurements": {k: m.summary() for k, m in res.items()},
            "compile_latency": latency,
        },
    )


if __name__ == "__main__":
    main()
