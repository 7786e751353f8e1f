"""Proper policies at gamma = 1: every planner's policy reaches a terminal where an optimal one can.

Independent truth: the absorption of the policy's Markov chain computed by dense linear algebra
(matrix powers and the expected number of steps), the policy's exact values by a dense solve,
and episodes of the real Gymnasium env run by a PlannerAgent.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planners
from planners import ImproperPolicyWarning, PlannerAgent, TabularMDP

from .conftest import random_mdps

LAKES = [("4x4", False), ("4x4", True), ("8x8", False), ("8x8", True)]


def lake(map_name: str, slippery: bool) -> TabularMDP:
    return TabularMDP.from_env(gym.make("FrozenLake-v1", map_name=map_name, is_slippery=slippery))


def chain(mdp: TabularMDP, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Live-to-live transition matrix, expected rewards and the live mask of ``policy`` (dense)."""
    P, R = mdp.to_dense()
    S = mdp.n_states
    live = ~mdp.terminal
    P_pi = P[policy, np.arange(S)]
    return P_pi[np.ix_(live, live)], R[np.arange(S), policy][live], live


def absorbed_for_sure(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """Per live state: the chain has left the live states after 2**40 steps (mass < 1e-9)."""
    Q, _, _ = chain(mdp, policy)
    Qn = Q.copy()
    for _ in range(40):
        Qn = Qn @ Qn
    return Qn.sum(axis=1) < 1e-9


def exact_values(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    Q, r, live = chain(mdp, policy)
    v = np.zeros(mdp.n_states)
    v[live] = np.linalg.solve(np.eye(Q.shape[0]) - Q, r)
    return v


def planner_runs(mdp: TabularMDP) -> dict[str, planners.PlanResult]:
    tol = 1e-11
    runs = {m: planners.value_iteration(mdp, 1.0, tol=tol, method=m) for m in ("jacobi", "gauss-seidel", "auto")}
    runs["policy_iteration"] = planners.policy_iteration(mdp, 1.0, tol=tol)
    runs["policy_iteration:iterative"] = planners.policy_iteration(mdp, 1.0, tol=tol, evaluation="iterative")
    runs["modified_policy_iteration"] = planners.modified_policy_iteration(mdp, 1.0, tol=tol)
    runs["solve"] = planners.solve(mdp, 1.0, tol=tol)
    return runs


@pytest.mark.parametrize(("map_name", "slippery"), LAKES)
def test_frozen_lake_policies_are_proper_and_optimal(map_name: str, slippery: bool) -> None:
    mdp = lake(map_name, slippery)
    live = ~mdp.terminal
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = planner_runs(mdp)
        batch = planners.batch_value_iteration(mdp, 1.0, tol=1e-11)
    policies = {name: res.policy for name, res in runs.items()}
    policies["batch_value_iteration"] = batch.policies[0]
    reference = runs["policy_iteration"].values
    for name, res in runs.items():
        assert res.proper is True, name
        np.testing.assert_allclose(res.values, reference, atol=1e-8, err_msg=name)
    assert batch.proper.tolist() == [True]
    for name, pol in policies.items():
        # reachable terminal from every live state, by exact absorption analysis
        assert absorbed_for_sure(mdp, pol).all(), name
        Q, _, _ = chain(mdp, pol)
        steps = np.linalg.solve(np.eye(Q.shape[0]) - Q, np.ones(Q.shape[0]))
        assert np.isfinite(steps).all() and (steps >= 1 - 1e-9).all(), name
        # and optimal: its own exact values are the optimal values
        np.testing.assert_allclose(exact_values(mdp, pol)[live], reference[live], atol=1e-7, err_msg=name)
        assert not planners.improper_states(mdp, pol).any(), name


@pytest.mark.parametrize(("map_name", "slippery"), LAKES)
def test_the_lowest_tied_action_alone_would_not_terminate(map_name: str, slippery: bool) -> None:
    # the bug this rule fixes: deterministic FrozenLake's canonical greedy policy bumps forever
    mdp = lake(map_name, slippery)
    res = planners.value_iteration(mdp, 1.0, tol=1e-11)
    canonical = planners.greedy_policy(res.q)
    if not slippery:
        assert not absorbed_for_sure(mdp, canonical).all()
        assert planners.improper_states(mdp, canonical).sum() >= 10
    assert absorbed_for_sure(mdp, res.policy).all()
    # only tied actions were swapped in
    assert res.greedy_mask()[np.arange(mdp.n_states), res.policy].all()


@pytest.mark.parametrize(("map_name", "slippery"), LAKES)
def test_planner_agent_finishes_episodes_in_the_real_env(map_name: str, slippery: bool) -> None:
    env = gym.make("FrozenLake-v1", map_name=map_name, is_slippery=slippery, max_episode_steps=20_000)
    agent = PlannerAgent(env, gamma=1.0)
    assert agent.planner == "solve" and agent.result.proper
    returns = []
    for seed in range(20 if slippery else 1):
        obs, _ = env.reset(seed=seed)
        terminated = truncated = False
        total = 0.0
        while not (terminated or truncated):
            obs, reward, terminated, truncated, _ = env.step(agent(obs))
            total += float(reward)
        assert terminated and not truncated
        returns.append(total)
    if not slippery:
        assert returns == [1.0]  # the goal, on the shortest path or any other
    else:  # the optimal value of the start square is the probability of reaching the goal
        assert agent.values[0] > 0.7


def test_frozen_lake_8x8_policy_iteration_ends_on_a_proper_policy() -> None:
    # the case: its evaluation matrix used to be singular
    mdp = lake("8x8", True)
    res = planners.policy_iteration(mdp, 1.0)
    assert res.converged and res.proper
    Q, _, _ = chain(mdp, res.policy)
    assert np.linalg.cond(np.eye(Q.shape[0]) - Q) < 1e8


def no_proper_optimum() -> TabularMDP:
    """State 0: stay for 0 forever (action 0) or exit into terminal 1 for -1 (action 1); state 2: exit for +1."""
    ns = np.array([[[0], [1]], [[1], [1]], [[1], [1]]])
    rw = np.array([[[0.0], [-1.0]], [[0.0], [0.0]], [[1.0], [1.0]]])
    return TabularMDP(ns, np.ones_like(rw), rw, [False, True, False])


@pytest.mark.parametrize(
    "run",
    [
        lambda m: planners.value_iteration(m, 1.0, method="jacobi"),
        lambda m: planners.value_iteration(m, 1.0, method="gauss-seidel"),
        lambda m: planners.value_iteration(m, 1.0, method="auto"),
        lambda m: planners.policy_iteration(m, 1.0),
        lambda m: planners.modified_policy_iteration(m, 1.0),
        lambda m: planners.solve(m, 1.0),
    ],
)
def test_no_proper_optimal_policy_is_flagged(run) -> None:
    mdp = no_proper_optimum()
    with pytest.warns(ImproperPolicyWarning, match=r"from 1 state\(s\) \(e.g. \[0\]\)"):
        res = run(mdp)
    assert res.proper is False and res.values.tolist() == [0.0, 0.0, 1.0] and res.policy[0] == 0
    batch = planners.batch_value_iteration(mdp, [1.0, 0.9])
    assert batch.proper.tolist() == [False, True]


def test_proper_is_not_checked_below_gamma_1() -> None:
    res = planners.value_iteration(lake("4x4", False), 0.9)
    assert res.proper is None
    assert res.value_error == pytest.approx(0.9 / 0.1 * res.residuals[-1])


def _random_policy(mdp: TabularMDP, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, mdp.n_actions, mdp.n_states)


@settings(max_examples=80, deadline=None)
@given(mdp=random_mdps(max_states=12, max_actions=3, max_outcomes=3), seed=st.integers(0, 2**32 - 1))
def test_improper_states_numpy_and_kernel_match_absorption(mdp: TabularMDP, seed: int) -> None:
    from planners import _kernels, _proper

    pol = _random_policy(mdp, seed)
    numpy_mask = _proper.improper_mask(mdp.next_state, mdp.prob, mdp.terminal, pol)
    kernel_mask = np.empty(mdp.n_states, dtype=bool)
    _kernels.improper_states(mdp.next_state, mdp.prob, mdp.terminal, pol, kernel_mask)
    truth = np.zeros(mdp.n_states, dtype=bool)
    if (~mdp.terminal).any():
        truth[~mdp.terminal] = ~absorbed_for_sure(mdp, pol)
    assert numpy_mask.tolist() == truth.tolist()
    assert kernel_mask.tolist() == truth.tolist()


@settings(max_examples=60, deadline=None)
@given(mdp=random_mdps(max_states=10, max_actions=3, max_outcomes=3))
def test_proper_start_of_policy_iteration_is_proper_wherever_possible(mdp: TabularMDP) -> None:
    from planners.solvers import _proper_policy

    pol = _proper_policy(mdp)
    # brute force over every deterministic policy: the states some policy terminates from for sure
    S, A = mdp.n_states, mdp.n_actions
    if A**S > 5000 or not (~mdp.terminal).any():
        return
    can = np.zeros(S, dtype=bool)
    for idx in np.ndindex(*([A] * S)):
        other = np.array(idx)
        can[~mdp.terminal] |= absorbed_for_sure(mdp, other)
    mine = np.zeros(S, dtype=bool)
    mine[~mdp.terminal] = absorbed_for_sure(mdp, pol)
    assert mine[~mdp.terminal].tolist() == can[~mdp.terminal].tolist()


def test_small_gauss_seidel_runs_in_python_like_the_kernel() -> None:
    # 11.8: gauss-seidel took seconds on slippery FrozenLake 4x4 (loading numba for a 16-state MDP)
    from planners import _kernels

    mdp = lake("4x4", True)
    res = planners.value_iteration(mdp, 1.0, method="gauss-seidel")
    v = np.zeros(mdp.n_states)
    n, r = 0, np.inf
    while r >= 1e-8:
        r = _kernels.bellman_sweep(
            mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, 1.0, v, v, np.empty(0, dtype=np.int64)
        )
        n += 1
    assert res.iterations == n
    np.testing.assert_array_equal(res.values.view(np.int64), v.view(np.int64))


def test_small_mdps_plan_without_loading_numba() -> None:
    code = (
        "import sys, gymnasium as gym, planners\n"
        "m = planners.TabularMDP.from_env(gym.make('FrozenLake-v1'))\n"
        "for meth in ('jacobi', 'gauss-seidel'):\n"
        "    r = planners.value_iteration(m, 1.0, method=meth); assert r.converged and r.proper\n"
        "assert planners.solve(m, 1.0).method == 'value_iteration:jacobi'\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_proper_start_prefers_likely_moves_over_slips() -> None:
    # policy iteration's start at gamma = 1 on a slippery grid: relying on 10% slips made the expected
    # number of steps explode (4e11 on 300x300; its evaluation then failed); the direct move is 80%
    from gridworld_env import LectureGridEnv
    from planners.solvers import _proper_policy

    mdp = TabularMDP.from_env(LectureGridEnv("open:20x20", slip=0.2))
    pol = _proper_policy(mdp)
    Q, _, _ = chain(mdp, pol)
    steps = np.linalg.solve(np.eye(Q.shape[0]) - Q, np.ones(Q.shape[0]))
    assert steps.max() < 4 * (20 + 20)  # a few times the longest walk to the exit
