"""``python -m learners``: train N seeds of one algorithm on a named layout, print a summary, and
write the curves (JSON and CSV) and a PNG (matplotlib, the ``plots`` extra).

Example: ``python -m learners --algo q_learning --layout cliff --steps 50000 --seeds 100``.
``--restart C`` turns the map's ``C`` squares from episode-ending terminals into Sutton &
Barto's "back to the start" squares (their cliff walk; with ``--goal-reward -1`` and
``--living-reward -1`` it is their Example 6.6 exactly).

This CLI is glue: it is the one module of ``learners`` that imports ``gridworld_env``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import gridworld_env
import planners

from .agents import ALGORITHMS, HyperparameterError
from .api import BatchResult, learn_batch
from .envs import TabularEnv, restart_on

__all__ = ["build_env", "main"]


#: hyperparameters the command line takes (``--epsilon-per-visit`` for ``epsilon_per_visit``...)
CLI_HYPER = (
    "alpha",
    "omega",
    "epsilon",
    "epsilon_decay",
    "epsilon_per_visit",
    "n_planning",
    "theta",
    "beta",
    "lam",
    "m",
    "q_init",
    "temperature",
)


def build_env(args: argparse.Namespace) -> Any:
    """The env of the arguments: a LectureGrid env, or with ``--restart`` a TabularEnv over its restarted MDP."""
    rewards = None
    layout = gridworld_env.get_layout(args.layout)
    if args.goal_reward is not None:
        rewards = {"G": float(args.goal_reward)} if "G" in layout.to_ascii() else None
        if rewards is None:
            raise SystemExit(f"--goal-reward: layout {args.layout!r} has no 'G' square")
        rewards.update({ch: float(r) for ch, r in _terminal_chars(layout).items() if ch != "G"})
        layout = gridworld_env.as_layout(layout.to_ascii().splitlines(), rewards)
    grid = gridworld_env.LectureGridEnv(layout, living_reward=args.living_reward, slip=args.slip)
    if not args.restart:
        return grid, layout
    flat = layout.grid.ravel()
    states = np.flatnonzero(np.isin(flat, list(args.restart)))
    if states.size == 0:
        raise SystemExit(f"--restart {args.restart!r}: no such squares in layout {args.layout!r}")
    mdp = restart_on(planners.TabularMDP.from_env(grid), states, layout.start)
    return TabularEnv(mdp, start=layout.start, max_episode_steps=args.max_episode_steps), layout


def _terminal_chars(layout: Any) -> dict[str, float]:
    flat = layout.grid.ravel()
    return {str(flat[s]): float(layout.terminal_reward[s]) for s in np.flatnonzero(layout.terminal)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m learners", description=__doc__.splitlines()[0])
    p.add_argument("--algo", default="q_learning", choices=sorted(ALGORITHMS), help="algorithm")
    p.add_argument("--layout", default="lecture", help="layout name (see python -m gridworld_env layouts)")
    p.add_argument("--steps", type=int, default=50_000, help="env steps per seed")
    p.add_argument("--seeds", type=int, default=10, help="independent agents (seeds 0..N-1 of --seed)")
    p.add_argument("--seed", type=int, default=0, help="base seed")
    p.add_argument("--gamma", type=float, default=0.99, help="discount")
    p.add_argument("--slip", type=float, default=0.0, help="slip probability")
    p.add_argument("--living-reward", type=float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--goal-reward", type=float, default=None, help="reward of the layout's G square")
    p.add_argument("--restart", default="", help="map characters whose squares send the agent back to the start")
    p.add_argument("--max-episode-steps", type=int, default=None, help="time limit (default: none)")
    for name in CLI_HYPER:
        p.add_argument(f"--{name.replace('_', '-')}", type=float, default=None, help=f"hyperparameter {name}")
    p.add_argument("--checkpoints", type=int, default=30, help="log-spaced checkpoints of the value gap")
    p.add_argument("--out", default="learners_out", help="output folder")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    return p


def _hyper(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CLI_HYPER:
        v = getattr(args, name)
        if v is not None:
            out[name] = int(v) if name in ("n_planning", "m") and float(v).is_integer() else v
    return out


#: ``start_optimal_at_end`` counts an agent when ``V*(start) - V^pi(start)`` is at most this.
START_GAP_TOL = 1e-9


def summarize(res: BatchResult) -> dict[str, Any]:
    """The numbers the CLI prints.

    ``optimal_at_end`` counts the agents whose greedy policy is optimal in *every* state (also in
    states the optimal policy never visits); ``start_optimal_at_end`` those whose greedy policy
    is optimal from the start (its exact value at the start within :data:`START_GAP_TOL` of
    ``V*``); the value gaps are ``max_s |V*(s) - V^pi(s)|`` of the final greedy policies.
    """
    last = [c.episode_return[-100:].mean() if c.episode_return.size else np.nan for c in res.curves]
    stop = [c.steps_to_optimal for c in res.curves]
    gap = res.value_gap[:, -1] if res.value_gap.size else None
    sgap = res.start_gap[:, -1] if res.start_gap.size else None
    return {
        "algo": res.algo,
        "seeds": int(res.q.shape[0]),
        "optimal_at_end": int(res.optimal[:, -1].sum()) if res.optimal.size else 0,
        "start_optimal_at_end": int((sgap <= START_GAP_TOL).sum()) if sgap is not None else 0,
        "median_steps_to_optimal": float(np.nanmedian(stop)) if np.isfinite(stop).any() else None,
        "median_value_gap_at_end": float(np.median(gap)) if gap is not None else None,
        "max_value_gap_at_end": float(np.max(gap)) if gap is not None else None,
        "mean_return_last_100_episodes": float(np.nanmean(last)),
        "median_episodes": float(np.median(res.n_episodes)),
        "median_regret": float(np.median([c.regret[-1] if c.regret.size else np.nan for c in res.curves])),
    }


def write_outputs(res: BatchResult, out: Path, plot: bool) -> list[Path]:
    """``curves.json``, ``checkpoints.csv``, ``episodes.csv`` and ``curves.png`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "curves.json", out / "checkpoints.csv", out / "episodes.csv"]
    payload: dict[str, Any] = {"summary": summarize(res), "hyper": {k: v.tolist() for k, v in res.hyper.items()}}
    payload["curves"] = [c.as_dict() for c in res.curves]
    paths[0].write_text(json.dumps(payload, allow_nan=True))
    with paths[1].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seed", "step", "value_gap", "start_gap", "optimal", "updates"])
        for i, c in enumerate(res.curves):
            for row in zip(c.steps, c.value_gap, c.start_gap, c.optimal, c.updates):
                w.writerow([i, int(row[0]), float(row[1]), float(row[2]), int(row[3]), int(row[4])])
    with paths[2].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seed", "episode", "return", "discounted_return", "length", "end_step", "cumulative_regret"])
        for i, c in enumerate(res.curves):
            for e in range(c.episode_return.size):
                w.writerow(
                    [
                        i,
                        e,
                        c.episode_return[e],
                        c.episode_discounted[e],
                        c.episode_length[e],
                        c.episode_end[e],
                        c.regret[e],
                    ]
                )
    if plot:
        png = _plot(res, out / "curves.png")
        if png is not None:
            paths.append(png)
    return paths


def _plot(res: BatchResult, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install lecturegrid[plots]): no PNG written", file=sys.stderr)
        return None
    n_ep = min(c.episode_return.size for c in res.curves)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    if n_ep:
        rets = np.array([c.episode_return[:n_ep] for c in res.curves])
        ax1.plot(np.arange(1, n_ep + 1), rets.mean(axis=0), lw=1)
    ax1.set(
        xlabel="episode", ylabel=f"return (mean of {len(res.curves)} seeds)", title=f"{res.algo}: return per episode"
    )
    gap = np.where(np.isfinite(res.value_gap), res.value_gap, np.nan)  # inf: an improper policy at gamma 1
    if gap.size and np.isfinite(gap).any():
        ax2.plot(res.steps, np.nanmedian(gap, axis=0), label="median")
        ax2.fill_between(res.steps, *np.nanpercentile(gap, [25, 75], axis=0), alpha=0.3, label="quartiles")
        ax2.set_xscale("log")
        ax2.legend()
    ax2.set(xlabel="env steps", ylabel="max_s |V*(s) - V^pi(s)|", title="value gap of the greedy policy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the command line; return the summary."""
    args = _parser().parse_args(argv)
    if args.steps < 1 or args.seeds < 1:
        raise SystemExit(f"--steps and --seeds must be >= 1, got {args.steps} and {args.seeds}")
    try:
        env, _ = build_env(args)
        res = learn_batch(
            args.algo,
            env,
            args.seeds,
            args.steps,
            seed=args.seed,
            gamma=args.gamma,
            n_checkpoints=args.checkpoints,
            **_hyper(args),
        )
    except (HyperparameterError, gridworld_env.LayoutError, planners.MDPError) as e:
        raise SystemExit(f"error: {e}") from None
    summary = summarize(res)
    for k, v in summary.items():
        print(f"{k:>32}: {v}")
    for p in write_outputs(res, Path(args.out), plot=not args.no_plot):
        print(f"wrote {p}")
    return summary


if __name__ == "__main__":
    main()
