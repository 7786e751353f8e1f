"""The GAN on the training core: losses, Algorithm 1's step counts, mode coverage, resume, torchrun, CLI."""

from __future__ import annotations

import copy
import json
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from generative import TrainConfig, load_run, train
from generative.data import load_dataset
from generative.gan import (
    GAN,
    GANConfig,
    discriminator_loss,
    ema_update,
    generator_loss,
    r1_penalty,
)
from generative.train import CHECKPOINT_NAME, Context

from ._helpers import FAST, resumed_equals_uninterrupted, run_group, torchrun_cli
from ._helpers import read_metrics as _metrics


def test_losses_match_their_formulas():
    logits = torch.tensor([-3.0, -0.5, 0.0, 2.0, 8.0], dtype=torch.float64)
    d = torch.sigmoid(logits)
    assert torch.allclose(generator_loss(logits, "minimax"), torch.log(1 - d).mean())
    assert torch.allclose(generator_loss(logits, "non-saturating"), -torch.log(d).mean())
    real, fake = logits, logits.flip(0)
    expect = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    assert torch.allclose(discriminator_loss(real, fake), expect)
    bce = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros_like(fake)
    )
    assert torch.allclose(discriminator_loss(real, fake), bce)
    # saturation: when D rejects the fakes confidently, minimax's gradient vanishes, not the other's
    l = torch.tensor([-10.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(l, "minimax"), l)
    (g_ns,) = torch.autograd.grad(generator_loss(l, "non-saturating"), l)
    assert abs(g_mm.item()) < 1e-4 and abs(g_ns.item()) > 0.99
    with pytest.raises(ValueError, match="wasserstein"):
        generator_loss(logits, "wasserstein")


def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    d = torch.nn.Linear(3, 1).double()
    x = torch.randn(7, 3, dtype=torch.float64)
    r1 = r1_penalty(lambda t: d(t).squeeze(1), x)
    assert torch.allclose(r1, d.weight.pow(2).sum())
    r1.backward()  # differentiable in D's parameters
    assert torch.allclose(d.weight.grad, 2 * d.weight)


def test_ema_update_by_hand():
    a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    with torch.no_grad():
        a.weight.fill_(1.0), b.weight.fill_(3.0)
    ema_update(a, b, 0.9)
    assert torch.allclose(a.weight, torch.full((1, 2), 1.0 * 0.9 + 3.0 * 0.1))


@pytest.mark.parametrize("d_steps", [1, 3])
def test_d_steps_discriminator_updates_per_generator_update_are_counted(d_steps):
    info = load_dataset("ring8").info
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    gan = GAN(GANConfig(hidden=(16,), d_steps=d_steps), info, ctx)
    pulled = 0

    def batches():
        nonlocal pulled
        g = torch.Generator().manual_seed(1)
        while True:
            pulled += 1
            yield torch.randn(10, 2, generator=g)

    it = batches()
    for step in range(4):
        gan.train_step(it, step)
    # independent count: the optimisers' own step counters
    adam_d = next(iter(gan.opt_d.state.values()))["step"].item()
    adam_g = next(iter(gan.opt_g.state.values()))["step"].item()
    assert (adam_d, adam_g) == (4 * d_steps, 4)
    assert (gan.d_updates, gan.g_updates, pulled) == (4 * d_steps, 4, 4 * d_steps)
    assert gan.batches_per_step == d_steps


@pytest.mark.parametrize("lr_d", [None, 1e-4])
def test_lr_d_sets_the_discriminators_step_size(lr_d):
    # Adam's first step with beta1 = 0 moves every weight by lr * g / (|g| + eps), i.e. by lr
    # wherever the gradient is far from zero: the largest move of each network is its rate.
    info = load_dataset("ring8").info
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    gan = GAN(GANConfig(hidden=(16,), lr=1e-3, lr_d=lr_d, r1=0.0, ema=0.0), info, ctx)
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in gan.modules().items()}
    gan.train_step(iter([torch.randn(64, 2, generator=torch.Generator().manual_seed(1))]), 0)
    moved = {
        k: max((p.detach() - q).abs().max().item() for p, q in zip(m.parameters(), before[k]))
        for k, m in gan.modules().items()
    }
    assert moved["G"] == pytest.approx(1e-3, rel=1e-3)
    assert moved["D"] == pytest.approx(1e-3 if lr_d is None else lr_d, rel=1e-3)


def test_lazy_r1_penalises_every_nth_discriminator_update_n_times():
    # plain SGD (momentum 0): every D update moves the weights by -lr * grad, recomputed here by
    # hand from copies of D and G: grad(-V + gamma/2 * N * R1) on updates 0, N, 2N, ..., grad(-V) between.
    info = load_dataset("ring8").info
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    cfg = GANConfig(hidden=(16,), optimizer="sgd", momentum=0.0, lr=0.05, lr_half_life=0, r1=2.0, r1_every=3, ema=0.0)
    gan = GAN(cfg, info, ctx)
    xs = [torch.randn(20, 2, generator=torch.Generator().manual_seed(s)) for s in range(7)]
    stream = iter(xs)
    for step, x in enumerate(xs):
        D0, G0 = copy.deepcopy(gan.D), copy.deepcopy(gan.G)
        with torch.no_grad():
            fake = G0(torch.randn(len(x), 16, generator=torch.Generator().set_state(ctx.generator.get_state())))
        plain = discriminator_loss(D0(x), D0(fake))
        penalised = plain + 0.5 * 2.0 * 3 * r1_penalty(D0, x)
        moves = [
            [0.05 * g for g in torch.autograd.grad(loss, list(D0.parameters()), retain_graph=True)]
            for loss in (plain, penalised)
        ]
        assert max((a - b).abs().max().item() for a, b in zip(*moves)) > 1e-4  # the penalty matters here
        out = gan.train_step(stream, step)
        move = moves[1] if step % 3 == 0 else moves[0]
        for p, p0, m in zip(gan.D.parameters(), D0.parameters(), move):
            torch.testing.assert_close(p.detach(), p0.detach() - m)
        assert set(out) == {"loss_d", "loss_g", "d_real", "d_fake", "r1"}  # the same keys on every step
    assert gan.d_updates == 7
    with pytest.raises(ValueError, match="r1_every must be a positive integer, got 0"):
        GANConfig(r1_every=0)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_both_generator_losses_train(tmp_path, loss):
    res = train(
        "gan",
        TrainConfig(dataset="ring8", steps=30, out=str(tmp_path / loss), **FAST),
        GANConfig(hidden=(32, 32), latent_dim=4, loss=loss, optimizer="sgd", lr=0.05, r1=0.0, ema=0.0),
    )
    m = _metrics(res.run_dir)
    assert len(m) == 30
    for row in m:
        assert {"loss_d", "loss_g", "d_real", "d_fake", "samples_per_s"} <= set(row)
        assert 0 < row["d_real"] < 1 and 0 < row["d_fake"] < 1
    if loss == "minimax":
        assert all(r["loss_g"] < 0 for r in m)  # log(1 - D) < 0
    else:
        assert all(r["loss_g"] > 0 for r in m)  # -log D > 0
    assert m[0]["loss_g"] != m[-1]["loss_g"]


def test_short_default_run_on_ring8_reaches_six_of_eight_modes(tmp_path):
    res = train(
        "gan",
        TrainConfig(
            dataset="ring8",
            steps=2500,
            out=str(tmp_path / "r"),
            quiet=True,
            log_every=250,
            sample_every=0,
            checkpoint_every=0,
        ),
        GANConfig(),
    )
    ev = res.evaluation
    assert ev["n_modes"] == 8 and ev["modes_covered"] >= 6, ev
    assert ev["n_samples"] == 2500
    assert json.loads((res.run_dir / "eval.json").read_text())["modes_covered"] == ev["modes_covered"]
    assert list((res.run_dir / "samples").glob("samples-step*.png"))


def test_resume_is_identical_to_an_uninterrupted_run(tmp_path):
    cfg = GANConfig(hidden=(32, 32), latent_dim=4, d_steps=2)  # R1 and EMA on (defaults)
    ck = resumed_equals_uninterrupted(tmp_path, "gan", cfg, steps=24, stop=10)
    assert set(ck["modules"]) == {"G", "D", "G_ema"}
    assert ck["extra"] == {"d_updates": 48, "g_updates": 24}


def test_conv_gan_on_digits_samples_images_and_evaluates(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREGRID_CACHE", str(tmp_path / "cache"))
    res = train(
        "gan",
        TrainConfig(dataset="digits", steps=3, batch_size=16, out=str(tmp_path / "d"), **dict(FAST, eval_at_end=True)),
        GANConfig(arch="conv", hidden=(8,), latent_dim=8),
    )
    run = load_run(res.run_dir)
    x = run.sample(5, seed=0)
    assert x.shape == (5, 8, 8) and x.min() >= 0 and x.max() <= 1
    ev = res.evaluation
    assert ev["n_samples"] == 10_000 and 1 <= ev["classes_covered"] <= 10 and ev["kl_uniform"] >= 0


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(d_steps=0), "d_steps"),
        (dict(lr=-1.0), "lr"),
        (dict(ema=1.0), "ema"),
        (dict(r1=-1.0), "r1"),
        (dict(loss="hinge"), "loss"),
        (dict(hidden=()), "hidden"),
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(lr_d=0.0), "lr_d must be a positive number, got 0.0"),
        (dict(lr_d=float("nan")), "lr_d .* nan"),
        (dict(lr_d=True), "lr_d .* True"),
    ],
)
def test_bad_config_raises_naming_the_value(bad, match):
    with pytest.raises(ValueError, match=match):
        GANConfig(**bad)


def test_conv_needs_images():
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="image"):
        GAN(GANConfig(arch="conv"), load_dataset("ring8").info, ctx)


def test_cli_train_sample_eval_and_two_process_torchrun(tmp_path):
    out = tmp_path / "ddp"
    r = torchrun_cli(
        [
            "train",
            "gan",
            "--dataset",
            "ring8",
            "--steps",
            "6",
            "--device",
            "cpu",
            "--quiet",
            "--log-every",
            "2",
            "--hidden",
            "32",
            "32",
            "--d-steps",
            "2",
            "--sample-every",
            "0",
        ],
        out,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((out / "config.json").read_text())["world_size"] == 2
    m = _metrics(out)
    assert [x["step"] for x in m] == [2, 4, 6]  # one writer
    ck = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert ck["extra"] == {"d_updates": 12, "g_updates": 6}
    # 2 ranks x 6 steps x 2 D-steps x 100 examples
    assert ck["rng"][0]["data"]["examples"] == ck["rng"][1]["data"]["examples"] == 1200
    assert json.loads((out / "eval.json").read_text())["n_modes"] == 8
    # sample and eval on the GAN run
    s = run_group(
        [
            sys.executable,
            "-m",
            "generative",
            "sample",
            "--checkpoint",
            str(out),
            "--n",
            "50",
            "--out",
            str(tmp_path / "s.npy"),
        ],
        timeout=120,
    )
    assert s.returncode == 0, s.stderr[-2000:]
    assert np.load(tmp_path / "s.npy").shape == (50, 2)
    e = run_group([sys.executable, "-m", "generative", "eval", "--checkpoint", str(out)], timeout=120)
    assert e.returncode == 0, e.stderr[-2000:]
    assert "modes_covered" in e.stdout


def test_spectral_norm_bounds_every_discriminator_layer():
    from generative.gan import MLPDiscriminator

    torch.manual_seed(0)
    d = MLPDiscriminator((2,), hidden=(64, 64), spectral_norm=True)
    x = torch.randn(32, 2)
    for _ in range(30):  # power iterations run in training-mode forward passes
        d(x)
    d.eval()
    linears = [m for m in d.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3
    for m in linears:
        assert torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)
    plain = MLPDiscriminator((2,), hidden=(64, 64))
    assert max(
        torch.linalg.matrix_norm(m.weight, ord=2).item() for m in plain.modules() if isinstance(m, torch.nn.Linear)
    ) != pytest.approx(1.0, abs=1e-3)


def test_uniform_noise_prior_and_sgd_run(tmp_path):
    res = train(
        "gan",
        TrainConfig(dataset="ring8", steps=5, out=str(tmp_path / "u"), **FAST),
        GANConfig(hidden=(16,), noise="uniform", optimizer="sgd", spectral_norm=True),
    )
    run = load_run(res.run_dir)
    z = run.method.noise(1000, torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1 and z.abs().mean() == pytest.approx(0.5, abs=0.03)
    assert run.sample(7).shape == (7, 2)


def test_bf16_autocast_runs_on_cpu(tmp_path):
    res = train(
        "gan",
        TrainConfig(dataset="ring8", steps=4, precision="bf16", out=str(tmp_path / "bf"), **FAST),
        GANConfig(hidden=(16,), d_steps=2),
    )
    assert len(_metrics(res.run_dir)) == 4


@pytest.mark.parametrize("unroll", [0, 2])
def test_compiled_bf16_gan_with_r1_and_unroll_trains_on_cpu(tmp_path, unroll):
    """R1 and the unrolled look-ahead differentiate gradients, which compiled (AOT autograd)
    graphs cannot: both must take the uncompiled networks and still train under --compile."""
    res = train(
        "gan",
        TrainConfig(
            dataset="ring8",
            steps=3,
            out=str(tmp_path / "c"),
            precision="bf16",
            compile=True,
            compile_backend="aot_eager",
            **FAST,
        ),
        GANConfig(hidden=(16,), unroll=unroll),
    )  # R1 on (default)
    assert res.step == 3 and res.metrics["r1"] > 0
    assert all(np.isfinite(v) for v in res.metrics.values())
