"""Numba kernels of the planners: plain contiguous arrays in, plain arrays out.

Fixed argument types, so each kernel compiles once (and is cached on disk):
``ns`` int32 (S, A, K), ``pr`` float64 (S, A, K), ``rsa`` float64 (S, A) expected rewards,
``term`` bool (S,), ``gamma`` float, values float64 (S,), ``order`` / ``policy`` int64.
The callers in :mod:`planners.solvers` validate; the kernels trust their inputs.

All sweeps compute ``q(s, a) = rsa[s, a] + gamma * sum_k pr[s, a, k] * v[ns[s, a, k]]`` and
return the sup-norm change of the values they wrote.  Passing the same array as ``v_in`` and
``v_out`` makes a sweep in-place (Gauss-Seidel): later states see the new values of earlier
ones.  ``order`` lists the states to update in that order (an empty array: ``0..S-1``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "bellman_sweep",
    "bellman_sweep_parallel",
    "policy_sweep",
    "q_values",
    "label_setting",
    "batch_value_iteration",
]


@njit(cache=True, nogil=True)
def bellman_sweep(ns, pr, rsa, term, gamma, v_in, v_out, order):  # pragma: no cover - compiled
    """One Bellman optimality sweep ``v_out = T v_in`` over ``order``; returns ``max |change|``."""
    S, A, K = ns.shape
    n = order.shape[0] if order.shape[0] > 0 else S
    res = 0.0
    for i in range(n):
        s = order[i] if order.shape[0] > 0 else i
        if term[s]:
            v_out[s] = 0.0
            continue
        best = -np.inf
        for a in range(A):
            acc = 0.0
            for k in range(K):
                acc += pr[s, a, k] * v_in[ns[s, a, k]]
            q = rsa[s, a] + gamma * acc
            if q > best:
                best = q
        d = abs(best - v_in[s])
        if d > res:
            res = d
        v_out[s] = best
    return res


@njit(cache=True, nogil=True, parallel=True)
def bellman_sweep_parallel(ns, pr, rsa, term, gamma, v_in, v_out, block):  # pragma: no cover - compiled
    """A Jacobi :func:`bellman_sweep` split into blocks of ``block`` states across threads."""
    S, A, K = ns.shape
    nb = (S + block - 1) // block
    blockres = np.zeros(nb)
    for b in prange(nb):
        lo = b * block
        hi = min(lo + block, S)
        res = 0.0
        for s in range(lo, hi):
            if term[s]:
                v_out[s] = 0.0
                continue
            best = -np.inf
            for a in range(A):
                acc = 0.0
                for k in range(K):
                    acc += pr[s, a, k] * v_in[ns[s, a, k]]
                q = rsa[s, a] + gamma * acc
                if q > best:
                    best = q
            d = abs(best - v_in[s])
            if d > res:
                res = d
            v_out[s] = best
        blockres[b] = res
    return blockres.max()


@njit(cache=True, nogil=True)
def policy_sweep(ns, pr, rsa, term, gamma, policy, v_in, v_out, order):  # pragma: no cover - compiled
    """One policy-evaluation sweep ``v_out = T_policy v_in`` over ``order``; returns ``max |change|``."""
    S, A, K = ns.shape
    n = order.shape[0] if order.shape[0] > 0 else S
    res = 0.0
    for i in range(n):
        s = order[i] if order.shape[0] > 0 else i
        if term[s]:
            v_out[s] = 0.0
            continue
        a = policy[s]
        acc = 0.0
        for k in range(K):
            acc += pr[s, a, k] * v_in[ns[s, a, k]]
        val = rsa[s, a] + gamma * acc
        d = abs(val - v_in[s])
        if d > res:
            res = d
        v_out[s] = val
    return res


@njit(cache=True, nogil=True)
def q_values(ns, pr, rsa, term, gamma, v, q):  # pragma: no cover - compiled
    """Fill ``q[s, a]`` with the one-step look-ahead of ``v`` (0 at terminal states)."""
    S, A, K = ns.shape
    for s in range(S):
        if term[s]:
            for a in range(A):
                q[s, a] = 0.0
            continue
        for a in range(A):
            acc = 0.0
            for k in range(K):
                acc += pr[s, a, k] * v[ns[s, a, k]]
            q[s, a] = rsa[s, a] + gamma * acc


@njit(cache=True, nogil=True)
def label_setting(ns, pr, rsa, term, gamma, v, order):  # pragma: no cover - compiled
    """Dijkstra-like values of a deterministic MDP, processed from the terminals outward.

    For each non-terminal ``s`` and action ``a`` the certain successor is the outcome with
    the largest probability.  Terminal states are settled at 0; then the unsettled state with
    the largest tentative value ``max_a rsa[s, a] + gamma * v[succ]`` over settled successors
    is settled next (a binary max-heap with lazy deletion), and its predecessors relaxed.
    Writes the values to ``v`` (states never reached keep ``-inf``), the settling order to
    ``order``, and returns the number of states settled.  Exact when every settled value is
    at least what any later state could offer back (e.g. non-positive rewards between
    non-terminal states and ``v >= r / (1 - gamma)``); the caller verifies with a Bellman sweep.
    """
    S, A, K = ns.shape
    # certain successor of each (s, a)
    succ = np.empty(S * A, dtype=np.int32)
    for s in range(S):
        for a in range(A):
            kb = 0
            for k in range(1, K):
                if pr[s, a, k] > pr[s, a, kb]:
                    kb = k
            succ[s * A + a] = ns[s, a, kb]
    # predecessor lists (CSR over successors) of live (s, a) pairs
    counts = np.zeros(S + 1, dtype=np.int64)
    for s in range(S):
        if term[s]:
            continue
        for a in range(A):
            t = succ[s * A + a]
            if t != s:
                counts[t + 1] += 1
    for t in range(S):
        counts[t + 1] += counts[t]
    fill = counts[:-1].copy()
    pred = np.empty(counts[S], dtype=np.int32)
    for s in range(S):
        if term[s]:
            continue
        for a in range(A):
            t = succ[s * A + a]
            if t != s:
                pred[fill[t]] = s * A + a
                fill[t] += 1
    settled = np.zeros(S, dtype=np.bool_)
    for s in range(S):
        v[s] = -np.inf
    # heap of (value, state); lazy: stale entries are skipped when popped
    cap = counts[S] + S + 1
    hv = np.empty(cap)
    hs = np.empty(cap, dtype=np.int32)
    size = 0
    n_settled = 0
    for t in range(S):
        if term[t]:
            v[t] = 0.0
            settled[t] = True
            order[n_settled] = t
            n_settled += 1
    # relax the predecessors of every terminal, then pop the best
    for t in range(S):
        if not term[t]:
            continue
        for j in range(counts[t], counts[t + 1]):
            sa = pred[j]
            s = sa // A
            cand = rsa[s, sa - s * A] + gamma * v[t]
            if cand > v[s]:
                v[s] = cand
                # push
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hv[p] >= cand:
                        break
                    hv[i] = hv[p]
                    hs[i] = hs[p]
                    i = p
                hv[i] = cand
                hs[i] = s
    while size > 0:
        top_v = hv[0]
        top_s = hs[0]
        # pop
        size -= 1
        lv = hv[size]
        ls = hs[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hv[c + 1] > hv[c]:
                c += 1
            if hv[c] <= lv:
                break
            hv[i] = hv[c]
            hs[i] = hs[c]
            i = c
        hv[i] = lv
        hs[i] = ls
        if settled[top_s] or top_v < v[top_s]:
            continue
        settled[top_s] = True
        order[n_settled] = top_s
        n_settled += 1
        for j in range(counts[top_s], counts[top_s + 1]):
            sa = pred[j]
            s = sa // A
            if settled[s]:
                continue
            cand = rsa[s, sa - s * A] + gamma * v[top_s]
            if cand > v[s]:
                v[s] = cand
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hv[p] >= cand:
                        break
                    hv[i] = hv[p]
                    hs[i] = hs[p]
                    i = p
                hv[i] = cand
                hs[i] = s
    return n_settled


@njit(cache=True, nogil=True, parallel=True)
def batch_value_iteration(ns, pr, rsa_b, term, gammas, tol, max_iter, v_b, iters, res):  # pragma: no cover
    """Solve ``B`` problems sharing ``ns``/``pr``/``term`` (rewards ``rsa_b[b]``, discount ``gammas[b]``).

    In-place (Gauss-Seidel) sweeps from ``v_b[b]`` until the change is below ``tol`` or
    ``max_iter`` sweeps; one problem per thread.  Writes ``iters[b]`` and the last change
    ``res[b]``.
    """
    B = rsa_b.shape[0]
    empty = np.empty(0, dtype=np.int64)
    for b in prange(B):
        v = v_b[b]
        n = 0
        r = np.inf
        while n < max_iter:
            r = bellman_sweep(ns, pr, rsa_b[b], term, gammas[b], v, v, empty)
            n += 1
            if r < tol:
                break
        iters[b] = n
        res[b] = r
