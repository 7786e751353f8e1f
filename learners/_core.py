r"""The update rules, once: numba functions on one agent's arrays, called by the batched kernel
and by the Python path alike (so both apply the same update to the same transition).

Notation: a transition ``(s, a, r, s')``, ``done`` when ``s'`` is terminal (its value is 0),
``trunc`` when a time limit cut the episode (``s'`` is not terminal: targets bootstrap from it).
``n(s, a)`` counts real visits; the step size is ``alpha_n = alpha / n(s, a)**omega``
(``omega = 0``: constant; ``0.5 < omega <= 1``: the Robbins-Monro conditions hold).

* Q-learning (Watkins 1989): ``Q(s,a) += alpha_n (r + gamma max_b Q(s',b) - Q(s,a))``.
* SARSA: target ``r + gamma Q(s', a')`` with ``a'`` the next behaviour action.
* Expected SARSA: target ``r + gamma sum_b pi(b|s') Q(s',b)``, ``pi`` the behaviour policy.
* Double Q-learning (van Hasselt 2010): a fair coin picks the table ``Q1`` or ``Q2`` to update;
  ``Q1(s,a) += alpha_n (r + gamma Q2(s', argmax_b Q1(s',b)) - Q1(s,a))`` (and symmetrically);
  behaviour on ``Q1 + Q2``.
* SARSA(lambda): ``delta = r + gamma Q(s',a') - Q(s,a)``; ``e(s,a) += 1`` (accumulating) or
  ``= 1`` (replacing); ``Q += alpha_n delta e``; ``e *= gamma lambda``; ``e = 0`` at episode end.
* First-visit Monte-Carlo control: at episode end, ``G_t = r_t + gamma G_{t+1}`` backwards and
  ``Q(s_t,a_t) += alpha_n (G_t - Q(s_t,a_t))`` at each pair's first visit (``alpha=1, omega=1``:
  the sample mean of first-visit returns).
* The model (Dyna-Q, prioritized sweeping, certainty equivalence, R-max): counts ``c(s,a,s')``,
  reward sums, and the states seen to be terminal; the model's backup is the expected update
  ``B(s,a) = rbar(s,a) + gamma sum_s' c(s,a,s')/n(s,a) max_b Q(s',b)`` (terminal ``s'``: 0),
  which in a deterministic env is Sutton & Barto's Dyna-Q model (the last observed outcome).
* Dyna-Q (Sutton 1990): a Q-learning step, then ``n_planning`` updates
  ``Q(s,a) += alpha (B(s,a) - Q(s,a))`` at pairs drawn uniformly among those seen (the constant
  ``alpha``: ``B`` is already the model's average).
* Prioritized sweeping (Moore & Atkeson 1993; Sutton & Barto Sec. 8.4): the real transition
  only queues ``(s,a)`` with priority ``|B(s,a) - Q(s,a)|`` if above ``theta``; then up to
  ``n_planning`` pops of the highest priority, each one update (step ``alpha``), queueing its
  predecessors.
* Certainty equivalence: ``Q`` is the exact solution of the estimated MDP, re-planned when a
  pair's count reaches a power of two (the model changed enough: O(S A log T) re-plans).
  Unvisited pairs keep ``q_init``.
* Directed exploration of these three (``beta > 0``): bonus values ``Q2``, the estimated MDP with
  each visited pair's reward raised by ``beta w(s,a)`` (``w`` as R-max's below), kept by the
  agent's own planning: certainty equivalence solves them at each re-plan; Dyna-Q and prioritized
  sweeping follow every backup of ``Q(s,a)`` (real or planning) with the full backup
  ``Q2(s,a) = rbar + beta w(s,a) + gamma sum_s' c/n max_b Q2(s',b)`` (asynchronous value
  iteration).  The behaviour acts on ``Q2``, a state's untried actions first (uniformly at random:
  the bonus values' optimism for unvisited pairs, as R-max's unknown pairs); ``Q`` (what ``q`` and
  ``policy`` report) has no bonus.
* R-max (Brafman & Tennenholtz 2002), with an MBIE-EB-style bonus (Strehl & Littman 2008): a pair
  is known after ``m`` visits; unknown pairs are worth ``rmax / (1 - gamma)``; the known pairs'
  model keeps learning (up to ``model_cap`` samples; ``model_cap = m``: the original frozen model).
  ``Q`` is the estimated MDP's solution (no bonus; what ``q`` and ``policy`` report).  The
  behaviour is greedy on ``Q2``, the solution of the same MDP with the reward of each known pair
  raised by ``beta w(s,a)``, unknown pairs at ``(rmax + beta) / (1 - gamma)``, where
  ``w = sqrt((Var_hat(r) + gamma^2 Var_hat(max_b Q(s',b))) / n(s,a))`` (the standard error of the
  pair's backup; ``variance_bonus = 0``: MBIE-EB's ``1 / sqrt(n)``).  Both are re-planned when a
  count reaches ``m 2^k``.  PAC (eps-optimal on all but polynomially many steps, with
  probability 1 - delta): R-max with ``beta = 0, model_cap = m`` and ``m`` polynomial in
  ``S, A, 1/(1-gamma), 1/eps, log 1/delta`` (Strehl, Li & Littman 2009); MBIE-EB (``m = 1``,
  ``variance_bonus = 0``) with its ``beta ~ (1/(1-gamma)) sqrt(log(S A m'/delta))`` and samples
  capped at ``model_cap = m'`` (Strehl & Littman 2008).  The variance-scaled width has no proof here.

Behaviour: epsilon-greedy with ``epsilon_t = max(epsilon_min, epsilon / (1 + c / epsilon_decay))``
on the clock ``c = t + epsilon_per_visit * n(s)`` (``t`` steps, ``n(s) = sum_a n(s, a)`` the visits of
the state acted in; ``epsilon_per_visit = 0``: the steps alone) (``epsilon_decay = 0``: constant; otherwise greedy in the limit with infinite
exploration, GLIE: the harmonic decay sums to infinity; Singh et al. 2000), or softmax with
``temperature_t = temperature / (1 + c / epsilon_decay)`` when ``temperature > 0``;
optimistic initial values via ``q_init``.  Greedy ties (within ``TIE_RTOL * max(1, |max Q|)``)
are broken uniformly at random from the agent's seeded stream.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from planners import TIE_RTOL  # the project's one tie tolerance (numba reads it as a constant)

from ._rng import randint, uniform

# algorithm ids (the kernel's switch)
Q_LEARNING, SARSA, EXPECTED_SARSA, DOUBLE_Q, SARSA_LAMBDA, MC_CONTROL = 0, 1, 2, 3, 4, 5
DYNA_Q, PRIORITIZED_SWEEPING, CERTAINTY_EQUIVALENCE, RMAX = 6, 7, 8, 9
#: algorithms that keep a model c(s, a, s')
MODEL_BASED = (DYNA_Q, PRIORITIZED_SWEEPING, CERTAINTY_EQUIVALENCE, RMAX)
#: algorithms whose Q comes from planning on the model (the caller re-plans on NEED_PLAN)
PLANNING = (CERTAINTY_EQUIVALENCE, RMAX)

# hyperparameter columns of the (N, NH) table
H_GAMMA, H_ALPHA, H_OMEGA, H_EPS, H_EPS_DECAY, H_EPS_MIN, H_TEMP, H_LAMBDA = 0, 1, 2, 3, 4, 5, 6, 7
H_REPLACING, H_NPLAN, H_QINIT, H_THETA, H_M, H_RMAX, H_TOL, H_CLOCK = 8, 9, 10, 11, 12, 13, 14, 15
H_BETA, H_CAP, H_VARB = 16, 17, 18
NH = 19
# tables of the (NT, S, A) array
T_Q, T_Q2, T_E, T_N, T_RSUM, T_PRIO = 0, 1, 2, 3, 4, 5
NT = 6
#: R-max keeps its squared reward deviations and bonus widths in the tables it has no other use for
T_RDEV, T_BONUS = T_E, T_PRIO
#: the model-based agents that, with ``beta > 0``, act on bonus values ``Q2`` like R-max (see :func:`behaviour_table`)
BONUS_ALGOS = (DYNA_Q, PRIORITIZED_SWEEPING, CERTAINTY_EQUIVALENCE)
# scalars: steps observed, pairs seen, updates applied, MC buffer length
SC_T, SC_NSEEN, SC_UPDATES, SC_BUFLEN = 0, 1, 2, 3
NSC = 4
#: returned by learn_step when the caller must re-plan before choosing the next action
NEED_PLAN = -2


@njit(cache=True, inline="always")
def epsilon_at(hp: np.ndarray, t: float) -> float:
    """The exploration rate after ``t`` steps: ``max(epsilon_min, epsilon / (1 + t / epsilon_decay))``."""
    eps = hp[H_EPS]
    if hp[H_EPS_DECAY] > 0.0:
        eps = max(hp[H_EPS_MIN], eps / (1.0 + t / hp[H_EPS_DECAY]))
    return eps


@njit(cache=True)
def temperature_at(hp: np.ndarray, t: float) -> float:
    """The softmax temperature after ``t`` steps: ``temperature / (1 + t / epsilon_decay)``."""
    temp = hp[H_TEMP]
    if hp[H_EPS_DECAY] > 0.0:
        temp = temp / (1.0 + t / hp[H_EPS_DECAY])
    return temp


@njit(cache=True)
def clock(tab: np.ndarray, hp: np.ndarray, s: int, t: float) -> float:
    """The schedules' clock in ``s``: ``t + epsilon_per_visit * n(s)``, ``n(s) = sum_a n(s, a)`` the state's visits."""
    if hp[H_CLOCK] == 0.0:
        return t
    acc = 0.0
    for b in range(tab.shape[2]):
        acc += tab[T_N, s, b]
    return t + hp[H_CLOCK] * acc


@njit(cache=True)
def step_size(hp: np.ndarray, n: float) -> float:
    """``alpha / n**omega`` (``n >= 1`` visits)."""
    if hp[H_OMEGA] == 0.0:
        return hp[H_ALPHA]
    return hp[H_ALPHA] / n ** hp[H_OMEGA]


@njit(cache=True)
def action_value(tab: np.ndarray, algo: int, s: int, b: int) -> float:
    """The value the greedy policy ranks action ``b`` by (``Q1 + Q2`` for Double Q, else ``Q``)."""
    if algo == DOUBLE_Q:
        return tab[T_Q, s, b] + tab[T_Q2, s, b]
    return tab[T_Q, s, b]


@njit(cache=True)
def keeps_bonus_values(algo: int, hp: np.ndarray) -> bool:
    """Whether Dyna-Q, prioritized sweeping or certainty equivalence keeps bonus values ``Q2`` (``beta > 0``)."""
    return hp[H_BETA] > 0.0 and algo in BONUS_ALGOS


@njit(cache=True)
def behaviour_table(algo: int, hp: np.ndarray) -> int:
    """The table the behaviour acts on: the bonus values ``Q2`` of R-max, and of Dyna-Q, prioritized
    sweeping and certainty equivalence when ``beta > 0``; else -1 (:func:`action_value`)."""
    if algo == RMAX or keeps_bonus_values(algo, hp):
        return T_Q2
    return -1


@njit(cache=True)
def _best(tab: np.ndarray, table: int, algo: int, s: int) -> tuple[float, float]:
    A = tab.shape[2]
    best = -math.inf
    for b in range(A):
        v = action_value(tab, algo, s, b) if table < 0 else tab[table, s, b]
        if v > best:
            best = v
    return best, TIE_RTOL * max(1.0, abs(best))


@njit(cache=True)
def greedy(tab: np.ndarray, table: int, algo: int, s: int, rng: np.ndarray) -> int:
    """Argmax of ``tab[table, s]`` (``table < 0``: the behaviour values), ties at random."""
    A = tab.shape[2]
    best, tol = _best(tab, table, algo, s)
    nt = 0
    last = 0
    for b in range(A):
        v = action_value(tab, algo, s, b) if table < 0 else tab[table, s, b]
        if v >= best - tol:
            nt += 1
            last = b
    if nt == 1:
        return last
    k = randint(rng, 0, nt)
    for b in range(A):
        v = action_value(tab, algo, s, b) if table < 0 else tab[table, s, b]
        if v >= best - tol:
            if k == 0:
                return b
            k -= 1
    return last


@njit(cache=True)
def _softmax(tab: np.ndarray, table: int, algo: int, s: int, temp: float, rng: np.ndarray) -> int:
    A = tab.shape[2]
    best, _ = _best(tab, table, algo, s)
    z = 0.0
    for b in range(A):
        v = action_value(tab, algo, s, b) if table < 0 else tab[table, s, b]
        z += math.exp((v - best) / temp)
    u = uniform(rng, 0) * z
    for b in range(A):
        v = action_value(tab, algo, s, b) if table < 0 else tab[table, s, b]
        u -= math.exp((v - best) / temp)
        if u < 0.0:
            return b
    return A - 1


@njit(cache=True)
def select(tab: np.ndarray, algo: int, hp: np.ndarray, s: int, t: float, rng: np.ndarray) -> int:
    """The behaviour action in ``s`` after ``t`` steps (softmax, or epsilon-greedy) on :func:`behaviour_table`."""
    table = behaviour_table(algo, hp)
    if hp[H_TEMP] > 0.0:
        t = clock(tab, hp, s, t)
        return _softmax(tab, table, algo, s, temperature_at(hp, t), rng)
    eps = epsilon_at(hp, clock(tab, hp, s, t))
    if eps > 0.0 and uniform(rng, 0) < eps:
        return randint(rng, 0, tab.shape[2])
    if table == T_Q2 and algo != RMAX:
        untried = _untried(tab, s)
        if untried > 0:  # the bonus values' optimism for unvisited pairs: one of them, at random
            return _kth_untried(tab, s, randint(rng, 0, untried))
    return greedy(tab, table, algo, s, rng)


@njit(cache=True)
def _untried(tab: np.ndarray, s: int) -> int:
    """How many actions of ``s`` have never been taken (``n(s, b) = 0``)."""
    c = 0
    for b in range(tab.shape[2]):
        c += tab[T_N, s, b] == 0.0
    return c


@njit(cache=True)
def _kth_untried(tab: np.ndarray, s: int, k: int) -> int:
    """The ``k``-th (from 0) never-taken action of ``s``."""
    for b in range(tab.shape[2]):
        if tab[T_N, s, b] == 0.0:
            if k == 0:
                return b
            k -= 1
    return tab.shape[2] - 1


@njit(cache=True)
def policy_expectation(tab: np.ndarray, algo: int, hp: np.ndarray, s: int, t: float) -> float:
    """``sum_b pi(b|s) Q(s,b)`` under the behaviour policy (ties share the greedy mass)."""
    A = tab.shape[2]
    best, tol = _best(tab, -1, algo, s)
    t = clock(tab, hp, s, t)
    if hp[H_TEMP] > 0.0:
        temp = temperature_at(hp, t)
        z = 0.0
        acc = 0.0
        for b in range(A):
            w = math.exp((tab[T_Q, s, b] - best) / temp)
            z += w
            acc += w * tab[T_Q, s, b]
        return acc / z
    eps = epsilon_at(hp, t)
    nt = 0
    greedy_sum = 0.0
    total = 0.0
    for b in range(A):
        v = tab[T_Q, s, b]
        total += v
        if v >= best - tol:
            nt += 1
            greedy_sum += v
    return (1.0 - eps) * greedy_sum / nt + eps * total / A


@njit(cache=True)
def vmax(tab: np.ndarray, table: int, s: int) -> float:
    """``max_b tab[table, s, b]``."""
    best = tab[table, s, 0]
    for b in range(1, tab.shape[2]):
        best = max(best, tab[table, s, b])
    return best


@njit(cache=True)
def visit(tab: np.ndarray, hp: np.ndarray, s: int, a: int) -> float:
    """Count a real visit of ``(s, a)``; return its step size."""
    tab[T_N, s, a] += 1.0
    return step_size(hp, tab[T_N, s, a])
