"""Planned policies as agents: plug a planner's result into any Gymnasium loop.

>>> import gymnasium as gym
>>> from planners import PlannerAgent
>>> env = gym.make("gridworld_env:LectureGrid-v0", living_reward=-0.04)
>>> agent = PlannerAgent(env, gamma=1.0)
>>> obs, _ = env.reset(seed=0)
>>> total, done = 0.0, False
>>> while not done:
...     obs, reward, terminated, truncated, _ = env.step(agent(obs))
...     total += reward
...     done = terminated or truncated
>>> round(total, 2)   # five steps, the last into the +1 exit: 4 * -0.04 + 1
0.84
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._results import as_mdp
from .mdp import TabularMDP
from .solvers import SOLVERS, PlanResult

__all__ = ["PlannerAgent"]


class PlannerAgent:
    """An agent acting greedily on a plan computed once, at construction.

    Parameters
    ----------
    env_or_mdp : Gymnasium env (wrapped or not), model or TabularMDP
        What to plan for (converted with :meth:`TabularMDP.from_env`).
    planner : str
        A key of :data:`planners.SOLVERS`: ``"solve"`` (the default: the fastest exact
        method, :func:`planners.solve`), ``"value_iteration"``, ``"gauss_seidel"``,
        ``"fast"``, ``"policy_iteration"``, ``"modified_policy_iteration"``.  At ``gamma = 1``
        every planner's policy reaches a terminal where any optimal one does, so the agent
        finishes its episodes (``result.proper``).
    gamma : float in [0, 1]
        Discount (default 0.99).
    **kwargs
        Passed to the planner (``tol``, ``max_iter``, ``k``...).

    Attributes
    ----------
    mdp : TabularMDP
    result : PlanResult
        The plan: values, policy, Q-values...
    policy : ndarray (S,) int64
        ``result.policy``.
    """

    def __init__(self, env_or_mdp: Any, planner: str = "solve", gamma: float = 0.99, **kwargs: Any) -> None:
        if planner not in SOLVERS:
            raise ValueError(f"unknown planner {planner!r}; choose one of {sorted(SOLVERS)}")
        self.mdp: TabularMDP = as_mdp(env_or_mdp)
        self.planner = planner
        self.result: PlanResult = SOLVERS[planner](self.mdp, gamma, **kwargs)
        self.policy: np.ndarray = self.result.policy

    @property
    def values(self) -> np.ndarray:
        """``(S,)`` planned state values."""
        return self.result.values

    def act(self, obs: int | np.integer | Any, info: dict | None = None) -> int:
        """The planned action in state ``obs`` (an int state index).

        Raises
        ------
        ValueError
            If ``obs`` is not a state index of the MDP.
        """
        if isinstance(obs, np.ndarray) and obs.shape == ():
            obs = obs.item()
        if isinstance(obs, bool) or not isinstance(obs, (int, np.integer)) or not 0 <= obs < self.policy.shape[0]:
            raise ValueError(f"obs must be a state index in 0..{self.policy.shape[0] - 1}, got {obs!r}")
        return int(self.policy[obs])

    def __call__(self, obs: Any, info: dict | None = None) -> int:
        """Same as :meth:`act`, so the agent can be used as a plain policy function."""
        return self.act(obs, info)

    def __repr__(self) -> str:
        return f"PlannerAgent(planner={self.planner!r}, {self.result!r})"
