"""The test ELBO's reconstruction term is averaged over ``elbo_samples`` codes per example."""

from __future__ import annotations

import pytest
import torch

from generative.data import load_dataset
from generative.train import Context
from generative.vae import VAE, VAEConfig, elbo_terms


def _trained(cfg: VAEConfig) -> tuple[VAE, object]:
    data = load_dataset("digits-binary")
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        m = VAE(cfg, data.info, ctx)
        stream = data.batches(100, 0)
        for step in range(100):
            m.train_step(stream, step)
    m.train(False)
    return m, data


def test_the_reconstruction_term_is_the_mean_over_the_codes_drawn():
    m, data = _trained(VAEConfig(hidden=(64,), iwae_k=2, elbo_samples=5))
    ev = m.evaluate(data, torch.Generator().manual_seed(3))
    x = m.test_data(data)
    assert len(x) <= 1000  # one evaluation batch: its draws are the 5 codes, then the IWAE's
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        draws = [elbo_terms(m.net, x, g) for _ in range(5)]
    rec = torch.stack([r.double() for r, _ in draws]).mean(0).mean().item()
    kl = draws[0][1].double().mean().item()
    assert ev["elbo_samples"] == 5
    assert ev["test_rec"] == pytest.approx(rec, rel=1e-12)
    assert ev["test_kl"] == pytest.approx(kl, rel=1e-12)
    assert ev["test_elbo"] == pytest.approx(rec - kl, rel=1e-12)


def test_more_codes_give_a_steadier_estimate():
    m, data = _trained(VAEConfig(hidden=(64,), iwae_k=1))

    def spread(n: int) -> float:
        m.config.elbo_samples = n
        vals = [m.evaluate(data, torch.Generator().manual_seed(s))["test_elbo"] for s in range(6)]
        return float(torch.tensor(vals).std())

    one, many = spread(1), spread(64)
    assert many < one / 4  # 1/sqrt(64) = 1/8 in expectation


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_bad_elbo_samples_are_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"elbo_samples must be a positive integer, got"):
        VAEConfig(elbo_samples=bad)
