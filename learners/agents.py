"""The learning agents: one class per algorithm, each an ``act(obs)`` policy for any loop.

Every agent keeps its tables as NumPy arrays and updates them through the numba rules of
:mod:`learners._rules` (the math is in :mod:`learners._core`), the same functions the batched
kernel runs, so a transition changes an agent's tables identically whichever path steps it.
Certainty equivalence and R-max re-plan their estimated MDP with ``planners`` (the kernel uses
its own in-place value iteration: the one rule that exists twice, tested against each other).

>>> from learners import QLearning
>>> agent = QLearning(n_states=3, n_actions=2, seed=0)
>>> a0 = agent.begin(0)
>>> a1 = agent.observe(0, a0, 1.0, 1, terminated=False, truncated=False)   # Q(0, a0) += 1 * (1 + 0.99 * 0 - 0)
>>> float(agent.q[0, a0])
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from . import _core as C
from ._rng import seed_streams
from ._rules import bonus_widths, learn_step
from ._truth import plan_q

__all__ = [
    "ALGORITHMS",
    "Agent",
    "CertaintyEquivalence",
    "DoubleQLearning",
    "DynaQ",
    "ExpectedSarsa",
    "HyperparameterError",
    "MonteCarloControl",
    "PrioritizedSweeping",
    "QLearning",
    "RMax",
    "Sarsa",
    "SarsaLambda",
]


class HyperparameterError(ValueError):
    """A hyperparameter is missing, unknown, or out of range."""


#: hyperparameter -> (column of the kernel's table, lower bound, upper bound, integer?)
HYPER: dict[str, tuple[int, float, float, bool]] = {
    "alpha": (C.H_ALPHA, 0.0, math.inf, False),
    "omega": (C.H_OMEGA, 0.0, 1.0, False),
    "epsilon": (C.H_EPS, 0.0, 1.0, False),
    "epsilon_decay": (C.H_EPS_DECAY, 0.0, math.inf, False),
    "epsilon_min": (C.H_EPS_MIN, 0.0, 1.0, False),
    "temperature": (C.H_TEMP, 0.0, math.inf, False),
    "lam": (C.H_LAMBDA, 0.0, 1.0, False),
    "replacing": (C.H_REPLACING, 0.0, 1.0, True),
    "n_planning": (C.H_NPLAN, 0.0, 1e9, True),
    "q_init": (C.H_QINIT, -math.inf, math.inf, False),
    "theta": (C.H_THETA, 0.0, math.inf, False),
    "m": (C.H_M, 1.0, 1e12, True),
    "rmax": (C.H_RMAX, -math.inf, math.inf, False),
    "plan_tol": (C.H_TOL, 0.0, math.inf, False),
    "epsilon_per_visit": (C.H_CLOCK, 0.0, math.inf, False),
    "beta": (C.H_BETA, 0.0, math.inf, False),
    "model_cap": (C.H_CAP, 0.0, 1e12, True),
    "variance_bonus": (C.H_VARB, 0.0, 1.0, True),
}

#: the 0/1 hyperparameters (they also take a bool)
FLAGS = ("replacing", "variance_bonus")

#: the defaults every algorithm starts from (see each class for its own changes)
BASE_DEFAULTS: dict[str, float] = {
    "alpha": 0.5,
    "omega": 0.7,
    "epsilon": 1.0,
    "epsilon_decay": 20_000.0,
    "epsilon_min": 0.0,
    "temperature": 0.0,
    "lam": 0.0,
    "replacing": 0,
    "n_planning": 0,
    "q_init": 0.0,
    "theta": 0.0,
    "m": 1,
    "rmax": 1.0,
    "plan_tol": 1e-10,
    "epsilon_per_visit": 0.0,
    "beta": 0.0,
    "model_cap": 0,
    "variance_bonus": 1,
}


def check_hyper(name: str, value: Any) -> float:
    """Validate one hyperparameter value; return it as a float."""
    if name not in HYPER:
        raise HyperparameterError(f"unknown hyperparameter {name!r}; expected one of {sorted(HYPER)}")
    _, lo, hi, integer = HYPER[name]
    if isinstance(value, (bool, np.bool_)) and name not in FLAGS:
        raise HyperparameterError(f"{name} must be a number, got {bool(value)!r}")
    if isinstance(value, (str, bytes)) or not isinstance(value, (int, float, np.integer, np.floating, bool)):
        raise HyperparameterError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or not (lo <= v <= hi):
        raise HyperparameterError(f"{name} must be in [{lo}, {hi}] and finite, got {v!r}")
    if name == "alpha" and v == 0.0:
        raise HyperparameterError(f"alpha must be > 0, got {v!r}")
    if name == "plan_tol" and v == 0.0:
        raise HyperparameterError(f"plan_tol must be > 0, got {v!r}")
    if integer and v != round(v):
        raise HyperparameterError(f"{name} must be an integer, got {v!r}")
    return v


def check_gamma(gamma: Any) -> float:
    """Validate a discount in [0, 1]."""
    if isinstance(gamma, (bool, np.bool_, str, bytes)) or not isinstance(gamma, (int, float, np.integer, np.floating)):
        raise HyperparameterError(f"gamma must be a number in [0, 1], got {gamma!r}")
    g = float(gamma)
    if not (0.0 <= g <= 1.0):
        raise HyperparameterError(f"gamma must be in [0, 1], got {g!r}")
    return g


class Agent:
    """A tabular learner over ``Discrete(n_states)`` observations and ``Discrete(n_actions)`` actions.

    Parameters
    ----------
    n_states, n_actions : int
    gamma : float in [0, 1]
    seed : int
        Seeds the agent's stream (exploration, ties, planning draws): ``seed_streams(seed, 1)[0]``.
    max_episode_steps : int, optional
        Length of Monte-Carlo control's episode buffer (a longer episode is processed in pieces).
    **hyper
        The algorithm's hyperparameters (``alpha``, ``epsilon``, ``n_planning``...; see
        :attr:`defaults` and :data:`HYPER`).

    Attributes
    ----------
    q : ndarray (S, A)
        The behaviour values (``Q1 + Q2`` for Double Q-learning); a copy.
    updates : int
        Updates applied to the tables (real and planning).
    """

    name: ClassVar[str] = ""
    algo_id: ClassVar[int] = -1
    defaults: ClassVar[Mapping[str, float]] = {}

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        gamma: float = 0.99,
        seed: int = 0,
        max_episode_steps: int | None = None,
        **hyper: Any,
    ) -> None:
        for what, n in (("n_states", n_states), ("n_actions", n_actions)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise HyperparameterError(f"{what} must be a positive integer, got {n!r}")
        self.gamma = check_gamma(gamma)
        self.hyper = self.resolve(hyper)
        if self.algo_id == C.RMAX and self.gamma >= 1.0:
            raise HyperparameterError(
                f"R-max needs gamma < 1 (unknown pairs are worth rmax / (1 - gamma)), got {gamma!r}"
            )
        self.hp = hyper_row(self.gamma, self.hyper, self.algo_id)
        S, A = int(n_states), int(n_actions)
        mem = allocate(self.algo_id, 1, S, A, self.hp[None], buffer=max_episode_steps or 100_000)
        self._tab, self._cnt, self._term, self._seen, self._buf, self._first, self._sc = (m[0] for m in mem)
        self._rng = seed_streams(seed, 1)[0].copy()

    @classmethod
    def resolve(cls, hyper: Mapping[str, Any]) -> dict[str, float]:
        """The full hyperparameter set: defaults updated by ``hyper`` (validated).

        An explicit ``epsilon`` without ``temperature`` asks for epsilon-greedy behaviour: it sets
        ``temperature = 0`` over a softmax default (else the epsilon would be silently unused);
        for Dyna-Q, prioritized sweeping and certainty equivalence, without ``beta`` it also sets
        ``beta = 0`` over their bonus default: plain epsilon-greedy behaviour on ``Q``, the
        textbook algorithm (Sutton & Barto's settings give Sutton & Barto's agent).
        """
        out = dict(BASE_DEFAULTS)
        out.update(cls.defaults)
        for k, v in hyper.items():
            out[k] = check_hyper(k, v)
        if "epsilon" in hyper and "temperature" not in hyper:
            out["temperature"] = 0.0
        if "epsilon" in hyper and "beta" not in hyper and cls.algo_id in C.BONUS_ALGOS:
            out["beta"] = 0.0
        return out

    # ----------------------------------------------------------- the tables
    @property
    def q(self) -> np.ndarray:
        """``(S, A)`` behaviour values (a copy)."""
        q = self._tab[C.T_Q].copy()
        if self.algo_id == C.DOUBLE_Q:
            q += self._tab[C.T_Q2]
        return q

    @property
    def tables(self) -> np.ndarray:
        """``(6, S, A)``: Q, Q2, traces, visit counts, reward sums, priorities (live, writable)."""
        return self._tab

    @property
    def updates(self) -> int:
        """Updates applied so far (real and planning)."""
        return int(self._sc[C.SC_UPDATES])

    @property
    def steps(self) -> int:
        """Transitions observed so far."""
        return int(self._sc[C.SC_T])

    # ------------------------------------------------------------ the policy
    def act(self, obs: Any, explore: bool = False) -> int:
        """The greedy action in ``obs`` (ties at random), or the behaviour action with ``explore=True``."""
        s = self._obs(obs)
        if explore:
            return int(C.select(self._tab, self.algo_id, self.hp, s, self._sc[C.SC_T], self._rng))
        return int(C.greedy(self._tab, C.T_Q if self.algo_id == C.RMAX else -1, self.algo_id, s, self._rng))

    def begin(self, obs: Any) -> int:
        """Start an episode in ``obs``: the first behaviour action."""
        return self.act(obs, explore=True)

    def observe(self, obs: Any, action: Any, reward: float, next_obs: Any, terminated: bool, truncated: bool) -> int:
        """Learn from one transition; return the next behaviour action (-1 when the episode ended)."""
        s, s2 = self._obs(obs), self._obs(next_obs)
        a = int(action)
        if not 0 <= a < self._tab.shape[2]:
            raise HyperparameterError(f"action must be in 0..{self._tab.shape[2] - 1}, got {action!r}")
        done, trunc = bool(terminated), bool(truncated) and not bool(terminated)
        a2 = learn_step(
            self.algo_id, self.hp, self._tab, self._cnt, self._term, self._seen, self._buf, self._first,
            self._sc, self._rng, s, a, float(reward), s2, done, trunc,
        )  # fmt: skip
        if a2 == C.NEED_PLAN:
            self._replan()
            a2 = -1 if (done or trunc) else C.select(self._tab, self.algo_id, self.hp, s2, self._sc[C.SC_T], self._rng)
        return int(a2)

    def _replan(self) -> None:
        """:func:`learners._rules.plan_model` (the kernel's re-plan) with ``planners``."""
        n_min = self.hp[C.H_M] if self.algo_id == C.RMAX else 1.0
        known = self._tab[C.T_N] >= n_min
        plans = [(C.T_Q, 0.0)]
        if (self.algo_id == C.RMAX and self.hp[C.H_BETA] > 0.0) or C.keeps_bonus_values(self.algo_id, self.hp):
            plans.append((C.T_Q2, float(self.hp[C.H_BETA])))
        for table, bonus in plans:
            if bonus > 0.0:
                bonus_widths(self.hp, self._tab, self._cnt, self._term, n_min)
            q = plan_q(self._tab, self._cnt, self._term, self.gamma, n_min, self.hp[C.H_TOL], table, bonus)
            self._tab[table][known] = q[known]
        if self.algo_id == C.RMAX and self.hp[C.H_BETA] == 0.0:
            self._tab[C.T_Q2] = self._tab[C.T_Q]

    def _obs(self, obs: Any) -> int:
        if isinstance(obs, (bool, np.bool_)) or not isinstance(obs, (int, np.integer)):
            raise HyperparameterError(f"observations must be integer states, got {obs!r}")
        s = int(obs)
        if not 0 <= s < self._tab.shape[1]:
            raise HyperparameterError(f"observation must be in 0..{self._tab.shape[1] - 1}, got {obs!r}")
        return s

    def __repr__(self) -> str:
        S, A = self._tab.shape[1:]
        return f"{type(self).__name__}(n_states={S}, n_actions={A}, gamma={self.gamma}, steps={self.steps})"


def hyper_row(gamma: float, hyper: Mapping[str, float], algo_id: int) -> np.ndarray:
    """The kernel's ``(NH,)`` hyperparameter row."""
    hp = np.zeros(C.NH)
    hp[C.H_GAMMA] = gamma
    for k, v in hyper.items():
        hp[HYPER[k][0]] = v
    return hp


def initial_q(algo_id: int, hp: np.ndarray) -> Any:
    """Initial action value: ``q_init``, or R-max's optimistic ``rmax / (1 - gamma)``.

    ``hp`` one ``(NH,)`` row (a float back) or ``(N, NH)`` rows (one value per agent).
    """
    if algo_id == C.RMAX:
        return hp[..., C.H_RMAX] / (1.0 - hp[..., C.H_GAMMA])
    return hp[..., C.H_QINIT]


def initial_q2(algo_id: int, hp: np.ndarray) -> Any:
    """Initial second table: R-max's behaviour values ``(rmax + beta) / (1 - gamma)``, Double Q's
    ``q_init``, the bonus values' ``q_init`` (:data:`learners._core.BONUS_ALGOS`), else 0.

    ``hp`` as for :func:`initial_q`.
    """
    if algo_id == C.RMAX:
        return (hp[..., C.H_RMAX] + hp[..., C.H_BETA]) / (1.0 - hp[..., C.H_GAMMA])
    if algo_id == C.DOUBLE_Q or algo_id in C.BONUS_ALGOS:
        return hp[..., C.H_QINIT]
    return np.zeros(hp.shape[:-1])


def allocate(algo_id: int, n: int, S: int, A: int, hp: np.ndarray, buffer: int) -> tuple[np.ndarray, ...]:
    """Per-agent arrays for ``n`` agents (unused tables get size 1, so one kernel signature serves all)."""
    tab = np.zeros((n, C.NT, S, A))
    tab[:, C.T_Q] = initial_q(algo_id, hp)[:, None, None]
    tab[:, C.T_Q2] = initial_q2(algo_id, hp)[:, None, None]
    model = algo_id in C.MODEL_BASED
    cnt = np.zeros((n, S, A, S) if model else (n, 1, 1, 1))
    term = np.zeros((n, S))
    # the pairs seen (S*A), then each state's predecessor count (S) and list (S x S*A): see _rules._record
    seen = np.zeros((n, S * A + S + S * S * A if model else 1), dtype=np.int64)
    mc = algo_id == C.MC_CONTROL
    buf = np.zeros((n, max(1, buffer) if mc else 1, 3))
    first = np.full((n, S, A) if mc else (n, 1, 1), -1, dtype=np.int64)
    sc = np.zeros((n, C.NSC))
    return tab, cnt, term, seen, buf, first, sc


class QLearning(Agent):
    """Q-learning (Watkins 1989): off-policy TD control, target ``r + gamma max_b Q(s', b)``."""

    name = "q_learning"
    algo_id = C.Q_LEARNING


#: the on-policy learners' behaviour (SARSA, Expected SARSA, SARSA(lambda), MC control); see :class:`Sarsa`
ON_POLICY_DEFAULTS: dict[str, float] = {"temperature": 1.0, "epsilon_decay": 30_000.0, "epsilon_per_visit": 30.0}


class Sarsa(Agent):
    """SARSA: on-policy TD control, target ``r + gamma Q(s', a')``.

    An on-policy learner converges to the best policy *of its behaviour class*: with a constant
    epsilon that is the best epsilon-greedy policy, not the optimal one (in the 4x3 world the
    uniform exploration's falls into the -1 exit make the long way round look better).  So the
    default behaviour must become greedy in the limit while exploring infinitely often (GLIE,
    Singh et al. 2000).  Defaults (:data:`ON_POLICY_DEFAULTS`), chosen on the 4x3 world (gamma
    0.99, deterministic and slip 0.2; ``tests/learners/test_truth_4x3.py``) and depending on
    nothing but the spaces:

    * softmax behaviour, ``temperature = 1``: exploration concentrates on near-best actions, so
      the catastrophic actions that distort on-policy values are rarely taken even while the
      temperature is still high (uniform epsilon-greedy with any one decay failed either the
      deterministic or the slippery world: too much exploration left at 30 000 steps, or too
      little for the slippery world's rarely visited states at 200 000);
    * the temperature decays harmonically, ``1 / (1 + (t + 30 n(s)) / 30 000)``: on a global
      clock (every state greedy in the limit, so rarely visited states do not keep acting at
      random, which spoils their on-policy values) advanced 30 steps more by each visit of the
      state itself (often visited states become greedy sooner: a per-state GLIE schedule).
      Harmonic decay keeps the exploration sum infinite, so a long run keeps exploring, ever less.
    * step size ``0.5 / n(s, a)**0.7`` (Robbins-Monro: ``sum alpha = inf``, ``sum alpha**2 < inf``),
      which averages out the stale early targets.
    """

    name = "sarsa"
    algo_id = C.SARSA
    defaults = ON_POLICY_DEFAULTS


class ExpectedSarsa(Agent):
    """Expected SARSA (van Seijen et al. 2009): target ``r + gamma E_pi Q(s', .)``.

    On-policy (the expectation is under the behaviour policy), so the defaults are
    :class:`Sarsa`'s (softmax with a decaying temperature; see there why).
    """

    name = "expected_sarsa"
    algo_id = C.EXPECTED_SARSA
    defaults = ON_POLICY_DEFAULTS


class DoubleQLearning(Agent):
    """Double Q-learning (van Hasselt 2010): two tables, one selects, the other evaluates.

    Defaults: ``alpha = 1`` (each table gets half the updates; ``alpha / n**0.7`` still averages)
    and a slower decay, ``epsilon_decay = 50 000`` (off-policy: exploring longer costs nothing).
    """

    name = "double_q"
    algo_id = C.DOUBLE_Q
    defaults = {"alpha": 1.0, "epsilon_decay": 50_000.0}


class SarsaLambda(Agent):
    """SARSA(lambda) with eligibility traces (accumulating, or ``replacing=1``).

    Defaults: :class:`Sarsa`'s behaviour, and ``lam = 0.5``: on the slippery 4x3 world
    ``lam = 0.8`` or ``0.9`` failed in 1 to 3 of 20 seeds (long traces carry the noise of the
    slips back along the path), ``0.5`` in none while still speeding up the deterministic case.
    """

    name = "sarsa_lambda"
    algo_id = C.SARSA_LAMBDA
    defaults = {**ON_POLICY_DEFAULTS, "lam": 0.5}


class MonteCarloControl(Agent):
    """First-visit Monte-Carlo control.

    Defaults: :class:`Sarsa`'s behaviour (MC control is on-policy too: it averages the returns of
    its behaviour), step size ``0.5 / n(s, a)**0.85`` (close to a sample mean, still forgetting the
    returns of the early, exploratory policies).  Its ``n(s)`` counts first-visit updates, made at
    episode ends.
    """

    name = "mc_control"
    algo_id = C.MC_CONTROL
    defaults = {**ON_POLICY_DEFAULTS, "omega": 0.85}


#: the directed exploration of Dyna-Q, prioritized sweeping and certainty equivalence (see :class:`DynaQ`)
BONUS_DEFAULTS: dict[str, float] = {"beta": 50.0, "epsilon_decay": 5_000.0}


class DynaQ(Agent):
    """Dyna-Q (Sutton 1990): Q-learning plus ``n_planning`` model backups per real step.

    The model is the counts ``c(s,a,s')`` with expected backups over their empirical distribution
    (in a deterministic world Sutton & Barto's last-outcome model; in a stochastic one the sample
    model, not biased toward the latest outcome).  A planning backup takes the constant step
    ``alpha`` (it is already an average over the model; ``alpha / n**omega`` would leave the often
    visited pairs' ``Q`` lagging behind their model).

    Defaults (:data:`BONUS_DEFAULTS`; ``n_planning = 5``, Sutton & Barto's Figure 8.2 setting),
    chosen on the slippery 4x3 world, whose smallest Q-gap (0.012) needs about 10 000 samples of
    the pairs behind it, more than undirected exploration gives in 200 000 steps: directed
    exploration as :class:`RMax`'s.  ``q``, ``policy`` and ``act(obs)`` are the plain agent's; the
    behaviour (``act(obs, explore=True)``) is epsilon-greedy (``epsilon_decay = 5 000``) on bonus
    values ``Q2``, a state's untried actions first, where every backup of ``Q`` (real and
    planning) is followed by the full backup of the same model with ``beta w(s, a)`` added to the
    reward (``beta = 50``; ``w`` the standard error of the pair's backup,
    :func:`learners._rules.width`).  ``beta = 0`` (also implied by an
    explicit ``epsilon`` without ``beta``) is Sutton & Barto's Dyna-Q.  In a deterministic world
    ``w = 0``.  Measured (slip 0.2, 100 agents a seed): optimal everywhere at 200 000 steps in
    496/500 of seeds 0-4 (previous defaults, undirected: 183/200 of seeds 0-1); docs/learners.md.
    """

    name = "dyna_q"
    algo_id = C.DYNA_Q
    defaults = {"n_planning": 5, **BONUS_DEFAULTS}


class PrioritizedSweeping(Agent):
    """Prioritized sweeping (Moore & Atkeson 1993): model backups ordered by priority.

    Planning backups take the constant step ``alpha``, as :class:`DynaQ`'s.  Defaults: ``n_planning
    = 5`` pops per step, ``theta = 1e-4`` (priorities below it are not queued; ``1e-3``, a tenth
    of the smallest Q-gap of the slippery 4x3 world, left ``Q`` that far from its model and failed
    4/200 agents), and the directed exploration of :class:`DynaQ` (:data:`BONUS_DEFAULTS`; the bonus
    values ``Q2`` are backed up at each pop and at the real pair).  Measured (slip 0.2, 100 agents a
    seed): 499/500 of seeds 0-4 (previous defaults, ``theta = 1e-3``, undirected: 180/200 of seeds 0-1).
    """

    name = "prioritized_sweeping"
    algo_id = C.PRIORITIZED_SWEEPING
    defaults = {"n_planning": 5, "theta": 1e-4, **BONUS_DEFAULTS}


class CertaintyEquivalence(Agent):
    """Certainty equivalence: act on the exact solution of the estimated MDP, re-planned on doubling counts.

    With ``beta > 0`` each re-plan also solves the bonus values ``Q2`` (the estimated MDP with
    ``beta w(s, a)`` added to each visited pair's reward, as :class:`RMax`'s) and the behaviour is
    epsilon-greedy on them, a state's untried actions first; ``q`` and ``policy`` stay the plain estimated MDP's.  Defaults
    (:data:`BONUS_DEFAULTS`): greedy on the maximum-likelihood model with undirected exploration
    lacks samples at the slippery 4x3 world's 0.012 Q-gap (previous defaults: 175/200 agents optimal at 200 000 steps,
    seeds 0-1); with the bonus 499/500 (seeds 0-4, 100 agents each).  ``beta = 0`` (also implied
    by an explicit ``epsilon`` without ``beta``) is the textbook agent.
    """

    name = "certainty_equivalence"
    algo_id = C.CERTAINTY_EQUIVALENCE
    defaults = dict(BONUS_DEFAULTS)


class RMax(Agent):
    """R-max (Brafman & Tennenholtz 2002) with a fading, variance-scaled exploration bonus (MBIE-EB style).

    A pair seen fewer than ``m`` times is *unknown* and worth ``rmax / (1 - gamma)``; the known
    pairs' model (counts, reward sums) keeps learning from every sample (up to ``model_cap``
    samples; 0: no cap), and the estimated MDP is re-planned when a pair's count reaches
    ``m 2^k`` (it becomes known, then each doubling: O(S A log T) re-plans).  Two tables:

    * ``q`` (and so ``policy``, ``act(obs)``, the curves): the estimated MDP's Q-values, unknown
      pairs at ``rmax / (1 - gamma)`` -- *without* the bonus: the policy the agent would follow
      if it stopped exploring;
    * the behaviour values ``Q2`` (``act(obs, explore=True)``, greedy, ties at random): the same MDP
      with the bonus ``beta w(s, a)`` added to each known pair's reward, unknown pairs at
      ``(rmax + beta) / (1 - gamma)``.  ``w = sqrt((Var_hat(r) + gamma^2 Var_hat(V(s'))) / n)`` (the
      empirical standard error of the pair's backup, without the covariance term; V from ``q``), or
      with ``variance_bonus = 0`` MBIE-EB's ``w = 1 / sqrt(n)`` (Strehl & Littman 2008).

    ``beta = 0, model_cap = m`` is Brafman & Tennenholtz's R-max (frozen models); ``m = 1,
    variance_bonus = 0, model_cap = m'`` MBIE-EB.  Both are PAC-MDP with their theory's ``m``
    (and ``beta``), polynomial in ``S, A, 1/eps, log(1/delta), 1/(1 - gamma)`` (Strehl, Li & Littman 2009;
    Strehl & Littman 2008); the variance-scaled bonus is not covered by those proofs, and the
    defaults are far below the theory's sizes, so the defaults carry no guarantee.

    Defaults ``m = 30, beta = 50``, greedy (``epsilon = 0``), chosen on the 4x3 world
    (``tests/learners/test_truth_4x3.py``): with slip 0.2 the smallest Q-gap, 0.012 at (2, 2),
    needs thousands of samples of the pairs behind it (the maximum-likelihood model with 4 000
    samples of *every* pair is still wrong somewhere 4.5 % of the time), more than undirected
    exploration or a fixed ``m`` gives in 200 000 steps; the variance-scaled bonus sends the
    samples to the noisy pairs (a pair next to the -1 exit) and not to the quiet ones (the
    bonus of the Hoeffding width ``1 / sqrt(n)`` went mostly into wall-bumping self-loops).
    ``m = 30`` keeps the deterministic world fast; ``beta = 50`` passed all 120 slippery agents of
    seeds 0-5 (``beta`` 20 failed 4 of the 40 of seeds 4-5; 10 and 100 failed on seed 0).  The bonus
    is in standard errors and must be large: a pair off the optimal path is revisited only while
    its bonus exceeds the detour's cost, and its error must fall below half the 0.012 gap.  On
    RiverSwim (rewards up to 10 000) these defaults explore for longer (optimal after 50 000 steps,
    not 20 000), where Brafman & Tennenholtz's ``beta = 0, model_cap = m`` is optimal after 5 000.
    """

    name = "rmax"
    algo_id = C.RMAX
    defaults = {"epsilon": 0.0, "epsilon_decay": 0.0, "m": 30, "beta": 50.0}


#: name -> agent class
ALGORITHMS: dict[str, type[Agent]] = {
    cls.name: cls
    for cls in (
        QLearning,
        Sarsa,
        ExpectedSarsa,
        DoubleQLearning,
        SarsaLambda,
        MonteCarloControl,
        DynaQ,
        PrioritizedSweeping,
        CertaintyEquivalence,
        RMax,
    )
}
