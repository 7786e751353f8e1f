"""The likelihood protocol: ``digits-binary``, --binarize static/dynamic, the IWAE paper's preset
end to end on IDX files the test writes, its learning-rate schedule, and the "not a likelihood" label."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from generative.__main__ import main
from generative.data import load_dataset, write_idx
from generative.train import Context
from generative.vae import (
    IWAE_SCHEDULE_PASSES,
    VAE,
    VAEConfig,
    binarize,
    iwae_lr_factor,
    likelihood_label,
)


def test_digits_binary_is_sklearn_digits_thresholded_at_8_with_the_grey_split():
    grey, binary = load_dataset("digits"), load_dataset("digits-binary")
    images = load_digits().images  # 0..16 grey levels, independent of our loader
    # the same seeded split: recover each grey image's index, then compare with the raw threshold
    index = {img.tobytes(): i for i, img in enumerate((images / 16.0).astype(np.float32))}
    for part_g, part_b, lab_g, lab_b in (
        (grey.train, binary.train, grey.train_labels, binary.train_labels),
        (grey.test, binary.test, grey.test_labels, binary.test_labels),
    ):
        idx = [index[x.numpy().tobytes()] for x in part_g]
        assert np.array_equal(part_b.numpy(), (images[idx] >= 8).astype(np.float32))
        assert torch.equal(lab_g, lab_b)
    assert binary.info.name == "digits-binary" and binary.info.shape == (8, 8) and binary.info.bounded
    assert len(binary.train) == 1500 and len(binary.test) == 297
    with pytest.raises(ValueError, match="takes no parameters"):
        load_dataset("digits-binary:std=1")


def test_static_and_dynamic_binarisation():
    x = torch.tensor([[0.0, 0.2, 0.5, 0.7, 1.0]])
    assert binarize(x, "none") is x
    assert binarize(x, "static").tolist() == [[0.0, 0.0, 1.0, 1.0, 1.0]]
    g = torch.Generator().manual_seed(0)
    p = torch.full((20_000, 3), 0.0) + torch.tensor([0.1, 0.5, 0.9])
    draws = binarize(p, "dynamic", g)
    assert set(draws.unique().tolist()) == {0.0, 1.0}
    # Bernoulli(p) means, within 5 standard errors
    assert draws.mean(0).tolist() == pytest.approx([0.1, 0.5, 0.9], abs=5 * math.sqrt(0.25 / 20_000))
    assert not torch.equal(binarize(p, "dynamic", g), draws)  # resampled every call
    with pytest.raises(ValueError, match="'half'"):
        binarize(x, "half")


def test_the_iwae_schedule_stage_i_lasts_3_to_the_i_passes():
    # stage boundaries 1, 4, 13, 40, 121, 364, 1093 (cumulative sums of 3^i), factor 10^(-i/7)
    bounds = np.cumsum([3**i for i in range(8)])
    assert IWAE_SCHEDULE_PASSES == bounds[-1] == 3280
    assert iwae_lr_factor(0.0) == 1.0 and iwae_lr_factor(0.999) == 1.0
    for i, b in enumerate(bounds[:-1]):
        assert iwae_lr_factor(b - 1e-9) == pytest.approx(10 ** (-i / 7))
        assert iwae_lr_factor(float(b)) == pytest.approx(10 ** (-(i + 1) / 7))
    assert iwae_lr_factor(5000.0) == pytest.approx(0.1)


def _vae(dataset: str, **cfg) -> tuple[VAE, object]:
    data = load_dataset(dataset)
    ctx = Context(torch.device("cpu"), torch.Generator().manual_seed(0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return VAE(VAEConfig(**cfg), data.info, ctx), data


def test_dynamic_training_batches_are_fresh_bernoulli_draws_and_the_test_set_one_fixed_draw():
    m, data = _vae("digits", binarize="dynamic", iwae_k=2)
    seen = []
    real_step = m.model.forward

    def spy(x, eps):
        seen.append(x.clone())
        return real_step(x, eps)

    m.model.forward = spy
    stream = data.batches(100, 0)
    first = next(data.batches(100, 0))
    m.train_step(stream, 0)
    assert set(seen[0].unique().tolist()) <= {0.0, 1.0}
    # the grey batch's pixels are the Bernoulli probabilities: where the grey value is 0 or 1 the draw equals it
    sure = (first == 0) | (first == 1)
    assert torch.equal(seen[0][sure], first[sure])
    assert not torch.equal(seen[0][~sure], (first[~sure] >= 0.5).float())  # sampled, not thresholded
    t1, t2 = m.test_data(data), m.test_data(data)
    assert torch.equal(t1, t2) and set(t1.unique().tolist()) == {0.0, 1.0}
    ev = m.evaluate(data, torch.Generator().manual_seed(1))
    assert ev["likelihood"].startswith("bernoulli log-likelihood")


def test_grey_digits_are_labelled_not_a_likelihood_and_binary_ones_are_not():
    assert likelihood_label(torch.tensor([0.0, 0.5, 1.0]), True).startswith("not a likelihood")
    assert likelihood_label(torch.tensor([0.0, 1.0]), True).startswith("bernoulli")
    assert likelihood_label(torch.tensor([0.3]), False).startswith("gaussian")
    m, data = _vae("digits", iwae_k=2)
    with pytest.warns(RuntimeWarning, match="posterior collapse"):  # untrained: KL near zero
        ev = m.evaluate(data, torch.Generator().manual_seed(1))
    assert ev["likelihood"].startswith("not a likelihood")
    with pytest.raises(ValueError, match="real-valued"):
        _vae("ring8", binarize="static")


def _write_mnist_like(folder, n_train=60, n_test=20):
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte", x)
        write_idx(folder / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, size=n).astype(np.uint8))


def test_the_iwae_preset_runs_end_to_end_on_idx_files(tmp_path, capsys):
    """One command reproduces the paper's protocol: architecture, binarisation, optimiser, schedule, k."""
    _write_mnist_like(tmp_path / "mnist")
    out = tmp_path / "run"
    argv = ["train", "vae", "--dataset", str(tmp_path / "mnist"), "--preset", "iwae-mnist", "--out", str(out)]
    # a few steps and k = 16 here; the user's command is the same without these two options
    assert main([*argv, "--steps", "4", "--iwae-k", "16", "--quiet"]) == 0
    cfg = json.loads((out / "config.json").read_text())
    mc, tc = cfg["method_config"], cfg["train"]
    assert (mc["hidden"], mc["latent_dim"], mc["activation"]) == ([200, 200], 50, "tanh")
    assert (mc["binarize"], mc["lr_schedule"], mc["adam_eps"], mc["iwae_k"]) == ("dynamic", "iwae", 1e-4, 16)
    assert tc["batch_size"] == 20 and tc["epochs"] == 3280 and tc["steps"] == 4
    assert cfg["data"]["shape"] == [28, 28] and cfg["data"]["scale"] == 255.0
    ev = json.loads((out / "eval.json").read_text())
    assert ev["n_test"] == 20 and ev["iwae_k"] == 16 and ev["likelihood"].startswith("bernoulli")
    assert ev["test_elbo"] <= ev["test_iwae"] + 1.0 and ev["test_iwae"] < 0
    # the network really is 784-200-200-50 with tanh
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    shapes = [tuple(v.shape) for k, v in ck["modules"]["net"].items() if k.startswith("encoder") and "weight" in k]
    assert shapes == [(200, 784), (200, 200), (100, 200)]
    # the preset's schedule in help; the default epochs are the paper's 3,280 passes
    with pytest.raises(SystemExit):
        main(["train", "vae", "--help"])
    assert "iwae-mnist" in capsys.readouterr().out


def test_iwae_schedule_sets_the_learning_rate_from_the_stream_position():
    m, data = _vae("digits-binary", lr_schedule="iwae", lr=1e-3)
    stream = data.batches(100, 0)
    stream.examples = 4 * 1500  # 4 passes done: stage 2
    m.train_step(stream, 0)
    assert m.opt.param_groups[0]["lr"] == pytest.approx(1e-3 * 10 ** (-2 / 7))
