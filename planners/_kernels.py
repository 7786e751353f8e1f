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

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "batch_value_iteration",
    "bellman_sweep",
    "bellman_sweep_parallel",
    "improper_states",
    "label_correcting",
    "policy_sweep",
    "q_values",
]


_PREFETCH_AHEAD = 192  # states: far enough ahead to hide DRAM latency, near enough to stay in L2


@intrinsic
def _prefetch(typingctx, arr, idx):  # pragma: no cover - compiled
    """``llvm.prefetch`` (read, high locality) of ``arr.ravel()[idx]``: a hint, never a fault.

    Single-threaded, a sweep's six streams (successors, probabilities, rewards, flags, values
    in and out) keep too few cache misses in flight for the hardware prefetchers alone to reach
    the memory bandwidth; prefetching the rows of the state ``_PREFETCH_AHEAD`` ahead does.
    """
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        name = "llvm.prefetch.p0" if getattr(ptr.type, "is_opaque", True) else "llvm.prefetch.p0i8"
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


def _prefetch_noop(arr: Any, idx: Any) -> None:
    """Stand-in for the ``llvm.prefetch`` intrinsic when numba's JIT is disabled (coverage runs)."""


if getattr(numba.config, "DISABLE_JIT", False):  # the kernels run as Python: a hint has nothing to do
    _prefetch = _prefetch_noop  # type: ignore[assignment]


@njit(cache=True, nogil=True)
def bellman_sweep(ns, pr, rsa, term, gamma, v_in, v_out, order):
    """One Bellman optimality sweep ``v_out = T v_in`` over ``order``; returns ``max |change|``.

    The plain state order (an empty ``order``) of the grid's shapes, four actions with one
    outcome (deterministic) or three (slippery), has loops of its own, tuned for memory
    bandwidth and bit-identical to the general loop (same operations in the same order): the
    rows of the state ``_PREFETCH_AHEAD`` ahead are prefetched, successor indices are used
    unsigned (no negative-index wraparound: the model guarantees ``0 <= ns < S``), and the
    action loop is unrolled.  Every other case runs the general loop.
    """
    S, A, K = ns.shape
    AK = A * K
    nsf = ns.reshape(S * AK)  # flat views, for the prefetches only
    prf = pr.reshape(S * AK)
    rf = rsa.reshape(S * A)
    D = _PREFETCH_AHEAD
    res = 0.0
    if order.shape[0] == 0 and K == 1 and A == 4:
        for s in range(S):
            if s + D < S:
                t = s + D
                _prefetch(nsf, t * AK)
                _prefetch(prf, t * AK)
                _prefetch(prf, t * AK + AK - 1)
                _prefetch(rf, t * A)
            if term[s]:
                v_out[s] = 0.0
                continue
            best = max(-np.inf, rsa[s, 0] + gamma * (pr[s, 0, 0] * v_in[np.uint32(ns[s, 0, 0])]))
            best = max(best, rsa[s, 1] + gamma * (pr[s, 1, 0] * v_in[np.uint32(ns[s, 1, 0])]))
            best = max(best, rsa[s, 2] + gamma * (pr[s, 2, 0] * v_in[np.uint32(ns[s, 2, 0])]))
            best = max(best, rsa[s, 3] + gamma * (pr[s, 3, 0] * v_in[np.uint32(ns[s, 3, 0])]))
            res = max(res, abs(best - v_in[s]))
            v_out[s] = best
        return res
    if order.shape[0] == 0 and K == 3 and A == 4:
        for s in range(S):
            if s + D < S:
                t = s + D
                _prefetch(nsf, t * AK)
                _prefetch(prf, t * AK)
                _prefetch(prf, t * AK + AK - 1)
                _prefetch(rf, t * A)
            if term[s]:
                v_out[s] = 0.0
                continue
            best = -np.inf
            for a in (0, 1, 2, 3):  # unrolled
                acc = pr[s, a, 0] * v_in[np.uint32(ns[s, a, 0])] + pr[s, a, 1] * v_in[np.uint32(ns[s, a, 1])]
                acc += pr[s, a, 2] * v_in[np.uint32(ns[s, a, 2])]
                best = max(best, rsa[s, a] + gamma * acc)
            res = max(res, abs(best - v_in[s]))
            v_out[s] = best
        return res
    # the general loop: any order, any K
    n = order.shape[0] if order.shape[0] > 0 else S
    for i in range(n):
        s = order[i] if order.shape[0] > 0 else i
        if term[s]:
            v_out[s] = 0.0
            continue
        best = -np.inf
        if K == 1:  # deterministic: unrolled, branch-free maximum (same arithmetic, same bits)
            for a in range(A):
                best = max(best, rsa[s, a] + gamma * (pr[s, a, 0] * v_in[ns[s, a, 0]]))
        elif K == 3:  # the slippery grid
            for a in range(A):
                acc = pr[s, a, 0] * v_in[ns[s, a, 0]] + pr[s, a, 1] * v_in[ns[s, a, 1]]
                acc += pr[s, a, 2] * v_in[ns[s, a, 2]]
                best = max(best, rsa[s, a] + gamma * acc)
        else:
            for a in range(A):
                acc = 0.0
                for k in range(K):
                    acc += pr[s, a, k] * v_in[ns[s, a, k]]
                best = max(best, rsa[s, a] + gamma * acc)
        res = max(res, abs(best - v_in[s]))
        v_out[s] = best
    return res


@njit(cache=True, nogil=True, parallel=True)
def bellman_sweep_parallel(ns, pr, rsa, term, gamma, v_in, v_out, block):
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
            if K == 1:  # deterministic: unrolled, branch-free maximum (same arithmetic, same bits)
                for a in range(A):
                    best = max(best, rsa[s, a] + gamma * (pr[s, a, 0] * v_in[ns[s, a, 0]]))
            elif K == 3:  # the slippery grid
                for a in range(A):
                    acc = pr[s, a, 0] * v_in[ns[s, a, 0]] + pr[s, a, 1] * v_in[ns[s, a, 1]]
                    acc += pr[s, a, 2] * v_in[ns[s, a, 2]]
                    best = max(best, rsa[s, a] + gamma * acc)
            else:
                for a in range(A):
                    acc = 0.0
                    for k in range(K):
                        acc += pr[s, a, k] * v_in[ns[s, a, k]]
                    best = max(best, rsa[s, a] + gamma * acc)
            res = max(res, abs(best - v_in[s]))
            v_out[s] = best
        blockres[b] = res
    return blockres.max()


@njit(cache=True, nogil=True)
def policy_sweep(ns, pr, rsa, term, gamma, policy, v_in, v_out, order):
    """One policy-evaluation sweep ``v_out = T_policy v_in`` over ``order``; returns ``max |change|``."""
    S, _A, K = ns.shape
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
def q_values(ns, pr, rsa, term, gamma, v, q, policy, tie_rtol):
    """Fill ``q[s, a]`` with the look-ahead of ``v`` and ``policy[s]`` with its greedy action.

    Actions within ``tie_rtol * max(1, |max_a q|)`` of the best tie; the lowest index wins.
    Terminal states: Q-values 0, action 0.
    """
    S, A, K = ns.shape
    for s in range(S):
        if term[s]:
            for a in range(A):
                q[s, a] = 0.0
            policy[s] = 0
            continue
        best = -np.inf
        for a in range(A):
            acc = 0.0
            for k in range(K):
                acc += pr[s, a, k] * v[ns[s, a, k]]
            qa = rsa[s, a] + gamma * acc
            q[s, a] = qa
            if qa > best:
                best = qa
        thr = best - tie_rtol * max(1.0, abs(best))
        for a in range(A):
            if q[s, a] >= thr:
                policy[s] = a
                break


@njit(cache=True, nogil=True)
def label_correcting(ns, pr, rsa, term, zero, gamma, v, order, max_pushes):
    """Values of the "most likely outcome" MDP, propagated outward from the terminal states.

    For each live ``(s, a)`` only its most likely outcome ``(p, s')`` is kept, so
    ``q(s, a) = rsa[s, a] + gamma * p * v[s']`` -- for a deterministic MDP (``p = 1``) exactly
    the Bellman look-ahead.  Terminals start at 0, every other state at ``-inf``; a FIFO queue
    (Bellman-Ford-Moore label correcting) relaxes the predecessors of each state whose value
    rose.  Values only increase, each is the return of an actual path, and when the queue
    empties no look-ahead can raise any value: the values are then the fixed point of the
    deterministic Bellman equation on every state that reaches a terminal.  On a grid with a
    uniform living reward the queue visits states in breadth-first order and each value is
    final when first set, so this is ``O(S A)``.  After ``max_pushes`` queue insertions
    (e.g. a positive cycle at ``gamma = 1``) it gives up, leaving lower bounds.

    Writes ``v`` (``-inf`` where no terminal is reached) and, in ``order``, the states in the
    order they first left the queue (terminals first).  Returns ``(n_ordered, finished)``.
    """
    S, A, K = ns.shape
    # predecessor lists (CSR over successors) of live (s, a) pairs, with their reward and probability
    succ = np.empty(S * A, dtype=np.int32)
    psucc = np.empty(S * A)
    counts = np.zeros(S + 1, dtype=np.int64)
    for s in range(S):
        for a in range(A):
            kb = 0
            for k in range(1, K):
                if pr[s, a, k] > pr[s, a, kb]:
                    kb = k
            t = ns[s, a, kb]
            succ[s * A + a] = t
            psucc[s * A + a] = pr[s, a, kb]
            if not term[s] and t != s:
                counts[t + 1] += 1
    for t in range(S):
        counts[t + 1] += counts[t]
    fill = counts[:-1].copy()
    pred_s = np.empty(counts[S], dtype=np.int32)
    pred_r = np.empty(counts[S])
    pred_p = np.empty(counts[S])
    for s in range(S):
        if term[s]:
            continue
        for a in range(A):
            t = succ[s * A + a]
            if t != s:
                j = fill[t]
                pred_s[j] = s
                pred_r[j] = rsa[s, a]
                pred_p[j] = psucc[s * A + a]
                fill[t] = j + 1
    queue = np.empty(S, dtype=np.int32)
    inq = np.zeros(S, dtype=np.bool_)
    seen = np.zeros(S, dtype=np.bool_)
    head = 0
    size = 0
    for s in range(S):
        if term[s] or zero[s]:
            v[s] = 0.0
            queue[size] = s
            inq[s] = True
            size += 1
        else:
            v[s] = -np.inf
    n_ordered = 0
    pushes = 0
    while size > 0 and pushes <= max_pushes:
        t = queue[head]
        head += 1
        if head == S:
            head = 0
        size -= 1
        inq[t] = False
        if not seen[t]:
            seen[t] = True
            order[n_ordered] = t
            n_ordered += 1
        vt = v[t]
        for j in range(counts[t], counts[t + 1]):
            s = pred_s[j]
            cand = pred_r[j] + gamma * (pred_p[j] * vt)
            if cand > v[s]:
                v[s] = cand
                if not inq[s]:
                    inq[s] = True
                    tail = head + size
                    if tail >= S:
                        tail -= S
                    queue[tail] = s
                    size += 1
                    pushes += 1
    return n_ordered, size == 0


@njit(cache=True, nogil=True)
def improper_states(ns, pr, term, policy, out):
    """``out[s]``: live ``s`` from which ``policy`` fails to reach a terminal with probability 1.

    The kernel twin of :func:`planners._proper.improper_mask` (kept apart: NumPy for small
    MDPs, so that planning them never loads numba): a depth-first search over the reversed
    outcomes of positive probability marks the states that reach a terminal, a second one
    the states that reach any other.  ``O(S K)``.
    """
    S, _A, K = ns.shape
    start = np.zeros(S + 1, dtype=np.int64)
    for s in range(S):
        if not term[s]:
            for k in range(K):
                if pr[s, policy[s], k] > 0:
                    start[ns[s, policy[s], k] + 1] += 1
    for t in range(S):
        start[t + 1] += start[t]
    fill = start[:-1].copy()
    pred = np.empty(start[S], dtype=np.int32)
    for s in range(S):
        if not term[s]:
            for k in range(K):
                if pr[s, policy[s], k] > 0:
                    t = ns[s, policy[s], k]
                    pred[fill[t]] = s
                    fill[t] += 1
    reach = term.copy()
    for phase in range(2):  # 0: reach a terminal; 1: reach a state of phase 0's complement
        mark = reach if phase == 0 else out
        stack = np.empty(S, dtype=np.int64)
        top = 0
        for s in range(S):
            if phase == 1:
                out[s] = not reach[s]
            if mark[s]:
                stack[top] = s
                top += 1
        while top > 0:
            top -= 1
            t = stack[top]
            for j in range(start[t], start[t + 1]):
                s = pred[j]
                if not mark[s]:
                    mark[s] = True
                    stack[top] = s
                    top += 1


@njit(cache=True, nogil=True, parallel=True)
def batch_value_iteration(ns, pr, rsa_b, term, gammas, tol, max_iter, v_b, iters, res):
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
