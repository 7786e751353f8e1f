"""Gridworld layouts: ASCII maps, their validation, named layouts and generators.

A layout is a rectangular ASCII map, one character per square, row 0 at the top:

====  =====================================================
char  meaning
====  =====================================================
``S`` the start square (exactly one, unless a start is given)
``.`` an empty square
``#`` a wall (never entered; moving into it keeps the agent in place)
``+`` a terminal square with reward +1
``-`` a terminal square with reward -1
other a terminal square whose reward is given in ``rewards``
====  =====================================================

The state index of the square at ``(row, col)`` is ``row * ncol + col``.

>>> lay = get_layout("lecture")
>>> lay.rows
('...+', '.#.-', 'S...')
>>> lay.nrow, lay.ncol, lay.start, lay.position(lay.start)
(3, 4, 8, (2, 0))
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ._checks import check_float, check_int, plain

__all__ = [
    "BASE_REWARDS",
    "LAYOUTS",
    "Layout",
    "LayoutError",
    "LayoutLike",
    "get_layout",
    "layout_names",
    "open_grid",
    "parse_layout",
    "random_maze",
    "register_layout",
]

START, EMPTY, WALL = "S", ".", "#"
#: Terminal characters every map understands, and their rewards.
BASE_REWARDS: Mapping[str, float] = {"+": 1.0, "-": -1.0}
_RESERVED = {START, EMPTY, WALL}


class LayoutError(ValueError):
    """A layout (ASCII map, name or generator argument) is invalid."""


@dataclass(frozen=True, eq=False)
class Layout:
    """A validated gridworld layout.

    Build one with :func:`parse_layout` (ASCII map), :func:`get_layout` (by name),
    :func:`open_grid` or :func:`random_maze`; the constructor trusts its arguments.

    Attributes
    ----------
    rows : tuple of str
        The map, one string per row (row 0 at the top).
    rewards : dict
        Terminal character -> reward, for every terminal character in the map.
    start : int
        State index ``row * ncol + col`` of the start square.
    name : str
        A short name (``"lecture"``, ``"open:10x10"``, ``"custom"``...).
    """

    rows: tuple[str, ...]
    rewards: Mapping[str, float]
    start: int
    name: str = "custom"
    _grid: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ncol = len(self.rows[0])
        grid = np.array(self.rows, dtype=f"<U{ncol}").view("<U1").reshape(len(self.rows), ncol)
        grid.setflags(write=False)
        object.__setattr__(self, "_grid", grid)

    # -- shape -------------------------------------------------------------
    @property
    def nrow(self) -> int:
        """Number of rows."""
        return len(self.rows)

    @property
    def ncol(self) -> int:
        """Number of columns."""
        return len(self.rows[0])

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrow, ncol)``."""
        return self.nrow, self.ncol

    @property
    def n_states(self) -> int:
        """Number of states, ``nrow * ncol`` (walls included, never visited)."""
        return self.nrow * self.ncol

    @property
    def grid(self) -> np.ndarray:
        """Read-only ``(nrow, ncol)`` array of map characters."""
        return self._grid

    # -- masks (flat, length n_states) ----------------------------------------
    @cached_property
    def wall(self) -> np.ndarray:
        """Boolean mask ``(n_states,)`` of wall squares."""
        return _frozen((self._grid == WALL).ravel())

    @cached_property
    def terminal(self) -> np.ndarray:
        """Boolean mask ``(n_states,)`` of terminal squares."""
        flat = self._grid.ravel()
        return _frozen(np.isin(flat, np.array(list(self.rewards), dtype="<U1")))

    @cached_property
    def terminal_reward(self) -> np.ndarray:
        """``(n_states,)`` float64: each terminal's reward, 0 elsewhere."""
        flat = self._grid.ravel()
        out = np.zeros(flat.shape, dtype=np.float64)
        for ch, r in self.rewards.items():
            out[flat == ch] = r
        return _frozen(out)

    @cached_property
    def free(self) -> np.ndarray:
        """Boolean mask ``(n_states,)`` of squares an episode can start on (not wall, not terminal)."""
        return _frozen(~(self.wall | self.terminal))

    # -- helpers ---------------------------------------------------------------
    def position(self, state: int) -> tuple[int, int]:
        """``(row, col)`` of a state index."""
        return divmod(int(state), self.ncol)

    def state(self, row: int, col: int) -> int:
        """State index of ``(row, col)``."""
        if not (0 <= row < self.nrow and 0 <= col < self.ncol):
            raise LayoutError(f"position ({row}, {col}) is outside the {self.nrow}x{self.ncol} grid")
        return row * self.ncol + col

    def with_start(self, start: int | tuple[int, int]) -> Layout:
        """Return a copy whose start square is ``start`` (state index or ``(row, col)``)."""
        s = _resolve_start(self, start)
        return Layout(self.rows, self.rewards, s, self.name)

    def to_dict(self) -> dict[str, Any]:
        """The layout as JSON-ready data: ``{"rows": [...], "rewards": {...}, "start": s, "name": ...}``.

        :func:`as_layout` (and so ``gym.make(layout=...)``) turns it back into an equal layout;
        this is how a layout travels in ``env.spec.kwargs``.
        """
        return {"rows": list(self.rows), "rewards": dict(self.rewards), "start": self.start, "name": self.name}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Layout:
        """The layout of :meth:`to_dict`'s output, validated as a map (:class:`LayoutError` if it is not one)."""
        if not isinstance(data, Mapping) or set(data) != {"rows", "rewards", "start", "name"}:
            raise LayoutError(f"a layout dict needs exactly the keys rows, rewards, start and name, got {plain(data)}")
        rows, start, name = data["rows"], data["start"], data["name"]
        if not isinstance(name, str):
            raise LayoutError(f"a layout's name must be a string, got {plain(name)}")
        if isinstance(rows, str) or not isinstance(rows, Sequence):
            raise LayoutError(f"a layout dict's rows must be a list of strings, got {plain(rows)}")
        has_s = any(isinstance(r, str) and START in r for r in rows)
        lay = parse_layout(rows, data["rewards"], start=None if has_s else start, name=name)
        return lay if lay.start == start else lay.with_start(start)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a copy (pickle, deepcopy) with its arrays read-only again."""
        _restore_frozen(self, state)

    def to_ascii(self) -> str:
        """The map as one multi-line string (parseable by :func:`parse_layout`)."""
        return "\n".join(self.rows)

    def __str__(self) -> str:
        return self.to_ascii()

    def __repr__(self) -> str:
        return f"Layout(name={self.name!r}, shape={self.nrow}x{self.ncol}, start={self.position(self.start)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layout):
            return NotImplemented
        return (self.rows, dict(self.rewards), self.start) == (other.rows, dict(other.rewards), other.start)

    def __hash__(self) -> int:
        return hash((self.rows, tuple(sorted(self.rewards.items())), self.start))


LayoutLike = str | Sequence[str] | Layout


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _restore_frozen(obj: object, state: dict[str, Any]) -> None:
    """``obj.__dict__.update(state)`` with every array in it read-only (copies of frozen dataclasses)."""
    for value in state.values():
        for a in value if isinstance(value, tuple) else (value,):
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
    obj.__dict__.update(state)


def _resolve_start(layout: Layout, start: int | tuple[int, int]) -> int:
    if isinstance(start, (tuple, list)) and len(start) == 2:
        r = check_int("start row", start[0], error=LayoutError)
        c = check_int("start column", start[1], error=LayoutError)
        s = layout.state(r, c)
    elif isinstance(start, (int, np.integer)) and not isinstance(start, (bool, np.bool_)):
        s = check_int("start state", start, 0, layout.n_states - 1, error=LayoutError)
    else:
        raise LayoutError(f"start must be a state index or a (row, col) pair, got {plain(start)}")
    ch = str(layout.grid.ravel()[s])
    if ch == WALL:
        raise LayoutError(f"start {layout.position(s)} is on a wall")
    if ch in layout.rewards:
        raise LayoutError(f"start {layout.position(s)} is on a terminal square {ch!r}")
    return s


def _check_rewards(rewards: Any) -> dict[str, float]:
    """``rewards`` as ``{character: finite float}``; bools and strings are not rewards."""
    if not isinstance(rewards, Mapping):
        raise LayoutError(
            f"rewards must be a dict of terminal character -> reward, e.g. {{'E': 10}}, got {plain(rewards)}"
        )
    out: dict[str, float] = {}
    for ch, r in rewards.items():
        if not isinstance(ch, str) or len(ch) != 1:
            raise LayoutError(f"reward keys must be single characters, got {plain(ch)}")
        if ch in _RESERVED:
            raise LayoutError(f"{ch!r} is reserved ('S' start, '.' empty, '#' wall) and cannot be a terminal")
        out[str(ch)] = check_float(f"the reward of {str(ch)!r}", r, error=LayoutError)
    return out


def parse_layout(
    text: str | Sequence[str],
    rewards: Mapping[str, float] | None = None,
    *,
    start: int | tuple[int, int] | None = None,
    name: str = "custom",
) -> Layout:
    """Parse and validate an ASCII map.

    Parameters
    ----------
    text : str or sequence of str
        One multi-line string (common indentation and blank first/last lines are removed)
        or one string per row.
    rewards : mapping, optional
        Extra terminal characters and their rewards, e.g. ``{"E": 10.0}``; may also override
        ``+`` and ``-``.
    start : int or (row, col), optional
        The start square; required when the map has no ``S``, and replaces the ``S`` if both.
    name : str
        Name stored on the layout.

    Raises
    ------
    LayoutError
        Ragged rows, unknown characters (with row and column), no start or several starts,
        no terminal, a start on a wall or terminal, non-finite rewards.
    """
    if isinstance(text, str):
        lines = textwrap.dedent(text).strip("\n").split("\n")
        lines = [ln.rstrip() for ln in lines]
    elif isinstance(text, Iterable):
        lines = list(text)
        for i, ln in enumerate(lines):
            if not isinstance(ln, str):
                raise LayoutError(f"row {i} must be a string, got {plain(ln)}")
        lines = [str(ln) for ln in lines]  # plain str (np.str_ rows print as np.str_('...'))
    else:
        raise LayoutError(f"a layout must be a string or a list of strings, got {type(text).__name__}")
    if not lines or not lines[0]:
        raise LayoutError("the layout is empty")
    ncol = len(lines[0])
    for i, ln in enumerate(lines):
        if len(ln) != ncol:
            raise LayoutError(f"ragged layout: row {i} has {len(ln)} columns, row 0 has {ncol} ({ln!r})")
    table = dict(BASE_REWARDS)
    table.update(_check_rewards({} if rewards is None else rewards))
    known = _RESERVED | set(table)
    starts = []
    used: set[str] = set()
    for r, ln in enumerate(lines):
        for c, ch in enumerate(ln):
            if ch not in known:
                raise LayoutError(
                    f"unknown character {ch!r} at row {r}, column {c}; known: "
                    f"{''.join(sorted(known))!r} (give other terminals a reward with rewards={{{ch!r}: ...}})"
                )
            if ch == START:
                starts.append((r, c))
            elif ch in table:
                used.add(ch)
    if not used:
        raise LayoutError("the layout has no terminal square ('+', '-' or a character given in rewards)")
    if len(starts) > 1 and start is None:
        raise LayoutError(f"the layout has {len(starts)} start squares 'S' at {starts}; exactly one is allowed")
    term_rewards = {ch: v for ch, v in table.items() if ch in used}
    rows = tuple(lines)
    if start is None:
        if not starts:
            raise LayoutError("the layout has no start square 'S' (or pass start=(row, col))")
        s = starts[0][0] * ncol + starts[0][1]
        return Layout(rows, term_rewards, s, name)
    # explicit start: the 'S' squares become plain floor.
    rows = tuple(ln.replace(START, EMPTY) for ln in rows)
    probe = Layout(rows, term_rewards, 0, name)
    return Layout(rows, term_rewards, _resolve_start(probe, start), name)


# ---------------------------------------------------------------------------
# Named layouts
# ---------------------------------------------------------------------------
#: Registered layouts: name -> (description, layout). Layouts are immutable, so one object serves every call.
LAYOUTS: dict[str, tuple[str, Layout]] = {}


def register_layout(
    name: str,
    text: str | Sequence[str],
    rewards: Mapping[str, float] | None = None,
    description: str = "",
) -> None:
    """Register an ASCII map under ``name`` for :func:`get_layout` and ``gym.make(layout=name)``.

    The map is validated now, so a bad map fails at registration.
    """
    if not isinstance(name, str) or not name or ":" in name:
        raise LayoutError(f"a layout name must be a non-empty string without ':', got {plain(name)}")
    layout = parse_layout(text, rewards, name=name)
    LAYOUTS[name] = (description, layout)


register_layout(
    "lecture",
    """
    ...+
    .#.-
    S...
    """,
    description="Russell & Norvig's 4x3 world: +1 top-right, -1 below it, a wall at (1, 1).",
)
register_layout(
    "cliff",
    """
    ............
    ............
    ............
    SCCCCCCCCCCG
    """,
    {"C": -100.0, "G": 1.0},
    description="Sutton & Barto's cliff walk as terminals: the cliff ends the episode with -100.",
)
register_layout(
    "bridge",
    """
    #-----#
    +S....E
    #-----#
    """,
    {"-": -100.0, "E": 10.0},
    description="CS188's bridge: +1 behind, +10 across a bridge lined with -100 squares.",
)
register_layout(
    "discount",
    """
    .....
    .#...
    .#+#E
    S....
    -----
    """,
    {"-": -10.0, "E": 10.0},
    description="CS188's discount grid: a near +1 and a far +10 exit above a -10 cliff.",
)
register_layout(
    "maze",
    """
    ...+
    ##.#
    .#..
    .##.
    S...
    """,
    description="CS188's maze grid: one +1 exit at the end of a winding path.",
)
register_layout(
    "four_rooms",
    """
    #############
    #.....#.....#
    #.....#.....#
    #...........#
    #.....#.....#
    #.....#.....#
    ##.####.....#
    #.....###.###
    #.....#.....#
    #.....#.....#
    #...........#
    #S....#....+#
    #############
    """,
    description="Sutton, Precup & Singh's four rooms (11x11 inside walls), start and goal in opposite rooms.",
)

register_layout(
    "dyna_maze",
    """
    .......#G
    ..#....#.
    S.#....#.
    ..#......
    .....#...
    .........
    """,
    {"G": 1.0},
    description="Sutton & Barto's Dyna maze (Example 8.1): 6x9, goal +1 at the top right; use living_reward=0.",
)

_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")


def _parse_size(spec: str, full: str) -> tuple[int, int]:
    m = _SIZE_RE.match(spec)
    if not m:
        raise LayoutError(f"layout {full!r}: size must look like NROWxNCOL (e.g. 'open:10x10'), got {spec!r}")
    return int(m.group(1)), int(m.group(2))


def layout_names() -> list[str]:
    """Names :func:`get_layout` accepts (generators shown as patterns)."""
    return sorted(LAYOUTS) + ["open:NxM", "maze:NxM[:SEED]"]


def get_layout(name: str) -> Layout:
    """Return a named layout.

    Besides the registered names (see :func:`layout_names`), two generator patterns are
    understood: ``"open:NxM"`` (:func:`open_grid`) and ``"maze:NxM"`` / ``"maze:NxM:SEED"``
    (:func:`random_maze`).
    """
    if not isinstance(name, str):
        raise LayoutError(f"a layout name must be a string, got {plain(name)}")
    if name in LAYOUTS:
        return LAYOUTS[name][1]
    kind, _, rest = name.partition(":")
    if kind == "open" and rest:
        return open_grid(*_parse_size(rest, name))
    if kind == "maze" and rest:
        size, _, seed = rest.partition(":")
        nrow, ncol = _parse_size(size, name)
        if seed and not seed.isdigit():
            raise LayoutError(f"layout {name!r}: the maze seed must be a non-negative integer, got {seed!r}")
        return random_maze(nrow, ncol, seed=int(seed) if seed else 0)
    raise LayoutError(f"unknown layout {name!r}; known layouts: {', '.join(layout_names())}")


def as_layout(layout: LayoutLike | Mapping[str, Any], rewards: Mapping[str, float] | None = None) -> Layout:
    """Turn a name, an ASCII map, a :class:`Layout` or its :meth:`Layout.to_dict` into a :class:`Layout`.

    A single-line string is a layout name when it names one (or a generator pattern such as
    ``"open:5x5"``); otherwise, when it is made of map characters (``S . # + -`` and the keys of
    ``rewards``), it is a one-row map (``"S.+"``).  A list of strings is always a map (``["S.+"]``).
    ``rewards`` only applies to maps.
    """
    if isinstance(layout, Layout):
        if rewards:
            raise LayoutError("rewards= applies to ASCII maps, not to an already built Layout")
        return layout
    if isinstance(layout, Mapping):
        if rewards:
            raise LayoutError("rewards= applies to ASCII maps, not to a layout dict (it holds its rewards)")
        return Layout.from_dict(layout)
    if isinstance(layout, str) and "\n" not in layout.strip("\n"):
        return _one_line(layout.strip("\n"), rewards)
    return parse_layout(layout, rewards)


def _one_line(text: str, rewards: Mapping[str, float] | None) -> Layout:
    """A one-line string: a layout name, else a one-row map made of map characters, else a LayoutError saying both."""
    map_chars = _RESERVED | set(BASE_REWARDS) | set(rewards if isinstance(rewards, Mapping) else ())
    is_name = text in LAYOUTS or text.partition(":")[0] in ("open", "maze")
    if not is_name and text and set(text) <= map_chars:
        return parse_layout([text], rewards)
    if rewards:
        raise LayoutError(f"rewards= applies to ASCII maps, not to the named layout {text!r}")
    try:
        return get_layout(text)
    except LayoutError as e:
        if text in LAYOUTS or is_name:
            raise
        raise LayoutError(f"{e} (a one-row map is a list: layout=[{text!r}], or a string of map characters)") from None


# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------
def _check_size(nrow: int, ncol: int, minimum: int, what: str) -> tuple[int, int]:
    nrow = check_int(f"{what}: nrow", nrow, minimum, error=LayoutError)
    ncol = check_int(f"{what}: ncol", ncol, minimum, error=LayoutError)
    if nrow * ncol < 2:
        raise LayoutError(f"{what}: a {nrow}x{ncol} grid has no room for a start and a terminal")
    return int(nrow), int(ncol)


def open_grid(nrow: int, ncol: int) -> Layout:
    """An open ``nrow x ncol`` grid: start at the top-left, a +1 exit at the bottom-right.

    Built without Python loops over squares, so a 1000 x 1000 grid takes milliseconds.
    """
    nrow, ncol = _check_size(nrow, ncol, 1, "open_grid")
    row = "." * ncol
    rows = [row] * nrow
    rows[-1] = rows[-1][:-1] + "+"
    return Layout(tuple(rows), {"+": 1.0}, 0, f"open:{nrow}x{ncol}")


def random_maze(nrow: int, ncol: int, seed: int | np.random.Generator | None = 0) -> Layout:
    """A random perfect maze (one path between any two cells), start top-left, +1 bottom-right.

    Cells sit at odd ``(row, col)`` inside a wall border; the maze is carved by a randomised
    depth-first search seeded by ``seed``, so the same seed gives the same maze.
    ``nrow`` and ``ncol`` must be odd and at least 5 (the border takes two of each).
    """
    nrow, ncol = _check_size(nrow, ncol, 5, "random_maze")
    if nrow % 2 == 0 or ncol % 2 == 0:
        raise LayoutError(f"random_maze: nrow and ncol must be odd (cells at odd indices), got {nrow}x{ncol}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    grid = np.full((nrow, ncol), WALL, dtype="<U1")
    h, w = (nrow - 1) // 2, (ncol - 1) // 2
    visited = np.zeros((h, w), dtype=bool)
    stack = [(0, 0)]
    visited[0, 0] = True
    grid[1, 1] = EMPTY
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    while stack:
        i, j = stack[-1]
        options = [
            (i + di, j + dj) for di, dj in steps if 0 <= i + di < h and 0 <= j + dj < w and not visited[i + di, j + dj]
        ]
        if not options:
            stack.pop()
            continue
        ni, nj = options[rng.integers(len(options))]
        visited[ni, nj] = True
        grid[2 * ni + 1, 2 * nj + 1] = EMPTY
        grid[i + ni + 1, j + nj + 1] = EMPTY  # the wall between (2i+1, 2j+1) and (2ni+1, 2nj+1)
        stack.append((ni, nj))
    grid[nrow - 2, ncol - 2] = "+"
    rows = tuple("".join(r) for r in grid)
    name = f"maze:{nrow}x{ncol}" + (f":{seed}" if isinstance(seed, (int, np.integer)) else "")
    return Layout(rows, {"+": 1.0}, ncol + 1, name)
