"""Pictures of samples without matplotlib: image grids and 2-D scatter plots as Pillow images.

All functions return a :class:`PIL.Image.Image`; save it with ``.save("file.png")``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["FONT_SIZE", "PALETTE", "fitted_font", "font", "image_grid", "scatter", "side_by_side"]

#: Default text height in pixels: readable on a projected slide.
FONT_SIZE = 22


def font(size: int = FONT_SIZE) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font at ``size`` pixels (the fixed bitmap font on old Pillow)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no size argument
        return ImageFont.load_default()


def fitted_font(text: str, width: float, size: int = FONT_SIZE, smallest: int = 10):
    """The largest :func:`font` of at most ``size`` pixels in which ``text`` fits ``width`` pixels."""
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    while size > smallest and probe.textlength(text, font=font(size)) > width:
        size -= 1
    return font(size)


# Ten distinguishable colours (Tableau 10), one per digit class.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def image_grid(images: np.ndarray, ncol: int | None = None, scale: int = 4, pad: int = 1) -> Image.Image:
    """Tile images into one picture.

    Parameters
    ----------
    images : array (n, H, W) or (n, H, W, C), C in {1, 3, 4}
        Values in ``[0, 1]`` (clipped).
    ncol : int, optional
        Images per row (default ``ceil(sqrt(n))``).
    scale : int
        Pixel magnification (nearest neighbour), e.g. 4 for 8x8 digits.
    pad : int
        Gap between images in (unscaled) pixels, drawn mid-grey.
    """
    a = np.asarray(images, dtype=np.float32)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (3, 4) or len(a) == 0 or (a.ndim == 4 and a.shape[-1] not in (3, 4)):
        raise ValueError(f"images must have shape (n, H, W) or (n, H, W, C), C in 1/3/4, got {a.shape}")
    if scale < 1 or pad < 0:
        raise ValueError(f"scale must be >= 1 and pad >= 0, got scale={scale}, pad={pad}")
    n, h, w = a.shape[:3]
    ncol = ncol or math.ceil(math.sqrt(n))
    if ncol < 1:
        raise ValueError(f"ncol must be >= 1, got {ncol}")
    nrow = math.ceil(n / ncol)
    c = 1 if a.ndim == 3 else 3
    canvas = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), 0.5, np.float32)
    for k in range(n):
        r, q = divmod(k, ncol)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        img = a[k] if a.ndim == 4 else a[k][..., None]
        canvas[y : y + h, x : x + w] = img[..., :3]
    pix = (np.clip(canvas, 0, 1) * 255 + 0.5).astype(np.uint8)
    im = Image.fromarray(pix[..., 0] if c == 1 else pix, "L" if c == 1 else "RGB")
    return im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)


def scatter(
    sets: Sequence[tuple[np.ndarray, tuple[int, int, int]]],
    size: int = 480,
    extent: tuple[float, float, float, float] | None = None,
    radius: int = 1,
    title: str = "",
    markers: np.ndarray | None = None,
) -> Image.Image:
    """Scatter plot of 2-D point sets, each in one colour, drawn in order (later on top).

    Parameters
    ----------
    sets : sequence of (points (n, 2), (r, g, b))
    size : int
        Width and height of the plot in pixels.
    extent : (xmin, xmax, ymin, ymax), optional
        Default: the points' bounding box, squared and padded by 10%.
    radius : int
        Dot radius in pixels (0 = single pixels).
    title : str
        Drawn at the top left.
    markers : array (m, 2), optional
        Points marked with small crosses (e.g. mixture centres).
    """
    pts = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p, _ in sets]
    if extent is None:
        allp = np.concatenate([p for p in pts if len(p)] or [np.zeros((1, 2))])
        allp = allp[np.isfinite(allp).all(1)]
        lo, hi = (allp.min(0), allp.max(0)) if len(allp) else (np.zeros(2) - 1, np.zeros(2) + 1)
        mid, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-6) * 1.1
        extent = (mid[0] - half, mid[0] + half, mid[1] - half, mid[1] + half)
    x0, x1, y0, y1 = extent
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"extent must satisfy xmin < xmax and ymin < ymax, got {extent}")
    im = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(im)

    def px(p: np.ndarray) -> np.ndarray:
        return np.stack([(p[:, 0] - x0) / (x1 - x0) * (size - 1), (y1 - p[:, 1]) / (y1 - y0) * (size - 1)], 1)

    # axes through the origin, if visible
    if x0 < 0 < x1:
        u = px(np.array([[0.0, 0.0]]))[0, 0]
        d.line([(u, 0), (u, size)], fill=(225, 225, 225))
    if y0 < 0 < y1:
        v = px(np.array([[0.0, 0.0]]))[0, 1]
        d.line([(0, v), (size, v)], fill=(225, 225, 225))
    for p, (_, color) in zip(pts, sets):
        for u, v in px(p[np.isfinite(p).all(1)]):
            if radius:
                d.ellipse([u - radius, v - radius, u + radius, v + radius], fill=tuple(color))
            else:
                d.point((u, v), fill=tuple(color))
    if markers is not None:
        for u, v in px(np.asarray(markers, dtype=np.float64).reshape(-1, 2)):
            d.line([(u - 4, v), (u + 4, v)], fill=(0, 0, 0))
            d.line([(u, v - 4), (u, v + 4)], fill=(0, 0, 0))
    if title:
        d.text((6, 4), title, fill=(0, 0, 0), font=fitted_font(title, size - 12))
    return im


def side_by_side(
    images: Sequence[Image.Image], titles: Sequence[str] = (), gap: int = 8, title_height: int = FONT_SIZE + 10
) -> Image.Image:
    """Place pictures next to each other on white, with an optional title above each."""
    if not images:
        raise ValueError("side_by_side needs at least one image")
    top = title_height if titles else 0
    w = sum(i.width for i in images) + gap * (len(images) + 1)
    h = max(i.height for i in images) + top + 2 * gap
    out = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(out)
    x = gap
    for k, img in enumerate(images):
        out.paste(img.convert("RGB"), (x, gap + top))
        if k < len(titles):
            d.text((x, gap), titles[k], fill=(0, 0, 0), font=fitted_font(titles[k], img.width))
        x += img.width + gap
    return out
