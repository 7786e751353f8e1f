"""The lecture's slide: optimal policies of the 4x3 world for living rewards -2, -0.5, -0.04, +0.1.

Run ``python -m demos.living_reward``.  One image, a 2 x 4 panel: the top row deterministic
moves, the bottom row slip 0.2 (Russell & Norvig's 0.8 / 0.1 / 0.1); each panel shows the
optimal values (heat-map, numbers) and every optimal action (arrows; several on ties).

* -2: life hurts so much that the nearest exit is best, even the -1 one;
* -0.5: head for +1 by the shortest route, risking the -1 square;
* -0.04: the textbook policy, taking the long safe way round near the -1 square;
* +0.1: living pays, so exits are avoided for ever.  With ``gamma = 1`` the values grow without
  bound; the panel shows the greedy policy after ``--horizon`` sweeps of value iteration.

The image is shown in a window (``q`` / ``Esc`` or closing it quits) and, without a display,
written to ``--out`` as ``living_reward.png``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from gridworld_env import LectureGridEnv, get_layout
from gridworld_env.render import COLORS, GridRenderer

from ._app import App, HelpFormatter, add_app_arguments, positive_int, unit_interval
from ._checks import finite_float, tile_size

LIVING_REWARDS = (-2.0, -0.5, -0.04, 0.1)
SLIPS = (0.0, 0.2)


def plan(living_reward: float, slip: float, gamma: float, horizon: int) -> tuple[Any, bool]:
    """Value iteration on the 4x3 world: ``(PlanResult, converged)``.

    Where values grow without bound (``gamma = 1`` and a positive living reward) it stops after
    ``horizon`` sweeps.
    """
    import planners

    mdp = planners.TabularMDP.from_env(LectureGridEnv("lecture", living_reward=living_reward, slip=slip))
    unbounded = gamma >= 1.0 and living_reward > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planners.ConvergenceWarning)
        res = planners.value_iteration(mdp, gamma, tol=1e-10, max_iter=horizon if unbounded else None, method="jacobi")
    return res, bool(res.converged)


def panel_caption(living_reward: float, slip: float, converged: bool, horizon: int) -> str:
    """A panel's title."""
    move = f"slip {slip:g}" if slip else "deterministic"
    lr = f"{living_reward:+g}"
    tail = "" if converged else f" ({horizon} sweeps)"
    return f"R = {lr}, {move}{tail}"


def draw_slide(living_rewards: Sequence[float], slips: Sequence[float], gamma: float, horizon: int, tile: int) -> Any:
    """The whole slide as one pygame surface (rows: slips, columns: living rewards)."""
    import pygame

    lay = get_layout("lecture")
    r = GridRenderer(lay, tile)
    panels = []
    for slip in slips:
        row = []
        for lr in living_rewards:
            res, ok = plan(lr, slip, gamma, horizon)
            row.append(
                r.draw(
                    values=res.values,
                    policy=res.greedy_mask(),
                    caption=panel_caption(lr, slip, ok, horizon),
                    caption_lines=1,
                )
            )
        panels.append(row)
    gap = max(8, tile // 8)
    pw, ph = panels[0][0].get_size()
    title = f"Optimal policies of the 4x3 world as the living reward changes (gamma {gamma:g})"
    W = len(living_rewards) * pw + (len(living_rewards) + 1) * gap
    th = r.text(title, min(48, W / 40), COLORS["caption"])
    top = th.get_height() + 2 * gap
    H = top + len(slips) * ph + (len(slips) + 1) * gap - gap
    surf = pygame.Surface((W, H))
    surf.fill(COLORS["background"])
    surf.blit(th, th.get_rect(midtop=(W // 2, gap)))
    for i, row in enumerate(panels):
        for j, p in enumerate(row):
            surf.blit(p, (gap + j * (pw + gap), top + i * (ph + gap)))
    return surf


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m demos.living_reward", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter
    )
    p.add_argument(
        "--living-rewards",
        type=finite_float,
        nargs="+",
        default=list(LIVING_REWARDS),
        metavar="R",
        help="one column per living reward",
    )
    p.add_argument(
        "--slip", type=unit_interval, default=0.2, help="slip of the second row (the first is deterministic)"
    )
    p.add_argument("--gamma", type=unit_interval, default=1.0, help="discount factor in [0, 1]")
    p.add_argument(
        "--horizon",
        type=positive_int,
        default=100,
        help="sweeps shown where values grow without bound (gamma 1, positive living reward)",
    )
    p.add_argument("--tile-size", type=tile_size, default=100, help="pixels per square")
    add_app_arguments(p, "living_reward", fps=10.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Draw the slide; show it, or write it without a display."""
    p = parser()
    args = p.parse_args(argv)
    if not 0.0 < args.slip <= 1.0:
        p.error(f"--slip must be in (0, 1], got {args.slip}")
    if len(args.living_rewards) > 8:
        p.error(f"at most 8 living rewards fit on a slide, got {len(args.living_rewards)}")
    slide = draw_slide(args.living_rewards, (0.0, args.slip), args.gamma, args.horizon, args.tile_size)
    app = App("living_reward", args, "LectureGrid: optimal policy vs living reward")
    if app.headless:
        app.save_png(slide, "living_reward.png")
    else:
        while app.running:
            for e in app.present(slide):
                if e.type == app.pg.KEYDOWN and e.key in (app.pg.K_q, app.pg.K_ESCAPE):
                    app.quit()
    app.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
