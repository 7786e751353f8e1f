"""planners.solve's routes: the grid stencil for grids beyond NumPy's size, the general kernels otherwise."""

import gymnasium as gym
import numpy as np
import pytest

import gridworld_env
import planners
from planners.solvers import _stencil_pays


def _mdp(layout: str, slip: float, living_reward: float = -0.04) -> planners.TabularMDP:
    return planners.TabularMDP.from_env(
        gym.make("LectureGrid-v0", layout=layout, slip=slip, living_reward=living_reward)
    )


@pytest.mark.parametrize("slip", [0.0, 0.2])
@pytest.mark.parametrize("gamma", [0.95, 1.0])
def test_grid_route_meets_the_stopping_guarantee_and_is_proper(slip, gamma):
    mdp = _mdp("open:40x40", slip)
    res = planners.solve(mdp, gamma, tol=1e-9)
    assert res.method.startswith("grid:")
    ref = planners.value_iteration(mdp, gamma, tol=1e-12, method="auto")
    bound = 1e-9 * gamma / (1 - gamma) if gamma < 1 else 1e-6
    assert np.abs(res.values - ref.values).max() <= bound
    # its policy is optimal: each action lies in the reference's tied-optimal set (within the bound)
    assert planners.greedy_mask(ref.q, atol=4 * bound + 1e-12)[np.arange(mdp.n_states), res.policy].all()
    if gamma == 1.0:
        assert res.proper is True and not planners.improper_states(mdp, res.policy).any()
    assert 0 < res.value_error < np.inf or res.value_error == 0.0


def test_small_grids_and_zero_living_reward_at_gamma_one_take_the_general_route():
    assert planners.solve(_mdp("lecture", 0.2), 1.0).method == "value_iteration:jacobi"  # NumPy, no numba
    zero = _mdp("open:40x40", 0.0, living_reward=0.0)
    assert not _stencil_pays(zero.grid and planners.grid_description(zero.grid), 1.0)
    res = planners.solve(zero, 1.0)
    assert not res.method.startswith("grid:") and res.proper is True
    assert planners.solve(zero, 0.9).method.startswith("grid:")


def test_a_gridmdp_without_arrays_is_solved_by_the_stencil():
    lay = gridworld_env.open_grid(30, 30)
    g = planners.GridMDP.from_layout(lay, living_reward=-0.04, slip=0.2)
    res = planners.solve(g, 0.9, tol=1e-10)
    ref = planners.value_iteration(_mdp("open:30x30", 0.2), 0.9, tol=1e-12)
    assert res.method.startswith("grid:")
    assert np.abs(res.values - ref.values).max() <= 1e-10 * 0.9 / 0.1
