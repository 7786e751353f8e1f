r"""Grid planning at scale: stencil kernels on the layout's masks instead of transition arrays.

A gridworld with the standard dynamics (``gridworld_env.model``: the intended move with
probability ``1 - slip``, each perpendicular move with ``slip / 2``, bumping into a wall or the
edge keeps the agent in place, entering a square pays its terminal reward if it is a terminal
and the living reward otherwise, terminals and walls absorbing with value 0) is fully described
by its wall and terminal masks, the terminal rewards, the living reward and the slip.
:class:`GridMDP` holds exactly that, and its sweeps compute each cell's neighbours from the
layout (a stencil): 17 bytes a cell per sweep (values in and out, one code byte) instead of
the 193 of the general ``(S, 4, K)`` arrays, and nothing of size ``S x A x K`` is ever built.

The Bellman operator is the general one (:mod:`planners.solvers`),

.. math::  (T V)(s) = \max_a \sum_k p_k \,(r_k + \gamma V(s'_k)),

computed with the general kernels' arithmetic (or, on cells with one reward for all actions,
the same numbers in fewer operations: the maxima taken before the monotone rounding steps they
pass through, see :mod:`planners._grid_kernels`), so one stencil sweep gives the same values,
bit for bit, as :func:`planners._kernels.bellman_sweep` on the arrays of the same grid (Jacobi,
and in place in row-major order forward or backward), for finite values.

Solvers (:func:`solve_grid`), all stopping on the value-iteration rule: the last step is a
Jacobi Bellman step ``V' = T V`` with ``||V' - V||_inf < tol``, and ``V'`` is returned, so
for ``gamma < 1``

.. math:: ||V' - V^*||_\infty \le \frac{\gamma}{1-\gamma}\,\mathrm{tol}

(``T`` is a ``gamma``-contraction; Puterman 1994, Thm 6.3.1), whatever produced ``V``:

* ``"jacobi"`` / ``"gauss-seidel"``: value iteration with stencil sweeps (the same iterates
  as :func:`planners.value_iteration` with that method; Gauss-Seidel's stopping step is its
  own in-place sweep, as there);
* ``"policy-iteration"``: policy iteration whose evaluation is *line* Gauss-Seidel: each row
  (then column) of the grid is solved exactly for the current policy with the rest held fixed
  (a tridiagonal system, diagonally dominant by ``1 - gamma``: Thomas algorithm), sweeping
  rows down and up and columns left and right in turn.  A slippery move spreads value
  sideways along a line, which point sweeps carry one cell per sweep and a line solve carries
  in one; improvement is a Jacobi Bellman step, which is also the stopping test;
* ``"auto"``: deterministic grids (``slip == 0``): label correcting from the terminals outward
  (exact path returns, ``O(S)`` on a grid), verified by one Bellman step; slippery grids:
  ``"policy-iteration"`` for ``gamma < 1`` (``"jacobi"`` when more than 45% of the squares
  are walls: mazes, see :data:`AUTO_MAX_WALL_FRACTION`), ``"gauss-seidel"`` for
  ``gamma == 1`` (where the line systems may be singular).

>>> import numpy as np
>>> wall = np.array([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)
>>> term = np.array([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)
>>> rew = np.array([[0, 0, 0, 1.0], [0, 0, 0, -1.0], [0, 0, 0, 0]])
>>> g = GridMDP(wall, term, rew, living_reward=-0.04, slip=0.2)
>>> res = solve_grid(g, gamma=1.0, tol=1e-10)
>>> print((res.values - 0.04).reshape(3, 4)[[0, 2], :3].round(3))   # AIMA Fig. 17.3's utilities
[[0.812 0.868 0.918]
 [0.705 0.655 0.611]]
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np

from ._checks import check_gamma, check_real, check_tol, check_values
from ._results import TIE_RTOL, LazyModule, PlanResult, vi_error
from ._threads import check_threads, numba_threads

__all__ = ["GridMDP", "grid_description", "solve_grid"]

_METHODS = ("auto", "jacobi", "gauss-seidel", "policy-iteration")
#: Jacobi stencil sweeps run on numba's threads from this many cells on (when more than one thread)
PARALLEL_MIN_CELLS = 1_000_000
_PARALLEL_ROWS = 16
#: Jacobi sweeps take the select-free rows (:func:`planners._grid_kernels._jacobi_row_plain`) when at most
#: this fraction of the squares bump, are walls or terminals, or neighbour a terminal (large open grids);
#: above it each row's branch-free selects cost less than redoing those cells one by one (500 x 500 with
#: random walls, AVX2: select-free / select 0.68-0.71 at 0.8% such squares, 0.85-0.90 at 3.3%, 1.04-1.12
#: at 5.6%, 1.4-1.7 at 10%)
PLAIN_MAX_IRREGULAR = 0.04


@functools.cache
def jacobi_prefetch_default() -> bool:
    """Whether Jacobi stencil sweeps prefetch the next rows by default: on CPUs with AVX-512 only.

    Measured, 1000 x 1000 open grid, each sweep right after a STREAM triad (caches flushed): on an
    AMD Zen 5 with AVX-512 the hardware prefetchers did not keep up with the row below (1.7 ms a
    sweep without the prefetches, 0.7-0.8 ms with); on an AMD Zen 3 with AVX2 the prefetches
    cost time (select-free rows 1.00-1.12 ms without, 1.15-1.35 ms with; select rows 1.26 against
    1.60 ms; a 1001 x 1001 maze 1.32 against 1.55-1.58 ms).  The instruction set stands for the two
    machines measured, not for a cause; :attr:`GridMDP.prefetch` overrides it per grid.
    """
    import llvmlite.binding as llvm  # numba's own dependency

    return bool(llvm.get_host_cpu_features().get("avx512f", False))


GK = LazyModule("planners._grid_kernels")  # the stencil kernels, loaded on first use


def _mask(x: Any, name: str, shape: tuple[int, int] | None) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype != np.bool_:
        raise ValueError(f"{name} must be a boolean mask, got dtype {arr.dtype}")
    return _shaped(arr, name, shape)


def _shaped(arr: np.ndarray, name: str, shape: tuple[int, int] | None) -> np.ndarray:
    if arr.ndim == 2 and (shape is None or arr.shape == shape):
        return arr
    if arr.ndim == 1 and shape is not None and arr.shape[0] == shape[0] * shape[1]:
        return arr.reshape(shape)
    want = "(nrow, ncol)" if shape is None else f"{shape} or ({shape[0] * shape[1]},)"
    raise ValueError(f"{name} must have shape {want}, got {arr.shape}")


class GridMDP:
    """A gridworld with the standard dynamics, as masks: the grid backend's model.

    Parameters
    ----------
    wall, terminal : array_like of bool, shape (nrow, ncol), or (S,) with ``shape`` given
        Wall squares and terminal squares (disjoint).
    terminal_reward : float or array_like of float, same shape
        The reward for entering each terminal square (ignored elsewhere); a number: the same for all.
    living_reward : float
        The reward of every other step (bumps included).
    slip : float in [0, 1]
        Probability of moving to one of the two perpendicular directions instead (half each).
    shape : (nrow, ncol), optional
        Needed when the masks are flat.

    Attributes
    ----------
    shape, n_states, living_reward, slip
        As given; ``n_states = nrow * ncol``, state ``row * ncol + col``.
    wall, terminal : ndarray (S,) bool
    terminal_reward : ndarray (S,) float64 (built on access; the terminals' rewards are kept sparse)
    plain_rows : bool
        Whether Jacobi sweeps run select-free rows (few irregular squares; :data:`PLAIN_MAX_IRREGULAR`).
    prefetch : bool
        Whether Jacobi sweeps of large grids prefetch the next rows (:func:`jacobi_prefetch_default`;
        settable: a hint to the CPU, the same values either way).
    """

    def __init__(
        self,
        wall: Any,
        terminal: Any,
        terminal_reward: Any,
        living_reward: float = -0.04,
        slip: float = 0.0,
        shape: tuple[int, int] | None = None,
    ) -> None:
        if shape is not None:
            shape = (int(shape[0]), int(shape[1]))
        w = _mask(wall, "wall", shape)
        t = _mask(terminal, "terminal", shape if shape is not None else w.shape)
        if t.shape != w.shape:
            raise ValueError(f"terminal must have the shape of wall {w.shape}, got {t.shape}")
        tr = np.asarray(terminal_reward)
        if tr.dtype.kind not in "fiu":
            raise ValueError(f"terminal_reward must hold real numbers, got dtype {tr.dtype}")
        if tr.ndim == 0:  # one reward for every terminal (no S-sized array needed)
            tr = np.broadcast_to(tr, w.shape)
        tr = _shaped(tr, "terminal_reward", w.shape)
        term_val = tr[t].astype(np.float64)  # the terminals' rewards, row-major (no dense copy kept)
        if not np.isfinite(term_val).all():
            raise ValueError(f"terminal rewards must be finite, got {term_val[~np.isfinite(term_val)][:3].tolist()}")
        if (w & t).any():
            r, c = np.argwhere(w & t)[0]
            raise ValueError(f"square ({int(r)}, {int(c)}) is both a wall and a terminal")
        self.living_reward = check_real(living_reward, "living_reward")
        if not math.isfinite(self.living_reward):
            raise ValueError(f"living_reward must be finite, got {living_reward!r}")
        self.slip = check_real(slip, "slip")
        if not 0.0 <= self.slip <= 1.0:
            raise ValueError(f"slip must be in [0, 1], got {slip!r}")
        self.shape: tuple[int, int] = (int(w.shape[0]), int(w.shape[1]))
        self.n_states = self.shape[0] * self.shape[1]
        self.wall = _ro(w.reshape(-1))
        self.terminal = _ro(t.reshape(-1))
        self._term_idx = np.flatnonzero(self.terminal)
        self._term_val = _ro(term_val)
        self._build()

    @classmethod
    def from_layout(cls, layout: Any, living_reward: float = -0.04, slip: float = 0.0) -> GridMDP:
        """From anything with ``shape``, ``wall``, ``terminal`` and ``terminal_reward`` (a Layout)."""
        return cls(layout.wall, layout.terminal, layout.terminal_reward, living_reward, slip, shape=layout.shape)

    @property
    def prefetch(self) -> bool:
        """Whether Jacobi sweeps of large grids prefetch the next rows (default
        :func:`jacobi_prefetch_default`); a hint to the CPU: the same values either way."""
        return self._prefetch

    @prefetch.setter
    def prefetch(self, on: bool) -> None:
        if not isinstance(on, (bool, np.bool_)):
            raise ValueError(f"prefetch must be True or False, got {on!r}")
        self._prefetch = bool(on)

    @property
    def terminal_reward(self) -> np.ndarray:
        """``(S,)`` float64: the reward for entering each terminal square (0 elsewhere)."""
        out = np.zeros(self.n_states)
        out[self._term_idx] = self._term_val
        return out

    def __repr__(self) -> str:
        return f"GridMDP(shape={self.shape}, living_reward={self.living_reward}, slip={self.slip})"

    # ------------------------------------------------------------------ padded form
    def _build(self) -> None:
        nrow, ncol = self.shape
        H, W = nrow + 2, ncol + 2
        self.W = W
        wallp = np.ones((H, W), dtype=bool)
        wallp[1:-1, 1:-1] = self.wall.reshape(nrow, ncol)
        termp = np.zeros((H, W), dtype=bool)
        termp[1:-1, 1:-1] = self.terminal.reshape(nrow, ncol)
        code = np.zeros((H, W), dtype=np.uint8)
        inner = (slice(1, -1), slice(1, -1))
        code[inner] |= wallp[:-2, 1:-1].view(np.uint8)  # up blocked
        code[inner] |= wallp[2:, 1:-1].view(np.uint8) << 1  # down
        code[inner] |= wallp[1:-1, :-2].view(np.uint8) << 2  # left
        code[inner] |= wallp[1:-1, 2:].view(np.uint8) << 3  # right
        absorbing = wallp | termp
        code |= absorbing.view(np.uint8) << 4
        self.slippery = self.slip > 0.0
        self.p0 = 1.0 - self.slip if self.slippery else 1.0
        self.p1 = self.slip / 2 if self.slippery else 0.0
        self.R = float(self._expected_reward(np.zeros(1, dtype=np.int64), termp.reshape(-1), plain=True)[0, 0])
        if self.R == 0.0 and math.copysign(1.0, self.R) < 0.0:
            # R = -0.0 (living_reward -0.0, slip 0): the kernels' shortcut for common cells keeps the general
            # kernel's bits only for R != -0.0 (the sign of a zero value could differ), so every live cell
            # takes the general arithmetic, as a special cell
            special = ~absorbing
        else:
            special = np.zeros((H, W), dtype=bool)
            special[1:-1, 1:-1] = termp[:-2, 1:-1] | termp[2:, 1:-1] | termp[1:-1, :-2] | termp[1:-1, 2:]
            special &= ~absorbing
        del wallp
        code |= special.view(np.uint8) << 5
        self.code = _ro(code.reshape(-1))
        self.sp_idx = _ro(np.flatnonzero(special.reshape(-1)).astype(np.int64))
        del special
        self.sp_rsa = _ro(self._expected_reward(self.sp_idx, termp.reshape(-1)))
        self._choose_rows()
        self.prefetch = jacobi_prefetch_default()

    def _choose_rows(self, plain: bool | None = None) -> None:
        """Set ``fx_idx``, the real cells that bump or are absorbing and are not special (sorted
        padded positions), and ``plain_rows``, whether Jacobi sweeps take the select-free rows: by
        default when those cells and the special ones are few (:data:`PLAIN_MAX_IRREGULAR`),
        else (or with ``plain=False``) ``fx_idx`` is empty.  Both kinds of rows give the same bits."""
        H, W = self.shape[0] + 2, self.W
        flagged = self.code & 31  # a temporary of one byte a cell, as the masks above; no S-sized int array
        if plain is None:
            n_flagged = int(np.count_nonzero(flagged)) - 2 * (H + W - 2)  # the padding ring is flagged absorbing
            plain = n_flagged + self.sp_idx.shape[0] <= PLAIN_MAX_IRREGULAR * self.n_states
        self.plain_rows = bool(plain)
        pos = np.flatnonzero(flagged) if self.plain_rows else np.zeros(0, dtype=np.int64)
        row, col = np.divmod(pos, W)
        pos = pos[(row > 0) & (row < H - 1) & (col > 0) & (col < W - 1) & ((self.code[pos] & 32) == 0)]
        self.fx_idx = _ro(pos.astype(np.int64))

    def _expected_reward(self, cells: np.ndarray, termp: np.ndarray, plain: bool = False) -> np.ndarray:
        """``(len(cells), 4)`` expected rewards, summed as :attr:`TabularMDP.expected_reward` sums them."""
        W = self.W
        off = np.array([-W, W, -1, 1])
        K = 3 if self.slippery else 1
        dirs = np.array([[0, 2, 3], [1, 2, 3], [2, 0, 1], [3, 0, 1]])[:, :K]  # outcome directions (4, K)
        n = cells.shape[0]
        if plain:
            rw = np.full((n, 4, K), self.living_reward)
        else:
            blocked = (self.code[cells][:, None, None] >> dirs[None]) & 1
            tgt = np.where(blocked == 1, cells[:, None, None], cells[:, None, None] + off[dirs][None])
            real = (tgt // W - 1) * self.shape[1] + tgt % W - 1  # padded -> state index
            pos = np.minimum(np.searchsorted(self._term_idx, real), max(self._term_idx.shape[0] - 1, 0))
            trw = self._term_val[pos] if self._term_val.size else np.zeros(real.shape)
            rw = np.where(termp[tgt], trw, self.living_reward)
        pr = np.empty((n, 4, K))
        pr[...] = (self.p0, self.p1, self.p1)[:K]
        if K == 1:
            return np.ascontiguousarray(pr[:, :, 0] * rw[:, :, 0])
        return np.ascontiguousarray(np.einsum("sak,sak->sa", pr, rw))

    def pad(self, v: Any) -> np.ndarray:
        """Values ``(S,)`` as a padded array (0 on the padding and on walls and terminals)."""
        nrow, ncol = self.shape
        arr = np.asarray(v, dtype=np.float64)
        if arr.shape != (self.n_states,):
            raise ValueError(f"values must have shape ({self.n_states},), got {arr.shape}")
        if not np.isfinite(arr).all():  # the kernels' equality with the general ones holds for finite values
            raise ValueError(f"values must be finite, got {arr[~np.isfinite(arr)][:3].tolist()}")
        grid = np.zeros((nrow + 2, self.W))
        grid[1:-1, 1:-1] = arr.reshape(nrow, ncol)
        out: np.ndarray = grid.reshape(-1)
        out[(self.code & 16) != 0] = 0.0
        return out

    def unpad(self, vp: np.ndarray) -> np.ndarray:
        """The ``(S,)`` values of a padded array (a contiguous copy)."""
        nrow = self.shape[0]
        return np.ascontiguousarray(vp.reshape(nrow + 2, self.W)[1:-1, 1:-1]).reshape(-1)

    def _args(self) -> tuple[Any, ...]:
        return self.code, self.W, self.R, self.sp_idx, self.sp_rsa, self.p0, self.p1

    def sweep_padded(self, gamma: float, v_in: np.ndarray, v_out: np.ndarray, threads: int = 1) -> float:
        """One Jacobi Bellman sweep ``v_out = T v_in`` on padded arrays; returns ``max |change|``."""
        if threads > 1:
            with numba_threads(threads):
                return float(
                    GK.jacobi_sweep_parallel(
                        *self._args(),
                        gamma,
                        self.slippery,
                        v_in,
                        v_out,
                        self.fx_idx,
                        self.plain_rows,
                        _PARALLEL_ROWS,
                        self.prefetch,
                    )
                )
        if self.plain_rows:
            return float(
                GK.jacobi_sweep_plain(*self._args(), gamma, self.slippery, v_in, v_out, self.fx_idx, self.prefetch)
            )
        return float(GK.jacobi_sweep(*self._args(), gamma, self.slippery, v_in, v_out, self.prefetch))

    def bellman_sweep(self, values: Any, gamma: float, method: str = "jacobi") -> tuple[np.ndarray, float]:
        """One Bellman sweep of ``values`` (S,): ``"jacobi"``, ``"gauss-seidel"`` (in place, row-major),
        or ``"gauss-seidel-backward"`` (in place, reversed); returns ``(new values, max |change|)``.

        The same values, bit for bit, as the general kernel's sweep of the same grid in the same order.
        """
        gamma = check_gamma(gamma)
        vp = self.pad(values)
        if method == "jacobi":
            out = np.zeros_like(vp)
            res = self.sweep_padded(gamma, vp, out)
        elif method in ("gauss-seidel", "gauss-seidel-backward"):
            res = float(GK.gs_sweep(*self._args(), gamma, self.slippery, vp, method.endswith("backward")))
            out = vp
        else:
            raise ValueError(f"method must be 'jacobi', 'gauss-seidel' or 'gauss-seidel-backward', got {method!r}")
        return self.unpad(out), res


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


_MODEL_FIELDS = ("shape", "wall", "terminal", "terminal_reward", "living_reward", "slip")


def grid_description(obj: Any) -> GridMDP | None:
    """The :class:`GridMDP` of ``obj`` when it is a grid with the standard dynamics, else None.

    Understood: a :class:`GridMDP`; a model with ``shape``, ``wall``, ``terminal``,
    ``terminal_reward``, ``living_reward`` and ``slip`` (gridworld_env's ``GridModel``); an env
    (wrapped or not) whose unwrapped env has such a ``model``.  Anything else (a
    :class:`~planners.TabularMDP` included: its arrays need not follow the standard dynamics) is None.
    """
    if isinstance(obj, GridMDP):
        return obj
    model = obj
    if not all(hasattr(model, f) for f in _MODEL_FIELDS):
        model = getattr(getattr(obj, "unwrapped", obj), "model", None)
        if model is None or not all(hasattr(model, f) for f in _MODEL_FIELDS):
            return None
    return GridMDP(model.wall, model.terminal, model.terminal_reward, model.living_reward, model.slip, model.shape)


# ---------------------------------------------------------------------------------- solvers
def _max_iter(grid: GridMDP, gamma: float, tol: float, v0: np.ndarray | None) -> int:
    """Sweeps after which a ``gamma``-contraction is below ``tol`` (10 000 when ``gamma == 1``), as
    :func:`planners.value_iteration`'s default: the first change is at most ``2 max |r|`` plus
    ``(1 + gamma) max |v0|``."""
    if gamma >= 1.0:
        return 10_000
    rmax = 2.0 * max(abs(grid.living_reward), float(np.abs(grid._term_val).max(initial=0.0)))
    if v0 is not None and v0.size:
        rmax += (1.0 + gamma) * float(np.abs(v0).max())
    if rmax <= tol or gamma == 0.0:
        return 10
    return int(math.ceil(math.log(tol / rmax) / math.log(gamma))) + 10


def _lower_bound(grid: GridMDP, gamma: float) -> float:
    """``min(0, min r) / (1 - gamma)``: a value every live cell is worth at least (``gamma < 1``)."""
    rmin = min(0.0, grid.R, float(grid.sp_rsa.min(initial=0.0)))
    return rmin / (1.0 - gamma)


class _Run:
    """The state of one solve: padded values, residual history, sweep counters."""

    def __init__(self, grid: GridMDP, gamma: float, tol: float, max_iter: int, threads: int) -> None:
        self.grid, self.gamma, self.tol, self.max_iter, self.threads = grid, gamma, tol, max_iter, threads
        self.residuals: list[float] = []
        self.inner = 0  # line sweeps of policy iteration's evaluation

    def bellman(self, v: np.ndarray, w: np.ndarray) -> float:
        """One Jacobi Bellman step ``w = T v``, its change recorded."""
        res = self.grid.sweep_padded(self.gamma, v, w, self.threads)
        self.residuals.append(res)
        return res

    @property
    def done(self) -> bool:
        """Whether the last Bellman step changed the values by less than ``tol``."""
        return bool(self.residuals) and self.residuals[-1] < self.tol


def _jacobi(run: _Run, v: np.ndarray) -> np.ndarray:
    w = np.zeros_like(v)
    while len(run.residuals) < run.max_iter and not run.done:
        run.bellman(v, w)
        v, w = w, v
    return v


def _gauss_seidel(run: _Run, v: np.ndarray) -> np.ndarray:
    g = run.grid
    while len(run.residuals) < run.max_iter and not run.done:
        run.residuals.append(float(GK.gs_sweep(*g._args(), run.gamma, g.slippery, v, False)))
    return v


def _label_correcting(run: _Run, v: np.ndarray, pol: np.ndarray) -> bool:
    """Intended-move values from the terminals outward into ``v`` (``-inf`` where no terminal is
    reached), their policy into ``pol``; exact on a deterministic grid.  Returns ``finished``."""
    g = run.grid
    n = g.code.shape[0]
    queue = np.empty(n, dtype=np.int32)
    return bool(GK.label_correcting(*g._args()[:5], run.gamma, g.p0, v, pol, queue, 16 * n + 1024))


def _deterministic(run: _Run, v: np.ndarray) -> np.ndarray:
    """Label correcting, then one Bellman step to verify (``slip == 0``); sweeps on if it does not."""
    _label_correcting(run, v, np.empty(v.shape[0], dtype=np.uint8))
    reached = np.isfinite(v)
    if not reached.all():
        v[~reached] = _lower_bound(run.grid, run.gamma) if run.gamma < 1.0 else 0.0
    w = np.zeros_like(v)
    run.bellman(v, w)
    if run.done or run.gamma >= 1.0:
        return w if run.done else _gauss_seidel(run, w)
    return _policy_iteration(run, w)


#: policy iteration: line sweeps per evaluation (one of each direction), and the evaluation's
#: stopping change relative to the Bellman step's (measured on open and maze grids, 300 and 1000 wide)
EVAL_SWEEPS = 4
EVAL_RATIO = 0.1


def _evaluate(run: _Run, pol: np.ndarray, v: np.ndarray, eta: float, scratch: tuple[np.ndarray, np.ndarray]) -> None:
    """Line Gauss-Seidel sweeps of ``pol``'s values, in place: rows down, rows up, columns
    right, columns left, in turn (continuing the cycle of the previous evaluation), at most
    :data:`EVAL_SWEEPS`, fewer if one changes ``v`` by less than ``eta``."""
    g = run.grid
    args = (*g._args(), run.gamma, pol, v)
    for _ in range(EVAL_SWEEPS):
        columns, backward = divmod(run.inner % 4, 2)  # the cycle goes on across evaluations
        run.inner += 1
        if GK.line_sweep(*args, bool(columns), bool(backward), *scratch) < eta:
            return


def _policy_iteration(run: _Run, v: np.ndarray, pol: np.ndarray | None = None) -> np.ndarray:
    """Greedy step (``w = T v``, the stopping test), then the evaluation of its policy (:func:`_evaluate`).

    Modified policy iteration (Puterman 1994, Sec. 6.5) with line Gauss-Seidel sweeps as the
    partial evaluation.  From a ``v`` with ``T v >= v`` (the lower
    bound; every later iterate keeps it, ``T`` and the sweeps being monotone) the values rise
    monotonically to ``V*``.  ``pol``, when given, is evaluated first.
    """
    g = run.grid
    n = max(g.shape) + 2
    work = (np.empty(n), np.empty(n))
    if pol is not None:
        _evaluate(run, pol, v, 0.0, work)
    else:
        pol = np.zeros(g.code.shape[0], dtype=np.uint8)
    w = np.zeros_like(v)
    while len(run.residuals) < run.max_iter:
        res = float(GK.greedy_sweep(*g._args(), run.gamma, g.slippery, v, w, pol))
        run.residuals.append(res)
        v, w = w, v
        if res < run.tol:
            break
        _evaluate(run, pol, v, max(0.01 * run.tol, EVAL_RATIO * res), work)
    return v


def _outward_policy_iteration(run: _Run, v: np.ndarray) -> np.ndarray:
    """Policy iteration from the lower bound and the policy of the label-correcting pass over the
    most likely outcomes (terminals outward: a policy that heads for the terminals)."""
    g = run.grid
    pol = np.empty(g.code.shape[0], dtype=np.uint8)
    _label_correcting(run, v, pol)
    v.fill(_lower_bound(g, run.gamma))  # in place: no second S-sized array
    v[(g.code & 16) != 0] = 0.0
    return _policy_iteration(run, v, pol)


def _start(run: _Run, v0: Any) -> np.ndarray:
    g = run.grid
    if v0 is not None:
        return g.pad(np.asarray(v0, dtype=np.float64))
    return np.zeros(g.code.shape[0])


#: "auto" on slippery grids with more walls than this (perfect mazes: about half) runs Jacobi sweeps: a line
#: solve there spans a short stretch of corridor and policy iteration needs hundreds of steps
#: (maze:301x301, gamma 0.99: Jacobi 1514 sweeps in 0.24 s, policy iteration 290 steps in 1.3 s)
AUTO_MAX_WALL_FRACTION = 0.45


def _auto_method(g: GridMDP, gamma: float, own_start: bool) -> str:
    if not g.slippery and own_start:
        return "deterministic"
    if gamma >= 1.0:
        return "gauss-seidel"
    return "jacobi" if g.wall.mean() > AUTO_MAX_WALL_FRACTION else "policy-iteration"


def solve_grid(
    grid: Any,
    gamma: float,
    tol: float = 1e-8,
    max_iter: int | None = None,
    method: str = "auto",
    v0: Any = None,
    threads: int = 1,
    return_q: bool = True,
    info: dict | None = None,
) -> PlanResult:
    """Solve a grid with the standard dynamics with stencil kernels (see the module docstring).

    Parameters
    ----------
    grid : GridMDP, or anything :func:`grid_description` understands (a GridModel, an env)
    gamma : float in [0, 1]
    tol : float
        Stop at the first Bellman step whose sup-norm change is below ``tol``; for
        ``gamma < 1`` the values are then within ``tol * gamma / (1 - gamma)`` of the optimal ones.
    max_iter : int, optional
        Most Bellman steps (sweeps of value iteration, improvement steps of policy iteration);
        default as :func:`planners.value_iteration`'s.
    method : {"auto", "jacobi", "gauss-seidel", "policy-iteration"}
    v0 : array_like (S,), optional
        Initial values (default zeros; ``"auto"`` on a deterministic grid starts from its own).
    threads : int
        Numba threads for the Jacobi sweeps of large grids (``PARALLEL_MIN_CELLS`` cells on).
    return_q : bool
        Fill ``q`` (``S x 4`` float64, 32 bytes a state); False leaves it ``(0, 4)``, for grids
        whose Q-values would not fit in memory.
    info : dict, optional
        Filled with ``bellman_steps``, ``line_sweeps`` (policy iteration's evaluation
        sweeps) and ``method``.

    Returns
    -------
    PlanResult
        ``iterations`` Bellman steps, ``residuals`` their changes, ``method`` ``"grid:<method>"``.
    """
    t0 = time.perf_counter()
    g = grid_description(grid)
    if g is None:
        raise ValueError(f"solve_grid needs a GridMDP, a grid model or a grid env, got {type(grid).__name__}")
    gamma = check_gamma(gamma)
    tol = check_tol(tol)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "policy-iteration" and gamma >= 1.0:
        raise ValueError("method='policy-iteration' needs gamma < 1 (its line systems may be singular at gamma=1)")
    threads = check_threads(threads)
    v0a = None if v0 is None else check_values(v0, g.n_states)  # finite, shape (S,)
    if max_iter is None:
        max_iter = _max_iter(g, gamma, tol, v0a)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    run = _Run(g, gamma, tol, int(max_iter), int(threads) if g.code.shape[0] >= PARALLEL_MIN_CELLS else 1)
    v = _start(run, v0a)
    if method == "auto":
        method = _auto_method(g, gamma, v0 is None)
    solver = {
        "jacobi": _jacobi,
        "gauss-seidel": _gauss_seidel,
        "policy-iteration": _outward_policy_iteration if v0 is None else _policy_iteration,
        "deterministic": _deterministic,
    }[method]
    v = solver(run, v)
    if info is not None:
        info.update(bellman_steps=len(run.residuals), line_sweeps=run.inner, method=method)
    return _grid_result(run, v, t0, f"grid:{method}", return_q)


def _grid_result(run: _Run, vp: np.ndarray, t0: float, method: str, return_q: bool) -> PlanResult:
    import warnings

    from .solvers import ConvergenceWarning

    g = run.grid
    if not run.done:
        warnings.warn(
            f"solve_grid({method}) stopped after {len(run.residuals)} Bellman steps with change "
            f"{run.residuals[-1]:.3g} > tol={run.tol:g}: raise max_iter",
            ConvergenceWarning,
            stacklevel=3,
        )
    S = g.n_states
    q = np.empty((S if return_q else 0, 4))
    policy = np.empty(S, dtype=np.int64)
    GK.q_policy(*g._args(), run.gamma, g.slippery, vp, q if return_q else np.empty((1, 4)), policy, TIE_RTOL, return_q)
    values = g.unpad(vp)
    return PlanResult(
        values=values,
        policy=policy,
        q=q,
        iterations=len(run.residuals),
        converged=run.done,
        residuals=np.asarray(run.residuals),
        wall_time=time.perf_counter() - t0,
        method=method,
        gamma=run.gamma,
        value_error=vi_error(run.gamma, np.asarray(run.residuals)),
    )
