"""Mode-coverage metrics on hand-made sample sets: exact counts, against the published definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generative import metrics as M
from generative.data import grid_centers, load_dataset, ring_centers

RING = ring_centers()
GRID = grid_centers()


def test_centres_match_the_datasets():
    np.testing.assert_allclose(RING, ring_centers(), atol=1e-12)
    np.testing.assert_allclose(GRID, grid_centers(), atol=1e-12)
    # grid25: (-4 + 2i, -4 + 2j), row 5i + j
    assert GRID[5 * 1 + 3].tolist() == [-2.0, 2.0]
    np.testing.assert_allclose(RING[2], [0.0, 2.0], atol=1e-15)


def _around(centres, k_per_mode, dist, rng):
    """k points per centre at exactly ``dist`` from it, in random directions."""
    ang = rng.uniform(0, 2 * np.pi, size=(len(centres), k_per_mode))
    off = dist * np.stack([np.cos(ang), np.sin(ang)], axis=-1)
    return (centres[:, None, :] + off).reshape(-1, 2)


def test_all_modes_exact_counts_and_zero_kl():
    rng = np.random.default_rng(0)
    x = _around(RING, 7, 2.9 * 0.02, rng)  # every point within 3 std of its own centre
    cov = M.ring8_coverage(x)
    assert cov.counts.tolist() == [7] * 8
    assert (cov.modes_covered, cov.n_high_quality, cov.high_quality) == (8, 56, 1.0)
    assert cov.kl_uniform == pytest.approx(0.0, abs=1e-15)


def test_one_mode_gives_one_mode_and_kl_log_k():
    rng = np.random.default_rng(1)
    x = _around(RING[3:4], 50, 0.01, rng)
    cov = M.ring8_coverage(x)
    assert cov.counts.tolist() == [0, 0, 0, 50, 0, 0, 0, 0]
    assert cov.modes_covered == 1 and cov.high_quality == 1.0
    assert cov.kl_uniform == pytest.approx(math.log(8), abs=1e-14)


def test_off_mode_noise_is_not_high_quality():
    rng = np.random.default_rng(2)
    good = _around(RING[:2], 10, 2.5 * 0.02, rng)  # 20 good points on modes 0 and 1
    near_miss = _around(RING, 3, 3.2 * 0.02, rng)  # just outside 3 std: 24 bad points
    between = (RING + np.roll(RING, -1, axis=0)) / 2  # midpoints of the ring: 8 bad points
    origin = np.zeros((4, 2))  # centre of the ring: 4 bad points
    cov = M.ring8_coverage(np.concatenate([good, near_miss, between, origin]))
    assert cov.counts.tolist() == [10, 10, 0, 0, 0, 0, 0, 0]
    assert cov.n_samples == 56 and cov.n_high_quality == 20
    assert cov.high_quality == 20 / 56
    assert cov.modes_covered == 2
    assert cov.kl_uniform == pytest.approx(math.log(4), abs=1e-14)  # h = (1/2, 1/2, 0...) vs 1/8


def test_min_count_rule_and_the_threshold_is_strict():
    x = np.array([RING[0], RING[1], RING[1], RING[2] + [0.06 - 1e-9, 0], RING[3] + [0.06 + 1e-9, 0]])
    cov = M.ring8_coverage(x)
    assert cov.counts.tolist() == [1, 2, 1, 0, 0, 0, 0, 0]
    assert cov.modes_covered == 3  # VEEGAN/PacGAN: one high-quality sample captures a mode
    assert M.ring8_coverage(x, min_count=2).modes_covered == 1


def test_grid25_all_modes_and_midpoints():
    rng = np.random.default_rng(3)
    on = _around(GRID, 4, 2.0 * 0.05, rng)
    mid = GRID[:-1] + [1.0, 0.0]  # halfway between horizontal neighbours: 20 std away
    cov = M.grid25_coverage(np.concatenate([on, mid]))
    assert cov.counts.tolist() == [4] * 25
    assert cov.modes_covered == 25 and cov.high_quality == 100 / 124


def test_true_mixture_scores_the_rayleigh_ceiling():
    # radius of a 2-D isotropic Gaussian: P(|x - mu| < 3 std) = 1 - exp(-9/2)
    rng = np.random.default_rng(4)
    n = 200_000
    x = GRID[rng.integers(0, 25, n)] + 0.05 * rng.standard_normal((n, 2))
    cov = M.grid25_coverage(x)
    p = 1 - math.exp(-4.5)
    assert abs(cov.high_quality - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert cov.modes_covered == 25 and cov.kl_uniform < 1e-3


def test_custom_geometry_is_honoured():
    c = ring_centers(4, radius=5.0)
    np.testing.assert_allclose(c, [[5, 0], [0, 5], [-5, 0], [0, -5]], atol=1e-12)
    x = np.array([[5.2, 0.0], [0.0, 5.4]])
    assert M.ring8_coverage(x, n_modes=4, radius=5.0, std=0.1).counts.tolist() == [1, 0, 0, 0]
    assert M.ring8_coverage(x, n_modes=4, radius=5.0, std=0.2).counts.tolist() == [1, 1, 0, 0]


def test_kl_to_uniform_by_hand():
    assert M.kl_to_uniform([1, 3]) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5), abs=1e-15)
    assert M.kl_to_uniform([0, 0, 5]) == pytest.approx(math.log(3), abs=1e-15)
    assert M.kl_to_uniform([0, 0]) == math.inf


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: M.mode_coverage(np.zeros((3, 3)), RING, 0.02), "dimension"),
        (lambda: M.mode_coverage(np.zeros((3, 2)), RING, -1.0), "std"),
        (lambda: M.mode_coverage(np.full((3, 2), np.nan), RING, 0.02), "non-finite"),
        (lambda: M.mode_coverage(np.zeros((0, 2)), RING, 0.02), "non-empty"),
        (lambda: M.ring8_coverage(np.zeros((3, 2)), min_count=0), "min_count"),
        (lambda: M.kl_to_uniform([1, -1]), "non-negative"),
        (lambda: M.dataset_coverage("moons", np.zeros((3, 2))), "moons"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_digit_classifier_is_accurate_cached_and_counts_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREGRID_CACHE", str(tmp_path))
    clf = M.digit_classifier()
    files = list(tmp_path.glob("digits_classifier_*.npz"))
    assert len(files) == 1
    again = M.digit_classifier()  # from the cache: the same weights
    np.testing.assert_array_equal(again.w1, clf.w1)
    d = load_dataset("digits")
    x, y = d.test.numpy(), d.test_labels.numpy()
    assert clf.test_accuracy > 0.95
    assert (clf.predict(x) == y).mean() == pytest.approx(clf.test_accuracy)
    # all classes present in the test set -> 10 classes covered
    assert M.digit_coverage(x, clf).modes_covered == 10
    # 100 copies of one correctly classified 3 -> exactly one class, KL = log 10
    three = x[(y == 3) & (clf.predict(x) == 3)][0]
    cov = M.digit_coverage(np.repeat(three[None], 100, axis=0), clf)
    assert cov.counts.tolist() == [0, 0, 0, 100, 0, 0, 0, 0, 0, 0]
    assert cov.modes_covered == 1 and cov.kl_uniform == pytest.approx(math.log(10), abs=1e-14)
    with pytest.raises(ValueError, match="shape"):
        clf.predict(np.zeros((2, 7, 7)))
