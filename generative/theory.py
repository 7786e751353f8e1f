"""The GAN theory of Goodfellow et al. (2014), and the two directions of the KL, made checkable.

Optimal discriminator (Proposition 1)
-------------------------------------
For a fixed generator with density ``p_g``, the value function

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))]

is maximised pointwise by ``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (``a log y + b log(1-y)``
peaks at ``y = a / (a + b)``), and then (Theorem 1)

    C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g),

minimal (``-log 4``) exactly when ``p_g = p_data``. :func:`optimal_discriminator`,
:func:`gan_value` and :func:`jsd` evaluate both sides numerically on a grid for known
densities (:func:`mixture_density`), so the identity can be checked to quadrature accuracy.

KL directions (the "implication of the KL divergence" slide)
--------------------------------------------------------------
Fitting one Gaussian ``q = N(mu, sigma^2)`` to a two-mode density ``p``:

* ``KL(p || q)`` (maximum likelihood, the VAE's direction) is minimised by moment matching,
  ``mu = E_p[x]``, ``sigma^2 = Var_p[x]``: the fit covers both modes and puts its mass between
  them (:func:`fit_gaussian_forward_kl`, exact for a mixture of Gaussians);
* ``KL(q || p)`` (the direction a GAN behaves like) is mode seeking: it blows up wherever ``q``
  puts mass that ``p`` lacks, so for well-separated modes the optimum sits on one mode
  (:func:`fit_gaussian_reverse_kl`, minimised numerically by Newton's method).

>>> import numpy as np
>>> p = np.array([0.2, 0.8]); q = np.array([0.5, 0.5])
>>> bool(abs(gan_value(p, q) - (-np.log(4) + 2 * jsd(p, q))) < 1e-15)
True
>>> fit_gaussian_forward_kl([0.5, 0.5], [-2.0, 2.0], [0.5, 0.5])   # mean 0, var 0.25 + 4
(0.0, 2.0615528128088303)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from generative._checks import check_int, check_number

__all__ = [
    "fit_gaussian_forward_kl",
    "fit_gaussian_reverse_kl",
    "gan_value",
    "gaussian_mixture_1d",
    "grid_2d",
    "jsd",
    "kl_divergence",
    "mixture_density",
    "optimal_discriminator",
    "reverse_kl_gaussian",
]


def grid_2d(lo: float = -3.0, hi: float = 3.0, n: int = 401) -> tuple[np.ndarray, float]:
    """Cell centres of an ``n x n`` grid on ``[lo, hi]^2`` and the cell area.

    Returns
    -------
    points : ndarray (n * n, 2)
    cell_area : float
    """
    lo, hi = check_number(lo, "lo"), check_number(hi, "hi")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo!r}, hi={hi!r}")
    n = check_int(n, "n", minimum=2)
    h = (hi - lo) / n
    axis = lo + h * (np.arange(n) + 0.5)
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1), h * h


def mixture_density(points: Any, centers: Any, std: float, weights: Any = None) -> np.ndarray:
    """Density of an isotropic Gaussian mixture at ``points``.

    Parameters
    ----------
    points : array_like (N, D)
    centers : array_like (K, D)
    std : float
        Common standard deviation of the components.
    weights : array_like (K,), optional
        Mixture weights (non-negative, summing to 1); uniform by default.

    Returns
    -------
    ndarray (N,)
    """
    x = np.atleast_2d(np.asarray(points, dtype=np.float64))
    c = np.atleast_2d(np.asarray(centers, dtype=np.float64))
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"points have dimension {x.shape[1]} but centers have {c.shape[1]}")
    check_number(std, "std", positive=True)
    w = _weights(weights, c.shape[0])
    d = x.shape[1]
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    norm = (2.0 * math.pi * std * std) ** (-d / 2.0)
    return norm * np.exp(-0.5 * d2 / (std * std)) @ w


def optimal_discriminator(p_data: Any, p_g: Any) -> np.ndarray:
    """``D*(x) = p_data / (p_data + p_g)`` pointwise (1/2 where both densities vanish).

    Parameters
    ----------
    p_data, p_g : array_like, same shape
        Non-negative densities (or probabilities) at the same points.
    """
    a, b = _pair(p_data, p_g)
    s = a + b
    out = np.full(a.shape, 0.5)
    np.divide(a, s, out=out, where=s > 0)
    return out


def gan_value(p_data: Any, p_g: Any, cell_area: float = 1.0, discriminator: Any = None) -> float:
    """``V(D, G) = sum (p_data log D + p_g log(1 - D)) * cell_area`` by quadrature.

    Parameters
    ----------
    p_data, p_g : array_like
        Densities on a grid (or probabilities with ``cell_area = 1``).
    cell_area : float
        Quadrature weight of a grid cell.
    discriminator : array_like, optional
        ``D(x)`` at the same points; defaults to :func:`optimal_discriminator`, giving ``C(G)``.
    """
    a, b = _pair(p_data, p_g)
    with np.errstate(divide="ignore", invalid="ignore"):
        if discriminator is None:  # log D* = log p_data - log(p_data + p_g): no underflow to log 0
            s = a + b
            ta = np.where(a > 0, a * (np.log(np.where(a > 0, a, 1.0)) - np.log(np.where(s > 0, s, 1.0))), 0.0)
            tb = np.where(b > 0, b * (np.log(np.where(b > 0, b, 1.0)) - np.log(np.where(s > 0, s, 1.0))), 0.0)
        else:
            d = np.asarray(discriminator, np.float64)
            if d.shape != a.shape:
                raise ValueError(f"discriminator has shape {d.shape}, densities {a.shape}")
            if np.any(~(d >= 0)) or np.any(~(d <= 1)):
                raise ValueError("discriminator values must lie in [0, 1]")
            ta = np.where(a > 0, a * np.log(d), 0.0)
            tb = np.where(b > 0, b * np.log1p(-d), 0.0)
    return float((ta.sum() + tb.sum()) * cell_area)


def kl_divergence(p: Any, q: Any, cell_area: float = 1.0) -> float:
    """``KL(p || q) = sum p log(p / q) * cell_area`` (``inf`` if ``p > 0`` where ``q = 0``)."""
    a, b = _pair(p, q)
    if np.any((a > 0) & (b == 0)):
        return math.inf
    m = a > 0
    return float(np.sum(a[m] * np.log(a[m] / b[m])) * cell_area)


def jsd(p: Any, q: Any, cell_area: float = 1.0) -> float:
    """Jensen-Shannon divergence ``KL(p || m) / 2 + KL(q || m) / 2``, ``m = (p + q) / 2``, in nats."""
    a, b = _pair(p, q)
    m = 0.5 * (a + b)
    return 0.5 * kl_divergence(a, m, cell_area) + 0.5 * kl_divergence(b, m, cell_area)


# --------------------------------------------------------------------------------------------
# One Gaussian fitted to a mixture, both KL directions
# --------------------------------------------------------------------------------------------
def gaussian_mixture_1d(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    """Density of a 1-D Gaussian mixture at ``x`` (any shape)."""
    w, mu, sd = _mixture(weights, means, stds)
    xs = np.asarray(x, dtype=np.float64)[..., None]
    return (w * np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))).sum(axis=-1)


def fit_gaussian_forward_kl(weights: Any, means: Any, stds: Any) -> tuple[float, float]:
    """Minimise ``KL(p || N(mu, sigma^2))`` over ``(mu, sigma)`` for a 1-D mixture ``p``: moments.

    Returns
    -------
    (mu, sigma) : the mixture's mean and standard deviation (closed form).
    """
    w, mu, sd = _mixture(weights, means, stds)
    m = float(w @ mu)
    var = float(w @ (sd**2 + mu**2) - m * m)
    return m, math.sqrt(var)


def reverse_kl_gaussian(mu: float, sigma: float, weights: Any, means: Any, stds: Any, n_points: int = 8001) -> float:
    """``KL(N(mu, sigma^2) || p)`` for a 1-D mixture ``p``, by Simpson's rule on ``mu +- 12 sigma``.

    ``KL(q || p) = -H(q) - E_q[log p]`` with the entropy ``H(q) = log(sigma sqrt(2 pi e))`` exact;
    ``log p`` is evaluated stably (log-sum-exp). The mixture's log density bends sharply between
    separated modes, which defeats Gauss-Hermite quadrature; a fine Simpson grid does not care.
    """
    check_number(sigma, "sigma", positive=True)
    if n_points < 3 or n_points % 2 == 0:
        raise ValueError(f"n_points must be odd and >= 3, got {n_points!r}")
    t = np.linspace(-12.0, 12.0, n_points)
    h = t[1] - t[0]
    simpson = np.ones(n_points)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    phi = np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    logp = _log_mixture(mu + sigma * t, *_mixture(weights, means, stds))
    entropy = math.log(sigma * math.sqrt(2 * math.pi * math.e))
    return float(-entropy - (h / 3.0) * np.sum(simpson * phi * logp))


def fit_gaussian_reverse_kl(weights: Any, means: Any, stds: Any, starts: Any = None) -> tuple[float, float]:
    """Minimise ``KL(N(mu, sigma^2) || p)`` over ``(mu, sigma)`` numerically (mode seeking).

    Newton's method on ``(mu, log sigma)`` from several starts (every component's mean and the
    mixture mean, unless ``starts`` gives other means); the best local optimum wins.

    Returns
    -------
    (mu, sigma)
    """
    w, mu, sd = _mixture(weights, means, stds)
    m0, s0 = fit_gaussian_forward_kl(w, mu, sd)
    inits = [(float(a), float(b)) for a, b in zip(mu, sd)] + [(m0, s0)]
    if starts is not None:
        inits = [(float(a), s0) for a in np.atleast_1d(np.asarray(starts, np.float64))]
    best = (math.inf, m0, s0)
    for a, b in inits:
        a, b = _newton_reverse_kl(a, b, w, mu, sd)
        f = reverse_kl_gaussian(a, b, w, mu, sd)
        if f < best[0]:
            best = (f, a, b)
    return best[1], best[2]


def _newton_reverse_kl(
    mu: float, sigma: float, w: np.ndarray, m: np.ndarray, s: np.ndarray, iters: int = 100
) -> tuple[float, float]:
    """Damped Newton on theta = (mu, log sigma) with finite-difference derivatives."""
    theta = np.array([mu, math.log(sigma)])

    def f(t: np.ndarray) -> float:
        return reverse_kl_gaussian(t[0], math.exp(t[1]), w, m, s)

    h = 1e-4
    for _ in range(iters):
        f0 = f(theta)
        g = np.zeros(2)
        hess = np.zeros((2, 2))
        for i in range(2):
            e = np.zeros(2)
            e[i] = h
            fp, fm = f(theta + e), f(theta - e)
            g[i] = (fp - fm) / (2 * h)
            hess[i, i] = (fp - 2 * f0 + fm) / (h * h)
        e0, e1 = np.array([h, 0.0]), np.array([0.0, h])
        hess[0, 1] = hess[1, 0] = (
            f(theta + e0 + e1) - f(theta + e0 - e1) - f(theta - e0 + e1) + f(theta - e0 - e1)
        ) / (4 * h * h)
        try:
            step = -np.linalg.solve(hess, g)
            if g @ step >= 0:  # not a descent direction (non-convex region): gradient step
                step = -g
        except np.linalg.LinAlgError:
            step = -g
        t = 1.0
        while t > 1e-8 and f(theta + t * step) > f0 + 1e-4 * t * (g @ step):
            t *= 0.5
        theta = theta + t * step
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return float(theta[0]), float(math.exp(theta[1]))


def _log_mixture(x: np.ndarray, w: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    z = -0.5 * ((x[:, None] - mu) / sd) ** 2 - np.log(sd * math.sqrt(2 * math.pi)) + np.log(w)
    zmax = z.max(axis=1, keepdims=True)
    return (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]


def _mixture(weights: Any, means: Any, stds: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = np.atleast_1d(np.asarray(means, dtype=np.float64))
    sd = np.atleast_1d(np.asarray(stds, dtype=np.float64))
    if mu.ndim != 1 or sd.shape != mu.shape:
        raise ValueError(f"means and stds must be 1-D of equal length, got {mu.shape} and {sd.shape}")
    if not np.all(np.isfinite(mu)) or not np.all(sd > 0):
        raise ValueError(f"means must be finite and stds positive, got {mu.tolist()}, {sd.tolist()}")
    return _weights(weights, mu.size), mu, sd


def _weights(weights: Any, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
    if w.shape != (k,) or np.any(w < 0) or not math.isclose(float(w.sum()), 1.0, abs_tol=1e-9):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1, got {w.tolist()}")
    return w


def _pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(p, dtype=np.float64)
    b = np.asarray(q, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"densities must have the same shape, got {a.shape} and {b.shape}")
    if np.any(~np.isfinite(a)) or np.any(~np.isfinite(b)) or np.any(a < 0) or np.any(b < 0):
        raise ValueError("densities must be finite and non-negative")
    return a, b
