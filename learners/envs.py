"""A Gymnasium env from any :class:`planners.TabularMDP`, and the small MDPs of the RL literature.

:class:`TabularEnv` samples ``(s', r)`` from the MDP's outcome arrays: outcome ``k`` of
``(s, a)`` with probability ``prob[s, a, k]``; the episode terminates on entering a terminal
state and starts from ``initial_state_distrib``.  It exposes the arrays the way a LectureGrid env
does (``env.unwrapped.model.next_state`` ... ``.absorbing``), so :func:`learners.learn_batch`
and :meth:`planners.TabularMDP.from_env` read it without knowing its class.

* :func:`riverswim` -- Strehl & Littman (2008), with the transition probabilities of
  Osband, Russo & Van Roy (2013): swimming right succeeds with probability 0.35 (0.6 at the
  banks), stays 0.6, drifts back 0.05; swimming left always works.  Reward 5 for "left" in the
  leftmost state, 10 000 for "right" in the rightmost; continuing (no terminal state).
* :func:`maximization_bias` -- Sutton & Barto (2nd ed.) Example 6.7: from ``A`` "right" ends
  the episode with reward 0, "left" moves to ``B`` (reward 0), whose ``n_b`` actions all end the
  episode with a reward of mean -0.1 and variance 1.  The book's normal reward is replaced by
  its two-point stand-in ``-0.1 +- 1`` (probability 1/2 each: the same mean and variance), so
  the MDP stays finite.
* :func:`restart_on` -- Sutton & Barto's cliff: entering one of ``states`` sends the agent
  back to ``start`` (with the reward of entering), instead of whatever the MDP did there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import planners

__all__ = ["TabularEnv", "TabularModel", "maximization_bias", "restart_on", "riverswim"]


@dataclass(frozen=True)
class TabularModel:
    """The duck-typed model view of a :class:`TabularEnv` (the attributes a LectureGrid model has)."""

    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    absorbing: np.ndarray


def _start_distribution(start: Any, S: int) -> np.ndarray:
    if isinstance(start, (int, np.integer)) and not isinstance(start, (bool, np.bool_)):
        if not 0 <= int(start) < S:
            raise ValueError(f"start must be a state in 0..{S - 1}, got {int(start)}")
        d = np.zeros(S)
        d[int(start)] = 1.0
        return d
    d = np.asarray(start, dtype=float)
    if d.shape != (S,) or not np.isfinite(d).all() or (d < 0).any() or abs(d.sum() - 1.0) > 1e-9:
        raise ValueError(f"start must be a state or a distribution of shape ({S},) summing to 1, got {start!r}")
    return d


class TabularEnv(gym.Env):
    """A Gymnasium env that samples a :class:`planners.TabularMDP`.

    ## Description
    Each step draws outcome ``k`` of ``(s, a)`` with probability ``prob[s, a, k]`` and moves to
    ``next_state[s, a, k]`` with reward ``reward[s, a, k]``.

    ## Action Space
    ``Discrete(A)``.

    ## Observation Space
    ``Discrete(S)``: the state index.

    ## Rewards
    The outcome's reward.

    ## Episode End
    Terminated on entering a terminal state of the MDP; truncated after ``max_episode_steps``
    steps when given (``TimeLimit`` semantics, counted by the env itself).

    ## Arguments
    * ``mdp``: a :class:`planners.TabularMDP`.
    * ``start``: a start state, or a start distribution ``(S,)``.
    * ``max_episode_steps``: optional time limit.
    """

    metadata = {"render_modes": []}

    def __init__(self, mdp: planners.TabularMDP, start: Any = 0, max_episode_steps: int | None = None) -> None:
        if not isinstance(mdp, planners.TabularMDP):
            raise TypeError(f"mdp must be a planners.TabularMDP, got {type(mdp).__name__}")
        S, A, _ = mdp.shape
        self.mdp = mdp
        self._d0 = _start_distribution(start, S)
        self._d0.setflags(write=False)
        if max_episode_steps is not None and (isinstance(max_episode_steps, bool) or int(max_episode_steps) < 1):
            raise ValueError(f"max_episode_steps must be a positive integer or None, got {max_episode_steps!r}")
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self.model = TabularModel(mdp.next_state, mdp.prob, mdp.reward, mdp.terminal)
        self.observation_space = spaces.Discrete(S)
        self.action_space = spaces.Discrete(A)
        self._cum = np.cumsum(mdp.prob, axis=2)
        self.s = int(np.argmax(self._d0))
        self._t = 0

    @property
    def initial_state_distrib(self) -> np.ndarray:
        """``(S,)`` start distribution (Gymnasium toy-text name)."""
        return self._d0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """Draw a start state."""
        super().reset(seed=seed)
        self.s = (
            int(self.np_random.choice(self._d0.size, p=self._d0)) if self._d0.max() < 1.0 else int(self._d0.argmax())
        )
        self._t = 0
        return self.s, {}

    def step(self, action: Any) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Sample one outcome of ``(s, action)``."""
        n_a = self.mdp.n_actions
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            raise ValueError(f"action must be an integer in 0..{n_a - 1}, got {action!r}")
        a = int(action)
        if not 0 <= a < n_a:
            raise ValueError(f"action must be in 0..{n_a - 1}, got {a}")
        cum = self._cum[self.s, a]
        k = min(int(np.searchsorted(cum, self.np_random.random(), side="right")), cum.size - 1)
        while self.mdp.prob[self.s, a, k] == 0.0:  # the draw fell past the last used slot by rounding
            k -= 1
        s2 = int(self.mdp.next_state[self.s, a, k])
        r = float(self.mdp.reward[self.s, a, k])
        p = float(self.mdp.prob[self.s, a, k])
        self.s = s2
        self._t += 1
        terminated = bool(self.mdp.terminal[s2])
        truncated = (not terminated) and self.max_episode_steps is not None and self._t >= self.max_episode_steps
        return s2, r, terminated, truncated, {"prob": p}


def riverswim(n_states: int = 6) -> planners.TabularMDP:
    """RiverSwim (see the module docstring): actions 0 left, 1 right; start in state 0."""
    if isinstance(n_states, bool) or not isinstance(n_states, (int, np.integer)) or n_states < 3:
        raise ValueError(f"n_states must be an integer >= 3, got {n_states!r}")
    S = int(n_states)
    ns = np.zeros((S, 2, 3), dtype=np.int64)
    pr = np.zeros((S, 2, 3))
    rw = np.zeros((S, 2, 3))
    for s in range(S):
        ns[s, 0] = max(s - 1, 0)
        pr[s, 0, 0] = 1.0
        ns[s, 1] = (min(s + 1, S - 1), s, max(s - 1, 0))
        if s == 0:
            pr[s, 1] = (0.6, 0.4, 0.0)
        elif s == S - 1:
            ns[s, 1] = (s, s - 1, s - 1)
            pr[s, 1] = (0.6, 0.4, 0.0)
        else:
            pr[s, 1] = (0.35, 0.6, 0.05)
    rw[0, 0, 0] = 5.0
    rw[S - 1, 1, 0] = 10_000.0
    return planners.TabularMDP(ns, pr, rw, np.zeros(S, dtype=bool))


def maximization_bias(n_b: int = 10) -> planners.TabularMDP:
    """Sutton & Barto's Example 6.7: states 0 = A (start), 1 = B, 2 = terminal.

    Every state has ``n_b`` actions (a TabularMDP has one action count).  In ``A`` the first
    half of them are "left" (to ``B``) and the second half "right" (to the end), so a uniformly
    random action goes left with probability 1/2 as in the book, and the optimal policy under
    epsilon-greedy exploration goes left with probability ``epsilon / 2`` (5 % for 0.1).
    """
    if isinstance(n_b, bool) or not isinstance(n_b, (int, np.integer)) or n_b < 2 or n_b % 2:
        raise ValueError(f"n_b must be an even integer >= 2, got {n_b!r}")
    A = int(n_b)
    ns = np.full((3, A, 2), 2, dtype=np.int64)
    pr = np.zeros((3, A, 2))
    rw = np.zeros((3, A, 2))
    pr[:, :, 0] = 1.0
    ns[0, : A // 2, 0] = 1  # left: A -> B
    pr[1, :] = (0.5, 0.5)
    rw[1, :] = (-1.1, 0.9)
    return planners.TabularMDP(ns, pr, rw, np.array([False, False, True]))


def restart_on(mdp: planners.TabularMDP, states: Any, start: int) -> planners.TabularMDP:
    """``mdp`` where every outcome entering one of ``states`` enters ``start`` instead (same reward).

    Sutton & Barto's cliff walk: ``restart_on(cliff_mdp, cliff_states, start)`` turns cliff
    squares that end the episode into the book's "sent back to the start" (Example 6.6).
    """
    S = mdp.n_states
    mask = np.zeros(S, dtype=bool)
    idx = np.asarray(states, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= S):
        raise ValueError(f"states must be in 0..{S - 1}, got {idx.tolist()}")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= int(start) < S:
        raise ValueError(f"start must be a state in 0..{S - 1}, got {start!r}")
    mask[idx] = True
    if mask[int(start)]:
        raise ValueError(f"start {int(start)} cannot be one of the restart states")
    ns = np.where(mask[mdp.next_state], int(start), mdp.next_state)
    return planners.TabularMDP(ns, mdp.prob, mdp.reward, mdp.terminal)  # the restart states: unreachable
