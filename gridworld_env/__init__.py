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
from .render import GridRenderer, Window, render_values, save_animation, save_png
from .vector import LectureGridVectorEnv

__all__ = [
    "ACTION_ARROWS",
    "ACTION_NAMES",
    "DOWN",
    "LAYOUTS",
    "LEFT",
    "RIGHT",
    "UP",
    "GridModel",
    "GridRenderer",
    "InvalidActionError",
    "Layout",
    "LayoutError",
    "LectureGridEnv",
    "LectureGridVectorEnv",
    "Window",
    "as_layout",
    "build_model",
    "get_layout",
    "layout_names",
    "open_grid",
    "parse_layout",
    "random_maze",
    "register_layout",
    "render_values",
    "save_animation",
    "save_png",
]

__version__ = "0.1.0"

if "LectureGrid-v0" not in registry:
    register(
        id="LectureGrid-v0",
        entry_point="gridworld_env.env:LectureGridEnv",
        vector_entry_point="gridworld_env.vector:LectureGridVectorEnv",
        max_episode_steps=100,
    )
