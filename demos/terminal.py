"""Terminal demo: an episode of a hand-written policy on the lecture grid, drawn as text.

Run ``python -m demos.terminal --help``.  The policy is the lecture's "go up the left column,
then right along the top" route; with ``--slip 0.2`` the same policy meets Russell & Norvig's
noisy world and sometimes slips.
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym

import gridworld_env
from gridworld_env import ACTION_NAMES, DOWN, LEFT, RIGHT, UP

from ._checks import finite_float, nonnegative_float, positive_int, unit_interval

# (row, col) -> action on the 4x3 grid: up the left column, right along the top,
# and from the bottom row back towards the left column or up the third column.
HAND_POLICY = {
    (0, 0): RIGHT,
    (0, 1): RIGHT,
    (0, 2): RIGHT,
    (1, 0): UP,
    (1, 2): UP,
    (2, 0): UP,
    (2, 1): LEFT,
    (2, 2): UP,
    (2, 3): LEFT,
}


def hand_policy(row: int, col: int) -> int:
    """The hand-written action for square ``(row, col)`` of the lecture grid."""
    return HAND_POLICY.get((row, col), DOWN)


def main(argv: list[str] | None = None) -> int:
    """Run one or more episodes and print each step."""
    parser = argparse.ArgumentParser(prog="python -m demos.terminal", description=__doc__.splitlines()[0])
    parser.add_argument("--slip", type=unit_interval, default=0.0, help="probability of slipping sideways (default 0)")
    parser.add_argument("--living-reward", type=finite_float, default=-0.04, help="reward per step (default -0.04)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    parser.add_argument("--episodes", type=positive_int, default=1, help="number of episodes (default 1)")
    parser.add_argument(
        "--delay", type=nonnegative_float, default=0.0, help="seconds to pause between steps (default 0)"
    )
    args = parser.parse_args(argv)

    env = gym.make("LectureGrid-v0", render_mode="ansi", slip=args.slip, living_reward=args.living_reward)
    print(
        f"LectureGrid-v0 (gridworld_env {gridworld_env.__version__}): slip {args.slip}, "
        f"living reward {args.living_reward}"
    )
    for ep in range(args.episodes):
        _obs, info = env.reset(seed=args.seed + ep)
        print(f"\nepisode {ep + 1}, start at {(info['row'], info['col'])}")
        print(env.render())
        total, steps, done = 0.0, 0, False
        while not done:
            action = hand_policy(info["row"], info["col"])
            _obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated
            print(
                f"step {steps}: {ACTION_NAMES[action]:>5} -> {(info['row'], info['col'])}  "
                f"reward {reward:+.2f}  return {total:+.2f}  (p={info['prob']:.2f})"
            )
            print(env.render())
            if args.delay:
                time.sleep(args.delay)
        end = "terminated" if terminated else "truncated"
        print(f"episode {ep + 1} {end} after {steps} steps with return {total:+.2f}")
    env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
