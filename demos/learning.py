"""An agent learning the 4x3 world: Q triangles filling in, greedy arrows turning into the planner's.

Run ``python -m demos.learning --algo q_learning``.  Each frame the agent (blue disc) takes
``--steps-per-frame`` steps of its algorithm (``learners.ALGORITHMS``); the board shows its
Q-values as four triangles per square and its greedy arrows (every tie), squares whose greedy
actions are all in the planner's optimal set framed; under the board the value gap
``max_s |V* - V^pi|`` of its greedy policy (exact policy evaluation by ``planners``) falls.

Keys: ``a`` next algorithm, ``e`` next epsilon (0.05, 0.1, 0.2, 0.5; constant), ``r`` a fresh
agent, ``space`` pause, ``q`` or ``Esc`` quit.  Without a display it writes ``learning.gif``,
``learned.png`` and ``cliff.png`` (Sutton & Barto's cliff: SARSA's safe path above Q-learning's
cliff-edge path, Example 6.6) into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

import learners
import planners
from gridworld_env import LectureGridEnv
from gridworld_env.render import GridRenderer, render_values

from ._app import App, HelpFormatter, add_app_arguments, positive_int, unit_interval

KEYS_HELP = "keys: a algorithm, e epsilon, r fresh agent, space pause, q quit"
EPSILONS = (0.05, 0.1, 0.2, 0.5)
CLIFF = ["............", "............", "............", "SCCCCCCCCCCG"]
PLOT_H = 90


class LearningDemo:
    """One learning agent on the 4x3 world, drawn every ``--steps-per-frame`` steps."""

    def __init__(self, args: argparse.Namespace, app: App) -> None:
        self.args, self.app = args, app
        self.env = LectureGridEnv("lecture", living_reward=args.living_reward, slip=args.slip)
        truth = learners.truth_of(self.env, args.gamma)
        assert truth is not None  # a LectureGrid env exposes its model
        self.truth = truth
        self.renderer = GridRenderer(self.env.layout, args.tile_size)
        self.algos = sorted(learners.ALGORITHMS)
        self.algo = args.algo
        self.epsilon: float | None = None  # None: the algorithm's defaults
        self.paused = False
        self.fresh()

    def fresh(self) -> None:
        """A new agent of the current algorithm and epsilon."""
        hyper: dict[str, Any] = {} if self.epsilon is None else {"epsilon": self.epsilon, "epsilon_decay": 0.0}
        cls = learners.ALGORITHMS[self.algo]
        S, A = self.env.layout.n_states, 4
        self.agent = cls(S, A, gamma=self.args.gamma, seed=self.args.seed, **hyper)
        s, _ = self.env.reset(seed=self.args.seed)
        self.s = int(s)
        self.a = self.agent.begin(self.s)
        self.t = 0
        self.gaps: list[float] = []

    def advance(self) -> None:
        """``--steps-per-frame`` env steps of learning."""
        for _ in range(self.args.steps_per_frame):
            s2, r, term, trunc, _ = self.env.step(self.a)
            trunc = trunc or self.t % 100 == 99
            self.a = self.agent.observe(self.s, self.a, r, s2, term, trunc)
            self.t += 1
            if term or trunc:
                s2, _ = self.env.reset()
                self.a = self.agent.begin(int(s2))
            self.s = int(s2)
        gap, _ = self.truth.gaps(self.agent.q[None])
        self.gaps.append(float(gap[0]))

    def handle(self, event: Any) -> None:
        """Keys: algorithm, epsilon, reset, pause, quit."""
        pg = self.app.pg
        if event.type != pg.KEYDOWN:
            return
        if event.key == pg.K_a:
            self.algo = self.algos[(self.algos.index(self.algo) + 1) % len(self.algos)]
            self.fresh()
        elif event.key == pg.K_e:
            i = -1 if self.epsilon is None else EPSILONS.index(self.epsilon)
            self.epsilon = EPSILONS[(i + 1) % len(EPSILONS)]
            self.fresh()
        elif event.key == pg.K_r:
            self.fresh()
        elif event.key == pg.K_SPACE:
            self.paused = not self.paused
        elif event.key in (pg.K_q, pg.K_ESCAPE):
            self.app.quit()

    def frame(self) -> Any:
        """The board over the value-gap plot."""
        q = self.agent.q
        ok = self._optimal_squares(q)
        eps = "defaults" if self.epsilon is None else f"epsilon {self.epsilon:g}"
        gap = self.gaps[-1] if self.gaps else float("nan")
        board = self.renderer.draw(
            self.s,
            q=q,
            policy=planners.greedy_mask(q),
            highlight=ok,
            caption=f"{self.algo} ({eps}), step {self.t}\nvalue gap {gap:.3f}; framed: greedy = optimal",
            caption_lines=2,
        )
        return self._with_plot(board)

    def _optimal_squares(self, q: np.ndarray) -> np.ndarray:
        return self.truth.optimal_states(q)

    def _with_plot(self, board: Any) -> Any:
        pg = self.app.pg
        w, h = board.get_size()
        surf = pg.Surface((w, h + PLOT_H))
        surf.fill((255, 255, 255))
        surf.blit(board, (0, 0))
        g = np.array(self.gaps[-200:])
        g = g[np.isfinite(g)]
        if g.size >= 2:
            top = max(float(g.max()), 1e-9)
            xs = np.linspace(8, w - 8, g.size)
            ys = h + PLOT_H - 8 - (PLOT_H - 30) * g / top  # below the label
            pg.draw.lines(surf, (200, 60, 40), False, list(zip(xs.tolist(), ys.tolist())), 2)
        pg.draw.line(surf, (0, 0, 0), (8, h + PLOT_H - 8), (w - 8, h + PLOT_H - 8), 1)
        if g.size:
            label = f"value gap max_s |V*(s) - V^pi(s)|, last {g.size} updates (top = {float(g.max()):.3g})"
            if not pg.font.get_init():
                pg.font.init()
            surf.blit(pg.font.Font(None, 18).render(label, True, (40, 40, 40)), (10, h + 4))
        return surf

    def run(self) -> None:
        """Frames until quit or out of budget."""
        app = self.app
        while app.running:
            for e in app.present(self.frame(), title=f"learning the 4x3 world: {self.algo}"):
                self.handle(e)
            if not self.paused and not app.closed:
                self.advance()
        app.save_png(self.frame(), "learned.png")


def cliff_picture(seed: int = 0, steps: int = 20_000, tile: int = 40) -> np.ndarray:
    """Sutton & Barto's cliff (alpha 0.5, epsilon 0.1): SARSA's greedy path above Q-learning's."""
    grid = LectureGridEnv(CLIFF, rewards={"C": -100.0, "G": -1.0}, living_reward=-1.0)
    lay = grid.layout
    mdp = learners.restart_on(planners.TabularMDP.from_env(grid), [lay.state(3, c) for c in range(1, 11)], lay.start)
    env = learners.TabularEnv(mdp, start=lay.start)
    images = []
    for name in ("sarsa", "q_learning"):
        res = learners.learn_batch(
            name,
            env,
            1,
            steps,
            seed=seed,
            gamma=1.0,
            alpha=0.5,
            epsilon=0.1,
            epsilon_decay=0.0,
            omega=0.0,
            n_checkpoints=0,
        )
        q = res.q[0]
        s, path = lay.start, [lay.start]
        for _ in range(60):
            s = int(mdp.next_state[s, int(np.argmax(q[s])), 0])
            path.append(s)
            if mdp.terminal[s]:
                break
        images.append(
            render_values(
                lay,
                q.max(axis=1),
                q.argmax(axis=1),
                trajectory=path,
                caption=f"{name}: greedy path after {steps} steps",
                tile_size=tile,
                numbers=False,
            )
        )
    return np.vstack(images)


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m demos.learning",
        description=__doc__.split("\n\n")[0],
        epilog=KEYS_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--algo", default="q_learning", choices=sorted(learners.ALGORITHMS), help="algorithm")
    p.add_argument("--gamma", type=unit_interval, default=0.99, help="discount factor in [0, 1]")
    p.add_argument("--living-reward", type=float, default=-0.04, help="reward of every non-terminal step")
    p.add_argument("--slip", type=unit_interval, default=0.0, help="probability of slipping sideways")
    p.add_argument("--steps-per-frame", type=positive_int, default=50, help="env steps between frames")
    p.add_argument("--seed", type=int, default=0, help="seed of the agent and the env")
    p.add_argument("--tile-size", type=positive_int, default=120, help="pixels per square")
    p.add_argument("--no-cliff", action="store_true", help="skip the cliff picture")
    add_app_arguments(p, "learning", fps=10.0)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    args = parser().parse_args(argv)
    app = App("learning", args, "learning the 4x3 world")
    demo = LearningDemo(args, app)
    if not app.headless:
        print(KEYS_HELP)
    demo.run()
    if not args.no_cliff:
        app.save_png(cliff_picture(args.seed), "cliff.png")
    app.finish("learning.gif")
    return 0


if __name__ == "__main__":
    sys.exit(main())
