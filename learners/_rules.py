"""One agent's step: ``learn_step`` dispatches to the update rule of its algorithm.

The rules and their math are documented in :mod:`learners._core`.  ``learn_step`` returns the
next behaviour action in ``s'`` (chosen by the rule where the rule needs it, SARSA's ``a'``),
``-1`` when the episode ended, or ``NEED_PLAN`` when the caller must re-plan (certainty
equivalence, R-max) and then call :func:`learners._core.select` itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._core import (
    DOUBLE_Q,
    DYNA_Q,
    H_ALPHA,
    H_BETA,
    H_CAP,
    H_GAMMA,
    H_LAMBDA,
    H_M,
    H_NPLAN,
    H_REPLACING,
    H_THETA,
    H_VARB,
    MC_CONTROL,
    NEED_PLAN,
    PRIORITIZED_SWEEPING,
    Q_LEARNING,
    RMAX,
    SARSA,
    SARSA_LAMBDA,
    SC_BUFLEN,
    SC_NSEEN,
    SC_T,
    SC_UPDATES,
    T_BONUS,
    T_E,
    T_N,
    T_PRIO,
    T_Q,
    T_Q2,
    T_RDEV,
    T_RSUM,
    greedy,
    keeps_bonus_values,
    policy_expectation,
    select,
    visit,
    vmax,
)
from ._rng import randint, uniform


@njit(cache=True)
def _td(tab: np.ndarray, table: int, s: int, a: int, target: float, alpha: float) -> None:
    tab[table, s, a] += alpha * (target - tab[table, s, a])


@njit(cache=True)
def _model_free(algo, hp, tab, sc, rng, s, a, r, s2, done, trunc) -> int:
    """Q-learning, SARSA, Expected SARSA, Double Q: update, then the next action (or -1)."""
    g = hp[H_GAMMA]
    alpha = visit(tab, hp, s, a)
    end = done or trunc
    a2 = -1
    if algo == SARSA and not done:
        a2 = select(tab, algo, hp, s2, sc[SC_T], rng)
    if algo == DOUBLE_Q:
        upd, other = (T_Q, T_Q2) if uniform(rng, 0) < 0.5 else (T_Q2, T_Q)
        boot = 0.0
        if not done:
            boot = tab[other, s2, greedy(tab, upd, algo, s2, rng)]
        _td(tab, upd, s, a, r + g * boot, alpha)
    else:
        boot = 0.0
        if not done:
            if algo == Q_LEARNING:
                boot = vmax(tab, T_Q, s2)
            elif algo == SARSA:
                boot = tab[T_Q, s2, a2]
            else:
                boot = policy_expectation(tab, algo, hp, s2, sc[SC_T])
        _td(tab, T_Q, s, a, r + g * boot, alpha)
    sc[SC_UPDATES] += 1.0
    if end:
        return -1
    if algo == SARSA:
        return a2
    return select(tab, algo, hp, s2, sc[SC_T], rng)


@njit(cache=True)
def _sarsa_lambda(algo, hp, tab, sc, rng, s, a, r, s2, done, trunc) -> int:
    """SARSA(lambda) with accumulating or replacing traces over the whole table."""
    g = hp[H_GAMMA]
    alpha = visit(tab, hp, s, a)
    a2 = -1
    boot = 0.0
    if not done:
        a2 = select(tab, algo, hp, s2, sc[SC_T], rng)
        boot = tab[T_Q, s2, a2]
    delta = r + g * boot - tab[T_Q, s, a]
    if hp[H_REPLACING] > 0.0:
        tab[T_E, s, a] = 1.0
    else:
        tab[T_E, s, a] += 1.0
    decay = g * hp[H_LAMBDA]
    end = done or trunc
    S, A = tab.shape[1], tab.shape[2]
    for x in range(S):
        for b in range(A):
            e = tab[T_E, x, b]
            if e != 0.0:
                tab[T_Q, x, b] += alpha * delta * e
                tab[T_E, x, b] = 0.0 if end else e * decay
    sc[SC_UPDATES] += 1.0
    return -1 if end else a2


@njit(cache=True)
def _mc_finish(hp: np.ndarray, tab: np.ndarray, buf: np.ndarray, first: np.ndarray, sc: np.ndarray) -> None:
    """First-visit Monte-Carlo updates of the episode in ``buf``; clears it."""
    g = hp[H_GAMMA]
    G = 0.0
    T = int(sc[SC_BUFLEN])
    for t in range(T - 1, -1, -1):
        s, a = int(buf[t, 0]), int(buf[t, 1])
        G = buf[t, 2] + g * G
        if first[s, a] == t:
            _td(tab, T_Q, s, a, G, visit(tab, hp, s, a))
            sc[SC_UPDATES] += 1.0
            first[s, a] = -1
    sc[SC_BUFLEN] = 0.0


@njit(cache=True)
def _mc(algo, hp, tab, buf, first, sc, rng, s, a, r, s2, done, trunc) -> int:
    """First-visit MC control: buffer the step; at episode end (or a full buffer) update."""
    t = int(sc[SC_BUFLEN])
    buf[t, 0], buf[t, 1], buf[t, 2] = s, a, r
    if first[s, a] < 0:
        first[s, a] = t
    sc[SC_BUFLEN] = t + 1
    if done or trunc or t + 1 == buf.shape[0]:
        _mc_finish(hp, tab, buf, first, sc)
    if done or trunc:
        return -1
    return select(tab, algo, hp, s2, sc[SC_T], rng)


@njit(cache=True)
def backup_of(hp: np.ndarray, tab: np.ndarray, table: int, cnt: np.ndarray, term: np.ndarray, s: int, a: int) -> float:
    """``rbar + gamma sum_s' c(s,a,s')/n(s,a) max_b tab[table, s', b]`` (terminal s': 0)."""
    n = tab[T_N, s, a]
    acc = 0.0
    for x in range(cnt.shape[2]):
        c = cnt[s, a, x]
        if c != 0.0 and term[x] == 0.0:
            acc += c * vmax(tab, table, x)
    return (tab[T_RSUM, s, a] + hp[H_GAMMA] * acc) / n


@njit(cache=True)
def model_backup(hp: np.ndarray, tab: np.ndarray, cnt: np.ndarray, term: np.ndarray, s: int, a: int) -> float:
    """``B(s,a) = rbar + gamma sum_s' c(s,a,s')/n(s,a) max_b Q(s',b)`` (terminal s': 0)."""
    return backup_of(hp, tab, T_Q, cnt, term, s, a)


@njit(cache=True)
def _record(tab, cnt, term, seen, sc, s, a, r, s2, done) -> None:
    """Add a real transition to the model (the visit count ``n(s,a)`` is counted by the caller).

    ``seen`` holds, one after the other, the pairs seen (``S*A`` slots, in order of first visit),
    each state's number of predecessor pairs (``S``) and their lists (``S`` rows of ``S*A``): the
    pair ``(s, a)`` joins the list of ``s'`` when ``s'`` is first observed after it.
    """
    S, A = tab.shape[1], tab.shape[2]
    if tab[T_N, s, a] == 1.0:
        seen[int(sc[SC_NSEEN])] = s * A + a
        sc[SC_NSEEN] += 1.0
    if cnt[s, a, s2] == 0.0:
        k = seen[S * A + s2]
        seen[S * A + S + s2 * S * A + k] = s * A + a
        seen[S * A + s2] = k + 1
    cnt[s, a, s2] += 1.0
    tab[T_RSUM, s, a] += r
    if done:
        term[s2] = 1.0


@njit(cache=True)
def _reward_deviation(tab: np.ndarray, s: int, a: int, r: float) -> None:
    """Welford: add the sample ``r`` (already counted in ``n(s,a)``, not yet in the reward sum) to ``tab[T_RDEV]``.

    ``T_RDEV += (r - mean_before) (r - mean_after)``: the sum of squared deviations, exactly 0 for a constant reward.
    """
    n = tab[T_N, s, a]
    before = tab[T_RSUM, s, a] / (n - 1.0) if n > 1.0 else r
    tab[T_RDEV, s, a] += (r - before) * (r - (tab[T_RSUM, s, a] + r) / n)


@njit(cache=True)
def _observe(algo, hp, tab, cnt, term, seen, sc, s, a, r, s2, done) -> None:
    """The model's share of a real step (``n(s,a)`` already counted): the squared reward deviations
    (R-max, and the agents with bonus values), then the counts (:func:`_record`)."""
    if algo == RMAX or keeps_bonus_values(algo, hp):
        _reward_deviation(tab, s, a, r)
    _record(tab, cnt, term, seen, sc, s, a, r, s2, done)


@njit(cache=True)
def _bonus_update(hp, tab, cnt, term, s, a) -> None:
    """The bonus values' full backup at ``(s, a)``: ``Q2(s,a) = rbar + beta w(s,a) + gamma sum_s' c/n max_b Q2(s',b)``
    (:func:`width`, from the current ``Q``): asynchronous value iteration of the bonus MDP, step size 1."""
    tab[T_Q2, s, a] = backup_of(hp, tab, T_Q2, cnt, term, s, a) + hp[H_BETA] * width(hp, tab, cnt, term, s, a)


@njit(cache=True)
def _plan_backup(hp, tab, cnt, term, x, b, bonus) -> None:
    """One planning backup at ``(x, b)``: ``Q += alpha (B - Q)`` (the constant step: ``B`` is already
    the model's average), then, with ``bonus``, the bonus values' full backup there."""
    _td(tab, T_Q, x, b, model_backup(hp, tab, cnt, term, x, b), hp[H_ALPHA])
    if bonus:
        _bonus_update(hp, tab, cnt, term, x, b)


@njit(cache=True)
def _dyna(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc) -> int:
    """Dyna-Q: a Q-learning step, the model, then ``n_planning`` uniform model backups."""
    alpha = visit(tab, hp, s, a)
    boot = 0.0 if done else vmax(tab, T_Q, s2)
    _td(tab, T_Q, s, a, r + hp[H_GAMMA] * boot, alpha)
    _observe(algo, hp, tab, cnt, term, seen, sc, s, a, r, s2, done)
    bonus = keeps_bonus_values(algo, hp)
    if bonus:
        _bonus_update(hp, tab, cnt, term, s, a)
    A = tab.shape[2]
    for _ in range(int(hp[H_NPLAN])):
        p = seen[randint(rng, 0, int(sc[SC_NSEEN]))]
        x, b = p // A, p % A
        _plan_backup(hp, tab, cnt, term, x, b, bonus)
    sc[SC_UPDATES] += 1.0 + int(hp[H_NPLAN])
    if done or trunc:
        return -1
    return select(tab, algo, hp, s2, sc[SC_T], rng)


@njit(cache=True)
def _queue(hp, tab, cnt, term, s, a) -> None:
    p = abs(model_backup(hp, tab, cnt, term, s, a) - tab[T_Q, s, a])
    if p > hp[H_THETA] and p > tab[T_PRIO, s, a]:
        tab[T_PRIO, s, a] = p


@njit(cache=True)
def _sweep(hp, tab, cnt, term, seen, sc) -> None:
    """Up to ``n_planning`` pops of the highest priority; each pop queues its predecessors.

    The predecessors of ``s`` are read from the lists :func:`_record` keeps (O(predecessors) per
    pop, not an O(S A S) scan); queueing only raises priorities, so their order does not matter.
    """
    S, A = tab.shape[1], tab.shape[2]
    bonus = keeps_bonus_values(PRIORITIZED_SWEEPING, hp)
    for _ in range(int(hp[H_NPLAN])):
        best, bx, bb = 0.0, -1, -1
        for x in range(S):
            for b in range(A):
                if tab[T_PRIO, x, b] > best:
                    best, bx, bb = tab[T_PRIO, x, b], x, b
        if bx < 0:
            return
        tab[T_PRIO, bx, bb] = 0.0
        _plan_backup(hp, tab, cnt, term, bx, bb, bonus)
        sc[SC_UPDATES] += 1.0
        row = S * A + S + bx * S * A
        for j in range(seen[S * A + bx]):
            p = seen[row + j]
            _queue(hp, tab, cnt, term, p // A, p % A)


@njit(cache=True)
def _prioritized(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc) -> int:
    """Prioritized sweeping: the model, queue ``(s,a)``, sweep."""
    tab[T_N, s, a] += 1.0
    _observe(algo, hp, tab, cnt, term, seen, sc, s, a, r, s2, done)
    if keeps_bonus_values(algo, hp):
        _bonus_update(hp, tab, cnt, term, s, a)
    _queue(hp, tab, cnt, term, s, a)
    _sweep(hp, tab, cnt, term, seen, sc)
    if done or trunc:
        return -1
    return select(tab, algo, hp, s2, sc[SC_T], rng)


@njit(cache=True)
def _planning(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc) -> int:
    """Certainty equivalence and R-max: update the model; ask for a re-plan when it changed enough.

    Certainty equivalence re-plans when ``n(s,a)`` reaches a power of two; R-max when it reaches
    ``m 2^k`` (``k = 0``: the pair becomes known).  R-max's model ignores the samples beyond
    ``model_cap`` visits (``model_cap = m``: Brafman & Tennenholtz's frozen model; 0: no cap).
    """
    n = tab[T_N, s, a]
    if algo == RMAX and hp[H_CAP] > 0.0 and n >= hp[H_CAP]:
        return -1 if (done or trunc) else select(tab, algo, hp, s2, sc[SC_T], rng)
    tab[T_N, s, a] = n + 1.0
    _observe(algo, hp, tab, cnt, term, seen, sc, s, a, r, s2, done)
    k = int(n + 1.0)
    if algo == RMAX:
        m = int(hp[H_M])
        k = k // m if k % m == 0 else 3  # 3: not m times a power of two
    if (k & (k - 1)) == 0:  # a power of two
        return NEED_PLAN
    return -1 if (done or trunc) else select(tab, algo, hp, s2, sc[SC_T], rng)


@njit(cache=True)
def learn_step(algo, hp, tab, cnt, term, seen, buf, first, sc, rng, s, a, r, s2, done, trunc) -> int:
    """One transition for one agent: dispatch to its rule (see the module docstring)."""
    sc[SC_T] += 1.0
    if algo <= DOUBLE_Q:
        return _model_free(algo, hp, tab, sc, rng, s, a, r, s2, done, trunc)
    if algo == SARSA_LAMBDA:
        return _sarsa_lambda(algo, hp, tab, sc, rng, s, a, r, s2, done, trunc)
    if algo == MC_CONTROL:
        return _mc(algo, hp, tab, buf, first, sc, rng, s, a, r, s2, done, trunc)
    if algo == DYNA_Q:
        return _dyna(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc)
    if algo == PRIORITIZED_SWEEPING:
        return _prioritized(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc)
    return _planning(algo, hp, tab, cnt, term, seen, sc, rng, s, a, r, s2, done, trunc)


@njit(cache=True)
def value_iteration(hp, tab, table, cnt, term, n_min, tol, bonus) -> int:
    """In-place Gauss-Seidel value iteration of ``tab[table]`` over the pairs with ``n(s,a) >= n_min``.

    Sweeps ``tab[table, s, a] <- backup_of(table) + bonus tab[T_BONUS, s, a]`` until the largest
    change is below ``tol``; the other pairs keep their values.  Returns the number of sweeps.
    """
    S, A = tab.shape[1], tab.shape[2]
    for it in range(1, 1_000_000):
        change = 0.0
        for x in range(S):
            for b in range(A):
                if tab[T_N, x, b] >= n_min:
                    v = backup_of(hp, tab, table, cnt, term, x, b)
                    if bonus != 0.0:
                        v += bonus * tab[T_BONUS, x, b]
                    change = max(change, abs(v - tab[table, x, b]))
                    tab[table, x, b] = v
        if change < tol:
            return it
    return -1


@njit(cache=True)
def width(hp: np.ndarray, tab: np.ndarray, cnt: np.ndarray, term: np.ndarray, s: int, a: int) -> float:
    """The bonus width of a visited pair: ``sqrt(Var(s,a) / n(s,a))``, or ``1 / sqrt(n(s,a))``.

    ``Var(s,a) = Var_hat(r) + gamma**2 Var_hat(V(s'))``: the empirical variances of the reward (from the
    squared deviations ``tab[T_RDEV]`` kept by Welford's update) and of ``V(s') = max_b Q(s', b)``
    (terminal s': 0) over the pair's samples (``variance_bonus = 1``, the default);
    ``variance_bonus = 0``: MBIE-EB's ``1 / sqrt(n)``.
    """
    n = tab[T_N, s, a]
    if hp[H_VARB] == 0.0:
        return 1.0 / np.sqrt(n)
    S = tab.shape[1]
    m1 = 0.0
    for y in range(S):
        if cnt[s, a, y] != 0.0 and term[y] == 0.0:
            m1 += cnt[s, a, y] * vmax(tab, T_Q, y)
    m1 /= n
    m2 = 0.0  # two passes: a pair with one outcome has the variance 0 (to rounding squared)
    for y in range(S):
        c = cnt[s, a, y]
        if c != 0.0:
            d = (vmax(tab, T_Q, y) if term[y] == 0.0 else 0.0) - m1
            m2 += c * d * d
    g = hp[H_GAMMA]
    return np.sqrt((tab[T_RDEV, s, a] / n + g * g * m2 / n) / n)


@njit(cache=True)
def bonus_widths(hp, tab, cnt, term, n_min) -> None:
    """R-max's ``tab[T_BONUS] = width(s, a)`` of the known pairs (:func:`width`), from the current ``Q``."""
    S, A = tab.shape[1], tab.shape[2]
    for x in range(S):
        for b in range(A):
            if tab[T_N, x, b] >= n_min and tab[T_N, x, b] > 0.0:
                tab[T_BONUS, x, b] = width(hp, tab, cnt, term, x, b)


@njit(cache=True)
def plan_model(algo, hp, tab, cnt, term, n_min, tol) -> int:
    """The batched kernel's re-plan of the estimated model (the Python path solves the same MDPs with ``planners``).

    ``Q`` (``tab[T_Q]``): the estimated MDP's Q-values over the pairs with ``n(s,a) >= n_min``, the
    other pairs keeping theirs (``q_init``, or R-max's ``rmax / (1 - gamma)``).  R-max, and certainty
    equivalence with ``beta > 0``, also plan the behaviour values ``Q2`` with the bonus ``beta
    tab[T_BONUS]`` (:func:`bonus_widths`) added to every known pair's reward (R-max with ``beta = 0``:
    ``Q2 = Q``).  Returns the number of sweeps of the plan of ``Q``.
    """
    sweeps = value_iteration(hp, tab, T_Q, cnt, term, n_min, tol, 0.0)
    if algo == RMAX or keeps_bonus_values(algo, hp):
        if hp[H_BETA] > 0.0:
            bonus_widths(hp, tab, cnt, term, n_min)
            value_iteration(hp, tab, T_Q2, cnt, term, n_min, tol, hp[H_BETA])
        else:
            tab[T_Q2] = tab[T_Q]
    return sweeps
