"""lecturegrid's learners: tabular RL when the model is unknown, measured against the exact optimum.

* Agents (:mod:`learners.agents`; the update rules and their math in :mod:`learners._core`):
  :data:`ALGORITHMS` maps ``q_learning``, ``sarsa``, ``expected_sarsa``, ``double_q``,
  ``sarsa_lambda``, ``mc_control``, ``dyna_q``, ``prioritized_sweeping``,
  ``certainty_equivalence``, ``rmax`` to their classes; each agent is an ``act(obs)`` policy.
* :func:`learn` (any Discrete Gymnasium env, Python stepping) and :func:`learn_batch` (N agents
  in one numba kernel over the env's model arrays), both returning curves whose value gap comes
  from ``planners``' exact policy evaluation (:mod:`learners.api`).
* Envs (:mod:`learners.envs`): :class:`TabularEnv` from any ``planners.TabularMDP``,
  :func:`riverswim`, :func:`maximization_bias`, :func:`restart_on`.
* ``python -m learners --help``: the command line.

>>> import gymnasium as gym, gridworld_env, learners
>>> res = learners.learn_batch("q_learning", gym.make("LectureGrid-v0"), n_agents=4, steps=30_000)
>>> bool(res.optimal[:, -1].all())      # every agent's greedy policy is optimal in every state
True
"""

from ._truth import Truth
from .agents import (
    ALGORITHMS,
    Agent,
    CertaintyEquivalence,
    DoubleQLearning,
    DynaQ,
    ExpectedSarsa,
    HyperparameterError,
    MonteCarloControl,
    PrioritizedSweeping,
    QLearning,
    RMax,
    Sarsa,
    SarsaLambda,
)
from .api import BatchResult, Curve, LearnResult, checkpoints, learn, learn_batch, truth_of
from .envs import TabularEnv, maximization_bias, restart_on, riverswim

__all__ = [
    "ALGORITHMS",
    "Agent",
    "BatchResult",
    "CertaintyEquivalence",
    "Curve",
    "DoubleQLearning",
    "DynaQ",
    "ExpectedSarsa",
    "HyperparameterError",
    "LearnResult",
    "MonteCarloControl",
    "PrioritizedSweeping",
    "QLearning",
    "RMax",
    "Sarsa",
    "SarsaLambda",
    "TabularEnv",
    "Truth",
    "checkpoints",
    "learn",
    "learn_batch",
    "maximization_bias",
    "restart_on",
    "riverswim",
    "truth_of",
]
