"""lecturegrid's Gymnasium gridworld.

``import gridworld_env`` registers ``LectureGrid-v0``:

>>> import gymnasium as gym
>>> import gridworld_env
>>> env = gym.make("LectureGrid-v0")           # Russell & Norvig's 4x3 world
>>> obs, info = env.reset(seed=0)
>>> obs, info["row"], info["col"]
(8, 2, 0)
>>> env.step(gridworld_env.UP)[:3]
(4, -0.04, False)
"""

from gymnasium.envs.registration import register, registry

from .env import ACTION_ARROWS, ACTION_NAMES, DOWN, LEFT, RIGHT, UP, InvalidActionError, LectureGridEnv
from .layouts import (
    LAYOUTS,
    Layout,
    LayoutError,
    as_layout,
    get_layout,
    layout_names,
    open_grid,
    parse_layout,
    random_maze,
    register_layout,
)
from .model import GridModel, build_model
from .render import GridRenderer, Window, greedy_mask, render_values, save_animation, save_png
from .vector import LectureGridVectorEnv

__all__ = [
    "LectureGridEnv",
    "LectureGridVectorEnv",
    "InvalidActionError",
    "ACTION_NAMES",
    "ACTION_ARROWS",
    "UP",
    "DOWN",
    "LEFT",
    "RIGHT",
    "Layout",
    "LayoutError",
    "LAYOUTS",
    "as_layout",
    "get_layout",
    "layout_names",
    "open_grid",
    "parse_layout",
    "random_maze",
    "register_layout",
    "GridModel",
    "build_model",
    "GridRenderer",
    "Window",
    "render_values",
    "greedy_mask",
    "save_png",
    "save_animation",
]

__version__ = "0.1.0"

if "LectureGrid-v0" not in registry:
    register(
        id="LectureGrid-v0",
        entry_point="gridworld_env.env:LectureGridEnv",
        vector_entry_point="gridworld_env.vector:LectureGridVectorEnv",
        max_episode_steps=100,
    )
