"""The transition model of a gridworld: one place for "what happens when the agent moves".

For a layout with ``S = nrow * ncol`` states and the four actions (0 up, 1 down, 2 left,
3 right), :func:`build_model` returns compact arrays with ``K`` outcomes per state-action:

* ``next_state[S, 4, K]`` (int32), ``prob[S, 4, K]`` (float64), ``reward[S, 4, K]`` (float64);
* ``terminal[S]`` (terminal squares) and ``wall[S]`` (wall squares), both bool.

Dynamics.  The intended move succeeds with probability ``1 - slip``; with probability
``slip / 2`` each the agent moves in one of the two perpendicular directions instead
(``slip = 0.2`` is Russell & Norvig's 0.8 / 0.1 / 0.1 world).  ``K = 1`` when ``slip == 0``,
else ``K = 3`` with outcomes ordered (intended, first perpendicular, second perpendicular),
the perpendiculars of up/down being (left, right) and of left/right (up, down).  A move into a
wall or off the grid leaves the agent where it is.

Rewards.  Entering a square gives the square's terminal reward if it is a terminal, else the
living reward (bumping into a wall "enters" the current square).  Terminal squares and walls
are *absorbing*: every action loops back with probability 1 and reward 0, so their value is 0
(walls are never entered; they are absorbing only so that every state has a well-defined row).

The toy-text view ``P[s][a] = [(prob, next_state, reward, terminated), ...]`` is derived from
the arrays on first access (:attr:`GridModel.P`), listing the outcomes with non-zero
probability; ``terminated`` is True when ``next_state`` is absorbing.

Examples
--------
>>> from gridworld_env.layouts import get_layout
>>> m = build_model(get_layout("lecture"), living_reward=-0.04, slip=0.2)
>>> m.next_state.shape, m.prob[8, 0].tolist()
((12, 4, 3), [0.8, 0.1, 0.1])
>>> m.P[8][0]  # up from the bottom-left: 0.8 up, 0.1 bump left (stay), 0.1 right
[(0.8, 4, -0.04, False), (0.1, 8, -0.04, False), (0.1, 9, -0.04, False)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_float, check_probability
from .layouts import Layout, LayoutError, _restore_frozen

__all__ = ["ACTION_DELTAS", "OUTCOME_ACTIONS", "GridModel", "build_model", "check_living_reward", "check_slip"]

#: (drow, dcol) of each action: 0 up, 1 down, 2 left, 3 right.
ACTION_DELTAS = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
#: For each action, the actual directions of the K = 3 outcomes: intended, then the perpendiculars.
OUTCOME_ACTIONS = np.array([[0, 2, 3], [1, 2, 3], [2, 0, 1], [3, 0, 1]], dtype=np.int64)


def check_slip(slip: Any) -> float:
    """Validate a slip probability: a real number in ``[0, 1]`` (not a bool, not a string)."""
    return check_probability("slip", slip, error=LayoutError)


def check_living_reward(living_reward: Any) -> float:
    """Validate a living reward: a finite real number (not a bool, not a string)."""
    return check_float("living_reward", living_reward, error=LayoutError)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class GridModel:
    """Compact transition arrays of a gridworld (see the module docstring for semantics).

    All arrays are C-contiguous and read-only.  Build with :func:`build_model`.
    """

    layout: Layout
    living_reward: float
    slip: float
    next_state: np.ndarray  # (S, 4, K) int32
    prob: np.ndarray  # (S, 4, K) float64
    reward: np.ndarray  # (S, 4, K) float64
    terminal: np.ndarray  # (S,) bool
    wall: np.ndarray  # (S,) bool
    _P: dict | None = field(default=None, init=False, repr=False)
    _parts: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a copy (pickle, deepcopy) with its arrays read-only again."""
        _restore_frozen(self, state)

    @property
    def n_states(self) -> int:
        """Number of states ``S``."""
        return self.next_state.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of actions (4)."""
        return self.next_state.shape[1]

    @property
    def n_outcomes(self) -> int:
        """Outcomes per state-action ``K`` (1 if deterministic, else 3)."""
        return self.next_state.shape[2]

    @property
    def absorbing(self) -> np.ndarray:
        """``(S,)`` bool: terminal squares and walls (value 0, self-loops with reward 0)."""
        return self.terminal | self.wall

    @property
    def P(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        """Toy-text transition dict ``P[s][a] -> [(prob, next_state, reward, terminated)]``.

        Built on first access (a Python dict per state: avoid on very large grids).
        """
        if self._P is None:
            P = self._build_P()
            object.__setattr__(self, "_P", P)
            return P
        return self._P

    def _build_P(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        absorbing = self.absorbing
        ns = self.next_state.tolist()
        pr = self.prob.tolist()
        rw = self.reward.tolist()
        done = absorbing[self.next_state].tolist()
        P: dict[int, dict[int, list[tuple[float, int, float, bool]]]] = {}
        for s in range(self.n_states):
            row: dict[int, list[tuple[float, int, float, bool]]] = {}
            for a in range(self.n_actions):
                row[a] = [(p, n, r, d) for p, n, r, d in zip(pr[s][a], ns[s][a], rw[s][a], done[s][a]) if p > 0.0]
            P[s] = row
        return P

    def expected_reward(self) -> np.ndarray:
        """``(S, 4)`` expected immediate reward ``sum_k prob * reward``."""
        return np.einsum("sak,sak->sa", self.prob, self.reward)

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrow, ncol)`` of the grid; state ``s`` is square ``divmod(s, ncol)``."""
        return self.layout.shape

    @property
    def terminal_reward(self) -> np.ndarray:
        """``(S,)`` float64: the reward for entering each terminal square (0 elsewhere)."""
        return self.layout.terminal_reward

    def living_reward_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """The reward as an affine function of the living reward: ``reward == reward0 + living_reward * live``.

        Returns
        -------
        reward0 : ndarray (S, 4, K) float64, read-only
            The reward at living reward 0: terminal rewards on outcomes that enter a terminal square,
            0 elsewhere (absorbing rows included).
        live : ndarray (S, 4, K) float64, read-only
            1.0 on the outcomes that pay the living reward (from a live square into a non-terminal
            square, bumps included), 0.0 elsewhere.

        The identity holds bit for bit (``0 + c * 1 == c`` and ``r + c * 0 == r`` for finite ``c``),
        so planners may re-weight the living reward without rebuilding the model or knowing the rule.

        >>> from gridworld_env.layouts import get_layout
        >>> m = build_model(get_layout("lecture"), living_reward=-0.04, slip=0.2)
        >>> r0, live = m.living_reward_parts()
        >>> bool((r0 + m.living_reward * live == m.reward).all()), live[8, 0].tolist(), r0[2, 3].tolist()
        (True, [1.0, 1.0, 1.0], [1.0, 0.0, 0.0])
        """
        if self._parts is None:
            live = ~self.absorbing[:, None, None] & ~self.terminal[self.next_state]
            reward0 = np.where(live, 0.0, self.reward)
            parts = (_frozen(reward0), _frozen(live.astype(np.float64)))
            object.__setattr__(self, "_parts", parts)
            return parts
        return self._parts


def build_model(layout: Layout, living_reward: float = -0.04, slip: float = 0.0) -> GridModel:
    """Build the compact transition arrays of ``layout`` (vectorised; a 1000 x 1000 grid in well under a second).

    Parameters
    ----------
    layout : Layout
        A validated layout.
    living_reward : float
        Reward for every step that does not enter a terminal square.
    slip : float in [0, 1]
        Probability that a move goes to one of the two perpendicular directions instead.
    """
    if not isinstance(layout, Layout):
        raise LayoutError(f"build_model needs a Layout, got {type(layout).__name__}")
    living_reward = check_living_reward(living_reward)
    slip = check_slip(slip)
    nrow, ncol = layout.shape
    S = nrow * ncol
    wall = np.ascontiguousarray(layout.wall)
    terminal = np.ascontiguousarray(layout.terminal)
    absorbing = wall | terminal

    states = np.arange(S, dtype=np.int32)
    r, c = np.divmod(states, np.int32(ncol))
    nr = r[:, None] + ACTION_DELTAS[:, 0].astype(np.int32)
    nc = c[:, None] + ACTION_DELTAS[:, 1].astype(np.int32)
    inside = (nr >= 0) & (nr < nrow) & (nc >= 0) & (nc < ncol)
    target = np.where(inside, nr * np.int32(ncol) + nc, states[:, None])
    target = np.where(wall[target] | absorbing[:, None], states[:, None], target)  # (S, 4) int32
    # reward of moving in each direction (absorbing rows: 0), then gathered per outcome
    step_reward = np.where(terminal[target], layout.terminal_reward[target], living_reward)
    step_reward[absorbing] = 0.0

    if slip == 0.0:
        next_state = target[:, :, None]
        reward = step_reward[:, :, None]
        prob = np.ones((S, 4, 1))
    else:
        next_state = np.take(target, OUTCOME_ACTIONS, axis=1)  # (S, 4, 3)
        reward = np.take(step_reward, OUTCOME_ACTIONS, axis=1)
        prob = np.empty((S, 4, 3))
        prob[...] = (1.0 - slip, slip / 2, slip / 2)
        prob[absorbing] = (1.0, 0.0, 0.0)  # a certain self-loop (the other outcomes coincide)

    return GridModel(
        layout=layout,
        living_reward=living_reward,
        slip=slip,
        next_state=_frozen(next_state),
        prob=_frozen(prob),
        reward=_frozen(reward),
        terminal=_frozen(terminal.copy()),
        wall=_frozen(wall.copy()),
    )
