"""Stable-Baselines3 runs the env (issue 11.1): its env checker, and SubprocVecEnv equal to DummyVecEnv."""

import copy
import warnings

import gymnasium as gym
import numpy as np
import pytest

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)

sb3 = pytest.importorskip("stable_baselines3")  # in the dev extra; skipped only in a bare install
from stable_baselines3.common.env_checker import check_env  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv  # noqa: E402

VARIANTS = [{}, {"slip": 0.2}, {"random_start": True}, {"render_mode": "rgb_array"}, {"layout": "four_rooms"}]


@pytest.mark.parametrize("kwargs", VARIANTS)
def test_sb3_check_env(kwargs):
    env = gym.make("LectureGrid-v0", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from SB3's checker is a failure here
        check_env(env.unwrapped, warn=True)


def _rollout(venv, steps=150, seed=3):
    venv.seed(seed)
    obs = venv.reset()
    rng = np.random.default_rng(seed)
    out = [obs.copy()]
    for _ in range(steps):
        obs, rew, done, infos = venv.step(rng.integers(0, 4, venv.num_envs))
        final = [info.get("terminal_observation", -1) for info in infos]
        # DummyVecEnv keeps rewards in float32, SubprocVecEnv stacks the env's float64: compare as float32
        out.append(np.concatenate([obs, np.asarray(rew, np.float32), done, final]).astype(np.float32))
    return out


@pytest.mark.parametrize(
    "start_method, kwargs",
    [("fork", {"slip": 0.2}), ("fork", {"random_start": True, "max_episode_steps": 8}), ("spawn", {"slip": 0.2})],
)
def test_subproc_vec_env_equals_dummy_vec_env_over_an_env_made_in_the_parent(start_method, kwargs):
    env = gym.make("LectureGrid-v0", **kwargs)
    env.reset(seed=0)
    sub = SubprocVecEnv([lambda: env] * 2, start_method=start_method)
    dummy = DummyVecEnv([lambda: copy.deepcopy(env)] * 2)
    try:
        got, want = _rollout(sub), _rollout(dummy)
        assert all(np.array_equal(g, w) for g, w in zip(got, want))
        assert any(row[4:6].any() for row in want[1:])  # episodes ended during the comparison
    finally:
        sub.close()
        dummy.close()
