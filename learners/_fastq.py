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

How it is laid out and why it is fast (numbers: ``benchmarks/learners.py``, docs/learners.md):

* **blocks of ``LANES`` agents, interleaved**: a block's table is one array of cells (state ``s``,
  action ``a``; rows padded to ``WIDTH = 4`` cells with ``-inf``, exact because the values are
  finite: ``alpha <= 1`` and finite rewards keep them bounded; one more row of zeros bootstraps
  terminal targets), each cell ``CW`` floats: the lanes' Q values, their visit counts, then (for
  a deterministic world) the transition itself: the bootstrap row (``s'``, or the zero row when
  ``s'`` is terminal), the next row (``s'``, or the start row) as uint64 offsets, the reward.
  States travel as pre-multiplied offsets, so one base register and immediate displacements reach
  everything (no index arithmetic, no wrap-around fix-ups); the lanes' dependency chains
  ``s -> Q[s] -> a -> s'`` are independent, and the CPU overlaps them (agent-steps/s of CPU time,
  on earlier versions of this kernel: one lane 41M against 87M for four, two 131M against 146M;
  eight lanes 1-2 % over four, at twice the compile time).
* **the common step only passes branches that rarely go the other way**: the random state lives
  in a register (a counter plus :func:`learners._rng.mix`); the exploration coin compares the raw
  draw with an integer threshold (``u1 < eps`` exactly when ``z >> 11 < ceil(eps 2**53)``,
  :func:`threshold`); the unique maximum
  is found by equality tests, the tie test is one comparison of the second largest value with
  ``lo``; only exploring or tied steps (about 10 % at epsilon 0.1) branch to the second draw
  (``floor(u2 A)``, or the ``floor(u2 nt)``-th tied action from a 4-bit mask by table look-up).
* **variants compiled on demand**: deterministic world with one start state or not (the env stream's
  draws only in the second), constant epsilon or decaying (the clock in the loop only in the second).
  The step and its behaviour are inlined by numba (``inline="always"``: LLVM left them as calls),
  the rare path (:func:`_tied`) and the lanes' opening are not, and ``_open`` takes its lane as a
  run-time integer (one compiled copy, not four): first call with an empty cache 4.3-4.5 s against
  5.3-5.9 s with everything inlined, the same kernel speed.

Measured on this machine (x86-64 with AVX-512, 2.6 GHz nominal; a VM without hardware counters):
about 80 instructions per agent-step on the common path (``_lanes.inspect_asm()``: 75 per lane
and a quarter of the loop's latch; an exploring or tied step adds about 55), 150-160M
agent-steps/s of CPU time, so about 6.5 ns or 17 nominal cycles per agent-step.

Kept apart from :func:`learners._kernel.run_batch` on purpose (the hot loop of seed sweeps); the
dispatch (:func:`learners.api._fast`) sends every other case to the generic kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from planners import TIE_RTOL

from . import _core as C
from ._core import SC_T, SC_UPDATES, T_N, T_Q, T_Q2
from ._rng import GOLDEN, mix, unit

__all__ = ["LANES", "MAX_ACTIONS", "lockstep", "run_q_learning"]

#: agents stepped together (independent dependency chains for the CPU to overlap)
LANES = 4
#: the widest action set the kernel handles (rows are read as four scalars)
MAX_ACTIONS = 4

_NEG = -np.inf
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO53 = 9007199254740992.0
_ZERO = np.uint64(0)
#: a row is ``WIDTH`` cells (actions, padded with ``-inf``); a cell ``CW`` floats: the block's
#: ``LANES`` agents' Q values, their visit counts, then the deterministic transition (the bootstrap
#: row and the next row as uint64 offsets, the reward), so one base register reaches everything
WIDTH = 4
CW = 2 * LANES + 3
_OB, _ONX, _OR = 2 * LANES, 2 * LANES + 1, 2 * LANES + 2


def _tie_tables() -> tuple[np.ndarray, np.ndarray]:
    """``POP[m]``: the set bits of the 4-bit mask ``m``; ``KTH[4 m + k]``: the index of its ``k``-th set bit."""
    pop = np.array([bin(m).count("1") for m in range(16)], dtype=np.int64)
    kth = np.zeros(64, dtype=np.int64)
    for m in range(16):
        for k, b in enumerate(b for b in range(4) if m >> b & 1):
            kth[4 * m + k] = b
    return pop, kth


POP, KTH = _tie_tables()


@njit(cache=True)
def _row(qb: np.ndarray, p: np.uint64, lane: int) -> tuple[float, float, float, float]:
    """Lane ``lane``'s four values of the row at offset ``p`` (a state's first cell)."""
    i = p + np.uint64(lane)
    return qb[i], qb[i + np.uint64(CW)], qb[i + np.uint64(2 * CW)], qb[i + np.uint64(3 * CW)]


@njit(cache=True, error_model="numpy")
def _tied(v0: float, v1: float, v2: float, v3: float, lo: float, A: int, ex: np.bool_ | bool, u2w: np.uint64) -> int:
    """The rarer action: on exploration ``floor(u2 A)``, else the ``floor(u2 nt)``-th of the ``nt``
    greedy actions (those ``>= lo``, a 4-bit mask; ``KTH[4 m + k]`` its ``k``-th set bit)."""
    m = int(v0 >= lo) | (int(v1 >= lo) << 1) | (int(v2 >= lo) << 2) | (int(v3 >= lo) << 3)
    M = A if ex else POP[m]
    k = min(int(float(u2w >> _S11) * _INV53 * M), M - 1)
    return k if ex else KTH[np.uint64(4 * m + k)]


@njit(cache=True, error_model="numpy", inline="always")
def _behave(v0: float, v1: float, v2: float, v3: float, A: int, thr: np.uint64, c: np.uint64) -> tuple[int, np.uint64]:
    """The behaviour action on row values ``v`` and the stream counter ``c`` after its draws.

    ``thr = ceil(epsilon 2**53)``: ``u1 = (z >> 11) 2**-53 < epsilon`` exactly when ``z >> 11 < thr``.
    Draws: ``u1`` when ``epsilon > 0``, then ``u2`` when exploring or when greedy actions tie
    (the second largest value ``>= lo``); the common case (no exploration, a unique maximum: its
    index from equality tests) takes no branch, the rare one a predictable-enough one.
    """
    hi01, lo01 = max(v0, v1), min(v0, v1)
    hi23, lo23 = max(v2, v3), min(v2, v3)
    best = max(hi01, hi23)
    second = max(min(hi01, hi23), max(lo01, lo23))
    lo = best - TIE_RTOL * max(abs(best), 1.0)
    c = c + GOLDEN * np.uint64(thr > _ZERO)
    ex = (mix(c) >> _S11) < thr
    a = int(v1 == best) + 2 * int(v2 == best) + 3 * int(v3 == best)  # the argmax when it is unique
    if ex | (second >= lo):
        a = _tied(v0, v1, v2, v3, lo, A, ex, mix(c + GOLDEN))
        c = c + GOLDEN
    return a, c


@njit(cache=True, error_model="numpy")
def _threshold(c: tuple[float, float, float, float, float], thr: np.uint64, t: float) -> np.uint64:
    """``ceil(epsilon_t 2**53)``: ``thr`` (the constant epsilon's), or :func:`learners._core.epsilon_at`'s
    ``max(epsilon_min, epsilon / (1 + t / decay))`` on a lane's constants ``c = (alpha, gamma, eps, decay, eps_min)``."""
    if c[3] > 0.0:
        thr = np.uint64(math.ceil(max(c[4], c[2] / (1.0 + t / c[3])) * _TWO53))
    return thr


@njit(cache=True)
def _outcome(prf: np.ndarray, base: np.uint64, K: int, se: np.uint64) -> tuple[int, np.uint64]:
    """:func:`learners._kernel.sample_outcome` on the flat probabilities (the same subtractions)."""
    if K == 1:
        return 0, se
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
    """:func:`learners._kernel.sample_start` (row cell; one env draw when there are several starts)."""
    if start_p.shape[0] == 1:
        return start_p[0], se
    se = se + GOLDEN
    u = unit(se)
    for i in range(start_p.shape[0]):
        if u < cdf[i]:
            return start_p[i], se
    return start_p[-1], se


@njit(cache=True, error_model="numpy", inline="always")
def _step(env, rare, sched, qb, qu, lane, c, x):
    """One step of lane ``lane`` of block ``qb`` (``qu``: the same memory as uint64):
    ``x = (j, st, thr, length, episodes, se, t)`` -> the next ``x``; ``j`` is the offset of the
    cell ``(s, a)``, rows are offsets ``s WIDTH CW``.

    ``rare`` is None for a deterministic world with one start state (numba then compiles the
    step without the env stream's draws, reading the transition from the cell), else
    ``(flat probabilities, K, start rows, cdf)`` and the transition from ``env``'s tables.
    """
    trans, rwd, A, lim, p0, zrow = env
    j, st, thr, length, ne, se, t = x
    if rare is None:
        b = qu[j + np.uint64(_OB)]  # the bootstrap row: s', or the zero row when s' is terminal
        nx = qu[j + np.uint64(_ONX)]  # the next row: s', or the start row when s' is terminal
        r = qb[j + np.uint64(_OR)]
    else:
        prf, K, start_p, cdf = rare
        o = j // np.uint64(CW) * np.uint64(K)
        k, se = _outcome(prf, o, K, se)
        o = o + np.uint64(k)
        b, nx, r = trans[o + o], trans[o + o + np.uint64(1)], rwd[o]
    i = j + np.uint64(lane)
    qb[i + np.uint64(LANES)] += 1.0
    w0, wa, wb, wc = _row(qb, b, lane)
    boot = max(max(w0, wa), max(wb, wc))
    old = qb[i]
    qb[i] = old + c[0] * (r + c[1] * boot - old)
    length += 1
    th = thr
    if sched is not None:  # a decaying epsilon (else the clock is not needed in the loop)
        t += 1.0
        th = _threshold(c, thr, t)
    cut = length >= lim
    end = cut or b == zrow
    pn = nx + (p0 - nx) * np.uint64(cut)
    if rare is not None:
        if end:
            pn, se = _start(start_p, cdf, se)
    v0, v1, v2, v3 = _row(qb, pn, lane)
    a, st = _behave(v0, v1, v2, v3, A, th, st)
    return pn + np.uint64(a * CW), st, thr, length * (1 - int(end)), ne + int(end), se, t


@njit(cache=True)
def _open(env, rare, qb, lane, hp, thr, st, t):
    """A lane's constants and state ``x`` after its first start and action."""
    A, p0 = env[2], env[4]
    c = (hp[0], hp[1], hp[2], hp[3], hp[4])
    se = st[1]
    p = p0
    if rare is not None:
        p, se = _start(rare[2], rare[3], se)
    v0, v1, v2, v3 = _row(qb, p, lane)
    a, s = _behave(v0, v1, v2, v3, A, _threshold(c, thr, t), st[0])
    return c, (p + np.uint64(a * CW), s, thr, 0, 0, se, t)


@njit(cache=True)
def _close(x, st, clock, nrec, steps):
    """Write a lane's streams, clock and episode count back."""
    st[0], st[1] = x[1], x[5]
    clock[0] = x[6] + steps  # (the loop advances the clock only for a decaying epsilon: steps = 0 then)
    nrec[0] = x[4]


@njit(cache=True, error_model="numpy")
def _lanes(env, rare, sched, hp, thr, blk, st, clock, nrec, steps):
    """Every block of ``LANES`` agents in lockstep (the four ``_step`` lines: ``LANES`` copies of
    one call, inlined); blocks are independent."""
    late = steps if sched is None else 0  # the clock's advance not counted in the loop
    for g in range(blk.shape[0]):
        qb = blk[g]
        qu = qb.view(np.uint64)
        o = g - g  # lane 0 as a run-time integer: one compiled _open for the four lanes, not one per literal
        c0, x0 = _open(env, rare, qb, o, hp[g, 0], thr[g, 0], st[g, 0], clock[g, 0])
        c1, x1 = _open(env, rare, qb, o + 1, hp[g, 1], thr[g, 1], st[g, 1], clock[g, 1])
        c2, x2 = _open(env, rare, qb, o + 2, hp[g, 2], thr[g, 2], st[g, 2], clock[g, 2])
        c3, x3 = _open(env, rare, qb, o + 3, hp[g, 3], thr[g, 3], st[g, 3], clock[g, 3])
        for _ in range(steps):
            x0 = _step(env, rare, sched, qb, qu, 0, c0, x0)
            x1 = _step(env, rare, sched, qb, qu, 1, c1, x1)
            x2 = _step(env, rare, sched, qb, qu, 2, c2, x2)
            x3 = _step(env, rare, sched, qb, qu, 3, c3, x3)
        _close(x0, st[g, 0], clock[g, 0:1], nrec[g, 0:1], late)
        _close(x1, st[g, 1], clock[g, 1:2], nrec[g, 1:2], late)
        _close(x2, st[g, 2], clock[g, 2:3], nrec[g, 2:3], late)
        _close(x3, st[g, 3], clock[g, 3:4], nrec[g, 3:4], late)


def _tables(ns, pr, rw, absorbing, starts, cdf, max_len):
    """The env as flat arrays over cells ``s WIDTH + a`` (outcome ``k`` at ``(s WIDTH + a) K + k``).

    NumPy, not numba (nothing to compile): ``trans[2 o]`` the bootstrap row (``s'``'s, or the zero
    row ``S`` when ``s'`` is terminal), ``trans[2 o + 1]`` the next row (``s'``'s, or the first
    start's when ``s'`` is terminal), rows as offsets ``s WIDTH CW``; returns ``env`` and ``rare``.
    """
    S, A, K = ns.shape
    start_p = np.asarray(starts, dtype=np.uint64) * np.uint64(WIDTH * CW)
    row = ns.astype(np.uint64) * np.uint64(WIDTH * CW)
    ab = np.asarray(absorbing, dtype=np.bool_)[ns]
    trans = np.zeros((S, WIDTH, K, 2), dtype=np.uint64)
    trans[:, :A, :, 0] = np.where(ab, np.uint64(S * WIDTH * CW), row)
    trans[:, :A, :, 1] = np.where(ab, start_p[0], row)
    rwd = np.zeros((S, WIDTH, K))
    rwd[:, :A] = rw
    prf = np.zeros((S, WIDTH, K))
    prf[:, :A] = pr
    lim = int(max_len) if max_len > 0 else 1 << 62
    env = (trans.ravel(), rwd.ravel(), A, lim, start_p[0], np.uint64(S * WIDTH * CW))
    return env, (prf.ravel(), K, start_p, np.asarray(cdf, dtype=np.float64))


def threshold(eps: np.ndarray) -> np.ndarray:
    """``ceil(eps 2**53)`` as uint64: a draw ``u = m 2**-53`` (``m = z >> 11``) is ``< eps`` exactly when
    ``m < threshold(eps)`` (scaling by ``2**53`` is exact, and ``m`` is an integer); 0 when ``eps = 0``."""
    return np.ceil(np.asarray(eps, dtype=np.float64) * _TWO53).astype(np.uint64)


def lockstep(hp, ns, pr, rw, absorbing, starts, cdf, steps, max_len, q, n, rng, t, counts=True):
    """Run every agent ``steps`` steps (``A <= MAX_ACTIONS``, ``alpha <= 1``; see the module docstring).

    Parameters
    ----------
    hp : ndarray (N, NH)
        The agents' hyperparameter rows.
    ns, pr, rw, absorbing, starts, cdf
        The env's arrays (as :func:`learners._kernel.run_batch` takes them).
    steps, max_len : int
        Steps per agent; episode length limit (0: none).
    q, n : ndarray (N, S, A), ndarray (N,) or float
        Initial Q values and visit counts (tables, one value per agent, or one for all).
    rng : ndarray (N, 2) of uint64
        The agents' and their envs' streams, advanced in place.
    t : ndarray (N,)
        The agents' step clocks, advanced in place.
    counts : bool
        Whether to return the visit counts (None in their place otherwise).

    Returns
    -------
    q, n : ndarray (N, S, A)
        The final tables (``n`` None without ``counts``).
    episodes : ndarray (N,) of int64
        Episodes finished.

    A Python function on purpose: it picks the compiled variant (deterministic world with one start
    state, or not) before numba sees it, so a process compiles only the variant it runs.
    """
    N = hp.shape[0]
    S, A, K = ns.shape
    G = -(-N // LANES)
    pad = G * LANES - N  # the last block's unused lanes run copies of agent 0, discarded
    rows = np.r_[np.arange(N), np.zeros(pad, dtype=np.int64)] if pad else slice(None)
    hpl = np.ascontiguousarray(hp[rows][:, [C.H_ALPHA, C.H_GAMMA, C.H_EPS, C.H_EPS_DECAY, C.H_EPS_MIN]])
    hpl = hpl.reshape(G, LANES, 5)
    thr = threshold(hpl[:, :, 2])
    st = np.ascontiguousarray(rng[rows], dtype=np.uint64).reshape(G, LANES, 2)
    clock = np.ascontiguousarray(t[rows], dtype=np.float64).reshape(G, LANES)
    blk = np.zeros((G, S + 1, WIDTH, CW))
    view = blk[:, :S, :A]
    for w, src in ((0, q), (1, n)):
        src = np.asarray(src, dtype=np.float64)
        lanes = view[:, :, :, w * LANES : (w + 1) * LANES]
        if src.ndim <= 1:
            lanes[:] = np.broadcast_to(src, (N,))[rows].reshape(G, 1, 1, LANES)  # (or one value for all)
        else:
            lanes[:] = src[rows].reshape(G, LANES, S, A).transpose(0, 2, 3, 1)
    blk[:, :S, A:, :LANES] = _NEG
    env, rare = _tables(ns, pr, rw, absorbing, starts, cdf, max_len)
    if K == 1:  # the deterministic transition, in every block's cells
        bits = blk.view(np.uint64)
        bits[:, :S, :, _OB] = env[0].reshape(S, WIDTH, 2)[:, :, 0]
        bits[:, :S, :, _ONX] = env[0].reshape(S, WIDTH, 2)[:, :, 1]
        blk[:, :S, :, _OR] = env[1].reshape(S, WIDTH)
    sched = 1 if (hpl[:, :, 3] > 0.0).any() else None  # the variant with a decaying epsilon, or not
    nrec = np.zeros((G, LANES), dtype=np.int64)
    if K == 1 and starts.shape[0] == 1:
        _lanes(env, None, sched, hpl, thr, blk.reshape(G, -1), st, clock, nrec, steps)
    else:
        _lanes(env, rare, sched, hpl, thr, blk.reshape(G, -1), st, clock, nrec, steps)
    rng[:] = st.reshape(-1, 2)[:N]
    t[:] = clock.ravel()[:N]
    q, n = (
        view[:, :, :, w * LANES : (w + 1) * LANES].transpose(0, 3, 1, 2).reshape(G * LANES, S, A)[:N]
        if w == 0 or counts
        else None
        for w in (0, 1)
    )
    return q, n, nrec.ravel()[:N]


def run_q_learning(hp, ns, pr, rw, absorbing, starts, cdf, steps, max_len, tab, sc, rng, nrec) -> None:
    """:func:`lockstep` on the generic kernel's per-agent arrays (``tab`` ``(N, NT, S, A)``, ``sc``,
    ``rng``, ``nrec``, updated in place as :func:`learners._kernel.run_batch` updates them)."""
    if tab[:, T_Q2].any():
        raise ValueError("run_q_learning bootstraps terminal states from the Q2 table, which must be zeros")
    t = sc[:, SC_T].copy()
    q, n, ne = lockstep(hp, ns, pr, rw, absorbing, starts, cdf, steps, max_len, tab[:, T_Q], tab[:, T_N], rng, t)
    tab[:, T_Q], tab[:, T_N] = q, n
    sc[:, SC_T] = t
    sc[:, SC_UPDATES] += steps
    nrec += ne
