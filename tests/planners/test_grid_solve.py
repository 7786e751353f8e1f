"""solve_grid: every method's stopping guarantee against exact values, the API and its input checks."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest

import planners
import planners.grid
import planners.span
from gridworld_env import LectureGridEnv
from gridworld_env.layouts import get_layout, open_grid
from gridworld_env.model import build_model
from planners import ConvergenceWarning
from planners.grid import GridMDP, grid_description, solve_grid


def _general(name: str, slip: float, living: float = -0.04) -> planners.TabularMDP:
    m = build_model(get_layout(name), living_reward=living, slip=slip)
    return planners.TabularMDP(m.next_state, m.prob, m.reward, m.absorbing)


def _exact_optimal_values(mdp: planners.TabularMDP, gamma: float) -> np.ndarray:
    """V* as the dense linear solve of the optimal policy (found by a tight value iteration)."""
    pol = planners.value_iteration(mdp, gamma, tol=1e-13, method="auto").policy
    return planners.policy_evaluation(mdp, pol, gamma, method="exact")


def test_module_doctest_reproduces_the_4x3_world():
    failures, tried = doctest.testmod(planners.grid, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("name", ["lecture", "bridge", "cliff", "four_rooms", "maze:15x21:2", "open:12x17"])
@pytest.mark.parametrize("method", ["auto", "jacobi", "gauss-seidel", "policy-iteration"])
@pytest.mark.parametrize("gamma", [0.9, 0.99])
def test_stopping_guarantee_holds_against_exact_values(name, method, gamma):
    """Last Bellman step changed less than tol, so ||V - V*|| <= tol * gamma / (1 - gamma)."""
    tol = 1e-5
    mdp = _general(name, 0.2)
    vstar = _exact_optimal_values(mdp, gamma)
    g = GridMDP.from_layout(get_layout(name), -0.04, 0.2)
    info: dict = {}
    res = solve_grid(g, gamma, tol=tol, method=method, info=info)
    assert res.converged and res.residuals[-1] < tol and res.iterations == len(res.residuals)
    assert np.abs(res.values - vstar).max() <= tol * gamma / (1 - gamma)
    # and the returned values' own Bellman residual, by the general operator, is within gamma * tol
    q = planners.q_values(mdp, res.values, gamma)
    assert np.abs(np.where(mdp.terminal, 0.0, q.max(axis=1)) - res.values).max() <= gamma * tol * (1 + 1e-9)
    # Q-values and greedy policy are those of the returned values
    assert np.array_equal(res.q, q)
    assert np.array_equal(res.policy, planners.greedy_policy(q))
    if method == "policy-iteration" or (method == "auto" and not name.startswith("maze")):
        assert info["method"] == "policy-iteration" and info["line_sweeps"] > 0
    if method == "auto" and name.startswith("maze"):  # about half walls: Jacobi sweeps
        assert info["method"] == "jacobi" and g.wall.mean() > planners.grid.AUTO_MAX_WALL_FRACTION


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_policy_iteration_needs_far_fewer_bellman_steps_than_value_iteration(slip):
    g = GridMDP.from_layout(open_grid(150, 150), -0.04, slip)
    jac = solve_grid(g, 0.99, tol=1e-8, method="jacobi")
    info: dict = {}
    pi = solve_grid(g, 0.99, tol=1e-8, method="policy-iteration", info=info)
    assert pi.converged and jac.converged
    assert info["bellman_steps"] + info["line_sweeps"] < jac.iterations / 4
    assert np.abs(pi.values - jac.values).max() <= 2e-8 * 0.99 / 0.01


def test_deterministic_auto_is_one_bellman_step_and_exact_with_two_terminal_rewards():
    mdp = _general("bridge", 0.0)
    res = solve_grid(GridMDP.from_layout(get_layout("bridge"), -0.04, 0.0), 0.9)
    assert res.method == "grid:deterministic" and res.iterations == 1 and res.residuals[0] == 0.0
    assert np.allclose(res.values, _exact_optimal_values(mdp, 0.9), rtol=0, atol=1e-12)


def test_deterministic_with_a_positive_living_reward_falls_back_and_still_converges():
    """One square beside the exit: bumping forever (+0.5 a step, worth 5) beats the exit (1).  Label
    correcting only follows moves between squares and finds 1; the check sweep sees the bump."""
    mdp = _general("open:1x2", 0.0, living=0.5)
    res = solve_grid(GridMDP.from_layout(get_layout("open:1x2"), 0.5, 0.0), 0.9, tol=1e-9)
    assert res.converged and res.iterations > 1 and res.residuals[0] == pytest.approx(0.4)
    assert np.abs(res.values - _exact_optimal_values(mdp, 0.9)).max() <= 1e-9 * 0.9 / 0.1
    assert res.values[0] == pytest.approx(5.0, abs=1e-7)
    # with cycles between squares (a 2-cycle pays as much as bumping) label correcting is exact at once
    many = solve_grid(GridMDP.from_layout(get_layout("lecture"), 0.5, 0.0), 0.9, tol=1e-9)
    assert many.iterations == 1
    assert np.abs(many.values - _exact_optimal_values(_general("lecture", 0.0, 0.5), 0.9)).max() <= 1e-12


def test_gamma_one_slippery_auto_runs_gauss_seidel_and_matches_the_book():
    res = solve_grid(LectureGridEnv("lecture", living_reward=-0.04, slip=0.2), 1.0, tol=1e-10)
    assert res.method == "grid:gauss-seidel" and res.converged
    want = planners.value_iteration(_general("lecture", 0.2), 1.0, tol=1e-10, method="gauss-seidel")
    assert np.array_equal(res.values, want.values)


def test_v0_is_used_and_unreachable_regions_are_handled():
    lay = get_layout("four_rooms")
    g = GridMDP.from_layout(lay, -0.04, 0.2)
    first = solve_grid(g, 0.95, tol=1e-9)
    again = solve_grid(g, 0.95, tol=1e-9, v0=first.values, method="jacobi")
    assert again.iterations <= 2 and np.abs(again.values - first.values).max() < 1e-8
    # a walled-off pocket with no terminal: worth living_reward / (1 - gamma) forever
    wall = np.zeros((5, 5), dtype=bool)
    wall[:, 2] = True
    term = np.zeros((5, 5), dtype=bool)
    term[0, 4] = True
    rew = np.where(term, 1.0, 0.0)
    for slip in (0.0, 0.2):
        res = solve_grid(GridMDP(wall, term, rew, -0.1, slip), 0.9, tol=1e-10)
        assert res.converged
        assert np.allclose(res.values.reshape(5, 5)[:, :2], -0.1 / 0.1, atol=1e-8)


def test_max_iter_stops_with_a_warning():
    g = GridMDP.from_layout(open_grid(20, 20), -0.04, 0.2)
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):
        res = solve_grid(g, 0.99, tol=1e-12, method="jacobi", max_iter=3)
    assert not res.converged and res.iterations == 3


def test_return_q_false_keeps_the_policy():
    g = GridMDP.from_layout(get_layout("maze:11x15:3"), -0.04, 0.2)
    full = solve_grid(g, 0.9)
    lean = solve_grid(g, 0.9, return_q=False)
    assert lean.q.shape == (0, 4) and np.array_equal(lean.policy, full.policy)
    assert np.array_equal(lean.values, full.values)


def test_grid_description_reads_models_envs_and_raw_masks():
    env = LectureGridEnv("cliff", living_reward=-0.1, slip=0.1)
    model = env.unwrapped.model
    for obj in (env, model):
        g = grid_description(obj)
        assert isinstance(g, GridMDP)
        assert g.shape == model.shape and g.slip == 0.1 and g.living_reward == -0.1
        assert np.array_equal(g.wall, model.wall) and np.array_equal(g.terminal, model.terminal)
    assert grid_description(g) is g
    assert grid_description(planners.TabularMDP.from_env(env)) is None
    assert grid_description(object()) is None
    lay = get_layout("cliff")
    flat = GridMDP(
        lay.wall.reshape(-1), lay.terminal.reshape(-1), lay.terminal_reward.reshape(-1), -0.1, 0.1, lay.shape
    )
    a = solve_grid(flat, 0.9).values
    assert np.array_equal(a, solve_grid(env, 0.9).values)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"wall": np.zeros((2, 2), dtype=int)}, "wall must be a boolean mask"),
        ({"terminal": np.zeros((2, 3), dtype=bool)}, r"terminal must have shape \(2, 2\)"),
        ({"wall": np.zeros(4, dtype=bool)}, r"wall must have shape \(nrow, ncol\)"),
        ({"terminal_reward": np.array([["a", "b"], ["c", "d"]])}, "terminal_reward must hold real numbers"),
        ({"terminal_reward": np.array([[np.nan, 0], [0, 0]])}, "terminal rewards must be finite"),
        ({"wall": np.array([[True, False], [False, False]])}, r"square \(0, 0\) is both a wall and a terminal"),
        ({"living_reward": True}, "living_reward must be a real number, got True"),
        ({"living_reward": float("inf")}, "living_reward must be finite"),
        ({"slip": 1.5}, r"slip must be in \[0, 1\], got 1.5"),
        ({"slip": "0.2"}, "slip must be a real number, got '0.2'"),
    ],
)
def test_bad_grids_are_refused(kwargs, match):
    args = {
        "wall": np.zeros((2, 2), dtype=bool),
        "terminal": np.array([[True, False], [False, False]]),
        "terminal_reward": np.array([[1.0, 0.0], [0.0, 0.0]]),
        "living_reward": -0.04,
        "slip": 0.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        GridMDP(**args)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"gamma": 1.5}, r"gamma must be in \[0, 1\], got 1.5"),
        ({"gamma": True}, "gamma must be a number"),
        ({"tol": 0.0}, "tol must be a positive finite number"),
        ({"method": "magic"}, "method must be one of"),
        ({"method": "policy-iteration", "gamma": 1.0}, "needs gamma < 1"),
        ({"threads": 0}, "threads must be an integer >= 1, got 0"),
        ({"max_iter": 2.5}, "max_iter must be an integer >= 1, got 2.5"),
        ({"v0": np.zeros(3)}, r"v0 must have shape \(12,\), got \(3,\)"),
        ({"v0": np.full(12, np.nan)}, r"v0 must be finite, got \[nan, nan, nan\]"),
    ],
)
def test_bad_solve_arguments_are_refused(kwargs, match):
    args = {"gamma": 0.9, **kwargs}
    with pytest.raises(ValueError, match=match):
        solve_grid(GridMDP.from_layout(get_layout("lecture")), **args)


def test_solve_grid_refuses_what_is_not_a_grid():
    with pytest.raises(ValueError, match="solve_grid needs a GridMDP"):
        solve_grid(_general("lecture", 0.0), 0.9)


def test_planners_package_exports_the_grid_backend():
    assert planners.solve_grid is solve_grid and planners.GridMDP is GridMDP
    assert planners.grid_description is grid_description
    assert planners.span_value_iteration is planners.span.span_value_iteration
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "solve_grid" in planners.__all__


def test_one_terminal_reward_for_all_equals_the_dense_array():
    lay = get_layout("maze:11x15:3")
    dense = GridMDP(lay.wall, lay.terminal, np.where(lay.terminal, 1.0, 0.0), -0.04, 0.2, lay.shape)
    one = GridMDP(lay.wall, lay.terminal, 1.0, -0.04, 0.2, lay.shape)
    assert np.array_equal(one.terminal_reward, dense.terminal_reward)
    assert np.array_equal(one.terminal_reward, lay.terminal_reward.reshape(-1))
    assert np.array_equal(solve_grid(one, 0.95).values, solve_grid(dense, 0.95).values)
