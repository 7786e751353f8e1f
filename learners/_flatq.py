"""Q-learning seed sweeps over more than four actions (or ``alpha > 1``): a flat per-agent kernel.

:mod:`learners._fastq` (four agents in lockstep, rows read as four scalars) takes Q-learning
with at most four actions and ``alpha <= 1``; this kernel takes the other constant-step,
epsilon-greedy, no-curve cases (Taxi's six actions, the maximization-bias MDP's ten), which
would otherwise run in the generic kernel at a fifth of the speed.  It repeats
``learn_step`` + ``select`` for this one case -- the same arithmetic in the same order and the
same random draws -- and ``tests/learners/test_flatq.py`` requires the generic kernel's tables
bit for bit.  (Kept apart from the generic kernel on purpose: it is the hot loop of these
sweeps, written flat so that nothing but arithmetic runs per step.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from planners import TIE_RTOL

from ._core import H_ALPHA, H_GAMMA, SC_T, SC_UPDATES, T_N, T_Q, epsilon_at
from ._kernel import sample_outcome, sample_start
from ._rng import randint, uniform

__all__ = ["run_q_learning_flat"]


@njit(cache=True, inline="always")
def _fast_pick(q: np.ndarray, s: int, eps: float, rng: np.ndarray) -> int:
    """:func:`learners._core.select` for Q-learning (epsilon-greedy, random ties), same draws."""
    A = q.shape[1]
    if eps > 0.0 and uniform(rng, 0) < eps:
        return randint(rng, 0, A)
    best = q[s, 0]
    for b in range(1, A):
        if q[s, b] > best:
            best = q[s, b]
    mag = abs(best)
    lo = best - TIE_RTOL * (mag if mag > 1.0 else 1.0)
    nt, last = 0, 0
    for b in range(A):
        if q[s, b] >= lo:
            nt += 1
            last = b
    if nt == 1:
        return last
    k = randint(rng, 0, nt)
    for b in range(A):
        if q[s, b] >= lo:
            if k == 0:
                return b
            k -= 1
    return last


@njit(cache=True)
def run_q_learning_flat(hp, ns, pr, rw, absorbing, starts, cdf, steps, max_len, tab, sc, rng, nrec):
    """Q-learning with a constant step size and epsilon-greedy behaviour, without curves.

    The cases :mod:`learners._fastq` does not take (see the module docstring); the generic
    kernel's tables bit for bit.
    """
    A = tab.shape[3]
    for i in range(tab.shape[0]):
        hp_i, r_i, q, n = hp[i], rng[i], tab[i, T_Q], tab[i, T_N]
        g, alpha = hp_i[H_GAMMA], hp_i[H_ALPHA]
        t = sc[i, SC_T]
        s = sample_start(starts, cdf, r_i)
        a = _fast_pick(q, s, epsilon_at(hp_i, t), r_i)
        length = 0
        for _ in range(steps):
            t += 1.0
            k = sample_outcome(pr, s, a, r_i)
            s2 = ns[s, a, k]
            r = rw[s, a, k]
            done = absorbing[s2]
            length += 1
            n[s, a] += 1.0
            boot = 0.0
            if not done:
                boot = q[s2, 0]
                for b in range(1, A):
                    if q[s2, b] > boot:
                        boot = q[s2, b]
            q[s, a] += alpha * (r + g * boot - q[s, a])
            if done or (max_len > 0 and length >= max_len):
                nrec[i] += 1
                s = sample_start(starts, cdf, r_i)
                length = 0
            else:
                s = s2
            a = _fast_pick(q, s, epsilon_at(hp_i, t), r_i)
        sc[i, SC_T] = t
        sc[i, SC_UPDATES] += steps
