"""Where learners asks ``planners`` for the truth: one home for the exact solve and the optimal set.

* :func:`plan` -- the exact optimum: ``planners.solve``.
* :func:`optimal_actions` -- ``planners.greedy_mask(Q*, atol=slack)``: ``Q*(s, a) >= max_b Q*(s, b)
  - (TIE_RTOL max(1, |max_b Q*(s, b)|) + slack)`` with planners' one tie tolerance, the slack covering the
  solve's error: for ``gamma < 1`` a stop at sup-norm change ``tol`` leaves
  ``|V - V*| <= tol gamma / (1 - gamma)``, hence Q-values within twice that (plus rounding).
* :func:`plan_q` -- the Python path's re-plan of an estimated model (certainty equivalence,
  R-max) as a :class:`planners.TabularMDP` with one extra terminal "sink" state: a pair below the
  visit threshold moves there with a reward equal to its current value (``q_init`` or
  ``rmax / (1 - gamma)``), so its Q-value is exactly that; R-max's behaviour values add the bonus
  ``beta w(s, a)`` to the known pairs' rewards (the widths ``w`` of :func:`learners._rules.bonus_widths`).
* :class:`Truth` -- ``V*``, the optimal sets and exact policy evaluation for the curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import planners

from . import _core as C

#: tolerance of the exact solves (sup-norm change of a value-iteration sweep)
SOLVE_TOL = 1e-10


def plan(mdp: planners.TabularMDP, gamma: float, tol: float = SOLVE_TOL) -> Any:
    """The exact solve of ``mdp`` (a :class:`planners.PlanResult`)."""
    return planners.solve(mdp, gamma, tol=tol)


def slack(gamma: float, tol: float = SOLVE_TOL) -> float:
    """How far below the best Q-value an action may be and still count as optimal."""
    if gamma < 1.0:
        return 2.0 * tol * gamma / (1.0 - gamma)
    return 1e-7


def optimal_actions(q_star: np.ndarray, gamma: float, tol: float = SOLVE_TOL) -> np.ndarray:
    """``(S, A)`` bool: the optimal set of each state from exact Q-values."""
    return planners.greedy_mask(q_star, atol=slack(gamma, tol))


def greedy_sets(q: np.ndarray) -> np.ndarray:
    """``(..., S, A)`` bool: the actions an agent treats as greedy (``planners.greedy_mask``, ties within ``TIE_RTOL``)."""
    q = np.asarray(q, dtype=np.float64)
    return planners.greedy_mask(q.reshape(-1, q.shape[-1])).reshape(q.shape)


def plan_q(
    tab: np.ndarray,
    cnt: np.ndarray,
    term: np.ndarray,
    gamma: float,
    n_min: float,
    tol: float,
    table: int = C.T_Q,
    bonus: float = 0.0,
) -> np.ndarray:
    """Q-values of the estimated MDP of one agent's model, solved by ``planners`` (see the module docstring).

    A known pair's reward is ``rbar(s, a) + bonus * tab[T_BONUS, s, a]`` (R-max's optimistic ``Q2``,
    the widths from :func:`learners._rules.bonus_widths`); an unknown pair keeps its value in ``tab[table]``.
    """
    S, A = tab.shape[1], tab.shape[2]
    n = tab[C.T_N]
    known = n >= n_min
    nz = cnt > 0
    K = max(1, int(nz.sum(axis=2).max()))
    order = np.argsort(~nz, axis=2, kind="stable")[:, :, :K]
    ns = np.full((S + 1, A, K), S, dtype=np.int64)
    pr = np.zeros((S + 1, A, K))
    rw = np.zeros((S + 1, A, K))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.take_along_axis(cnt, order, axis=2) / n[:, :, None]
        rbar = tab[C.T_RSUM] / n + bonus * tab[C.T_BONUS]
    ns[:S][known] = order[known]
    pr[:S][known] = p[known]
    rw[:S][known] = np.repeat(rbar[:, :, None], K, axis=2)[known]
    unknown = ~known
    pr[:S, :, 0][unknown] = 1.0
    rw[:S, :, 0][unknown] = tab[table][unknown]
    pr[S, :, 0] = 1.0
    terminal = np.append(term > 0, True)
    mdp = planners.TabularMDP(ns, pr, rw, terminal)
    res = plan(mdp, gamma, tol=min(tol, SOLVE_TOL))
    return np.asarray(planners.q_values(mdp, res.values, gamma))[:S]


class Truth:
    """The exact answers for one MDP and discount: ``V*``, ``Q*``, optimal sets, policy evaluation.

    Parameters
    ----------
    mdp : planners.TabularMDP
    gamma : float
    start : ndarray (S,)
        The start-state distribution (for the start-state gap and the regret).
    """

    def __init__(self, mdp: planners.TabularMDP, gamma: float, start: np.ndarray) -> None:
        self.mdp = mdp
        self.gamma = gamma
        self.start = np.asarray(start, dtype=float)
        res = plan(mdp, gamma)
        self.v_star = np.asarray(res.values, dtype=float)
        self.q_star = np.asarray(planners.q_values(mdp, self.v_star, gamma))
        self.optimal = optimal_actions(self.q_star, gamma)
        self.live = ~np.asarray(mdp.terminal)
        self.v0_star = float(self.start @ self.v_star)

    def is_optimal(self, q: np.ndarray) -> np.ndarray:
        """``(...)`` bool: every greedy action of every live state of ``q`` (..., S, A) is optimal."""
        bad = greedy_sets(q) & ~self.optimal
        return ~bad[..., self.live, :].any(axis=(-1, -2))

    def optimal_states(self, q: np.ndarray) -> np.ndarray:
        """``(S,)`` bool: live states where every greedy action of ``q`` (S, A) is optimal."""
        return self.live & ~(greedy_sets(q) & ~self.optimal).any(axis=1)

    def gaps(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value gap ``max_s |V* - V^pi|`` and start gap ``d0 . (V* - V^pi)`` of the greedy policies of ``q``.

        ``pi`` takes the lowest-index greedy action; ``V^pi`` is planners' exact policy evaluation.
        Identical policies are evaluated once.  At ``gamma = 1`` a policy that does not reach a
        terminal state from every state has no finite value everywhere: its value gap is ``inf``,
        and its start gap ``inf`` if the start cannot reach a terminal state, else NaN.
        """
        flat = q.reshape(-1, q.shape[-2], q.shape[-1])
        pol = flat.argmax(axis=-1)
        uniq, inv = np.unique(pol, axis=0, return_inverse=True)
        gap = np.empty(len(uniq))
        sgap = np.empty(len(uniq))
        for i, p in enumerate(uniq):
            if self.gamma >= 1.0:
                reach = self._reaches_terminal(p)
                if not reach.all():
                    gap[i] = np.inf
                    sgap[i] = np.inf if (self.start[~reach] > 0).any() else np.nan
                    continue
            v = planners.policy_evaluation(self.mdp, p, self.gamma)
            d = self.v_star - v
            gap[i] = np.abs(d).max()
            sgap[i] = float(self.start @ d)
        inv = np.asarray(inv).reshape(-1)  # (numpy 2.0 returned it with the input's shape)
        return gap[inv].reshape(q.shape[:-2]), sgap[inv].reshape(q.shape[:-2])

    def _reaches_terminal(self, policy: np.ndarray) -> np.ndarray:
        """``(S,)`` bool: states from which ``policy`` reaches a terminal state with positive probability."""
        S = self.mdp.n_states
        idx = np.arange(S)
        ns = self.mdp.next_state[idx, policy]
        used = self.mdp.prob[idx, policy] > 0
        reach = np.asarray(self.mdp.terminal).copy()
        for _ in range(S):
            new = reach | (used & reach[ns]).any(axis=1)
            if (new == reach).all():
                break
            reach = new
        return reach
