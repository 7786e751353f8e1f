r"""Exact tabular planning: value iteration, policy iteration, modified policy iteration, and :func:`solve`.

The math
--------
For a :class:`~planners.mdp.TabularMDP` with outcomes ``(p, s', r)`` per state-action pair
and a discount ``0 <= gamma <= 1``, the Bellman optimality operator is

.. math::  (T V)(s) = \max_a Q_V(s, a), \qquad
           Q_V(s, a) = \sum_k p_k \, (r_k + \gamma V(s'_k)),

with ``V(s) = 0`` at terminal states (the episode ends on entering one).  For a fixed policy
``pi``, ``T_pi V(s) = Q_V(s, pi(s))``; ``V_pi`` is its fixed point, the solution of the linear
system ``(I - gamma P_pi) V = r_pi``.  The optimal values ``V*`` are the fixed point of ``T``.

* **Value iteration** repeats ``V <- T V`` (Jacobi: all states from the old values) or updates
  states in place (Gauss-Seidel: later states see the new values of earlier ones).  It is kept
  as the textbook algorithm, one sweep of ``T`` per iteration, so that iteration counts,
  residual curves and animations (:func:`value_iteration_sweeps`) mean what the lecture says.
* **Policy iteration** alternates evaluation of ``pi`` and greedy improvement, until stable.
* **Modified policy iteration** replaces the evaluation by ``k`` sweeps of ``T_pi``.
* :func:`solve` is the fastest exact route for the MDP at hand (below).

Stopping rule and guarantee.  Value iteration stops at the first sweep whose sup-norm change
``||V_{n+1} - V_n||_inf`` is below ``tol``.  For ``gamma < 1``, ``T`` (and a Gauss-Seidel
sweep in any order) is a ``gamma``-contraction in the sup norm, so then

.. math:: ||V_{n+1} - V^*||_\infty \le \frac{\gamma}{1-\gamma}\,\mathrm{tol}, \qquad
          ||V_{\pi} - V^*||_\infty \le \frac{2\gamma}{1-\gamma}\,\mathrm{tol}

for the greedy policy ``pi`` of ``V_{n+1}`` (Williams & Baird 1993; Puterman 1994, Thm 6.3.1).
Modified policy iteration and :func:`solve` use the same test on a Bellman sweep, so the same
bound holds for them.

``gamma = 1`` (episodic problems).  ``T`` is then no contraction; value iteration still
converges when every policy reaches a terminal state with probability 1 or the improper
ones collect ``-inf`` (e.g. a negative living reward: stochastic shortest paths, Bertsekas &
Tsitsiklis 1991), but the bound above is void.  Where it does not converge -- an improper
policy with non-negative rewards, a cycle of positive rewards -- the planners stop at
``max_iter`` with ``converged=False`` and a :class:`ConvergenceWarning` that says why
(policy iteration spots the positive-reward cycle of the policy it improved into and stops at
once).  With zero-reward cycles ``T`` has many fixed points; the planners return the one value
iteration from zeros converges to, ``V*(s) = sup_pi`` of the expected total reward, in which
a state that can collect 0 forever (``Z``, the greatest set where some action has only
zero-reward outcomes, all into ``Z``) is worth at least 0: ``method="auto"`` seeds its
label-correcting pass with 0 there, and policy iteration switches such states to staying when
their value is negative (the look-ahead cannot see that gain: staying is worth ``0 + V(s)``).

Proper policies at ``gamma = 1``.  Zero-reward cycles let an action that never ends the
episode tie with the optimal ones (deterministic FrozenLake: bumping into the border keeps
the value 1 forever).  So, at ``gamma = 1`` only, every planner returns, among the optimal
actions ``M(s) = {a : Q(s, a) >= max_b Q(s, b) - eps(s)}`` (``eps``: the tie tolerance plus
the values' error, :meth:`PlanResult.greedy_mask`), one that reaches a terminal with
probability 1: the lowest tied index where that policy is proper (decided exactly by an
absorption analysis of its Markov chain), else an action of ``M`` that moves strictly closer
(in breadth-first layers of the optimal-action subgraph) to the states already proper,
never leaving the set ``W`` from which a proper policy inside ``M`` exists (de Alfaro's
almost-sure reachability).  The values are not changed.  States outside ``W`` have no proper
optimal policy (their optimum is a zero- or positive-reward cycle): ``PlanResult.proper`` is
then False and an :class:`ImproperPolicyWarning` names them.  Details: :mod:`planners._proper`.

Policy evaluation at ``gamma = 1``.  A policy that does not terminate from ``s`` has no finite
value in general: :func:`policy_evaluation` returns ``-inf`` there when every state the chain
can be trapped in (from which no terminal is reachable) pays a negative expected reward,
``+inf`` when every one pays a positive one, the finite values of the zero-reward cycles when
they all pay 0, and NaN (with a warning) for a mixture.  :func:`improper_states` gives the mask.

Policy iteration's values.  Each policy is evaluated by a direct solve of
``(I - gamma P_pi) V = r_pi`` (dense up to ``EXACT_MAX_STATES`` states, sparse LU above), with
the a-posteriori bound ``||V - V_pi||_inf <= ||(I - gamma P_pi) V - r_pi||_inf * ||(I - gamma
P_pi)^{-1}||_inf``, where the norm of the inverse (a non-negative matrix) is the largest entry
of ``(I - gamma P_pi)^{-1} 1``, from the same factorisation (at ``gamma = 1``: the expected
number of steps to termination).  Iterative refinement runs until the bound is below
``tol``: **the returned values are within ``max(tol, 1e-9 ||V||_inf)`` of the exact value of
the returned policy** (the relative floor only where float64 cannot do better, for policies
taking ~1e5 expected steps; past it a :class:`ConvergenceWarning` states the bound reached).
With ``evaluation="iterative"`` the sweeps stop when ``gamma / (1 - gamma)`` times the change
is below ``tol`` (the same guarantee, ``gamma < 1`` only; at ``gamma = 1`` no bound).

:func:`solve`.  A deterministic MDP is a longest-path problem: a label-correcting pass
(Bellman-Ford-Moore, a FIFO queue from the terminals outward) solves it in ``O(S A)`` on
grids and one Bellman sweep verifies it; with stochastic outcomes the same pass gives a
terminals-outward order, and in-place sweeps in that order, from below ``V*``, carry new
values across the whole MDP in one sweep (``value_iteration(method="auto")``).  MDPs of at
most ``SMALL_OUTCOMES`` outcome slots run Jacobi sweeps in NumPy instead (loading numba costs
more than they take).  Backends registered with :func:`register_backend` (e.g. a grid-stencil
solver for MDPs carrying a ``grid`` description) are tried first.

Greedy policies and ties.  ``policy[s] = argmax_a Q(s, a)``, where actions whose Q-value is
within ``TIE_RTOL * max(1, |max_a Q(s, a)|)`` of the best count as tied and the **lowest action
index** wins (subject to the proper-policy rule at ``gamma = 1``): the result is deterministic
and does not depend on rounding in the last bit.  Terminal states have value 0, Q-values 0
and action 0.

Russell & Norvig's 4x3 world (slip 0.2, living reward -0.04, ``gamma = 1``; AIMA Fig. 17.3),
utilities as published.  The book counts the reward of the square the agent is *in*,
``U(s) = R(s) + V(s)`` with ``R(s) = -0.04``, and gives each exit its own reward:

>>> import numpy as np, gymnasium as gym
>>> from planners import TabularMDP, solve
>>> env = gym.make("gridworld_env:LectureGrid-v0", living_reward=-0.04, slip=0.2)
>>> res = solve(TabularMDP.from_env(env), gamma=1.0, tol=1e-10)
>>> u = res.values - 0.04
>>> u[[3, 5, 7]] = 1.0, np.nan, -1.0     # the exits, and the wall (no utility)
>>> print(u.reshape(3, 4).round(3))
[[ 0.812  0.868  0.918  1.   ]
 [ 0.762    nan  0.66  -1.   ]
 [ 0.705  0.655  0.611  0.388]]
>>> res.converged, res.proper, "".join("^v<>"[a] for a in res.policy[[0, 1, 2, 4, 6, 8, 9, 10, 11]])
(True, True, '>>>^^^<<<')
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import _proper
from ._checks import check_gamma, check_int, check_policy, check_tol, check_values
from ._results import (
    SMALL_OUTCOMES,
    TIE_RTOL,
    ConvergenceWarning,
    ImproperPolicyWarning,
    PlanResult,
    as_mdp,
    finish,
    greedy_mask,
    greedy_policy,
    improper,
    kernels,
    np_q,
    q_and_policy,
    small,
    vi_error,
    warn_not_converged,
)
from .mdp import TabularMDP

__all__ = [
    "SOLVERS",
    "TIE_RTOL",
    "ConvergenceWarning",
    "ImproperPolicyWarning",
    "PlanResult",
    "fast_value_iteration",
    "gauss_seidel_value_iteration",
    "greedy_mask",
    "greedy_policy",
    "improper_states",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "register_backend",
    "solve",
    "value_iteration",
    "value_iteration_sweeps",
]

#: Jacobi sweeps run multi-threaded from this many states on, given at least PARALLEL_MIN_THREADS
#: numba threads (below either, waking threads costs more than it saves: on a busy 2-core machine a
#: parallel region can wait a scheduler time slice for its second thread)
PARALLEL_MIN_STATES = 200_000
PARALLEL_MIN_THREADS = 4
_PARALLEL_BLOCK = 8192
#: method="auto" relabels states in sweep order (one gather) from this many states on
RELABEL_MIN_STATES = 20_000
#: policy evaluation solves the linear system densely up to this many states (sparse LU above)
EXACT_MAX_STATES = 1000
_EMPTY = np.empty(0, dtype=np.int64)


# --------------------------------------------------------------------------- basics
def _arrays(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal


def _default_max_iter(rsa: np.ndarray, gamma: float, tol: float, v0: np.ndarray | None) -> int:
    """Sweeps after which a gamma-contraction is guaranteed below ``tol`` (10_000 when gamma == 1).

    ``||V_{n+1} - V_n|| <= gamma^n ||V_1 - V_0||``, and the first change is at most ``max |r|``
    from zeros, ``2 max |r|`` from the lower bound of ``method="auto"``, plus
    ``(1 + gamma) max |v0|`` from ``v0`` (``rsa``: expected rewards, terminal rows included,
    which only enlarges the bound).
    """
    if gamma >= 1.0:
        return 10_000
    rmax = 2.0 * float(np.abs(rsa).max())
    if v0 is not None and v0.size:
        rmax += (1.0 + gamma) * float(np.abs(v0).max())
    if rmax <= tol or gamma == 0.0:
        return 10
    return int(math.ceil(math.log(tol / rmax) / math.log(gamma))) + 10


def q_values(mdp: TabularMDP, values: Any, gamma: float) -> np.ndarray:
    """One-step look-ahead ``Q(s, a) = sum_k p_k (r_k + gamma V(s'_k))`` (0 at terminal states).

    Parameters
    ----------
    mdp : TabularMDP
    values : array_like (S,)
        State values ``V``.
    gamma : float in [0, 1]

    Returns
    -------
    ndarray (S, A) float64
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    v = check_values(values, mdp.n_states, "values")
    return q_and_policy(mdp, gamma, v)[0]


def improper_states(mdp: TabularMDP, policy: Any) -> np.ndarray:
    """``(S,)`` bool: the live states from which ``policy`` does not reach a terminal with probability 1.

    Exact absorption analysis of the policy's Markov chain (see :mod:`planners._proper`):
    in a finite chain a state is absorbed almost surely exactly when every state it can reach
    can itself reach a terminal.  ``O(S K)``.
    """
    mdp = as_mdp(mdp)
    return improper(mdp, check_policy(policy, mdp.n_states, mdp.n_actions))


# --------------------------------------------------------------------------- value iteration
_VI_METHODS = ("jacobi", "gauss-seidel", "auto")


def _np_jacobi_sweep(mdp: TabularMDP, gamma: float, v_in: np.ndarray, v_out: np.ndarray) -> float:
    v_out[:] = np_q(mdp, gamma, v_in).max(axis=1)
    return float(np.abs(v_out - v_in).max())


class _PyGaussSeidel:
    """In-place sweeps of a small MDP in plain Python: the general loop of ``bellman_sweep``, op for op.

    Small MDPs must not pay numba's load time (the cause of gauss-seidel's seconds on
    FrozenLake 4x4 while Jacobi took milliseconds in NumPy); Python floats are IEEE doubles,
    and the operations and their order are the kernel's, so the values are bit-identical.
    """

    def __init__(self, mdp: TabularMDP) -> None:
        ns, pr, rsa, term = _arrays(mdp)
        self.rows: list[Any] = []
        for s in range(mdp.n_states):
            if term[s]:
                self.rows.append(None)
                continue
            acts = []
            for a in range(mdp.n_actions):
                acts.append((float(rsa[s, a]), list(zip(pr[s, a].tolist(), ns[s, a].tolist()))))
            self.rows.append(acts)

    def __call__(self, gamma: float, v_in: np.ndarray, v_out: np.ndarray, order: np.ndarray) -> float:
        v = v_in.tolist()
        res = 0.0
        for s, acts in enumerate(self.rows):
            if acts is None:
                v[s] = 0.0
                continue
            best = -math.inf
            for r, outs in acts:
                acc = 0.0
                for p, n in outs:
                    acc += p * v[n]
                best = max(best, r + gamma * acc)
            res = max(res, abs(best - v[s]))
            v[s] = best
        v_out[:] = v
        return res


def _sweep_fn(mdp: TabularMDP, method: str) -> Callable[[float, np.ndarray, np.ndarray, np.ndarray], float]:
    ns, pr, rsa, term = _arrays(mdp)
    if small(mdp):
        if method == "jacobi":
            return lambda g, vi, vo, order: _np_jacobi_sweep(mdp, g, vi, vo)
        return _PyGaussSeidel(mdp)
    if method == "jacobi" and mdp.n_states >= PARALLEL_MIN_STATES:
        import numba

        if numba.get_num_threads() >= PARALLEL_MIN_THREADS:
            return lambda g, vi, vo, order: kernels.bellman_sweep_parallel(
                ns, pr, rsa, term, g, vi, vo, _PARALLEL_BLOCK
            )
    return lambda g, vi, vo, order: kernels.bellman_sweep(ns, pr, rsa, term, g, vi, vo, order)


def _start_values(mdp: TabularMDP, v0: Any) -> np.ndarray:
    v = np.zeros(mdp.n_states) if v0 is None else check_values(v0, mdp.n_states)
    v[mdp.terminal] = 0.0
    return v


def value_iteration(
    mdp: TabularMDP,
    gamma: float,
    tol: float = 1e-8,
    max_iter: int | None = None,
    method: str = "jacobi",
    v0: Any = None,
) -> PlanResult:
    """Value iteration: repeat Bellman sweeps until the values change by less than ``tol``.

    The textbook algorithm, one sweep of the Bellman operator per iteration (see the module
    docstring); :func:`solve` is the faster route to the same answer with the same guarantee.

    Parameters
    ----------
    mdp : TabularMDP (or a Gymnasium env or model, converted with :meth:`TabularMDP.from_env`)
    gamma : float in [0, 1]
        Discount factor (1 for episodic problems whose policies end; see the module docstring).
    tol : float
        Stop when the sup-norm change of a sweep is below ``tol``; for ``gamma < 1`` the values
        are then within ``tol * gamma / (1 - gamma)`` of the optimal ones.
    max_iter : int, optional
        Most sweeps; default: the number after which a ``gamma``-contraction is guaranteed to
        meet ``tol`` (10 000 when ``gamma == 1``).  Stopping there warns.
    method : {"jacobi", "gauss-seidel", "auto"}
        ``"jacobi"``: synchronous sweeps (multi-threaded on large MDPs).
        ``"gauss-seidel"``: in-place sweeps in state order.
        ``"auto"``: a label-correcting pass propagates values outward from the terminal
        states along each action's most likely outcome: for a deterministic MDP these are the
        exact values (one sweep verifies them); otherwise in-place sweeps follow, in that
        terminals-outward order, from a lower bound, on a copy relabelled in that order when
        the MDP is large.  Same stopping rule and guarantee; ``iterations`` counts the sweeps.
    v0 : array_like (S,), optional
        Initial values (default zeros; ``"auto"`` picks its own start unless given one).

    Returns
    -------
    PlanResult
        ``iterations`` sweeps, ``residuals[i]`` the change of sweep ``i``; at ``gamma = 1`` a
        proper policy among the optimal actions (``proper`` says whether one exists).
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    if method not in _VI_METHODS:
        raise ValueError(f"method must be one of {_VI_METHODS}, got {method!r}")
    t0 = time.perf_counter()
    v = _start_values(mdp, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, None if v0 is None else v)
    max_iter = check_int(max_iter, "max_iter", 1)
    if method == "auto":
        return _value_iteration_auto(mdp, gamma, tol, max_iter, v, v0 is not None, t0)
    sweep = _sweep_fn(mdp, method)
    residuals = np.empty(max_iter)
    w = np.empty_like(v) if method == "jacobi" else v
    n, res = 0, math.inf
    while n < max_iter:
        res = sweep(gamma, v, w, _EMPTY)
        v, w = w, v
        residuals[n] = res
        n += 1
        if res < tol:
            break
    return _vi_result(mdp, gamma, tol, v, n, res, residuals[:n], t0, f"value_iteration:{method}")


def _vi_result(
    mdp: TabularMDP,
    gamma: float,
    tol: float,
    v: np.ndarray,
    n: int,
    res: float,
    residuals: np.ndarray,
    t0: float,
    method: str,
) -> PlanResult:
    converged = res < tol
    if not converged:
        warn_not_converged(method, n, res, tol, gamma, stacklevel=4)
    err = vi_error(gamma, residuals) if converged else math.inf
    return finish(mdp, gamma, v, n, converged, residuals, t0, method, err, stacklevel=5)


def _lower_bound(mdp: TabularMDP, gamma: float) -> np.ndarray:
    """``min(0, min r) / (1 - gamma)`` on live states, 0 on terminals: ``T L >= L`` (gamma < 1)."""
    low = min(0.0, float(mdp.expected_reward.min())) / (1.0 - gamma)
    return np.where(mdp.terminal, 0.0, low)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # kernels see read-only model arrays only: one compiled version
    return a


def _zero_forever(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray]:
    """``(S,)`` bool: live states that can collect reward 0 forever (a greatest fixed point), and such an action.

    ``Z = {s live : some action has only zero-reward outcomes, all into Z}``.  At ``gamma = 1``
    such states are worth at least 0 (value iteration from zeros finds that), a value no
    terminating path needs to beat, so ``method="auto"`` seeds them with 0.
    """
    ns, pr = mdp.next_state, mdp.prob
    used = pr > 0
    zero_sa = ~mdp.terminal[:, None] & ((mdp.reward == 0.0) | ~used).all(axis=2)
    inside = zero_sa.any(axis=1)
    ok = zero_sa
    while inside.any():
        ok = zero_sa & (~used | inside[ns]).all(axis=2) & inside[:, None]
        new = ok.any(axis=1)
        if (new == inside).all():
            break
        inside = new
    return inside, np.argmax(ok, axis=1)


def _auto_start(mdp: TabularMDP, gamma: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """method="auto"'s start: ``(values, order, solved)``, ``solved`` when the values are exact."""
    ns, pr, rsa, term = _arrays(mdp)
    S = mdp.n_states
    lc = np.empty(S)
    order = np.empty(S, dtype=np.int64)
    zero = _zero_forever(mdp)[0] if gamma >= 1.0 else np.zeros(S, dtype=np.bool_)
    n_ordered, finished = kernels.label_correcting(ns, pr, rsa, term, zero, gamma, lc, order, 16 * S + 1024)
    if n_ordered < S:  # states no terminal is reached from: after the others, in index order
        rest = np.ones(S, dtype=bool)
        rest[order[:n_ordered]] = False
        order[n_ordered:] = np.flatnonzero(rest)
    deterministic = mdp.is_deterministic
    reached = np.isfinite(lc)
    if gamma < 1.0 and not (deterministic and reached.all()):
        v = _lower_bound(mdp, gamma)
        if deterministic:
            v = np.where(reached, lc, v)
    else:
        v = np.where(reached, lc, 0.0)
    return v, order, deterministic and finished and n_ordered == S


def _value_iteration_auto(
    mdp: TabularMDP, gamma: float, tol: float, max_iter: int, v: np.ndarray, user_v0: bool, t0: float
) -> PlanResult:
    """Label-correcting values (exact for deterministic MDPs), then in-place sweeps in their order.

    The order lists states from the terminals outward, so one sweep carries new values all
    the way back.  Large MDPs are relabelled in that order first (one gather of the arrays),
    so the sweeps stream through memory instead of jumping.  Without ``v0`` the sweeps start
    from a lower bound (the label-correcting path returns for deterministic MDPs, else
    ``min(0, min r) / (1 - gamma)``): values then rise monotonically and the greedy look-ahead
    always prefers the fresh values of the states already swept.
    """
    ns, pr, rsa, term = _arrays(mdp)
    S = mdp.n_states
    lc_v, order, solved = _auto_start(mdp, gamma)
    if not user_v0:
        v = lc_v
    residuals = np.empty(max_iter)
    n, res = 0, math.inf
    if solved and not user_v0:
        # the label-correcting values solve the Bellman equation: one sweep (in memory order) verifies
        res = kernels.bellman_sweep(ns, pr, rsa, term, gamma, v, v, _EMPTY)
        residuals[0] = res
        n = 1
    if n < max_iter and not res < tol:
        if S >= RELABEL_MIN_STATES:
            inv = np.empty(S, dtype=np.int64)
            inv[order] = np.arange(S)
            pns = _frozen(inv[ns[order]].astype(np.int32))
            ppr, prsa, pterm = _frozen(pr[order]), _frozen(rsa[order]), _frozen(term[order])
            pv = v[order]
            while n < max_iter and not res < tol:
                res = kernels.bellman_sweep(pns, ppr, prsa, pterm, gamma, pv, pv, _EMPTY)
                residuals[n] = res
                n += 1
            v = np.empty(S)
            v[order] = pv
        else:
            while n < max_iter and not res < tol:
                res = kernels.bellman_sweep(ns, pr, rsa, term, gamma, v, v, order)
                residuals[n] = res
                n += 1
    return _vi_result(mdp, gamma, tol, v, n, res, residuals[:n], t0, "value_iteration:auto")


def gauss_seidel_value_iteration(mdp: TabularMDP, gamma: float, **kwargs: Any) -> PlanResult:
    """:func:`value_iteration` with ``method="gauss-seidel"`` (in-place sweeps)."""
    return value_iteration(mdp, gamma, method="gauss-seidel", **kwargs)


def fast_value_iteration(mdp: TabularMDP, gamma: float, **kwargs: Any) -> PlanResult:
    """:func:`value_iteration` with ``method="auto"`` (label-setting start, ordered in-place sweeps)."""
    return value_iteration(mdp, gamma, method="auto", **kwargs)


def value_iteration_sweeps(
    mdp: TabularMDP,
    gamma: float,
    tol: float = 1e-8,
    max_iter: int | None = None,
    method: str = "jacobi",
    v0: Any = None,
) -> Iterator[PlanResult]:
    """Value iteration one sweep at a time, for animations and teaching.

    Yields a :class:`PlanResult` after every sweep (values, greedy policy and Q-values of that
    sweep, ``iterations`` = sweeps so far, ``converged`` True on the last one if ``tol`` was
    met).  Parameters as in :func:`value_iteration` (``method`` "jacobi" or "gauss-seidel").
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    if method not in ("jacobi", "gauss-seidel"):
        raise ValueError(f"method must be 'jacobi' or 'gauss-seidel', got {method!r}")
    v = _start_values(mdp, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, None if v0 is None else v)
    max_iter = check_int(max_iter, "max_iter", 1)
    return _sweeps(mdp, gamma, tol, max_iter, method, v)


def _sweeps(
    mdp: TabularMDP, gamma: float, tol: float, max_iter: int, method: str, v: np.ndarray
) -> Iterator[PlanResult]:
    sweep = _sweep_fn(mdp, method)
    residuals: list[float] = []
    for n in range(1, max_iter + 1):
        t0 = time.perf_counter()
        w = v.copy() if method == "gauss-seidel" else np.empty_like(v)
        res = sweep(gamma, w if method == "gauss-seidel" else v, w, _EMPTY)
        v = w
        residuals.append(res)
        done = res < tol
        if n == max_iter and not done:
            warn_not_converged("value_iteration_sweeps", n, res, tol, gamma, stacklevel=2)
        err = vi_error(gamma, np.asarray(residuals))
        with warnings.catch_warnings():  # intermediate sweeps: their policy is not the answer
            warnings.simplefilter("ignore", ImproperPolicyWarning)
            yield finish(mdp, gamma, v.copy(), n, done, residuals, t0, f"value_iteration:{method}", err)
        if done:
            return


# --------------------------------------------------------------------------- policy evaluation
def _policy_system(mdp: TabularMDP, policy: np.ndarray, gamma: float, sparse: bool) -> tuple[Any, np.ndarray]:
    """``M = I - gamma P_pi`` restricted to live states (terminal rows: identity) and ``b = r_pi``."""
    S, _A, Kk = mdp.shape
    idx = np.arange(S)
    live = ~mdp.terminal
    rows = np.repeat(idx, Kk)
    cols = mdp.next_state[idx, policy].ravel().astype(np.int64)
    vals = -gamma * mdp.prob[idx, policy].ravel()
    keep = live[rows] & live[cols] & (vals != 0.0)  # terminal values are 0: their columns drop out
    rows = np.concatenate([rows[keep], idx])
    cols = np.concatenate([cols[keep], idx])
    vals = np.concatenate([vals[keep], np.ones(S)])
    b = np.where(live, mdp.expected_reward[idx, policy], 0.0)
    if sparse:
        from scipy import sparse as sp

        return sp.csc_matrix((vals, (rows, cols)), shape=(S, S)), b
    M = np.zeros((S, S))
    np.add.at(M, (rows, cols), vals)
    return M, b


#: relative accuracy a direct solve is held to where float64 cannot meet an absolute ``tol``
_REL_FLOOR = 1e-9


def _direct_evaluation(mdp: TabularMDP, policy: np.ndarray, gamma: float, tol: float) -> np.ndarray | None:
    """``V_pi`` by a direct solve, refined until ``||V - V_pi|| <= tol`` is proven; None if singular.

    The bound: ``||V - V_pi|| <= ||M V - b|| * ||M^{-1}||`` with ``||M^{-1}||_inf = max(M^{-1} 1)``
    (``M^{-1} >= 0`` for a proper policy or ``gamma < 1``), from the same factorisation.  When
    float64 cannot reach ``tol`` (a policy taking very many expected steps) the refined solution
    is still the best available (iterating would be worse): it is returned, silently when the
    bound is within ``_REL_FLOOR`` of ``||V||``, else with a :class:`ConvergenceWarning` stating it.
    """
    S = mdp.n_states
    sparse = S > EXACT_MAX_STATES
    M, b = _policy_system(mdp, policy, gamma, sparse)
    try:
        if sparse:
            from scipy.sparse.linalg import splu

            lu = splu(M)
            solve_m: Callable[[np.ndarray], np.ndarray] = lu.solve
        else:
            solve_m = lambda rhs: np.linalg.solve(M, rhs)  # noqa: E731
        both = solve_m(np.stack([b, np.ones(S)], axis=1))
    except (np.linalg.LinAlgError, RuntimeError):  # exactly singular (splu: RuntimeError)
        return None
    v, m = both[:, 0].copy(), both[:, 1]
    if not (np.isfinite(both).all() and m.min() >= 1.0 - 1e-6):
        return None  # (nearly) singular: an improper policy at gamma = 1
    norm_inv = float(m.max())
    bound = math.inf
    for _ in range(4):
        bound = float(np.abs(b - M @ v).max()) * norm_inv
        if bound <= tol:
            break
        v += solve_m(b - M @ v)
    if bound > max(tol, _REL_FLOOR * float(np.abs(v).max())):
        warnings.warn(
            f"policy evaluation: the direct solve's error bound {bound:.3g} exceeds tol={tol:g} (the policy takes "
            f"up to {norm_inv:.3g} expected steps, discounted: float64 cannot do better); the values are the "
            "refined solve's",
            ConvergenceWarning,
            stacklevel=4,
        )
    v[mdp.terminal] = 0.0
    return v


def _iterative_evaluation(
    mdp: TabularMDP, policy: np.ndarray, gamma: float, tol: float, max_iter: int, v: np.ndarray
) -> tuple[np.ndarray, int, float, bool]:
    """In-place sweeps of ``T_pi`` until ``gamma / (1 - gamma) * change <= tol`` (``change < tol`` at gamma 1)."""
    ns, pr, rsa, term = _arrays(mdp)
    stop = tol * (1.0 - gamma) / gamma if 0.0 < gamma < 1.0 else tol
    n, res = 0, math.inf
    while n < max_iter:
        res = kernels.policy_sweep(ns, pr, rsa, term, gamma, policy, v, v, _EMPTY)
        n += 1
        if res < stop:
            break
    return v, n, res, res < stop


_EVAL_METHODS = ("auto", "exact", "iterative")


def _evaluate(
    mdp: TabularMDP, pol: np.ndarray, gamma: float, method: str, tol: float, max_iter: int | None, v: np.ndarray
) -> tuple[np.ndarray, int, float, bool]:
    """``(values, sweeps, last change, ok)``: direct where asked or where it is the guaranteed route."""
    direct = method == "exact" or (method == "auto" and (mdp.n_states <= EXACT_MAX_STATES or gamma >= 1.0))
    if direct:
        exact = _direct_evaluation(mdp, pol, gamma, tol)
        if exact is not None:
            return exact, 1, 0.0, True
    if max_iter is None:
        stop = tol * (1.0 - gamma) / gamma if 0.0 < gamma < 1.0 else tol
        max_iter = _default_max_iter(mdp.expected_reward, gamma, stop, v)
    return _iterative_evaluation(mdp, pol, gamma, tol, check_int(max_iter, "max_iter", 1), v)


def _trapped(mdp: TabularMDP, pol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The states from which ``pol`` reaches no terminal at all, and the expected rewards it collects there."""
    S, A, _K = mdp.shape
    allowed = np.zeros((S, A), dtype=bool)
    allowed[np.arange(S), pol] = True
    allowed[mdp.terminal] = False
    reach, _ = _proper.layered_policy(mdp.next_state, mdp.prob, allowed, mdp.terminal)
    return ~reach, mdp.expected_reward[np.arange(S), pol][~reach]


def _trapped_values(mdp: TabularMDP, pol: np.ndarray, bad: np.ndarray, tol: float) -> np.ndarray:
    """Values at gamma = 1 of a policy improper on ``bad`` (the rule of the module docstring)."""
    trapped, r = _trapped(mdp, pol)
    S = mdp.n_states
    if (r == 0.0).all():  # zero-reward cycles: worth 0, and the rest is a proper problem with them terminal
        sub = TabularMDP(mdp.next_state, mdp.prob, mdp.reward, mdp.terminal | trapped)
        return _evaluate(sub, pol, 1.0, "auto", tol, None, np.zeros(S))[0]
    proper_part = TabularMDP(mdp.next_state, mdp.prob, mdp.reward, mdp.terminal | bad)
    v = _evaluate(proper_part, pol, 1.0, "auto", tol, None, np.zeros(S))[0]
    if (r < 0.0).all() or (r > 0.0).all():
        v[bad] = -math.inf if r[0] < 0 else math.inf
    else:
        v[bad] = math.nan
        warnings.warn(
            "policy_evaluation: at gamma=1 the policy is trapped in cycles paying rewards of both signs: "
            f"the values of {int(bad.sum())} improper state(s) are undefined (NaN)",
            ImproperPolicyWarning,
            stacklevel=3,
        )
    return v


def policy_evaluation(
    mdp: TabularMDP,
    policy: Any,
    gamma: float,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int | None = None,
    v0: Any = None,
) -> np.ndarray:
    """Values ``V_pi`` of a deterministic policy: the solution of ``(I - gamma P_pi) V = r_pi``.

    Parameters
    ----------
    mdp : TabularMDP
    policy : array_like (S,) of int
        The action taken in each state.
    gamma : float in [0, 1]
    method : {"auto", "exact", "iterative"}
        ``"exact"``: direct solve (dense up to ``EXACT_MAX_STATES`` states, sparse LU above),
        refined until the error bound of the module docstring is below ``tol``;
        ``"iterative"``: in-place sweeps of ``T_pi`` until ``gamma / (1 - gamma)`` times the
        change is below ``tol`` (at ``gamma = 1``: the change); ``"auto"``: exact up to
        ``EXACT_MAX_STATES`` states and at ``gamma = 1``, iterative otherwise.  An exact solve
        that fails (singular) falls back to iterating.  Either way
        ``||V - V_pi||_inf <= max(tol, 1e-9 ||V||_inf)`` for ``gamma < 1`` and for direct
        solves (module docstring).
    tol, max_iter, v0
        Error bound, sweep limit and start of the iterative method.

    Returns
    -------
    ndarray (S,) float64
        At ``gamma = 1``, states from which the policy never terminates for sure
        (:func:`improper_states`) get ``-inf`` / ``+inf`` when the cycles they are trapped in
        pay negative / positive rewards, the finite values of zero-reward cycles when those
        pay 0, NaN (and an :class:`ImproperPolicyWarning`) for a mixture.
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    pol = check_policy(policy, mdp.n_states, mdp.n_actions)
    tol = check_tol(tol)
    if method not in _EVAL_METHODS:
        raise ValueError(f"method must be one of {_EVAL_METHODS}, got {method!r}")
    if gamma >= 1.0:
        bad = improper(mdp, pol)
        if bad.any():
            return _trapped_values(mdp, pol, bad, tol)
    v, n, res, ok = _evaluate(mdp, pol, gamma, method, tol, max_iter, _start_values(mdp, v0))
    if not ok:
        warn_not_converged("policy_evaluation", n, res, tol, gamma)
    return v


# --------------------------------------------------------------------------- policy iteration
def _proper_policy(mdp: TabularMDP) -> np.ndarray:
    """A policy reaching a terminal with probability 1 from every state where any policy can.

    The layered policy of :mod:`planners._proper` over all actions, restricted to the
    almost-sure set: each state takes the lowest action that can move it one layer closer to
    a terminal without any risk of entering a state from which no policy terminates.
    ``O(S A K)`` per shrinking round of the almost-sure set.
    """
    ns, pr, term = mdp.next_state, mdp.prob, mdp.terminal
    act = _proper.almost_sure_actions(ns, pr, term, np.ones((mdp.n_states, mdp.n_actions), dtype=bool))
    joined, choice = _proper.layered_policy(ns, pr, act, term)
    if not joined.all():  # no proper policy from these: any action that might still reach a terminal
        live_any = ~term[:, None] & np.ones_like(act)
        _, choice2 = _proper.layered_policy(ns, pr, live_any, joined)
        choice = np.where(joined, choice, choice2)
    choice[term] = 0
    return choice


def _unbounded(mdp: TabularMDP, pol: np.ndarray, it: int) -> bool:
    """At gamma = 1: warn and say True when policy ``it`` is trapped in cycles that do not pay 0."""
    bad = improper(mdp, pol)
    if not bad.any():
        return False
    _trapped_mask, r = _trapped(mdp, pol)
    if (r == 0.0).all():
        return False
    kind = "positive" if (r > 0).all() else "non-zero"
    warnings.warn(
        f"policy_iteration: policy {it} never terminates from {int(bad.sum())} state(s) and collects {kind} "
        "rewards forever there: at gamma=1 it improved into a cycle of positive rewards, whose values are "
        "unbounded, so there is no optimal policy and raising max_iter cannot help. Use gamma < 1 or make the "
        "cycle cost something (e.g. a negative living reward)",
        ConvergenceWarning,
        stacklevel=4,
    )
    return True


def _zero_cycle_switch(mdp: TabularMDP, pol: np.ndarray, v: np.ndarray, margin: np.ndarray) -> bool:
    """At gamma = 1: switch states worth less than 0 that can collect 0 forever to such an action (in place).

    The Bellman look-ahead cannot see this improvement (staying is worth ``0 + V(s) = V(s)``),
    but the policy that stays is worth 0 > V(s).  Returns whether any state switched.
    """
    zero, action = _zero_forever(mdp)
    switch = zero & (v < -margin)
    pol[switch] = action[switch]
    return bool(switch.any())


def _pi_evaluate(
    mdp: TabularMDP, pol: np.ndarray, gamma: float, evaluation: str, tol: float, v: np.ndarray
) -> tuple[np.ndarray, int, float, bool]:
    """One evaluation of policy iteration; at gamma = 1 zero-reward cycles are worth 0 (proper elsewhere)."""
    if gamma >= 1.0:
        bad = improper(mdp, pol)
        if bad.any():
            return _trapped_values(mdp, pol, bad, tol), 1, 0.0, True
    return _evaluate(mdp, pol, gamma, evaluation, tol, None, v)


def _pi_warning(max_iter: int) -> str:
    return (
        f"policy_iteration stopped after {max_iter} improvement steps with the policy still changing: "
        "raise max_iter (each step strictly improves a policy of finite value, so the loop ends)"
    )


def policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    evaluation: str = "auto",
    tol: float = 1e-8,
    max_iter: int = 1000,
    policy0: Any = None,
) -> PlanResult:
    """Policy iteration: evaluate the policy, improve it greedily, until it is stable.

    Parameters
    ----------
    mdp : TabularMDP
    gamma : float in [0, 1]
    evaluation : {"auto", "exact", "iterative"}
        How each policy is evaluated (see :func:`policy_evaluation`).
    tol : float
        Error bound of each evaluation: the returned values are within ``tol`` (sup norm) of
        the exact value of the last evaluated policy (direct solves, and iterative ones for
        ``gamma < 1``; see the module docstring).
    max_iter : int
        Most improvement steps.
    policy0 : array_like (S,), optional
        Initial policy; default: greedy on zero values for ``gamma < 1``, and a proper policy
        (reaching a terminal with probability 1 where possible) for ``gamma == 1``.

    Returns
    -------
    PlanResult
        ``iterations`` improvement steps; ``residuals[i]`` the Bellman residual
        ``||T V_i - V_i||`` of the ``i``-th policy's values.  A switch of action happens only
        for a clear improvement (beyond the tie tolerance, and beyond ``tol`` when evaluating
        iteratively), so the loop cannot cycle between equally good actions.  The reported
        policy is the last one evaluated, and ``values`` are within ``tol`` of its exact
        values (at ``gamma = 1`` it is made proper among the tied actions, values unchanged).
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    max_iter = check_int(max_iter, "max_iter", 1)
    if evaluation not in _EVAL_METHODS:
        raise ValueError(f"evaluation must be one of {_EVAL_METHODS}, got {evaluation!r}")
    t0 = time.perf_counter()
    rsa, term = mdp.expected_reward, mdp.terminal
    if policy0 is not None:
        pol = check_policy(policy0, mdp.n_states, mdp.n_actions)
    elif gamma >= 1.0:
        pol = _proper_policy(mdp)
    else:
        pol = greedy_policy(np.where(term[:, None], 0.0, rsa))
    v = np.zeros(mdp.n_states)
    idx = np.arange(mdp.n_states)
    residuals: list[float] = []
    converged = False
    for it in range(1, max_iter + 1):
        if gamma >= 1.0 and _unbounded(mdp, pol, it):
            return finish(mdp, gamma, v, it, False, residuals, t0, f"policy_iteration:{evaluation}", math.inf)
        v, n_eval, res_eval, ok = _pi_evaluate(mdp, pol, gamma, evaluation, tol, v)
        if not ok:
            warn_not_converged(f"policy_iteration (evaluating policy {it})", n_eval, res_eval, tol, gamma)
            return finish(mdp, gamma, v, it, False, residuals, t0, "policy_iteration", math.inf)
        q, best = q_and_policy(mdp, gamma, v)
        qmax = q[idx, best]
        residuals.append(float(np.abs(np.where(term, 0.0, qmax - v)).max()))
        # switch only for a clear gain: beyond the tie tolerance, and beyond the evaluation's own
        # error when it was iterative (else two nearly equal actions could swap back and forth)
        margin = TIE_RTOL * np.maximum(1.0, np.abs(qmax)) + (0.0 if res_eval == 0.0 else tol)
        improve = q[idx, pol] < qmax - margin
        if not improve.any():
            if gamma >= 1.0 and _zero_cycle_switch(mdp, pol, v, margin):
                continue  # staying at 0 forever beats a negative value
            converged = True
            break
        pol[improve] = best[improve]
    if not converged:
        warnings.warn(_pi_warning(max_iter), ConvergenceWarning, stacklevel=2)
    err = tol + (residuals[-1] / (1.0 - gamma) if gamma < 1.0 else residuals[-1])
    method = f"policy_iteration:{evaluation}"
    return finish(mdp, gamma, v, len(residuals), converged, residuals, t0, method, err, policy=pol)


def _mpi_start(mdp: TabularMDP, gamma: float, v0: Any) -> np.ndarray:
    if v0 is None and gamma < 1.0:
        live = ~mdp.terminal
        low = min(0.0, float(mdp.expected_reward[live].min())) if live.any() else 0.0
        v = np.full(mdp.n_states, low / (1.0 - gamma))
        v[mdp.terminal] = 0.0
        return v
    return _start_values(mdp, v0)


def modified_policy_iteration(
    mdp: TabularMDP,
    gamma: float,
    k: int = 20,
    tol: float = 1e-8,
    max_iter: int | None = None,
    v0: Any = None,
) -> PlanResult:
    """Modified policy iteration: a Bellman step, then ``k`` sweeps evaluating its greedy policy.

    Parameters
    ----------
    mdp : TabularMDP
    gamma : float in [0, 1]
    k : int >= 0
        Partial-evaluation sweeps (in place) per iteration; ``k = 0`` is value iteration.
    tol : float
        Stop when the Bellman step changes the values by less than ``tol`` (same guarantee as
        value iteration).
    max_iter : int, optional
        Most iterations (default as in :func:`value_iteration`).
    v0 : array_like (S,), optional
        Initial values; default ``min(0, min r) / (1 - gamma)`` everywhere for ``gamma < 1``
        (a lower bound with ``T v0 >= v0``, from which the iterates increase monotonically to
        ``V*``; Puterman 1994, Thm 6.5.5), zeros for ``gamma = 1``.

    Returns
    -------
    PlanResult
        ``residuals[i]`` the change of the ``i``-th Bellman step.
    """
    mdp = as_mdp(mdp)
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    k = check_int(k, "k", 0)
    t0 = time.perf_counter()
    ns, pr, rsa, term = _arrays(mdp)
    v = _mpi_start(mdp, gamma, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, v)
    max_iter = check_int(max_iter, "max_iter", 1)
    idx = np.arange(mdp.n_states)
    residuals = np.empty(max_iter)
    n, res = 0, math.inf
    while n < max_iter:
        q, pol = q_and_policy(mdp, gamma, v)
        new = q[idx, pol]
        new[term] = 0.0
        res = float(np.abs(new - v).max())
        v = np.ascontiguousarray(new)
        residuals[n] = res
        n += 1
        if res < tol:
            break
        for _ in range(k):
            kernels.policy_sweep(ns, pr, rsa, term, gamma, pol, v, v, _EMPTY)
    return _vi_result(mdp, gamma, tol, v, n, res, residuals[:n], t0, f"modified_policy_iteration:k={k}")


# --------------------------------------------------------------------------- solve
#: Backends tried by :func:`solve` before its own methods, in order (see :func:`register_backend`).
_BACKENDS: list[Callable[[TabularMDP, float, float, int | None], PlanResult | None]] = []


def register_backend(backend: Callable[[TabularMDP, float, float, int | None], PlanResult | None]) -> None:
    """Put a solver in front of :func:`solve`'s own methods.

    ``backend(mdp, gamma, tol, max_iter)`` returns a :class:`PlanResult` meeting :func:`solve`'s
    stopping guarantee, or None when the MDP is not its kind (e.g. a grid-stencil backend
    that answers only when ``getattr(mdp, "grid", None)`` describes a grid).  Backends
    registered later are tried first; registering one twice has no further effect.
    """
    if not callable(backend):
        raise ValueError(f"backend must be callable, got {backend!r}")
    if backend not in _BACKENDS:
        _BACKENDS.insert(0, backend)


def _stencil_pays(grid: Any, gamma: float) -> bool:
    """Whether :func:`solve` takes the grid-stencil route for a grid that also has its arrays.

    Not for small grids (NumPy sweeps them without loading numba), nor at ``gamma = 1`` with a
    living reward >= 0, where zero-reward cycles can tie with the optimum and only the general
    route applies the proper-policy rule (module docstring).  With a negative living reward
    every improper policy is worth -inf, so the greedy policy of the stencil's values is proper.
    """
    outcomes = grid.n_states * 4 * (3 if grid.slip > 0 else 1)
    return outcomes > SMALL_OUTCOMES and (gamma < 1.0 or grid.living_reward < 0.0)


def solve(mdp: TabularMDP, gamma: float, tol: float = 1e-8, max_iter: int | None = None) -> PlanResult:
    """The optimal values and a greedy policy, by the fastest exact method for the MDP at hand.

    Stops, like :func:`value_iteration`, at the first Bellman sweep whose sup-norm change is
    below ``tol``, so for ``gamma < 1`` the values are within ``gamma / (1 - gamma) * tol`` of
    ``V*`` and the greedy policy within ``2 gamma / (1 - gamma) * tol``; at ``gamma = 1`` the
    policy is proper among the optimal actions (``PlanResult.proper``).  The route (module
    docstring): a grid with the standard dynamics (a :class:`~planners.GridMDP`, or a
    TabularMDP whose ``grid`` describes one, as ``from_env`` of a LectureGrid env sets it)
    beyond NumPy's size goes to :func:`~planners.solve_grid`'s stencil kernels (except at
    ``gamma = 1`` with a living reward >= 0, see :func:`_stencil_pays`); else a registered
    backend that accepts the MDP; else NumPy Jacobi sweeps for small MDPs (no numba load);
    else ``value_iteration(method="auto")`` (label correcting, exact for deterministic MDPs,
    then ordered in-place sweeps).  ``PlanResult.method`` names the route taken.

    Parameters
    ----------
    mdp : TabularMDP, GridMDP, Gymnasium env or model
    gamma : float in [0, 1]
    tol : float
    max_iter : int, optional
        Most sweeps (default as in :func:`value_iteration`).

    Returns
    -------
    PlanResult
    """
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", 1)
    from .grid import GridMDP, grid_description, solve_grid  # grid.py imports this module

    if isinstance(mdp, TabularMDP):  # small ones sweep in NumPy: no stencil model to build
        grid = None if small(mdp) else grid_description(mdp.grid)
    else:
        grid = grid_description(mdp)
    if grid is not None and (isinstance(mdp, GridMDP) or _stencil_pays(grid, gamma)):
        stencil = solve_grid(grid, gamma, tol=tol, max_iter=max_iter)
        if gamma < 1.0 or isinstance(mdp, GridMDP):
            return stencil
        mdp = as_mdp(mdp)
        if not improper(mdp, stencil.policy).any():  # checked, not assumed (see _stencil_pays)
            return dataclasses.replace(stencil, proper=True)
    mdp = as_mdp(mdp)
    for backend in _BACKENDS:
        res = backend(mdp, gamma, tol, max_iter)
        if res is not None:
            return res
    method = "jacobi" if small(mdp) else "auto"
    return value_iteration(mdp, gamma, tol=tol, max_iter=max_iter, method=method)


#: Planner name -> function ``f(mdp, gamma, **kwargs) -> PlanResult``.
SOLVERS: dict[str, Callable[..., PlanResult]] = {
    "solve": solve,
    "value_iteration": value_iteration,
    "gauss_seidel": gauss_seidel_value_iteration,
    "fast": fast_value_iteration,
    "policy_iteration": policy_iteration,
    "modified_policy_iteration": modified_policy_iteration,
}
