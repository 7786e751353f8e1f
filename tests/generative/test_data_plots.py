"""Picture helpers (Pillow, no matplotlib) and the moons set, checked pixel by pixel / by geometry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generative.data import load_dataset, sample_moons
from generative.plots import image_grid, scatter, side_by_side


def test_image_grid_places_each_image_in_its_cell():
    imgs = np.zeros((3, 2, 2), np.float32)
    imgs[0] = 1.0
    imgs[2, 1, 0] = 0.5
    im = np.asarray(image_grid(imgs, ncol=2, scale=1, pad=1))
    assert im.shape == (2 * 3 + 1, 2 * 3 + 1)  # 2 rows x 2 columns of 2x2 cells with 1-pixel gaps
    assert (im[1:3, 1:3] == 255).all()  # image 0 white at the top left
    assert (im[1:3, 4:6] == 0).all()  # image 1 black at the top right
    assert im[5, 1] == 128 and im[4, 1] == 0  # image 2's single grey pixel, second row
    assert im[0, 0] == 128  # the gaps are mid-grey
    assert image_grid(imgs, scale=4).size == (4 * 7, 4 * 7)
    with pytest.raises(ValueError, match=r"got \(3, 2\)"):
        image_grid(np.zeros((3, 2)))


def test_scatter_draws_points_where_the_extent_says():
    im = np.asarray(
        scatter([(np.array([[0.0, 0.0], [1.0, 1.0]]), (255, 0, 0))], size=101, extent=(-1, 1, -1, 1), radius=0)
    )
    assert tuple(im[50, 50]) == (255, 0, 0)  # the origin at the centre
    assert tuple(im[0, 100]) == (255, 0, 0)  # (1, 1) at the top right
    assert tuple(im[75, 25]) == (255, 255, 255)
    with pytest.raises(ValueError, match="extent"):
        scatter([(np.zeros((1, 2)), (0, 0, 0))], extent=(1, 0, 0, 1))
    assert side_by_side([scatter([], size=10), scatter([], size=20)], gap=2).size == (10 + 20 + 3 * 2, 20 + 2 * 2)


def test_moons_lie_on_the_two_half_circles():
    x = sample_moons(20_000, torch.Generator().manual_seed(0), noise=0.0).double().numpy()
    upper = np.abs(np.hypot(x[:, 0], x[:, 1]) - 1) < 1e-6
    lower = np.abs(np.hypot(x[:, 0] - 1, x[:, 1] - 0.5) - 1) < 1e-6
    assert (upper | lower).all() and abs(upper.mean() - 0.5) < 0.02
    assert (x[upper, 1] >= -1e-7).all() and (x[lower, 1] <= 0.5 + 1e-7).all()
    noisy = load_dataset("moons:noise=0.05")
    assert noisy.test.shape == (10_000, 2) and not noisy.info.bounded
