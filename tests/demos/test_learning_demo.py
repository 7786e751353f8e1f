"""demos.learning runs headless, learns the 4x3 world's optimal policy on screen, reacts to keys,
and draws the cliff picture."""

from __future__ import annotations

import numpy as np
import pygame
from PIL import Image

from demos import learning
from demos._app import App


def test_headless_run_writes_gif_and_pngs(tmp_path):
    assert learning.main(["--headless", "--max-frames", "12", "--steps-per-frame", "100", "--out", str(tmp_path)]) == 0
    gif = Image.open(tmp_path / "learning.gif")
    assert gif.n_frames == 12
    cliff = np.asarray(Image.open(tmp_path / "cliff.png").convert("RGB"))
    top, bottom = np.array_split(cliff, 2)
    assert not np.array_equal(top, bottom)  # SARSA's path is not Q-learning's
    assert (tmp_path / "learned.png").exists()


def test_the_agent_on_screen_reaches_the_planners_policy_and_keys_switch(tmp_path):
    args = learning.parser().parse_args(["--headless", "--out", str(tmp_path), "--steps-per-frame", "500"])
    app = App("learning", args, "t")
    demo = learning.LearningDemo(args, app)
    for _ in range(60):  # 30 000 steps: the defaults' budget for the deterministic world
        demo.advance()
    assert demo.gaps[-1] < 1e-9 and demo.gaps[0] > demo.gaps[-1]
    assert demo._optimal_squares(demo.agent.q)[demo.truth.live].all()
    demo.frame()
    for k in (pygame.K_a, pygame.K_e):
        demo.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0))
    assert (
        demo.algo == sorted(learning.learners.ALGORITHMS)[sorted(learning.learners.ALGORITHMS).index("q_learning") + 1]
    )
    assert demo.epsilon == learning.EPSILONS[0] and demo.t == 0
