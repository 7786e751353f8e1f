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


def _starts_grid():
    # the deterministic 4x3 world (K = 1) with several start states: the env stream draws only starts
    import planners

    mdp = planners.TabularMDP.from_env(_grid())
    d0 = np.zeros(mdp.shape[0])
    d0[[0, 2, 5, 8]] = [0.4, 0.3, 0.2, 0.1]
    return learners.TabularEnv(mdp, start=d0, max_episode_steps=30)


def test_lockstep_kernel_with_several_starts_in_a_deterministic_world():
    """K = 1 draws no outcome (the generic kernel's sample_outcome), only the start states."""
    env = _starts_grid()
    assert env.unwrapped.model.next_state.shape[2] == 1
    kw = dict(seed=2, **BASE)
    fast = learners.learn_batch("q_learning", env, N, 1500, curves=False, **kw)
    generic = learners.learn_batch("q_learning", env, N, 1500, n_checkpoints=3, **kw)
    assert np.array_equal(fast.q, generic.q)
    assert np.array_equal(fast.n_episodes, generic.n_episodes)


@pytest.mark.parametrize("case", ["deterministic", "decaying epsilon", "riverswim", "greedy, ties only"])
def test_run_q_learning_updates_every_array_as_the_generic_kernel(case):
    """Visit counts, clocks, update and episode counts and both streams, not only Q (two calls in a row)."""
    from learners._fastq import run_q_learning
    from learners._kernel import NR, run_batch
    from learners.agents import allocate

    make, hyper, limit = CASES[case]
    env = make()
    ns, pr, rw, ab, starts, cdf = api._env_arrays(env)
    S, A = ns.shape[:2]
    max_len = {"env": api.time_limit(env) or 0, None: 0}.get(limit, limit)
    hp, _ = api._hyper_table(api._algo("q_learning"), N, 0.99, hyper)
    fast = allocate(C.Q_LEARNING, N, S, A, hp, buffer=1)
    slow = allocate(C.Q_LEARNING, N, S, A, hp, buffer=1)
    rf, rs = seed_streams(4, N), seed_streams(4, N)
    nf, ns_ = np.zeros(N, dtype=np.int64), np.zeros(N, dtype=np.int64)
    none = np.zeros((N, 0), dtype=np.int64)
    for steps in (700, 300):  # a second call continues the clocks and streams
        run_q_learning(hp, ns, pr, rw, ab, starts, cdf, steps, max_len, fast[0], fast[-1], rf, nf)
        tab, cnt, term, seen, buf, first, sc = slow
        run_batch(C.Q_LEARNING, hp, ns, pr, rw, ab, starts, cdf, steps, max_len, none, tab, cnt, term, seen, buf, first, sc, rs, np.zeros(0, dtype=np.int64), np.zeros((N, 0, S, A)), np.zeros((N, 0)), np.zeros((N, 0, NR)), ns_, np.ones(N), hp[:, C.H_TOL].copy())  # fmt: skip
        assert np.array_equal(fast[0], slow[0])  # Q, N and the untouched tables
        assert np.array_equal(fast[-1], slow[-1])  # clock, updates
        assert np.array_equal(rf, rs)
        assert np.array_equal(nf, ns_)
    assert fast[0][:, C.T_N].sum() == N * 1000


@pytest.mark.parametrize("eps", [0.1, 0.05, 1 / 3, 0.9, 1.0, 5e-324, 0.0, 2.0**-53, 0.7 + 2.0**-52])
def test_exploration_threshold_is_the_float_comparison(eps):
    """m < threshold(eps) exactly when (m 2**-53) < eps, at the integers next to eps 2**53 (by Fraction)."""
    from fractions import Fraction

    from learners._fastq import _threshold, threshold

    thr = int(threshold(np.array([eps]))[0])
    x = Fraction(eps) * 2**53
    for m in {min(max(0, int(x) + d), 2**53 - 1) for d in (-2, -1, 0, 1, 2)}:
        assert (m < thr) == (Fraction(m, 2**53) < Fraction(eps)), (m, thr)
    # the decaying schedule's threshold in the kernel: the same ceiling of epsilon_at's value
    hp = np.zeros(C.NH)
    hp[C.H_EPS], hp[C.H_EPS_DECAY], hp[C.H_EPS_MIN] = eps, 300.0, 0.0
    for t in (0.0, 1.0, 77.0, 1e6):
        e = C.epsilon_at(hp, t)
        assert _threshold((0.1, 0.99, eps, 300.0, 0.0), np.uint64(0), t) == threshold(np.array([e]))[0]


def _rows():
    from planners import TIE_RTOL

    out = []
    for best in (1.0, -3.0, 0.25, 7e5):
        lo = best - TIE_RTOL * max(abs(best), 1.0)  # the tie boundary, as the kernels compute it
        below = np.nextafter(lo, -np.inf)
        out += [[best, lo, best - 1.0, best - 2.0], [below, best, best - 1.0, lo], [best, below, below, best - 5.0]]
        out += [[lo, lo, best, lo], [best - 2.0, best, best, best]]
    return out + [[0.0, 0.0, 0.0], [0.0, -0.04], [5.0], [-1.0, 2.0, 2.0]]


@pytest.mark.parametrize("eps", [0.0, 0.3, 1.0])
def test_behaviour_pick_equals_select_at_the_tie_boundary(eps):
    """_behave (exploration coin, unique maximum by equality, tie test by the second largest value,
    the k-th tied action) against learners._core.select on rows at and just past TIE_RTOL, 300 streams each."""
    from learners._fastq import _behave, threshold

    hp = np.zeros(C.NH)
    hp[C.H_EPS] = eps
    thr = threshold(np.array([eps]))[0]
    words = seed_streams(11, 300)[:, 0]
    ties = 0
    for row in _rows():
        A = len(row)
        tab = np.zeros((C.NT, 1, A))
        tab[C.T_Q, 0] = row
        v = row + [-np.inf] * (4 - A)
        for w in words:
            rng = np.array([w, 0], dtype=np.uint64)
            want = C.select(tab, C.Q_LEARNING, hp, 0, 0.0, rng)
            a, c = _behave(v[0], v[1], v[2], v[3], A, thr, w)
            assert (a, c) == (want, rng[0]), (row, eps)
            draws = [(int(w) + k * int(learners._rng.GOLDEN)) % 2**64 for k in range(3)].index(int(c))
            ties += draws > int(eps > 0)  # a second draw: a tie (or exploration)
    assert ties > 0
