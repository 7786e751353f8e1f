"""``LectureGridEnv``: the lecture's gridworld as a Gymnasium environment.

The env is a thin sampler over the compact arrays of :mod:`gridworld_env.model`; drawing lives
in :mod:`gridworld_env.render`.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec
from gymnasium.utils import colorize

from ._checks import check_bool, check_tile_size, plain
from .layouts import Layout, LayoutError, LayoutLike, as_layout
from .model import GridModel, build_model

__all__ = ["ACTION_ARROWS", "ACTION_NAMES", "DOWN", "LEFT", "RIGHT", "UP", "InvalidActionError", "LectureGridEnv"]

UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3
_UNIFORM_BLOCK = 256  # uniforms drawn per np_random call when slip > 0
#: Action names by index (the lecture's order).
ACTION_NAMES = ("up", "down", "left", "right")
#: One-character arrows by action index.
ACTION_ARROWS = ("\u2191", "\u2193", "\u2190", "\u2192")


class InvalidActionError(ValueError):
    """An action outside ``Discrete(4)``."""


class RenderModes(list):
    """The ``metadata["render_modes"]`` list, refusing a non-string mode with a ValueError naming it.

    ``gym.make`` tests ``render_mode not in metadata["render_modes"]`` before it calls the
    constructor, then calls ``render_mode.endswith(...)``: an int gave an AttributeError from
    inside Gymnasium.  Testing membership here raises the one-line ValueError first.
    """

    def __contains__(self, mode: object) -> bool:
        if mode is not None and not isinstance(mode, str):
            raise ValueError(f"render_mode must be None or one of {list(self)}, got {plain(mode)}")
        return super().__contains__(mode)


def check_render_mode(render_mode: Any, modes: list[str]) -> str | None:
    """``render_mode`` if it is None or one of ``modes``, else a ValueError naming it."""
    if render_mode is not None and (not isinstance(render_mode, str) or render_mode not in modes):
        raise ValueError(f"unsupported render_mode {plain(render_mode)}; supported: {list(modes)} or None")
    return render_mode


class GridConfig(NamedTuple):
    """The validated model arguments shared by :class:`LectureGridEnv` and the vector env."""

    layout: Layout
    model: GridModel
    random_start: bool
    tile_size: int
    free_states: np.ndarray  # (n_free,) int64: the squares a random start picks from


def grid_config(
    layout: LayoutLike | Mapping[str, Any],
    living_reward: Any,
    slip: Any,
    rewards: Mapping[str, float] | None,
    start: Any,
    random_start: Any,
    tile_size: Any,
) -> GridConfig:
    """Validate the model arguments of the env (see :class:`LectureGridEnv`) and build its model once."""
    lay = as_layout(layout, rewards)
    if start is not None:
        lay = lay.with_start(start)
    random_start = check_bool("random_start", random_start)
    tile_size = check_tile_size(tile_size)
    model = build_model(lay, living_reward, slip)
    free = np.flatnonzero(lay.free)
    if random_start and free.size == 0:
        raise LayoutError("random_start=True but the layout has no free (non-wall, non-terminal) square")
    return GridConfig(lay, model, random_start, tile_size, free)


def json_kwargs(value: Any) -> Any:
    """``value`` with every part JSON can hold as itself: a :class:`Layout` as its dict, tuples as lists, enums as values.

    Applied to ``spec.kwargs`` so that ``EnvSpec.from_json(spec.to_json()) == spec`` and
    ``gym.make(spec)`` builds the same env (the env accepts every form this returns).
    """
    if isinstance(value, Layout):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: json_kwargs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_kwargs(v) for v in value]
    return value


def json_spec(spec: EnvSpec | None) -> EnvSpec | None:
    """A copy of ``spec`` whose kwargs are :func:`json_kwargs` (None stays None)."""
    if spec is None:
        return None
    spec = copy.copy(spec)
    spec.kwargs = json_kwargs(spec.kwargs)
    return spec


class LectureGridEnv(gym.Env):
    """The lecture's gridworld (Russell & Norvig's 4x3 world by default).

    ## Description
    The agent moves on a grid of squares with walls and terminal squares.  Entering a
    terminal square gives its reward (+1 or -1 in the lecture's world) and ends the episode;
    every other step gives the living reward.  By default moves are deterministic; with
    ``slip > 0`` a move goes sideways with probability ``slip`` (``slip/2`` each side).

    Default map (``layout="lecture"``), row 0 at the top::

        ...+
        .#.-
        S...

    ## Action Space
    ``Discrete(4)``: 0 up, 1 down, 2 left, 3 right (:data:`ACTION_NAMES`).

    ## Observation Space
    ``Discrete(nrow * ncol)``: the state index ``row * ncol + col`` (as FrozenLake).

    ## Rewards
    Entering a terminal square: that square's reward.  Any other step (including bumping into
    a wall or the border, which leaves the agent in place): ``living_reward`` (default -0.04).

    ## Episode End
    Terminated when the agent enters a terminal square.  ``gym.make("LectureGrid-v0")``
    truncates after 100 steps (``max_episode_steps``).

    ## Starting State
    The layout's ``S`` square, or ``start=(row, col)``, or uniformly random over non-wall,
    non-terminal squares with ``random_start=True``.  ``reset(options={"start": ...})``
    overrides the start for one episode.

    ## Information
    ``info = {"prob": p, "row": r, "col": c}``: the probability of the sampled transition and
    the agent's position.

    ## Arguments
    * ``layout``: a layout name (``"lecture"``, ``"cliff"``, ``"bridge"``, ``"discount"``,
      ``"maze"``, ``"four_rooms"``, ``"open:NxM"``, ``"maze:NxM:SEED"``), an ASCII map (a
      multi-line string, a list of rows, or a one-row string of map characters such as
      ``"S#+"``), a :class:`~gridworld_env.layouts.Layout` or its ``to_dict()``.
    * ``rewards``: extra terminal characters of an ASCII map and their rewards, e.g. ``{"E": 10}``.
    * ``living_reward``: reward of every non-terminal step (finite; not a bool or a string).
    * ``slip``: probability in ``[0, 1]`` that a move goes perpendicular (not a bool or a string).
    * ``start``: start square ``(row, col)`` (or a list) or state index, overriding the map's ``S``.
    * ``random_start``: start each episode on a random free square (``True`` / ``False``).
    * ``render_mode``: ``"human"`` (pygame window), ``"rgb_array"`` or ``"ansi"``.
    * ``tile_size``: pixels per square when drawing, 4 to 1024 (the renderer's bounds).

    Every argument is checked once, by :func:`grid_config` (shared with the vector env); a bad
    one is a ``ValueError`` (:class:`~gridworld_env.layouts.LayoutError` for the model) naming it.

    ## Copies and specs
    pickle, ``copy.deepcopy``, cloudpickle and dill copy the env mid-episode; the copy steps
    exactly like the original (same generator, same pending uniforms).  ``spec.kwargs`` is kept
    JSON-stable (:func:`json_kwargs`), so ``EnvSpec.from_json(spec.to_json()) == spec``.

    The transition model: :attr:`model` (compact arrays, see :mod:`gridworld_env.model`) and
    :attr:`P` (toy-text dict, built lazily).
    """

    metadata = {"render_modes": RenderModes(["human", "ansi", "rgb_array"]), "render_fps": 4}
    _spec: EnvSpec | None = None

    def __init__(
        self,
        layout: LayoutLike | Mapping[str, Any] = "lecture",
        living_reward: float = -0.04,
        slip: float = 0.0,
        render_mode: str | None = None,
        *,
        rewards: Mapping[str, float] | None = None,
        start: int | tuple[int, int] | None = None,
        random_start: bool = False,
        tile_size: int = 96,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        cfg = grid_config(layout, living_reward, slip, rewards, start, random_start, tile_size)
        self.model: GridModel = cfg.model
        self.layout: Layout = cfg.layout
        self.nrow, self.ncol = cfg.layout.shape
        self.random_start = cfg.random_start
        self.tile_size = cfg.tile_size
        self._free_states = cfg.free_states

        self.observation_space = spaces.Discrete(cfg.layout.n_states)
        self.action_space = spaces.Discrete(4)
        self._K = cfg.model.n_outcomes
        self._make_views()

        # slip > 0: uniforms are drawn from np_random in blocks; a new generator (reset(seed=...)) starts a new block.
        self._uniforms: Iterator[float] = iter(())
        self._uniforms_from: np.random.Generator | None = None
        self.s: int = cfg.layout.start
        self.lastaction: int | None = None
        self.lastreward: float | None = None
        self._renderer: Any = None

    def _make_views(self) -> None:
        """The hot path's memoryviews of the model arrays (they index to plain Python scalars, ~100 ns each)."""
        m = self.model
        self._ns: Any = memoryview(m.next_state.reshape(-1))  # type: ignore[arg-type]
        self._pr: Any = memoryview(m.prob.reshape(-1))  # type: ignore[arg-type]
        self._rw: Any = memoryview(m.reward.reshape(-1))  # type: ignore[arg-type]
        self._absorbing: Any = memoryview(m.absorbing)  # type: ignore[arg-type]  # indexes to Python bools

    # ------------------------------------------------------------------ copies
    def __getstate__(self) -> dict[str, Any]:
        """The state for pickle / deepcopy / cloudpickle / dill: everything but the memoryviews and the window.

        The random generator, the unused block of uniforms (as a list iterator) and the episode
        go with it, so a copy steps exactly like the original from the same point.
        """
        state = self.__dict__.copy()
        for key in ("_ns", "_pr", "_rw", "_absorbing"):
            del state[key]
        state["_renderer"] = None  # pygame surfaces and windows do not copy; the copy draws its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a copy: the state, then new memoryviews over its (read-only again) model arrays."""
        self.__dict__.update(state)
        self._make_views()

    @property
    def spec(self) -> EnvSpec | None:
        """The env's :class:`~gymnasium.envs.registration.EnvSpec`, its kwargs stored JSON-stable (see :func:`json_kwargs`)."""
        return self._spec

    @spec.setter
    def spec(self, value: EnvSpec | None) -> None:
        self._spec = json_spec(value)

    # ------------------------------------------------------------------ model
    @property
    def P(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        """Toy-text transitions ``P[s][a] = [(prob, next_state, reward, terminated), ...]`` (lazy)."""
        return self.model.P

    @property
    def initial_state_distrib(self) -> np.ndarray:
        """``(S,)`` float64: the distribution of the start state (the toy-text envs' attribute name).

        One-hot at ``layout.start``, or uniform over the free squares with ``random_start=True``
        (a ``reset(options={"start": ...})`` overrides it for that episode only).
        """
        d = np.zeros(self.layout.n_states)
        if self.random_start:
            d[self._free_states] = 1.0 / self._free_states.size
        else:
            d[self.layout.start] = 1.0
        d.setflags(write=False)
        return d

    @property
    def living_reward(self) -> float:
        """The reward of every non-terminal step."""
        return self.model.living_reward

    @property
    def slip(self) -> float:
        """Probability that a move goes to a perpendicular direction."""
        return self.model.slip

    # ------------------------------------------------------------------- API
    def _check_action(self, action: Any) -> int:
        if type(action) is np.int64:  # what Discrete.sample() returns: the common case first
            a = int(action)
            if 0 <= a < 4:
                return a
        elif isinstance(action, (np.integer, np.ndarray)) and not isinstance(action, bool):
            if isinstance(action, np.ndarray):
                if action.shape != () or action.dtype.kind not in "iu":
                    raise InvalidActionError(f"action must be an integer in 0..3, got {plain(action)}")
            a = int(action)
            if 0 <= a < 4:
                return a
        raise InvalidActionError(
            f"action must be an integer in 0..3 ({', '.join(f'{i} {n}' for i, n in enumerate(ACTION_NAMES))}), "
            f"got {plain(action)}"
        )

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Take one step; see the class docstring for dynamics and rewards."""
        # Hot path (~0.2 us): plain-int action check, memoryview scalar reads, no numpy calls.
        a = action if (type(action) is int and 0 <= action < 4) else self._check_action(action)
        if self._K == 1:
            k = self.s * 4 + a
            p = 1.0
        else:  # inverse CDF: the first outcome whose cumulative probability exceeds u ~ U[0, 1)
            u = next(self._uniforms, None) if self._uniforms_from is self._np_random else None
            if u is None:
                u = self._refill_uniforms()
            pr = self._pr
            k = (self.s * 4 + a) * self._K
            last = k + self._K - 1
            acc = pr[k]
            while u >= acc and k < last:
                k += 1
                acc += pr[k]
            p = pr[k]
        s = self._ns[k]
        r = self._rw[k]
        self.s = s
        self.lastaction = a
        self.lastreward = r
        if self.render_mode is not None and self.render_mode == "human":
            self.render()
        return s, r, self._absorbing[s], False, {"prob": p, "row": s // self.ncol, "col": s % self.ncol}

    def _refill_uniforms(self) -> float:
        """Draw the next block of uniforms from ``np_random`` (one numpy call per block, not per step); return one."""
        rng = self.np_random
        block = iter(rng.random(_UNIFORM_BLOCK).tolist())
        self._uniforms, self._uniforms_from = block, rng
        return next(block)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """Start an episode.

        ``options`` may hold ``"start"`` (a state index or ``(row, col)``) for this episode.
        """
        super().reset(seed=seed)
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options must be a dict or None, got {plain(options)}")
        start = None if options is None else options.get("start")
        if options is not None:
            unknown = set(options) - {"start"}
            if unknown:
                raise ValueError(f"unknown reset option(s) {sorted(map(plain, unknown))}; supported: ['start']")
        if start is not None:
            self.s = self.layout.with_start(start).start
        elif self.random_start:
            self.s = int(self._free_states[self.np_random.integers(self._free_states.size)])
        else:
            self.s = self.layout.start
        self.lastaction = None
        self.lastreward = None
        if self.render_mode == "human":
            self.render()
        row, col = divmod(self.s, self.ncol)
        return self.s, {"prob": 1.0, "row": row, "col": col}

    # ---------------------------------------------------------------- render
    def render(self) -> str | np.ndarray | None:
        """Render per ``render_mode``.

        ``"ansi"``: the map as text with the agent highlighted.  ``"rgb_array"``: the board
        and the agent as an ``(nrow * tile_size, ncol * tile_size, 3)`` uint8 array.
        ``"human"``: a resizable pygame window with a caption (layout, living reward, slip,
        last action and reward), paced to ``metadata["render_fps"]``; closing the window
        stops drawing (call :meth:`close` to release it).
        """
        if self.render_mode is None:
            gym.logger.warn(
                "You are calling render method without specifying any render mode. "
                "You can specify the render_mode at initialization, "
                'e.g. gym.make("LectureGrid-v0", render_mode="rgb_array")'
            )
            return None
        if self.render_mode == "ansi":
            return self._render_text()
        if self._renderer is None:
            from .render import GridRenderer

            self._renderer = GridRenderer(self.layout, tile_size=self.tile_size)
        if self.render_mode == "rgb_array":
            return self._renderer.rgb_array(agent=self.s)
        self._renderer.show(agent=self.s, fps=self.metadata["render_fps"], caption=self._caption(), caption_lines=2)
        return None

    def _caption(self) -> str:
        last = (
            "start"
            if self.lastaction is None
            else f"last: {ACTION_NAMES[self.lastaction]}, reward {self.lastreward:+g}"
        )
        return f"{self.layout.name}: living reward {self.living_reward:g}, slip {self.slip:g}\n{last}"

    def _render_text(self) -> str:
        chars = [list(r) for r in self.layout.rows]
        row, col = divmod(self.s, self.ncol)
        chars[row][col] = colorize(chars[row][col], "red", highlight=True)
        head = f"  ({ACTION_NAMES[self.lastaction].capitalize()})\n" if self.lastaction is not None else ""
        return head + "\n".join("".join(r) for r in chars) + "\n"

    def close(self) -> None:
        """Close the window, if any (idempotent)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
