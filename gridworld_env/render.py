"""pygame drawing of gridworlds: the board, the agent, and value / policy / Q-value overlays.

Drawing is separated from the environment logic: :class:`GridRenderer` knows a
:class:`~gridworld_env.layouts.Layout` and draws it; the env passes the agent's state, and
planners' results are drawn with :func:`render_values` without any env.

What a frame can show
---------------------
* the board: floor, walls, terminal squares labelled with their reward (thick border), the
  start square (tinted when no heat-map is drawn);
* ``values`` (S,): a diverging heat-map (red below 0, white at 0, green above 0, scaled by the
  largest ``|value|`` unless ``value_range`` is given), the numbers printed when squares are
  large enough;
* ``policy``: arrows, one per square ((S,) action indices) or several on ties ((S, 4) bool,
  e.g. ``planners.greedy_mask`` of the Q-values); drawn as given: the renderer has no tie rule;
* ``q`` (S, 4): CS188-style Q-value triangles, each coloured and (when large enough) labelled;
* ``highlight`` (S,) bool: a thick gold frame around chosen squares;
* ``trajectory``: the states visited, as a polyline in a lane near each square's lower-left
  corner (clear of the numbers); ``agent``: a disc on its square;
* ``caption``: a title band above the board (wrapped onto several lines when long).

Speed
-----
The per-square work is vectorised: each square's colour lives in an ``(nrow, ncol, 3)`` array
and is broadcast into a square-major ``(nrow, ncol, tile, tile)`` array of packed RGBX pixels
(one uint32 each, so every mask operation is a plain same-shape copy); overlays are
cached per-tile masks (arrows: one mask per set of actions, gathered by a 4-bit code per
square; Q triangles; frames), so a 200 x 200 grid with heat-map and arrows draws in tens of
milliseconds.  Text is only drawn when squares are large enough to read it (so never for more
than a few hundred squares), from a cache of rendered strings.

Saving
------
:func:`save_png` (one frame) and :func:`save_animation` (GIF via Pillow; MP4 via imageio
when it is installed) take ``(H, W, 3)`` uint8 arrays or pygame surfaces.

Windows
-------
:class:`Window` shows frames in a resizable window (letterboxed, aspect kept), paces them
to a frame rate, handles close and resize events and closes idempotently.  Everything else in
this module works headless (no display needed).
"""

from __future__ import annotations

import functools
import math
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import MAX_TILE_SIZE, MIN_TILE_SIZE, check_bool, check_float, check_int, check_tile_size, plain
from .layouts import Layout, LayoutLike, as_layout

__all__ = [
    "COLORS",
    "DARK_BACKGROUND",
    "MAX_TILE_SIZE",
    "MIN_TILE_SIZE",
    "GridRenderer",
    "Window",
    "auto_tile_size",
    "heat_colors",
    "label_color",
    "render_values",
    "save_animation",
    "save_png",
    "to_rgb_array",
]

#: Colours (RGB) of the drawing; tests sample pixels against these.
COLORS: dict[str, tuple[int, int, int]] = {
    "background": (24, 26, 32),  # caption band and letterbox
    "floor": (236, 236, 230),
    "grid": (96, 96, 104),
    "wall": (62, 66, 80),
    "start": (196, 216, 245),
    "positive": (60, 170, 80),  # terminal with reward >= 0
    "negative": (210, 60, 50),  # terminal with reward < 0
    "terminal_border": (20, 20, 24),
    "agent": (30, 80, 230),
    "agent_outline": (255, 255, 255),
    "text": (16, 16, 16),
    "text_light": (255, 255, 255),
    "caption": (245, 245, 245),
    "arrow": (16, 16, 16),
    "trajectory": (255, 150, 0),
    "highlight": (255, 196, 0),
    "heat_low": (214, 48, 39),  # most negative value
    "heat_mid": (250, 250, 248),  # zero
    "heat_high": (26, 152, 80),  # most positive value
    "nonfinite": (160, 160, 160),  # inf / nan values
}

#: Arrow shapes as fractions of the tile: shaft half-width, head half-width, tip, head base, tail.
#: ``full``: a shaft from the centre and a head near the edge (no text in the square); ``edge``: a
#: head only, near the edge (the value printed in the middle); ``small``: a short arrow around the
#: centre (Q-value numbers near the edges).
_ARROW_SHAPES: dict[str, tuple[float, float, float, float, float]] = {
    "full": (0.055, 0.17, 0.44, 0.22, 0.04),
    "edge": (0.0, 0.14, 0.45, 0.30, 0.0),
    "small": (0.03, 0.075, 0.17, 0.07, 0.0),
}

# Pixel thresholds (tile sizes in pixels) from which each part of a frame is drawn.
_MIN_TILE_GRID = 6  # grid lines
_MIN_TILE_ARROWS = 10  # policy arrows
_MIN_TILE_TERMINAL_FRAME = 12  # the thick border of terminal squares
_MIN_TILE_TERMINAL_LABEL = 16  # a terminal's reward printed on it
_MIN_TILE_AGENT_OUTLINE = 24  # a white ring around the agent
_MIN_TILE_VALUE_NUMBERS = 48  # values printed (numbers=None)
_MIN_TILE_Q_NUMBERS = 100  # Q-values printed (numbers=None)
_MIN_TEXT_PX = 9  # no label is printed smaller than this
#: Backgrounds darker than this luminance (0-255, ITU-R 601) get light text, the others dark text.
DARK_BACKGROUND = 140


def _pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    return pygame


# ---------------------------------------------------------------------------
# Small numeric helpers (public: demos and tests use them)
# ---------------------------------------------------------------------------
def heat_colors(values: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """Diverging colours of values: ``heat_low`` at ``-vmax``, ``heat_mid`` at 0, ``heat_high`` at ``+vmax``.

    Parameters
    ----------
    values : array_like of float, any shape
        The values; non-finite ones get ``COLORS["nonfinite"]``.
    vmax : float, optional
        The magnitude mapped to the strongest colour (default: the largest finite ``|value|``).

    Returns
    -------
    ndarray of uint8, shape ``values.shape + (3,)``
        Colours, monotone in the value: greener as it grows above 0, redder as it falls below.
    """
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    if vmax is None:
        vmax = float(np.max(np.abs(v[finite]))) if finite.any() else 1.0
    if not (math.isfinite(vmax) and vmax >= 0):
        raise ValueError(f"vmax must be a finite number >= 0, got {plain(vmax)}")
    vmax = vmax if vmax > 0 else 1.0
    x = np.clip(np.where(finite, v, 0.0) / vmax, -1.0, 1.0)[..., None]
    mid = np.array(COLORS["heat_mid"], dtype=np.float64)
    hi = np.array(COLORS["heat_high"], dtype=np.float64)
    lo = np.array(COLORS["heat_low"], dtype=np.float64)
    out = np.where(x >= 0, mid + (hi - mid) * x, mid + (lo - mid) * (-x))
    out = np.where(finite[..., None], out, np.array(COLORS["nonfinite"], dtype=np.float64))
    return np.rint(out).astype(np.uint8)


def _number(fmt: str, v: float) -> str:
    """``fmt.format(v)`` without the minus sign of a value that rounds to zero ("-0.00" -> "0.00")."""
    label = fmt.format(v)
    if (
        label.startswith("-")
        and "0" in label
        and not any(ch in "123456789" for ch in label)
        and "e" not in label.lower()
    ):
        label = label[1:]
    return label


def _luminance(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def _as_rgb(frame: Any) -> np.ndarray:
    """An (H, W, 3) uint8 array from an array or a pygame Surface."""
    if isinstance(frame, np.ndarray):
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"a frame must be an (H, W, 3) uint8 array, got shape {frame.shape} dtype {frame.dtype}")
        return frame
    pg = _pygame()
    if isinstance(frame, pg.Surface):
        w, h = frame.get_size()
        return np.frombuffer(pg.image.tobytes(frame, "RGB"), dtype=np.uint8).reshape(h, w, 3)
    raise ValueError(f"a frame must be an (H, W, 3) uint8 array or a pygame Surface, got {type(frame).__name__}")


def to_rgb_array(frame: Any) -> np.ndarray:
    """Convert a pygame Surface (or pass through an array) to an ``(H, W, 3)`` uint8 array.

    Parameters
    ----------
    frame : pygame.Surface or ndarray
        The image.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
    """
    return np.array(_as_rgb(frame), copy=True)


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------
def save_png(frame: Any, path: str | os.PathLike) -> Path:
    """Write one frame as a PNG (Pillow).

    Parameters
    ----------
    frame : ndarray (H, W, 3) uint8 or pygame.Surface
        The image.
    path : str or path-like
        Destination; parent folders are created.

    Returns
    -------
    Path
        The written file.
    """
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_png writes .png files, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_as_rgb(frame)).save(path, optimize=False)
    return path


def save_animation(frames: Iterable[Any], path: str | os.PathLike, fps: float = 4.0, loop: bool = True) -> Path:
    """Write frames as an animation: ``.gif`` with Pillow, ``.mp4`` with imageio (if installed).

    Parameters
    ----------
    frames : iterable of ndarray (H, W, 3) uint8 or pygame.Surface
        The frames, all the same size.
    path : str or path-like
        Destination ending in ``.gif`` or ``.mp4``; parent folders are created.
    fps : float
        Frames per second (> 0).
    loop : bool
        Whether a GIF loops forever.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    if check_float("fps", fps) <= 0:
        raise ValueError(f"fps must be a positive number, got {plain(fps)}")
    arrays = [_as_rgb(f) for f in frames]
    if not arrays:
        raise ValueError("save_animation needs at least one frame, got none")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"all frames must have the same shape, got {sorted(shapes)}")
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        from PIL import Image

        images = [
            Image.fromarray(a).quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            for a in arrays
        ]
        extra: dict[str, Any] = {"loop": 0} if loop else {}
        images[0].save(
            path,
            save_all=True,
            append_images=images[1:],
            duration=max(20, round(1000 / fps)),
            optimize=False,
            disposal=1,
            **extra,
        )
        return path
    if suffix == ".mp4":
        try:
            import imageio.v3 as iio
        except ImportError:
            raise ValueError(
                f"writing {str(path)!r} needs imageio with an ffmpeg plugin "
                "(pip install imageio imageio-ffmpeg); write a .gif instead"
            ) from None
        iio.imwrite(path, np.stack(arrays), fps=fps)
        return path
    raise ValueError(f"unsupported animation format {path.suffix!r} in {str(path)!r}; use .gif or .mp4")


# ---------------------------------------------------------------------------
# Per-tile masks (cached by tile size)
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _arrow_masks(t: int, style: str) -> np.ndarray:
    """(4, t, t) bool masks of the arrow for each action, in one of the styles of :data:`_ARROW_SHAPES`."""
    if style not in _ARROW_SHAPES:
        raise ValueError(f"unknown arrow style {style!r}; use one of {tuple(_ARROW_SHAPES)}")
    # shaft half-width, head half-width, tip, head base, tail: fractions of the tile
    sw, hw, tip, head_base, tail = (f * t for f in _ARROW_SHAPES[style])
    c = (t - 1) / 2.0
    y, x = np.mgrid[0:t, 0:t].astype(np.float64)
    up = c - y  # distance above the centre
    side = np.abs(x - c)
    head = (up >= head_base) & (up <= tip) & (side <= hw * (tip - up) / (tip - head_base) + 0.25)
    shaft = (up >= -tail) & (up < head_base + 0.5) & (side <= sw) if sw > 0 else np.zeros_like(head)
    m = head | shaft  # the "up" arrow, mirror-symmetric about the vertical axis
    # np.rot90 turns counter-clockwise: up -> left (k=1), down (k=2), right (k=3)
    return _frozen(np.stack([m, np.rot90(m, 2), np.rot90(m, 1), np.rot90(m, 3)]).copy())


@functools.lru_cache(maxsize=64)
def _triangle_index(t: int) -> np.ndarray:
    """(t, t) int8: which Q triangle (0 up, 1 down, 2 left, 3 right) each pixel of a tile is in."""
    y, x = np.mgrid[0:t, 0:t].astype(np.float64)
    d = np.stack([y, t - 1 - y, x, t - 1 - x])  # distance to top, bottom, left, right edges
    return _frozen(np.argmin(d, axis=0).astype(np.int8))


@functools.lru_cache(maxsize=64)
def _diagonal_mask(t: int, width: int) -> np.ndarray:
    """(t, t) bool: the two diagonals of a tile (the borders between Q triangles)."""
    y, x = np.mgrid[0:t, 0:t]
    return _frozen((np.abs(y - x) < width / 2 + 0.5) | (np.abs(y - (t - 1 - x)) < width / 2 + 0.5))


@functools.lru_cache(maxsize=64)
def _frame_mask(t: int, width: int) -> np.ndarray:
    """(t, t) bool: a frame of ``width`` pixels along the inside of the tile's edges."""
    m = np.zeros((t, t), dtype=bool)
    w = max(1, min(width, t // 2))
    m[:w, :] = m[-w:, :] = m[:, :w] = m[:, -w:] = True
    return _frozen(m)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _pack(rgb: Any) -> np.ndarray:
    """RGB uint8 ``(..., 3)`` -> uint32 ``(...)`` whose bytes in memory are R, G, B, 255 ("RGBX")."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    out = np.empty(rgb.shape[:-1] + (4,), dtype=np.uint8)
    out[..., :3] = rgb
    out[..., 3] = 255
    return out.view(np.uint32)[..., 0]


def _stamp(pix: np.ndarray, squares: np.ndarray, tile_mask: np.ndarray, color: Any) -> None:
    """Paint ``color`` on the ``tile_mask`` pixels of every square in ``squares`` (nrow, ncol) bool.

    ``pix`` is square-major packed RGBX: ``(nrow, ncol, t, t)`` uint32.
    """
    rs, cs = np.nonzero(squares)
    if rs.size == 0:
        return
    val = _pack(color)
    if 8 * rs.size > squares.size:  # many squares: one masked copy over the whole image
        np.copyto(pix, val, where=squares[:, :, None, None] & tile_mask)
    else:  # a few squares: gather, paint, scatter
        sub = pix[rs, cs]
        sub[:, tile_mask] = val
        pix[rs, cs] = sub


@functools.lru_cache(maxsize=64)
def _arrow_sets(t: int, style: str) -> np.ndarray:
    """(16, t, t) bool: the union of the arrows of each 4-bit action set (bit a = action a)."""
    masks = _arrow_masks(t, style)
    sets = np.zeros((16, t, t), dtype=bool)
    for code in range(16):
        for a in range(4):
            if code >> a & 1:
                sets[code] |= masks[a]
    return _frozen(sets)


# ---------------------------------------------------------------------------
# The renderer
# ---------------------------------------------------------------------------
#: Where each action's Q-value label sits, as (dx, dy) fractions of the tile from the square's centre.
_Q_LABEL_OFFSETS = ((0.0, -0.33), (0.0, 0.33), (-0.335, 0.0), (0.335, 0.0))


def label_color(background: Any) -> tuple[int, int, int]:
    """The text colour that reads on ``background`` (RGB): light below :data:`DARK_BACKGROUND` luminance, else dark."""
    return COLORS["text_light"] if float(_luminance(background)) < DARK_BACKGROUND else COLORS["text"]


def _heat_scale(shown: np.ndarray | None, value_range: float | None) -> float:
    """The one ``|value|`` that gets the strongest heat colour: ``value_range``, else the largest finite shown, else 1."""
    if value_range is not None:
        return value_range
    if shown is None:
        return 1.0
    fin = np.abs(shown[np.isfinite(shown)])
    return float(fin.max()) if fin.size and fin.max() > 0 else 1.0


@dataclass(frozen=True)
class _Frame:
    """The validated overlays of one :meth:`GridRenderer.draw` call and what its layers share."""

    agent: int | None
    values: np.ndarray | None  # (S,)
    arrows: np.ndarray | None  # (S, 4) bool
    q: np.ndarray | None  # (S, 4)
    highlight: np.ndarray | None  # (S,) bool
    shown: np.ndarray  # (S,) bool: the squares that carry values (not walls, not terminals)
    colors: np.ndarray  # (nrow, ncol, 3) uint8: each square's colour (board or heat-map)
    q_colors: np.ndarray | None  # (nrow, ncol, 4, 3) uint8: each Q triangle's colour, on the same scale
    fmt: str
    show_values: bool
    show_q: bool


class GridRenderer:
    """Draws a layout, an agent and optional overlays with pygame (headless-safe).

    Parameters
    ----------
    layout : Layout
        The grid to draw.
    tile_size : int
        Pixels per square, in ``[MIN_TILE_SIZE, MAX_TILE_SIZE]`` (4 to 1024; the env checks the same bounds).

    Notes
    -----
    :meth:`draw` returns a new surface ``(ncol * tile, caption height + nrow * tile)``; the
    board starts at ``y = caption_height(caption, width)``.  :meth:`rgb_array` returns the
    same as an ``(H, W, 3)`` uint8 array.  :meth:`show` puts a frame in a :class:`Window`.
    """

    def __init__(self, layout: Layout, tile_size: int = 96) -> None:
        if not isinstance(layout, Layout):
            raise ValueError(f"GridRenderer needs a Layout, got {type(layout).__name__}")
        self.layout = layout
        self.tile = check_tile_size(tile_size)
        self.width = layout.ncol * self.tile
        self.height = layout.nrow * self.tile
        self._base: np.ndarray | None = None
        self._fonts: dict[int, Any] = {}
        self._texts: OrderedDict[tuple, Any] = OrderedDict()
        self._window: Window | None = None

    # -- text ----------------------------------------------------------------------
    def font(self, height: float) -> Any:
        """The bold default font whose line height is about ``height`` pixels (cached)."""
        size = max(8, int(round(height / 0.68)))
        f = self._fonts.get(size)
        if f is None:
            pg = _pygame()
            f = self._fonts[size] = pg.font.Font(None, size)
        return f

    def text(self, s: str, height: float, color: Sequence[int]) -> Any:
        """A rendered (anti-aliased) text surface, cached by content, size and colour."""
        key = (s, max(8, int(round(height / 0.68))), tuple(color))
        surf = self._texts.get(key)
        if surf is None:
            surf = self.font(height).render(s, True, tuple(color))
            self._texts[key] = surf
            if len(self._texts) > 4096:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(key)
        return surf

    def _fit_height(self, labels: Iterable[str], height: float, max_width: float) -> float:
        """The largest text height <= ``height`` at which every label fits in ``max_width``."""
        font = self.font(height)
        w = max((font.size(label)[0] for label in set(labels)), default=0)
        if w > max_width:
            height = height * max_width / w
        return height

    # -- static board ---------------------------------------------------------------
    def _base_colors(self, tint_start: bool) -> np.ndarray:
        """(nrow, ncol, 3) uint8 colours of the bare board."""
        if self._base is None:
            lay = self.layout
            base = np.empty((lay.n_states, 3), dtype=np.uint8)
            base[:] = COLORS["floor"]
            base[lay.wall] = COLORS["wall"]
            tr = lay.terminal_reward
            base[lay.terminal & (tr >= 0)] = COLORS["positive"]
            base[lay.terminal & (tr < 0)] = COLORS["negative"]
            base.setflags(write=False)
            self._base = base
        base = self._base
        if tint_start:
            base = base.copy()
            base[self.layout.start] = COLORS["start"]
        return base.reshape(self.layout.nrow, self.layout.ncol, 3)

    def board(self) -> Any:
        """The bare board as a surface (floor, walls, terminals with their reward, start)."""
        return self.draw()

    # -- checks -------------------------------------------------------------------------
    def _state_array(self, name: str, a: Any, dtype: Any) -> np.ndarray:
        arr = np.asarray(a, dtype=dtype)
        S = self.layout.n_states
        if arr.shape == self.layout.shape:
            arr = arr.reshape(S)
        if arr.shape != (S,):
            raise ValueError(f"{name} must have shape ({S},) or {self.layout.shape} for this layout, got {arr.shape}")
        return arr

    def _check_policy(self, policy: Any) -> np.ndarray:
        """Policy -> (S, 4) bool arrows."""
        S = self.layout.n_states
        p = np.asarray(policy)
        if p.dtype == bool and p.shape == (S, 4):
            return p
        if p.dtype.kind not in "iu" or p.shape not in ((S,), self.layout.shape):
            raise ValueError(
                f"policy must be (S,) = ({S},) action indices or an (S, 4) bool mask, "
                f"got shape {p.shape} dtype {p.dtype}"
            )
        p = p.reshape(S).astype(np.int64)
        bad = (p < -1) | (p > 3)
        if bad.any():
            s = int(np.flatnonzero(bad)[0])
            raise ValueError(f"policy[{s}] = {p[s]} is not an action in 0..3 (or -1 for none)")
        mask = np.zeros((S, 4), dtype=bool)
        ok = p >= 0
        mask[np.flatnonzero(ok), p[ok]] = True
        return mask

    def _check_state(self, name: str, s: Any) -> int:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s < self.layout.n_states:
            raise ValueError(f"{name} must be a state index in 0..{self.layout.n_states - 1}, got {plain(s)}")
        return int(s)

    # -- geometry -------------------------------------------------------------------------
    def center(self, state: int, origin: tuple[int, int] = (0, 0)) -> tuple[int, int]:
        """Pixel centre of a square, with the board's top-left corner at ``origin``."""
        r, c = self.layout.position(state)
        t = self.tile
        return origin[0] + c * t + t // 2, origin[1] + r * t + t // 2

    def state_at(self, x: float, y: float) -> int | None:
        """The state under board pixel ``(x, y)`` (board coordinates), or None outside the board."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        return int(y // self.tile) * self.layout.ncol + int(x // self.tile)

    def caption_height(self, caption: str | None, width: int | None = None, lines: int | None = None) -> int:
        """Height in pixels of the caption band drawn above the board (0 without caption).

        With ``lines`` the band always has room for that many lines (steady frame size while
        the caption changes); otherwise it grows with the wrapped caption.
        """
        if not caption and not lines:
            return 0
        width = width or self.width
        h0 = self._caption_size(width)
        n = lines if lines else len(self._caption_lines(caption or "", width)[0])
        return int(n * h0 * 1.25 + 0.5 * h0)

    def _caption_size(self, width: int) -> float:
        return float(min(34, max(18, width / 24, self.tile * 0.26)))

    def _caption_lines(self, caption: str, width: int, max_lines: int | None = None) -> tuple[list[str], float]:
        """Wrap the caption to the width: ``(lines, text height)``; shrinks to fit ``max_lines``."""
        h = self._caption_size(width)
        while True:
            lines, h_used = self._wrap(caption, h, width - 2 * h)
            if max_lines is None or len(lines) <= max_lines or h <= 10:
                return (lines if max_lines is None else lines[:max_lines]), h_used
            h *= 0.9

    def _wrap(self, caption: str, h: float, max_width: float) -> tuple[list[str], float]:
        lines: list[str] = []
        for para in caption.split("\n"):
            h_fit = 0.97 * self._fit_height([para], h, max_width)
            if h_fit >= 0.7 * h:  # shrink a little rather than wrap
                h = min(h, h_fit)
                lines.append(para)
                continue
            cur = ""
            for w in para.split(" "):
                trial = f"{cur} {w}" if cur else w
                if cur and self.font(h).size(trial)[0] > max_width:
                    lines.append(cur)
                    cur = w
                else:
                    cur = trial
            lines.append(cur)
        return lines, h

    # -- drawing ------------------------------------------------------------------------------
    def draw(
        self,
        agent: int | None = None,
        *,
        values: np.ndarray | None = None,
        policy: np.ndarray | None = None,
        q: np.ndarray | None = None,
        highlight: np.ndarray | None = None,
        trajectory: Sequence[int] | None = None,
        caption: str | None = None,
        caption_lines: int | None = None,
        numbers: bool | None = None,
        value_range: float | None = None,
        fmt: str = "{:.2f}",
    ) -> Any:
        """Draw a frame as a new pygame surface.

        The frame is drawn in layers that share one heat scale (:class:`_Frame`): square colours
        (heat-map or Q triangles), frames and grid lines, arrows, trajectory and agent, labels
        (whose colour contrasts with the very colour drawn under them), caption.

        Parameters
        ----------
        agent : int, optional
            The agent's state: a disc on its square.
        values : array_like (S,) or (nrow, ncol), optional
            State values drawn as a diverging heat-map on non-absorbing squares.
        policy : array_like (S,) int or (S, 4) bool, optional
            Arrows: one action per square (-1 for none) or every True action (ties); drawn as
            given (the renderer has no tie rule of its own).
        q : array_like (S, 4), optional
            Q-values drawn as four coloured triangles per non-absorbing square.
        highlight : array_like (S,) bool, optional
            Squares framed in ``COLORS["highlight"]``.
        trajectory : sequence of int, optional
            Visited states, drawn as a line through the squares' centres.
        caption : str, optional
            Text in a band above the board (``\\n`` separates lines; long lines wrap).
        caption_lines : int, optional
            Fix the band's height to this many lines (the text shrinks to fit), so that
            frames keep one size while the caption changes.
        numbers : bool, optional
            Print values / Q-values in the squares (default: when squares are >= 48 px for
            values, >= 100 px for Q-values).
        value_range : float, optional
            The ``|value|`` given the strongest heat colour (default: the largest shown).
        fmt : str
            Format of printed numbers.

        Returns
        -------
        pygame.Surface
            ``(ncol * tile) x (caption_height + nrow * tile)`` pixels.
        """
        f = self._frame(agent, values, policy, q, highlight, numbers, value_range, fmt)
        if caption_lines is not None:
            check_int("caption_lines", caption_lines, 1)
        pix = self._square_pixels(f)
        self._stamp_overlays(pix, f)
        pg = _pygame()
        nrow, ncol, t = self.layout.nrow, self.layout.ncol, self.tile
        H, W = nrow * t, ncol * t
        rows_major = np.ascontiguousarray(pix.transpose(0, 2, 1, 3)).reshape(H, W)
        cap_h = self.caption_height(caption, W, caption_lines)
        surf = pg.Surface((W, cap_h + H))
        surf.fill(COLORS["background"])
        surf.blit(pg.image.frombuffer(rows_major, (W, H), "RGBX"), (0, cap_h))
        origin = (0, cap_h)
        self._draw_path_and_agent(surf, origin, f, trajectory)
        self._draw_terminal_labels(surf, origin, f)
        if f.show_values:
            self._draw_value_labels(surf, origin, f)
        if f.show_q:
            self._draw_q_labels(surf, origin, f)
        if caption:
            self._draw_caption(surf, caption, W, cap_h, caption_lines)
        return surf

    def _frame(
        self,
        agent: Any,
        values: Any,
        policy: Any,
        q: Any,
        highlight: Any,
        numbers: bool | None,
        value_range: Any,
        fmt: Any,
    ) -> _Frame:
        """Validate the overlays and compute what every layer shares: ONE heat scale and its colours."""
        lay, t, S = self.layout, self.tile, self.layout.n_states
        agent = None if agent is None else self._check_state("agent", agent)
        vals = None if values is None else self._state_array("values", values, np.float64)
        arrows = None if policy is None else self._check_policy(policy)
        qv = None
        if q is not None:
            qv = np.asarray(q, dtype=np.float64)
            if qv.shape != (S, 4):
                raise ValueError(f"q must have shape ({S}, 4) for this layout, got {qv.shape}")
        hl = None if highlight is None else self._state_array("highlight", highlight, bool)
        if value_range is not None:
            value_range = check_float("value_range", value_range, minimum=0.0)
            if value_range == 0:
                raise ValueError("value_range must be a positive number, got 0.0")
        if not isinstance(fmt, str) or "{" not in fmt:
            raise ValueError(f"fmt must be a format string such as '{{:.2f}}', got {plain(fmt)}")
        if numbers is not None:
            numbers = check_bool("numbers", numbers)
        shown = ~(lay.wall | lay.terminal)
        base = self._base_colors(tint_start=vals is None and qv is None)
        heat = qv if qv is not None else vals
        scale = _heat_scale(heat[shown] if heat is not None else None, value_range)
        colors, q_colors = base, None
        if qv is not None:  # (nrow, ncol, 4, 3): each triangle's colour; the square's own colour stays the board's
            q_colors = heat_colors(qv, scale).reshape(lay.nrow, lay.ncol, 4, 3)
            q_colors = np.where(shown.reshape(lay.nrow, lay.ncol)[:, :, None, None], q_colors, base[:, :, None, :])
        elif vals is not None:
            heat2d = heat_colors(vals, scale).reshape(lay.nrow, lay.ncol, 3)
            colors = np.where(shown.reshape(lay.nrow, lay.ncol)[:, :, None], heat2d, base)
        show_values = (
            vals is not None and qv is None and (numbers if numbers is not None else t >= _MIN_TILE_VALUE_NUMBERS)
        )
        show_q = qv is not None and (numbers if numbers is not None else t >= _MIN_TILE_Q_NUMBERS)
        return _Frame(agent, vals, arrows, qv, hl, shown, colors, q_colors, fmt, show_values, show_q)

    def _square_pixels(self, f: _Frame) -> np.ndarray:
        """Square-major packed pixels ``(nrow, ncol, t, t)`` uint32 of the square colours (or Q triangles)."""
        lay, t = self.layout, self.tile
        if f.q_colors is not None:
            pix = _pack(f.q_colors)[:, :, _triangle_index(t)]
            _stamp(pix, f.shown.reshape(lay.shape), _diagonal_mask(t, max(1, t // 48)), COLORS["grid"])
            return pix
        pix = np.empty((lay.nrow, lay.ncol, t, t), dtype=np.uint32)
        pix[...] = _pack(f.colors)[:, :, None, None]
        return pix

    def _stamp_overlays(self, pix: np.ndarray, f: _Frame) -> None:
        """Terminal borders, highlight frames, grid lines and arrows, stamped into the packed pixels."""
        lay, t = self.layout, self.tile
        if t >= _MIN_TILE_TERMINAL_FRAME:
            _stamp(pix, lay.terminal.reshape(lay.shape), _frame_mask(t, max(2, t // 20)), COLORS["terminal_border"])
        if f.highlight is not None:
            squares = f.highlight.reshape(lay.shape) & ~lay.wall.reshape(lay.shape)
            _stamp(pix, squares, _frame_mask(t, max(2, t // 12)), COLORS["highlight"])
        if t >= _MIN_TILE_GRID:
            lw = max(1, t // 64)
            grid_px = _pack(COLORS["grid"])
            pix[:, :, :lw] = grid_px
            pix[:, :, :, :lw] = grid_px
            pix[-1, :, t - lw :] = grid_px
            pix[:, -1, :, t - lw :] = grid_px
        if f.arrows is not None and t >= _MIN_TILE_ARROWS:
            style = "small" if f.q is not None else ("edge" if f.show_values else "full")
            ar = (f.arrows & f.shown[:, None]).reshape(lay.nrow, lay.ncol, 4).astype(np.uint8)
            code = ar[..., 0] | (ar[..., 1] << 1) | (ar[..., 2] << 2) | (ar[..., 3] << 3)  # 4-bit arrow set
            np.copyto(pix, _pack(COLORS["arrow"]), where=_arrow_sets(t, style)[code])

    def _draw_path_and_agent(self, surf: Any, origin: tuple[int, int], f: _Frame, trajectory: Any) -> None:
        pg, t = _pygame(), self.tile
        if trajectory is not None and len(trajectory) > 1:
            # a lane off the centre (left of the numbers, above the "down" arrow) keeps text readable
            dx, dy = -int(0.27 * t), int(0.27 * t)
            centres = (self.center(self._check_state("trajectory state", s), origin) for s in trajectory)
            pts = [(x + dx, y + dy) for x, y in centres]
            pg.draw.lines(surf, COLORS["trajectory"], False, pts, max(2, t // 18))
            for p in pts[:-1]:
                pg.draw.circle(surf, COLORS["trajectory"], p, max(2, t // 12))
        if f.agent is not None:
            ctr = self.center(f.agent, origin)
            rad = max(2, int(t * 0.3))
            pg.draw.circle(surf, COLORS["agent"], ctr, rad)
            if t >= _MIN_TILE_AGENT_OUTLINE:
                pg.draw.circle(surf, COLORS["agent_outline"], ctr, rad, max(2, t // 40))

    def _draw_terminal_labels(self, surf: Any, origin: tuple[int, int], f: _Frame) -> None:
        lay, t = self.layout, self.tile
        if t < _MIN_TILE_TERMINAL_LABEL:
            return
        labels = {ch: f"{r:+g}" for ch, r in lay.rewards.items()}
        h = self._fit_height(labels.values(), 0.34 * t, 0.8 * t)
        for s in np.flatnonzero(lay.terminal):
            r, c = divmod(int(s), lay.ncol)
            img = self.text(labels[str(lay.grid[r, c])], h, label_color(f.colors[r, c]))
            surf.blit(img, img.get_rect(center=self.center(int(s), origin)))

    def _draw_value_labels(self, surf: Any, origin: tuple[int, int], f: _Frame) -> None:
        assert f.values is not None
        t, ncol = self.tile, self.layout.ncol
        idx = np.flatnonzero(f.shown)
        labels = [_number(f.fmt, v) for v in f.values[idx]]
        h = self._fit_height(labels, 0.25 * t, (0.48 if f.arrows is not None else 0.86) * t)
        if h < _MIN_TEXT_PX:
            return
        for s, label in zip(idx, labels):
            r, c = divmod(int(s), ncol)
            color = COLORS["text_light"] if f.agent == s else label_color(f.colors[r, c])  # on the agent's disc
            img = self.text(label, h, color)
            surf.blit(img, img.get_rect(center=self.center(int(s), origin)))

    def _draw_q_labels(self, surf: Any, origin: tuple[int, int], f: _Frame) -> None:
        assert f.q is not None and f.q_colors is not None
        t, ncol = self.tile, self.layout.ncol
        idx = np.flatnonzero(f.shown)
        labels = [[_number(f.fmt, v) for v in f.q[s]] for s in idx]
        h = self._fit_height([x for row in labels for x in row], 0.15 * t, 0.27 * t)
        if h < _MIN_TEXT_PX:
            return
        for s, row in zip(idx, labels):
            cx, cy = self.center(int(s), origin)
            r, c = divmod(int(s), ncol)
            for a, (ox, oy) in enumerate(_Q_LABEL_OFFSETS):
                img = self.text(row[a], h, label_color(f.q_colors[r, c, a]))  # the triangle's own colour
                surf.blit(img, img.get_rect(center=(cx + ox * t, cy + oy * t)))

    def _draw_caption(self, surf: Any, caption: str, width: int, cap_h: int, caption_lines: int | None) -> None:
        lines, h = self._caption_lines(caption, width, caption_lines)
        step = (cap_h - 0.5 * h) / len(lines)
        y = 0.25 * h + (step - h) / 2
        for line in lines:
            img = self.text(line, h, COLORS["caption"])
            surf.blit(img, img.get_rect(midtop=(width // 2, int(y))))
            y += step

    def rgb_array(self, agent: int | None = None, **overlays: Any) -> np.ndarray:
        """The frame of :meth:`draw` as an ``(H, W, 3)`` uint8 array (headless-safe)."""
        return to_rgb_array(self.draw(agent, **overlays))

    # -- window -------------------------------------------------------------------------------------
    def show(self, agent: int | None = None, fps: float = 4, caption: str = "LectureGrid", **overlays: Any) -> bool:
        """Draw into a resizable :class:`Window` and wait to respect ``fps``.

        ``caption`` is drawn above the board and, its lines joined by " | ", is the window title.

        Returns False once the user has closed the window (later calls do nothing).
        """
        title = " | ".join(caption.split("\n"))
        if self._window is None:
            self._window = Window(title)
        if self._window.closed:
            return False
        frame = self.draw(agent, caption=caption, **overlays)
        self._window.present(frame, fps=fps, title=title)
        return not self._window.closed

    def close(self) -> None:
        """Close the window if one is open (idempotent)."""
        if self._window is not None:
            self._window.close()


@functools.lru_cache(maxsize=16)
def _renderer_for(layout: Layout, tile_size: int) -> GridRenderer:
    """A renderer per (layout, tile size), reused by :func:`render_values` (layouts are immutable and hashable)."""
    return GridRenderer(layout, tile_size)


def auto_tile_size(layout: Layout, max_side: int = 960) -> int:
    """Pixels per square so that the board's longer side is about ``max_side`` (4 to 160).

    Parameters
    ----------
    layout : Layout
        The grid.
    max_side : int
        Target length of the board's longer side, in pixels.

    Returns
    -------
    int
    """
    check_int("max_side", max_side, 1)
    return int(min(160, max(MIN_TILE_SIZE, max_side // max(layout.nrow, layout.ncol))))


def render_values(
    layout: LayoutLike,
    values: np.ndarray | None = None,
    policy: np.ndarray | None = None,
    *,
    q: np.ndarray | None = None,
    agent: int | None = None,
    trajectory: Sequence[int] | None = None,
    highlight: np.ndarray | None = None,
    caption: str | None = None,
    tile_size: int | None = None,
    numbers: bool | None = None,
    value_range: float | None = None,
    fmt: str = "{:.2f}",
) -> np.ndarray:
    """Draw values, a policy and other overlays on a layout, without an env.

    Parameters
    ----------
    layout : str, list of str or Layout
        A layout name, an ASCII map or a :class:`~gridworld_env.layouts.Layout`.
    values : array_like (S,), optional
        State values, e.g. ``PlanResult.values``: a diverging heat-map with numbers.
    policy : array_like (S,) int or (S, 4) bool, optional
        Arrows: ``PlanResult.policy``, or an (S, 4) bool mask (``planners.greedy_mask(result.q)``) to
        show every tie.  Without a policy no arrows are drawn: the renderer has no tie rule.
    q, agent, trajectory, highlight, caption, numbers, value_range, fmt
        See :meth:`GridRenderer.draw`.
    tile_size : int, optional
        Pixels per square (default: up to 160, so that the board is at most ~960 px wide).

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        The image; save it with :func:`save_png`.

    Examples
    --------
    >>> import numpy as np
    >>> img = render_values("lecture", np.linspace(-1, 1, 12), np.full(12, 3), tile_size=40)
    >>> img.shape, img.dtype
    ((120, 160, 3), dtype('uint8'))
    """
    lay = as_layout(layout)
    t = auto_tile_size(lay) if tile_size is None else tile_size
    return _renderer_for(lay, check_tile_size(t)).rgb_array(
        agent,
        values=values,
        policy=policy,
        q=q,
        trajectory=trajectory,
        highlight=highlight,
        caption=caption,
        numbers=numbers,
        value_range=value_range,
        fmt=fmt,
    )


# ---------------------------------------------------------------------------
# Window
# ---------------------------------------------------------------------------
class Window:
    """A resizable pygame window that shows frames letterboxed (aspect kept).

    Parameters
    ----------
    title : str
        Window title.
    size : (int, int), optional
        Initial size; default: the first frame's size.

    Notes
    -----
    :meth:`present` handles ``QUIT`` (the window closes and :attr:`closed` becomes True) and
    ``VIDEORESIZE`` itself and returns the input events (keys, mouse buttons) to the caller.  Mouse
    positions can be mapped back to frame pixels with :meth:`to_frame`.  :meth:`close` is
    idempotent.
    """

    def __init__(self, title: str = "LectureGrid", size: tuple[int, int] | None = None) -> None:
        self.title = str(title)
        self._size = size
        self._screen: Any = None
        self._clock: Any = None
        self._frame_size: tuple[int, int] | None = None
        self._rect: Any = None
        self._user_sized = size is not None
        self.closed = False

    def _open(self, frame_size: tuple[int, int]) -> None:
        pg = _pygame()
        pg.display.init()
        size = self._size or frame_size
        self._screen = pg.display.set_mode(size, pg.RESIZABLE)
        pg.display.set_caption(self.title)
        self._clock = pg.time.Clock()

    def present(self, frame: Any, fps: float | None = None, title: str | None = None) -> list:
        """Show a frame (Surface or (H, W, 3) array), wait for ``fps``, return unhandled events."""
        if self.closed:
            return []
        pg = _pygame()
        if not isinstance(frame, pg.Surface):
            arr = _as_rgb(frame)
            frame = pg.image.frombuffer(np.ascontiguousarray(arr).tobytes(), (arr.shape[1], arr.shape[0]), "RGB")
        if self._screen is None:
            self._open(frame.get_size())
        events = self.poll()
        if self.closed:
            return events
        if title is not None and title != self.title:
            self.title = title
            pg.display.set_caption(title)
        fw, fh = frame.get_size()
        if not self._user_sized and self._screen.get_size() != (fw, fh):
            self._screen = pg.display.set_mode((fw, fh), pg.RESIZABLE)  # follow the frame until resized
        screen = self._screen
        sw, sh = screen.get_size()
        scale = min(sw / fw, sh / fh)
        size = (max(1, int(fw * scale)), max(1, int(fh * scale)))
        if size != (fw, fh):
            frame = pg.transform.smoothscale(frame, size)
        self._frame_size = (fw, fh)
        self._rect = frame.get_rect(center=(sw // 2, sh // 2))
        screen.fill(COLORS["background"])
        screen.blit(frame, self._rect)
        pg.display.flip()
        if fps:
            self._clock.tick(fps)
        return events

    def poll(self) -> list:
        """Handle pending window events (close, resize) and return the input events (keys, mouse buttons)."""
        if self.closed or self._screen is None:
            return []
        pg = _pygame()
        wanted = (pg.KEYDOWN, pg.KEYUP, pg.MOUSEBUTTONDOWN, pg.MOUSEBUTTONUP, pg.MOUSEWHEEL)
        out: list[Any] = []
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.close()
                return out
            if event.type == pg.VIDEORESIZE:
                self._screen = pg.display.set_mode((max(event.w, 64), max(event.h, 64)), pg.RESIZABLE)
                self._user_sized = True
            elif event.type in wanted:
                out.append(event)
        return out

    def to_frame(self, pos: tuple[int, int]) -> tuple[float, float] | None:
        """Map a window position (e.g. a click) to frame pixel coordinates (None if outside it)."""
        if self._rect is None or self._frame_size is None:
            return None
        x, y = pos[0] - self._rect.x, pos[1] - self._rect.y
        if not (0 <= x < self._rect.w and 0 <= y < self._rect.h):
            return None
        return x * self._frame_size[0] / self._rect.w, y * self._frame_size[1] / self._rect.h

    def close(self) -> None:
        """Close the window (idempotent)."""
        if self._screen is not None:
            _pygame().display.quit()
            self._screen = None
        self.closed = True
