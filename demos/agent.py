"""Any layout, any planner: the agent plays episodes over a live value overlay.

Run ``python -m demos.agent --layout four_rooms --planner policy_iteration``.  The chosen
planner (a key of ``planners.SOLVERS``) plans once; then the agent (blue disc) follows the plan
episode after episode, over the planned values (heat-map; ``--q-values``: CS188-style
Q-value triangles) and policy (arrows), leaving an orange trail; the caption says the planner's sweeps and time and the episode's return.

Keys: ``space`` pauses / resumes, ``n`` or the right arrow steps while paused, ``r`` starts a
new episode, ``q`` or ``Esc`` quits.  Without a display it writes ``agent.gif`` (every frame)
and ``plan.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from gridworld_env import LectureGridEnv, layout_names
from gridworld_env.render import GridRenderer, auto_tile_size

from ._app import App, HelpFormatter, add_app_arguments, layout_arg, positive_int, unit_interval
from ._checks import finite_float, tile_size

KEYS_HELP = "keys: space pause, n step, r new episode, q quit"


class AgentDemo:
    """Planning once, then episodes of the planned policy, one frame per step.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see :func:`parser`).
    app : App
        Window or headless recorder.
    """

    def __init__(self, args: argparse.Namespace, app: App) -> None:
        import planners

        self.args = args
        self.app = app
        self.env = LectureGridEnv(
            args.layout, living_reward=args.living_reward, slip=args.slip, random_start=args.random_start
        )
        self.layout = self.env.layout
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", planners.ConvergenceWarning)
            self.agent = planners.PlannerAgent(self.env, planner=args.planner, gamma=args.gamma)
            # the first call may include numba's compilation: time a second, warm plan
            warm = planners.SOLVERS[args.planner](self.agent.mdp, args.gamma).wall_time
        res = self.agent.result
        self.plan_text = f"{args.planner} (gamma {args.gamma:g}): {res.iterations} iterations, {1000 * warm:.1f} ms" + (
            "" if res.converged else ", NOT converged"
        )
        tile = args.tile_size or auto_tile_size(self.layout, 900)
        self.renderer = GridRenderer(self.layout, tile)
        self.arrows = res.greedy_mask()
        self.paused = False
        self.episode = 0
        self.new_episode()

    def new_episode(self) -> None:
        """Reset the env (seeded per episode)."""
        s, _ = self.env.reset(seed=self.args.seed + self.episode)
        self.s = int(s)
        self.trajectory = [self.s]
        self.ret, self.steps, self.over, self.hold = 0.0, 0, False, 0
        self.status = f"episode {self.episode + 1}: start"

    def advance(self) -> None:
        """One step of the agent (or the pause after an episode)."""
        if self.over:
            self.hold -= 1
            if self.hold <= 0 and not self.finished:
                self.new_episode()
            return
        a = self.agent.act(self.s)
        s, r, term, _trunc, _ = self.env.step(a)
        self.s = int(s)
        self.trajectory.append(self.s)
        self.ret += r
        self.steps += 1
        self.status = f"episode {self.episode + 1}: step {self.steps}, return {self.ret:+.2f}"
        if term or self.steps >= self.args.episode_steps:
            self.episode += 1
            end = "reached an exit" if term else "ran out of steps"
            self.status = f"episode {self.episode} {end} after {self.steps} steps: return {self.ret:+.2f}"
            self.over, self.hold = True, self.args.hold

    @property
    def finished(self) -> bool:
        """Headless runs stop after ``--episodes`` episodes."""
        return self.app.headless and self.episode >= self.args.episodes and self.over and self.hold <= 0

    def handle(self, event: Any) -> None:
        """React to one key press."""
        pg = self.app.pg
        if event.type != pg.KEYDOWN:
            return
        if event.key == pg.K_SPACE:
            self.paused = not self.paused
        elif event.key in (pg.K_n, pg.K_RIGHT) and self.paused:
            self.advance()
        elif event.key == pg.K_r:
            self.new_episode()
        elif event.key in (pg.K_q, pg.K_ESCAPE):
            self.app.quit()

    def frame(self, agent: bool = True) -> Any:
        """The current frame."""
        res = self.agent.result
        q = res.q if self.args.q_values else None
        return self.renderer.draw(
            self.s if agent else None,
            values=res.values,
            policy=self.arrows,
            q=q,
            trajectory=self.trajectory if agent else None,
            caption=f"{self.layout.name}: {self.plan_text}\n{self.status}",
            caption_lines=2,
        )

    def run(self) -> None:
        """Frames until quit, done or out of budget."""
        app = self.app
        app.save_png(self.frame(agent=False), "plan.png")
        title = f"LectureGrid {self.layout.name}: {self.args.planner}, living reward {self.args.living_reward:g}"
        while app.running and not self.finished:
            for e in app.present(self.frame(), title=title):
                self.handle(e)
            if not self.paused and not app.closed:
                self.advance()


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    import planners

    p = argparse.ArgumentParser(
        prog="python -m demos.agent",
        description=__doc__.split("\n\n")[0],
        epilog=KEYS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--layout", type=layout_arg, default="four_rooms", help=f"layout name: {', '.join(layout_names())}")
    p.add_argument("--planner", default="solve", choices=sorted(planners.SOLVERS), help="planner")
    p.add_argument("--gamma", type=unit_interval, default=0.99, help="discount factor in [0, 1]")
    p.add_argument("--living-reward", type=finite_float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--slip", type=unit_interval, default=0.2, help="probability of slipping sideways")
    p.add_argument("--random-start", action="store_true", help="start episodes on random squares")
    p.add_argument("--q-values", action="store_true", help="draw Q-values as four triangles per square")
    p.add_argument("--episodes", type=positive_int, default=2, help="episodes before a headless run stops")
    p.add_argument("--episode-steps", type=positive_int, default=200, help="longest episode")
    p.add_argument("--hold", type=positive_int, default=3, help="frames to pause after an episode")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    p.add_argument("--tile-size", type=tile_size, default=None, help="pixels per square (default: fit ~900 px)")
    add_app_arguments(p, "agent", fps=8.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    args = parser().parse_args(argv)
    app = App("agent", args, "LectureGrid agent")
    demo = AgentDemo(args, app)
    if not app.headless:
        print(KEYS_HELP)
    demo.run()
    app.finish("agent.gif")
    return 0


if __name__ == "__main__":
    sys.exit(main())
