"""Numba kernels over the non-zero outcomes only, for large sparse MDPs.

They read the padded ``(S, A, K)`` arrays in place and skip the probability-0 slots (a model
with 10-20 successors per pair pads to 20 slots): the look-ahead adds the remaining outcomes to
0.0 in slot order, as the general loop of :func:`planners._kernels.bellman_sweep` does; the
skipped slots there add ``0.0 * v``, i.e. nothing, so the values are the same bits.  Reading the
padded rows in place measured faster than a CSR copy of the non-zero outcomes (1,000,000
states, 45 million non-zeros: 0.35 s against 0.49 s a sweep, same run) and needs no copy
(0.5 GB and 0.3-2.7 s there).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["nonzero_bellman_sweep", "nonzero_q_values"]


@njit(cache=True, nogil=True, inline="always")
def _expected_next(ns, pr, v, s, a):
    """``sum_k pr[s, a, k] * v[ns[s, a, k]]`` over the non-zero slots, added to 0.0 in slot order."""
    acc = 0.0
    for k in range(ns.shape[2]):
        p = pr[s, a, k]
        if p > 0.0:
            acc += p * v[np.uint32(ns[s, a, k])]
    return acc


@njit(cache=True, nogil=True)
def nonzero_bellman_sweep(ns, pr, rsa, term, gamma, v_in, v_out):
    """Jacobi sweep ``v_out = T v_in``; returns ``(min, max)`` of ``v_out - v_in`` over every state."""
    S, A = rsa.shape
    lo, hi = np.inf, -np.inf
    for s in range(S):
        best = 0.0
        if not term[s]:
            best = -np.inf
            for a in range(A):
                best = max(best, rsa[s, a] + gamma * _expected_next(ns, pr, v_in, s, a))
        v_out[s] = best
        d = best - v_in[s]
        lo = min(lo, d)
        hi = max(hi, d)
    return lo, hi


@njit(cache=True, nogil=True)
def nonzero_q_values(ns, pr, rsa, term, gamma, v, q, policy, tie_rtol):
    """As :func:`planners._kernels.q_values` (ties within ``tie_rtol`` to the lowest action)."""
    S, A = rsa.shape
    for s in range(S):
        if term[s]:
            q[s, :] = 0.0
            policy[s] = 0
            continue
        best = -np.inf
        for a in range(A):
            q[s, a] = rsa[s, a] + gamma * _expected_next(ns, pr, v, s, a)
            best = max(best, q[s, a])
        thr = best - tie_rtol * max(1.0, abs(best))
        for a in range(A):
            if q[s, a] >= thr:
                policy[s] = a
                break
