"""The lecture's "Is this policy optimal?": edit a policy, see V^pi next to V* live.

Run ``python -m demos.policy_editor``.  Left: your policy pi (arrows) and its values V^pi,
computed by policy evaluation after every change; right: the optimal values V* and every
optimal action.  Squares where your action is not an optimal one are framed in gold; when
none is, your policy is optimal.

Mouse: left-click a square to turn its arrow clockwise (up, right, down, left), right-click to
turn it back.  Keys: ``+`` / ``-`` living reward (the lecture ladder), ``s`` toggles slip
0 / 0.2, ``o`` copies the optimal policy, ``r`` resets, ``q`` or ``Esc`` quits.

A policy that never reaches an exit from some square is worth -inf there at ``gamma = 1``
(+inf with a positive living reward): those squares show "-inf" on grey.  Without a display
the demo applies ``--clicks`` (e.g. ``"2,2;1,2"``) one per frame and writes
``policy_editor.gif`` and the final ``policy_editor.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np

from gridworld_env import DOWN, LEFT, RIGHT, UP, LayoutError, LectureGridEnv, as_layout, layout_names
from gridworld_env.render import COLORS, GridRenderer, auto_tile_size

from ._app import App, HelpFormatter, add_app_arguments, layout_arg, unit_interval
from ._checks import finite_float, tile_size
from .lecture import LADDER
from .terminal import hand_policy

KEYS_HELP = "mouse: click a square to turn its arrow; keys: +/- living reward, s slip, o optimal, r reset, q quit"
CLOCKWISE = {UP: RIGHT, RIGHT: DOWN, DOWN: LEFT, LEFT: UP}
COUNTER = {v: k for k, v in CLOCKWISE.items()}
SLIP = 0.2


class PolicyEditor:
    """A policy being edited, its values, and the optimal plan, for one layout and settings.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see :func:`parser`).
    app : App
        Window or headless recorder.
    """

    def __init__(self, args: argparse.Namespace, app: App) -> None:
        import planners

        self.planners = planners
        self.args = args
        self.app = app
        self.layout = as_layout(args.layout)
        self.renderer = GridRenderer(self.layout, args.tile_size or auto_tile_size(self.layout, 560))
        self.living_reward = float(args.living_reward)
        self.slip = float(args.slip)
        self.gamma = float(args.gamma)
        self.gap = max(12, self.renderer.tile // 6)
        self.reset_policy()

    # -- model ------------------------------------------------------------------------------------
    def initial_policy(self) -> np.ndarray:
        """The starting policy: the hand-written route on the lecture grid, all "up" elsewhere."""
        lay = self.layout
        if lay.name == "lecture":
            return np.array([hand_policy(*lay.position(s)) for s in range(lay.n_states)], dtype=np.int64)
        return np.full(lay.n_states, UP, dtype=np.int64)

    def reset_policy(self) -> None:
        """Back to the starting policy (and re-plan)."""
        self.policy = self.initial_policy()
        self.replan()

    def replan(self) -> None:
        """Optimal plan for the current settings, then the policy's values."""
        pl = self.planners
        self.env = LectureGridEnv(self.layout, living_reward=self.living_reward, slip=self.slip)
        self.mdp = pl.TabularMDP.from_env(self.env)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pl.ConvergenceWarning)
            self.optimal = pl.value_iteration(self.mdp, self.gamma, tol=1e-10)
        self.optimal_actions = self.optimal.greedy_mask()
        self.evaluate()

    def evaluate(self) -> None:
        """V^pi of the current policy (planners.policy_evaluation: +-inf where it never exits at gamma 1)."""
        pol = self.policy
        self.v_pi = self.planners.policy_evaluation(self.mdp, pol, self.gamma)
        free = ~self.mdp.terminal
        self.not_optimal = free & ~self.optimal_actions[np.arange(len(pol)), pol]

    # -- edits ----------------------------------------------------------------------------------------
    def turn(self, state: int, clockwise: bool = True) -> bool:
        """Turn the arrow of a free square; False (nothing changes) on walls and terminals."""
        if not self.layout.free[state]:
            return False
        cur = int(self.policy[state])
        self.policy[state] = CLOCKWISE[cur] if clockwise else COUNTER[cur]
        self.evaluate()
        return True

    def shift_living_reward(self, direction: int) -> None:
        """Next (+1) / previous (-1) living reward of the lecture ladder."""
        lr = self.living_reward
        options = [x for x in LADDER if (x > lr + 1e-12 if direction > 0 else x < lr - 1e-12)]
        if options:
            self.living_reward = options[0] if direction > 0 else options[-1]
            self.replan()

    def click(self, pos: tuple[float, float] | None, button: int = 1) -> bool:
        """Handle a click at frame pixel ``pos`` (left panel squares turn)."""
        if pos is None:
            return False
        x, y = pos[0] - self.gap, pos[1] - self.top
        s = self.renderer.state_at(x, y)
        return s is not None and self.turn(s, clockwise=button != 3)

    def handle(self, event: Any) -> None:
        """React to a key press or a click."""
        pg = self.app.pg
        if event.type == pg.MOUSEBUTTONDOWN:
            self.click(getattr(event, "frame_pos", None), event.button)
        elif event.type == pg.KEYDOWN:
            k = event.key
            if k in (pg.K_PLUS, pg.K_EQUALS, pg.K_KP_PLUS):
                self.shift_living_reward(+1)
            elif k in (pg.K_MINUS, pg.K_KP_MINUS):
                self.shift_living_reward(-1)
            elif k == pg.K_s:
                self.slip = 0.0 if self.slip else SLIP
                self.replan()
            elif k == pg.K_o:
                self.policy = self.optimal.policy.astype(np.int64).copy()
                self.evaluate()
            elif k == pg.K_r:
                self.reset_policy()
            elif k in (pg.K_q, pg.K_ESCAPE):
                self.app.quit()

    # -- drawing ---------------------------------------------------------------------------------------
    def settings(self) -> str:
        """The settings in words."""
        slip = f"slip {self.slip:g}" if self.slip else "deterministic"
        return f"living reward {self.living_reward:+g}, {slip}, gamma {self.gamma:g}"

    @property
    def top(self) -> int:
        """y of the left board's top edge in the frame."""
        r = self.renderer
        return self._title_height() + r.caption_height("x", r.width, 1)

    def _title_height(self) -> int:
        return self.renderer.caption_height("x", 2 * self.renderer.width + 3 * self.gap, 2)

    def frame(self) -> Any:
        """Both panels and the verdict, as one surface."""
        import pygame

        r, gap = self.renderer, self.gap
        pol = np.where(self.layout.free, self.policy, -1)  # no arrows on walls and exits
        finite = self.v_pi[np.isfinite(self.v_pi)]
        vr = float(max(np.abs(self.optimal.values).max(), np.abs(finite).max() if finite.size else 0.0, 1e-9))
        left = r.draw(
            values=self.v_pi,
            policy=pol,
            highlight=self.not_optimal,
            caption="your policy pi: V^pi (click to turn)",
            caption_lines=1,
            value_range=vr,
        )
        right = r.draw(
            values=self.optimal.values,
            policy=self.optimal_actions,
            caption="optimal: V* and pi*",
            caption_lines=1,
            value_range=vr,
        )
        n_bad = int(self.not_optimal.sum())
        verdict = (
            "your policy is optimal!"
            if n_bad == 0
            else f"not optimal: {n_bad} square{'s' if n_bad > 1 else ''} framed in gold"
        )
        W = 2 * r.width + 3 * gap
        surf = pygame.Surface((W, self._title_height() + left.get_height() + gap))
        surf.fill(COLORS["background"])
        h = r._caption_size(W)
        y = 0.25 * h
        for line, color in (
            (self.settings(), COLORS["caption"]),
            (verdict, COLORS["caption"] if n_bad else COLORS["highlight"]),
        ):
            img = r.text(line, h, color)
            surf.blit(img, img.get_rect(midtop=(W // 2, int(y))))
            y += 1.25 * h
        surf.blit(left, (gap, self._title_height()))
        surf.blit(right, (2 * gap + r.width, self._title_height()))
        return surf

    def run(self) -> None:
        """Frames until quit (window), or until the scripted clicks are applied (headless)."""
        app = self.app
        clicks = list(self.args.clicks)
        title = "LectureGrid: is this policy optimal?"
        while app.running:
            events = app.present(self.frame(), title=f"{title} ({self.settings()})")
            for e in events:
                self.handle(e)
            if app.headless and not events:
                if not clicks:
                    break
                row, col = clicks.pop(0)
                self.turn(self.layout.state(row, col))
        app.save_png(self.frame(), "policy_editor.png")


def _clicks(text: str) -> list[tuple[int, int]]:
    out = []
    for part in filter(None, text.replace(" ", "").split(";")):
        try:
            row, col = (int(v) for v in part.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"clicks look like 'ROW,COL;ROW,COL', got {part!r} in {text!r}") from None
        out.append((row, col))
    return out


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m demos.policy_editor",
        description=__doc__.split("\n\n")[0],
        epilog=KEYS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--layout", type=layout_arg, default="lecture", help=f"layout name: {', '.join(layout_names())}")
    p.add_argument("--living-reward", type=finite_float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--slip", type=unit_interval, default=SLIP, help="probability of slipping sideways")
    p.add_argument("--gamma", type=unit_interval, default=1.0, help="discount factor in [0, 1]")
    p.add_argument(
        "--clicks", type=_clicks, default=_clicks("2,2;1,0;1,0"), help="squares clicked headless, 'ROW,COL;ROW,COL'"
    )
    p.add_argument("--tile-size", type=tile_size, default=None, help="pixels per square (default: fit ~560 px)")
    add_app_arguments(p, "policy_editor", fps=30.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    p = parser()
    args = p.parse_args(argv)
    try:
        lay = as_layout(args.layout)
        for rc in args.clicks:
            lay.state(*rc)
    except LayoutError as e:
        p.error(str(e))
    app = App("policy_editor", args, "LectureGrid: is this policy optimal?")
    editor = PolicyEditor(args, app)
    if not app.headless:
        print(KEYS_HELP)
    editor.run()
    app.finish("policy_editor.gif", gif_fps=1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
