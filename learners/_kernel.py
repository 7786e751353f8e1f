"""The batched kernel: N independent agents, each stepping the env's outcome arrays itself.

Per step and agent: sample the outcome ``k`` of ``(s, a)`` from the agent's env stream
(``k = 0`` without a draw when ``K == 1``), read ``s' = next_state[s, a, k]``,
``r = reward[s, a, k]``, ``done = absorbing[s']``, truncate at ``max_len`` steps, and hand the
transition to :func:`learners._rules.learn_step` -- the same function the Python path calls.
Episode returns are recorded, and the behaviour values ``Q`` are snapshot at the checkpoint steps.
No Python runs per step; agents are independent, so their order does not matter.
(Q-learning seed sweeps without curves run in :mod:`learners._fastq` instead.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._core import DOUBLE_Q, H_GAMMA, NEED_PLAN, SC_T, SC_UPDATES, T_Q, T_Q2, select
from ._rng import uniform
from ._rules import learn_step, plan_model

# columns of the episode records
R_RETURN, R_DISCOUNTED, R_LENGTH, R_START, R_END = 0, 1, 2, 3, 4
NR = 5


@njit(cache=True, inline="always")
def sample_outcome(pr: np.ndarray, s: int, a: int, rng: np.ndarray) -> int:
    """Outcome index of ``(s, a)`` drawn from env stream ``rng[1]`` (no draw when K == 1)."""
    K = pr.shape[2]
    if K == 1:
        return 0
    u = uniform(rng, 1)
    last = 0
    for k in range(K):
        p = pr[s, a, k]
        if p > 0.0:
            last = k
            u -= p
            if u < 0.0:
                return k
    return last


@njit(cache=True, inline="always")
def sample_start(starts: np.ndarray, cdf: np.ndarray, rng: np.ndarray) -> int:
    """A start state (no draw when there is one)."""
    if starts.shape[0] == 1:
        return starts[0]
    u = uniform(rng, 1)
    for i in range(starts.shape[0]):
        if u < cdf[i]:
            return starts[i]
    return starts[-1]


@njit(cache=True)
def _snapshot(algo: int, tab: np.ndarray, out: np.ndarray) -> None:
    for x in range(tab.shape[1]):
        for b in range(tab.shape[2]):
            v = tab[T_Q, x, b]
            if algo == DOUBLE_Q:
                v += tab[T_Q2, x, b]
            out[x, b] = v


@njit(cache=True)
def _record(rec: np.ndarray, nrec: np.ndarray, ep: np.ndarray, t: int) -> None:
    i = nrec[0]
    if i < rec.shape[0]:
        rec[i, R_RETURN], rec[i, R_DISCOUNTED], rec[i, R_LENGTH], rec[i, R_START] = ep[0], ep[1], ep[3], ep[4]
        rec[i, R_END] = t
    nrec[0] = i + 1


@njit(cache=True)
def _run_agent(
    algo,
    hp,
    ns,
    pr,
    rw,
    absorbing,
    starts,
    cdf,
    steps,
    max_len,
    script,
    tab,
    cnt,
    term,
    seen,
    buf,
    first,
    sc,
    rng,
    ckpt,
    qsnap,
    usnap,
    rec,
    nrec,
    n_min,
    tol,
):
    """All ``steps`` of one agent (episodes restart from the start distribution)."""
    g = hp[H_GAMMA]
    ep = np.zeros(5)  # return, discounted return, discount, length, start
    s = sample_start(starts, cdf, rng)
    ep[2], ep[4] = 1.0, s
    a = select(tab, algo, hp, s, sc[SC_T], rng)
    c = 0
    scripted = script.shape[0] > 0
    for t in range(steps):
        k = script[t] if scripted else sample_outcome(pr, s, a, rng)
        s2 = ns[s, a, k]
        r = rw[s, a, k]
        done = absorbing[s2]
        ep[3] += 1.0
        trunc = (not done) and max_len > 0 and ep[3] >= max_len
        ep[0] += r
        ep[1] += ep[2] * r
        ep[2] *= g
        a2 = learn_step(algo, hp, tab, cnt, term, seen, buf, first, sc, rng, s, a, r, s2, done, trunc)
        if a2 == NEED_PLAN:
            plan_model(algo, hp, tab, cnt, term, n_min, tol)
            a2 = -1 if (done or trunc) else select(tab, algo, hp, s2, sc[SC_T], rng)
        if done or trunc:
            _record(rec, nrec, ep, t + 1)
            s = sample_start(starts, cdf, rng)
            ep[:] = 0.0
            ep[2], ep[4] = 1.0, s
            a = select(tab, algo, hp, s, sc[SC_T], rng)
        else:
            s, a = s2, a2
        while c < ckpt.shape[0] and ckpt[c] == t + 1:
            _snapshot(algo, tab, qsnap[c])
            usnap[c] = sc[SC_UPDATES]
            c += 1


@njit(cache=True)
def run_batch(
    algo,
    hp,
    ns,
    pr,
    rw,
    absorbing,
    starts,
    cdf,
    steps,
    max_len,
    script,
    tab,
    cnt,
    term,
    seen,
    buf,
    first,
    sc,
    rng,
    ckpt,
    qsnap,
    usnap,
    rec,
    nrec,
    n_min,
    tol,
):
    """Run agent ``i`` on row ``i`` of every per-agent array (see the module docstring)."""
    for i in range(tab.shape[0]):
        _run_agent(
            algo,
            hp[i],
            ns,
            pr,
            rw,
            absorbing,
            starts,
            cdf,
            steps,
            max_len,
            script[i],
            tab[i],
            cnt[i],
            term[i],
            seen[i],
            buf[i],
            first[i],
            sc[i],
            rng[i],
            ckpt,
            qsnap[i],
            usnap[i],
            rec[i],
            nrec[i : i + 1],
            n_min[i],
            tol[i],
        )
