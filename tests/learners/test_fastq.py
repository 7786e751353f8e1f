"""The lockstep Q-learning kernel (learners._fastq, used by learn_batch without curves) against the
generic kernel (learn_batch with curves) and the Python path (learn): bit-identical tables on the
same random streams, in every case the dispatch sends to it; and its set-up helpers (the seed
streams against numpy's SeedSequence, per-agent settings)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
import learners
from learners import _core as C
from learners import api
from learners._fastq import LANES
from learners._rng import seed_streams

BASE = dict(alpha=0.1, omega=0.0, epsilon=0.1, epsilon_decay=0.0)
#: agents: one lane block plus a remainder, so both loops of the kernel run
N = 2 * LANES + 3


def _grid(**kw):
    return gym.make("LectureGrid-v0", **kw)


def _river():
    # A = 2 (rows padded to four), K = 3 outcomes, a start distribution over three states
    d0 = np.array([0.5, 0.3, 0.2, 0.0, 0.0, 0.0])
    return learners.TabularEnv(learners.riverswim(), start=d0, max_episode_steps=40)


CASES = {
    "deterministic": (_grid, BASE, "env"),
    "slippery": (lambda: _grid(slip=0.2), BASE, "env"),
    "decaying epsilon": (_grid, dict(alpha=0.3, omega=0.0, epsilon=0.9, epsilon_decay=300.0, epsilon_min=0.05), "env"),
    "greedy, ties only": (_grid, dict(alpha=0.5, omega=0.0, epsilon=0.0, epsilon_decay=0.0), 7),
    "optimistic start": (_grid, dict(alpha=0.2, omega=0.0, epsilon=0.05, epsilon_decay=0.0, q_init=1.0), "env"),
    "short time limit": (_grid, BASE, 3),
    "no time limit": (_grid, BASE, None),
    "riverswim": (_river, dict(alpha=0.2, omega=0.0, epsilon=0.2, epsilon_decay=0.0), "env"),
    "per-agent settings": (_grid, dict(BASE, alpha=list(np.linspace(0.05, 1.0, N))), "env"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lockstep_kernel_equals_the_generic_kernel(case):
    make, hyper, limit = CASES[case]
    env = make()
    ns = env.unwrapped.model.next_state
    hp, _ = api._hyper_table(api._algo("q_learning"), N, 0.99, hyper)
    assert api._fast(api._algo("q_learning"), hp, ns.shape[1], False, None)  # this case runs the fast kernel
    kw = dict(seed=5, max_episode_steps=limit, **hyper)
    fast = learners.learn_batch("q_learning", env, N, 2500, curves=False, **kw)
    generic = learners.learn_batch("q_learning", env, N, 2500, n_checkpoints=3, **kw)
    assert np.array_equal(fast.q, generic.q), case  # bit for bit
    assert np.array_equal(fast.n_episodes, generic.n_episodes)
    assert np.array_equal(fast.updates, generic.updates)
    assert len({q.tobytes() for q in fast.q}) == N  # every agent its own run


def test_lockstep_kernel_replays_learn_on_the_gym_env():
    """Agent 0 of the batch is learn(...)'s agent, stepping gym.make's env with its own sampling."""
    env = _grid()
    one = learners.learn("q_learning", env, 4000, seed=3, n_checkpoints=0, **BASE)
    fast = learners.learn_batch("q_learning", env, N, 4000, seed=3, curves=False, **BASE)
    assert np.array_equal(fast.q[0], one.q)
    assert fast.n_episodes[0] == len(one.curve.episode_return)


def test_ties_are_broken_at_random_not_by_index():
    """A greedy learner on zero tables only ever meets ties early: its first actions must vary."""
    env = _grid()
    res = learners.learn_batch("q_learning", env, 64, 1, curves=False, alpha=0.5, omega=0.0, epsilon=0.0)
    s0 = int(env.unwrapped.initial_state_distrib.argmax())
    updated = res.q[:, s0] != 0.0  # the one pair each agent updated (living reward -0.04)
    assert (updated.sum(axis=1) == 1).all()
    assert len(set(updated.argmax(axis=1).tolist())) == 4


@pytest.mark.parametrize(
    ("hyper", "n_actions", "fast"),
    [
        (BASE, 4, True),
        (BASE, 5, False),  # rows are read as four scalars
        (dict(BASE, alpha=1.5), 4, False),  # alpha > 1 can diverge: the generic kernel's comparisons
        (dict(BASE, omega=0.8), 4, False),
        (dict(BASE, temperature=0.5), 4, False),
        (dict(BASE, epsilon_per_visit=3.0), 4, False),
    ],
)
def test_dispatch(hyper, n_actions, fast):
    cls = api._algo("q_learning")
    hp, _ = api._hyper_table(cls, 3, 0.99, hyper)
    assert api._fast(cls, hp, n_actions, False, None) is fast
    assert not api._fast(cls, hp, n_actions, True, None)


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32 - 1, 2**32, 2**40 + 3, 2**70 + 5])
def test_seed_streams_are_numpys_seed_sequence(seed):
    ref = np.array([np.random.SeedSequence([seed, i]).generate_state(2, np.uint64) for i in range(70)])
    assert np.array_equal(seed_streams(seed, 70), ref)
    assert np.array_equal(seed_streams(seed, 3), ref[:3])  # agent i's words whatever N is


def test_seed_streams_refuse_a_negative_seed_like_numpy():
    with pytest.raises(ValueError):
        seed_streams(-1, 2)


def test_per_agent_settings_land_on_their_agents():
    """Agent i of a batch with per-agent alphas is agent i of a batch with that alpha for all."""
    env = _grid()
    alphas = [0.3, 0.1, 0.3, 0.7, 0.1]
    mixed = learners.learn_batch("q_learning", env, 5, 800, seed=9, curves=False, **dict(BASE, alpha=alphas))
    assert np.array_equal(mixed.hyper["alpha"], alphas)
    for a in set(alphas):
        same = learners.learn_batch("q_learning", env, 5, 800, seed=9, curves=False, **dict(BASE, alpha=a))
        rows = [i for i, x in enumerate(alphas) if x == a]
        assert np.array_equal(mixed.q[rows], same.q[rows])
    hp, _ = api._hyper_table(api._algo("q_learning"), 5, 0.99, dict(BASE, alpha=alphas))
    assert np.array_equal(hp[:, C.H_ALPHA], alphas)


def test_the_kernel_refuses_tables_without_the_zero_row():
    """Terminal targets read the Q2 table's zeros: a table where Q2 is not zero is refused, not used."""
    from learners._fastq import run_q_learning
    from learners.agents import allocate

    env = _grid()
    ns, pr, rw, ab, starts, cdf = api._env_arrays(env)
    hp, _ = api._hyper_table(api._algo("q_learning"), 2, 0.99, BASE)
    tab, *_, sc = allocate(C.Q_LEARNING, 2, ns.shape[0], ns.shape[1], hp, buffer=1)
    tab[1, C.T_Q2, 3, 1] = 0.5
    with pytest.raises(ValueError, match="Q2 table"):
        run_q_learning(
            hp, ns, pr, rw, ab, starts, cdf, 10, 100, tab, sc, seed_streams(0, 2), np.zeros(2, dtype=np.int64)
        )
