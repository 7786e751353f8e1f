"""Command line: plan a gridworld layout and print its values and policy.

    python -m planners --layout lecture --living-reward -0.5 --slip 0 --gamma 1
    python -m planners --layout lecture --slip 0.2 --thresholds      # policy changes over living rewards

Exit status 0 on success, 2 on a bad argument (argparse convention).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from ._format import format_policy, format_values
from .mdp import TabularMDP
from .solvers import SOLVERS
from .sweeps import living_reward_thresholds


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m planners",
        description="Plan a lecturegrid layout: print the optimal values and the policy as arrows.",
    )
    p.add_argument(
        "--layout",
        default="lecture",
        help="layout name (lecture, cliff, bridge, discount, maze, four_rooms, open:NxM, maze:NxM[:SEED])",
    )
    p.add_argument("--living-reward", type=float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--slip", type=float, default=0.0, help="probability of slipping sideways (0.2: Russell & Norvig)")
    p.add_argument("--gamma", type=float, default=1.0, help="discount in [0, 1]")
    p.add_argument("--planner", default="value_iteration", choices=sorted(SOLVERS), help="planning algorithm")
    p.add_argument("--tol", type=float, default=1e-8, help="stopping tolerance (sup-norm change)")
    p.add_argument("--digits", type=int, default=3, help="decimals of the printed values")
    p.add_argument(
        "--thresholds",
        action="store_true",
        help="instead: the living rewards in [--lo, --hi] where the optimal policy changes",
    )
    p.add_argument("--lo", type=float, default=-2.0, help="lowest living reward scanned by --thresholds")
    p.add_argument("--hi", type=float, default=0.5, help="highest living reward scanned by --thresholds")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    from gridworld_env.layouts import as_layout
    from gridworld_env.model import build_model

    try:
        layout = as_layout(args.layout)
        if args.thresholds:
            res = living_reward_thresholds(layout, gamma=args.gamma, slip=args.slip, lo=args.lo, hi=args.hi)
            print(
                f"{layout.name}: slip {args.slip:g}, gamma {args.gamma:g}; policy changes at living rewards "
                + (", ".join(f"{t:.4f}".replace("-0.0000", "0.0000") for t in res.thresholds) or "(none)")
            )
            print()
            print(res.describe())
            return 0
        model = build_model(layout, living_reward=args.living_reward, slip=args.slip)
        mdp = TabularMDP(model.next_state, model.prob, model.reward, model.absorbing)
        result = SOLVERS[args.planner](mdp, args.gamma, tol=args.tol)
    except ValueError as err:
        parser.error(str(err))
    print(
        f"{layout.name}: living reward {args.living_reward:g}, slip {args.slip:g}, gamma {args.gamma:g} "
        f"-- {result.method}, {result.iterations} iterations, "
        f"{'converged' if result.converged else 'NOT converged'}, {result.wall_time * 1e3:.2f} ms"
    )
    print()
    with np.printoptions(suppress=True):
        print(format_values(layout, result.values, args.digits))
    print()
    print(format_policy(layout, result.policy))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
