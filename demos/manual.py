"""Play the gridworld yourself with the arrow keys, seeing each reward and the return.

Run ``python -m demos.manual`` (``--slip 0.2`` for Russell & Norvig's slippery world).  Arrow
keys or WASD move; the caption shows the last move, where the agent actually went (with slip
it may go sideways), the reward and the return so far; the orange trail is the episode's path.
``r`` starts a new episode, ``q`` or ``Esc`` quits.

Without a display the demo plays the moves of ``--script`` (e.g. ``UURRR``: up, up, right,
right, right) and writes ``manual.gif`` into ``--out``; key presses posted into pygame's event
queue are played too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gridworld_env import ACTION_NAMES, DOWN, LEFT, RIGHT, UP, LectureGridEnv, layout_names
from gridworld_env.render import GridRenderer, auto_tile_size

from ._app import App, HelpFormatter, add_app_arguments, layout_arg, unit_interval
from ._checks import finite_float, tile_size

KEYS_HELP = "keys: arrows or WASD move, r new episode, q quit"
SCRIPT_ACTIONS = {"U": UP, "D": DOWN, "L": LEFT, "R": RIGHT}


class ManualDemo:
    """An episode driven by key presses (or a script), one frame per event.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see :func:`parser`).
    app : App
        Window or headless recorder.
    """

    def __init__(self, args: argparse.Namespace, app: App) -> None:
        self.args = args
        self.app = app
        self.env = LectureGridEnv(args.layout, living_reward=args.living_reward, slip=args.slip)
        self.layout = self.env.layout
        self.renderer = GridRenderer(self.layout, args.tile_size or auto_tile_size(self.layout, 720))
        pg = app.pg
        self.keymap = {
            pg.K_UP: UP,
            pg.K_w: UP,
            pg.K_DOWN: DOWN,
            pg.K_s: DOWN,
            pg.K_LEFT: LEFT,
            pg.K_a: LEFT,
            pg.K_RIGHT: RIGHT,
            pg.K_d: RIGHT,
        }
        self.episode = 0
        self.script = [SCRIPT_ACTIONS[ch] for ch in args.script.upper()]
        self.rewards: list[float] = []
        self.new_episode()

    @property
    def ret(self) -> float:
        """The return of the episode so far (undiscounted sum of rewards)."""
        return float(sum(self.rewards))

    def new_episode(self) -> None:
        """Reset the env (seeded per episode)."""
        s, _ = self.env.reset(seed=self.args.seed + self.episode)
        self.s = int(s)
        self.trajectory = [self.s]
        self.rewards = []
        self.over = False
        self.status = "your move: arrow keys" if not self.app.headless else "scripted moves"

    def move(self, action: int) -> None:
        """Take one step (ignored once the episode is over)."""
        if self.over:
            return
        before = self.s
        s, r, term, _trunc, _ = self.env.step(action)
        self.s = int(s)
        self.trajectory.append(self.s)
        self.rewards.append(float(r))
        went = ""
        if self.s != before:
            dr = self.layout.position(self.s)[0] - self.layout.position(before)[0]
            dc = self.layout.position(self.s)[1] - self.layout.position(before)[1]
            actual = {(-1, 0): UP, (1, 0): DOWN, (0, -1): LEFT, (0, 1): RIGHT}[(dr, dc)]
            if actual != action:
                went = f" (slipped {ACTION_NAMES[actual]})"
        else:
            went = " (bumped)"
        self.status = f"{ACTION_NAMES[action]}{went}: reward {r:+g}, return {self.ret:+.2f}"
        if term:
            self.over = True
            self.episode += 1
            self.status = f"exit reached: reward {r:+g}, return {self.ret:+.2f} in {len(self.rewards)} steps (r: again)"

    def handle(self, event: Any) -> None:
        """React to one key press."""
        pg = self.app.pg
        if event.type != pg.KEYDOWN:
            return
        if event.key in self.keymap:
            self.move(self.keymap[event.key])
        elif event.key == pg.K_r:
            self.new_episode()
        elif event.key in (pg.K_q, pg.K_ESCAPE):
            self.app.quit()

    def frame(self) -> Any:
        """The current frame."""
        head = f"{self.layout.name}: living reward {self.env.living_reward:g}, slip {self.env.slip:g}, step {len(self.rewards)}"
        return self.renderer.draw(self.s, trajectory=self.trajectory, caption=f"{head}\n{self.status}", caption_lines=2)

    def run(self) -> None:
        """Frames until quit (window), or until the script and posted keys are played (headless)."""
        app = self.app
        script = list(self.script)
        title = f"LectureGrid {self.layout.name}: play with the arrow keys"
        while app.running:
            events = app.present(self.frame(), title=title)
            for e in events:
                self.handle(e)
            if app.headless and not events:
                if not script or self.over:
                    app.present(self.frame(), title=title)  # the final state
                    break
                self.move(script.pop(0))


def _script(text: str) -> str:
    bad = sorted(set(text.upper()) - set(SCRIPT_ACTIONS))
    if bad:
        raise argparse.ArgumentTypeError(f"script moves are U, D, L, R; got {''.join(bad)!r} in {text!r}")
    return text


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m demos.manual",
        description=__doc__.split("\n\n")[0],
        epilog=KEYS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--layout", type=layout_arg, default="lecture", help=f"layout name: {', '.join(layout_names())}")
    p.add_argument("--living-reward", type=finite_float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--slip", type=unit_interval, default=0.0, help="probability of slipping sideways")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    p.add_argument("--script", type=_script, default="UURRR", help="moves played headless (U, D, L, R)")
    p.add_argument("--tile-size", type=tile_size, default=None, help="pixels per square (default: fit ~720 px)")
    add_app_arguments(p, "manual", fps=30.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    args = parser().parse_args(argv)
    app = App("manual", args, "LectureGrid: play")
    demo = ManualDemo(args, app)
    if not app.headless:
        print(KEYS_HELP)
    demo.run()
    app.finish("manual.gif", gif_fps=2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
