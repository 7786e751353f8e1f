"""argparse types of the demos: every bad command-line value is a one-line usage error (exit 2) naming it.

Each type turns the text into a value or raises ``argparse.ArgumentTypeError``, which argparse
prints as ``argument --name: <message>`` and exits with status 2.  The tile-size bounds are the
renderer's (:data:`gridworld_env.render.MIN_TILE_SIZE`, :data:`~gridworld_env.render.MAX_TILE_SIZE`),
so a demo refuses exactly what the renderer and the env would refuse.
"""

from __future__ import annotations

import argparse
import math
import string

from gridworld_env.render import MAX_TILE_SIZE, MIN_TILE_SIZE

__all__ = [
    "finite_float",
    "format_string",
    "layout_arg",
    "nonnegative_float",
    "positive_float",
    "positive_int",
    "tile_size",
    "unit_interval",
]


def _number(text: str, expected: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return v


def finite_float(text: str) -> float:
    """argparse type: a finite number (not nan, not inf)."""
    return _number(text, "a finite number")


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    v = _number(text, "a positive number")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def nonnegative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    v = _number(text, "a number >= 0")
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def unit_interval(text: str) -> float:
    """argparse type: a number in [0, 1] (a probability or a discount factor)."""
    v = _number(text, "a number in [0, 1]")
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return v


def _integer(text: str, lo: int, hi: int | None, expected: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if v < lo or (hi is not None and v > hi):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return v


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _integer(text, 1, None, "a positive integer")


def tile_size(text: str) -> int:
    """argparse type: pixels per square, an integer the renderer draws (``MIN_TILE_SIZE`` to ``MAX_TILE_SIZE``)."""
    return _integer(text, MIN_TILE_SIZE, MAX_TILE_SIZE, f"an integer from {MIN_TILE_SIZE} to {MAX_TILE_SIZE} pixels")


def format_string(text: str) -> str:
    """argparse type: a format string with one replacement field that formats a number, e.g. ``{:.2f}``."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        ok = len(fields) == 1 and isinstance(text.format(-1.5), str)
    except (ValueError, IndexError, KeyError):
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError(
            f"expected a format string with one number field such as '{{:.2f}}', got {text!r}"
        )
    return text


def layout_arg(text: str) -> str:
    """argparse type: a layout :func:`gridworld_env.as_layout` knows (a name or a one-row map; the error lists names)."""
    from gridworld_env import LayoutError, as_layout

    try:
        as_layout(text)
    except LayoutError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text
