"""The two paths apply the same updates: learn (Python stepping a Gymnasium env) and learn_batch
(the numba kernel stepping the env's arrays), replayed on the same trajectories; and the kernel's
own value iteration (certainty equivalence, R-max) against planners' solve of the same model."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
import learners
from learners import _core as C
from learners._rules import bonus_widths, plan_model
from learners._truth import plan_q

NAMES = sorted(learners.ALGORITHMS)
#: the model-based planners solve to a tolerance (the kernel's sweeps vs planners' solve)
ATOL = {"certainty_equivalence": 1e-7, "rmax": 1e-6}


class Recorder(gym.Wrapper):
    """Records (s, a, s') of every step."""

    def __init__(self, env):
        super().__init__(env)
        self.steps = []
        self._s = None

    def reset(self, **kw):
        obs, info = self.env.reset(**kw)
        self._s = int(obs)
        return obs, info

    def step(self, a):
        obs, r, term, trunc, info = self.env.step(a)
        self.steps.append((self._s, int(a), int(obs), float(r)))
        self._s = int(obs)
        return obs, r, term, trunc, info


def _outcomes(env, steps):
    m = env.unwrapped.model
    ks = []
    for s, a, s2, r in steps:
        ok = np.flatnonzero((m.next_state[s, a] == s2) & (m.reward[s, a] == r) & (m.prob[s, a] > 0))
        ks.append(int(ok[0]))
    return np.array(ks)[None, :]


@pytest.mark.parametrize("name", NAMES)
def test_replay_deterministic_world(name):
    env = gym.make("LectureGrid-v0")
    steps = 3000
    one = learners.learn(name, env, steps, seed=7, n_checkpoints=5)
    batch = learners.learn_batch(name, env, 3, steps, seed=7, n_checkpoints=5)
    tol = ATOL.get(name, 0.0)
    assert np.allclose(batch.q[0], one.q, atol=tol, rtol=0), name
    c, b = one.curve, batch.curves[0]
    assert np.array_equal(c.episode_length, b.episode_length)
    assert np.allclose(c.episode_return, b.episode_return)
    assert one.updates == batch.updates[0]
    other = batch.curves[1].episode_length  # agent 1 has its own streams
    assert len(other) != len(b.episode_length) or not np.array_equal(other, b.episode_length)


@pytest.mark.parametrize("name", NAMES)
def test_replay_slippery_world(name):
    env = Recorder(gym.make("LectureGrid-v0", slip=0.2))
    steps = 2000
    one = learners.learn(name, env, steps, seed=3, n_checkpoints=5)
    script = _outcomes(env, env.steps)
    batch = learners.learn_batch(name, env, 1, steps, seed=3, n_checkpoints=5, script=script)
    assert np.allclose(batch.q[0], one.q, atol=ATOL.get(name, 0.0), rtol=0), name
    assert np.array_equal(one.curve.episode_length, batch.curves[0].episode_length)
    assert one.updates == batch.updates[0]


def test_a_wrong_outcome_changes_the_kernels_result():
    """The replay check has teeth: one different outcome index gives a different table."""
    env = Recorder(gym.make("LectureGrid-v0", slip=0.2))
    one = learners.learn("q_learning", env, 500, seed=3, n_checkpoints=0)
    script = _outcomes(env, env.steps)
    script[0, 10] = (script[0, 10] + 1) % 3
    batch = learners.learn_batch("q_learning", env, 1, 500, seed=3, curves=False, script=script)
    assert not np.allclose(batch.q[0], one.q)


def _random_model(seed, S=7, A=3, n_min=1.0):
    rng = np.random.default_rng(seed)
    tab = np.zeros((C.NT, S, A))
    cnt = rng.integers(0, 3, size=(S, A, S)).astype(float) * (rng.random((S, A, S)) < 0.4)
    cnt[:, :, 0] += rng.random((S, A)) < 0.3  # some pairs lead to the terminal state 0
    n = cnt.sum(axis=2)
    tab[C.T_N] = n
    tab[C.T_RSUM] = rng.normal(size=(S, A)) * n
    tab[C.T_Q] = rng.normal(size=(S, A))  # unknown pairs keep these values
    term = np.zeros(S)
    term[0] = 1.0
    return tab, cnt, term


@pytest.mark.parametrize("beta", [0.0, 0.8])
@pytest.mark.parametrize("n_min", [1.0, 2.0])
@pytest.mark.parametrize("algo", [C.CERTAINTY_EQUIVALENCE, C.RMAX])
def test_kernel_value_iteration_matches_planners(n_min, algo, beta):
    """plan_model (the kernel's) against planners' solve: Q, and the bonus values Q2 (R-max, and
    certainty equivalence with ``beta > 0``)."""
    g = 0.9
    for seed in range(3):
        tab, cnt, term = _random_model(seed, n_min=n_min)
        tab[C.T_Q2] = np.random.default_rng(seed + 10).normal(size=tab[C.T_Q].shape)
        tab[C.T_E] = np.random.default_rng(seed + 20).random(tab[C.T_Q].shape) * tab[C.T_N]  # reward deviations
        hp = np.zeros(C.NH)
        hp[C.H_GAMMA], hp[C.H_BETA], hp[C.H_VARB] = g, beta, 1.0
        ref = plan_q(tab, cnt, term, g, n_min, 1e-12)
        mine = tab.copy()
        sweeps = plan_model(algo, hp, mine, cnt, term, n_min, 1e-12)
        assert sweeps > 1
        live = term[:, None] == 0
        known = (tab[C.T_N] >= n_min) & live
        assert np.allclose(mine[C.T_Q][known], ref[known], atol=1e-9)
        assert np.array_equal(mine[C.T_Q][~known & live], tab[C.T_Q][~known & live])
        assert np.allclose(ref[~known & live], tab[C.T_Q][~known & live])
        if beta == 0.0:  # no bonus: R-max behaves on Q itself, certainty equivalence leaves Q2 alone
            assert np.array_equal(mine[C.T_Q2], mine[C.T_Q] if algo == C.RMAX else tab[C.T_Q2])
            continue
        # the reference Q2: the widths from planners' Q, then planners' solve with the bonus
        ref_tab = tab.copy()
        ref_tab[C.T_Q][known] = ref[known]
        bonus_widths(hp, ref_tab, cnt, term, n_min)
        assert (ref_tab[C.T_BONUS][known] > 0).all()
        ref2 = plan_q(ref_tab, cnt, term, g, n_min, 1e-12, C.T_Q2, beta)
        assert np.allclose(mine[C.T_Q2][known], ref2[known], atol=1e-8)
        assert not np.allclose(ref2[known], ref[known], atol=1e-3)  # the bonus mattered
        assert np.array_equal(mine[C.T_Q2][~known & live], tab[C.T_Q2][~known & live])


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_flat_q_learning_kernel_replays_learn(slip):
    """learn_batch's lockstep Q-learning kernel (constant alpha, no curves) against the Python path."""
    hyper = dict(alpha=0.3, omega=0.0, epsilon=0.5, epsilon_decay=200.0)
    env = Recorder(gym.make("LectureGrid-v0", slip=slip))
    one = learners.learn("q_learning", env, 3000, seed=11, n_checkpoints=0, **hyper)
    fast = learners.learn_batch("q_learning", env, 2, 3000, seed=11, curves=False, **hyper)
    if slip == 0.0:
        assert np.array_equal(fast.q[0], one.q)
        assert fast.n_episodes[0] == len(one.curve.episode_return)
    generic = learners.learn_batch("q_learning", env, 1, 3000, seed=11, script=_outcomes(env, env.steps), **hyper)
    assert np.array_equal(generic.q[0], one.q)
    assert fast.updates[0] == one.updates == 3000


def test_per_visit_schedule_is_not_run_by_the_flat_kernel():
    """The lockstep kernel has no per-state clock: with epsilon_per_visit > 0 learn_batch must use the general one."""
    hyper = dict(alpha=0.3, omega=0.0, epsilon=0.8, epsilon_decay=300.0, epsilon_per_visit=20.0)
    env = gym.make("LectureGrid-v0")
    one = learners.learn("q_learning", env, 3000, seed=5, n_checkpoints=0, **hyper)
    fast = learners.learn_batch("q_learning", env, 1, 3000, seed=5, curves=False, **hyper)
    assert np.array_equal(fast.q[0], one.q)
