"""``LectureGridVectorEnv``: N copies of a gridworld stepped by one numba kernel.

Every sub-environment samples its transitions from the *same* compact arrays as the single
:class:`~gridworld_env.env.LectureGridEnv` (``next_state``, ``prob``, ``reward`` and the
absorbing mask of :mod:`gridworld_env.model`), with the same inverse-CDF rule: draw
``u ~ U[0, 1)`` and take the first outcome ``k`` with ``u < prob[0] + ... + prob[k]``.  The
two therefore agree in distribution; they differ only in the uniform random numbers they
draw (PCG64 through ``np_random`` in the single env, a per-env SplitMix64 stream here).

Autoreset: the three Gymnasium 1.x ``AutoresetMode`` s, chosen by ``autoreset_mode=`` and stored
in ``envs.autoreset_mode`` and ``envs.metadata["autoreset_mode"]``, behave as in
``gymnasium.vector.SyncVectorEnv``:

* ``NEXT_STEP`` (default): a step that terminates or truncates a sub-environment returns its
  final observation, reward and flags; the *next* ``step`` ignores that sub-environment's
  action, resets it and returns its start observation with reward ``0.0`` and both flags False.
* ``SAME_STEP``: the ending step resets the sub-environment at once; ``obs`` holds its new start
  state, and ``info["final_obs"]`` (object array, ``None`` for the others), ``info["_final_obs"]``
  (bool mask), ``info["final_info"]`` (the step's info, ``{}``) and ``info["_final_info"]`` (mask)
  report how the episode ended.  A step that ends no episode returns ``info = {}``.
* ``DISABLED``: nothing is reset; ``reset(options={"reset_mask": mask})`` restarts the ended
  sub-environments, and stepping one before that raises ``ResetNeeded``.

Random numbers.  Sub-environment ``i`` owns a 64-bit SplitMix64 state ``x_i``: each draw adds
the odd constant ``0x9E3779B97F4A7C15`` to ``x_i`` and returns the top 53 bits of a bijective
mix of ``x_i`` as a double in ``[0, 1)``.  ``reset(seed=s)`` sets ``x_i = mix(s + i)`` (the
Gymnasium convention ``seed + i``; a list gives each env its own seed), so each env walks its
own, randomly placed stretch of one cycle of length ``2**64``.  Uniform numbers are drawn only
when they are needed: for ``slip > 0`` (one per step) and for ``random_start=True`` (one per
reset), so a deterministic world is stepped without any.

>>> import gymnasium as gym, numpy as np
>>> import gridworld_env
>>> envs = gym.make_vec("LectureGrid-v0", num_envs=3, vectorization_mode="vector_entry_point")
>>> obs, info = envs.reset(seed=0)
>>> obs
array([8, 8, 8])
>>> obs, rew, term, trunc, info = envs.step(np.array([0, 3, 2]))  # up, right, left (bump)
>>> obs, rew
(array([4, 9, 8]), array([-0.04, -0.04, -0.04]))
>>> info
{}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import logger, spaces
from gymnasium.envs.registration import EnvSpec
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ._checks import check_bool, check_int, plain
from .env import InvalidActionError, check_render_mode, grid_config, json_spec
from .layouts import Layout, LayoutLike
from .model import GridModel

__all__ = ["PARALLEL_MIN_THREADS", "PARALLEL_THRESHOLD", "Frames", "LectureGridVectorEnv"]

#: ``parallel=None`` steps on all numba threads from this many sub-environments, if numba has at
#: least :data:`PARALLEL_MIN_THREADS` threads.  One thread already does a few hundred million
#: env-steps/s, so threads pay off only for big batches on several idle cores; on a busy 2-core
#: machine a descheduled worker stalls every step (measured: 10-100x slower).
PARALLEL_THRESHOLD = 65536
PARALLEL_MIN_THREADS = 4
_INT64 = np.dtype(np.int64)
_NO_LIMIT = np.iinfo(np.int64).max
_U64_MAX = 2**64 - 1


def _staggered(n: int, dtypes: Sequence[Any]) -> list[np.ndarray]:
    """Zeroed ``(n,)`` arrays of the given dtypes, starting at page offsets spread over 4 KiB.

    Separate large allocations all start at the same offset within a page, so element ``i`` of
    every array shares its low 12 address bits: the CPU then takes a store to ``obs[i]`` for
    a possible write to a later ``state[i + k]`` (4K aliasing) and stalls the load, ~12% of
    the kernel's time.  Here array ``j`` starts ``j * 4096 / len(dtypes)`` bytes into a page
    (64-byte aligned), all carved from one buffer.
    """
    stride = (4096 // len(dtypes)) & ~63
    sizes = [n * np.dtype(d).itemsize for d in dtypes]
    pages = [-(-size // 4096) * 4096 + 4096 for size in sizes]  # a spare page for the offset
    buf = np.zeros(sum(pages) + 4096, dtype=np.uint8)
    base = -buf.ctypes.data % 4096  # first page boundary in buf
    out, start = [], base
    for j, (d, size, span) in enumerate(zip(dtypes, sizes, pages)):
        off = start + j * stride
        out.append(buf[off : off + size].view(d))
        start += span
    return out


# ---------------------------------------------------------------------- env
class LectureGridVectorEnv(VectorEnv):
    """``num_envs`` independent copies of a :class:`~gridworld_env.env.LectureGridEnv`, stepped in one kernel.

    Create it with ``gym.make_vec("LectureGrid-v0", num_envs=N, vectorization_mode="vector_entry_point")``
    (extra keyword arguments go to this constructor) or directly.

    ## Spaces
    ``single_action_space = Discrete(4)``, ``action_space = MultiDiscrete([4] * N)``;
    ``single_observation_space = Discrete(nrow * ncol)``, ``observation_space`` its batch.

    ## Step
    ``step(actions)`` takes an integer array of shape ``(N,)`` with values in 0..3 and returns
    ``(obs, rewards, terminations, truncations, info)``: ``obs`` (N,) int64 states,
    ``rewards`` (N,) float64, ``terminations`` and ``truncations`` (N,) bool, and ``info = {}``
    (kept empty so a step costs nothing beyond the kernel; positions are ``divmod(obs, ncol)``).
    Dynamics and rewards are those of the single env.

    ## Autoreset
    ``autoreset_mode`` (``envs.autoreset_mode``, ``envs.metadata["autoreset_mode"]``): ``NEXT_STEP``
    (default) resets an ended sub-environment on the following step, ignoring its action
    (start state, reward 0, both flags False); ``SAME_STEP`` resets it in the ending step and
    reports ``info["final_obs"]`` / ``info["final_info"]`` with their ``_`` masks, as
    ``SyncVectorEnv``; ``DISABLED`` leaves it ended until ``reset(options={"reset_mask": ...})``.

    ## Episode end
    Terminated on entering a terminal square.  Truncated once an episode has taken
    ``max_episode_steps`` steps (100 through ``make_vec``, like ``gym.make``; ``None``: never),
    also when the same step terminates (as Gymnasium's ``TimeLimit``).

    ## Seeding
    ``reset(seed=s)`` seeds env ``i`` with ``s + i``; ``reset(seed=[s0, s1, ...])`` gives each env
    its own seed (``None`` entries: fresh OS entropy); ``reset()`` keeps the streams going.  A
    seeded run is reproducible on any machine and any number of threads.

    ## Returned arrays
    By default (``copy=True``, as Gymnasium's vector envs) every call returns newly allocated
    arrays.  With ``copy=False`` ``obs``, ``rewards``, ``terminations`` and ``truncations`` are
    preallocated buffers that the **next** ``step`` or ``reset`` **overwrites** in place: storing
    them into a rollout buffer (``buf[t] = obs``) copies and is safe, but ``history.append(obs)``
    keeps a reference that changes -- append ``obs.copy()``.  Reuse saves 3-33% per step (most at
    small N, where four allocations cost as much as the kernel), but clients that keep the arrays
    (torchrl's ``GymWrapper`` shares their memory) then read the *last* step's values everywhere:
    use ``copy=False`` only in your own loops.  Writing into the returned arrays never changes
    the envs' states.

    ## Rendering
    ``render_mode="rgb_array"``: :meth:`render` returns a sequence of ``num_envs`` frames
    ((H, W, 3) uint8 each) drawn on access, so ``envs.render()[0]`` costs one frame; a
    ``collections.abc.Sequence`` of length ``num_envs`` is what Gymnasium's vector rendering
    wrappers expect (``RecordVideo(..., record_first_only=True)`` draws only the first).

    ## Arguments
    * ``num_envs``: number of sub-environments (>= 1).
    * ``layout``, ``living_reward``, ``slip``, ``rewards``, ``start``, ``random_start``,
      ``tile_size``: as :class:`~gridworld_env.env.LectureGridEnv` (validated by the same code,
      :func:`~gridworld_env.env.grid_config`).
    * ``autoreset_mode``: a ``gymnasium.vector.AutoresetMode`` (or its value, e.g. ``"SameStep"``).
    * ``max_episode_steps``: truncation horizon (int >= 1) or ``None``.
    * ``render_mode``: ``None`` or ``"rgb_array"``.
    * ``copy``: return fresh arrays (True, default) or reused buffers (False, faster, see above).
    * ``parallel``: split the envs over numba's threads (``prange``); ``None`` (default) does so
      from :data:`PARALLEL_THRESHOLD` envs when numba has :data:`PARALLEL_MIN_THREADS` or more
      threads.  One thread steps a few hundred million env-steps/s, so threads help only for
      large batches on otherwise idle cores.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4, "autoreset_mode": AutoresetMode.NEXT_STEP}
    _spec: EnvSpec | None = None

    def __init__(
        self,
        num_envs: int = 1,
        layout: LayoutLike = "lecture",
        living_reward: float = -0.04,
        slip: float = 0.0,
        render_mode: str | None = None,
        *,
        rewards: Mapping[str, float] | None = None,
        start: int | tuple[int, int] | None = None,
        random_start: bool = False,
        max_episode_steps: int | None = 100,
        tile_size: int = 96,
        copy: bool = True,
        parallel: bool | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
    ) -> None:
        self.num_envs = check_int("num_envs", num_envs, 1)
        if max_episode_steps is not None:
            max_episode_steps = check_int("max_episode_steps", max_episode_steps, 1)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.copy = check_bool("copy", copy)
        if parallel is not None:
            parallel = check_bool("parallel (None: auto)", parallel)
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}  # per instance
        cfg = grid_config(layout, living_reward, slip, rewards, start, random_start, tile_size)
        self.model: GridModel = cfg.model
        self.layout: Layout = cfg.layout
        self.random_start = cfg.random_start
        self.tile_size = cfg.tile_size
        self.max_episode_steps = max_episode_steps

        self.single_observation_space = spaces.Discrete(self.layout.n_states)
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        m = self.model
        if m.n_states >= 2**30:
            raise ValueError(f"the vector env supports fewer than 2**30 states, got {m.n_states}")
        # next state and "is absorbing" of every outcome in one int32: next_state << 1 | absorbing[next_state]
        ns = m.next_state.reshape(-1)
        self._trans = (ns << 1) | m.absorbing[ns].astype(np.int32)
        self._default_starts = (cfg.free_states if self.random_start else np.array([self.layout.start])).astype(
            np.int32
        )
        from . import _vector_kernels as kernels  # imports numba: only when a vector env is made

        if parallel is None:
            parallel = self.num_envs >= PARALLEL_THRESHOLD and kernels.max_threads() >= PARALLEL_MIN_THREADS
        self.parallel = bool(parallel)
        # steps: of each episode; ~t (< 0) once it has ended
        state, steps, rng = _staggered(self.num_envs, (np.int64, np.int64, np.uint64))
        state[:] = self.layout.start
        rng[:] = np.random.SeedSequence().generate_state(self.num_envs, np.uint64)
        self._bind(state, steps, rng)
        self._n_ended = 0  # envs left ended by the last step (DISABLED: they must be reset first)
        self._has_reset = False
        self._renderer: Any = None

    def _bind(self, state: np.ndarray, steps: np.ndarray, rng: np.ndarray) -> None:
        """Allocate the output buffers and bind the kernels and their arguments to the env state arrays."""
        from . import _vector_kernels as kernels

        n, m = self.num_envs, self.model
        self._state, self._steps, self._rng, self._obs, self._rew, self._term, self._trunc, self._final = _staggered(
            n, (np.int64, np.int64, np.uint64, np.int64, np.float64, np.bool_, np.bool_, np.int64)
        )
        self._state[:], self._steps[:], self._rng[:] = state, steps, rng
        self._shape = (n,)
        self._out = (self._obs, self._rew, self._term, self._trunc)
        self._kernel = kernels.step_parallel if self.parallel else kernels.step_serial
        self._reset_kernel = kernels.reset_envs
        self._restart_kernel = kernels.restart_ended
        max_steps = _NO_LIMIT if self.max_episode_steps is None else self.max_episode_steps
        # every kernel argument between the actions and the outputs, in order
        self._kernel_args = (
            self._state,
            self._steps,
            self._rng,
            self._trans,
            m.prob.reshape(-1),
            m.reward.reshape(-1),
            m.n_outcomes,
            self._default_starts,
            max_steps,
        )

    # ------------------------------------------------------------------- copies
    def __getstate__(self) -> dict[str, Any]:
        """The state for pickle / deepcopy / cloudpickle / dill: no kernels, buffers or window (rebuilt on load).

        Each env's state, step count and random stream go with it, so a copy steps exactly like
        the original from the same point.
        """
        state = self.__dict__.copy()
        for key in ("_state", "_steps", "_rng", "_obs", "_rew", "_term", "_trunc", "_final", "_out", "_kernel"):
            del state[key]
        for key in ("_reset_kernel", "_restart_kernel", "_kernel_args"):
            del state[key]
        state["_env_arrays"] = (self._state.copy(), self._steps.copy(), self._rng.copy())
        state["_renderer"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a copy: the state, then new buffers and kernel bindings."""
        arrays = state.pop("_env_arrays")
        self.__dict__.update(state)
        self._bind(*arrays)

    @property
    def spec(self) -> EnvSpec | None:
        """The :class:`~gymnasium.envs.registration.EnvSpec` from ``make_vec``, its kwargs JSON-stable."""
        return self._spec

    @spec.setter
    def spec(self, value: EnvSpec | None) -> None:
        self._spec = json_spec(value)

    # ------------------------------------------------------------------- API
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset all sub-environments (or those in ``options["reset_mask"]``).

        Parameters
        ----------
        seed : int, list of (int or None), or None
            ``int s``: env ``i`` gets seed ``s + i``.  A list of length ``num_envs``: one seed per
            env (``None``: fresh entropy).  ``None``: keep the current random streams.
        options : dict, optional
            ``"reset_mask"``: (num_envs,) bool array, reset only these envs (the others keep
            their state and pending autoresets; ``obs`` still holds every env's state).
            ``"start"``: start square (state index or ``(row, col)``) for this episode.

        Returns
        -------
        obs : ndarray, shape (num_envs,), int64
            The states after the reset.
        info : dict
            Empty.
        """
        n = self.num_envs
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options must be a dict or None, got {plain(options)}")
        options = {} if options is None else dict(options)
        mask = options.pop("reset_mask", None)
        start = options.pop("start", None)
        if options:
            unknown = sorted(map(plain, options))
            raise ValueError(f"unknown reset option(s) {unknown}; supported: ['reset_mask', 'start']")
        if mask is None:
            mask = np.ones(n, dtype=np.bool_)
        else:
            if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (n,):
                raise ValueError(f"options['reset_mask'] must be a bool array of shape ({n},), got {plain(mask)}")
            if not mask.any():
                raise ValueError("options['reset_mask'] must select at least one env, got all False")
            if not self._has_reset and not mask.all():
                raise ValueError("the first reset must reset every env (options['reset_mask'] all True)")
            mask = np.ascontiguousarray(mask)
        starts = self._default_starts if start is None else np.array([self.layout.with_start(start).start], np.int32)
        seeds, seeded = self._seed_arrays(seed)
        self._reset_kernel(mask, seeds, seeded, self._state, self._steps, self._rng, starts, self._obs)
        self._has_reset = True
        self._n_ended = int(np.count_nonzero(self._steps < 0)) if self._n_ended else 0
        return (self._obs.copy() if self.copy else self._obs), {}

    def _seed_arrays(self, seed: int | Sequence[int | None] | None) -> tuple[np.ndarray, np.ndarray]:
        """Per-env uint64 seeds and a mask of the envs to reseed; also seeds :attr:`np_random`."""
        n = self.num_envs
        seeds = np.zeros(n, dtype=np.uint64)
        seeded = np.zeros(n, dtype=np.bool_)
        if seed is None:
            return seeds, seeded
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            if not 0 <= seed <= _U64_MAX - (n - 1):
                raise ValueError(f"seed must be an integer in [0, 2**64 - num_envs], got {plain(seed)}")
            super().reset(seed=int(seed))  # the VectorEnv's own np_random, as Gymnasium does
            seeds[:] = np.uint64(seed) + np.arange(n, dtype=np.uint64)
            seeded[:] = True
            return seeds, seeded
        if isinstance(seed, (str, bytes)) or not isinstance(seed, (Sequence, np.ndarray)) or len(seed) != n:
            raise ValueError(f"seed must be None, an int or a list of {n} ints/None (one per env), got {plain(seed)}")
        entropy = np.random.SeedSequence().generate_state(n, np.uint64)
        for i, s in enumerate(seed):
            if s is None:
                seeds[i] = entropy[i]
            elif isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) and 0 <= s <= _U64_MAX:
                seeds[i] = s
            else:
                raise ValueError(f"seed[{i}] must be None or an integer in [0, 2**64), got {plain(s)}")
        seeded[:] = True
        return seeds, seeded

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-environment (autoresetting those whose last step ended their episode).

        Parameters
        ----------
        actions : array of int, shape (num_envs,)
            One action in 0..3 per env (0 up, 1 down, 2 left, 3 right).

        Returns
        -------
        obs : ndarray (num_envs,) int64
        rewards : ndarray (num_envs,) float64
        terminations, truncations : ndarray (num_envs,) bool
        info : dict
            Empty, except after a SAME_STEP step that ended episodes (``final_obs``, ``final_info``
            and their masks, see the class docstring).

        Raises
        ------
        InvalidActionError
            An action outside 0..3, a non-integer dtype or the wrong shape; no env is stepped.
        ResetNeeded
            Before the first reset, or (``DISABLED``) while an ended env has not been reset.
        """
        a = actions
        # fast path: exactly the array type the kernel was compiled for (int64, C-contiguous, writable)
        if type(a) is not np.ndarray or a.dtype is not _INT64 or a.shape != self._shape or not a.flags.carray:
            a = self._coerce_actions(actions)
        if not self._has_reset:
            raise ResetNeeded("call reset() before step()")
        if self._n_ended and self.autoreset_mode is AutoresetMode.DISABLED:
            ended = np.flatnonzero(self._steps < 0).tolist()
            raise ResetNeeded(
                f"envs {ended} ended their episodes and autoreset_mode is DISABLED: "
                "reset them first with reset(options={'reset_mask': mask})"
            )
        if self.copy:
            n = self.num_envs
            out = (np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.bool_), np.empty(n, np.bool_))
        else:
            out = self._out
        bad, n_ended = self._kernel(a, *self._kernel_args, *out)
        if bad >= 0:
            raise InvalidActionError(f"actions must be integers in 0..3, got actions[{bad}] = {int(a[bad])}")
        self._n_ended = n_ended
        if n_ended and self.autoreset_mode is AutoresetMode.SAME_STEP:
            self._restart_kernel(self._state, self._steps, self._rng, self._default_starts, out[0], self._final)
            self._n_ended = 0
            return (*out, self._final_info(out[2], out[3]))
        return (*out, {})

    def _final_info(self, term: np.ndarray, trunc: np.ndarray) -> dict[str, Any]:
        """SAME_STEP's info after a step that ended episodes, laid out as ``SyncVectorEnv`` lays it out."""
        done = term | trunc
        final_obs = np.empty(self.num_envs, dtype=object)  # all None; Python ints where an episode ended
        final_obs[done] = self._final[done]  # (this object array costs more than the kernel: SAME_STEP's price)
        return {"final_obs": final_obs, "_final_obs": done, "final_info": {}, "_final_info": done.copy()}

    def _coerce_actions(self, actions: Any) -> np.ndarray:
        """Actions as a C-contiguous writable int64 array of shape (num_envs,), or InvalidActionError."""
        a = np.asarray(actions)
        if a.dtype.kind not in "iu" or a.shape != (self.num_envs,):
            raise InvalidActionError(
                f"actions must be an integer array of shape ({self.num_envs},) with values in 0..3, "
                f"got {type(actions).__name__} of dtype {a.dtype} and shape {a.shape}"
            )
        if a.dtype.kind == "u" and a.size and a.max() > 3:  # would wrap to valid int64 values
            raise InvalidActionError(f"actions must be integers in 0..3, got max {plain(a.max())}")
        return np.array(a, dtype=np.int64, order="C", copy=True)

    # ----------------------------------------------------------- properties
    @property
    def states(self) -> np.ndarray:
        """(num_envs,) int64 current state of every env (a read-only view)."""
        v = self._state.view()
        v.setflags(write=False)
        return v

    @property
    def elapsed_steps(self) -> np.ndarray:
        """(num_envs,) int64 steps taken in each env's current (or just ended) episode."""
        return np.where(self._steps < 0, ~self._steps, self._steps)

    # ---------------------------------------------------------------- render
    def render(self) -> Frames | None:  # type: ignore[override]  # a lazy Sequence of frames, not a tuple
        """The frames of all sub-environments, drawn lazily (``render_mode="rgb_array"``).

        Returns
        -------
        Frames or None
            A sequence of ``num_envs`` (H, W, 3) uint8 arrays showing the states at the time of
            this call; frame ``i`` is drawn when indexed.  None (with a warning) without a render mode.
        """
        if self.render_mode is None:
            logger.warn(
                "You are calling render method without specifying any render mode. "
                'e.g. gym.make_vec("LectureGrid-v0", num_envs=4, render_mode="rgb_array")'
            )
            return None
        if self._renderer is None:
            from .render import GridRenderer

            self._renderer = GridRenderer(self.layout, tile_size=self.tile_size)
        return Frames(self._renderer, self._state.copy())

    def close_extras(self, **kwargs: Any) -> None:
        """Release the renderer."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def _autoreset_mode(mode: Any) -> AutoresetMode:
    """An :class:`~gymnasium.vector.AutoresetMode`, or its value (``"SameStep"``) or name (``"SAME_STEP"``)."""
    if isinstance(mode, AutoresetMode):
        return mode
    if isinstance(mode, str):
        for m in AutoresetMode:
            if mode in (m.value, m.name):
                return m
    names = [m.name for m in AutoresetMode]
    raise ValueError(f"autoreset_mode must be a gymnasium.vector.AutoresetMode ({', '.join(names)}), got {plain(mode)}")


class Frames(Sequence):
    """The frames of a vector env at one instant; frame ``i`` is drawn on first access.

    Parameters
    ----------
    renderer : GridRenderer
        Draws one board with an agent.
    states : ndarray (num_envs,)
        The agents' states.
    """

    def __init__(self, renderer: Any, states: np.ndarray) -> None:
        self._renderer = renderer
        self._states = states

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self._states)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise IndexError(f"frame index must be an integer in [{-n}, {n}), got {plain(i)}")
        return self._renderer.rgb_array(agent=int(self._states[i]))

    def __repr__(self) -> str:
        return f"Frames(num_envs={len(self)})"
