"""Text rendering of values and policies on a gridworld layout (CLI, reprs)."""

from __future__ import annotations

from typing import Any

import numpy as np

ARROWS = ("\u2191", "\u2193", "\u2190", "\u2192")  # up, down, left, right (gridworld_env.ACTION_ARROWS)


def format_policy(layout: Any, policy: np.ndarray | None) -> str:
    """The policy as arrows on the grid; walls ``#``, terminals their map character."""
    lines = []
    for r, row in enumerate(layout.rows):
        cells = []
        for c, ch in enumerate(row):
            s = r * layout.ncol + c
            if layout.wall[s] or layout.terminal[s]:
                cells.append(ch)
            elif policy is None:
                cells.append("?")
            else:
                cells.append(ARROWS[int(policy[s])])
        lines.append(" ".join(cells))
    return "\n".join(lines)


def format_values(layout: Any, values: np.ndarray, digits: int = 3) -> str:
    """The values as a right-aligned table on the grid; walls ``#``, terminals their reward."""
    cells = []
    for r, row in enumerate(layout.rows):
        line = []
        for c, _ch in enumerate(row):
            s = r * layout.ncol + c
            if layout.wall[s]:
                line.append("#")
            elif layout.terminal[s]:
                line.append(f"[{layout.terminal_reward[s]:+g}]")
            else:
                line.append(f"{values[s]:.{digits}f}")
        cells.append(line)
    width = max(len(x) for line in cells for x in line)
    return "\n".join(" ".join(x.rjust(width) for x in line) for line in cells)
