"""The single env's optimised step: plain Python return types, block-drawn uniforms, same law as the model."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

import gridworld_env
from gridworld_env import LectureGridEnv


def test_step_returns_plain_python_scalars_and_info():
    env = LectureGridEnv()
    env.reset(seed=0)
    s, r, term, trunc, info = env.step(0)
    assert (s, r, term, trunc) == (4, -0.04, False, False)
    assert type(s) is int and type(r) is float and type(term) is bool and type(trunc) is bool
    assert info == {"prob": 1.0, "row": 1, "col": 0}
    env.reset(options={"start": (0, 2)})
    s, r, term, _, info = env.step(np.int64(3))  # numpy integers take the checked path
    assert (s, r, term, info) == (3, 1.0, True, {"prob": 1.0, "row": 0, "col": 3})
    assert type(term) is bool


def test_slip_info_prob_is_the_sampled_outcome_probability():
    env = LectureGridEnv(slip=0.2)
    env.reset(seed=0)
    seen = {}
    for _ in range(300):
        env.reset(options={"start": 8})
        s, _, _, _, info = env.step(0)  # up from the start: 4 (0.8), 8 (0.1 bump left), 9 (0.1)
        seen[s] = info["prob"]
    assert seen == {4: 0.8, 8: 0.1, 9: 0.1}


def test_single_env_next_states_follow_the_model_chi_square():
    env = LectureGridEnv(slip=0.3)
    env.reset(seed=4)
    model = env.model
    n = 3000
    for s, a in [(8, 0), (6, 3), (10, 2)]:
        counts = np.zeros(12, dtype=np.int64)
        for _ in range(n):
            env.reset(options={"start": s})
            counts[env.step(a)[0]] += 1
        p = np.zeros(12)
        np.add.at(p, model.next_state[s, a], model.prob[s, a])
        assert counts[p == 0].sum() == 0
        assert stats.chisquare(counts[p > 0], p[p > 0] * n).pvalue > 1e-3


def test_seeded_slippery_episodes_are_reproducible_through_gym_make():
    def run(seed):
        env = gym.make("LectureGrid-v0", slip=0.5, random_start=True)
        out = [env.reset(seed=seed)[0]]
        for t in range(400):  # several blocks of uniforms
            s, _, term, trunc, _ = env.step(t % 4)
            out.append(s)
            if term or trunc:
                out.append(env.reset()[0])
        return out

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_a_new_generator_starts_a_new_block_of_uniforms():
    env = LectureGridEnv(slip=0.5)
    env.reset(seed=1)
    a = [env.step(0)[0] for _ in range(5)]
    env.reset(seed=1)  # a fresh generator: the same draws again, not the rest of the old block
    assert [env.step(0)[0] for _ in range(5)] == a
    env.np_random = np.random.default_rng(1)  # assigning a generator also takes effect at once
    env.reset(options={"start": 8})
    b = [env.step(0)[0] for _ in range(5)]
    env.np_random = np.random.default_rng(1)
    env.reset(options={"start": 8})
    assert [env.step(0)[0] for _ in range(5)] == b


@pytest.mark.parametrize("bad", [4, -1, 1.0, "up", None, np.array([1]), True])
def test_bad_actions_still_raise(bad):
    env = LectureGridEnv(slip=0.2)
    env.reset(seed=0)
    with pytest.raises(gridworld_env.InvalidActionError, match="0..3"):
        env.step(bad)
