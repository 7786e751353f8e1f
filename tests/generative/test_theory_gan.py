"""Goodfellow et al.'s Proposition 1 and Theorem 1, and the two KL fits, checked numerically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generative import theory as T
from generative.data import ring_centers


@pytest.fixture(scope="module")
def grid():
    return T.grid_2d(-3.5, 3.5, 351)


def test_densities_integrate_to_one(grid):
    pts, area = grid
    p = T.mixture_density(pts, ring_centers(), 0.2)
    assert p.sum() * area == pytest.approx(1.0, abs=1e-6)


def test_optimal_discriminator_matches_the_formula_and_maximises_v(grid):
    pts, area = grid
    p_data = T.mixture_density(pts, ring_centers(), 0.2)
    p_g = T.mixture_density(pts, [[0.0, 0.0]], 1.0)
    p_data, p_g = p_data / (p_data.sum() * area), p_g / (p_g.sum() * area)  # exact on the grid
    d = T.optimal_discriminator(p_data, p_g)
    i = np.argmax(p_data)  # spot checks against the formula written out
    assert d[i] == p_data[i] / (p_data[i] + p_g[i])
    assert T.optimal_discriminator([0.0], [0.0]).tolist() == [0.5]
    v_star = T.gan_value(p_data, p_g, area)
    # Theorem 1: C(G) = -log 4 + 2 JSD, JSD computed independently from its KL definition
    m = 0.5 * (p_data + p_g)
    kl_pm = np.sum(np.where(p_data > 0, p_data * np.log(np.where(p_data > 0, p_data, 1) / m), 0)) * area
    kl_qm = np.sum(np.where(p_g > 0, p_g * np.log(np.where(p_g > 0, p_g, 1) / m), 0)) * area
    assert v_star == pytest.approx(-math.log(4) + kl_pm + kl_qm, abs=1e-10)
    assert v_star == pytest.approx(-math.log(4) + 2 * T.jsd(p_data, p_g, area), abs=1e-10)
    # D* is the maximiser: any other discriminator scores less
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = np.clip(d + 0.05 * rng.standard_normal(d.shape), 1e-6, 1 - 1e-6)
        assert T.gan_value(p_data, p_g, area, other) < v_star
    assert T.gan_value(p_data, p_g, area, np.full_like(d, 0.5)) == pytest.approx(-math.log(4), abs=1e-6)


def test_global_optimum_and_disjoint_supports(grid):
    pts, area = grid
    p = T.mixture_density(pts, ring_centers(), 0.1)
    assert T.gan_value(p, p, area) == pytest.approx(-math.log(4), abs=1e-6)  # p_g = p_data: D* = 1/2
    a = T.mixture_density(pts, [[-2.0, 0.0]], 0.1)
    b = T.mixture_density(pts, [[2.0, 0.0]], 0.1)
    assert T.jsd(a, b, area) == pytest.approx(math.log(2), abs=1e-6)  # JSD's maximum
    assert T.gan_value(a, b, area) == pytest.approx(0.0, abs=1e-5)


def test_forward_kl_fit_is_moment_matching():
    w, mu, sd = [0.3, 0.7], [-2.0, 1.0], [0.5, 0.8]
    m, s = T.fit_gaussian_forward_kl(w, mu, sd)
    assert m == pytest.approx(0.3 * -2 + 0.7 * 1, abs=1e-15)
    assert s**2 == pytest.approx(0.3 * (0.25 + 4) + 0.7 * (0.64 + 1) - m**2, abs=1e-14)
    # it minimises the cross-entropy -E_p[log q] (hence KL(p || q)) on a fine grid
    x = np.linspace(-8, 8, 20001)
    p = T.gaussian_mixture_1d(x, w, mu, sd)

    def xent(a, b):
        return -np.trapezoid(p * (-0.5 * ((x - a) / b) ** 2 - np.log(b * math.sqrt(2 * math.pi))), x)

    best = xent(m, s)
    for da, db in [(0.05, 0), (-0.05, 0), (0, 0.05), (0, -0.05)]:
        assert xent(m + da, s + db) > best


def test_reverse_kl_fit_seeks_one_mode():
    w, mu, sd = [0.5, 0.5], [-3.0, 3.0], [0.7, 0.7]
    m, s = T.fit_gaussian_reverse_kl(w, mu, sd)
    assert abs(abs(m) - 3.0) < 1e-3 and s == pytest.approx(0.7, abs=1e-3)  # sits on a mode
    f = T.reverse_kl_gaussian(m, s, w, mu, sd)
    assert f == pytest.approx(math.log(2), abs=1e-3)  # q = one component: KL = log(1 / 0.5)
    for da, db in [(0.02, 0), (-0.02, 0), (0, 0.02), (0, -0.02)]:
        assert T.reverse_kl_gaussian(m + da, s + db, w, mu, sd) > f
    # the forward (moment-matching) fit is far worse in the reverse direction
    assert T.reverse_kl_gaussian(*T.fit_gaussian_forward_kl(w, mu, sd), w, mu, sd) > f + 1.0
    # Simpson against brute-force Monte Carlo-free quadrature on a wider, finer grid
    x = np.linspace(-30, 30, 600001)
    q = np.exp(-0.5 * ((x - 1.0) / 2.0) ** 2) / (2.0 * math.sqrt(2 * math.pi))
    brute = np.trapezoid(q * (np.log(q) - np.log(T.gaussian_mixture_1d(x, w, mu, sd))), x)
    assert T.reverse_kl_gaussian(1.0, 2.0, w, mu, sd) == pytest.approx(brute, abs=1e-6)


def test_unimodal_mixture_reverse_fit_is_central():
    m, s = T.fit_gaussian_reverse_kl([0.5, 0.5], [-0.3, 0.3], [1.0, 1.0])
    assert abs(m) < 1e-6 and 1.0 < s < T.fit_gaussian_forward_kl([0.5, 0.5], [-0.3, 0.3], [1.0, 1.0])[1] + 1e-9


@pytest.mark.parametrize(
    "call",
    [
        lambda: T.optimal_discriminator([1.0, 2.0], [1.0]),
        lambda: T.gan_value([-1.0], [1.0]),
        lambda: T.grid_2d(1.0, 0.0),
        lambda: T.mixture_density([[0.0, 0.0]], [[0.0]], 1.0),
        lambda: T.fit_gaussian_forward_kl([0.5, 0.6], [0, 1], [1, 1]),
        lambda: T.reverse_kl_gaussian(0.0, -1.0, [1.0], [0.0], [1.0]),
    ],
)
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


def test_module_doctests():
    import doctest

    from generative import gan, metrics, theory

    for mod in (theory, metrics, gan):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
