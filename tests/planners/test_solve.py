"""solve() and its backend hook, policy iteration's stated bound, the tie rule, duck-typed sources, the CLI."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

import planners
from gridworld_env import LectureGridEnv
from planners import ConvergenceWarning, MDPError, TabularMDP
from planners.__main__ import main


def own_policy_values(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray:
    """V_pi by a sparse direct solve, built from to_dense (independent of the planners' solver)."""
    P, R = mdp.to_dense(sparse=True)
    S = mdp.n_states
    live = ~mdp.terminal
    rows = sparse.vstack([P[policy[s]].getrow(s) for s in range(S)]).tocsr()
    Q = rows[live][:, live]
    v = np.zeros(S)
    v[live] = spsolve((sparse.identity(int(live.sum())) - gamma * Q).tocsc(), R[np.arange(S), policy][live])
    return v


@pytest.mark.parametrize(("gamma", "evaluation"), [(0.95, "auto"), (0.95, "iterative"), (0.95, "exact"), (1.0, "auto")])
def test_policy_iteration_values_meet_their_stated_bound_above_1000_states(gamma: float, evaluation: str) -> None:
    # 11.7: the values are within tol of the exact value of the returned policy (was off by up to 5e-6)
    mdp = TabularMDP.from_env(LectureGridEnv("open:40x40", living_reward=-0.04, slip=0.2))
    assert mdp.n_states > 1000
    tol = 1e-8
    res = planners.policy_iteration(mdp, gamma, tol=tol, evaluation=evaluation)
    assert res.converged
    exact = own_policy_values(mdp, res.policy, gamma)
    assert np.abs(res.values - exact).max() <= tol
    if evaluation == "auto":  # and its values are the optimal ones
        ref = planners.value_iteration(mdp, gamma, tol=1e-12, method="auto").values
        assert np.abs(res.values - ref).max() < 1e-7


def test_policy_evaluation_bound_holds_on_a_large_slow_chain() -> None:
    # gamma close to 1: stopping at "change < tol" would leave an error of ~ tol / (1 - gamma)
    mdp = TabularMDP.from_env(LectureGridEnv("open:40x40", living_reward=-1.0, slip=0.2))
    pol = np.zeros(mdp.n_states, dtype=np.int64)  # always up
    for method in ("iterative", "exact", "auto"):
        v = planners.policy_evaluation(mdp, pol, 0.999, method=method, tol=1e-6)
        assert np.abs(v - own_policy_values(mdp, pol, 0.999)).max() <= 1e-6, method


def test_solve_picks_the_route_and_keeps_the_guarantee() -> None:
    small = TabularMDP.from_env(LectureGridEnv(slip=0.2))
    assert planners.solve(small, 0.9).method == "value_iteration:jacobi"
    for slip in (0.0, 0.2):
        grid = TabularMDP.from_env(LectureGridEnv("open:40x40", slip=slip))  # carries its grid description
        plain = TabularMDP(grid.next_state, grid.prob, grid.reward, grid.terminal)  # the same arrays, no grid
        gamma, tol = 0.9, 1e-6
        exact = planners.policy_iteration(plain, gamma, tol=1e-12).values
        for big, route in ((plain, "value_iteration:auto"), (grid, "grid:")):
            res = planners.solve(big, gamma, tol=tol)
            assert res.method.startswith(route) and res.converged
            assert np.abs(res.values - exact).max() <= gamma / (1 - gamma) * tol
            assert res.value_error <= gamma / (1 - gamma) * tol
    with pytest.raises(ValueError, match="gamma"):
        planners.solve(small, 1.5)
    with pytest.raises(ValueError, match="max_iter"):
        planners.solve(small, 0.9, max_iter=0)


def test_backends_are_tried_first_and_may_decline() -> None:
    from planners import solvers

    seen = []

    def declines(mdp, gamma, tol, max_iter):
        seen.append("declines")
        return None

    def grid_backend(mdp, gamma, tol, max_iter):
        if getattr(mdp, "grid", None) is None:
            return None
        res = planners.value_iteration(mdp, gamma, tol=tol, max_iter=max_iter, method="gauss-seidel")
        seen.append(mdp.grid.shape)
        return res

    before = list(solvers._BACKENDS)
    try:
        planners.register_backend(declines)
        planners.register_backend(grid_backend)
        planners.register_backend(grid_backend)  # once only
        res = planners.solve(gym.make("gridworld_env:LectureGrid-v0"), 1.0)
        assert res.method == "value_iteration:gauss-seidel" and seen == [(3, 4)]
        lake = planners.solve(gym.make("FrozenLake-v1"), 1.0)  # no grid: both decline
        assert lake.method == "value_iteration:jacobi" and seen == [(3, 4), "declines"]
        with pytest.raises(ValueError, match="callable"):
            planners.register_backend(42)  # type: ignore[arg-type]
    finally:
        solvers._BACKENDS[:] = before


def test_one_tie_tolerance_and_the_result_mask() -> None:
    q = np.array([[1.0, 1.0 - 1e-13, 1.0 - 1e-6, 0.0]])
    assert planners.greedy_mask(q).tolist() == [[True, True, False, False]]
    assert planners.greedy_mask(q, atol=1e-5).tolist() == [[True, True, True, False]]
    assert planners.greedy_policy(q[:, ::-1]).tolist() == [2]  # lowest tied index
    assert planners.TIE_RTOL == 1e-12
    with pytest.raises(ValueError, match="atol"):
        planners.greedy_mask(q, atol=-1.0)
    with pytest.raises(ValueError, match="atol"):
        planners.greedy_mask(q, atol=True)
    mdp = TabularMDP.from_env(LectureGridEnv(slip=0.2))
    res = planners.value_iteration(mdp, 0.9, tol=1e-3)
    assert res.value_error == pytest.approx(9 * res.residuals[-1])
    np.testing.assert_array_equal(res.greedy_mask(), planners.greedy_mask(res.q, 2 * 0.9 * res.value_error))
    # the mask holds every truly optimal action (exact Q* from policy iteration)
    exact = planners.policy_iteration(mdp, 0.9, tol=1e-12)
    assert (res.greedy_mask() >= planners.greedy_mask(exact.q)).all()
    assert res.optimal_actions is res.greedy_mask()


def test_from_env_takes_a_model_and_keeps_its_grid() -> None:
    env = gym.make("gridworld_env:LectureGrid-v0", slip=0.2)
    model = env.unwrapped.model
    mdp = TabularMDP.from_env(model)
    assert mdp.next_state is model.next_state and mdp.grid is model
    assert TabularMDP.from_env(env).grid is model
    assert TabularMDP.from_env(gym.make("FrozenLake-v1")).grid is None
    res = planners.solve(model, 1.0)  # planners take a model wherever they take an env
    assert res.converged and planners.PlannerAgent(model, gamma=1.0).act(8) in range(4)
    with pytest.raises(MDPError, match="neither"):
        TabularMDP.from_env(object())


def test_sweeps_take_envs_or_models_not_layout_names() -> None:
    env = LectureGridEnv(slip=0.2)
    by_env = planners.batch_plan(env, [-0.04, -0.5])
    by_model = planners.batch_plan(env.model, [-0.04, -0.5])
    np.testing.assert_array_equal(by_env.values, by_model.values)
    with pytest.raises(MDPError, match=r"gymnasium.make\('gridworld_env:LectureGrid-v0', layout='lecture'"):
        planners.batch_plan("lecture", [-0.04])
    with pytest.raises(MDPError, match="living_reward_parts"):
        planners.living_reward_thresholds(gym.make("FrozenLake-v1"))
    with pytest.raises(ValueError, match="wider than 1000"):
        planners.living_reward_thresholds(env, lo=-1e6, hi=1e6)
    with pytest.raises(ValueError, match=r"living_rewards\[1\] must be a finite number, got True"):
        planners.batch_plan(env, [-0.04, True])


def test_policy_iteration_at_gamma_1_says_why_a_positive_cycle_cannot_converge() -> None:
    mdp = TabularMDP.from_env(LectureGridEnv(living_reward=0.1, slip=0.2))
    with pytest.warns(ConvergenceWarning, match="positive rewards.*raising max_iter cannot help") as rec:
        res = planners.policy_iteration(mdp, 1.0)
    assert not res.converged and res.iterations <= 3
    assert not any("raise max_iter" in str(w.message) for w in rec)
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):  # at gamma < 1 it does help
        planners.policy_iteration(TabularMDP.from_env(LectureGridEnv(slip=0.2)), 0.99, max_iter=1)


def _cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2
    return err[-1]


def test_cli_bounds_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--digits: must be in 0..15, got -1" in _cli_error(capsys, ["--digits", "-1"])
    assert "wider than 1000" in _cli_error(capsys, ["--thresholds", "--lo=-1e6", "--hi=1e6"])
    assert "expected a finite number, got 'nan'" in _cli_error(capsys, ["--living-reward", "nan"])
    assert "tol must be a positive finite number, got 0.0" in _cli_error(capsys, ["--tol", "0"])
    assert "cannot make env 'NoSuchEnv-v0'" in _cli_error(capsys, ["--env", "NoSuchEnv-v0"])
    assert "living_reward_parts" in _cli_error(capsys, ["--env", "FrozenLake-v1", "--thresholds"])
    assert "expected KEY=VALUE" in _cli_error(capsys, ["--env-arg", "oops"])


def test_cli_plans_any_discrete_env(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "FrozenLake-v1", "--env-arg", "is_slippery=False", "--gamma", "1", "--digits", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FrozenLake-v1: gamma 1 -- value_iteration:jacobi") and "converged" in out[0]
    assert out[2].split() == ["1.0", "1.0", "1.0", "1.0"] and out[3].split()[1] == "H"
    policy = out[7:11]  # FrozenLake's own action indices (0 left, 1 down, 2 right, 3 up), not our arrows
    assert policy[3].endswith("G") and all(len(row.split()) == 4 for row in policy)
    assert set("".join(policy).replace(" ", "")) <= set("0123HG")
    assert main(["--env", "Taxi-v4", "--gamma", "0.9", "--planner", "policy_iteration"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Taxi-v4: gamma 0.9 -- policy_iteration") and lines[2].startswith("0: ")
    assert len([ln for ln in lines if ": " in ln]) == 1 + 2 * 500  # header, values and actions listed
    # the LectureGrid default keeps the familiar flags
    assert main(["--layout", "cliff", "--slip", "0.1", "--planner", "value_iteration"]) == 0
    assert capsys.readouterr().out.startswith("cliff: living reward -0.04, slip 0.1, gamma 1 -- value_iteration")


def test_ill_conditioned_policy_keeps_the_direct_solve() -> None:
    # a random policy on a slippery grid takes ~1e5 expected steps: float64 cannot reach tol=1e-10
    # absolutely, so the refined direct solve is kept (relative floor 1e-9), never a worse iteration
    mdp = TabularMDP.from_env(LectureGridEnv("open:30x30", slip=0.2))
    pol = np.random.default_rng(0).integers(0, 4, mdp.n_states)
    assert not planners.improper_states(mdp, pol).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = planners.policy_evaluation(mdp, pol, 1.0)
    exact = own_policy_values(mdp, pol, 1.0)
    assert np.abs(v - exact).max() <= 1e-9 * np.abs(exact).max()
