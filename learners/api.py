"""``learn`` (one agent, any Discrete Gymnasium env, Python stepping) and ``learn_batch`` (N agents,
one numba kernel over the env's arrays), with curves measured against the exact optimum.

The curve of a run (:class:`Curve`):

* per finished episode: its return ``sum_t r_t``, discounted return ``G = sum_t gamma^t r_t``,
  length, start state and the step it ended at; the cumulative regret
  ``sum_episodes (V*(s_0) - G)`` (an unbiased estimate of the behaviour's cumulative
  start-state shortfall; a truncated episode counts its truncated return);
* at log-spaced checkpoint steps, for the greedy policy ``pi_t`` of the agent's values
  (lowest index among ties): the value gap ``max_s |V*(s) - V^pi_t(s)|``, the start-state gap
  ``d0 . (V* - V^pi_t)`` (``V^pi_t`` by planners' exact policy evaluation), and whether every
  greedy action (ties included) of every live state is in the planner's optimal set.

``V*`` comes from ``planners`` (:mod:`learners._truth`); without a model (an env that exposes
neither LectureGrid arrays nor a toy-text ``P``) the gaps are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import planners

from . import _core as C
from ._fastq import MAX_ACTIONS, lockstep
from ._flatq import run_q_learning_flat
from ._kernel import NR, R_DISCOUNTED, R_END, R_LENGTH, R_RETURN, R_START, run_batch
from ._rng import seed_streams
from ._truth import Truth
from .agents import (
    ALGORITHMS,
    HYPER,
    Agent,
    HyperparameterError,
    allocate,
    check_gamma,
    check_hyper,
    hyper_row,
    initial_q,
)

__all__ = ["BatchResult", "Curve", "LearnResult", "checkpoints", "learn", "learn_batch"]

#: most episodes recorded per agent by learn_batch (the count goes on)
MAX_RECORDS = 200_000


@dataclass
class Curve:
    """One agent's learning curve (see the module docstring)."""

    steps: np.ndarray
    value_gap: np.ndarray
    start_gap: np.ndarray
    optimal: np.ndarray
    updates: np.ndarray
    episode_return: np.ndarray
    episode_discounted: np.ndarray
    episode_length: np.ndarray
    episode_start: np.ndarray
    episode_end: np.ndarray
    regret: np.ndarray

    @property
    def steps_to_optimal(self) -> float:
        """First checkpoint from which the greedy policy stays optimal (NaN if it is not at the end)."""
        if self.optimal.size == 0 or not self.optimal[-1]:
            return float("nan")
        bad = np.flatnonzero(~self.optimal)
        return float(self.steps[0] if bad.size == 0 else self.steps[bad[-1] + 1])

    def as_dict(self) -> dict[str, list[float]]:
        """Plain lists, JSON-ready."""
        return {k: np.asarray(v, dtype=float).tolist() for k, v in self.__dict__.items()}


@dataclass
class LearnResult:
    """What :func:`learn` returns: the final values, greedy policy, curve and the agent itself."""

    q: np.ndarray
    policy: np.ndarray
    curve: Curve
    agent: Agent
    updates: int


@dataclass
class BatchResult:
    """What :func:`learn_batch` returns (agent ``i`` in row ``i``)."""

    algo: str
    q: np.ndarray
    policy: np.ndarray
    steps: np.ndarray
    value_gap: np.ndarray
    start_gap: np.ndarray
    optimal: np.ndarray
    updates: np.ndarray
    n_episodes: np.ndarray
    curves: list[Curve]
    hyper: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def curve(self) -> list[Curve]:
        """The agents' curves (alias of :attr:`curves`)."""
        return self.curves


def checkpoints(steps: int, n: int = 30) -> np.ndarray:
    """About ``n`` log-spaced steps in ``1..steps`` (unique integers, ``steps`` included)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.geomspace(1, steps, n).round().astype(np.int64))


def _algo(algo: Any) -> type[Agent]:
    if isinstance(algo, type) and issubclass(algo, Agent) and algo.name in ALGORITHMS:
        return algo
    if not isinstance(algo, str) or algo not in ALGORITHMS:
        raise HyperparameterError(f"unknown algorithm {algo!r}; expected one of {sorted(ALGORITHMS)}")
    return ALGORITHMS[algo]


def _check_count(x: Any, name: str) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)) or x < 1:
        raise HyperparameterError(f"{name} must be a positive integer, got {x!r}")
    return int(x)


def _discrete(env: Any) -> tuple[int, int]:
    out = []
    for what in ("observation_space", "action_space"):
        space: Any = getattr(env, what, None)
        if not hasattr(space, "n") or getattr(space, "start", 0) != 0:
            raise HyperparameterError(f"the env's {what} must be Discrete (starting at 0), got {space!r}")
        out.append(int(space.n))
    return out[0], out[1]


def time_limit(env: Any) -> int | None:
    """The env's time limit: ``env.spec.max_episode_steps`` (``gym.make``), or a TabularEnv's own."""
    spec = getattr(env, "spec", None)
    limit = getattr(spec, "max_episode_steps", None) if spec is not None else None
    if limit is None:
        limit = getattr(getattr(env, "unwrapped", env), "max_episode_steps", None)
    return None if limit is None else int(limit)


def start_distribution(env: Any) -> np.ndarray | None:
    """``env.unwrapped.initial_state_distrib`` when the env has one."""
    d = getattr(getattr(env, "unwrapped", env), "initial_state_distrib", None)
    return None if d is None else np.asarray(d, dtype=float)


def truth_of(env: Any, gamma: float) -> Truth | None:
    """The exact optimum of the env's MDP, or None when the env exposes no model or start distribution."""
    d0 = start_distribution(env)
    if d0 is None:
        return None
    try:
        mdp = planners.TabularMDP.from_env(env)
    except planners.MDPError:
        return None
    return Truth(mdp, gamma, d0)


def _default_rmax(cls: type[Agent], hyper: dict[str, Any], truth: Truth | None) -> None:
    if cls.name == "rmax" and "rmax" not in hyper and truth is not None:
        hyper["rmax"] = float(truth.mdp.reward.max())


def _curve(ckpt: np.ndarray, qsnap: np.ndarray, usnap: np.ndarray, rec: np.ndarray, truth: Truth | None) -> Curve:
    nan = np.full(ckpt.shape, np.nan)
    if truth is not None and len(ckpt):
        gap, sgap = truth.gaps(qsnap)
        opt = truth.is_optimal(qsnap)
    else:
        gap, sgap, opt = nan, nan.copy(), np.zeros(ckpt.shape, dtype=bool)
    if truth is not None:
        v0 = truth.v_star[rec[:, R_START].astype(np.int64)]
        regret = np.cumsum(v0 - rec[:, R_DISCOUNTED])
    else:
        regret = np.full(len(rec), np.nan)
    return Curve(
        steps=ckpt,
        value_gap=gap,
        start_gap=sgap,
        optimal=opt,
        updates=usnap.astype(np.int64),
        episode_return=rec[:, R_RETURN].copy(),
        episode_discounted=rec[:, R_DISCOUNTED].copy(),
        episode_length=rec[:, R_LENGTH].astype(np.int64),
        episode_start=rec[:, R_START].astype(np.int64),
        episode_end=rec[:, R_END].astype(np.int64),
        regret=regret,
    )


def learn(
    algo: str | type[Agent],
    env: Any,
    steps: int,
    seed: int = 0,
    gamma: float = 0.99,
    n_checkpoints: int = 30,
    **hyper: Any,
) -> LearnResult:
    """Train one agent on any Gymnasium env with Discrete spaces, stepping it from Python.

    Parameters
    ----------
    algo : str or Agent class
        A name of :data:`learners.ALGORITHMS`.
    env : gymnasium.Env
        Reset with ``seed`` at the first episode, then without a seed.
    steps : int
        Environment steps.
    seed : int
        The agent's stream is that of agent 0 of ``learn_batch(..., seed=seed)``.
    gamma : float in [0, 1]
    n_checkpoints : int
        About this many log-spaced checkpoints for the value gap.
    **hyper
        Hyperparameters (``alpha``, ``epsilon``, ``n_planning``...), validated.

    Returns
    -------
    LearnResult
    """
    cls = _algo(algo)
    steps = _check_count(steps, "steps")
    gamma = check_gamma(gamma)
    S, A = _discrete(env)
    truth = truth_of(env, gamma)
    _default_rmax(cls, hyper, truth)
    agent = cls(S, A, gamma=gamma, seed=seed, max_episode_steps=time_limit(env), **hyper)
    ckpt = checkpoints(steps, n_checkpoints)
    qsnap = np.zeros((len(ckpt), S, A))
    usnap = np.zeros(len(ckpt))
    recs: list[tuple[float, float, float, float, float]] = []
    obs, _ = env.reset(seed=int(seed_streams(seed, 1)[0, 1] >> np.uint64(1)))
    a = agent.begin(obs)
    ret = disc = 0.0
    fac, length, s0, c = 1.0, 0, int(obs), 0
    for t in range(steps):
        obs2, r, terminated, truncated, _ = env.step(a)
        r = float(r)
        ret, disc, fac, length = ret + r, disc + fac * r, fac * gamma, length + 1
        a = agent.observe(obs, a, r, obs2, terminated, truncated)
        if terminated or truncated:
            recs.append((ret, disc, float(length), float(s0), float(t + 1)))
            obs, _ = env.reset()
            a = agent.begin(obs)
            ret = disc = 0.0
            fac, length, s0 = 1.0, 0, int(obs)
        else:
            obs = obs2
        while c < len(ckpt) and ckpt[c] == t + 1:
            qsnap[c] = agent.q
            usnap[c] = agent.updates
            c += 1
    rec = np.array(recs, dtype=float).reshape(-1, NR)
    q = agent.q
    return LearnResult(q, q.argmax(axis=1), _curve(ckpt, qsnap, usnap, rec, truth), agent, agent.updates)


def _env_arrays(env: Any) -> tuple[np.ndarray, ...]:
    base = getattr(env, "unwrapped", env)
    model = getattr(base, "model", None)
    names = ("next_state", "prob", "reward", "absorbing")
    if model is None or not all(hasattr(model, n) for n in names):
        raise HyperparameterError(
            f"learn_batch needs an env exposing its model arrays (env.unwrapped.model.{'/'.join(names)}), "
            f"got {type(base).__name__}; use learn() for other envs"
        )
    d0 = start_distribution(env)
    if d0 is None:
        raise HyperparameterError(f"learn_batch needs env.unwrapped.initial_state_distrib, got {type(base).__name__}")
    ns = np.array(model.next_state, dtype=np.int32, order="C")
    pr = np.array(model.prob, dtype=np.float64, order="C")
    rw = np.array(model.reward, dtype=np.float64, order="C")
    ab = np.array(model.absorbing, dtype=np.bool_, order="C")
    starts = np.flatnonzero(d0 > 0).astype(np.int64)
    cdf = np.cumsum(d0[starts])
    cdf /= cdf[-1]
    return ns, pr, rw, ab, starts, cdf


def _hyper_table(
    cls: type[Agent], n: int, gamma: float, hyper: Mapping[str, Any]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(N, NH)`` rows: each hyperparameter a scalar or one value per agent.

    Each distinct setting (bit for bit) is validated and resolved once, so N seeds of one setting
    cost one ``resolve``, not N.
    """
    cols: dict[str, np.ndarray] = {}
    same = True  # every hyperparameter a scalar: one setting
    for k, v in hyper.items():
        if k not in HYPER:
            check_hyper(k, v)
        if isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, (str, bytes)):
            if len(v) != n:
                raise HyperparameterError(f"{k} must be a scalar or have one value per agent ({n}), got {len(v)}")
            cols[k] = np.array([check_hyper(k, x) for x in v])
            same = False
        else:
            cols[k] = np.full(n, check_hyper(k, v))
    names = list(cols)
    given = np.stack([cols[k] for k in names], axis=1) if names else np.zeros((n, 0))
    if same:
        first, which = np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    else:
        _, first, which = np.unique(given.view(np.uint64), axis=0, return_index=True, return_inverse=True)
    rows = [cls.resolve({k: given[i, j] for j, k in enumerate(names)}) for i in first]
    hp = np.array([hyper_row(gamma, row, cls.algo_id) for row in rows]).reshape(len(rows), C.NH)[which.ravel()]
    full = {k: np.array([row[k] for row in rows], dtype=float)[which.ravel()] for k in rows[0]}
    return hp, full


def _flat(cls: type[Agent], hp: np.ndarray, curves: bool, script: Any) -> bool:
    """Whether a Q-learning seed-sweep kernel applies: constant step size, epsilon-greedy on the
    steps' clock, no curves, no script (:mod:`learners._fastq` or :mod:`learners._flatq`)."""
    return (
        cls.algo_id == C.Q_LEARNING
        and not curves
        and script is None
        and bool((hp[:, C.H_OMEGA] == 0).all() and (hp[:, C.H_TEMP] == 0).all() and (hp[:, C.H_CLOCK] == 0).all())
    )


def _fast(cls: type[Agent], hp: np.ndarray, n_actions: int, curves: bool, script: Any) -> bool:
    """Whether the lockstep Q-learning kernel (:mod:`learners._fastq`) applies: a :func:`_flat`
    case with at most four actions and ``alpha <= 1``."""
    return _flat(cls, hp, curves, script) and n_actions <= MAX_ACTIONS and bool((hp[:, C.H_ALPHA] <= 1.0).all())


def _learn_fast(
    cls: type[Agent],
    hp: np.ndarray,
    full: dict[str, np.ndarray],
    arrays: tuple,
    steps: int,
    max_len: int,
    rng: np.ndarray,
) -> BatchResult:
    """:func:`learn_batch` in the :func:`_fast` case: :func:`learners._fastq.lockstep`, no curves."""
    n = hp.shape[0]
    ns, pr, rw, ab, starts, cdf = arrays
    q, _, n_episodes = lockstep(
        hp, ns, pr, rw, ab, starts, cdf, steps, max_len, initial_q(cls.algo_id, hp), 0.0, rng, np.zeros(n), counts=False
    )
    return BatchResult(
        algo=cls.name,
        q=q,
        policy=q.argmax(axis=2),
        steps=np.zeros(0, dtype=np.int64),
        value_gap=np.zeros((n, 0)),
        start_gap=np.zeros((n, 0)),
        optimal=np.zeros((n, 0), dtype=bool),
        updates=np.full(n, steps, dtype=np.int64),
        n_episodes=n_episodes,
        curves=[],
        hyper=full,
    )


def learn_batch(
    algo: str | type[Agent],
    env: Any,
    n_agents: int,
    steps: int,
    seed: int = 0,
    gamma: float = 0.99,
    n_checkpoints: int = 30,
    max_episode_steps: int | str | None = "env",
    curves: bool = True,
    script: np.ndarray | None = None,
    **hyper: Any,
) -> BatchResult:
    """Train ``n_agents`` independent agents in one numba kernel on the env's model arrays.

    Parameters
    ----------
    algo, steps, seed, gamma, n_checkpoints
        As :func:`learn`; agent ``i`` has streams ``seed_streams(seed, n)[i]`` (agent 0 is
        ``learn(..., seed=seed)``'s agent).
    env : gymnasium.Env
        Exposing ``env.unwrapped.model`` (``next_state``, ``prob``, ``reward``, ``absorbing``) and
        ``env.unwrapped.initial_state_distrib``: a LectureGrid env or a :class:`~learners.envs.TabularEnv`.
    n_agents : int
    max_episode_steps : int, None or "env"
        Truncate episodes after this many steps; ``"env"``: the env's own limit (``gym.make``'s).
    curves : bool
        Record episodes and checkpoint values (off for pure speed).
    script : ndarray (n_agents, steps) of int, optional
        Outcome indices ``k`` to use instead of sampling (to replay a recorded trajectory).
    **hyper
        Each a scalar, or a sequence of one value per agent (N settings at once).

    Returns
    -------
    BatchResult
    """
    cls = _algo(algo)
    n = _check_count(n_agents, "n_agents")
    steps = _check_count(steps, "steps")
    gamma = check_gamma(gamma)
    ns, pr, rw, ab, starts, cdf = _env_arrays(env)
    S, A = ns.shape[0], ns.shape[1]
    truth = truth_of(env, gamma) if curves or cls.name == "rmax" else None
    hyper = dict(hyper)
    _default_rmax(cls, hyper, truth)
    if cls.name == "rmax" and gamma >= 1.0:
        raise HyperparameterError(f"R-max needs gamma < 1, got {gamma!r}")
    hp, full = _hyper_table(cls, n, gamma, hyper)
    limit = time_limit(env) if max_episode_steps == "env" else max_episode_steps
    max_len = 0 if limit is None else _check_count(limit, "max_episode_steps")
    rng = seed_streams(seed, n)
    if _fast(cls, hp, A, curves, script):  # the lockstep kernel: its own tables, nothing else to allocate
        return _learn_fast(cls, hp, full, (ns, pr, rw, ab, starts, cdf), steps, max_len, rng)
    tab, cnt, term, seen, buf, first, sc = allocate(cls.algo_id, n, S, A, hp, buffer=max_len or steps)
    ckpt = checkpoints(steps, n_checkpoints) if curves else np.zeros(0, dtype=np.int64)
    qsnap = np.zeros((n, len(ckpt), S, A))
    usnap = np.zeros((n, len(ckpt)))
    rec = np.zeros((n, min(steps, MAX_RECORDS) if curves else 0, NR))
    nrec = np.zeros(n, dtype=np.int64)
    if script is None:
        scr = np.zeros((n, 0), dtype=np.int64)
    else:
        scr = np.ascontiguousarray(script, dtype=np.int64)
        if scr.shape != (n, steps) or scr.min() < 0 or scr.max() >= ns.shape[2]:
            raise HyperparameterError(f"script must be ({n}, {steps}) outcome indices in 0..{ns.shape[2] - 1}")
    n_min = np.where(cls.algo_id == C.RMAX, hp[:, C.H_M], 1.0)
    if _flat(cls, hp, curves, script):
        run_q_learning_flat(hp, ns, pr, rw, ab, starts, cdf, steps, max_len, tab, sc, rng, nrec)
    else:
        run_batch(cls.algo_id, hp, ns, pr, rw, ab, starts, cdf, steps, max_len, scr, tab, cnt, term, seen, buf, first, sc, rng, ckpt, qsnap, usnap, rec, nrec, n_min, hp[:, C.H_TOL].copy())  # fmt: skip
    q = tab[:, C.T_Q] + (tab[:, C.T_Q2] if cls.algo_id == C.DOUBLE_Q else 0.0)
    out = (
        [_curve(ckpt, qsnap[i], usnap[i], rec[i, : min(nrec[i], rec.shape[1])], truth) for i in range(n)]
        if curves
        else []
    )
    stack = (lambda name: np.array([getattr(c, name) for c in out])) if out else (lambda name: np.zeros((n, 0)))
    return BatchResult(
        algo=cls.name,
        q=q,
        policy=q.argmax(axis=2),
        steps=ckpt,
        value_gap=stack("value_gap"),
        start_gap=stack("start_gap"),
        optimal=stack("optimal").astype(bool),
        updates=sc[:, C.SC_UPDATES].astype(np.int64),
        n_episodes=nrec.copy(),
        curves=out,
        hyper=full,
    )
