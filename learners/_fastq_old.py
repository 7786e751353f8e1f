r"""The seed-sweep kernel: Q-learning with a constant step size and epsilon-greedy behaviour,
``LANES`` agents stepped in lockstep, for worlds with at most four actions.

It applies, per agent, exactly the arithmetic of :func:`learners._rules.learn_step` +
:func:`learners._core.select` for this case and consumes the same random draws, so its tables are
bit-identical to the generic kernel's and to :func:`learners.learn`'s (the replay tests check it):

* transition: outcome ``k`` of ``(s, a)`` from the env stream (no draw when ``K == 1``),
  ``s' = next_state[s, a, k]``, ``r = reward[s, a, k]``, ``done = absorbing[s']``; the episode
  ends on ``done`` or after ``max_len`` steps (then ``s'`` still bootstraps);
* update: ``n(s, a) += 1``, ``Q(s, a) += alpha ((r + gamma max_b Q(s', b)) - Q(s, a))``
  (``max_b Q(s', b) := 0`` when ``done``);
* behaviour in the next state (``s'``, or a start state drawn from the env stream when the episode
  ended): ``epsilon_t = max(epsilon_min, epsilon / (1 + t / epsilon_decay))`` (or constant); when
  ``epsilon_t > 0``, draw ``u1``: explore if ``u1 < epsilon_t``, then a second draw ``u2`` gives the
  action ``floor(u2 A)``; otherwise greedy: the actions within ``TIE_RTOL max(1, |max Q|)`` of the
  maximum tie, and with ``nt > 1`` of them a second draw ``u2`` picks the ``floor(u2 nt)``-th.

Both candidate second draws are the same word of the SplitMix64 stream (the one after ``u1``), so the
kernel computes it unconditionally and advances the counter by the number of draws actually
consumed, without branching on the exploration coin.  Why it is fast (measured in
``benchmarks/learners.py``): the random state lives in a register (a counter plus a mixing
function, :func:`learners._rng.mix`); the tables are flat with states stored as row offsets
``s A`` in unsigned integers (no wrap-around fix-up on the index chain); rows are read as four
scalars (padding ``-inf`` for ``A < 4``, exact because the values are finite: ``alpha <= 1`` and
finite rewards keep them bounded); exploration, episode ends (next row: the start row) and terminal
targets (bootstrap row: a row of zeros, the unused ``Q2`` table's first row, which Q-learning keeps
at 0) are selects, not branches, so the 10 % exploration coin and the episode ends do not
mispredict; and ``LANES`` independent agents interleave so that the CPU overlaps their dependency
chains ``s -> Q[s] -> a -> s'``.

Kept apart from :func:`learners._kernel.run_batch` on purpose (the hot loop of seed sweeps); the
dispatch (:func:`learners.api._fast`) sends every other case to the generic kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core.codegen import ll as llvm  # numba's own handle on its code generator (llvmlite)

from planners import TIE_RTOL

from ._core import H_ALPHA, H_EPS, H_EPS_DECAY, H_EPS_MIN, H_GAMMA, SC_T, SC_UPDATES, T_N, T_Q, T_Q2
from ._rng import GOLDEN, unit

__all__ = ["LANES", "MAX_ACTIONS", "run_q_learning"]

#: agents stepped together (independent dependency chains for the CPU to overlap)
LANES = 4
#: the widest action set the kernel handles (rows are read as four scalars)
MAX_ACTIONS = 4

#: LLVM's x86 cmov-converter turns the kernel's selects (episode end -> start row, terminal ->
#: zero row) back into branches, which a 17 % coin mispredicts; the kernel is compiled with it
#: off (measured 15-50 % faster, benchmarks/learners.py).  LLVM options are process-wide, so it
#: is switched off only while this module's kernel is called (and compiled on its first call),
#: and back on after: other numba code compiled in the process is not affected.  Codegen only:
#: no result changes.
_X86 = llvm.get_process_triple().startswith("x86_64")


def _cmov_converter(on: bool) -> None:
    if _X86:
        llvm.set_option("", f"-x86-cmov-converter={'true' if on else 'false'}")


_NEG = -np.inf
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
_THREE = np.uint64(3)


@njit(cache=True)
def _kth(v0: float, v1: float, v2: float, v3: float, lo: float, k: int) -> int:
    """The ``k``-th (from 0) of the actions whose value is ``>= lo``."""
    c = 0
    if v0 >= lo:
        if k == 0:
            return 0
        c += 1
    if v1 >= lo:
        if k == c:
            return 1
        c += 1
    if v2 >= lo:
        if k == c:
            return 2
    return 3


@njit(cache=True)
def _pick(v0: float, v1: float, v2: float, v3: float, A: int, eps: float, st: np.uint64) -> tuple[int, np.uint64]:
    """The behaviour action on row values ``v`` and the stream counter after its draws.

    Scalars only (no arrays), so the call stays cheap where the compiler does not inline it.
    """
    best = max(max(v0, v1), max(v2, v3))
    amax = int(v1 == best) + 2 * int(v2 == best) + 3 * int(v3 == best)  # the argmax when it is unique
    lo = best - TIE_RTOL * max(abs(best), 1.0)
    nt = int(v0 >= lo) + int(v1 >= lo) + int(v2 >= lo) + int(v3 >= lo)
    on = np.uint64(eps > 0.0)
    s1 = st + GOLDEN * on
    ex = int(on != _ZERO) & int(unit(s1) < eps)
    u2 = unit(s1 + GOLDEN)
    ar = min(int(u2 * A), A - 1)
    tie = int(nt > 1)
    ag = amax
    if tie:
        ag = _kth(v0, v1, v2, v3, lo, min(int(u2 * nt), nt - 1))
    return ag + (ar - ag) * ex, s1 + GOLDEN * np.uint64(ex | tie)


@njit(cache=True)
def _row(q: np.ndarray, p: np.uint64, A: int) -> tuple[float, float, float, float]:
    """The four values of row offset ``p`` (``-inf`` beyond ``A``)."""
    v1 = q[p + _ONE] if A > 1 else _NEG
    v2 = q[p + _TWO] if A > 2 else _NEG
    v3 = q[p + _THREE] if A > 3 else _NEG
    return q[p], v1, v2, v3


@njit(cache=True)
def _outcome(prf: np.ndarray, base: np.uint64, K: int, se: np.uint64) -> tuple[int, np.uint64]:
    """:func:`learners._kernel.sample_outcome` on the flat probabilities (the same subtractions)."""
    se = se + GOLDEN
    u = unit(se)
    last = 0
    for k in range(K):
        pk = prf[base + np.uint64(k)]
        if pk > 0.0:
            last = k
            u -= pk
            if u < 0.0:
                return k, se
    return last, se


@njit(cache=True)
def _start(start_p: np.ndarray, cdf: np.ndarray, se: np.uint64) -> tuple[np.uint64, np.uint64]:
    """:func:`learners._kernel.sample_start` (row offset; one env draw when there are several starts)."""
    if start_p.shape[0] == 1:
        return start_p[0], se
    se = se + GOLDEN
    u = unit(se)
    for i in range(start_p.shape[0]):
        if u < cdf[i]:
            return start_p[i], se
    return start_p[-1], se


@njit(cache=True)
def _epsilon(c: tuple[float, float, float, float, float], t: float) -> float:
    """:func:`learners._core.epsilon_at` on a lane's constants ``c = (alpha, gamma, eps, decay, eps_min)``."""
    eps = c[2]
    if c[3] > 0.0:
        eps = max(c[4], eps / (1.0 + t / c[3]))
    return eps


@njit(cache=True)
def _step(env, rare, q, n, c, x):
    """One step of one lane: ``x = (p, a, st, se, length, t, episodes)`` -> the next ``x``.

    ``rare`` is None for a deterministic world with one start state (numba then compiles the
    step without the env stream's draws, small enough to be inlined in the lane loop), else
    ``(flat probabilities, K)``.
    """
    nxt, rwd, abf, start_p, cdf, A, lim, p0, zrow = env
    p0, zrow = np.uint64(p0), np.uint64(zrow)  # (they arrive from Python as int64)
    p, a, st, se, length, t, ne = x
    j = p + np.uint64(a)
    o = j
    if rare is not None:
        prf, K = rare
        k, se = _outcome(prf, j * np.uint64(K), K, se)
        o = j * np.uint64(K) + np.uint64(k)
    p2 = nxt[o]
    done = abf[p2]
    length += 1
    t += 1.0
    n[j] += 1.0
    w0, w1, w2, w3 = _row(q, zrow if done else p2, A)  # a terminal s' bootstraps from a row of zeros
    boot = max(max(w0, w1), max(w2, w3))
    old = q[j]
    q[j] = old + c[0] * (rwd[o] + c[1] * boot - old)
    end = done or length >= lim
    pn = p0 if end else p2
    if rare is not None:
        if end:
            pn, se = _start(start_p, cdf, se)
    v0, v1, v2, v3 = _row(q, pn, A)
    a2, st = _pick(v0, v1, v2, v3, A, _epsilon(c, t), st)
    return pn, a2, st, se, 0 if end else length, t, ne + int(end)


def _tables(ns, pr, rw, absorbing, starts, cdf, max_len):
    """The env as flat arrays indexed by row offsets ``s A + a`` (outcome ``k`` at ``(s A + a) K + k``).

    NumPy, not numba (nothing to compile); returns ``env`` and ``rare = (probabilities, K)``.
    """
    S, A, K = ns.shape
    nxt = np.ascontiguousarray((ns.astype(np.int64) * A).astype(np.uint64).ravel())
    abf = np.zeros(S * A, dtype=np.bool_)
    abf[::A] = absorbing
    start_p = (np.asarray(starts, dtype=np.int64) * A).astype(np.uint64)
    lim = int(max_len) if max_len > 0 else 1 << 62
    env = (nxt, np.ascontiguousarray(rw, dtype=np.float64).ravel(), abf, start_p, cdf, A, lim, start_p[0], S * A)
    return env, (np.ascontiguousarray(pr, dtype=np.float64).ravel(), K)


@njit(cache=True)
def _open(env, hp, tab, sc, rng, i):
    """Agent ``i``'s flat tables, constants and state ``x`` after its first start and action."""
    start_p, cdf, A = env[3], env[4], env[5]
    q, n = tab[i, T_Q : T_Q2 + 1].ravel(), tab[i, T_N].ravel()  # Q, then Q2's zeros (the zero row)
    c = (hp[i, H_ALPHA], hp[i, H_GAMMA], hp[i, H_EPS], hp[i, H_EPS_DECAY], hp[i, H_EPS_MIN])
    t = sc[i, SC_T]
    p, se = _start(start_p, cdf, rng[i, 1])
    v0, v1, v2, v3 = _row(q, p, A)
    a, st = _pick(v0, v1, v2, v3, A, _epsilon(c, t), rng[i, 0])
    return q, n, c, (p, a, st, se, 0, t, 0)


@njit(cache=True)
def _close(x, steps, sc, rng, nrec, i):
    """Write agent ``i``'s streams, clock, update and episode counts back."""
    rng[i, 0], rng[i, 1] = x[2], x[3]
    sc[i, SC_T] = x[5]
    sc[i, SC_UPDATES] += steps
    nrec[i] += x[6]


@njit(cache=True)
def _lanes(env, rare, hp, tab, sc, rng, nrec, steps):
    """Agents ``i .. i + LANES - 1`` together (the four ``_step`` lines: ``LANES`` copies of one
    call), the remainder one by one; the order does not matter, agents are independent."""
    N = tab.shape[0]
    i = 0
    while i + LANES <= N:
        q0, n0, c0, x0 = _open(env, hp, tab, sc, rng, i)
        q1, n1, c1, x1 = _open(env, hp, tab, sc, rng, i + 1)
        q2, n2, c2, x2 = _open(env, hp, tab, sc, rng, i + 2)
        q3, n3, c3, x3 = _open(env, hp, tab, sc, rng, i + 3)
        for _ in range(steps):
            x0 = _step(env, rare, q0, n0, c0, x0)
            x1 = _step(env, rare, q1, n1, c1, x1)
            x2 = _step(env, rare, q2, n2, c2, x2)
            x3 = _step(env, rare, q3, n3, c3, x3)
        for j, x in enumerate((x0, x1, x2, x3)):
            _close(x, steps, sc, rng, nrec, i + j)
        i += LANES
    while i < N:
        q0, n0, c0, x0 = _open(env, hp, tab, sc, rng, i)
        for _ in range(steps):
            x0 = _step(env, rare, q0, n0, c0, x0)
        _close(x0, steps, sc, rng, nrec, i)
        i += 1


def run_q_learning(hp, ns, pr, rw, absorbing, starts, cdf, steps, max_len, tab, sc, rng, nrec) -> None:
    """Run every agent ``steps`` steps (``A <= MAX_ACTIONS``, ``alpha <= 1``; see the module docstring).

    A Python function on purpose: it picks the compiled variant (deterministic world with one start
    state, or not) before numba sees it, so a process compiles only the variant it runs.
    """
    if tab[:, T_Q2].any():
        raise ValueError("run_q_learning bootstraps terminal states from the Q2 table, which must be zeros")
    env, rare = _tables(ns, pr, rw, absorbing, starts, cdf, max_len)
    _cmov_converter(False)
    try:
        if rare[1] == 1 and starts.shape[0] == 1:
            _lanes(env, None, hp, tab, sc, rng, nrec, steps)
        else:
            _lanes(env, rare, hp, tab, sc, rng, nrec, steps)
    finally:
        _cmov_converter(True)
