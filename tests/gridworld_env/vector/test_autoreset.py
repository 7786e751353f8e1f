"""The native vector env's three autoreset modes (issue 11.2) against Gymnasium's SyncVectorEnv and each other."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
from gridworld_env import LectureGridVectorEnv


class NoInfo(gym.Wrapper):
    """The single env with the native vector env's step info (``{}``), so that whole info dicts compare."""

    def reset(self, **kwargs):
        return self.env.reset(**kwargs)[0], {}

    def step(self, action):
        return (*self.env.step(action)[:4], {})


def _native(n, mode, **kw):
    return gym.make_vec("LectureGrid-v0", n, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kw)


def _sync(n, mode, **kw):
    horizon = kw.pop("max_episode_steps", 100)
    return SyncVectorEnv(
        [lambda: NoInfo(gym.make("LectureGrid-v0", max_episode_steps=horizon, **kw))] * n, autoreset_mode=mode
    )


def test_mode_is_chosen_by_make_vec_and_exposed_per_instance():
    for mode in AutoresetMode:
        envs = _native(2, mode)
        assert envs.autoreset_mode is mode and envs.metadata["autoreset_mode"] is mode
    assert _native(2, "SameStep").autoreset_mode is AutoresetMode.SAME_STEP  # the value, as in a JSON spec
    assert gym.make_vec("LectureGrid-v0", 2, vectorization_mode="vector_entry_point").autoreset_mode is (
        AutoresetMode.NEXT_STEP
    )
    assert LectureGridVectorEnv.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP  # the class keeps its default
    with pytest.raises(ValueError, match=r"autoreset_mode must be a gymnasium.vector.AutoresetMode .*got 'sometimes'$"):
        _native(2, "sometimes")


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("kw", [{}, {"layout": "maze:7x7:1", "max_episode_steps": 9}, {"start": (0, 2)}])
def test_equal_to_sync_vector_env_step_for_step_on_deterministic_worlds(mode, kw):
    """Same actions, same outputs and the same info dicts (final_obs, _final_obs, final_info, _final_info)."""
    n = 5
    native, sync = _native(n, mode, **kw), _sync(n, mode, **kw)
    data_equivalence(native.reset(seed=0), sync.reset(seed=0), exact=True)
    rng = np.random.default_rng(4)
    ended = 0
    for _ in range(400):
        a = rng.integers(0, 4, n)
        got, want = native.step(a), sync.step(a)
        assert data_equivalence(got, want, exact=True), (got, want)
        done = want[2] | want[3]
        ended += done.sum()
        if mode is AutoresetMode.DISABLED and done.any():
            data_equivalence(
                native.reset(options={"reset_mask": done.copy()}),
                sync.reset(options={"reset_mask": done.copy()}),
                exact=True,
            )
    assert ended > 20  # the comparison covered many episode ends (and truncations with max_episode_steps=9)


@pytest.mark.parametrize("kw", [{"slip": 0.3}, {"slip": 0.2, "random_start": True, "max_episode_steps": 6}])
def test_same_step_is_next_step_without_the_reset_steps(kw):
    """With slip and random starts the two modes draw the same uniforms per env, so SAME_STEP's trajectory
    is NEXT_STEP's with every autoreset step folded into the step that ended the episode."""
    for seed in range(4):
        same, nxt = _native(1, AutoresetMode.SAME_STEP, **kw), _native(1, AutoresetMode.NEXT_STEP, **kw)
        same.reset(seed=seed)
        nxt.reset(seed=seed)
        rng = np.random.default_rng(seed)
        for _ in range(300):
            a = rng.integers(0, 4, 1)
            obs, rew, term, trunc, info = (x.copy() if isinstance(x, np.ndarray) else x for x in same.step(a))
            n_obs, n_rew, n_term, n_trunc, n_info = nxt.step(a)
            assert (rew, term, trunc) == (n_rew, n_term, n_trunc) and n_info == {}
            if term[0] or trunc[0]:
                assert info["final_obs"][0] == n_obs[0] and info["_final_obs"].tolist() == [True]
                assert info["final_info"] == {} and info["_final_info"].tolist() == [True]
                reset_obs, r0, t0, tr0, _ = nxt.step(a)  # NEXT_STEP: the reset step (action ignored)
                assert obs[0] == reset_obs[0] and (r0[0], t0[0], tr0[0]) == (0.0, False, False)
            else:
                assert obs[0] == n_obs[0] and info == {}


def test_same_step_final_obs_is_the_terminal_square_and_obs_the_start():
    envs = _native(3, AutoresetMode.SAME_STEP)
    envs.reset(seed=0)
    for a in ([0, 0, 3], [0, 0, 3], [3, 3, 3], [3, 3, 3]):  # env 0 and 1: up, up, right, right
        envs.step(np.array(a))
    obs, rew, term, _trunc, info = envs.step(np.array([3, 1, 2]))  # env 0 enters +1 at (0, 3)
    assert term.tolist() == [True, False, False] and rew[0] == 1.0
    assert obs[0] == 8  # already restarted at S
    assert info["final_obs"].tolist() == [3, None, None] and info["final_obs"].dtype == object
    assert info["_final_obs"].tolist() == [True, False, False]


def test_disabled_leaves_ended_envs_until_a_masked_reset():
    envs = _native(2, AutoresetMode.DISABLED, max_episode_steps=2)
    envs.reset(seed=0)
    envs.step(np.array([2, 2]))
    obs, _, _, trunc, _ = envs.step(np.array([2, 0]))
    assert trunc.tolist() == [True, True] and obs.tolist() == [8, 4]
    with pytest.raises(ResetNeeded, match=r"envs \[0, 1\] ended .*reset_mask"):
        envs.step(np.array([0, 0]))
    obs, _ = envs.reset(options={"reset_mask": np.array([False, True])})
    assert obs.tolist() == [8, 8]
    with pytest.raises(ResetNeeded, match=r"envs \[0\] ended"):
        envs.step(np.array([0, 0]))
    envs.reset(options={"reset_mask": np.array([True, False])})
    obs, _rew, *_ = envs.step(np.array([0, 3]))
    assert obs.tolist() == [4, 9]


@pytest.mark.parametrize("parallel", [False, True])
def test_same_step_parallel_kernel_equals_serial(parallel):
    kw = dict(layout="maze:9x9:2", slip=0.2, random_start=True, max_episode_steps=15)
    a_env = LectureGridVectorEnv(3000, parallel=parallel, autoreset_mode=AutoresetMode.SAME_STEP, **kw)
    b_env = LectureGridVectorEnv(3000, parallel=False, autoreset_mode=AutoresetMode.SAME_STEP, **kw)
    a_env.reset(seed=2)
    b_env.reset(seed=2)
    rng = np.random.default_rng(0)
    for _ in range(30):
        a = rng.integers(0, 4, 3000)
        assert data_equivalence(a_env.step(a), b_env.step(a), exact=True)
