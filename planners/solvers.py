r"""Exact tabular planning: value iteration, policy iteration, modified policy iteration.

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
  states in place (Gauss-Seidel: later states see the new values of earlier ones).
* **Policy iteration** alternates exact (or iterative) evaluation of ``pi`` and greedy
  improvement, until the policy is stable.
* **Modified policy iteration** replaces the exact evaluation by ``k`` sweeps of ``T_pi``.
* ``value_iteration(method="auto")`` exploits structure.  In a deterministic MDP,
  ``V(s) = max_a r(s, a) + gamma V(s'(s, a))`` is a longest-path problem: a label-correcting
  pass (Bellman-Ford-Moore, a FIFO queue from the terminals outward) solves it in ``O(S A)``
  on grids, where each state's value is final when first set; one Bellman sweep then checks
  the result (a positive cycle, or stochastic outcomes, leave a residual and sweeping goes
  on).  With stochastic outcomes the same pass gives a terminals-outward order, and in-place
  sweeps in that order, starting below ``V*``, carry new values across the whole MDP in one
  sweep instead of one step per sweep.

Stopping rule and guarantee.  Value iteration stops at the first sweep whose sup-norm change
``||V_{n+1} - V_n||_inf`` is below ``tol``.  For ``gamma < 1``, ``T`` (and a Gauss-Seidel
sweep in any order) is a ``gamma``-contraction in the sup norm, so then

.. math:: ||V_{n+1} - V^*||_\infty \le \frac{\gamma}{1-\gamma}\,\mathrm{tol}, \qquad
          ||V_{\pi} - V^*||_\infty \le \frac{2\gamma}{1-\gamma}\,\mathrm{tol}

for the greedy policy ``pi`` of ``V_{n+1}`` (Williams & Baird 1993; Puterman 1994, Thm 6.3.1).
Modified policy iteration uses the same test on its Bellman step.

``gamma = 1`` (episodic problems).  ``T`` is then no contraction; value iteration still
converges when every policy reaches a terminal state with probability 1 or the improper
ones collect ``-inf`` (e.g. a negative living reward: stochastic shortest paths, Bertsekas &
Tsitsiklis 1991), but the bound above is void.  Where it does not converge -- an improper
policy with non-negative rewards, a cycle of positive rewards -- the planners stop at
``max_iter`` with ``converged=False`` and a :class:`ConvergenceWarning` that says why.
Policy iteration at ``gamma = 1`` starts from a *proper* policy built outward from the
terminal states.

Greedy policies and ties.  ``policy[s] = argmax_a Q(s, a)``, where actions whose Q-value is
within ``1e-12 * max(1, |max_a Q(s, a)|)`` of the best count as tied and the **lowest action
index** wins: the result is deterministic and does not depend on rounding in the last bit.
Terminal states have value 0, Q-values 0 and action 0.

Russell & Norvig's 4x3 world (slip 0.2, living reward -0.04, ``gamma = 1``; AIMA Fig. 17.3),
utilities as published.  The book counts the reward of the square the agent is *in*,
``U(s) = R(s) + V(s)`` with ``R(s) = -0.04``, and gives each exit its own reward:

>>> import numpy as np
>>> from gridworld_env import LectureGridEnv
>>> from planners import TabularMDP, value_iteration
>>> mdp = TabularMDP.from_env(LectureGridEnv("lecture", living_reward=-0.04, slip=0.2))
>>> res = value_iteration(mdp, gamma=1.0, tol=1e-10)
>>> u = res.values - 0.04
>>> u[[3, 5, 7]] = 1.0, np.nan, -1.0     # the exits, and the wall (no utility)
>>> print(u.reshape(3, 4).round(3))
[[ 0.812  0.868  0.918  1.   ]
 [ 0.762    nan  0.66  -1.   ]
 [ 0.705  0.655  0.611  0.388]]
>>> res.converged, "".join("^v<>"[a] for a in res.policy[[0, 1, 2, 4, 6, 8, 9, 10, 11]])
(True, '>>>^^^<<<')
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .mdp import MDPError, TabularMDP

__all__ = [
    "SOLVERS",
    "ConvergenceWarning",
    "PlanResult",
    "fast_value_iteration",
    "gauss_seidel_value_iteration",
    "greedy_policy",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "value_iteration",
    "value_iteration_sweeps",
]

#: relative tolerance under which two Q-values count as tied (lowest action index wins)
TIE_RTOL = 1e-12
#: Jacobi sweeps run multi-threaded from this many states on, given at least PARALLEL_MIN_THREADS
#: numba threads (below either, waking threads costs more than it saves: on a busy 2-core machine a
#: parallel region can wait a scheduler time slice for its second thread)
PARALLEL_MIN_STATES = 200_000
PARALLEL_MIN_THREADS = 4
_PARALLEL_BLOCK = 8192
#: method="auto" relabels states in sweep order (one gather) from this many states on
RELABEL_MIN_STATES = 20_000
#: policy evaluation solves the linear system densely up to this many states ("auto")
EXACT_MAX_STATES = 1000
_EMPTY = np.empty(0, dtype=np.int64)
#: MDPs with at most this many outcome slots (S * A * K) run Jacobi sweeps and Q-values in NumPy:
#: the first numba call in a process costs ~0.3 s (loading the compiled kernels), more than such an
#: MDP takes to solve.  The arithmetic is the kernels', bit for bit.
SMALL_OUTCOMES = 4096


class _Kernels:
    """The numba kernels, imported on first use (``import planners`` does not import numba)."""

    _mod: Any = None

    def __getattr__(self, name: str) -> Any:
        if _Kernels._mod is None:
            from . import _kernels

            _Kernels._mod = _kernels
        return getattr(_Kernels._mod, name)


K = _Kernels()


class ConvergenceWarning(RuntimeWarning):
    """A planner stopped at ``max_iter`` before meeting its tolerance."""


@dataclass(frozen=True, eq=False)
class PlanResult:
    """What a planner returns.

    Attributes
    ----------
    values : ndarray (S,) float64
        State values (0 at terminal states).
    policy : ndarray (S,) int64
        Greedy policy of ``values`` (ties to the lowest action index).
    q : ndarray (S, A) float64
        Q-values ``Q(s, a)`` of ``values``.
    iterations : int
        Sweeps (value iteration) or improvement steps (policy iteration, MPI).
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    residuals : ndarray (iterations,) float64
        Sup-norm change of the values at each iteration.
    wall_time : float
        Seconds spent planning.
    method : str
        The algorithm that produced the result.
    gamma : float
        The discount used.
    """

    values: np.ndarray
    policy: np.ndarray
    q: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    wall_time: float
    method: str = ""
    gamma: float = float("nan")

    def __repr__(self) -> str:
        return (
            f"PlanResult(method={self.method!r}, gamma={self.gamma}, n_states={self.values.shape[0]}, "
            f"iterations={self.iterations}, converged={self.converged}, wall_time={self.wall_time:.3g}s)"
        )


# --------------------------------------------------------------------------- checks
def _as_mdp(mdp: Any) -> TabularMDP:
    if isinstance(mdp, TabularMDP):
        return mdp
    if hasattr(mdp, "unwrapped") or hasattr(mdp, "P") or hasattr(mdp, "model"):
        return TabularMDP.from_env(mdp)
    raise MDPError(f"expected a TabularMDP or a Gymnasium env, got {type(mdp).__name__}")


def _check_gamma(gamma: Any) -> float:
    try:
        g = float(gamma)
    except (TypeError, ValueError):
        raise ValueError(f"gamma must be a number in [0, 1], got {gamma!r}") from None
    if not (0.0 <= g <= 1.0):
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return g


def _check_tol(tol: Any, name: str = "tol") -> float:
    try:
        t = float(tol)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {tol!r}") from None
    if not (t > 0.0 and math.isfinite(t)):
        raise ValueError(f"{name} must be a positive finite number, got {tol!r}")
    return t


def _check_int(x: Any, name: str, minimum: int) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    return int(x)


def _check_values(v: Any, S: int, name: str = "v0") -> np.ndarray:
    arr = np.array(v, dtype=np.float64, copy=True)
    if arr.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {arr[~np.isfinite(arr)][:3]}")
    return np.ascontiguousarray(arr)


def _check_policy(policy: Any, mdp: TabularMDP) -> np.ndarray:
    arr = np.asarray(policy)
    if arr.shape != (mdp.n_states,):
        raise ValueError(f"policy must have shape ({mdp.n_states},), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"policy must hold integer actions, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= mdp.n_actions):
        bad = int(np.flatnonzero((arr < 0) | (arr >= mdp.n_actions))[0])
        raise ValueError(f"policy[{bad}] = {arr[bad]} is not an action in 0..{mdp.n_actions - 1}")
    return np.array(arr, dtype=np.int64, order="C")  # a writable copy: one compiled kernel version


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


# --------------------------------------------------------------------------- basics
def _arrays(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal


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
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    v = _check_values(values, mdp.n_states, "values")
    return _q_and_policy(mdp, gamma, v)[0]


def _small(mdp: TabularMDP) -> bool:
    return mdp.next_state.size <= SMALL_OUTCOMES


def _np_q(mdp: TabularMDP, gamma: float, v: np.ndarray) -> np.ndarray:
    """NumPy look-ahead with the kernels' arithmetic (outcomes summed in order, then ``r + gamma * sum``)."""
    ns, pr, rsa, term = _arrays(mdp)
    q = rsa + gamma * (pr * v[ns]).sum(axis=2)
    q[term] = 0.0
    return q


def _q_and_policy(mdp: TabularMDP, gamma: float, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if _small(mdp):
        q = _np_q(mdp, gamma, v)
        return q, greedy_policy(q)
    q = np.empty((mdp.n_states, mdp.n_actions))
    policy = np.empty(mdp.n_states, dtype=np.int64)
    K.q_values(*_arrays(mdp), gamma, v, q, policy, TIE_RTOL)
    return q, policy


def greedy_policy(q: Any) -> np.ndarray:
    """Greedy actions of Q-values ``(S, A)``, ties (within ``TIE_RTOL``) to the lowest action index.

    Returns
    -------
    ndarray (S,) int64
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] < 1:
        raise ValueError(f"q must have shape (S, A) with A >= 1, got {q.shape}")
    qmax = q.max(axis=1, keepdims=True)
    tied = q >= qmax - TIE_RTOL * np.maximum(1.0, np.abs(qmax))
    return np.argmax(tied, axis=1).astype(np.int64)


def _result(
    mdp: TabularMDP,
    gamma: float,
    v: np.ndarray,
    iterations: int,
    converged: bool,
    residuals: Any,
    t0: float,
    method: str,
) -> PlanResult:
    q, policy = _q_and_policy(mdp, gamma, v)
    return PlanResult(
        values=v,
        policy=policy,
        q=q,
        iterations=int(iterations),
        converged=bool(converged),
        residuals=np.asarray(residuals, dtype=np.float64),
        wall_time=time.perf_counter() - t0,
        method=method,
        gamma=gamma,
    )


def _warn_not_converged(what: str, n: int, res: float, tol: float, gamma: float, stacklevel: int = 3) -> None:
    if gamma >= 1.0:
        why = (
            "with gamma=1 the values need not converge: some policy never reaches a terminal state "
            "while its rewards do not decrease (e.g. a non-negative living reward, or a cycle of positive "
            "rewards paying forever). Use gamma < 1 or make every non-terminal step cost something"
        )
    else:
        why = f"raise max_iter (a gamma={gamma} contraction shrinks the change by {gamma} per sweep)"
    warnings.warn(
        f"{what} stopped after {n} iterations with change {res:.3g} > tol={tol:g}: {why}",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


# --------------------------------------------------------------------------- value iteration
_VI_METHODS = ("jacobi", "gauss-seidel", "auto")


def _np_jacobi_sweep(mdp: TabularMDP, gamma: float, v_in: np.ndarray, v_out: np.ndarray) -> float:
    v_out[:] = _np_q(mdp, gamma, v_in).max(axis=1)
    return float(np.abs(v_out - v_in).max())


def _sweep_fn(mdp: TabularMDP, method: str) -> Callable[[float, np.ndarray, np.ndarray, np.ndarray], float]:
    ns, pr, rsa, term = _arrays(mdp)
    if method == "jacobi" and _small(mdp):
        return lambda g, vi, vo, order: _np_jacobi_sweep(mdp, g, vi, vo)
    if method == "jacobi" and mdp.n_states >= PARALLEL_MIN_STATES:
        import numba

        if numba.get_num_threads() >= PARALLEL_MIN_THREADS:
            return lambda g, vi, vo, order: K.bellman_sweep_parallel(ns, pr, rsa, term, g, vi, vo, _PARALLEL_BLOCK)
    return lambda g, vi, vo, order: K.bellman_sweep(ns, pr, rsa, term, g, vi, vo, order)


def _start_values(mdp: TabularMDP, v0: Any) -> np.ndarray:
    v = np.zeros(mdp.n_states) if v0 is None else _check_values(v0, mdp.n_states)
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

    Parameters
    ----------
    mdp : TabularMDP (or a Gymnasium env, converted with :meth:`TabularMDP.from_env`)
    gamma : float in [0, 1]
        Discount factor (1 for episodic problems whose policies end; see the module docstring).
    tol : float
        Stop when the sup-norm change of a sweep is below ``tol``; for ``gamma < 1`` the values
        are then within ``tol * gamma / (1 - gamma)`` of the optimal ones.
    max_iter : int, optional
        Most sweeps; default: the number after which a ``gamma``-contraction is guaranteed to
        meet ``tol`` (10 000 when ``gamma == 1``).  Stopping there warns.
    method : {"jacobi", "gauss-seidel", "auto"}
        ``"jacobi"``: synchronous sweeps (the textbook algorithm; multi-threaded on large MDPs).
        ``"gauss-seidel"``: in-place sweeps in state order.
        ``"auto"``: the fastest exact route.  A label-correcting pass propagates values
        outward from the terminal states along each action's most likely outcome: for a
        deterministic MDP these are the exact values (one sweep verifies them); otherwise
        in-place sweeps follow, in that terminals-outward order, from a lower bound, on a
        copy relabelled in that order when the MDP is large.  Same stopping rule and
        guarantee; ``iterations`` counts the sweeps.
    v0 : array_like (S,), optional
        Initial values (default zeros; ``"auto"`` picks its own start unless given one).

    Returns
    -------
    PlanResult
        ``iterations`` sweeps, ``residuals[i]`` the change of sweep ``i``.
    """
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    tol = _check_tol(tol)
    if method not in _VI_METHODS:
        raise ValueError(f"method must be one of {_VI_METHODS}, got {method!r}")
    t0 = time.perf_counter()
    v = _start_values(mdp, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, None if v0 is None else v)
    max_iter = _check_int(max_iter, "max_iter", 1)
    if method == "auto":
        return _value_iteration_auto(mdp, gamma, tol, max_iter, v, v0 is not None, t0)
    sweep = _sweep_fn(mdp, method)
    residuals = np.empty(max_iter)
    if method == "jacobi":
        w = np.empty_like(v)
        n, res = 0, math.inf
        while n < max_iter:
            res = sweep(gamma, v, w, _EMPTY)
            v, w = w, v
            residuals[n] = res
            n += 1
            if res < tol:
                break
    else:
        n, res = 0, math.inf
        while n < max_iter:
            res = sweep(gamma, v, v, _EMPTY)
            residuals[n] = res
            n += 1
            if res < tol:
                break
    converged = res < tol
    if not converged:
        _warn_not_converged(f"value_iteration(method={method!r})", n, res, tol, gamma)
    return _result(mdp, gamma, v, n, converged, residuals[:n], t0, f"value_iteration:{method}")


def _lower_bound(mdp: TabularMDP, gamma: float) -> np.ndarray:
    """``min(0, min r) / (1 - gamma)`` on live states, 0 on terminals: ``T L >= L`` (gamma < 1)."""
    low = min(0.0, float(mdp.expected_reward.min())) / (1.0 - gamma)
    return np.where(mdp.terminal, 0.0, low)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # kernels see read-only model arrays only: one compiled version
    return a


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
    lc = np.empty(S)
    order = np.empty(S, dtype=np.int64)
    n_ordered, finished = K.label_correcting(ns, pr, rsa, term, gamma, lc, order, 16 * S + 1024)
    if n_ordered < S:  # states no terminal is reached from: after the others, in index order
        rest = np.ones(S, dtype=bool)
        rest[order[:n_ordered]] = False
        order[n_ordered:] = np.flatnonzero(rest)
    deterministic = mdp.is_deterministic
    if not user_v0:
        reached = np.isfinite(lc)
        if gamma < 1.0 and not (deterministic and reached.all()):
            v = _lower_bound(mdp, gamma)
            if deterministic:
                v = np.where(reached, lc, v)
        else:
            v = np.where(reached, lc, 0.0)
    residuals = np.empty(max_iter)
    n, res = 0, math.inf
    if deterministic and finished and n_ordered == S and not user_v0:
        # the label-correcting values solve the Bellman equation: one sweep (in memory order) verifies
        res = K.bellman_sweep(ns, pr, rsa, term, gamma, v, v, _EMPTY)
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
                res = K.bellman_sweep(pns, ppr, prsa, pterm, gamma, pv, pv, _EMPTY)
                residuals[n] = res
                n += 1
            v = np.empty(S)
            v[order] = pv
        else:
            while n < max_iter and not res < tol:
                res = K.bellman_sweep(ns, pr, rsa, term, gamma, v, v, order)
                residuals[n] = res
                n += 1
    converged = res < tol
    if not converged:
        _warn_not_converged("value_iteration(method='auto')", n, res, tol, gamma)
    return _result(mdp, gamma, v, n, converged, residuals[:n], t0, "value_iteration:auto")


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
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    tol = _check_tol(tol)
    if method not in ("jacobi", "gauss-seidel"):
        raise ValueError(f"method must be 'jacobi' or 'gauss-seidel', got {method!r}")
    v = _start_values(mdp, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, None if v0 is None else v)
    max_iter = _check_int(max_iter, "max_iter", 1)
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
            _warn_not_converged("value_iteration_sweeps", n, res, tol, gamma, stacklevel=2)
        yield _result(mdp, gamma, v.copy(), n, done, residuals, t0, f"value_iteration:{method}")
        if done:
            return


# --------------------------------------------------------------------------- policy evaluation
def _exact_evaluation(mdp: TabularMDP, policy: np.ndarray, gamma: float) -> np.ndarray | None:
    """Solve ``(I - gamma P_pi) V = r_pi`` densely; None when singular or inaccurate."""
    S, _A, Kk = mdp.shape
    idx = np.arange(S)
    live = ~mdp.terminal
    M = np.zeros((S, S))
    pr = mdp.prob[idx, policy]  # (S, K)
    ns = mdp.next_state[idx, policy]
    rows = np.repeat(idx, Kk)
    np.add.at(M, (rows, ns.ravel()), -gamma * pr.ravel())
    M[~live] = 0.0
    M[idx, idx] += 1.0
    b = np.where(live, mdp.expected_reward[idx, policy], 0.0)
    # terminal rows are identity rows with right-hand side 0, so their values solve to 0
    try:
        v = np.linalg.solve(M, b)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(v).all():
        return None
    if np.abs(M @ v - b).max() > 1e-9 * (1.0 + np.abs(b).max() + np.abs(v).max()):
        return None
    v[~live] = 0.0
    return v


def _iterative_evaluation(
    mdp: TabularMDP, policy: np.ndarray, gamma: float, tol: float, max_iter: int, v: np.ndarray
) -> tuple[np.ndarray, int, float]:
    ns, pr, rsa, term = _arrays(mdp)
    n, res = 0, math.inf
    while n < max_iter:
        res = K.policy_sweep(ns, pr, rsa, term, gamma, policy, v, v, _EMPTY)
        n += 1
        if res < tol:
            break
    return v, n, res


_EVAL_METHODS = ("auto", "exact", "iterative")


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
        ``"exact"``: dense linear solve (``O(S^3)``); ``"iterative"``: in-place sweeps of
        ``T_pi`` until the change is below ``tol``; ``"auto"``: exact up to
        ``EXACT_MAX_STATES`` states, iterative above.  An exact solve that fails (singular:
        at ``gamma = 1`` a policy that never reaches a terminal) falls back to iterating.
    tol, max_iter, v0
        Stopping rule, sweep limit and start of the iterative method.

    Returns
    -------
    ndarray (S,) float64
    """
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    pol = _check_policy(policy, mdp)
    tol = _check_tol(tol)
    if method not in _EVAL_METHODS:
        raise ValueError(f"method must be one of {_EVAL_METHODS}, got {method!r}")
    v, _n, _res, ok = _evaluate(mdp, pol, gamma, method, tol, max_iter, _start_values(mdp, v0))
    if not ok:
        _warn_not_converged("policy_evaluation", _n, _res, tol, gamma)
    return v


def _evaluate(
    mdp: TabularMDP, pol: np.ndarray, gamma: float, method: str, tol: float, max_iter: int | None, v: np.ndarray
) -> tuple[np.ndarray, int, float, bool]:
    if method == "exact" or (method == "auto" and mdp.n_states <= EXACT_MAX_STATES):
        exact = _exact_evaluation(mdp, pol, gamma)
        if exact is not None:
            return exact, 1, 0.0, True
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, v)
    v, n, res = _iterative_evaluation(mdp, pol, gamma, tol, _check_int(max_iter, "max_iter", 1), v)
    return v, n, res, res < tol


# --------------------------------------------------------------------------- policy iteration
def _proper_policy(mdp: TabularMDP) -> np.ndarray:
    """A policy reaching a terminal with probability 1 where possible (built outward from terminals).

    Breadth-first from the terminal states over the reversed transitions: a state joins when
    some action has a positive-probability outcome in the previous layer, and takes the lowest
    such action.  Every joined state then has a positive chance of moving one layer closer to
    a terminal at each step, so the policy is proper on the joined states.  ``O(S A K)``.
    """
    S, A, Kk = mdp.shape
    term = mdp.terminal
    flat_next = mdp.next_state.reshape(-1)
    sa = np.repeat(np.arange(S * A, dtype=np.int64), Kk)  # (s, a) index of every outcome
    keep = (mdp.prob.reshape(-1) > 0) & ~term[sa // A]
    succ, sa = flat_next[keep], sa[keep]
    by_succ = np.argsort(succ, kind="stable")
    pred_sa = sa[by_succ]  # predecessors (s, a), grouped by successor
    start = np.zeros(S + 1, dtype=np.int64)
    np.cumsum(np.bincount(succ, minlength=S), out=start[1:])
    reached = term.copy()
    policy = np.zeros(S, dtype=np.int64)
    frontier = np.flatnonzero(term)
    while frontier.size:
        lo, hi = start[frontier], start[frontier + 1]
        counts = hi - lo
        if counts.sum() == 0:
            break
        pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        cand = pred_sa[pos]
        cand = cand[~reached[cand // A]]
        if cand.size == 0:
            break
        cand.sort()  # by state, then by action: the first entry of each state has its lowest action
        states = cand // A
        first = np.ones(cand.size, dtype=bool)
        first[1:] = states[1:] != states[:-1]
        frontier = states[first]
        policy[frontier] = cand[first] - frontier * A
        reached[frontier] = True
    return policy


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
        How each policy is evaluated (see :func:`policy_evaluation`); "auto" solves exactly up
        to ``EXACT_MAX_STATES`` states and iterates (warm-started) above.
    tol : float
        Tolerance of the iterative evaluation (sup-norm change of a sweep).
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
        iteratively), so the loop cannot cycle between equally good actions; the reported
        policy is the canonical greedy one of the final values.
    """
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    tol = _check_tol(tol)
    max_iter = _check_int(max_iter, "max_iter", 1)
    if evaluation not in _EVAL_METHODS:
        raise ValueError(f"evaluation must be one of {_EVAL_METHODS}, got {evaluation!r}")
    t0 = time.perf_counter()
    S = mdp.n_states
    ns, pr, rsa, term = _arrays(mdp)
    if policy0 is not None:
        pol = _check_policy(policy0, mdp).copy()
    elif gamma >= 1.0:
        pol = _proper_policy(mdp)
    else:
        pol = greedy_policy(np.where(term[:, None], 0.0, rsa))
    v = np.zeros(S)
    q = np.empty((S, mdp.n_actions))
    best = np.empty(S, dtype=np.int64)
    idx = np.arange(S)
    residuals = []
    converged = False
    for it in range(1, max_iter + 1):
        v, n_eval, res_eval, ok = _evaluate(mdp, pol, gamma, evaluation, tol, None, v)
        if not ok:
            _warn_not_converged(f"policy_iteration (evaluating policy {it})", n_eval, res_eval, tol, gamma)
            return _result(mdp, gamma, v, it, False, residuals, t0, "policy_iteration")
        K.q_values(ns, pr, rsa, term, gamma, v, q, best, TIE_RTOL)
        qmax = q[idx, best]
        residuals.append(float(np.abs(np.where(term, 0.0, qmax - v)).max()))
        # switch only for a clear gain: beyond the tie tolerance, and beyond the evaluation's own
        # error when it was iterative (else two nearly equal actions could swap back and forth)
        margin = TIE_RTOL * np.maximum(1.0, np.abs(qmax)) + (0.0 if res_eval == 0.0 else tol)
        improve = q[idx, pol] < qmax - margin
        if not improve.any():
            converged = True
            break
        pol[improve] = best[improve]
    if not converged:
        warnings.warn(
            f"policy_iteration stopped after {max_iter} improvement steps with the policy still changing: "
            "raise max_iter",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _result(mdp, gamma, v, len(residuals), converged, residuals, t0, f"policy_iteration:{evaluation}")


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
    mdp = _as_mdp(mdp)
    gamma = _check_gamma(gamma)
    tol = _check_tol(tol)
    k = _check_int(k, "k", 0)
    t0 = time.perf_counter()
    S = mdp.n_states
    ns, pr, rsa, term = _arrays(mdp)
    if v0 is None and gamma < 1.0:
        live = ~term
        low = min(0.0, float(rsa[live].min())) if live.any() else 0.0
        v = np.full(S, low / (1.0 - gamma))
        v[term] = 0.0
    else:
        v = _start_values(mdp, v0)
    if max_iter is None:
        max_iter = _default_max_iter(mdp.expected_reward, gamma, tol, v)
    max_iter = _check_int(max_iter, "max_iter", 1)
    q = np.empty((S, mdp.n_actions))
    pol = np.empty(S, dtype=np.int64)
    idx = np.arange(S)
    residuals = np.empty(max_iter)
    n, res = 0, math.inf
    while n < max_iter:
        K.q_values(ns, pr, rsa, term, gamma, v, q, pol, TIE_RTOL)
        new = q[idx, pol]
        new[term] = 0.0
        res = float(np.abs(new - v).max())
        v = np.ascontiguousarray(new)
        residuals[n] = res
        n += 1
        if res < tol:
            break
        for _ in range(k):
            K.policy_sweep(ns, pr, rsa, term, gamma, pol, v, v, _EMPTY)
    converged = res < tol
    if not converged:
        _warn_not_converged("modified_policy_iteration", n, res, tol, gamma)
    return _result(mdp, gamma, v, n, converged, residuals[:n], t0, f"modified_policy_iteration:k={k}")


#: Planner name -> function ``f(mdp, gamma, **kwargs) -> PlanResult``.
SOLVERS: dict[str, Callable[..., PlanResult]] = {
    "value_iteration": value_iteration,
    "gauss_seidel": gauss_seidel_value_iteration,
    "fast": fast_value_iteration,
    "policy_iteration": policy_iteration,
    "modified_policy_iteration": modified_policy_iteration,
}
