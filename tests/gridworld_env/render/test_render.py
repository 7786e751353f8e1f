"""Pixel checks of the renderer (headless, SDL dummy driver).

Truth comes from outside the renderer: a few lines of numpy value iteration on the model
arrays (the 4x3 world's optimal actions are textbook: Russell & Norvig, Fig. 17.2), the colour
table ``COLORS`` and the geometry of squares (``row * tile``, ``col * tile``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from gridworld_env import build_model, get_layout
from gridworld_env.render import (
    COLORS,
    GridRenderer,
    heat_colors,
    render_values,
    save_animation,
    save_png,
)

UP, DOWN, LEFT, RIGHT = range(4)
RAYS = {UP: (0, -1), DOWN: (0, 1), LEFT: (-1, 0), RIGHT: (1, 0)}
LAY = get_layout("lecture")


def value_iteration(layout, living_reward=-0.04, slip=0.2, gamma=1.0):
    """Plain numpy value iteration to 1e-13 on the model arrays: (V, Q)."""
    m = build_model(layout, living_reward, slip)
    V = np.zeros(m.n_states)
    for _ in range(10_000):
        Q = np.einsum("sak,sak->sa", m.prob, m.reward + gamma * V[m.next_state])
        new = np.where(m.absorbing, 0.0, Q.max(axis=1))
        done = np.abs(new - V).max() < 1e-13
        V = new
        if done:
            break
    Q = np.einsum("sak,sak->sa", m.prob, m.reward + gamma * V[m.next_state])
    return V, Q


def ties(q, atol=1e-9):
    """(S, 4) bool: the actions within ``atol`` of each state's best (the renderer draws masks as given)."""
    return q >= q.max(axis=1, keepdims=True) - atol


def pixel(img, t, state, fx=0.5, fy=0.5, top=0):
    """RGB at fraction (fx, fy) of the square of ``state`` (board starting at row ``top``)."""
    r, c = divmod(state, LAY.ncol)
    return tuple(int(v) for v in img[top + int(r * t + fy * t), int(c * t + fx * t)])


def ray_hits(img, t, state, action, top=0):
    """How many samples along the ray from the square's centre towards ``action`` are arrow-coloured.

    Samples run from 0.32 to 0.42 tiles from the centre: beyond any centred number, inside the square.
    """
    dx, dy = RAYS[action]
    hits = 0
    for f in np.linspace(0.32, 0.42, 6):
        px = pixel(img, t, state, 0.5 + dx * f, 0.5 + dy * f, top)
        hits += px == COLORS["arrow"]
    return hits


def test_agent_and_wall_colours_on_the_board():
    t = 64
    img = GridRenderer(LAY, t).rgb_array(agent=9)
    assert img.shape == (3 * t, 4 * t, 3)
    assert pixel(img, t, 9) == COLORS["agent"]
    assert pixel(img, t, 5) == COLORS["wall"]  # (1, 1) is the 4x3 world's wall
    assert pixel(img, t, 5, 0.2, 0.8) == COLORS["wall"]
    assert pixel(img, t, 8) == COLORS["start"]  # start square tinted on the bare board
    assert pixel(img, t, 2) == COLORS["floor"]
    assert pixel(img, t, 3, 0.5, 0.15) == COLORS["positive"]  # the +1 exit (off its label)
    assert pixel(img, t, 7, 0.5, 0.15) == COLORS["negative"]
    # moving the agent moves the disc
    img2 = GridRenderer(LAY, t).rgb_array(agent=0)
    assert pixel(img2, t, 0) == COLORS["agent"] and pixel(img2, t, 9) == COLORS["floor"]


def test_agent_and_wall_with_all_overlays_and_caption():
    V, Q = value_iteration(LAY)
    t = 120
    r = GridRenderer(LAY, t)
    cap = "living reward -0.04, slip 0.2, gamma 1, iteration 20"
    img = r.rgb_array(agent=8, values=V, policy=ties(Q), trajectory=[8, 4, 0], caption=cap)
    top = r.caption_height(cap)
    assert top > 0 and img.shape == (top + 3 * t, 4 * t, 3)
    assert tuple(img[2, 2]) == COLORS["background"]
    band = img[:top].reshape(-1, 3)
    assert (band == COLORS["caption"]).all(axis=1).sum() > 50  # the caption's text
    # agent disc under the value printed on it: sample below the number
    assert pixel(img, t, 8, 0.5, 0.72, top) == COLORS["agent"]
    assert pixel(img, t, 5, 0.5, 0.5, top) == COLORS["wall"]
    # trajectory 8 -> 4 -> 0: a vertical line in the lane 0.27 tiles left of the centres,
    # crossing the top of square 4, then ending on square 0's lower-left lane point
    lane = 0.5 - 0.27
    assert pixel(img, t, 4, lane, 0.05, top) == COLORS["trajectory"]
    assert pixel(img, t, 8, lane, 0.05, top) == COLORS["trajectory"]
    assert pixel(img, t, 0, lane, 0.05, top) != COLORS["trajectory"]  # the path ends at 0's lane point
    assert pixel(img, t, 4, 0.5, 0.05, top) != COLORS["trajectory"]


@pytest.mark.parametrize("slip,tile,numbers", [(0.2, 120, True), (0.2, 40, False), (0.0, 120, True), (0.0, 64, False)])
def test_arrows_point_along_the_optimal_action(slip, tile, numbers):
    V, Q = value_iteration(LAY, slip=slip)
    policy = Q.argmax(axis=1)
    # textbook optimal actions (R&N Fig. 17.2 for slip 0.2; the only shortest paths for slip 0)
    assert policy[2] == RIGHT and policy[6] == UP
    if slip:
        assert policy[11] == LEFT and policy[10] == LEFT and policy[9] == LEFT
    img = render_values(LAY, V, policy, tile_size=tile, numbers=numbers)
    for s, a in [(2, RIGHT), (6, UP), (1, RIGHT), (4, UP)] + ([(11, LEFT), (10, LEFT)] if slip else []):
        assert ray_hits(img, tile, s, a) >= 5, (s, a)
        for other in set(range(4)) - {a}:
            assert ray_hits(img, tile, s, other) == 0, (s, a, other)
    for s in (3, 5, 7):  # terminals and the wall carry no arrow
        assert all(ray_hits(img, tile, s, a) == 0 for a in range(4))


def test_ties_draw_every_maximising_action():
    # deterministic, gamma 1: from the start (2, 0) going up first and going right first are
    # both 5-step shortest paths to +1, and both are optimal
    V, Q = value_iteration(LAY, slip=0.0)
    mask = ties(Q)
    assert mask[8].tolist() == [True, False, False, True]
    img = render_values(LAY, V, mask, tile_size=96)
    assert ray_hits(img, 96, 8, UP) >= 5 and ray_hits(img, 96, 8, RIGHT) >= 5
    assert ray_hits(img, 96, 8, DOWN) == 0 and ray_hits(img, 96, 8, LEFT) == 0


def test_heat_map_colours_are_ordered_as_the_values():
    V, _ = value_iteration(LAY)
    t = 48
    img = render_values(LAY, V, tile_size=t, numbers=False)
    free = np.flatnonzero(LAY.free)
    score = {}
    for s in free:
        r, g, b = pixel(img, t, s, 0.25, 0.25)
        score[s] = g - r  # strictly increasing in the value along the diverging map
    vmax = np.abs(V[free]).max()
    for a in free:
        for b in free:
            if V[a] <= V[b]:
                assert score[a] <= score[b], (a, b)
            if V[a] < V[b] - 0.02 * vmax:  # apart by more than uint8 rounding: strictly ordered
                assert score[a] < score[b], (a, b)
    # the largest |value| gets the extreme colour, 0 the middle one
    best = free[np.argmax(V[free])]
    assert pixel(img, t, best, 0.25, 0.25) == COLORS["heat_high"]
    vals = np.zeros(12)
    vals[[0, 1]] = [-2.0, 1.0]
    img = render_values(LAY, vals, tile_size=t, numbers=False)
    assert pixel(img, t, 0, 0.25, 0.25) == COLORS["heat_low"]
    assert pixel(img, t, 2, 0.25, 0.25) == COLORS["heat_mid"]
    assert pixel(img, t, 1, 0.25, 0.25) == tuple(
        int(round(m + (h - m) * 0.5)) for m, h in zip(COLORS["heat_mid"], COLORS["heat_high"])
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30, unique=True))
def test_heat_colours_monotone(values):
    v = np.sort(np.array(values))
    col = heat_colors(v).astype(int)
    neg, pos = v <= 0, v >= 0
    # towards white as a negative value rises to 0, away from white as a positive one grows
    assert np.all(np.diff(col[neg], axis=0) >= 0)
    assert np.all(np.diff(col[pos], axis=0) <= 0)
    score = col[:, 1] - col[:, 0]  # green minus red: the sign of the value
    assert np.all(score[v > 0] >= 0) and np.all(score[v < 0] <= 0)
    assert tuple(col[np.argmax(np.abs(v))]) == (
        COLORS["heat_high"] if v[np.argmax(np.abs(v))] > 0 else COLORS["heat_low"]
    )


def test_q_triangles_colour_and_the_best_action():
    V, Q = value_iteration(LAY)
    t = 160
    img = render_values(LAY, V, ties(Q), q=Q, tile_size=t)
    where = {UP: (0.5, 0.05), DOWN: (0.5, 0.95), LEFT: (0.12, 0.32), RIGHT: (0.88, 0.32)}  # off the labels
    for s in np.flatnonzero(LAY.free):
        cols = {a: pixel(img, t, s, *where[a]) for a in range(4)}
        expect = heat_colors(Q[LAY.free], np.abs(Q[LAY.free]).max())
        row = int(np.flatnonzero(np.flatnonzero(LAY.free) == s)[0])
        for a in range(4):
            assert cols[a] == tuple(int(x) for x in expect[row, a]), (s, a)
        greenest = max(range(4), key=lambda a: cols[a][1] - cols[a][0])
        assert greenest == int(np.argmax(Q[s]))


def test_highlight_frames_squares():
    t = 64
    hl = np.zeros(12, dtype=bool)
    hl[[2, 5]] = True  # 5 is a wall: never highlighted
    img = render_values(LAY, np.zeros(12), highlight=hl, tile_size=t, numbers=False)
    assert pixel(img, t, 2, 0.5, 0.04) == COLORS["highlight"]
    assert pixel(img, t, 1, 0.5, 0.04) != COLORS["highlight"]
    assert pixel(img, t, 5, 0.5, 0.04) == COLORS["wall"]


def test_large_grid_renders_with_every_overlay():
    lay = get_layout("open:200x200")
    rng = np.random.default_rng(0)
    values = rng.normal(size=lay.n_states)
    policy = rng.integers(0, 4, size=lay.n_states)
    img = render_values(lay, values, policy, agent=0, caption="open 200x200")
    t = 4  # auto tile: 960 // 200
    assert img.shape[1] == 200 * t and img.shape[0] > 200 * t
    top = img.shape[0] - 200 * t
    s = 200 * 57 + 123
    r, c = divmod(s, 200)
    assert tuple(img[top + r * t + 1, c * t + 1]) == tuple(heat_colors(values[:-1], np.abs(values[:-1]).max())[s])


def test_bad_inputs_are_rejected_with_the_value():
    r = GridRenderer(LAY, 32)
    with pytest.raises(ValueError, match=r"\(12,\)"):
        r.draw(values=np.zeros(5))
    with pytest.raises(ValueError, match="policy\\[3\\] = 7"):
        r.draw(policy=np.array([0, 0, 0, 7] + [0] * 8))
    with pytest.raises(ValueError, match="policy"):
        r.draw(policy=np.zeros(12, dtype=float))
    with pytest.raises(ValueError, match="agent .* 12"):
        r.draw(agent=12)
    with pytest.raises(ValueError, match="q must"):
        r.draw(q=np.zeros((12, 3)))
    with pytest.raises(ValueError, match="tile_size"):
        GridRenderer(LAY, 2)
    with pytest.raises(ValueError, match="value_range"):
        r.draw(values=np.zeros(12), value_range=-1.0)
    with pytest.raises(ValueError, match="layout"):
        render_values("no-such-layout")


def test_png_and_gif_round_trip(tmp_path):
    V, Q = value_iteration(LAY)
    frames = [render_values(LAY, V * k / 3, Q.argmax(1), agent=s, tile_size=48) for k, s in enumerate([8, 4, 0, 1])]
    png = save_png(frames[0], tmp_path / "a" / "frame.png")
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")), frames[0])
    gif = save_animation(frames, tmp_path / "ep.gif", fps=5)
    with Image.open(gif) as im:
        assert im.n_frames == 4
        assert im.info["duration"] == 200
        im.seek(2)
        got = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(got - frames[2]).mean() < 2.0
    with pytest.raises(ValueError, match="format"):
        save_animation(frames, tmp_path / "x.avi")
    with pytest.raises(ValueError, match="same shape"):
        save_animation([frames[0], frames[0][:10]], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="fps"):
        save_animation(frames, tmp_path / "x.gif", fps=0)
    with pytest.raises(ValueError, match="png"):
        save_png(frames[0], tmp_path / "x.jpg")


def test_mp4_without_imageio_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "imageio", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "imageio.v3", None)
    frame = render_values(LAY, tile_size=16)
    with pytest.raises(ValueError, match="imageio"):
        save_animation([frame, frame], tmp_path / "ep.mp4")


def _luma(rgb):
    r, g, b = (float(x) for x in rgb)
    return 0.299 * r + 0.587 * g + 0.114 * b


@pytest.mark.parametrize("slip, living_reward", [(0.2, -0.04), (0.0, -0.04), (0.2, -0.4)])
def test_q_labels_contrast_with_their_own_triangle(slip, living_reward):
    """Issue 14: the labels' colours came from a third heat scale (``max(initial=1.0)``) that disagreed
    with the triangles' scale, so in the 4x3 world labels were dark on dark triangles."""
    _, Q = value_iteration(LAY, living_reward=living_reward, slip=slip)
    t = 160
    plain = render_values(LAY, q=Q, tile_size=t, numbers=False)
    text = render_values(LAY, q=Q, tile_size=t, numbers=True)
    changed = (plain != text).any(axis=2)
    offsets = {UP: (0.0, -0.33), DOWN: (0.0, 0.33), LEFT: (-0.335, 0.0), RIGHT: (0.335, 0.0)}
    dark_seen = light_seen = 0
    for s in np.flatnonzero(LAY.free):
        r, c = divmod(int(s), LAY.ncol)
        for a, (ox, oy) in offsets.items():
            x, y = int(c * t + (0.5 + ox) * t), int(r * t + (0.5 + oy) * t)
            win = (slice(y - int(0.06 * t), y + int(0.06 * t)), slice(x - int(0.1 * t), x + int(0.1 * t)))
            bg = _luma(plain[y, x - int(0.1 * t)])  # the triangle beside the label
            lum = 0.299 * text[win][..., 0] + 0.587 * text[win][..., 1] + 0.114 * text[win][..., 2]
            ink = lum[changed[win]]
            assert ink.size > 20, (s, a)  # a label is there
            if bg < 140:  # dark triangle: light text, brighter than the triangle
                dark_seen += 1
                assert ink.max() > bg + 60, (s, a, bg, ink.max())
            else:
                light_seen += 1
                assert ink.min() < bg - 60, (s, a, bg, ink.min())
    assert dark_seen + light_seen == 4 * LAY.free.sum() and dark_seen > 0  # every label; the dark case (the bug's)


@pytest.mark.parametrize("values", [np.linspace(-1, 1, 12), np.linspace(-0.3, 0.05, 12), np.full(12, 0.7)])
def test_value_labels_contrast_with_their_square(values):
    """The value labels take their colour from the very heat colour drawn under them (one scale)."""
    t = 100
    plain = render_values(LAY, values, tile_size=t, numbers=False)
    text = render_values(LAY, values, tile_size=t, numbers=True)
    changed = (plain != text).any(axis=2)
    for s in np.flatnonzero(LAY.free):
        r, c = divmod(int(s), LAY.ncol)
        win = (slice(r * t + int(0.35 * t), r * t + int(0.65 * t)), slice(c * t + int(0.1 * t), c * t + int(0.9 * t)))
        bg = _luma(plain[r * t + t // 2, c * t + int(0.08 * t)])
        lum = 0.299 * text[win][..., 0] + 0.587 * text[win][..., 1] + 0.114 * text[win][..., 2]
        ink = lum[changed[win]]
        assert ink.size > 20, s
        assert (ink.max() > bg + 60) if bg < 140 else (ink.min() < bg - 60), (s, bg)
