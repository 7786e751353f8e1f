"""Layouts: parsing, validation errors, named layouts and generators."""

import re
from collections import deque

import numpy as np
import pytest

from gridworld_env.layouts import (
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


def reachable(layout: Layout) -> set[int]:
    """States reachable from the start by moves that avoid walls and stop at terminals (BFS)."""
    seen = {layout.start}
    queue = deque([layout.start])
    grid = layout.grid
    while queue:
        s = queue.popleft()
        r, c = layout.position(s)
        if grid[r, c] in layout.rewards:
            continue
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < layout.nrow and 0 <= nc < layout.ncol and grid[nr, nc] != "#":
                ns = nr * layout.ncol + nc
                if ns not in seen:
                    seen.add(ns)
                    queue.append(ns)
    return seen


def test_lecture_grid_is_russell_norvig_4x3():
    lay = get_layout("lecture")
    assert lay.shape == (3, 4)
    assert lay.n_states == 12
    assert np.flatnonzero(lay.wall).tolist() == [1 * 4 + 1]  # row 1, column 1
    assert np.flatnonzero(lay.terminal).tolist() == [3, 7]  # top-right, just below
    assert lay.terminal_reward[3] == 1.0 and lay.terminal_reward[7] == -1.0
    assert lay.position(lay.start) == (2, 0)  # bottom-left
    assert lay.free.sum() == 12 - 1 - 2


def test_string_and_list_maps_agree():
    text = """
        S..+
        .#.-
    """
    a = parse_layout(text)
    b = parse_layout(["S..+", ".#.-"])
    assert a == b and hash(a) == hash(b)
    assert a.to_ascii() == "S..+\n.#.-"
    assert parse_layout(a.to_ascii()) == a


def test_custom_terminal_rewards():
    lay = parse_layout(["S.E", "..+"], {"E": 10.0})
    assert lay.rewards == {"E": 10.0, "+": 1.0}
    assert lay.terminal_reward.tolist() == [0, 0, 10, 0, 0, 1]
    # '+' and '-' may be overridden
    assert parse_layout("S+", {"+": 5}).rewards == {"+": 5.0}


def test_explicit_start_replaces_map_start():
    lay = parse_layout(["S..+"], start=(0, 2))
    assert lay.start == 2 and lay.rows == ("...+",)
    assert parse_layout(["...+"], start=1).start == 1
    assert get_layout("lecture").with_start((0, 0)).start == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(text=["S.x+"]), r"unknown character 'x' at row 0, column 2"),
        (dict(text=["S..+", ".#."]), r"ragged layout: row 1 has 3 columns"),
        (dict(text=["...+"]), r"no start square"),
        (dict(text=["S.S+"]), r"2 start squares"),
        (dict(text=["S..."]), r"no terminal"),
        (dict(text=["S#.+"], start=(0, 1)), r"start \(0, 1\) is on a wall"),
        (dict(text=["S#.+"], start=(0, 3)), r"start \(0, 3\) is on a terminal"),
        (dict(text=["S#.+"], start=(5, 0)), r"position \(5, 0\) is outside the 1x4 grid"),
        (dict(text=["S#.+"], start=17), r"start state must be an integer in \[0, 3\], got 17"),
        (dict(text=["S.E+"], rewards={"E": float("nan")}), r"the reward of 'E' must be a finite number, got nan"),
        (dict(text=["S.E+"], rewards={"E": float("inf")}), r"the reward of 'E' must be a finite number, got inf"),
        (dict(text=["S.E+"], rewards={"E": "ten"}), r"the reward of 'E' must be a finite number, got 'ten'"),
        (dict(text=["S.E+"], rewards={"#": 1.0}), r"'#' is reserved"),
        (dict(text=["S.E+"], rewards={"EE": 1.0}), r"single characters, got 'EE'"),
        (dict(text=[]), r"empty"),
        (dict(text=["S+", 3]), r"row 1 must be a string, got 3"),
        (dict(text=42), r"got int"),
    ],
)
def test_bad_maps_raise_naming_the_problem(kwargs, match):
    text = kwargs.pop("text")
    with pytest.raises(LayoutError, match=match):
        parse_layout(text, **kwargs)


def test_layout_error_is_a_value_error():
    assert issubclass(LayoutError, ValueError)


def test_unknown_name_lists_known_layouts():
    with pytest.raises(LayoutError, match=r"unknown layout 'nope'; known layouts: .*four_rooms.*lecture.*open:NxM"):
        get_layout("nope")
    for bad in ["open:10", "open:axb", "maze:10x10:x"]:
        with pytest.raises(LayoutError, match=re.escape(repr(bad))):
            get_layout(bad)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_named_layouts_are_valid_and_solvable(name):
    lay = get_layout(name)
    assert lay.name == name
    seen = reachable(lay)
    assert any(lay.terminal[s] for s in seen), f"{name}: no terminal reachable from the start"
    assert set(np.flatnonzero(lay.wall)).isdisjoint(seen)


def test_required_named_layouts_exist():
    for name in ["lecture", "cliff", "bridge", "discount", "maze", "four_rooms"]:
        assert name in layout_names()
    disc = get_layout("discount")
    assert sorted(disc.rewards.values()) == [-10.0, 1.0, 10.0]  # near +1, far +10 exits


def test_open_grid():
    lay = open_grid(3, 5)
    assert lay.shape == (3, 5) and lay.start == 0
    assert np.flatnonzero(lay.terminal).tolist() == [14]
    assert not lay.wall.any()
    assert get_layout("open:3x5") == lay
    big = open_grid(1000, 1000)
    assert big.n_states == 1_000_000 and big.terminal.sum() == 1
    with pytest.raises(LayoutError, match="nrow must be an integer >= 1, got 0"):
        open_grid(0, 4)
    with pytest.raises(LayoutError, match="no room"):
        open_grid(1, 1)


def test_random_maze_is_seeded_and_perfect():
    a, b, c = random_maze(21, 31, seed=3), random_maze(21, 31, seed=3), random_maze(21, 31, seed=4)
    assert a == b and a != c
    assert get_layout("maze:21x31:3") == a
    # a perfect maze: every open cell reachable, and the open cells form a tree (edges = nodes - 1)
    open_cells = ~a.wall
    seen = reachable(a)
    assert len(seen) == open_cells.sum()
    g = a.grid != "#"
    edges = int((g[:, 1:] & g[:, :-1]).sum() + (g[1:, :] & g[:-1, :]).sum())
    assert edges == open_cells.sum() - 1
    assert a.grid[0].tolist() == ["#"] * 31 and a.grid[-1].tolist() == ["#"] * 31
    with pytest.raises(LayoutError, match="must be odd"):
        random_maze(10, 11)


def test_as_layout_and_register():
    assert as_layout("lecture") == get_layout("lecture")
    assert as_layout(["S+"]) == parse_layout("S+")
    assert as_layout("S.E\n..+", {"E": 3}).rewards["E"] == 3.0
    with pytest.raises(LayoutError, match="named layout 'lecture'"):
        as_layout("lecture", {"E": 3})
    register_layout("tiny_test", "S+")
    try:
        assert get_layout("tiny_test").shape == (1, 2)
    finally:
        del LAYOUTS["tiny_test"]
    with pytest.raises(LayoutError, match="unknown character"):
        register_layout("bad_test", "S?+")
    assert "bad_test" not in LAYOUTS


def test_layout_arrays_are_read_only():
    lay = get_layout("lecture")
    for arr in (lay.grid, lay.wall, lay.terminal, lay.terminal_reward, lay.free):
        with pytest.raises(ValueError):
            arr[0] = arr[1]
