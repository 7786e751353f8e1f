"""Numba kernels over the non-zero outcomes only (CSR by state-action pair) for large sparse MDPs.

``ptr`` int64 ``(S * A + 1,)``: the outcomes of pair ``(s, a)`` are ``idx[ptr[s*A+a]:ptr[s*A+a+1]]``
(int32 successors) with probabilities ``data[...]`` (float64), in the order of the padded
``(S, A, K)`` arrays with the probability-0 slots dropped.  The look-ahead adds the outcomes to
0.0 in that order, as the general loop of :func:`planners._kernels.bellman_sweep` does; the
dropped slots there add ``0.0 * v``, i.e. nothing, so the values are the same bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["csr_bellman_sweep", "csr_q_values"]


@njit(cache=True, nogil=True)
def csr_bellman_sweep(ptr, idx, data, rsa, term, gamma, v_in, v_out):
    """Jacobi sweep ``v_out = T v_in``; returns ``(min, max)`` of ``v_out - v_in`` over every state."""
    S, A = rsa.shape
    lo, hi = np.inf, -np.inf
    for s in range(S):
        best = 0.0
        if not term[s]:
            best = -np.inf
            for a in range(A):
                acc = 0.0
                for j in range(ptr[s * A + a], ptr[s * A + a + 1]):
                    acc += data[j] * v_in[np.uint32(idx[j])]
                best = max(best, rsa[s, a] + gamma * acc)
        v_out[s] = best
        d = best - v_in[s]
        lo = min(lo, d)
        hi = max(hi, d)
    return lo, hi


@njit(cache=True, nogil=True)
def csr_q_values(ptr, idx, data, rsa, term, gamma, v, q, policy, tie_rtol):
    """As :func:`planners._kernels.q_values` (ties within ``tie_rtol`` to the lowest action)."""
    S, A = rsa.shape
    for s in range(S):
        if term[s]:
            q[s, :] = 0.0
            policy[s] = 0
            continue
        best = -np.inf
        for a in range(A):
            acc = 0.0
            for j in range(ptr[s * A + a], ptr[s * A + a + 1]):
                acc += data[j] * v[np.uint32(idx[j])]
            q[s, a] = rsa[s, a] + gamma * acc
            best = max(best, q[s, a])
        thr = best - tie_rtol * max(1.0, abs(best))
        for a in range(A):
            if q[s, a] >= thr:
                policy[s] = a
                break
