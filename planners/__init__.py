"""lecturegrid's planners: exact, numba-compiled value and policy iteration on tabular MDPs.

* :class:`TabularMDP` (:mod:`planners.mdp`): the validated array model, from a Gymnasium env
  (LectureGrid or toy-text ``P``) or from dense / sparse ``P[A, S, S]``, ``R``.
* Planners (:mod:`planners.solvers`; the math, stopping rule and guarantees are in its
  docstring): :func:`value_iteration`, :func:`value_iteration_sweeps`,
  :func:`policy_iteration`, :func:`modified_policy_iteration`, :func:`policy_evaluation`,
  :func:`q_values`, each planner returning a :class:`PlanResult`; :data:`SOLVERS` by name.
* :class:`PlannerAgent` (:mod:`planners.agents`): a plan as a policy for any Gymnasium loop.
* Many plans at once (:mod:`planners.sweeps`): :func:`batch_plan`,
  :func:`batch_value_iteration`, :func:`living_reward_thresholds`.
* ``python -m planners --help``: the command line.

>>> from gridworld_env import LectureGridEnv
>>> import planners
>>> mdp = planners.TabularMDP.from_env(LectureGridEnv("lecture", living_reward=-0.04))
>>> res = planners.value_iteration(mdp, gamma=1.0)
>>> float(res.values[8].round(2)), planners.PlannerAgent(mdp, gamma=1.0).act(8)   # start: 5 steps, up first
(0.84, 0)
"""

from .agents import PlannerAgent
from .grid import GridMDP, grid_description, solve_grid
from .mdp import MDPError, TabularMDP
from .solvers import (
    SOLVERS,
    ConvergenceWarning,
    PlanResult,
    fast_value_iteration,
    gauss_seidel_value_iteration,
    greedy_policy,
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    q_values,
    value_iteration,
    value_iteration_sweeps,
)
from .span import span_value_iteration
from .sweeps import BatchPlan, ThresholdResult, batch_plan, batch_value_iteration, living_reward_thresholds

__all__ = [
    "SOLVERS",
    "BatchPlan",
    "ConvergenceWarning",
    "GridMDP",
    "MDPError",
    "PlanResult",
    "PlannerAgent",
    "TabularMDP",
    "ThresholdResult",
    "batch_plan",
    "batch_value_iteration",
    "fast_value_iteration",
    "gauss_seidel_value_iteration",
    "greedy_policy",
    "grid_description",
    "living_reward_thresholds",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "solve_grid",
    "span_value_iteration",
    "value_iteration",
    "value_iteration_sweeps",
]
