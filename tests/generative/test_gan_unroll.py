"""Unrolled GAN (Metz et al. 2017): the look-ahead replays the optimiser exactly, its gradient is
the true derivative through the K updates, and the GAN option trains and resumes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.func import functional_call

from generative import load_run
from generative.data import load_dataset
from generative.gan import (
    GAN,
    GANConfig,
    MLPDiscriminator,
    MLPGenerator,
    discriminator_loss,
    generator_loss,
    unrolled_parameters,
)
from generative.train import Context

from ._helpers import resumed_equals_uninterrupted


def _optimizer(kind: str, params) -> torch.optim.Optimizer:
    if kind == "adam":
        return torch.optim.Adam(params, lr=1e-2, betas=(0.5, 0.9))
    if kind == "adam-beta0":
        return torch.optim.Adam(params, lr=5e-3, betas=(0.0, 0.99))
    return torch.optim.SGD(params, lr=1e-2, momentum=0.5 if kind == "sgd-momentum" else 0.0)


@pytest.mark.parametrize("kind", ["adam", "adam-beta0", "sgd-momentum", "sgd"])
@pytest.mark.parametrize("warm", [0, 2])
def test_unrolled_parameters_equal_the_optimisers_own_steps(kind, warm):
    """Independent truth: torch's optimiser stepping a copy of the network K times."""
    torch.manual_seed(0)
    D = MLPDiscriminator((2,), (8, 8)).double()
    opt = _optimizer(kind, D.parameters())
    x = torch.randn(32, 2, dtype=torch.float64)
    f = torch.randn(32, 2, dtype=torch.float64) + 1.0
    for _ in range(warm):  # an optimiser with state (moments, momentum buffers, step counts)
        opt.zero_grad()
        discriminator_loss(D(x), D(f)).backward()
        opt.step()
    state_before = copy.deepcopy(opt.state_dict())
    D2 = copy.deepcopy(D)
    opt2 = _optimizer(kind, D2.parameters())
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))  # load_state_dict may share tensors

    def loss_fn(p):
        return discriminator_loss(functional_call(D, p, (x,)), functional_call(D, p, (f,)))

    ahead = unrolled_parameters(D, opt, loss_fn, 3)
    for _ in range(3):
        opt2.zero_grad()
        discriminator_loss(D2(x), D2(f)).backward()
        opt2.step()
    for name, p in D2.named_parameters():
        torch.testing.assert_close(ahead[name], p, rtol=0, atol=1e-12)
        assert not torch.equal(ahead[name], dict(D.named_parameters())[name])  # D itself moved nowhere
    after = opt.state_dict()  # the optimiser's state is read, never written
    for k, st in state_before["state"].items():
        for key, v in st.items():
            assert torch.equal(torch.as_tensor(after["state"][k][key]), torch.as_tensor(v))


def test_gradient_through_the_unrolled_updates_matches_finite_differences():
    """d f(G, D_K(G)) / d theta_G by autograd against central differences, float64."""
    torch.manual_seed(1)
    G = MLPGenerator(3, (2,), (6,)).double()
    D = MLPDiscriminator((2,), (6,)).double()
    opt = torch.optim.Adam(D.parameters(), lr=5e-2, betas=(0.0, 0.99))
    x = torch.randn(16, 2, dtype=torch.float64)
    z = torch.randn(16, 3, dtype=torch.float64)

    def objective(gparams):
        fake = functional_call(G, gparams, (z,))
        ahead = unrolled_parameters(
            D, opt, lambda p: discriminator_loss(functional_call(D, p, (x,)), functional_call(D, p, (fake,))), 4
        )
        return generator_loss(functional_call(D, ahead, (fake,)))

    base = {n: p.detach().clone().requires_grad_(True) for n, p in G.named_parameters()}
    grads = dict(zip(base, torch.autograd.grad(objective(base), list(base.values()))))
    # the look-ahead matters: without it the gradient is a different vector
    plain = torch.autograd.grad(generator_loss(D(functional_call(G, base, (z,)))), list(base.values()))
    assert max((a - b).abs().max().item() for a, b in zip(grads.values(), plain)) > 1e-4
    h, checked = 1e-6, 0
    for name, p in base.items():
        for idx in range(p.numel()):
            if grads[name].view(-1)[idx] == 0:  # dead ReLU units: checked once below, not here
                continue
            vals = []
            for sign in (1, -1):
                q = {k: v.detach().clone() for k, v in base.items()}
                q[name].view(-1)[idx] += sign * h
                vals.append(objective(q).item())
            fd = (vals[0] - vals[1]) / (2 * h)
            assert fd == pytest.approx(grads[name].view(-1)[idx].item(), rel=1e-5, abs=1e-9)
            checked += 1
    assert checked >= 20


def test_zero_steps_and_bad_arguments():
    D = MLPDiscriminator((2,), (4,))
    opt = torch.optim.Adam(D.parameters())
    same = unrolled_parameters(D, opt, lambda p: torch.zeros(()), 0)
    assert all(same[n] is p for n, p in D.named_parameters())
    with pytest.raises(ValueError, match="-1"):
        unrolled_parameters(D, opt, lambda p: torch.zeros(()), -1)
    with pytest.raises(ValueError, match="RMSprop"):
        unrolled_parameters(D, torch.optim.RMSprop(D.parameters()), lambda p: torch.zeros(()), 1)
    with pytest.raises(ValueError, match="amsgrad"):
        unrolled_parameters(D, torch.optim.Adam(D.parameters(), amsgrad=True), lambda p: torch.zeros(()), 1)
    with pytest.raises(ValueError, match="weight_decay"):
        unrolled_parameters(D, torch.optim.SGD(D.parameters(), lr=0.1, weight_decay=0.1), lambda p: torch.zeros(()), 1)
    with pytest.raises(ValueError, match="does not hold"):
        unrolled_parameters(D, torch.optim.Adam(list(D.parameters())[:1]), lambda p: torch.zeros(()), 1)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="unroll"):
            GANConfig(unroll=bad)


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_gan_step_with_unroll_updates_d_only_by_its_real_steps(spectral_norm):
    info = load_dataset("ring8").info
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    gan = GAN(GANConfig(hidden=(16,), unroll=3, d_steps=2, spectral_norm=spectral_norm), info, ctx)
    g = torch.Generator().manual_seed(1)
    batches = iter(lambda: torch.randn(10, 2, generator=g), None)
    out = gan.train_step(batches, 0)
    assert torch.isfinite(out["loss_g"]) and torch.isfinite(out["loss_d"])
    adam_d = next(iter(gan.opt_d.state.values()))["step"].item()
    assert (adam_d, gan.d_updates, gan.g_updates) == (2, 2, 1)  # the look-ahead is not an update
    # the look-ahead itself leaves D as it was: weights, spectral norm's power-iteration vectors, mode
    state = {k: v.clone() for k, v in gan.D.state_dict().items()}
    logits = gan._unrolled_logits(torch.randn(10, 2, generator=g), gan.noise(10, ctx.generator))
    assert logits.shape == (10,) and logits.requires_grad
    assert gan.D.training
    for k, v in gan.D.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_unrolled_gan_resumes_exactly_and_samples(tmp_path):
    """The look-ahead keeps no state of its own: a resumed run equals an uninterrupted one."""
    cfg = GANConfig(hidden=(16, 16), latent_dim=4, unroll=2)  # R1 and EMA on (defaults)
    resumed_equals_uninterrupted(tmp_path, "gan", cfg, steps=12, stop=5)
    run = load_run(tmp_path / "uninterrupted")
    assert run.method.config.unroll == 2  # the option is saved with the run
    assert run.sample(7, seed=3).shape == (7, 2)
