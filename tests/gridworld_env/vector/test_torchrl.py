"""torchrl's GymWrapper collects rollouts from the native vector env (issue 11.2).

torchrl accepts only the SAME_STEP and DISABLED autoreset modes (it reads ``envs.autoreset_mode``).
Every collected transition must be one of the model's, and episodes must restart at the start square.
"""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)

torchrl_gym = pytest.importorskip("torchrl.envs.libs.gym")  # in the dev extra; skipped only in a bare install


@pytest.mark.parametrize("mode", [AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_gym_wrapper_collects_a_rollout_that_follows_the_model(mode):
    envs = gym.make_vec(
        "LectureGrid-v0", 4, vectorization_mode="vector_entry_point", autoreset_mode=mode, max_episode_steps=10
    )
    # categorical encoding: torchrl's one-hot final-observation buffer fails its own spec check for
    # Discrete observations in SAME_STEP (with Gymnasium's SyncVectorEnv as well)
    wrapped = torchrl_gym.GymWrapper(envs, categorical_action_encoding=True)
    wrapped.set_seed(0)
    td = wrapped.rollout(80, break_when_any_done=False)
    assert td.batch_size == (4, 80)
    obs, act = td["observation"].numpy(), td["action"].numpy()
    nxt, rew = td["next", "observation"].numpy(), td["next", "reward"].numpy()[..., 0]
    done = td["next", "done"].numpy()[..., 0]
    m = envs.unwrapped.model
    np.testing.assert_array_equal(nxt, m.next_state[obs, act, 0])  # the deterministic world's moves
    np.testing.assert_allclose(rew, m.reward[obs, act, 0], rtol=1e-6)  # float32 in torchrl
    assert done.sum() >= 8  # episodes ended (terminals and the 10-step horizon) ...
    after = np.zeros_like(done)
    after[:, 1:] = done[:, :-1]
    assert (obs[after] == 8).all()  # ... and the next one started at S
    for i in range(4):  # between episode ends, each observation is the previous next-observation
        cont = ~done[i, :-1]
        np.testing.assert_array_equal(obs[i, 1:][cont], nxt[i, :-1][cont])
