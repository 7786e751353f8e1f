"""pygame drawing of gridworld layouts: floor, walls, terminals, start square and the agent.

Drawing is separated from the environment logic: :class:`GridRenderer` knows a
:class:`~gridworld_env.layouts.Layout` and draws it; the env passes the agent's state.
The static board is drawn once into a cached surface, so each frame costs one blit plus the
agent.  ``rgb_array`` works headless (no display needed); ``show`` opens a resizable window.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from .layouts import Layout

__all__ = ["GridRenderer", "COLORS"]

#: Colours (RGB) of the board elements; tests sample pixels against these.
COLORS = {
    "background": (30, 30, 36),
    "floor": (236, 236, 230),
    "grid": (150, 150, 150),
    "wall": (70, 74, 86),
    "start": (205, 222, 245),
    "positive": (96, 186, 104),
    "negative": (214, 86, 78),
    "agent": (40, 90, 220),
    "text": (20, 20, 20),
    "caption": (240, 240, 240),
}


def _pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    return pygame


class GridRenderer:
    """Draws a layout with pygame.

    Parameters
    ----------
    layout : Layout
        The grid to draw.
    tile_size : int
        Pixels per square.
    """

    def __init__(self, layout: Layout, tile_size: int = 96) -> None:
        self.layout = layout
        self.tile = int(tile_size)
        self.width = layout.ncol * self.tile
        self.height = layout.nrow * self.tile
        self._board = None  # cached static surface
        self._window = None
        self._clock = None
        self._closed = False

    # -- drawing -----------------------------------------------------------------
    def _font(self, size: int):
        pg = _pygame()
        return pg.font.Font(None, max(10, int(size)))

    def board(self):
        """The static board surface (floor, walls, terminals with their reward, start)."""
        if self._board is not None:
            return self._board
        pg = _pygame()
        t = self.tile
        surf = pg.Surface((self.width, self.height))
        surf.fill(COLORS["floor"])
        lay = self.layout
        grid = lay.grid
        font = self._font(t * 0.42) if t >= 24 else None
        for r in range(lay.nrow):
            for c in range(lay.ncol):
                ch = grid[r, c]
                rect = pg.Rect(c * t, r * t, t, t)
                if ch == "#":
                    surf.fill(COLORS["wall"], rect)
                elif ch in lay.rewards:
                    reward = lay.rewards[ch]
                    surf.fill(COLORS["positive"] if reward >= 0 else COLORS["negative"], rect)
                    if font is not None:
                        label = font.render(f"{reward:+g}", True, COLORS["text"])
                        surf.blit(label, label.get_rect(center=rect.center))
                elif r * lay.ncol + c == lay.start:
                    surf.fill(COLORS["start"], rect)
        if t >= 6:
            for r in range(lay.nrow + 1):
                pg.draw.line(surf, COLORS["grid"], (0, min(r * t, self.height - 1)), (self.width, min(r * t, self.height - 1)))
            for c in range(lay.ncol + 1):
                pg.draw.line(surf, COLORS["grid"], (min(c * t, self.width - 1), 0), (min(c * t, self.width - 1), self.height))
        self._board = surf
        return surf

    def draw(self, agent: Optional[int] = None):
        """A new surface with the board and, if given, the agent at state ``agent``."""
        pg = _pygame()
        surf = self.board().copy()
        if agent is not None:
            r, c = self.layout.position(agent)
            t = self.tile
            center = (c * t + t // 2, r * t + t // 2)
            pg.draw.circle(surf, COLORS["agent"], center, max(2, int(t * 0.3)))
        return surf

    def rgb_array(self, agent: Optional[int] = None) -> np.ndarray:
        """An ``(H, W, 3)`` uint8 frame (headless-safe)."""
        pg = _pygame()
        surf = self.draw(agent)
        return np.ascontiguousarray(np.transpose(pg.surfarray.array3d(surf), (1, 0, 2)))

    # -- window ------------------------------------------------------------------
    def show(self, agent: Optional[int] = None, fps: float = 4, caption: str = "LectureGrid") -> bool:
        """Draw into a (resizable) window and wait to respect ``fps``.

        Returns False once the user has closed the window (later calls do nothing).
        """
        if self._closed:
            return False
        pg = _pygame()
        if self._window is None:
            pg.display.init()
            self._window = pg.display.set_mode((self.width, self.height), pg.RESIZABLE)
            self._clock = pg.time.Clock()
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.close()
                self._closed = True
                return False
            if event.type == pg.VIDEORESIZE:
                self._window = pg.display.set_mode((max(event.w, 32), max(event.h, 32)), pg.RESIZABLE)
        pg.display.set_caption(caption)
        frame = self.draw(agent)
        size = self._window.get_size()
        if size != frame.get_size():
            frame = pg.transform.smoothscale(frame, size)
        self._window.blit(frame, (0, 0))
        pg.event.pump()
        pg.display.flip()
        self._clock.tick(fps)
        return True

    def close(self) -> None:
        """Close the window if one is open (idempotent)."""
        if self._window is not None:
            pg = _pygame()
            pg.display.quit()
            self._window = None
