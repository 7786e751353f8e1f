"""The env's rgb_array and human rendering, and the window's event handling (SDL dummy driver)."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pygame
import pytest

import gridworld_env
from gridworld_env import DOWN, RIGHT, UP
from gridworld_env.render import COLORS, GridRenderer, Window


def square(frame, t, row, col, fy=0.5):
    return tuple(int(v) for v in frame[int(row * t + fy * t), int(col * t + 0.5 * t)])


def test_rgb_array_follows_the_agent():
    env = gym.make("LectureGrid-v0", render_mode="rgb_array", tile_size=32)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (96, 128, 3) and frame.dtype == np.uint8
    assert square(frame, 32, 2, 0) == COLORS["agent"]
    assert square(frame, 32, 1, 1) == COLORS["wall"]
    env.step(UP)
    env.step(UP)
    env.step(RIGHT)
    frame = env.render()
    assert square(frame, 32, 0, 1) == COLORS["agent"]
    assert square(frame, 32, 2, 0) == COLORS["start"]
    env.close()
    env.close()  # idempotent


def test_human_mode_opens_a_window_with_the_settings_in_its_title():
    env = gym.make("LectureGrid-v0", render_mode="human", living_reward=-0.5, slip=0.2, tile_size=32)
    env.unwrapped.metadata = dict(env.unwrapped.metadata, render_fps=1000)
    env.reset(seed=0)
    env.step(DOWN)
    title = pygame.display.get_caption()[0]
    assert "living reward -0.5" in title and "slip 0.2" in title and "down" in title
    shown = pygame.surfarray.array3d(pygame.display.get_surface()).transpose(1, 0, 2)
    assert (shown.reshape(-1, 3) == COLORS["agent"]).all(axis=1).any()
    env.close()
    env.close()  # idempotent
    assert not pygame.display.get_init()


def test_window_handles_quit_and_resize_and_keeps_the_aspect():
    r = GridRenderer(gridworld_env.get_layout("lecture"), 40)
    frame = r.draw(agent=8)
    w = Window("test")
    assert w.present(frame) == []
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=640, h=200, size=(640, 200)))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a, mod=0, unicode="a", scancode=0))
    events = w.present(frame)
    assert [e.type for e in events] == [pygame.KEYDOWN]  # the resize was handled, the key returned
    assert pygame.display.get_surface().get_size() == (640, 200)
    # letterboxed: 160x120 frame scaled by 200/120 to 267x200, centred in 640x200
    assert w.to_frame((320, 100)) == pytest.approx((80, 60), abs=1)
    assert w.to_frame((10, 100)) is None
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    w.present(frame)
    assert w.closed and not pygame.display.get_init()
    assert w.present(frame) == []  # closed: nothing more happens
    w.close()  # idempotent


def test_show_returns_false_after_the_window_is_closed_and_paces_frames():
    r = GridRenderer(gridworld_env.get_layout("lecture"), 16)
    t0 = time.perf_counter()
    for _ in range(4):
        assert r.show(agent=8, fps=25, caption="pace")
    assert time.perf_counter() - t0 >= 3 / 25 * 0.9  # frames 2..4 each waited for 1/25 s
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert r.show(agent=8) is False
    assert r.show(agent=8) is False
    r.close()
    r.close()
