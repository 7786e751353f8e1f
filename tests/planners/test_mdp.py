"""TabularMDP: validation, env conversion (LectureGrid and toy-text), dense/sparse round trips."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

import gridworld_env  # noqa: F401 - registers LectureGrid-v0
from gridworld_env import LectureGridEnv
from planners import MDPError, PlannerAgent, TabularMDP, policy_iteration, value_iteration

from .conftest import random_mdps, reverse_rows, split_duplicates


def _arrays(S: int = 3, A: int = 2, K: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ns = np.zeros((S, A, K), dtype=int)
    pr = np.zeros((S, A, K))
    pr[..., 0] = 1.0
    return ns, pr, np.zeros((S, A, K)), np.zeros(S, dtype=bool)


def test_from_lecture_env_uses_the_model_arrays_without_copy() -> None:
    env = gym.make("LectureGrid-v0", slip=0.2)  # wrapped (TimeLimit, checkers)
    mdp = TabularMDP.from_env(env)
    m = env.unwrapped.model
    assert np.shares_memory(mdp.next_state, m.next_state) and np.shares_memory(mdp.prob, m.prob)
    np.testing.assert_array_equal(mdp.terminal, m.absorbing)  # walls and exits
    assert mdp.terminal.tolist() == [False] * 3 + [True, False, True, False, True] + [False] * 4
    assert not mdp.next_state.flags.writeable and mdp.shape == (12, 4, 3)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda a: a[0].__setitem__((0, 0, 0), 3), r"next_state\(0, 0, 0\) = 3 is out of range"),
        (lambda a: a[0].__setitem__((1, 1, 0), -1), "out of range"),
        (lambda a: a[1].__setitem__((2, 1, 1), -0.5), r"prob\(2, 1, 1\) = -0.5"),
        (lambda a: a[1].__setitem__((1, 0, 1), 0.1), r"prob\[1, 0\] sums to 1.1"),
        (lambda a: a[1].__setitem__((1, 0, 0), np.nan), "prob"),
        (lambda a: a[2].__setitem__((0, 1, 0), np.inf), r"reward\(0, 1, 0\) = inf is not finite"),
    ],
)
def test_validation_names_the_bad_entry(mutate, match: str) -> None:
    arrays = list(_arrays())
    mutate(arrays)
    with pytest.raises(MDPError, match=match):
        TabularMDP(*arrays)


def test_validation_of_shapes_and_dtypes() -> None:
    ns, pr, rw, t = _arrays()
    with pytest.raises(MDPError, match="shape"):
        TabularMDP(ns[0], pr, rw, t)
    with pytest.raises(MDPError, match="prob must have the shape"):
        TabularMDP(ns, pr[:, :1], rw, t)
    with pytest.raises(MDPError, match="terminal must have shape"):
        TabularMDP(ns, pr, rw, t[:2])
    with pytest.raises(MDPError, match="integers"):
        TabularMDP(ns + 0.5, pr, rw, t)
    with pytest.raises(MDPError, match="boolean"):
        TabularMDP(ns, pr, rw, np.array([0.5, 0, 0]))
    assert isinstance(MDPError("x"), ValueError)
    # sums within 1e-9 are accepted
    pr2 = pr.copy()
    pr2[0, 0, 0] = 1 - 5e-10
    TabularMDP(ns, pr2, rw, t)


def run_episode(env: gym.Env, agent: PlannerAgent, seed: int = 0, max_steps: int = 500) -> tuple[float, bool]:
    obs, _ = env.reset(seed=seed)
    total = 0.0
    for _ in range(max_steps):
        obs, r, terminated, truncated, _ = env.step(agent(obs))
        total += r
        if terminated or truncated:
            return total, terminated
    return total, False


def test_frozen_lake_plan_reaches_the_goal() -> None:
    env = gym.make("FrozenLake-v1", map_name="8x8", is_slippery=False)
    mdp = TabularMDP.from_env(env)
    desc = env.unwrapped.desc.ravel()
    np.testing.assert_array_equal(mdp.terminal, np.isin(desc, [b"H", b"G"]))
    agent = PlannerAgent(env, gamma=0.99)
    total, terminated = run_episode(env, agent)
    assert terminated and total == 1.0
    # the shortest path is 14 steps: value gamma^13
    assert agent.values[0] == pytest.approx(0.99**13)


def test_slippery_frozen_lake_plan_matches_monte_carlo() -> None:
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
    agent = PlannerAgent(env, planner="policy_iteration", gamma=1.0)
    wins = sum(run_episode(env, agent, seed=s, max_steps=1000)[0] for s in range(400))
    p = agent.values[0]  # the probability of reaching the goal
    assert 0.5 < p < 1.0
    assert abs(wins / 400 - p) < 4 * np.sqrt(p * (1 - p) / 400)


def test_cliff_walking_plan_takes_the_13_step_edge_path() -> None:
    env = gym.make("CliffWalking-v1")
    mdp = TabularMDP.from_env(env)
    assert mdp.terminal.nonzero()[0].tolist() == [47]  # the goal (its P row leads back into the grid)
    agent = PlannerAgent(mdp, gamma=1.0)
    assert agent.values[36] == -13.0
    total, terminated = run_episode(env, agent)
    assert terminated and total == -13.0


def test_taxi_plan_delivers() -> None:
    env = gym.make("Taxi-v4")
    agent = PlannerAgent(env, planner="fast", gamma=0.99)
    for seed in range(5):
        total, terminated = run_episode(env, agent, seed=seed)
        assert terminated and total > 0  # +20 on delivery minus the steps, no illegal moves


def test_from_env_rejects_other_envs() -> None:
    with pytest.raises(MDPError, match="neither"):
        TabularMDP.from_env(gym.make("CartPole-v1"))


@settings(max_examples=40, deadline=None)
@given(mdp=random_mdps())
def test_dense_round_trips(mdp: TabularMDP) -> None:
    P, R = mdp.to_dense()
    S, A, _ = mdp.shape
    assert P.shape == (A, S, S) and R.shape == (S, A)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-9)
    back = TabularMDP.from_dense(P, R, terminal=mdp.terminal)
    P2, R2 = back.to_dense()
    np.testing.assert_array_equal(P2, P)
    np.testing.assert_allclose(R2, R, atol=1e-12)
    # sparse matrices and the (S, A, S) reward form give the same MDP
    Ps, Rsas = mdp.to_dense(sparse=True, reward="sas")
    assert all(sp.issparse(m) for m in Ps)
    back2 = TabularMDP.from_dense(Ps, Rsas, terminal=mdp.terminal)
    np.testing.assert_allclose(back2.to_dense()[0], P, atol=0)
    np.testing.assert_allclose(back2.expected_reward[~mdp.terminal], R[~mdp.terminal], atol=1e-12)
    # and the same values
    v = policy_iteration(mdp, 0.9).values
    np.testing.assert_allclose(policy_iteration(back2, 0.9).values, v, atol=1e-9)
    np.testing.assert_allclose(policy_iteration(TabularMDP.from_dense(P, R), 0.9).values, v, atol=1e-9)


def test_from_dense_by_hand_and_default_terminals() -> None:
    # two states; action 0 in state 0 is a coin flip between staying (+1) and the absorbing state 1
    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    R = np.array([[1.0, 0.0], [0.0, 0.0]])
    mdp = TabularMDP.from_dense(P, R)
    assert mdp.terminal.tolist() == [False, True]
    # V(0) = max(1 + 0.5 g V(0), g V(0)) -> 1 / (1 - 0.5 g)
    assert value_iteration(mdp, 0.9, tol=1e-12).values[0] == pytest.approx(1 / (1 - 0.45))
    with pytest.raises(MDPError, match="R must have shape"):
        TabularMDP.from_dense(P, R.T[:1])
    with pytest.raises(MDPError, match="square"):
        TabularMDP.from_dense([np.ones((2, 3))], R)
    with pytest.raises(MDPError, match="sums to"):
        TabularMDP.from_dense(P * 0.5, R)


def test_lecture_round_trip_keeps_values() -> None:
    mdp = TabularMDP.from_env(LectureGridEnv(slip=0.2))
    P, R = mdp.to_dense()
    again = TabularMDP.from_dense(P, R)
    np.testing.assert_array_equal(again.terminal, mdp.terminal)
    np.testing.assert_allclose(
        value_iteration(again, 1.0, tol=1e-12).values, value_iteration(mdp, 1.0, tol=1e-12).values, atol=1e-10
    )


def test_agent_api() -> None:
    env = LectureGridEnv()
    agent = PlannerAgent(env, planner="policy_iteration", gamma=1.0)
    assert agent.act(8) == agent(np.int64(8)) == agent(np.array(8)) == 0
    for bad in (-1, 12, 1.5, "a", True):
        with pytest.raises(ValueError, match="state index"):
            agent.act(bad)
    with pytest.raises(ValueError, match="unknown planner"):
        PlannerAgent(env, planner="nope")
    assert "policy_iteration" in repr(agent)


def _reference_from_dense(P: list, R: np.ndarray) -> dict:
    """(s, a) -> {t: (probability, reward)} by plain loops over the summed entries."""
    out: dict = {}
    for a, m in enumerate(P):
        coo = m.tocoo()
        for s, t, p in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()):
            d = out.setdefault((s, a), {})
            d[t] = d.get(t, 0.0) + p
    for (s, a), d in out.items():
        for t in list(d):
            if d[t] == 0.0:
                del d[t]
            else:
                d[t] = (d[t], float(R[s, a] if R.ndim == 2 else R[s, a, t]))
    return out


@pytest.mark.parametrize("reward_kind", ["sa", "sas"])
@pytest.mark.parametrize("form", ["canonical", "duplicates", "stored zeros", "unsorted", "coo", "dense"])
def test_from_dense_slots_match_a_loop_reference(form: str, reward_kind: str) -> None:
    from scipy import sparse as sp

    rng = np.random.default_rng(7)
    S, A = 9, 3
    P, dense = [], np.zeros((A, S, S))
    for a in range(A):
        for s in range(S):
            cols = rng.choice(S, size=rng.integers(1, 5), replace=False)
            dense[a, s, cols] = rng.dirichlet(np.ones(len(cols)))
        m = sp.coo_matrix(dense[a])
        row, col, val = m.row, m.col, m.data
        if form == "stored zeros":
            row, col, val = np.r_[row, 0, 5], np.r_[col, 8, 2], np.r_[val, 0.0, 0.0]
        csr = sp.csr_matrix((val, (row, col)), shape=(S, S))
        if form == "stored zeros":
            assert (csr.data == 0).any()  # scipy keeps explicit zeros
        if form == "duplicates":  # every stored entry split into two halves, side by side in its row
            csr = split_duplicates(dense[a])
        if form == "unsorted":
            csr = reverse_rows(csr)
        P.append({"coo": sp.coo_matrix(dense[a]), "dense": dense[a]}.get(form, csr))
    R = rng.normal(size=(S, A)) if reward_kind == "sa" else rng.normal(size=(S, A, S))
    mdp = TabularMDP.from_dense(P, R)
    ref = _reference_from_dense([sp.csr_matrix(dense[a]) for a in range(A)], R)
    for s in range(S):
        for a in range(A):
            used = mdp.prob[s, a] > 0
            got = {
                int(t): (p, r)
                for t, p, r in zip(mdp.next_state[s, a][used], mdp.prob[s, a][used], mdp.reward[s, a][used])
            }
            assert got.keys() == ref[(s, a)].keys()
            for t, (p, r) in ref[(s, a)].items():
                assert got[t][0] == pytest.approx(p, abs=1e-15) and got[t][1] == r
            assert (mdp.next_state[s, a][~used] == s).all() and (mdp.reward[s, a][~used] == 0).all()
    assert mdp.n_outcomes == max(len(d) for d in ref.values())
