r"""What every planner shares: the result type, the one tie rule, look-ahead, and the proper-policy rule.

Ties.  ``TIE_RTOL`` is the project's one tie tolerance: actions whose Q-value is within
``TIE_RTOL * max(1, |max_a Q(s, a)|)`` (plus an absolute ``atol``, the error of the values
they come from) of the best count as tied.  :func:`greedy_policy` takes the lowest tied
action index; :func:`greedy_mask` returns them all; :meth:`PlanResult.greedy_mask` uses the
result's own error estimate as ``atol``.

Proper policies at ``gamma = 1``.  With zero-reward cycles, actions that never reach a
terminal can tie with the optimal ones (FrozenLake: bumping into the border keeps a value
of 1 forever).  Every planner's result therefore goes through one rule: the canonical
greedy policy is kept where it is proper (reaches a terminal with probability 1, decided by
the absorption analysis of :mod:`planners._proper`); at the states where it is not, the
action is replaced, among the optimal actions ``M(s)`` (the tied set of
:meth:`PlanResult.greedy_mask`), by the one most likely to decrease the layer distance to the
states already proper in the optimal-action subgraph restricted to ``W`` (the almost-sure
set of :mod:`planners._proper`).  The combined policy is proper on ``W``; since it only uses
actions of ``M``, its values equal the planner's up to the tie tolerance (``T_pi V = V``
within ``atol``), and the values themselves are not changed.  Where ``W`` misses a live
state, no proper optimal policy exists from there: ``PlanResult.proper`` is False and an
:class:`ImproperPolicyWarning` names the states.  At ``gamma < 1`` every policy has finite
values and the rule is not applied (``proper`` is None).
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _proper
from ._checks import check_finite
from .mdp import MDPError, TabularMDP

#: relative tolerance under which two Q-values count as tied (lowest action index wins); the one
#: tie tolerance of the project (planners, demos and renderer overlays)
TIE_RTOL = 1e-12
#: MDPs with at most this many outcome slots (S * A * K) run sweeps, Q-values and the properness
#: check in NumPy / Python: the first numba call in a process costs ~0.3 s (loading the compiled
#: kernels), more than such an MDP takes to solve.  The arithmetic is the kernels', bit for bit.
SMALL_OUTCOMES = 4096
_EMPTY = np.empty(0, dtype=np.int64)


class LazyModule:
    """A module imported on first attribute access (``import planners`` does not import numba)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._mod: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._mod is None:
            self._mod = importlib.import_module(self._name)
        return getattr(self._mod, attr)


#: the numba kernels of :mod:`planners._kernels`, loaded on first use
kernels = LazyModule("planners._kernels")


class ConvergenceWarning(RuntimeWarning):
    """A planner stopped at ``max_iter`` before meeting its tolerance."""


class ImproperPolicyWarning(RuntimeWarning):
    """At ``gamma = 1`` no optimal action reaches a terminal from some states (``PlanResult.proper`` False)."""


def greedy_mask(q: Any, atol: float = 0.0) -> np.ndarray:
    """``(S, A)`` bool: the tied-optimal actions, ``q >= max_a q - (TIE_RTOL * max(1, |max_a q|) + atol)``.

    Parameters
    ----------
    q : array_like (S, A)
        Q-values.
    atol : float >= 0
        Absolute slack on top of the tie tolerance (the error of the values ``q`` comes from;
        :meth:`PlanResult.greedy_mask` passes the result's own).

    Returns
    -------
    ndarray (S, A) bool
        At least one True per row; draw it as the renderer's ``policy`` to show ties as several arrows.
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] < 1:
        raise ValueError(f"q must have shape (S, A) with A >= 1, got {q.shape}")
    atol = check_finite(atol, "atol")
    if atol < 0:
        raise ValueError(f"atol must be >= 0, got {atol!r}")
    qmax = q.max(axis=1, keepdims=True)
    return q >= qmax - (TIE_RTOL * np.maximum(1.0, np.abs(qmax)) + atol)


def greedy_policy(q: Any) -> np.ndarray:
    """Greedy actions of Q-values ``(S, A)``, ties (within ``TIE_RTOL``) to the lowest action index.

    Returns
    -------
    ndarray (S,) int64
    """
    return np.argmax(greedy_mask(q), axis=1).astype(np.int64)


@dataclass(frozen=True, eq=False)
class PlanResult:
    """What a planner returns.

    Attributes
    ----------
    values : ndarray (S,) float64
        State values (0 at terminal states).
    policy : ndarray (S,) int64
        Greedy policy of ``values``: the lowest tied action index, except at ``gamma = 1``
        where that action does not reach a terminal (see :mod:`planners.solvers`, "proper").
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
    value_error : float
        Error of ``values`` against the optimal ones: a bound for ``gamma < 1``
        (``gamma / (1 - gamma)`` times the last change for value iteration), 0 for exact
        results, and at ``gamma = 1`` the a-posteriori estimate ``r rho / (1 - rho)`` from the
        last change ``r`` and its rate ``rho`` (no bound exists there).
    proper : bool or None
        ``gamma = 1``: whether ``policy`` reaches a terminal with probability 1 from every
        state; None for ``gamma < 1`` (every policy's values are finite).
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
    value_error: float = 0.0
    proper: bool | None = None
    _mask: list = field(default_factory=list, init=False, repr=False, compare=False)

    def greedy_mask(self) -> np.ndarray:
        """``(S, A)`` bool: the actions optimal within the tie tolerance and the values' own error.

        :func:`greedy_mask` of ``q`` with ``atol = 2 * gamma * value_error`` (two Q-values each
        off by at most ``gamma * value_error``).  Cached.
        """
        if not self._mask:
            atol = 2.0 * self.gamma * self.value_error if math.isfinite(self.value_error) else 0.0
            self._mask.append(greedy_mask(self.q, atol if math.isfinite(atol) else 0.0))
        return self._mask[0]

    @property
    def optimal_actions(self) -> np.ndarray:
        """Same as :meth:`greedy_mask`."""
        return self.greedy_mask()

    def __repr__(self) -> str:
        return (
            f"PlanResult(method={self.method!r}, gamma={self.gamma}, n_states={self.values.shape[0]}, "
            f"iterations={self.iterations}, converged={self.converged}, proper={self.proper}, "
            f"wall_time={self.wall_time:.3g}s)"
        )


def as_mdp(mdp: Any) -> TabularMDP:
    """A TabularMDP as it is, or one built with :meth:`TabularMDP.from_env` (env or model)."""
    if isinstance(mdp, TabularMDP):
        return mdp
    try:
        return TabularMDP.from_env(mdp)
    except MDPError:
        raise MDPError(
            f"expected a TabularMDP, a Gymnasium env or a model with next_state/prob/reward/absorbing, "
            f"got {type(mdp).__name__}"
        ) from None


def small(mdp: TabularMDP) -> bool:
    """Whether the MDP is solved in NumPy (no numba import); see ``SMALL_OUTCOMES``."""
    return mdp.next_state.size <= SMALL_OUTCOMES


def np_q(mdp: TabularMDP, gamma: float, v: np.ndarray) -> np.ndarray:
    """NumPy look-ahead with the kernels' arithmetic (outcomes summed in order, then ``r + gamma * sum``)."""
    q = mdp.expected_reward + gamma * (mdp.prob * v[mdp.next_state]).sum(axis=2)
    q[mdp.terminal] = 0.0
    return q


def q_and_policy(mdp: TabularMDP, gamma: float, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q-values of ``v`` and their canonical greedy policy (lowest tied index)."""
    if small(mdp):
        q = np_q(mdp, gamma, v)
        return q, greedy_policy(q)
    q = np.empty((mdp.n_states, mdp.n_actions))
    policy = np.empty(mdp.n_states, dtype=np.int64)
    kernels.q_values(mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, gamma, v, q, policy, TIE_RTOL)
    return q, policy


def improper(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """``(S,)`` bool: live states from which ``policy`` does not reach a terminal with probability 1."""
    if small(mdp):
        return _proper.improper_mask(mdp.next_state, mdp.prob, mdp.terminal, policy)
    out = np.empty(mdp.n_states, dtype=np.bool_)
    kernels.improper_states(mdp.next_state, mdp.prob, mdp.terminal, policy, out)
    return out


def make_proper(mdp: TabularMDP, policy: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The proper-policy rule of the module docstring: ``(policy, still_improper)``.

    ``policy`` is kept where it is proper; elsewhere the action of ``mask`` (the optimal
    actions) most likely to move one layer closer to the proper states, within the
    almost-sure set.  ``still_improper``: live states where no proper choice within
    ``mask`` exists.
    """
    bad = improper(mdp, policy)
    if not bad.any():
        return policy, bad
    ns, pr, term = mdp.next_state, mdp.prob, mdp.terminal
    allowed = mask.copy()
    allowed[np.arange(mdp.n_states), policy] = True  # the greedy action is always among the optimal ones
    act = _proper.almost_sure_actions(ns, pr, term, allowed)
    joined, choice = _proper.layered_policy(ns, pr, act & bad[:, None], ~bad)
    out = policy.copy()
    fix = bad & joined
    out[fix] = choice[fix]
    return out, bad & ~joined


def finish(
    mdp: TabularMDP,
    gamma: float,
    v: np.ndarray,
    iterations: int,
    converged: bool,
    residuals: Any,
    t0: float,
    method: str,
    value_error: float,
    stacklevel: int = 3,
    policy: np.ndarray | None = None,
) -> PlanResult:
    """Build a planner's :class:`PlanResult` from its values (Q-values, greedy policy, proper rule).

    ``policy``: the planner's own policy (policy iteration: the one its values belong to)
    instead of the canonical greedy one of ``v``.
    """
    q, greedy = q_and_policy(mdp, gamma, v)
    policy = greedy if policy is None else policy
    proper: bool | None = None
    if gamma >= 1.0:
        res = PlanResult(v, policy, q, 0, False, _EMPTY.astype(float), 0.0, method, gamma, value_error)
        policy, stuck = make_proper(mdp, policy, res.greedy_mask())
        proper = not stuck.any()
        if not proper and converged:  # (a planner that did not converge has warned why already)
            where = np.flatnonzero(stuck)
            warnings.warn(
                f"{method}: no optimal action reaches a terminal state from {where.size} state(s) "
                f"(e.g. {where[:5].tolist()}): at gamma=1 their optimal value comes only from cycling "
                "forever (a zero- or positive-reward cycle); PlanResult.proper is False",
                ImproperPolicyWarning,
                stacklevel=stacklevel,
            )
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
        value_error=float(value_error),
        proper=proper,
    )


def vi_error(gamma: float, residuals: np.ndarray) -> float:
    """``value_error`` of value iteration after the changes ``residuals`` (see :class:`PlanResult`)."""
    if residuals.size == 0:
        return math.inf
    r = float(residuals[-1])
    if r == 0.0:
        return 0.0
    if gamma < 1.0:
        return gamma / (1.0 - gamma) * r
    if residuals.size >= 2 and 0.0 < r < float(residuals[-2]):
        rho = r / float(residuals[-2])
        return r * rho / (1.0 - rho)
    return r


def warn_not_converged(what: str, n: int, res: float, tol: float, gamma: float, stacklevel: int = 3) -> None:
    """The :class:`ConvergenceWarning` of a planner stopped at ``max_iter``, saying why."""
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
        stacklevel=stacklevel + 1,
    )
