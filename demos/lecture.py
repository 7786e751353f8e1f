"""The lecture's 4x3 world: value iteration sweep by sweep, then the agent following the plan.

Run ``python -m demos.lecture`` (what ``make demo`` runs).  Each frame of the first phase is
one sweep of value iteration (Bellman backups of every square): the heat-map and the numbers
are ``V_k``, the arrows the greedy policy of ``V_k`` (every maximising action on ties).  Once
the values have converged the agent (blue disc) walks the greedy policy, leaving an orange
trail, episode after episode.

Keys: ``+`` / ``-`` next / previous living reward on the ladder -2, -1, -0.5, -0.2, -0.04,
-0.01, 0, +0.1 (re-plans from V = 0); ``s`` toggles slip 0 / 0.2; ``space`` pauses /
resumes; ``n`` or the right arrow steps one frame while paused; ``r`` restarts; ``q`` or
``Esc`` quits.  Without a display the demo runs offscreen and writes ``lecture.gif`` (every
frame) and ``values.png`` (the converged plan) into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np

from gridworld_env import LectureGridEnv, get_layout
from gridworld_env.render import GridRenderer

from ._app import App, HelpFormatter, add_app_arguments, positive_int, unit_interval
from ._checks import finite_float, format_string, positive_float, tile_size

#: Living rewards the +/- keys step through: one in each interval with a different optimal
#: policy of Russell & Norvig's 4x3 world (slip 0.2), and the slide's -2, -0.5, -0.04, +0.1.
LADDER = (-2.0, -1.0, -0.5, -0.2, -0.04, -0.01, 0.0, 0.1)
SLIP = 0.2
KEYS_HELP = "keys: +/- living reward, s slip, space pause, n step, r restart, q quit"


def _fmt(x: float) -> str:
    return f"{x:+g}" if x else "0"


class LectureDemo:
    """State and logic of the lecture demo (planning, then acting), one frame at a time.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line options (see :func:`parser`).
    app : App
        Window or headless recorder.
    """

    def __init__(self, args: argparse.Namespace, app: App) -> None:
        import planners  # the demo needs the planners; the renderer does not

        self.planners = planners
        self.args = args
        self.app = app
        self.layout = get_layout("lecture")
        self.renderer = GridRenderer(self.layout, args.tile_size)
        self.living_reward = float(args.living_reward)
        self.slip = float(args.slip)
        self.gamma = float(args.gamma)
        self.paused = False
        self.episodes_done = 0
        self.restart()

    # -- state changes -------------------------------------------------------------------
    def restart(self) -> None:
        """Re-plan from V = 0 with the current settings (and forget the agent)."""
        self.env = LectureGridEnv(self.layout, living_reward=self.living_reward, slip=self.slip)
        self.mdp = self.planners.TabularMDP.from_env(self.env)
        self.sweeps = self.planners.value_iteration_sweeps(
            self.mdp, self.gamma, tol=self.args.tol, max_iter=self.args.max_sweeps
        )
        self.plan: Any = None
        self.phase = "plan"
        self.agent: int | None = None
        self.trajectory: list[int] = []
        self.ret = 0.0
        self.steps = 0
        self.hold = 0
        self.status = "value iteration: V_0 = 0"

    def set_living_reward(self, value: float) -> None:
        """Change the living reward and re-plan."""
        self.living_reward = float(value)
        self.restart()

    def shift_living_reward(self, direction: int) -> None:
        """Move to the next (+1) or previous (-1) living reward of :data:`LADDER`."""
        lr = self.living_reward
        if direction > 0:
            higher = [x for x in LADDER if x > lr + 1e-12]
            if higher:
                self.set_living_reward(higher[0])
        else:
            lower = [x for x in LADDER if x < lr - 1e-12]
            if lower:
                self.set_living_reward(lower[-1])

    def handle(self, event: Any) -> None:
        """React to one key press."""
        pg = self.app.pg
        if event.type != pg.KEYDOWN:
            return
        key = event.key
        if key in (pg.K_PLUS, pg.K_EQUALS, pg.K_KP_PLUS):
            self.shift_living_reward(+1)
        elif key in (pg.K_MINUS, pg.K_KP_MINUS, pg.K_UNDERSCORE):
            self.shift_living_reward(-1)
        elif key == pg.K_s:
            self.slip = 0.0 if self.slip else SLIP
            self.restart()
        elif key == pg.K_SPACE:
            self.paused = not self.paused
        elif key in (pg.K_n, pg.K_RIGHT) and self.paused:
            self.advance()
        elif key == pg.K_r:
            self.restart()
        elif key in (pg.K_q, pg.K_ESCAPE):
            self.app.quit()

    # -- one frame of progress -------------------------------------------------------------------
    def advance(self) -> None:
        """Do one step: a value-iteration sweep, or one move of the agent."""
        if self.phase == "plan":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # gamma = 1 and living reward > 0 never converges
                nxt = next(self.sweeps, None)
            if nxt is not None:
                self.plan = nxt
                res = nxt.residuals[-1] if len(nxt.residuals) else 0.0
                self.status = f"value iteration: sweep {nxt.iterations}, max change {res:.4f}"
            if nxt is None or nxt.converged:
                done = "converged" if self.plan.converged else "stopped (values grow without bound)"
                self.status = f"value iteration {done} after {self.plan.iterations} sweeps"
                self.phase = "wait"
                self.hold = self.args.hold
        elif self.phase == "wait":
            self.hold -= 1
            if self.hold <= 0:
                self.new_episode()
        elif self.phase == "act":
            assert self.agent is not None
            a = int(self.plan.policy[self.agent])
            s, r, term, _trunc, _info = self.env.step(a)
            self.agent = int(s)
            self.trajectory.append(self.agent)
            self.ret += r
            self.steps += 1
            self.status = (
                f"episode {self.episodes_done + 1}: step {self.steps}, reward {r:+.2f}, return {self.ret:+.2f}"
            )
            if term or self.steps >= self.args.episode_steps:
                self.episodes_done += 1
                end = "reached an exit" if term else f"stopped after {self.steps} steps"
                self.status = f"episode {self.episodes_done} {end}: return {self.ret:+.2f}"
                self.phase = "ended"
                self.hold = self.args.hold
        elif self.phase == "ended":
            self.hold -= 1
            if self.hold <= 0 and not self.finished:
                self.new_episode()

    def new_episode(self) -> None:
        """Put the agent on the start square."""
        s, _ = self.env.reset(seed=self.args.seed + self.episodes_done)
        self.agent = int(s)
        self.trajectory = [self.agent]
        self.ret, self.steps = 0.0, 0
        self.phase = "act"
        self.status = f"episode {self.episodes_done + 1}: the agent follows the greedy policy"

    @property
    def finished(self) -> bool:
        """Headless runs stop once ``--episodes`` episodes were played."""
        return (
            self.app.headless and self.episodes_done >= self.args.episodes and self.phase == "ended" and self.hold <= 0
        )

    # -- drawing ---------------------------------------------------------------------------------------
    def settings(self) -> str:
        """The current settings in words."""
        slip = f"slip {self.slip:g}" if self.slip else "deterministic"
        return f"living reward {_fmt(self.living_reward)}, {slip}, gamma {self.gamma:g}"

    def title(self) -> str:
        """Window title."""
        paused = " [paused]" if self.paused else ""
        return f"LectureGrid 4x3: {self.settings()}{paused}"

    def frame(self) -> Any:
        """The current frame (a pygame surface)."""
        plan = self.plan
        values = None if plan is None else plan.values
        policy = None if plan is None else plan.greedy_mask()
        if plan is None:
            values = np.zeros(self.layout.n_states)
        return self.renderer.draw(
            self.agent,
            values=values,
            policy=policy,
            trajectory=self.trajectory or None,
            caption=f"{self.settings()}\n{self.status}",
            caption_lines=2,
            fmt=self.args.fmt,
        )

    # -- loop ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Show frames until quit (window), or until done or out of frames (headless)."""
        app = self.app
        saved_plan = False
        while app.running and not self.finished:
            for event in app.present(self.frame(), title=self.title()):
                self.handle(event)
            if app.closed:
                break
            if self.phase in ("wait", "act") and not saved_plan and app.headless:
                app.save_png(self.frame(), "values.png")
                saved_plan = True
            if not self.paused:
                self.advance()


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m demos.lecture",
        description=__doc__.split("\n\n")[0],
        epilog=KEYS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--living-reward", type=finite_float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument(
        "--slip", type=unit_interval, default=SLIP, help="probability of slipping sideways (half of it to each side)"
    )
    p.add_argument("--gamma", type=unit_interval, default=1.0, help="discount factor in [0, 1]")
    p.add_argument("--tol", type=positive_float, default=1e-4, help="stop value iteration when no value changes more")
    p.add_argument("--max-sweeps", type=positive_int, default=60, help="most value-iteration sweeps shown")
    p.add_argument("--episodes", type=positive_int, default=1, help="episodes played before a headless run stops")
    p.add_argument("--episode-steps", type=positive_int, default=100, help="longest episode")
    p.add_argument("--hold", type=positive_int, default=3, help="frames to pause between phases")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    p.add_argument("--tile-size", type=tile_size, default=160, help="pixels per square")
    p.add_argument("--fmt", type=format_string, default="{:.2f}", help="format of the printed values")
    add_app_arguments(p, "lecture", fps=4.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    args = parser().parse_args(argv)
    app = App("lecture", args, "LectureGrid 4x3")
    demo = LectureDemo(args, app)
    if not app.headless:
        print(KEYS_HELP)
    demo.run()
    app.finish("lecture.gif")
    return 0


if __name__ == "__main__":
    sys.exit(main())
