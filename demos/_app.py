"""What every pygame demo shares: window or headless, frame pacing, events, saving.

A demo builds its frames as pygame surfaces and hands each to :meth:`App.present`, which

* in a window: shows it (resizable, letterboxed), waits for the frame rate and returns the
  key and mouse events (mouse positions already mapped to frame pixels);
* headless (``--headless``, or no ``DISPLAY`` / ``WAYLAND_DISPLAY`` on Linux, or SDL's dummy
  video driver): records it, and returns the events posted into pygame's queue (so tests can
  drive a demo with synthetic key presses).

:meth:`App.finish` then writes the recorded frames as a GIF (and any PNGs the demo saved)
into the output folder and prints where they are.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gridworld_env.render import COLORS, Window, save_animation, save_png, to_rgb_array

from ._checks import layout_arg, positive_float, positive_int, unit_interval

__all__ = [
    "HEADLESS_FRAME_LIMIT",
    "App",
    "HelpFormatter",
    "add_app_arguments",
    "headless_requested",
    "layout_arg",
    "positive_float",
    "positive_int",
    "unit_interval",
]

#: Most frames a headless run records when ``--max-frames`` is not given.
HEADLESS_FRAME_LIMIT = 400


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each option's default, except where there is none to show (None, False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False:
            return action.help or ""
        return super()._get_help_string(action) or ""


def headless_requested(flag: bool = False) -> bool:
    """True when the demo must draw offscreen: ``flag``, SDL's dummy driver, or no display on Linux."""
    if flag:
        return True
    if os.environ.get("SDL_VIDEODRIVER", "").lower() in ("dummy", "offscreen"):
        return True
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return True
    return False


def add_app_arguments(parser: argparse.ArgumentParser, name: str, fps: float = 4.0) -> None:
    """Add the options every demo shares: --headless, --out, --max-frames, --fps."""
    g = parser.add_argument_group("display and output")
    g.add_argument(
        "--headless",
        action="store_true",
        help="draw offscreen and write PNG/GIF files (automatic when there is no display)",
    )
    g.add_argument("--out", default=str(Path("demo_output") / name), metavar="DIR", help="folder for headless output")
    g.add_argument(
        "--max-frames",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"stop after N frames (default: when the demo is done; at most {HEADLESS_FRAME_LIMIT} headless)",
    )
    g.add_argument("--fps", type=positive_float, default=fps, help="frames per second")


class App:
    """A window or an offscreen recorder for one demo.

    Parameters
    ----------
    name : str
        The demo's name (file names).
    args : argparse.Namespace
        Parsed options from :func:`add_app_arguments`.
    title : str
        Initial window title.
    """

    def __init__(self, name: str, args: argparse.Namespace, title: str) -> None:
        self.name = name
        self.headless = headless_requested(args.headless)
        self.out = Path(args.out)
        self.fps = float(args.fps)
        self.max_frames: int | None = args.max_frames
        if self.max_frames is None and self.headless:
            self.max_frames = HEADLESS_FRAME_LIMIT  # a recording must end
        self.title = title
        self.frames: list[np.ndarray] = []
        self.titles: list[str] = []
        self.saved: list[Path] = []
        self.n_frames = 0
        self.closed = False
        if self.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self.pg = pygame
        pygame.display.init()
        pygame.font.init()
        if self.headless:
            if pygame.display.get_surface() is None:
                pygame.display.set_mode((1, 1))  # the event queue needs a (dummy) window
            self.window: Window | None = None
        else:
            self.window = Window(title)

    @property
    def running(self) -> bool:
        """False once the window was closed, :meth:`quit` called or the frame budget spent."""
        return not self.closed and (self.max_frames is None or self.n_frames < self.max_frames)

    def quit(self) -> None:
        """Stop the demo loop (the files are still written by :meth:`finish`)."""
        self.closed = True

    def present(self, frame: Any, title: str | None = None) -> list:
        """Show or record one frame; return the key / mouse events since the last frame.

        Mouse events carry ``frame_pos``: the position in frame pixels (None outside it).
        """
        if self.closed:
            return []
        self.n_frames += 1
        if title is not None:
            self.title = title
        self.titles.append(self.title)
        pg = self.pg
        if self.headless:
            self.frames.append(to_rgb_array(frame))
            events = pg.event.get()
            if any(e.type == pg.QUIT for e in events):
                self.closed = True
            events = [e for e in events if e.type in (pg.KEYDOWN, pg.MOUSEBUTTONDOWN)]
            for e in events:
                if e.type == pg.MOUSEBUTTONDOWN:
                    e.frame_pos = e.pos
            return events
        assert self.window is not None
        events = self.window.present(frame, fps=self.fps, title=self.title)
        if self.window.closed:
            self.closed = True
        for e in events:
            if e.type in (pg.MOUSEBUTTONDOWN, pg.MOUSEBUTTONUP):
                e.frame_pos = self.window.to_frame(e.pos)
        return events

    def save_png(self, frame: Any, filename: str) -> Path | None:
        """Write a PNG into the output folder (headless only; in a window nothing is written)."""
        if not self.headless:
            return None
        path = save_png(frame, self.out / filename)
        if path not in self.saved:
            self.saved.append(path)
        return path

    def finish(self, gif: str | None = None, gif_fps: float | None = None) -> list[Path]:
        """Close the window; headless, write the recorded frames as ``gif`` and report the files.

        ``gif_fps`` (default ``--fps``) is the animation's frame rate.
        """
        if self.headless and gif and self.frames:
            path = save_animation(_same_size(self.frames), self.out / gif, fps=gif_fps or self.fps)
            self.saved.append(path)
        if self.window is not None:
            self.window.close()
        else:
            self.pg.display.quit()
        self.closed = True
        if self.headless:
            print(f"{self.name}: no display, wrote {len(self.saved)} file(s) to {self.out}/")
            for p in self.saved:
                print(f"  {p}")
        return self.saved


def _same_size(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Pad frames (bottom / right, background colour) to the largest one, for an animation."""
    h = max(f.shape[0] for f in frames)
    w = max(f.shape[1] for f in frames)
    out = []
    for f in frames:
        if f.shape[:2] == (h, w):
            out.append(f)
            continue
        g = np.empty((h, w, 3), dtype=np.uint8)
        g[...] = COLORS["background"]
        g[: f.shape[0], : f.shape[1]] = f
        out.append(g)
    return out
