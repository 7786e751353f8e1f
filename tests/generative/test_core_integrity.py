"""Checkpoint integrity (checksum, bit flips, NaN weights, missing entries, configs too large to
allocate), resume options (applied or refused, never kept silently), the verified classifier cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generative import TrainConfig, load_run, train
from generative import metrics as M
from generative.__main__ import main
from generative._checkpoint import checksum
from generative.train import CHECKPOINT_NAME
from generative.vae import VAEConfig

from ._helpers import FAST, read_metrics

SMALL = VAEConfig(hidden=(32,), latent_dim=4)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("integrity") / "run"
    train("vae", TrainConfig(dataset="digits", steps=3, seed=3, batch_size=64, out=str(out), **FAST), SMALL)
    return out


def rewrite(src, dst, edit, *, fix_checksum: bool):
    """Copy checkpoint ``src`` to ``dst`` after ``edit(ck)``, with its checksum updated or stale."""
    ck = torch.load(src / CHECKPOINT_NAME, weights_only=True)
    edit(ck)
    if fix_checksum:
        ck["checksum"] = checksum(ck)
    dst.mkdir(parents=True, exist_ok=True)
    torch.save(ck, dst / CHECKPOINT_NAME)
    return dst


def first_weight(ck):
    return next(iter(ck["modules"]["net"].values()))


def cli_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_an_edited_weight_fails_the_checksum(run_dir, tmp_path, capsys):
    bad = rewrite(run_dir, tmp_path / "edited", lambda ck: first_weight(ck).add_(1e-3), fix_checksum=False)
    with pytest.raises(ValueError, match="fails its SHA-256 checksum"):
        load_run(bad)
    assert "checksum" in cli_error(["eval", "--checkpoint", str(bad)], capsys)
    assert "checksum" in cli_error(["sample", "--checkpoint", str(bad), "--out", str(tmp_path / "s.npy")], capsys)
    assert not (tmp_path / "s.npy").exists()


def test_a_bit_flip_in_the_file_is_refused(run_dir, tmp_path):
    raw = bytearray((run_dir / CHECKPOINT_NAME).read_bytes())
    ck = torch.load(run_dir / CHECKPOINT_NAME, weights_only=True)
    at = raw.find(first_weight(ck).numpy().tobytes()[:64])
    assert at > 0
    raw[at + 17] ^= 0x04
    (tmp_path / "flip").mkdir()
    (tmp_path / "flip" / CHECKPOINT_NAME).write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="checkpoint"):
        load_run(tmp_path / "flip")


def test_nan_weights_are_refused_even_with_a_valid_checksum(run_dir, tmp_path, capsys):
    def poison(ck):
        first_weight(ck)[0, 0] = float("nan")

    bad = rewrite(run_dir, tmp_path / "nan", poison, fix_checksum=True)
    with pytest.raises(ValueError, match=r"non-finite weights \(NaN or inf\) in net\."):
        load_run(bad)
    out = tmp_path / "eval.json"
    assert "non-finite weights" in cli_error(["eval", "--checkpoint", str(bad), "--out", str(out)], capsys)
    assert not out.exists()
    with pytest.raises(ValueError, match="non-finite weights"):
        train("vae", TrainConfig(steps=5, out=str(bad), **FAST), resume=True)


def test_a_format_1_checkpoint_without_checksum_loads_with_a_warning(run_dir, tmp_path):
    def old(ck):
        ck.pop("checksum")
        ck["format"] = 1

    legacy = rewrite(run_dir, tmp_path / "v1", old, fix_checksum=False)
    with pytest.warns(UserWarning, match="predates checksums"):
        assert load_run(legacy).step == 3


def test_a_checkpoint_missing_entries_is_one_line(run_dir, tmp_path, capsys):
    bad = rewrite(run_dir, tmp_path / "keys", lambda ck: ck.pop("rng"), fix_checksum=True)
    with pytest.raises(ValueError, match=r"lacks the entries \['rng'\]"):
        load_run(bad)
    assert "lacks the entries" in cli_error(["eval", "--checkpoint", str(bad)], capsys)


def test_a_config_that_would_need_160_gb_is_refused_before_allocating(run_dir, tmp_path, capsys):
    def huge(ck):
        ck["method_config"]["hidden"] = (200_000, 200_000)

    bad = rewrite(run_dir, tmp_path / "huge", huge, fix_checksum=True)
    # encoder 64-200000-200000 and its mirror: 2 * 200000**2 = 8e10 weights, x 4 bytes x 4 copies = 1280 GB
    with pytest.raises(ValueError, match=r"would have 8e\+10 parameters, 128\d\.\d GB .*hidden=\(200000, 200000\)"):
        load_run(bad)
    err = cli_error(
        ["train", "vae", "--dataset", "digits", "--out", str(tmp_path / "t"), "--hidden", "200000", "200000"], capsys
    )
    assert "would have" in err and "GB" in err


def test_an_architecture_override_is_one_line_naming_the_option(run_dir, capsys):
    with pytest.raises(ValueError, match=r"do not fit the vae model .* with latent_dim=8: module 'net' tensor"):
        load_run(run_dir, overrides={"latent_dim": 8})
    assert "latent_dim=8" in cli_error(["eval", "--checkpoint", str(run_dir), "--set", "latent_dim=8"], capsys)


# --------------------------------------------------------------------------------------------
# resume: every explicit option applied or refused
# --------------------------------------------------------------------------------------------


def fresh_copy(run_dir, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def resume_cli(out, *args):
    return ["train", "vae", "--out", str(out), "--resume", "--quiet", "--log-every", "1", "--no-eval-at-end", *args]


def test_resume_refuses_an_explicit_architecture_option_even_when_it_equals_the_default(run_dir, tmp_path, capsys):
    out = fresh_copy(run_dir, tmp_path)
    # latent 4 run; --latent-dim 8 is VAEConfig's default: it used to be dropped silently (exit 0, latent 4)
    err = cli_error(resume_cli(out, "--latent-dim", "8", "--steps", "5"), capsys)
    assert "--latent-dim 8 (the run has 4)" in err
    err = cli_error(resume_cli(out, "--seed", "0", "--steps", "5"), capsys)  # 0 is the default seed; the run has 3
    assert "--seed 0 (the run has 3)" in err
    assert load_run(out).step == 3 and len(read_metrics(out)) == 3  # nothing changed
    with pytest.raises(ValueError, match="cannot resume .*--dataset 'ring8'"):
        train("vae", TrainConfig(dataset="ring8", steps=5, out=str(out), **FAST), resume=True)


def test_resume_applies_explicit_options_including_ones_equal_to_their_default(run_dir, tmp_path, capsys):
    out = fresh_copy(run_dir, tmp_path)
    # the run's batch size is 64; --batch-size 100 is the default and must still be applied
    assert main(resume_cli(out, "--latent-dim", "4", "--hidden", "32", "--batch-size", "100", "--steps", "5")) == 0
    ck = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert ck["train_config"]["batch_size"] == 100 and ck["step"] == 5
    assert ck["rng"][0]["data"]["examples"] == 3 * 64 + 2 * 100
    # the Python API: fields not named when the config was built are kept
    train("vae", TrainConfig(out=str(out), steps=6, quiet=True, eval_at_end=False), resume=True)
    ck = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert ck["train_config"]["batch_size"] == 100 and ck["train_config"]["seed"] == 3 and ck["step"] == 6


# --------------------------------------------------------------------------------------------
# the cached digits classifier
# --------------------------------------------------------------------------------------------


def test_a_tampered_classifier_cache_is_detected_and_retrained(tmp_path):
    path = tmp_path / "clf.npz"
    good = M.digit_classifier(path=path)
    assert good.test_accuracy > 0.9
    with np.load(path) as z:
        saved = {k: z[k] for k in z.files}

    # 1. weights edited, checksum left as it was
    np.savez(path, **dict(saved, w2=np.zeros_like(saved["w2"])))
    clf = M.digit_classifier(path=path)
    assert np.array_equal(clf.w2, good.w2) and clf.test_accuracy == good.test_accuracy
    # 2. weights edited and the checksum recomputed: the claimed accuracy is recomputed and fails
    tampered = M.DigitClassifier(saved["w1"], saved["b1"], np.zeros_like(saved["w2"]), saved["b2"], good.test_accuracy)
    np.savez(path, **dict(saved, w2=tampered.w2, sha256=M._weights_digest(tampered)))
    assert M.digit_coverage(np.zeros((5, 8, 8)), tampered).modes_covered == 1  # what trusting it would report
    clf = M.digit_classifier(path=path)
    assert np.array_equal(clf.w2, good.w2)
    with np.load(path) as z:  # and the cache is rewritten with the good weights
        assert np.array_equal(z["w2"], good.w2) and str(z["sha256"]) == M._weights_digest(good)
