"""lecturegrid's planners: exact, numba-compiled value and policy iteration on tabular MDPs.

* :class:`TabularMDP` (:mod:`planners.mdp`): the validated array model, from a Gymnasium env
  (a LectureGrid-style ``model``, or toy-text ``P``), from a model object, or from dense /
  sparse ``P[A, S, S]``, ``R``.  planners never imports gridworld_env: it reads arrays.
* :func:`solve`: the optimal values and a greedy policy by the fastest exact method for the
  MDP at hand, with value iteration's stopping guarantee.  Start here.
* The textbook planners (:mod:`planners.solvers`; the math, stopping rule and guarantees are
  in its docstring): :func:`value_iteration`, :func:`value_iteration_sweeps`,
  :func:`policy_iteration`, :func:`modified_policy_iteration`, :func:`policy_evaluation`,
  :func:`q_values`, each planner returning a :class:`PlanResult`; :data:`SOLVERS` by name.
* Ties: :data:`TIE_RTOL` (the one tie tolerance), :func:`greedy_mask`, :func:`greedy_policy`,
  :meth:`PlanResult.greedy_mask`.  Proper policies at ``gamma = 1``: :func:`improper_states`,
  ``PlanResult.proper``, :class:`ImproperPolicyWarning`.
* :class:`PlannerAgent` (:mod:`planners.agents`): a plan as a policy for any Gymnasium loop.
* Many plans at once (:mod:`planners.sweeps`): :func:`batch_plan`,
  :func:`batch_value_iteration`, :func:`living_reward_thresholds`.
* ``python -m planners --help``: the command line (any Gymnasium env with Discrete spaces).

>>> import gymnasium as gym
>>> import planners
>>> mdp = planners.TabularMDP.from_env(gym.make("gridworld_env:LectureGrid-v0", living_reward=-0.04))
>>> res = planners.solve(mdp, gamma=1.0)
>>> float(res.values[8].round(2)), planners.PlannerAgent(mdp, gamma=1.0).act(8)   # start: 5 steps, up first
(0.84, 0)
"""

from .agents import PlannerAgent
from .grid import GridMDP, grid_description, solve_grid
from .mdp import MDPError, TabularMDP
from .solvers import (
    SOLVERS,
    TIE_RTOL,
    ConvergenceWarning,
    ImproperPolicyWarning,
    PlanResult,
    fast_value_iteration,
    gauss_seidel_value_iteration,
    greedy_mask,
    greedy_policy,
    improper_states,
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    q_values,
    register_backend,
    solve,
    value_iteration,
    value_iteration_sweeps,
)
from .span import span_value_iteration
from .sweeps import BatchPlan, ThresholdResult, batch_plan, batch_value_iteration, living_reward_thresholds

__all__ = [
    "SOLVERS",
    "TIE_RTOL",
    "BatchPlan",
    "ConvergenceWarning",
    "GridMDP",
    "ImproperPolicyWarning",
    "MDPError",
    "PlanResult",
    "PlannerAgent",
    "TabularMDP",
    "ThresholdResult",
    "batch_plan",
    "batch_value_iteration",
    "fast_value_iteration",
    "gauss_seidel_value_iteration",
    "greedy_mask",
    "greedy_policy",
    "grid_description",
    "improper_states",
    "living_reward_thresholds",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "register_backend",
    "solve",
    "solve_grid",
    "span_value_iteration",
    "value_iteration",
    "value_iteration_sweeps",
]
