"""Default budgets per method and dataset, presets, the end-of-run warnings, the GAN's lr half-life."""

from __future__ import annotations

import warnings

import pytest
import torch

from generative.__main__ import _configs, build_parser, default_budget, default_options
from generative.data import load_dataset
from generative.gan import COVERAGE_WARN_HQ, GAN, GANConfig, coverage_warning
from generative.train import Context
from generative.vae import VAE, VAEConfig


def _parsed(*argv: str):
    return _configs(build_parser().parse_args(["train", *argv]))


def test_default_budgets_come_from_the_method_tables():
    assert default_budget("gan", "ring8") == {"steps": 18_000, "batch_size": 250}
    assert default_budget("gan", "grid25:std=0.05") == {"steps": 28_000, "batch_size": 250}  # parameters ignored
    assert default_budget("vae", "digits-binary") == {"epochs": 300}
    assert default_budget("vae", "digits") == {"epochs": 300}
    assert default_budget("vae", "some/folder") == {} and default_budget("gan", "moons") == {}


def test_the_bare_cli_trains_the_budget_and_explicit_lengths_win():
    t, _ = _parsed("gan", "--dataset", "ring8")
    assert (t.steps, t.batch_size) == (18_000, 250)
    t, _ = _parsed("vae")  # digits, the default dataset
    assert (t.steps, t.epochs, t.batch_size) == (0, 300, 100)
    t, _ = _parsed("gan", "--dataset", "ring8", "--steps", "7")  # a length given: no budget at all
    assert (t.steps, t.batch_size) == (7, 100)
    t, _ = _parsed("gan", "--dataset", "grid25", "--batch-size", "64")  # budget length, the user's batch
    assert (t.steps, t.batch_size) == (28_000, 64)
    t, _ = _parsed("vae", "--epochs", "3")
    assert t.epochs == 3
    t, _ = _parsed("gan", "--dataset", "ring8", "--resume")  # resuming keeps the saved length
    assert (t.steps, t.epochs, t.batch_size) == (0, 10.0, 100)
    t, _ = _parsed("vae", "--dataset", "x.npy")  # user data: TrainConfig's 10 epochs
    assert (t.steps, t.epochs) == (0, 10.0)


def test_the_datasets_tuned_options_apply_unless_given_or_resuming():
    assert default_options("gan", "grid25:spacing=2") == {"lr_half_life": 9000, "r1_every": 16}
    assert default_options("gan", "ring8") == {} and default_options("vae", "digits") == {}
    _, m = _parsed("gan", "--dataset", "grid25")
    assert (m.lr_half_life, m.r1_every, m.r1, m.ema) == (9000, 16, 1.0, 0.99)  # the rest: GANConfig's defaults
    _, m = _parsed("gan", "--dataset", "grid25", "--steps", "500", "--r1-every", "1")  # a length given: still tuned
    assert (m.lr_half_life, m.r1_every) == (9000, 1)
    _, m = _parsed("gan", "--dataset", "ring8")
    assert (m.lr_half_life, m.r1_every) == (6000, 1)
    _, m = _parsed("gan", "--dataset", "grid25", "--resume")  # the checkpoint fixes the options
    assert (m.lr_half_life, m.r1_every) == (6000, 1) and not {"lr_half_life", "r1_every"} & set(m._explicit)


def test_the_preset_sets_the_protocol_and_explicit_options_override_it():
    t, m = _parsed("vae", "--preset", "iwae-mnist", "--dataset", "mnist/")
    assert (t.batch_size, t.epochs, t.steps) == (20, 3280, 0)
    assert (m.hidden, m.latent_dim, m.activation, m.binarize, m.iwae_k) == ((200, 200), 50, "tanh", "dynamic", 5000)
    assert (m.lr_schedule, m.adam_eps, m.weight_decay) == ("iwae", 1e-4, 0.0)
    t, m = _parsed("vae", "--preset", "iwae-mnist", "--batch-size", "50", "--latent-dim", "10")
    assert (t.batch_size, m.latent_dim, m.hidden) == (50, 10, (200, 200))
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "vae", "--preset", "nope"])
    with pytest.raises(SystemExit):  # the GAN has no presets
        build_parser().parse_args(["train", "gan", "--preset", "iwae-mnist"])


def test_help_lists_the_budgets(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "gan", "--help"])
    out = capsys.readouterr().out
    assert "default budgets" in out and "18,000 steps, m=250" in out and "grid25" in out
    assert "with --lr-half-life 9000, --r1-every 16" in out


def test_coverage_warning_marks_runs_far_from_the_target():
    full = {"modes_covered": 8, "n_modes": 8, "high_quality": 0.96}
    assert coverage_warning(full) is None
    assert "7/8 modes" in coverage_warning({**full, "modes_covered": 7})
    assert "22.0%" in coverage_warning({**full, "high_quality": 0.22})
    assert coverage_warning({**full, "high_quality": COVERAGE_WARN_HQ}) is None  # the threshold itself passes
    assert "9/10 digit classes" in coverage_warning({"classes_covered": 9, "n_classes": 10, "kl_uniform": 0.1})
    assert coverage_warning({"classes_covered": 10, "n_classes": 10}) is None
    assert coverage_warning({}) is None


def _method(cls, cfg, dataset):
    data = load_dataset(dataset)
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return cls(cfg, data.info, ctx), data


def test_an_untrained_gan_warns_at_evaluation():
    m, data = _method(GAN, GANConfig(), "ring8")
    with pytest.warns(RuntimeWarning, match="far from the mode-coverage target"):
        ev = m.evaluate(data, torch.Generator().manual_seed(0))
    assert ev["warning"].startswith("far from")


def test_a_trained_vae_does_not_warn_of_collapse_and_has_active_units():
    m, data = _method(VAE, VAEConfig(iwae_k=10), "digits-binary")
    stream = data.batches(100, 0)
    for step in range(300):
        m.train_step(stream, step)
    m.train(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ev = m.evaluate(data, torch.Generator().manual_seed(0))
    assert "warning" not in ev and ev["test_kl"] > 0.5 and 1 <= ev["active_units"] <= 8


def test_lr_half_life_halves_both_rates_every_half_life():
    m, data = _method(GAN, GANConfig(lr=1e-3, lr_d=4e-3, lr_half_life=100), "ring8")
    assert m.learning_rates(0) == (1e-3, 4e-3)
    assert m.learning_rates(100) == pytest.approx((5e-4, 2e-3))
    assert m.learning_rates(250) == pytest.approx((1e-3 * 2**-2.5, 4e-3 * 2**-2.5))
    m.train_step(data.batches(100, 0), 300)
    assert m.opt_g.param_groups[0]["lr"] == pytest.approx(1.25e-4)
    assert m.opt_d.param_groups[0]["lr"] == pytest.approx(5e-4)
    const, _ = _method(GAN, GANConfig(lr_half_life=0), "ring8")
    assert const.learning_rates(10**6) == (1e-3, 1e-3)
    with pytest.raises(ValueError, match="lr_half_life"):
        GANConfig(lr_half_life=-1)
