"""Copies of the env and the vector env (issue 11.1): pickle, deepcopy, cloudpickle and dill, run by real clients.

Every copy must step exactly like its original from the same point (a fresh env, a seeded
reset, or mid-episode with a half-used block of uniforms), and Gymnasium's AsyncVectorEnv
(fork and spawn) over an env made in the parent must give SyncVectorEnv's trajectories.
Before the fix, pickle raised ``cannot pickle memoryview objects`` and cloudpickle "succeeded"
with garbage rewards such as 123 and 71.
"""

import copy
import pickle

import cloudpickle
import dill
import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
from gridworld_env import LectureGridEnv, parse_layout

VARIANTS = {
    "default": {},
    "slip": {"slip": 0.2},
    "random_start": {"random_start": True, "slip": 0.1},
    "rgb_array": {"render_mode": "rgb_array"},
    "ansi": {"render_mode": "ansi", "slip": 0.3},
    "layout": {"layout": parse_layout(["S.E", "#.+"], {"E": 5.0}, name="tiny"), "slip": 0.2},
    "maze": {"layout": "maze:7x9:3", "start": (1, 1), "living_reward": -1.0},
}
HUMAN = {"render_mode": "human"}  # SDL's dummy driver (tests/conftest.py); paced to 4 fps, so short runs only
COPIERS = {
    "pickle": lambda x: pickle.loads(pickle.dumps(x)),
    "deepcopy": copy.deepcopy,
    "cloudpickle": lambda x: cloudpickle.loads(cloudpickle.dumps(x)),
    "dill": lambda x: dill.loads(dill.dumps(x)),
}


def _rollout(env, actions):
    return [env.step(int(a)) for a in actions]


@pytest.mark.parametrize("copier", sorted(COPIERS))
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_copy_steps_exactly_like_the_original_mid_episode(variant, copier):
    env = gym.make("LectureGrid-v0", max_episode_steps=1000, **VARIANTS[variant])
    env.reset(seed=7)
    actions = np.random.default_rng(0).integers(0, 4, 400)
    _rollout(env, actions[:37])  # mid-episode, part of the uniform block used
    if variant == "rgb_array":
        env.render()  # a renderer exists and must not stop the copy
    twin = COPIERS[copier](env)
    assert twin.unwrapped is not env.unwrapped
    assert twin.unwrapped.s == env.unwrapped.s
    for a in actions[37:]:
        got, want = twin.step(int(a)), env.step(int(a))
        data_equivalence(got, want, exact=True)
        if want[2] or want[3]:
            data_equivalence(twin.reset(), env.reset(), exact=True)
    if variant in ("rgb_array", "ansi"):
        assert data_equivalence(twin.render(), env.render(), exact=True)
    twin.close()
    env.close()


@pytest.mark.parametrize("variant", sorted(VARIANTS) + ["human"])
def test_gymnasiums_test_pickle_env(variant):
    """Gymnasium's tests/envs/test_envs.py::test_pickle_env, seeded (its reset() would draw two different seeds)."""
    env = gym.make("LectureGrid-v0", disable_env_checker=True, **VARIANTS.get(variant, HUMAN))
    pickled_env = pickle.loads(pickle.dumps(env))
    assert data_equivalence(env.reset(seed=3), pickled_env.reset(seed=3))
    action = env.action_space.sample()
    assert data_equivalence(env.step(action), pickled_env.step(action))
    env.close()
    pickled_env.close()


def test_copies_keep_the_model_read_only_and_equal():
    env = LectureGridEnv(slip=0.2)
    twin = pickle.loads(pickle.dumps(env))
    for name in ("next_state", "prob", "reward", "terminal", "wall"):
        a, b = getattr(env.model, name), getattr(twin.model, name)
        assert np.array_equal(a, b) and not b.flags.writeable, name
    assert twin.layout == env.layout and not twin.layout.grid.flags.writeable
    assert not twin.layout.terminal.flags.writeable
    r0, live = twin.model.living_reward_parts()
    assert not r0.flags.writeable and not live.flags.writeable


@pytest.mark.parametrize("copier", sorted(COPIERS))
@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("kwargs", [{}, {"slip": 0.2, "random_start": True}])
def test_vector_env_copy_steps_like_the_original(copier, mode, kwargs):
    envs = gym.make_vec("LectureGrid-v0", 6, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs)
    envs.reset(seed=11)
    rng = np.random.default_rng(1)
    for _ in range(5):
        _vector_step(envs, rng.integers(0, 4, 6))
    twin = COPIERS[copier](envs)
    assert twin.autoreset_mode is mode and twin.metadata["autoreset_mode"] is mode
    for _ in range(200):
        a = rng.integers(0, 4, 6)
        data_equivalence(_vector_step(twin, a), _vector_step(envs, a), exact=True)
    twin.close()
    envs.close()


def _vector_step(envs, actions):
    """One step, copied out of the reused buffers; DISABLED envs that ended are reset by mask (as a user would)."""
    out = tuple(x.copy() if isinstance(x, np.ndarray) else x for x in envs.step(actions))
    done = out[2] | out[3]
    if envs.autoreset_mode is AutoresetMode.DISABLED and done.any():
        envs.reset(options={"reset_mask": done})
    return out


def _trajectory(envs, steps=120, seed=5):
    obs, _ = envs.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = [np.concatenate([obs, np.zeros(3 * obs.size)])]
    for _ in range(steps):
        obs, rew, term, trunc, _info = envs.step(rng.integers(0, 4, envs.num_envs))
        out.append(np.concatenate([obs, rew, term, trunc]))
    return np.array(out)


@pytest.mark.parametrize("context", ["fork", "spawn"])
@pytest.mark.parametrize("kwargs", [{"slip": 0.2}, {"random_start": True, "living_reward": -1.0}])
def test_async_vector_env_over_an_env_made_in_the_parent(context, kwargs):
    env = gym.make("LectureGrid-v0", **kwargs)
    env.reset(seed=0)  # an env that has been used in the parent
    async_envs = AsyncVectorEnv([lambda: env] * 2, context=context)
    sync_envs = SyncVectorEnv([lambda: copy.deepcopy(env)] * 2)
    try:
        assert np.array_equal(_trajectory(async_envs), _trajectory(sync_envs))
        # the rewards are the model's, not garbage (123 and 71 before the fix)
        rewards = _trajectory(async_envs)[1:, 2:4]
        assert set(np.unique(rewards)) <= {-1.0, 0.0, 1.0, env.unwrapped.living_reward}
    finally:
        async_envs.close()
        sync_envs.close()


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_async_vector_env_over_make_thunks(context):
    def thunk():
        return gym.make("gridworld_env:LectureGrid-v0", slip=0.2, random_start=True)

    async_envs = AsyncVectorEnv([thunk] * 3, context=context)
    sync_envs = SyncVectorEnv([thunk] * 3)
    try:
        assert np.array_equal(_trajectory(async_envs), _trajectory(sync_envs))
    finally:
        async_envs.close()
        sync_envs.close()


SCRIPT = """
import gymnasium as gym
from gymnasium.vector import AsyncVectorEnv

def make():
    return gym.make({env_id!r}, slip=0.2)

if __name__ == "__main__":
    envs = AsyncVectorEnv([make] * 2, context="spawn")
    print(envs.reset(seed=0)[0].tolist())
    envs.close()
"""


@pytest.mark.parametrize("env_id, works", [("gridworld_env:LectureGrid-v0", True), ("LectureGrid-v0", False)])
def test_spawned_workers_need_the_module_in_the_id_when_main_does_not_import_it(env_id, works, tmp_path):
    """docs/env.md: a main script that never imports gridworld_env leaves spawned workers without the
    registration; the id "gridworld_env:LectureGrid-v0" imports the module first."""
    import subprocess
    import sys

    script = tmp_path / "main.py"
    script.write_text(SCRIPT.format(env_id=env_id))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if works:
        assert run.returncode == 0 and run.stdout.strip() == "[8, 8]", run.stderr[-2000:]
    else:
        assert run.returncode != 0 and "Environment `LectureGrid` doesn't exist" in run.stderr
