"""VEEGAN (Srivastava et al. 2017), the baseline: its losses, who gets which gradient, a short
ring8 run, resume and the CLI."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from generative import TrainConfig, load_run, train
from generative.data import load_dataset
from generative.train import Context
from generative.veegan import VEEGAN, Reconstructor, VEEGANConfig

from ._helpers import FAST, ROOT, python_env, resumed_equals_uninterrupted


def _model(seed: int = 0, **kw) -> VEEGAN:
    torch.manual_seed(seed)
    info = load_dataset("ring8").info
    return VEEGAN(
        VEEGANConfig(hidden=(16,), latent_dim=3, **kw),
        info,
        Context(torch.device("cpu"), torch.Generator().manual_seed(seed)),
    )


def test_reconstructor_nll_is_the_gaussian_negative_log_likelihood():
    torch.manual_seed(0)
    rec = Reconstructor((2,), 3, (8,)).double()
    x = torch.randn(5, 2, dtype=torch.float64)
    z = torch.randn(5, 3, dtype=torch.float64)
    mu, log_sigma = rec(x)
    truth = -torch.distributions.Normal(mu, log_sigma.exp()).log_prob(z).sum(1) - 1.5 * np.log(2 * np.pi)
    torch.testing.assert_close(rec.nll(z, x), truth)
    draws = torch.stack([rec.rsample(x[:1], torch.Generator().manual_seed(s)) for s in range(4000)])
    torch.testing.assert_close(draws.mean(0)[0], mu[0].detach(), atol=0.1 * log_sigma.exp().max().item(), rtol=0)


def test_one_step_follows_algorithm_1():
    """The logged losses equal the paper's formulas evaluated by hand on the step's own draws."""
    m = _model()
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(5))
    G0, F0, D0 = (copy.deepcopy(mod) for mod in (m.G, m.F, m.D))
    # replay the step's draws: z first, then the reconstructor's noise, from the context's generator
    g = torch.Generator().manual_seed(0)
    z = torch.randn(12, 3, generator=g)
    with torch.no_grad():
        z_rec = F0.rsample(x, g)
        gen_l, rec_l = D0(z, G0(z)), D0(z_rec, x)
    expect_d = F.binary_cross_entropy_with_logits(gen_l, torch.ones(12)) + F.binary_cross_entropy_with_logits(
        rec_l, torch.zeros(12)
    )
    out = m.train_step(iter([x]), 0)
    torch.testing.assert_close(out["loss_d"], expect_d)
    torch.testing.assert_close(out["d_gen"], torch.sigmoid(gen_l).mean())
    with torch.no_grad():  # O = E[D(z, G(z))] + lambda E[-log p_F(z | G(z))], with the *updated* D
        fake = G0(z)
        recon = F0.nll(z, fake).mean()
        expect_g = m.D(z, fake).mean() + 1.0 * recon
    torch.testing.assert_close(out["recon"], recon)
    torch.testing.assert_close(out["loss_g"], expect_g)
    for key, old in (("G", G0), ("F", F0), ("D", D0)):  # every network moved
        assert any(not torch.equal(p, q) for p, q in zip(m.modules()[key].parameters(), old.parameters())), key


def test_reconstructor_learns_only_from_the_noise_autoencoder():
    """With lambda = 0 the objective's D term does not involve F, so F must not move at all."""
    m = _model(recon_weight=0.0)
    f0 = [p.detach().clone() for p in m.F.parameters()]
    g0 = [p.detach().clone() for p in m.G.parameters()]
    batches = iter(lambda: torch.randn(10, 2), None)
    for step in range(3):
        m.train_step(batches, step)
    assert all(torch.equal(a, b) for a, b in zip(f0, m.F.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g0, m.G.parameters()))
    m2 = _model(recon_weight=1.0)
    f0 = [p.detach().clone() for p in m2.F.parameters()]
    m2.train_step(iter(lambda: torch.randn(10, 2), None), 0)
    assert not all(torch.equal(a, b) for a, b in zip(f0, m2.F.parameters()))


def test_short_ring8_run_covers_most_modes(tmp_path):
    res = train(
        "veegan",
        TrainConfig(
            dataset="ring8", steps=3000, seed=0, out=str(tmp_path / "r"), **dict(FAST, log_every=500, eval_at_end=True)
        ),
        VEEGANConfig(),
    )
    ev = res.evaluation
    assert ev["n_modes"] == 8 and ev["modes_covered"] >= 6, ev


def test_resume_is_identical_and_cli_samples_and_evaluates(tmp_path):
    cfg = VEEGANConfig(hidden=(16, 16), latent_dim=4)
    ck = resumed_equals_uninterrupted(tmp_path, "veegan", cfg, steps=10, stop=4)
    assert set(ck["modules"]) == {"G", "F", "D"}
    a = tmp_path / "uninterrupted"
    assert load_run(a).sample(6, seed=1).shape == (6, 2)
    s = subprocess.run(
        [
            sys.executable,
            "-m",
            "generative",
            "sample",
            "--checkpoint",
            str(a),
            "--n",
            "20",
            "--out",
            str(tmp_path / "s.npy"),
        ],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert s.returncode == 0, s.stderr[-2000:]
    assert np.load(tmp_path / "s.npy").shape == (20, 2)
    e = subprocess.run(
        [sys.executable, "-m", "generative", "eval", "--checkpoint", str(a)],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert e.returncode == 0 and "modes_covered" in e.stdout, e.stderr[-2000:]


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(latent_dim=0), "latent_dim"),
        (dict(hidden=()), "hidden"),
        (dict(lr=0.0), "lr"),
        (dict(recon_weight=-1.0), "recon_weight"),
        (dict(beta2=1.0), "beta2"),
        (dict(lr=float("nan")), "lr"),
    ],
)
def test_bad_config_raises_naming_the_value(bad, match):
    with pytest.raises(ValueError, match=match):
        VEEGANConfig(**bad)
