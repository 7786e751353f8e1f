"""The VAE's terms against independent truth: the KL closed form, the exact log-likelihood of a linear-Gaussian model, the IWAE ordering."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from generative.data import DataInfo
from generative.vae import VAEConfig, VAENet, elbo_terms, gaussian_kl, iwae_bound


def test_kl_closed_form_matches_a_monte_carlo_estimate():
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    logvar = torch.tensor([[-0.5, 0.3, -2.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    kl = gaussian_kl(mu, logvar)
    n = 400_000
    eps = torch.randn(n, *mu.shape, generator=g, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps
    log_q = (-0.5 * eps**2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_p = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    mc, se = (log_q - log_p).mean(0), (log_q - log_p).std(0) / math.sqrt(n)
    assert torch.all((kl - mc).abs() < 4 * se + 1e-12)
    assert kl[1].item() == 0.0  # q = p
    # and the textbook value for one dimension: 1/2 (mu^2 + s^2 - 1 - log s^2)
    assert kl[0].item() == pytest.approx(
        0.5 * sum(m * m + math.exp(v) - 1 - v for m, v in zip([0.5, -1.0, 2.0], [-0.5, 0.3, -2.0])), rel=1e-14
    )
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), torch.distributions.Normal(0.0, 1.0)
    ).sum(-1)
    assert torch.allclose(kl, ref, rtol=1e-12)


def linear_gaussian_net(d=3, k=2, seed=0):
    """A VAENet whose decoder is linear: p(x) = N(b, W W^T + diag(sigma^2)) in closed form."""
    torch.manual_seed(seed)
    info = DataInfo("toy", (d,), bounded=False)
    net = VAENet(info, VAEConfig(latent_dim=k, hidden=(16,)), bernoulli=False).double()
    net.decoder = nn.Linear(k, d).double()
    with torch.no_grad():
        net.log_sigma.copy_(torch.tensor([-0.3, 0.1, -0.6], dtype=torch.float64))
    return net


def exact_log_px(net, x):
    W, b = net.decoder.weight, net.decoder.bias
    cov = W @ W.T + torch.diag(torch.exp(2 * net.log_sigma))
    return torch.distributions.MultivariateNormal(b, covariance_matrix=cov).log_prob(x)


def test_iwae_bound_rises_with_k_towards_the_exact_log_likelihood():
    net = linear_gaussian_net()
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 1.5
    with torch.no_grad():
        exact = exact_log_px(net, x)
        g = torch.Generator().manual_seed(2)
        reps = {1: 500, 10: 100, 100: 20, 3000: 1}  # repeat x so each estimate averages many draws
        bounds = {k: iwae_bound(net, x.repeat(r, 1), k, g, chunk=200_000).mean().item() for k, r in reps.items()}
        rec, kl = elbo_terms(net, x.repeat(500, 1), torch.Generator().manual_seed(3))
    elbo = (rec - kl).mean().item()
    assert bounds[1] < bounds[10] < bounds[100] < bounds[3000] <= exact.mean().item() + 0.02
    assert bounds[1] == pytest.approx(elbo, abs=0.1)  # IWAE_1 is an unbiased ELBO estimate
    assert elbo < exact.mean().item() - 0.5  # the untrained encoder leaves a real gap
    assert bounds[3000] == pytest.approx(exact.mean().item(), abs=0.1)


def test_iwae_with_the_true_posterior_is_exact_for_every_k():
    # With q(z|x) equal to the exact posterior, every importance weight equals p(x).
    net = linear_gaussian_net()
    W, b = net.decoder.weight, net.decoder.bias
    s2 = torch.exp(2 * net.log_sigma)
    prec = torch.eye(2, dtype=torch.float64) + W.T @ torch.diag(1 / s2) @ W
    cov = torch.linalg.inv(prec)

    class Posterior(nn.Module):
        def forward(self, x):
            mu = (cov @ W.T @ torch.diag(1 / s2) @ (x - b).T).T
            return torch.cat([mu, torch.log(torch.diagonal(cov)).expand(len(x), 2)], 1)

    # a diagonal posterior needs a diagonal covariance: make W's columns orthogonal in the s2 metric
    with torch.no_grad():
        W.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]], dtype=torch.float64))
        prec = torch.eye(2, dtype=torch.float64) + W.T @ torch.diag(1 / s2) @ W
        cov = torch.linalg.inv(prec)
    net.encoder = Posterior()
    x = torch.randn(10, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        exact = exact_log_px(net, x)
        for k in (1, 7):
            got = iwae_bound(net, x, k, torch.Generator().manual_seed(k))
            assert torch.allclose(got, exact, atol=1e-10)


def test_bernoulli_log_likelihood_is_minus_binary_cross_entropy():
    info = DataInfo("img", (2, 2), bounded=True, image=True)
    net = VAENet(info, VAEConfig(latent_dim=1, hidden=(4,)), bernoulli=True)
    x = torch.tensor([[[0.0, 1.0], [0.25, 1.0]]])
    z = torch.zeros(1, 1)
    p = torch.sigmoid(net.decoder(z)).reshape(-1)
    xv = x.reshape(-1)
    expected = (xv * torch.log(p) + (1 - xv) * torch.log(1 - p)).sum()
    assert net.log_likelihood(x, z).item() == pytest.approx(expected.item(), rel=1e-6)


def test_bad_vae_options():
    with pytest.raises(ValueError, match="latent_dim must be a positive integer, got 0"):
        VAEConfig(latent_dim=0)
    with pytest.raises(ValueError, match=r"hidden must be.*\(16, -2\)"):
        VAEConfig(hidden=(16, -2))
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        iwae_bound(linear_gaussian_net(), torch.zeros(1, 3, dtype=torch.float64), 0, torch.Generator())
