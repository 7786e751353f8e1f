"""The flat Q-learning kernel (learners._flatq: seed sweeps the lockstep kernel does not take, more
than four actions or alpha > 1) against the generic kernel: bit-identical tables on the same
random streams, and the dispatch that picks it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
import learners
from learners import api

N = 7


def _maxbias():
    return learners.TabularEnv(learners.maximization_bias(), start=0)  # ten actions per state


def _river():
    return learners.TabularEnv(
        learners.riverswim(), start=np.array([0.5, 0.3, 0.2, 0.0, 0.0, 0.0]), max_episode_steps=40
    )


CASES = {
    "ten actions": (_maxbias, dict(alpha=0.1, omega=0.0, epsilon=0.1, epsilon_decay=0.0)),
    "ten actions, decaying epsilon, optimistic": (
        _maxbias,
        dict(alpha=0.3, omega=0.0, epsilon=0.9, epsilon_decay=300.0, epsilon_min=0.05, q_init=0.5),
    ),
    "ten actions, greedy (ties only)": (_maxbias, dict(alpha=0.5, omega=0.0, epsilon=0.0, epsilon_decay=0.0)),
    "alpha > 1, slip": (lambda: gym.make("LectureGrid-v0", slip=0.2), dict(alpha=1.5, omega=0.0, epsilon=0.2)),
    "alpha > 1, start distribution, time limit": (_river, dict(alpha=1.2, omega=0.0, epsilon=0.3, epsilon_decay=0.0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_flat_kernel_equals_the_generic_kernel(case):
    make, hyper = CASES[case]
    env = make()
    cls = api._algo("q_learning")
    hp, _ = api._hyper_table(cls, N, 0.99, hyper)
    n_actions = env.unwrapped.model.next_state.shape[1]
    assert api._flat(cls, hp, False, None) and not api._fast(cls, hp, n_actions, False, None)  # runs _flatq
    fast = learners.learn_batch("q_learning", env, N, 3000, seed=4, curves=False, **hyper)
    generic = learners.learn_batch("q_learning", env, N, 3000, seed=4, n_checkpoints=3, **hyper)
    assert np.array_equal(fast.q, generic.q), case  # bit for bit
    assert np.array_equal(fast.n_episodes, generic.n_episodes)
    assert np.array_equal(fast.updates, generic.updates)
    assert len({q.tobytes() for q in fast.q}) == N


def test_the_dispatch_sends_decaying_step_sizes_and_curves_to_the_generic_kernel():
    cls = api._algo("q_learning")
    hp, _ = api._hyper_table(cls, 2, 0.99, dict(alpha=0.5, omega=0.7, epsilon=0.1))
    assert not api._flat(cls, hp, False, None)
    hp, _ = api._hyper_table(cls, 2, 0.99, dict(alpha=0.5, omega=0.0, epsilon=0.1))
    assert api._flat(cls, hp, False, None) and not api._flat(cls, hp, True, None)
    assert not api._flat(api._algo("sarsa"), hp, False, None)
