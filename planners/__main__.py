"""Command line: plan any Gymnasium env with Discrete spaces and print its values and policy.

    python -m planners --layout lecture --living-reward -0.5 --slip 0 --gamma 1
    python -m planners --layout lecture --slip 0.2 --thresholds      # policy changes over living rewards
    python -m planners --env FrozenLake-v1 --env-arg is_slippery=False --gamma 1
    python -m planners --env CliffWalking-v1 --planner policy_iteration --gamma 1

The env is made with ``gymnasium.make(--env, **kwargs)`` and planned through
:meth:`planners.TabularMDP.from_env`; the default env is ``gridworld_env:LectureGrid-v0``
(Gymnasium imports the module named before the colon), and ``--layout``, ``--living-reward``
and ``--slip`` are passed to it as keyword arguments when given.  Grids print as grids
(a grid model's ``shape``/``wall``/``terminal``, or FrozenLake's ``desc``); other envs as
one line per state.  Exit status 0 on success, 2 on a bad argument (one line on stderr).
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._format import format_policy, format_values, grid_view
from .mdp import TabularMDP
from .solvers import SOLVERS
from .sweeps import MAX_SCAN_WIDTH, living_reward_thresholds

DEFAULT_ENV = "gridworld_env:LectureGrid-v0"
MAX_DIGITS = 15  # float64 carries 15-17 significant decimals


def _finite(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def _digits(text: str) -> int:
    try:
        d = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= d <= MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"must be in 0..{MAX_DIGITS}, got {d}")
    return d


def _env_arg(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    low = raw.strip().lower()
    if low in ("true", "false"):
        return key, low == "true"
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return key, raw  # a plain string (e.g. map_name=8x8)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m planners",
        description="Plan a Gymnasium env with Discrete spaces: print the optimal values and the policy.",
    )
    p.add_argument("--env", default=DEFAULT_ENV, help=f"Gymnasium env id (default {DEFAULT_ENV})")
    p.add_argument(
        "--env-arg",
        type=_env_arg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument of gymnasium.make (repeatable; VALUE a Python literal or a string)",
    )
    p.add_argument(
        "--layout",
        help="LectureGrid layout (lecture, cliff, bridge, discount, maze, four_rooms, open:NxM, maze:NxM[:SEED])",
    )
    p.add_argument("--living-reward", type=_finite, help="LectureGrid: reward of every non-terminal step")
    p.add_argument("--slip", type=_finite, help="LectureGrid: probability of slipping sideways (0.2: R&N)")
    p.add_argument("--gamma", type=_finite, default=1.0, help="discount in [0, 1]")
    p.add_argument("--planner", default="solve", choices=sorted(SOLVERS), help="planning algorithm")
    p.add_argument("--tol", type=_finite, default=1e-8, help="stopping tolerance (sup-norm change)")
    p.add_argument("--digits", type=_digits, default=3, help=f"decimals of the printed values (0..{MAX_DIGITS})")
    p.add_argument(
        "--thresholds",
        action="store_true",
        help="instead: the living rewards in [--lo, --hi] where the optimal policy changes (grid envs)",
    )
    p.add_argument("--lo", type=_finite, default=-2.0, help="lowest living reward scanned by --thresholds")
    p.add_argument(
        "--hi", type=_finite, default=0.5, help=f"highest living reward scanned (hi - lo <= {MAX_SCAN_WIDTH:g})"
    )
    return p


def _make_env(args: argparse.Namespace) -> Any:
    import gymnasium as gym

    kwargs = dict(args.env_arg)
    for flag, key in (("layout", "layout"), ("living_reward", "living_reward"), ("slip", "slip")):
        if getattr(args, flag) is not None:
            kwargs[key] = getattr(args, flag)
    try:
        return gym.make(args.env, **kwargs)
    except (gym.error.Error, ImportError, TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"cannot make env {args.env!r} with {kwargs}: {first}") from None


def _name(env: Any) -> str:
    base = env.unwrapped
    model = getattr(base, "model", None)
    lay = getattr(model, "layout", None)
    name = getattr(lay, "name", None)
    return str(name) if name else (env.spec.id if env.spec is not None else type(base).__name__)


def _settings(env: Any) -> str:
    model = getattr(env.unwrapped, "model", None)
    parts = [f"{k.replace('_', ' ')} {getattr(model, k):g}" for k in ("living_reward", "slip") if hasattr(model, k)]
    return ", ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        env = _make_env(args)
        if args.thresholds:
            res = living_reward_thresholds(env, gamma=args.gamma, lo=args.lo, hi=args.hi)
            print(
                f"{_name(env)}: slip {res.slip:g}, gamma {args.gamma:g}; policy changes at living rewards "
                + (", ".join(f"{t:.4f}".replace("-0.0000", "0.0000") for t in res.thresholds) or "(none)")
            )
            print()
            print(res.describe())
            return 0
        mdp = TabularMDP.from_env(env)
        result = SOLVERS[args.planner](mdp, args.gamma, tol=args.tol)
    except ValueError as err:
        parser.error(str(err))
    settings = _settings(env)
    print(
        f"{_name(env)}: {settings + ', ' if settings else ''}gamma {args.gamma:g} "
        f"-- {result.method}, {result.iterations} iterations, "
        f"{'converged' if result.converged else 'NOT converged'}, {result.wall_time * 1e3:.2f} ms"
    )
    view = grid_view(env, mdp.terminal)
    print()
    with np.printoptions(suppress=True):
        print(format_values(view, result.values, args.digits))
    print()
    print(format_policy(view, result.policy))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
