"""Batch planning, living-reward thresholds (against exact linear-algebra crossings) and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from gridworld_env import LectureGridEnv
from planners import (
    ConvergenceWarning,
    TabularMDP,
    batch_plan,
    batch_value_iteration,
    living_reward_thresholds,
    value_iteration,
)
from planners.__main__ import main


def grid(slip: float = 0.0, layout: str = "lecture") -> LectureGridEnv:
    return LectureGridEnv(layout, slip=slip)


def test_batch_plan_equals_one_plan_at_a_time() -> None:
    cs = [-2.0, -0.5, -0.04, -0.01]
    gs = [1.0, 0.9, 0.99, 0.5]
    plan = batch_plan(grid(0.2), cs, gammas=gs, tol=1e-11)
    assert plan.converged.all() and len(plan) == 4
    for i, (c, g) in enumerate(zip(cs, gs)):
        one = value_iteration(TabularMDP.from_env(LectureGridEnv(living_reward=c, slip=0.2)), g, tol=1e-11)
        np.testing.assert_allclose(plan.values[i], one.values, atol=1e-9)
        np.testing.assert_array_equal(plan.policies[i], one.policy)
    assert plan.living_rewards.tolist() == cs and plan.gammas.tolist() == gs


def test_batch_value_iteration_over_discounts_and_rewards() -> None:
    mdp = TabularMDP.from_env(LectureGridEnv(slip=0.2))
    plan = batch_value_iteration(mdp, [0.5, 0.9], tol=1e-12)
    for i, g in enumerate([0.5, 0.9]):
        np.testing.assert_allclose(plan.values[i], value_iteration(mdp, g, tol=1e-12).values, atol=1e-11)
    doubled = batch_value_iteration(mdp, 0.9, rewards=2 * mdp.expected_reward[None], tol=1e-12)
    np.testing.assert_allclose(doubled.values[0], 2 * plan.values[1], atol=1e-10)  # values are linear in rewards
    with pytest.raises(ValueError, match="rewards must have shape"):
        batch_value_iteration(mdp, 0.9, rewards=np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="same length"):
        batch_value_iteration(mdp, [0.9, 0.8, 0.7], rewards=np.zeros((2, 12, 4)))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        batch_plan(grid().model, [0.1, -0.1], gammas=1.0, max_iter=100)


def test_deterministic_lecture_thresholds_by_hand() -> None:
    # (2, 3) walks round (3 steps, 3c + 1) until the -1 exit is better: 3c + 1 = -1 at c = -2/3;
    # at c = -2 the squares two steps from -1 prefer it to the +1 exit (2c + 1 = c - 1 ... = -3).
    res = living_reward_thresholds(grid(0.0), gamma=1.0, lo=-3.0, hi=-0.01)
    np.testing.assert_allclose(res.thresholds, [-2.0, -2.0 / 3.0], atol=1e-12)  # exact, not just to tol
    assert res.policy_at(-0.5)[11] == 2 and res.policy_at(-1.0)[11] == 0


def _exact_crossing(slip: float, policy: np.ndarray, after: float, gamma: float = 1.0) -> float:
    """Smallest living reward above ``after`` where ``policy`` stops being greedy-optimal.

    Independent of the planners: the policy's values are affine in the living reward c, computed
    by dense numpy solves at c = 0 and c = 1 from the model's matrices.
    """
    adv = []
    for c in (0.0, 1.0):
        mdp = TabularMDP.from_env(LectureGridEnv(living_reward=c, slip=slip))
        P, R = mdp.to_dense()
        S = R.shape[0]
        P_pi = P[policy, np.arange(S)] * ~mdp.terminal[:, None]  # terminal: value 0, no successors
        v = np.linalg.solve(np.eye(S) - gamma * P_pi, R[np.arange(S), policy])
        q = R + gamma * np.einsum("ast,t->sa", P, v)
        adv.append(q - v[:, None])
    alpha, beta = adv[0], adv[1] - adv[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = -alpha / beta
    return float(cross[(beta > 1e-12) & (cross > after)].min())


def test_russell_norvig_thresholds_match_exact_crossings() -> None:
    res = living_reward_thresholds(grid(0.2), gamma=1.0, lo=-2.0, hi=0.5, tol=1e-4)
    # published in AIMA (3rd ed., Fig. 17.2): the policy changes at -0.0850 and -0.0221
    for published in (-0.0850, -0.0221):
        assert np.abs(res.thresholds - published).min() < 1e-4
    # every threshold is where the policy on its left stops being optimal
    for i, t in enumerate(res.thresholds):
        pol = res.policies[i]
        if pol is None or t > -1e-3:  # the degenerate point c = 0 (all exits tie) is checked below
            continue
        lo = res.intervals[i][0]
        assert abs(_exact_crossing(0.2, pol, lo + 1e-9) - t) <= 1e-10
        # and the bisection alone (no exact step: a layout too big for dense solves) is within tol/2
    import planners.sweeps as sw

    old = sw.EXACT_MAX_STATES
    sw.EXACT_MAX_STATES = 0
    try:
        coarse = living_reward_thresholds(grid(0.2), gamma=1.0, lo=-2.0, hi=-0.01, tol=1e-4)
    finally:
        sw.EXACT_MAX_STATES = old
    np.testing.assert_allclose(coarse.thresholds, res.thresholds[res.thresholds < -0.01], atol=5e-5)
    # above 0 at gamma = 1 staying forever pays: no finite values, no policy
    assert res.policy_at(0.25) is None and res.policy_at(-0.04) is not None
    assert res.policy_at(-0.04)[8] == 0 and res.policy_at(-0.04)[11] == 2  # AIMA Fig. 17.2(a)
    assert "living reward in" in str(res)


def test_thresholds_bad_arguments() -> None:
    with pytest.raises(ValueError, match="lo < hi"):
        living_reward_thresholds(grid(), lo=0.0, hi=-1.0)
    with pytest.raises(ValueError, match="tol"):
        living_reward_thresholds(grid(), tol=0)
    res = living_reward_thresholds(grid(), lo=-1.0, hi=-0.5)
    with pytest.raises(ValueError, match="outside"):
        res.policy_at(0.0)


def test_cli_prints_values_and_arrows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--layout", "lecture", "--living-reward", "-0.5", "--slip", "0", "--gamma", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "converged" in out[0]
    # values: shortest paths at -0.5 per step; (2, 3) takes the -1 exit... no: 3c + 1 = -0.5 > -1
    assert out[2].split() == ["0.000", "0.500", "1.000", "[+1]"]
    assert out[4].split() == ["-1.000", "-0.500", "0.000", "-0.500"]
    assert out[6:9] == ["→ → → +", "↑ # ↑ -", "↑ → ↑ ←"]


def test_cli_thresholds_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--thresholds", "--lo", "-1", "--hi", "-0.1"]) == 0
    assert "-0.6667" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--gamma", "2"])
    assert exc.value.code == 2 and "gamma must be in [0, 1], got 2.0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--layout", "nowhere"])
    assert "unknown layout 'nowhere'" in capsys.readouterr().err
