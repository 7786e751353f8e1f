"""The VAE and AE learn: test ELBO on digits, ring8 coverage, the CLI's train/sample/eval round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generative import TrainConfig, load_run, ring_centers, train
from generative.__main__ import main
from generative.data import load_dataset
from generative.vae import VAEConfig, iwae_bound

from ._helpers import FAST


def test_a_few_hundred_digits_steps_improve_the_test_elbo_by_a_clear_margin(tmp_path):
    cfg = VAEConfig(hidden=(128,), latent_dim=8, iwae_k=50)
    before = train(
        "vae",
        TrainConfig(dataset="digits", steps=1, seed=0, out=str(tmp_path / "a"), **dict(FAST, eval_at_end=True)),
        cfg,
    ).evaluation
    after = train(
        "vae",
        TrainConfig(dataset="digits", steps=300, seed=0, out=str(tmp_path / "b"), **dict(FAST, eval_at_end=True)),
        cfg,
    ).evaluation
    # an untrained Bernoulli decoder scores about -64 log 2 = -44 nats; 300 steps reach about -27
    assert before["test_elbo"] < -40
    assert after["test_elbo"] > before["test_elbo"] + 12
    assert after["test_elbo"] <= after["test_iwae"] <= 0
    assert after["test_kl"] > 1  # the code carries information
    # on the trained Bernoulli model too, the importance-weighted bound rises with k
    run = load_run(tmp_path / "b")
    x = load_dataset("digits").test.repeat(4, 1, 1)
    with torch.no_grad():
        b = [iwae_bound(run.method.net, x, k, torch.Generator().manual_seed(k)).mean().item() for k in (1, 4, 300)]
    assert after["test_elbo"] - 0.3 < b[0] < b[1] < b[2]


def test_vae_covers_every_ring8_mode(tmp_path):
    train(
        "vae",
        TrainConfig(dataset="ring8", steps=300, seed=0, out=str(tmp_path / "r"), batch_size=100, **FAST),
        VAEConfig(hidden=(32, 32), latent_dim=2, lr=1e-2),
    )
    x = load_run(tmp_path / "r").sample(2000, seed=1)
    k = ((x[:, None, :] - ring_centers()[None]) ** 2).sum(-1).argmin(1)
    counts = np.bincount(k, minlength=8)
    assert (counts > 2000 / 8 / 4).all(), counts  # every mode receives a fair share of samples


def test_ae_trains_without_kl_and_decodes_the_prior(tmp_path):
    res = train(
        "ae",
        TrainConfig(dataset="digits", steps=100, seed=0, out=str(tmp_path / "ae"), **dict(FAST, eval_at_end=True)),
        VAEConfig(hidden=(128,), latent_dim=2),
    )
    first = json.loads((tmp_path / "ae" / "metrics.jsonl").read_text().splitlines()[0])
    assert set(first) == {"step", "epoch", "loss", "rec", "time", "samples_per_s"}
    assert first["epoch"] == 100 / 1500
    assert res.metrics["loss"] < first["loss"] - 5
    x = load_run(tmp_path / "ae").sample(10)
    assert x.shape == (10, 8, 8) and x.min() >= 0 and x.max() <= 1


def test_cli_train_sample_eval(tmp_path, capsys):
    out = tmp_path / "cli"
    rc = main(
        [
            "train",
            "vae",
            "--dataset",
            "digits",
            "--steps",
            "20",
            "--out",
            str(out),
            "--quiet",
            "--hidden",
            "64",
            "32",
            "--latent-dim",
            "3",
            "--log-every",
            "10",
            "--iwae-k",
            "20",
        ]
    )
    assert rc == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["method_config"]["hidden"] == [64, 32] and cfg["method_config"]["latent_dim"] == 3
    assert main(["sample", "--checkpoint", str(out), "--n", "37", "--out", str(tmp_path / "s.npy")]) == 0
    s = np.load(tmp_path / "s.npy")
    assert s.shape == (37, 8, 8) and s.dtype == np.float32 and s.min() >= 0 and s.max() <= 1
    assert (tmp_path / "s.png").exists()
    # the checkpoint file works as well as the folder, and the same seed gives the same samples
    main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "37", "--out", str(tmp_path / "t.npy")])
    assert np.array_equal(s, np.load(tmp_path / "t.npy"))
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(out), "--set", "iwae_k=30"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["iwae_k"] == 30 and res["step"] == 20 and res["test_elbo"] <= res["test_iwae"]
    assert (out / "eval" / "samples.png").exists() and (out / "eval" / "reconstructions.png").exists()
    with pytest.raises(SystemExit) as e:
        main(["eval", "--checkpoint", str(tmp_path / "nowhere")])
    assert e.value.code == 2
    assert "no checkpoint at" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "vae", "--precision", "fp8"])
    with pytest.raises(SystemExit):
        main(["train", "vae", "--dataset", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "m")])
    assert "no such file" in capsys.readouterr().err


def test_sample_returns_the_data_own_range_for_uint8_data(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "u8.npy", (rng.uniform(size=(200, 4, 4)) > 0.5).astype(np.uint8) * 255)
    train(
        "vae",
        TrainConfig(dataset=str(tmp_path / "u8.npy"), steps=5, out=str(tmp_path / "u"), **FAST),
        VAEConfig(hidden=(16,)),
    )
    x = load_run(tmp_path / "u").sample(5)
    assert x.dtype == np.uint8 and x.shape == (5, 4, 4)
    assert load_dataset(str(tmp_path / "u8.npy")).info.scale == 255


def test_convolutional_option_on_grey_and_colour_images(tmp_path):
    res = train(
        "vae",
        TrainConfig(dataset="digits", steps=40, out=str(tmp_path / "g"), **FAST),
        VAEConfig(arch="conv", hidden=(64,)),
    )
    first = json.loads((tmp_path / "g" / "metrics.jsonl").read_text().splitlines()[0])
    assert res.metrics["loss"] < first["loss"]
    rng = np.random.default_rng(0)
    np.save(tmp_path / "rgb.npy", rng.integers(0, 256, (50, 6, 4, 3), dtype=np.uint8))
    train(
        "vae",
        TrainConfig(dataset=str(tmp_path / "rgb.npy"), steps=2, out=str(tmp_path / "c"), **FAST),
        VAEConfig(arch="conv", hidden=(16,)),
    )
    x = load_run(tmp_path / "c").sample(3)
    assert x.shape == (3, 6, 4, 3) and x.dtype == np.uint8
    np.save(tmp_path / "odd.npy", rng.uniform(size=(20, 5, 5)).astype(np.float32))
    with pytest.raises(ValueError, match=r"even height and width, got data shape \(5, 5\)"):
        train(
            "vae",
            TrainConfig(dataset=str(tmp_path / "odd.npy"), steps=2, out=str(tmp_path / "o"), **FAST),
            VAEConfig(arch="conv"),
        )
