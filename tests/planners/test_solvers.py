"""Planners against independent truth: hand-derived values, linear solves, contraction bounds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planners
from gridworld_env import LectureGridEnv
from gridworld_env.model import build_model
from planners import (
    ConvergenceWarning,
    TabularMDP,
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    q_values,
    value_iteration,
    value_iteration_sweeps,
)

from .conftest import random_mdps

ALL_VI = ["jacobi", "gauss-seidel", "auto"]


def lecture(living_reward: float = -0.04, slip: float = 0.0) -> TabularMDP:
    return TabularMDP.from_env(LectureGridEnv("lecture", living_reward=living_reward, slip=slip))


# Steps to the +1 exit from each square of the deterministic 4x3 world on the best path
# (never through the -1 exit; (2, 3) goes left and round).  None: wall or exit.
STEPS = [[3, 2, 1, None], [4, None, 2, None], [5, 4, 3, 4]]


def hand_values(c: float, gamma: float) -> np.ndarray:
    """V(s) = c (1 + gamma + ... + gamma^(d-2)) + gamma^(d-1) * 1 for a path of d steps."""
    v = np.zeros(12)
    for r in range(3):
        for col in range(4):
            d = STEPS[r][col]
            if d is not None:
                v[r * 4 + col] = c * sum(gamma**i for i in range(d - 1)) + gamma ** (d - 1)
    return v


@pytest.mark.parametrize("method", ALL_VI)
@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_deterministic_lecture_grid_matches_hand_derived_values(method: str, gamma: float) -> None:
    res = value_iteration(lecture(-0.04), gamma, tol=1e-12, method=method)
    assert res.converged
    np.testing.assert_allclose(res.values, hand_values(-0.04, gamma), atol=1e-12)
    # start square (2, 0): up and right both take 5 steps; the tie goes to the lowest index (up)
    assert res.policy[8] == 0
    # (2, 3) next to the -1 exit goes left, (1, 2) goes up, the top row goes right
    assert res.policy[11] == 2 and res.policy[6] == 0 and list(res.policy[[0, 1, 2]]) == [3, 3, 3]
    assert res.values[[3, 5, 7]].tolist() == [0.0, 0.0, 0.0]  # exits and the wall


@pytest.mark.parametrize("solver", ["policy_iteration", "modified_policy_iteration", "gauss_seidel", "fast"])
def test_every_solver_matches_hand_values(solver: str) -> None:
    res = planners.SOLVERS[solver](lecture(-0.04), 1.0, tol=1e-12)
    assert res.converged
    np.testing.assert_allclose(res.values, hand_values(-0.04, 1.0), atol=1e-10)


def test_living_reward_minus_2_runs_into_the_nearest_exit() -> None:
    # the lecture's question: at -2 per step even the -1 exit is better than walking on
    res = value_iteration(lecture(-2.0), 1.0)
    assert res.policy[11] == 0  # (2, 3): straight up into the -1 exit
    assert res.values[11] == pytest.approx(-1.0)
    # (1, 2): right into -1 and up-then-right into +1 (-2 + 1) both give -1: a tie, lowest index (up)
    assert res.q[6, 0] == res.q[6, 3] == -1.0 and res.policy[6] == 0
    # (2, 2): up or right, then into -1: -2 - 1 either way, beating the long way round
    assert res.values[10] == -3.0 and res.q[10, 2] < -3.0 and res.policy[10] == 0


@settings(max_examples=60, deadline=None)
@given(mdp=random_mdps(), gamma=st.sampled_from([0.0, 0.5, 0.9]))
def test_vi_pi_mpi_agree_on_random_mdps(mdp: TabularMDP, gamma: float) -> None:
    tol = 1e-11
    bound = tol * gamma / (1 - gamma) + 1e-12
    pi = policy_iteration(mdp, gamma)
    assert pi.converged
    for method in ALL_VI:
        vi = value_iteration(mdp, gamma, tol=tol, method=method)
        assert vi.converged
        np.testing.assert_allclose(vi.values, pi.values, atol=bound, rtol=0)
    mpi = modified_policy_iteration(mdp, gamma, k=3, tol=tol)
    np.testing.assert_allclose(mpi.values, pi.values, atol=bound, rtol=0)
    pii = policy_iteration(mdp, gamma, evaluation="iterative", tol=1e-13)
    np.testing.assert_allclose(pii.values, pi.values, atol=1e-10, rtol=0)
    # the greedy policies are all optimal: their exact values equal the optimum
    for res in (vi, mpi, pii):
        np.testing.assert_allclose(policy_evaluation(mdp, res.policy, gamma), pi.values, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(mdp=random_mdps(), gamma=st.sampled_from([0.3, 0.9, 0.99]), seed=st.integers(0, 10**6))
def test_policy_evaluation_equals_numpy_linear_solve(mdp: TabularMDP, gamma: float, seed: int) -> None:
    S, A, _ = mdp.shape
    policy = np.random.default_rng(seed).integers(0, A, size=S)
    # independent construction of (I - gamma P_pi) V = r_pi from the dense matrices
    P, R = mdp.to_dense()
    P_pi = P[policy, np.arange(S)]
    r_pi = R[np.arange(S), policy]
    expected = np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)
    np.testing.assert_allclose(policy_evaluation(mdp, policy, gamma, method="exact"), expected, atol=1e-9)
    it = policy_evaluation(mdp, policy, gamma, method="iterative", tol=1e-12)
    np.testing.assert_allclose(it, expected, atol=1e-12 * gamma / (1 - gamma) + 1e-12)


@pytest.mark.parametrize("method", ALL_VI)
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_bellman_residual_and_error_within_the_stopping_bound(method: str, slip: float) -> None:
    gamma, tol = 0.95, 1e-6
    mdp = TabularMDP.from_env(LectureGridEnv("four_rooms", living_reward=-0.01, slip=slip))
    res = value_iteration(mdp, gamma, tol=tol, method=method)
    assert res.converged and res.residuals[-1] < tol and res.residuals.shape == (res.iterations,)
    exact = policy_iteration(mdp, gamma, evaluation="exact").values
    assert np.abs(res.values - exact).max() <= tol * gamma / (1 - gamma)
    bellman = np.abs(q_values(mdp, res.values, gamma).max(axis=1) - res.values).max()
    assert bellman <= (1 + gamma) * gamma / (1 - gamma) * tol
    if method == "jacobi":
        assert bellman <= gamma * tol  # T V_{n+1} - V_{n+1} = T V_{n+1} - T V_n
    # the greedy policy's loss is within 2 gamma tol / (1 - gamma)
    v_pi = policy_evaluation(mdp, res.policy, gamma)
    assert np.abs(v_pi - exact).max() <= 2 * gamma * tol / (1 - gamma)


def test_q_values_by_hand() -> None:
    mdp = lecture(-0.04, slip=0.2)
    v = np.arange(12, dtype=float)
    q = q_values(mdp, v, 0.5)
    # up from (2, 0) = state 8: 0.8 -> 4, 0.1 bump -> 8, 0.1 right -> 9; all rewards -0.04
    assert q[8, 0] == pytest.approx(-0.04 + 0.5 * (0.8 * 4 + 0.1 * 8 + 0.1 * 9))
    # right from (0, 2) = state 2: 0.8 -> +1 exit (state 3, value 0 as terminal), 0.1 up bump, 0.1 down -> 6
    assert q[2, 3] == pytest.approx(0.8 * 1.0 + 0.1 * -0.04 + 0.1 * -0.04 + 0.5 * (0.8 * 3 + 0.1 * 2 + 0.1 * 6))
    assert (q[[3, 5, 7]] == 0).all()


def test_sweeps_generator_reproduces_value_iteration() -> None:
    mdp = lecture(-0.04, slip=0.2)
    steps = list(value_iteration_sweeps(mdp, 0.9, tol=1e-9))
    res = value_iteration(mdp, 0.9, tol=1e-9)
    assert len(steps) == res.iterations and steps[-1].converged and not steps[0].converged
    np.testing.assert_array_equal(steps[-1].values, res.values)
    np.testing.assert_array_equal(steps[-1].residuals, res.residuals)
    # the first sweep from zeros is the best immediate reward
    np.testing.assert_allclose(steps[0].values, np.where(mdp.terminal, 0, mdp.expected_reward.max(axis=1)))
    assert [s.iterations for s in steps[:3]] == [1, 2, 3]


def test_positive_living_reward_at_gamma_1_warns_and_stops() -> None:
    mdp = lecture(+0.1)
    with pytest.warns(ConvergenceWarning, match="gamma=1"):
        res = value_iteration(mdp, 1.0, max_iter=200)
    assert not res.converged and res.iterations == 200
    # each sweep adds the living reward forever: the change never shrinks
    np.testing.assert_allclose(res.residuals[-50:], 0.1)
    with pytest.warns(ConvergenceWarning):
        assert not modified_policy_iteration(mdp, 1.0, max_iter=50).converged
    with pytest.warns(ConvergenceWarning):
        assert not policy_iteration(mdp, 1.0).converged
    with pytest.warns(ConvergenceWarning):
        assert not planners.value_iteration(mdp, 1.0, max_iter=100, method="auto").converged


@pytest.mark.parametrize("c", [-0.04, 0.0, 0.1])
def test_improper_policy_evaluation_at_gamma_1_is_infinite_by_the_sign_of_the_cycle(c: float) -> None:
    # always "up" on the deterministic 4x3 world: the top row bumps forever, (1, 0), (1, 2), (2, 0),
    # (2, 2) walk up into it, (2, 1) bumps into the wall; only (2, 3) exits, up into -1
    mdp = lecture(c)
    up = np.zeros(12, dtype=int)
    v = policy_evaluation(mdp, up, 1.0)
    loops = [0, 1, 2, 4, 6, 8, 9, 10]
    expected = {-0.04: -np.inf, 0.0: 0.0, 0.1: np.inf}[c]
    assert v[loops].tolist() == [expected] * len(loops)
    assert v[11] == -1.0 and v[[3, 5, 7]].tolist() == [0.0, 0.0, 0.0]
    assert planners.improper_states(mdp, up).tolist() == [s in loops for s in range(12)]


def test_improper_policy_evaluation_with_mixed_cycles_is_nan() -> None:
    # one action; 0 <-> 1 pays +1 then -1 forever; 2 -> 3 terminal pays 5
    ns = np.array([[[1]], [[0]], [[3]], [[3]]])
    rw = np.array([[[1.0]], [[-1.0]], [[5.0]], [[0.0]]])
    mdp = TabularMDP(ns, np.ones_like(rw), rw, [False, False, False, True])
    with pytest.warns(planners.ImproperPolicyWarning, match="both signs"):
        v = policy_evaluation(mdp, np.zeros(4, dtype=int), 1.0)
    assert np.isnan(v[:2]).all() and v[2:].tolist() == [5.0, 0.0]


def test_improper_states_on_a_small_chain() -> None:
    # moved from the policy editor demo: states 0..3, one action; 3 absorbing. 0 -> 1 -> 3 exits; 2 loops
    ns = np.array([[[1, 1]], [[3, 3]], [[2, 2]], [[3, 3]]])
    pr = np.array([[[1.0, 0.0]], [[1.0, 0.0]], [[1.0, 0.0]], [[1.0, 0.0]]])
    absorbing = np.array([False, False, False, True])
    pol = np.zeros(4, dtype=np.int64)
    mdp = TabularMDP(ns.copy(), pr.copy(), np.zeros_like(pr), absorbing)
    assert planners.improper_states(mdp, pol).tolist() == [False, False, True, False]
    # 0 now reaches the loop with probability 0.5: improper although it may exit
    ns[0, 0] = [1, 2]
    pr[0, 0] = [0.5, 0.5]
    mdp = TabularMDP(ns, pr, np.zeros_like(pr), absorbing)
    assert planners.improper_states(mdp, pol).tolist() == [True, False, True, False]


def test_policy_iteration_at_gamma_1_starts_proper() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = policy_iteration(lecture(-0.04, slip=0.2), 1.0)
    assert res.converged
    vi = value_iteration(lecture(-0.04, slip=0.2), 1.0, tol=1e-13)
    np.testing.assert_allclose(res.values, vi.values, atol=1e-10)


@pytest.mark.parametrize("layout, gamma", [("open:60x70", 0.99), ("open:150x150", 0.95), ("maze:41x61:3", 0.99)])
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_large_grids_methods_agree(layout: str, gamma: float, slip: float) -> None:
    # 150 x 150 > RELABEL_MIN_STATES: "auto" sweeps a relabelled copy of the MDP
    from gridworld_env import get_layout

    m = build_model(get_layout(layout), living_reward=-0.04, slip=slip)
    mdp = TabularMDP.from_env(m)
    tol = 1e-11
    ref = value_iteration(mdp, gamma, tol=tol)
    bound = 2 * tol * gamma / (1 - gamma)
    for method in ("gauss-seidel", "auto"):
        res = value_iteration(mdp, gamma, tol=tol, method=method)
        assert res.converged
        np.testing.assert_allclose(res.values, ref.values, atol=bound, rtol=0)
        np.testing.assert_array_equal(res.values[mdp.terminal], 0.0)
    auto = value_iteration(mdp, gamma, method="auto")
    if slip == 0.0:  # deterministic: label correcting is exact, one sweep verifies it
        assert auto.iterations == 1 and auto.residuals[0] < 1e-12


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": 1.5}, "gamma"),
        ({"gamma": -0.1}, "gamma"),
        ({"gamma": "x"}, "gamma"),
        ({"gamma": 0.9, "tol": 0}, "tol"),
        ({"gamma": 0.9, "max_iter": 0}, "max_iter"),
        ({"gamma": 0.9, "method": "bogus"}, "bogus"),
        ({"gamma": 0.9, "v0": [1.0]}, "v0"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        value_iteration(lecture(), **kwargs)


def test_bad_policy_raises() -> None:
    with pytest.raises(ValueError, match="policy\\[3\\] = 7"):
        policy_evaluation(lecture(), [0, 0, 0, 7] + [0] * 8, 0.9)
    with pytest.raises(ValueError, match="shape"):
        policy_evaluation(lecture(), [0], 0.9)
    with pytest.raises(ValueError, match="k must"):
        modified_policy_iteration(lecture(), 0.9, k=-1)


@settings(max_examples=30, deadline=None)
@given(
    mdp=random_mdps(),
    gamma=st.sampled_from([0.5, 0.9, 1.0]),
    method=st.sampled_from(["jacobi", "gauss-seidel"]),
)
def test_numpy_path_for_small_mdps_matches_the_kernels_bit_for_bit(mdp: TabularMDP, gamma: float, method: str) -> None:
    import planners._results as results

    kwargs = dict(tol=1e-9, max_iter=300, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", planners.ImproperPolicyWarning)
        small = value_iteration(mdp, gamma, **kwargs)
        steps_small = [r.values for r in value_iteration_sweeps(mdp, gamma, max_iter=5, method=method)]
        old = results.SMALL_OUTCOMES
        results.SMALL_OUTCOMES = -1  # force the numba kernels
        try:
            assert not results.small(mdp)
            big = value_iteration(mdp, gamma, **kwargs)
            steps_big = [r.values for r in value_iteration_sweeps(mdp, gamma, max_iter=5, method=method)]
            q_big = q_values(mdp, big.values, gamma)
        finally:
            results.SMALL_OUTCOMES = old
    assert small.iterations == big.iterations
    np.testing.assert_array_equal(small.values, big.values)
    np.testing.assert_array_equal(small.residuals, big.residuals)
    np.testing.assert_array_equal(small.q, big.q)
    np.testing.assert_array_equal(small.policy, big.policy)  # the proper rule's check: NumPy and kernel
    assert small.proper == big.proper
    np.testing.assert_array_equal(q_values(mdp, big.values, gamma), q_big)
    for a, b in zip(steps_small, steps_big):
        np.testing.assert_array_equal(a, b)


def _sweep_both_ways(mdp: TabularMDP, gamma: float, v: np.ndarray) -> None:
    """The tuned plain-order loops of ``bellman_sweep`` against its general loop (an explicit
    ``0..S-1`` order) and against NumPy, bit for bit, values and residual."""
    from planners import _kernels as K

    ns, pr, rsa, term = mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal
    S = ns.shape[0]
    fast, general = np.empty(S), np.empty(S)
    r_fast = K.bellman_sweep(ns, pr, rsa, term, gamma, v, fast, np.empty(0, dtype=np.int64))
    r_general = K.bellman_sweep(ns, pr, rsa, term, gamma, v, general, np.arange(S, dtype=np.int64))
    np.testing.assert_array_equal(fast.view(np.int64), general.view(np.int64))
    assert np.float64(r_fast).view(np.int64) == np.float64(r_general).view(np.int64)
    with np.errstate(invalid="ignore"):
        ref = (rsa + gamma * (pr * v[ns]).sum(axis=2)).max(axis=1)
    ref[term] = 0.0
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(fast[finite], ref[finite])


@settings(max_examples=60, deadline=None)
@given(
    mdp=random_mdps(max_states=40, max_actions=5, max_outcomes=4),
    gamma=st.sampled_from([0.5, 0.99, 1.0]),
    seed=st.integers(0, 2**32 - 1),
    with_inf=st.booleans(),
)
def test_tuned_sweep_loops_match_the_general_loop_bit_for_bit(
    mdp: TabularMDP, gamma: float, seed: int, with_inf: bool
) -> None:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=mdp.shape[0]) * 10
    if with_inf:  # label correcting leaves -inf where no terminal is reached
        v[rng.random(v.shape[0]) < 0.3] = -np.inf
    _sweep_both_ways(mdp, gamma, v)


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_tuned_sweep_loops_on_a_grid_past_the_prefetch_distance(slip: float) -> None:
    from gridworld_env import open_grid

    m = build_model(open_grid(30, 30), living_reward=-0.04, slip=slip)
    mdp = TabularMDP.from_env(m)
    assert mdp.shape[1:] == (4, 1 if slip == 0 else 3)
    _sweep_both_ways(mdp, 0.99, np.random.default_rng(1).normal(size=mdp.shape[0]))
