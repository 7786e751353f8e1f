r"""Value iteration with McQueen-Porteus bounds: span-based stopping for fast-mixing MDPs.

For ``gamma < 1`` and one Jacobi Bellman step ``d = T v - v``, the optimal values are bracketed
(MacQueen 1966; Porteus 1971; Puterman 1994, Thm 6.6.3), the minimum and maximum taken over every
state, terminal ones (whose change is 0) included:

.. math:: T v + \frac{\gamma}{1-\gamma}\min_s d(s) \;\le\; V^* \;\le\;
          T v + \frac{\gamma}{1-\gamma}\max_s d(s).

The midpoint ``V = T v + gamma / (1 - gamma) * (min d + max d) / 2`` is then within
``gamma / (1 - gamma) * span(d) / 2`` of ``V*``, where ``span(d) = max d - min d``.
:func:`span_value_iteration` stops at the first step with ``span(d) < 2 tol`` and returns that
midpoint, so ``||V - V*||_inf <= tol * gamma / (1 - gamma)``: the guarantee of
:func:`planners.value_iteration` with the same ``tol``.  The sup norm ``||d||`` shrinks by
``gamma`` a step whatever the MDP, but ``span(d)`` shrinks by the chain's mixing rate too: on
random sparse MDPs (each state-action reaching a few random states) a dozen steps instead of
the ``log(tol) / log(gamma)`` thousands of plain value iteration.  The sweeps skip the
probability-0 slots of the padded ``(S, A, K)`` arrays (:mod:`planners._sparse_kernels`): a
model with 10-20 successors per pair pads to 20 slots.  Models of at least
:data:`PARALLEL_MIN_SLOTS` outcome slots are swept on all of numba's threads by default (the same
bits as one thread).  On slowly mixing MDPs (large grids) the span contracts no faster than the
norm, and the grid backend is the tool.

>>> import numpy as np
>>> from planners import TabularMDP, value_iteration
>>> P = np.array([[[0.5, 0.5], [0.2, 0.8]], [[0.9, 0.1], [0.6, 0.4]]])   # P[a, s, s']
>>> mdp = TabularMDP.from_dense(P, np.array([[1.0, 0.0], [0.0, 2.0]]), terminal=np.zeros(2, bool))
>>> fast = span_value_iteration(mdp, 0.95, tol=1e-10)
>>> slow = value_iteration(mdp, 0.95, tol=1e-10)
>>> fast.iterations < 30 < slow.iterations, bool(np.abs(fast.values - slow.values).max() < 1e-8)
(True, True)
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import Any

import numpy as np

from ._checks import check_gamma, check_tol
from ._threads import check_threads, numba_threads
from .mdp import MDPError, TabularMDP
from .solvers import ConvergenceWarning, PlanResult

__all__ = ["PARALLEL_MIN_SLOTS", "default_threads", "span_value_iteration"]

#: ``threads=None`` sweeps on all of numba's threads from this many outcome slots (``S * A * K``)
#: on.  Random models with 10-20 successors, 3 actions, a quiet 2-core AMD EPYC (Zen 3), one sweep
#: on 1 thread against 2 (best of 21 alternated): 0.99x at 180,000 slots, 1.26x at 600,000, 1.64x at
#: 1.8 million, 1.85x at 6 million, 2.45x at 60 million (1,000,000 states; the gathers from the
#: values wait on memory, and two cores keep twice as many loads in flight).  Below about 4 million
#: slots a sweep takes under 10 ms and waking a second thread on a busy machine can cost a
#: scheduler slice, more than it saves.
PARALLEL_MIN_SLOTS = 1 << 22
#: states a thread takes at a time
_BLOCK = 4096


def default_threads(n_slots: int) -> int:
    """The threads :func:`span_value_iteration` sweeps a model of ``n_slots`` outcome slots on by default:
    all of numba's (``numba.get_num_threads()``) from :data:`PARALLEL_MIN_SLOTS` on, one below."""
    import numba

    return int(numba.get_num_threads()) if n_slots >= PARALLEL_MIN_SLOTS else 1


def span_value_iteration(
    mdp: TabularMDP,
    gamma: float,
    tol: float = 1e-8,
    max_iter: int | None = None,
    v0: Any = None,
    threads: int | None = None,
) -> PlanResult:
    """Jacobi value iteration stopped by the McQueen-Porteus bounds (see the module docstring).

    Parameters
    ----------
    mdp : TabularMDP
    gamma : float in [0, 1)
    tol : float
        Stop when the span of a step's change is below ``2 tol``; the returned values are then
        within ``tol * gamma / (1 - gamma)`` of ``V*`` (as :func:`planners.value_iteration`'s).
    max_iter : int, optional
        Most steps; default: those after which plain value iteration would have met ``tol``.
    v0 : array_like (S,), optional
        Initial values (default zeros).
    threads : int, optional
        Numba threads for the sweeps (at most numba's pool); default :func:`default_threads`: all
        of numba's threads on models of at least :data:`PARALLEL_MIN_SLOTS` outcome slots, one
        below.  The same values, bit for bit, with any count.

    Returns
    -------
    PlanResult
        ``residuals[i]``: the span of step ``i``'s change; ``method`` ``"span_value_iteration"``.
    """
    if not isinstance(mdp, TabularMDP):
        raise MDPError(f"span_value_iteration needs a TabularMDP, got {type(mdp).__name__}")
    g = check_gamma(gamma)
    if g >= 1.0:
        raise ValueError(f"gamma must be in [0, 1) (the bounds need discounting), got {gamma!r}")
    t = check_tol(tol)
    t0 = time.perf_counter()
    from . import _sparse_kernels as SK
    from .solvers import TIE_RTOL

    S = mdp.n_states
    v = np.zeros(S) if v0 is None else np.array(v0, dtype=np.float64)
    if v.shape != (S,) or not np.isfinite(v).all():
        raise ValueError(f"v0 must be finite with shape ({S},), got shape {v.shape}")
    v[mdp.terminal] = 0.0
    rsa = mdp.expected_reward
    if max_iter is None:
        rmax = 2.0 * float(np.abs(rsa).max(initial=0.0)) + (1.0 + g) * float(np.abs(v).max(initial=0.0))
        max_iter = 10 if rmax <= t or g == 0.0 else int(math.ceil(math.log(t / rmax) / math.log(g))) + 10
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    n_threads = default_threads(mdp.next_state.size) if threads is None else check_threads(threads)
    arrays = (mdp.next_state, mdp.prob, rsa, mdp.terminal, g)
    w = np.empty(S)
    spans: list[float] = []
    q = np.empty((S, mdp.n_actions))
    pol = np.empty(S, dtype=np.int64)
    with numba_threads(n_threads) if n_threads > 1 else contextlib.nullcontext():
        while len(spans) < max_iter:
            if n_threads > 1:
                lo, hi = SK.nonzero_bellman_sweep_parallel(*arrays, v, w, _BLOCK)
            else:
                lo, hi = SK.nonzero_bellman_sweep(*arrays, v, w)
            spans.append(hi - lo)
            v, w = w, v
            if spans[-1] < 2.0 * t:
                v[~mdp.terminal] += g / (1.0 - g) * (lo + hi) / 2.0
                break
        if n_threads > 1:
            SK.nonzero_q_values_parallel(*arrays, v, q, pol, TIE_RTOL, _BLOCK)
        else:
            SK.nonzero_q_values(*arrays, v, q, pol, TIE_RTOL)
    converged = bool(spans) and spans[-1] < 2.0 * t
    if not converged:
        warnings.warn(
            f"span_value_iteration stopped after {len(spans)} steps with span {spans[-1]:.3g} >= 2 tol={2 * t:g}: "
            "raise max_iter",
            ConvergenceWarning,
            stacklevel=2,
        )
    return PlanResult(
        values=v,
        policy=pol,
        q=q,
        iterations=len(spans),
        converged=converged,
        residuals=np.asarray(spans),
        wall_time=time.perf_counter() - t0,
        method="span_value_iteration",
        gamma=g,
        value_error=g / (1.0 - g) * spans[-1] / 2 if spans else math.inf,  # the midpoint's McQueen-Porteus bound
    )
