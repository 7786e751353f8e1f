"""Many plans at once: batch planning over living rewards or discounts, and policy thresholds.

The lecture asks "what is the optimal policy given -2 / -0.5 / -0.04 per step?".  On a grid
the living reward ``c`` enters every non-terminal step, so the expected rewards are affine in
it, ``r(s, a; c) = r_0(s, a) + c * p_live(s, a)``.  The planners do not know that rule: they
read it from the model (duck-typed, any object or env model with ``living_reward_parts()``
returning per-outcome ``reward0`` and ``live`` with ``reward == reward0 + living_reward *
live``, as gridworld_env's ``GridModel`` has) and take expectations,
``r_0 = sum_k p_k reward0_k`` and ``p_live = sum_k p_k live_k``.  The optimal values ``V*(c)`` are piecewise affine and convex in
``c`` (a maximum over policies of affine functions).  The optimal policy is constant between
breakpoints: :func:`living_reward_thresholds` finds them.

* :func:`batch_value_iteration` solves one MDP's transition structure for ``B`` reward
  arrays and/or discounts in a single multi-threaded kernel call (one problem per thread);
* :func:`batch_plan` does it for a grid env (or model) and a list of living rewards;
* :func:`living_reward_thresholds` scans ``[lo, hi]`` on a grid of spacing at most 0.01 with
  one batch call, then bisects every bracket where the policy changes, all brackets
  together, to width ``tol``.  On grids of up to ``EXACT_MAX_STATES`` states each
  threshold is then made exact: the policy on its left has values affine in ``c`` (two dense
  linear solves), and the threshold is where its first Q-advantage turns positive.
  Elsewhere (and next to an interval with unbounded values) a threshold is its bracket's
  midpoint, within ``tol / 2``.  Policy intervals narrower than the scan spacing can be missed.

At ``gamma = 1`` a positive living reward makes staying forever infinitely valuable: value
iteration cannot converge there, and such living rewards get the policy ``None``.

>>> import gymnasium as gym
>>> env = gym.make("gridworld_env:LectureGrid-v0", slip=0.0)
>>> res = living_reward_thresholds(env, gamma=1.0, lo=-2.5, hi=-0.01)
>>> res.thresholds.round(3).tolist()     # the -1 exit becomes worth it below -2/3, then below -2
[-2.0, -0.667]
>>> print(res.describe(-1.0))      # at -1 per step, (2, 3) takes the -1 exit at once
living reward in [-2.0000, -0.6667]:
→ → → +
↑ # ↑ -
↑ → ↑ ↑
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_finite, check_gamma, check_int, check_tol
from ._format import format_policy, grid_view
from ._results import TIE_RTOL, ConvergenceWarning, as_mdp, greedy_mask, kernels, make_proper
from .mdp import MDPError, TabularMDP
from .solvers import EXACT_MAX_STATES, _default_max_iter

__all__ = ["BatchPlan", "ThresholdResult", "batch_plan", "batch_value_iteration", "living_reward_thresholds"]


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """Results of a batch of plans sharing one transition structure.

    Attributes
    ----------
    values : ndarray (B, S)
    policies : ndarray (B, S) int64
        Greedy policies (ties to the lowest action index).
    q : ndarray (B, S, A)
    iterations : ndarray (B,) int64
        In-place sweeps each problem took.
    converged : ndarray (B,) bool
    gammas : ndarray (B,)
    living_rewards : ndarray (B,) or None
        The living reward of each problem (from :func:`batch_plan`).
    wall_time : float
        Seconds for the whole batch.
    proper : ndarray (B,) bool
        False where ``gamma = 1`` and no optimal action reaches a terminal from some state; the
        policies follow the proper-policy rule of :mod:`planners.solvers` at ``gamma = 1``
        (True, unchecked, where ``gamma < 1``).
    """

    values: np.ndarray
    policies: np.ndarray
    q: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    gammas: np.ndarray
    living_rewards: np.ndarray | None
    wall_time: float
    proper: np.ndarray | None = None

    def __len__(self) -> int:
        return self.values.shape[0]


#: living_reward_thresholds scans with spacing 0.01: ranges at most this wide (100_001 scan points)
MAX_SCAN_WIDTH = 1000.0
#: scan points solved per batch call (bounds the memory of the (B, S, A) reward array)
_SCAN_CHUNK_OUTCOMES = 4_000_000


def _as_float_vector(x: Any, name: str) -> np.ndarray:
    items = np.atleast_1d(np.asarray(x, dtype=object))
    if items.ndim != 1 or items.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D sequence, got shape {items.shape}")
    return np.array([check_finite(v, f"{name}[{i}]") for i, v in enumerate(items.tolist())], dtype=np.float64)


def batch_value_iteration(
    mdp: TabularMDP,
    gammas: float | Sequence[float] | np.ndarray = 0.99,
    rewards: Any = None,
    tol: float = 1e-8,
    max_iter: int | None = None,
    warn: bool = True,
) -> BatchPlan:
    """Value iteration for ``B`` variants of one MDP, in parallel (one variant per thread).

    Parameters
    ----------
    mdp : TabularMDP
        The shared transition structure (and terminal states).
    gammas : float or sequence of B floats in [0, 1]
    rewards : array_like (B, S, A), optional
        Expected rewards of each variant; default: the MDP's own for every variant.
    tol : float
        Per-variant stopping rule (sup-norm change of an in-place sweep), as in
        :func:`~planners.value_iteration`.
    max_iter : int, optional
        Most sweeps per variant (default: as :func:`~planners.value_iteration` for the
        largest discount).
    warn : bool
        Issue a :class:`~planners.ConvergenceWarning` naming the variants that did not converge.

    Returns
    -------
    BatchPlan
    """
    mdp = as_mdp(mdp)
    tol = check_tol(tol)
    S, A, _ = mdp.shape
    g = _as_float_vector(gammas, "gammas")
    for x in g:
        check_gamma(x)
    if rewards is None:
        rsa = np.broadcast_to(mdp.expected_reward, (g.size, S, A))
    else:
        rsa = np.asarray(rewards, dtype=np.float64)
        if rsa.ndim != 3 or rsa.shape[1:] != (S, A):
            raise ValueError(f"rewards must have shape (B, {S}, {A}), got {rsa.shape}")
        if not np.isfinite(rsa).all():
            raise ValueError("rewards must be finite")
    B = max(g.size, rsa.shape[0])
    if g.size not in (1, B) or rsa.shape[0] not in (1, B):
        raise ValueError(f"gammas ({g.size}) and rewards ({rsa.shape[0]}) must have the same length or 1")
    g = np.array(np.broadcast_to(g, (B,)), dtype=np.float64)
    rsa = np.array(np.broadcast_to(rsa, (B, S, A)), dtype=np.float64, order="C")
    rsa[:, mdp.terminal] = 0.0
    rsa.setflags(write=False)  # the kernels' argument types: read-only model arrays, one compiled version
    if max_iter is None:
        max_iter = _default_max_iter(rsa, float(g.max()), tol, None)
    max_iter = check_int(max_iter, "max_iter", 1)
    t0 = time.perf_counter()
    v = np.zeros((B, S))
    iters = np.zeros(B, dtype=np.int64)
    res = np.zeros(B)
    kernels.batch_value_iteration(mdp.next_state, mdp.prob, rsa, mdp.terminal, g, tol, max_iter, v, iters, res)
    converged = res < tol
    q, pol, proper = _greedy(mdp, rsa, g, v, res, converged)
    if warn and not converged.all():
        bad = np.flatnonzero(~converged)
        warnings.warn(
            f"batch_value_iteration: {bad.size} of {B} problems (indices {bad[:5].tolist()}...) did not converge "
            f"in {max_iter} sweeps"
            + (" (gamma=1: a non-negative living reward can make staying forever pay)" if (g[bad] >= 1).any() else ""),
            ConvergenceWarning,
            stacklevel=2,
        )
    return BatchPlan(v, pol, q, iters, converged, g, None, time.perf_counter() - t0, proper)


def _greedy(
    mdp: TabularMDP, rsa: np.ndarray, g: np.ndarray, v: np.ndarray, res: np.ndarray, converged: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q-values, greedy policies (proper rule at gamma = 1) and ``proper`` flags of a batch."""
    B, S, A = rsa.shape
    q = np.empty((B, S, A))
    pol = np.empty((B, S), dtype=np.int64)
    proper = np.ones(B, dtype=bool)
    for b in range(B):
        kernels.q_values(mdp.next_state, mdp.prob, rsa[b], mdp.terminal, float(g[b]), v[b], q[b], pol[b], TIE_RTOL)
        if g[b] >= 1.0:
            atol = 2.0 * float(res[b]) if converged[b] else 0.0  # vi_error with the last change only
            pol[b], stuck = make_proper(mdp, pol[b], greedy_mask(q[b], atol))
            proper[b] = not stuck.any()
    return q, pol, proper


def _grid_parts(source: Any) -> tuple[Any, TabularMDP, np.ndarray, np.ndarray]:
    """The grid model of ``source``, its MDP, and the affine parts ``r_0``, ``p_live`` (S, A).

    ``source``: an env (wrapped or not) whose unwrapped env has a ``model``, or a model; the
    model must have ``living_reward_parts()`` (see the module docstring).
    """
    if isinstance(source, (str, bytes)):
        raise MDPError(
            f"expected a grid env or model, got the string {source!r}: pass e.g. "
            f"gymnasium.make('gridworld_env:LectureGrid-v0', layout={source!r}, slip=0.2)"
        )
    base = getattr(source, "unwrapped", source)
    model = base if hasattr(base, "living_reward_parts") else getattr(base, "model", None)
    if model is None or not hasattr(model, "living_reward_parts"):
        raise MDPError(
            f"{type(source).__name__} has no living_reward_parts(): batch_plan and living_reward_thresholds "
            "need a grid model whose reward is affine in the living reward (gridworld_env's GridModel, or an env "
            "holding one as .model)"
        )
    mdp = TabularMDP.from_env(model)
    reward0, live = model.living_reward_parts()
    r0 = np.einsum("sak,sak->sa", mdp.prob, np.asarray(reward0, dtype=np.float64))
    p_live = np.einsum("sak,sak->sa", mdp.prob, np.asarray(live, dtype=np.float64))
    r0[mdp.terminal] = 0.0
    p_live[mdp.terminal] = 0.0
    return model, mdp, r0, p_live


def batch_plan(
    source: Any,
    living_rewards: float | Sequence[float],
    gammas: float | Sequence[float] = 1.0,
    tol: float = 1e-8,
    max_iter: int | None = None,
    warn: bool = True,
) -> BatchPlan:
    """Plan a grid for many living rewards (and/or discounts) in one parallel call.

    Parameters
    ----------
    source : grid env (wrapped or not) or grid model
        Anything whose model has ``living_reward_parts()`` (see the module docstring); its
        transition structure (layout, slip) is kept, its own living reward ignored.
    living_rewards : float or sequence of float
    gammas : float or sequence of float
        Broadcast against ``living_rewards``.
    tol, max_iter, warn
        As in :func:`batch_value_iteration`.

    Returns
    -------
    BatchPlan
        With ``living_rewards`` set.

    Examples
    --------
    >>> import gymnasium as gym
    >>> plan = batch_plan(gym.make("gridworld_env:LectureGrid-v0"), [-2.0, -0.04], gammas=1.0)
    >>> plan.values[:, 8].round(2).tolist()     # the start square: 5 steps either way
    [-7.0, 0.84]
    """
    c = _as_float_vector(living_rewards, "living_rewards")
    g = _as_float_vector(gammas, "gammas")
    if c.size != g.size and 1 not in (c.size, g.size):
        raise ValueError(f"living_rewards ({c.size}) and gammas ({g.size}) must have the same length or 1")
    c, g = np.broadcast_arrays(c, g)
    _model, mdp, r0, p_live = _grid_parts(source)
    rsa = r0[None] + c[:, None, None] * p_live[None]
    plan = batch_value_iteration(mdp, g, rsa, tol=tol, max_iter=max_iter, warn=warn)
    return BatchPlan(
        plan.values,
        plan.policies,
        plan.q,
        plan.iterations,
        plan.converged,
        plan.gammas,
        np.array(c, dtype=float),
        plan.wall_time,
        plan.proper,
    )


@dataclass(frozen=True, eq=False)
class ThresholdResult:
    """Living-reward thresholds of a grid and the optimal policy between them.

    Attributes
    ----------
    thresholds : ndarray (n,)
        Increasing living rewards at which the optimal policy changes: exact up to rounding
        where a dense solve applies, else within ``tol / 2`` (see the module docstring).
    intervals : list of (float, float)
        The ``n + 1`` intervals ``[lo, t_1], [t_1, t_2], ..., [t_n, hi]``.
    policies : list of ndarray (S,) or None
        The optimal policy on each interval (``None``: values unbounded, ``gamma = 1`` with a
        positive living reward).
    grid, gamma, slip, tol
        The problem (``grid``: the grid model planned).
    """

    thresholds: np.ndarray
    intervals: list
    policies: list
    grid: Any
    gamma: float
    slip: float
    tol: float

    def interval_of(self, living_reward: float) -> int:
        """Index of the interval holding ``living_reward``."""
        lo, hi = self.intervals[0][0], self.intervals[-1][1]
        if not lo <= living_reward <= hi:
            raise ValueError(f"living_reward {living_reward!r} is outside the scanned range [{lo}, {hi}]")
        return int(np.searchsorted(self.thresholds, living_reward))

    def policy_at(self, living_reward: float) -> np.ndarray | None:
        """The optimal policy for ``living_reward`` (from its interval)."""
        return self.policies[self.interval_of(living_reward)]

    def describe(self, living_reward: float | None = None) -> str:
        """Text: each interval (or the one holding ``living_reward``) and its policy as arrows."""
        idx = range(len(self.intervals)) if living_reward is None else [self.interval_of(living_reward)]
        view = grid_view(self.grid, np.asarray(self.grid.absorbing))
        blocks = []
        for i in idx:
            a, b = self.intervals[i]
            blocks.append(f"living reward in [{a:.4f}, {b:.4f}]:\n{format_policy(view, self.policies[i])}")
        return "\n\n".join(blocks)

    def __str__(self) -> str:
        return self.describe()


def _unpack(key: bytes, live: np.ndarray, S: int) -> np.ndarray:
    pol = np.zeros(S, dtype=np.int64)
    pol[live] = np.frombuffer(key, dtype=np.int64)
    return pol


def _exact_crossing(
    mdp: TabularMDP, r0: np.ndarray, p_live: np.ndarray, policy: np.ndarray, gamma: float, a: float, b: float
) -> float | None:
    """Where ``policy`` (optimal at living reward ``a``) stops being optimal, if inside ``[a, b]``.

    Its values are affine in the living reward ``c``: ``V(c) = V_0 + c V_1`` with
    ``(I - gamma P) V_0 = r_0`` and ``(I - gamma P) V_1 = p_live`` (dense solves), and so is
    every advantage ``Q(s, a'; c) - V(s; c) = alpha + c beta``.  The policy stays optimal
    until the first advantage turns positive: ``c* = min -alpha / beta`` over ``beta > 0``.
    Returns None where the solve fails or ``c*`` falls outside the bracket.
    """
    S = mdp.n_states
    idx = np.arange(S)
    live = ~mdp.terminal
    P = np.zeros((S, S))
    np.add.at(P, (np.repeat(idx, mdp.n_outcomes), mdp.next_state[idx, policy].ravel()), mdp.prob[idx, policy].ravel())
    P[~live] = 0.0
    M = np.eye(S) - gamma * P
    rhs = np.stack([np.where(live, r0[idx, policy], 0.0), np.where(live, p_live[idx, policy], 0.0)], axis=1)
    try:
        V = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(V).all():
        return None
    look = np.einsum("sak,sakj->saj", mdp.prob, V[mdp.next_state])  # (S, A, 2): E[V_0], E[V_1] of successors
    alpha = r0 + gamma * look[..., 0] - V[:, None, 0]
    beta = p_live + gamma * look[..., 1] - V[:, None, 1]
    alpha, beta = alpha[live], beta[live]
    scale = 1e-9 * (1.0 + np.abs(V).max())
    rising = beta > scale
    if not rising.any():
        return None
    cross = -alpha[rising] / beta[rising]
    cross = cross[cross >= a - scale]
    if cross.size == 0:
        return None
    c = float(cross.min())
    return c if a - scale <= c <= b + scale else None


def living_reward_thresholds(
    source: Any,
    gamma: float = 1.0,
    lo: float = -2.0,
    hi: float = 0.5,
    tol: float = 1e-4,
    plan_tol: float = 1e-10,
) -> ThresholdResult:
    """Living rewards in ``[lo, hi]`` at which a grid's optimal policy changes.

    Parameters
    ----------
    source : grid env (wrapped or not) or grid model
        As in :func:`batch_plan` (its slip and layout are kept, its living reward varied).
    gamma : float in [0, 1]
    lo, hi : float
        The range scanned (``lo < hi``, ``hi - lo <= MAX_SCAN_WIDTH``: the scan spacing is 0.01).
    tol : float
        Width to which every threshold is bisected.
    plan_tol : float
        Value-iteration tolerance of each plan.

    Returns
    -------
    ThresholdResult

    Notes
    -----
    Policies are compared on the non-terminal squares.  The scan and each round of bisection
    are :func:`batch_value_iteration` calls (in chunks bounding memory).  Where two actions tie
    exactly (e.g. at ``c = 0``, ``gamma = 1`` every route to the exit is as good as any other)
    the tie rule applies, so a single point can carry its own policy; bisection then reports
    it as a pair of thresholds ``tol`` apart.
    """
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    plan_tol = check_tol(plan_tol, "plan_tol")
    lo, hi = check_finite(lo, "lo"), check_finite(hi, "hi")
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo!r}, hi={hi!r}")
    if hi - lo > MAX_SCAN_WIDTH:
        raise ValueError(
            f"hi - lo = {hi - lo:g} is wider than {MAX_SCAN_WIDTH:g} (the scan steps by 0.01): narrow [lo, hi]"
        )
    model, mdp, r0, p_live = _grid_parts(source)
    live = ~mdp.terminal
    max_iter = 10_000 if gamma >= 1.0 else None
    chunk = max(1, _SCAN_CHUNK_OUTCOMES // r0.size)

    def policies_at(cs: np.ndarray) -> list[bytes | None]:
        keys: list[bytes | None] = []
        for i in range(0, cs.size, chunk):
            part = cs[i : i + chunk]
            rsa = r0[None] + part[:, None, None] * p_live[None]
            plan = batch_value_iteration(mdp, gamma, rsa, tol=plan_tol, max_iter=max_iter, warn=False)
            keys += [p[live].tobytes() if ok else None for p, ok in zip(plan.policies, plan.converged)]
        return keys

    n = max(2, int(math.ceil((hi - lo) / 0.01)) + 1)
    cs = np.linspace(lo, hi, n)
    keys = policies_at(cs)
    done = _bisect(
        [(cs[i], cs[i + 1], keys[i], keys[i + 1]) for i in range(n - 1) if keys[i] != keys[i + 1]], policies_at, tol
    )
    S = mdp.n_states
    thresholds = np.array([(a + b) / 2 for a, b, _, _ in done])
    if S <= EXACT_MAX_STATES:
        for i, (a, b, ka, kb) in enumerate(done):
            if ka is not None and kb is not None:
                exact = _exact_crossing(mdp, r0, p_live, _unpack(ka, live, S), gamma, a, b)
                if exact is not None:
                    thresholds[i] = exact
    edges = [float(lo), *thresholds.tolist(), float(hi)]
    intervals = list(zip(edges[:-1], edges[1:]))
    ends = [keys[0]] + [kb for _, _, _, kb in done]
    policies = [None if key is None else _unpack(key, live, S) for key in ends]
    return ThresholdResult(thresholds, intervals, policies, model, gamma, float(getattr(model, "slip", math.nan)), tol)


def _bisect(brackets: list, policies_at: Any, tol: float) -> list:
    """Halve every bracket ``(a, b, key_a, key_b)`` whose end policies differ, all at once, to width ``tol``."""
    done: list = []
    while brackets:
        wide = [br for br in brackets if br[1] - br[0] > tol]
        done += [br for br in brackets if br[1] - br[0] <= tol]
        if not wide:
            break
        mids = np.array([(a + b) / 2 for a, b, _, _ in wide])
        mkeys = policies_at(mids)
        brackets = []
        for (a, b, ka, kb), m, km in zip(wide, mids, mkeys):
            if km != ka:
                brackets.append((a, m, ka, km))
            if km != kb:
                brackets.append((m, b, km, kb))
    done.sort(key=lambda br: br[0])
    return done
