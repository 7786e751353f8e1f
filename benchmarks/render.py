"""Rendering speed: ``render_values`` against a plain per-square pygame loop.

The contender is what one writes first (and what CS188's gridworld graphics do): for every
square, ``pygame.draw.rect`` in its heat colour and ``pygame.draw.polygon`` for its arrow, then
the surface to an array.  ``render_values`` stamps cached per-tile masks with numpy instead.
Both draw the same heat-map and arrows (no text: the baseline draws none).  Cases: the 4x3
lecture grid at the demos' 160 px (plus our full demo frame: numbers, agent, trail, caption), and a
200 x 200 open grid with a value heat-map and arrows at 4 px (the default size, arrows too
small to draw) and at 10 px per square (arrows drawn, a 2000 x 2000 image).

Run ``python -m benchmarks.render`` (``--quick`` for a smoke test, ``--out DIR``).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from gridworld_env import as_layout
from gridworld_env.render import COLORS, heat_colors, render_values

from ._common import alternate, write_results


def naive_render(layout: Any, values: np.ndarray, policy: np.ndarray, tile: int) -> np.ndarray:
    """Per-square pygame drawing of a heat-map and arrows (the baseline)."""
    import pygame

    lay = as_layout(layout)
    surf = pygame.Surface((lay.ncol * tile, lay.nrow * tile))
    free = lay.free
    colors = heat_colors(values, float(np.abs(values[free]).max())).tolist()
    c = tile / 2
    arrows = {
        0: [(0, -0.44), (0.17, -0.22), (-0.17, -0.22)],
        1: [(0, 0.44), (0.17, 0.22), (-0.17, 0.22)],
        2: [(-0.44, 0), (-0.22, 0.17), (-0.22, -0.17)],
        3: [(0.44, 0), (0.22, 0.17), (0.22, -0.17)],
    }
    wall = lay.wall.tolist()
    pol = policy.tolist()
    for s in range(lay.n_states):
        r, col = divmod(s, lay.ncol)
        x, y = col * tile, r * tile
        if wall[s]:
            pygame.draw.rect(surf, COLORS["wall"], (x, y, tile, tile))
            continue
        pygame.draw.rect(surf, colors[s] if free[s] else COLORS["positive"], (x, y, tile, tile))
        pygame.draw.rect(surf, COLORS["grid"], (x, y, tile, tile), 1)
        if free[s] and tile >= 10:
            pts = [(x + c + dx * tile, y + c + dy * tile) for dx, dy in arrows[pol[s]]]
            pygame.draw.polygon(surf, COLORS["arrow"], pts)
            pygame.draw.line(
                surf,
                COLORS["arrow"],
                (x + c, y + c),
                (pts[0][0] * 0.5 + pts[1][0] * 0.5, pts[1][1]),
                max(1, tile // 10),
            )
    return np.transpose(pygame.surfarray.array3d(surf), (1, 0, 2))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write ``render.json`` / ``render.md``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.render", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny budget (smoke test)")
    p.add_argument("--out", default="bench_results", help="output folder")
    args = p.parse_args(argv)
    repeats = 2 if args.quick else 7
    rng = np.random.default_rng(0)
    rows = []
    cases = [
        ("lecture 4x3, 160 px", "lecture", 160),
        ("open 200x200, 4 px (default size)", "open:40x40" if args.quick else "open:200x200", 4),
        ("open 200x200, 10 px, arrows", "open:40x40" if args.quick else "open:200x200", 10),
    ]
    for label, name, tile in cases:
        lay = as_layout(name)
        values = rng.normal(size=lay.n_states)
        policy = rng.integers(0, 4, size=lay.n_states)
        contenders = {
            "render_values": lambda: render_values(lay, values, policy, tile_size=tile, numbers=False),
            "naive pygame loop": lambda: naive_render(lay, values, policy, tile),
        }
        if lay.n_states < 100:  # what a demo frame costs: numbers, agent and caption on top
            contenders["render_values, full frame"] = lambda: render_values(
                lay,
                values,
                policy,
                tile_size=tile,
                agent=lay.start,
                trajectory=[lay.start, 4, 0],
                caption="living reward -0.04, slip 0.2, gamma 1\nvalue iteration: sweep 7",
            )
        res = alternate(contenders, repeats=repeats)
        base = res["naive pygame loop"].median
        for n, m in res.items():
            rows.append(
                {"case": label, "contender": n, "median_ms": 1000 * m.median, "speedup_vs_naive": base / m.median}
            )
            print(f"{label:42s} {n:20s} {1000 * m.median:9.2f} ms  x{base / m.median:.2f}")
    path = write_results("render", rows, args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
