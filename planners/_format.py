"""Text rendering of values and policies (CLI, reprs), read duck-typed from whatever describes the grid.

A grid is recognised from (in this order): an object with ``shape``, ``wall`` and
``terminal`` (a grid model such as gridworld_env's; terminals print as their map character
when a ``layout.rows`` map is there, else ``+`` / ``-`` by the sign of ``terminal_reward``;
its four actions are the project's up, down, left, right and print as arrows);
a toy-text ``desc`` character map (FrozenLake); a ``shape`` of ``(nrow, ncol)`` with
``nrow * ncol`` states (CliffWalking).  Other envs order their actions their own way
(FrozenLake: left, down, right, up), so their policies print as action indices.  Without
a grid, states are listed one per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ARROWS = ("\u2191", "\u2193", "\u2190", "\u2192")  # up, down, left, right (the project's action order)


@dataclass(frozen=True)
class GridView:
    """What printing needs: the grid's size and, per state, a fixed label (walls, terminals) or None."""

    nrow: int
    ncol: int
    fixed: list  # (S,) str or None: None for a square that shows a value / an arrow
    rewards: list  # (S,) terminal reward (float) or None, for the values table
    arrows: tuple | None = None  # one symbol per action; None: print action indices


def grid_view(source: Any, terminal: np.ndarray) -> GridView | None:
    """The :class:`GridView` of a grid model, an env (wrapped or not) or None (no grid: list states).

    ``terminal``: the MDP's terminal mask, used where the source does not mark terminals.
    """
    S = terminal.shape[0]
    base = getattr(source, "unwrapped", source)
    for obj in (getattr(source, "grid", None), source, getattr(base, "model", None), base):
        if obj is not None and all(hasattr(obj, n) for n in ("shape", "wall", "terminal")):
            return _from_model(obj, S)
    desc = getattr(base, "desc", None)
    if desc is not None and np.asarray(desc).ndim == 2 and np.asarray(desc).size == S:
        chars = np.char.decode(np.asarray(desc)) if np.asarray(desc).dtype.kind == "S" else np.asarray(desc)
        nrow, ncol = chars.shape
        flat = [str(c) for c in chars.ravel()]
        return GridView(nrow, ncol, [flat[s] if terminal[s] else None for s in range(S)], [None] * S)
    shape = getattr(base, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and shape[0] * shape[1] == S:
        return GridView(int(shape[0]), int(shape[1]), ["T" if t else None for t in terminal.tolist()], [None] * S)
    return None


def _from_model(m: Any, S: int) -> GridView:
    nrow, ncol = (int(x) for x in m.shape)
    wall, term = np.asarray(m.wall), np.asarray(m.terminal)
    rewards = np.asarray(getattr(m, "terminal_reward", np.zeros(S)), dtype=float)
    rows = getattr(getattr(m, "layout", None), "rows", None)
    fixed: list = []
    for s in range(S):
        if wall[s]:
            fixed.append("#")
        elif term[s]:
            fixed.append(rows[s // ncol][s % ncol] if rows is not None else ("+" if rewards[s] >= 0 else "-"))
        else:
            fixed.append(None)
    rw = [float(rewards[s]) if term[s] else None for s in range(S)]
    n_actions = getattr(getattr(m, "next_state", None), "shape", (0, 0))[1:2]
    return GridView(nrow, ncol, fixed, rw, ARROWS if n_actions == (4,) else None)


def format_policy(view: GridView | None, policy: np.ndarray | None, n_states: int | None = None) -> str:
    """The policy as arrows on the grid (walls ``#``, terminals their character), or one state per line."""
    if view is None:
        n = n_states if policy is None else len(policy)
        return "\n".join(f"{s}: {'?' if policy is None else int(policy[s])}" for s in range(n or 0))
    cells = []
    for s, fix in enumerate(view.fixed):
        a = None if policy is None else int(policy[s])
        symbol = "?" if a is None else (view.arrows[a] if view.arrows is not None else str(a))
        cells.append(fix if fix is not None else symbol)
    return "\n".join(" ".join(cells[r * view.ncol : (r + 1) * view.ncol]) for r in range(view.nrow))


def format_values(view: GridView | None, values: np.ndarray, digits: int = 3) -> str:
    """The values as a right-aligned table on the grid (walls ``#``, terminals their reward), or listed."""
    if view is None:
        return "\n".join(f"{s}: {v:.{digits}f}" for s, v in enumerate(values.tolist()))
    cells = []
    for s, fix in enumerate(view.fixed):
        if fix is None:
            cells.append(f"{values[s]:.{digits}f}")
        elif view.rewards[s] is not None:
            cells.append(f"[{view.rewards[s]:+g}]")
        else:
            cells.append(fix)
    width = max(len(x) for x in cells)
    rows = [cells[r * view.ncol : (r + 1) * view.ncol] for r in range(view.nrow)]
    return "\n".join(" ".join(x.rjust(width) for x in row) for row in rows)
