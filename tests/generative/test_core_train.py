"""The training core: run folders, configs, resume == uninterrupted, atomic checkpoints, signals, NaN stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import torch

from generative import NonFiniteLossError, TrainConfig, load_run, train
from generative.train import CHECKPOINT_NAME, get_method, pick_device
from generative.vae import VAE, VAEConfig

from ._helpers import FAST, ROOT, losses, python_env, read_metrics, run_py, torchrun_cli

SMALL = VAEConfig(hidden=(32,), latent_dim=2)


def test_run_folder_contents(tmp_path):
    out = tmp_path / "run"
    res = train(
        "vae",
        TrainConfig(
            dataset="digits", steps=6, out=str(out), quiet=True, log_every=2, sample_every=3, checkpoint_every=3
        ),
        VAEConfig(hidden=(32,), iwae_k=5),
    )
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["method"] == "vae" and cfg["train"]["steps"] == 6 and cfg["method_config"]["hidden"] == [32]
    assert cfg["data"]["shape"] == [8, 8]
    m = read_metrics(out)
    assert [r["step"] for r in m] == [2, 4, 6]
    assert all({"loss", "rec", "kl", "elbo", "time", "samples_per_s"} <= set(r) for r in m)
    assert m[0]["loss"] == pytest.approx(-m[0]["elbo"]) and m[0]["kl"] >= 0
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "reconstructions-step0000003.png",
        "reconstructions-step0000006.png",
        "samples-step0000003.png",
        "samples-step0000006.png",
    ]
    ev = json.loads((out / "eval.json").read_text())
    assert (
        ev["step"] == 6
        and ev["test_iwae"] >= ev["test_elbo"] - 0.5
        and res.evaluation == {k: ev[k] for k in res.evaluation}
    )
    run = load_run(out)
    assert run.step == 6 and run.info.shape == (8, 8)
    with pytest.raises(ValueError, match="already holds a run"):
        train("vae", TrainConfig(dataset="digits", steps=6, out=str(out), quiet=True), VAEConfig(hidden=(32,)))


@pytest.mark.parametrize("dataset", ["digits", "ring8"])
def test_resume_gives_bit_identical_losses(tmp_path, dataset):
    a, b = tmp_path / "a", tmp_path / "b"
    train("vae", TrainConfig(dataset=dataset, steps=24, seed=3, out=str(a), batch_size=64, **FAST), SMALL)
    train("vae", TrainConfig(dataset=dataset, steps=10, seed=3, out=str(b), batch_size=64, **FAST), SMALL)
    train("vae", TrainConfig(dataset=dataset, steps=24, out=str(b), **FAST), resume=True)
    la, lb = losses(a), losses(b)
    assert len(la) == 24 and la == lb  # exact float equality, every step
    sa, sb = load_run(a).method.net.state_dict(), load_run(b).method.net.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    # a different seed really changes the run
    c = tmp_path / "c"
    train("vae", TrainConfig(dataset=dataset, steps=3, seed=4, out=str(c), batch_size=64, **FAST), SMALL)
    assert losses(c)[0] != la[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_a_checkpoint_and_resume_matches_uninterrupted(tmp_path, signum):
    out = tmp_path / "sig"
    cmd = [
        sys.executable,
        "-m",
        "generative",
        "train",
        "vae",
        "--dataset",
        "digits",
        "--steps",
        "100000",
        "--out",
        str(out),
        "--quiet",
        "--log-every",
        "1",
        "--checkpoint-every",
        "0",
        "--sample-every",
        "0",
        "--no-eval-at-end",
        "--hidden",
        "32",
        "--latent-dim",
        "2",
        "--seed",
        "5",
    ]
    p = subprocess.Popen(cmd, env=python_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 90
    while time.time() < deadline and p.poll() is None:
        if (out / "metrics.jsonl").exists() and len((out / "metrics.jsonl").read_text().splitlines()) >= 5:
            break
        time.sleep(0.1)
    p.send_signal(signum)
    try:
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 128 + signum, err
    assert "checkpoint saved" in err and "--resume" in err
    step = load_run(out).step
    assert step == read_metrics(out)[-1]["step"] >= 5
    ref = tmp_path / "ref"
    cfg = dict(dataset="digits", seed=5, **FAST)
    train("vae", TrainConfig(steps=step + 4, out=str(ref), **cfg), SMALL)
    train("vae", TrainConfig(steps=step + 4, out=str(out), **FAST), resume=True)
    assert losses(out) == losses(ref)


def test_a_checkpoint_write_killed_halfway_leaves_the_previous_one_loadable_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "kill"
    code = f"""
import os, signal
from generative import train, TrainConfig
from generative.vae import VAEConfig
cfg = dict(quiet=True, log_every=1, sample_every=0, checkpoint_every=0, eval_at_end=False)
train("vae", TrainConfig(dataset="digits", steps=3, out={str(out)!r}, **cfg), VAEConfig(hidden=(32,)))
def torn_fsync(fd):  # the checkpoint's bytes are in the temporary file: tear it, then die
    os.ftruncate(fd, os.fstat(fd).st_size // 2)
    os.kill(os.getpid(), signal.SIGKILL)
os.fsync = torn_fsync
train("vae", TrainConfig(dataset="digits", steps=6, out={str(out)!r}, **dict(cfg, checkpoint_every=1)), resume=True)
"""
    r = run_py(code)
    assert r.returncode == -signal.SIGKILL, r.stderr
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(f".{CHECKPOINT_NAME}.tmp-")]
    assert leftovers  # the torn write happened, in a temporary file
    run = load_run(out)
    assert run.step == 3
    assert all(torch.isfinite(p).all() for p in run.method.net.parameters())
    # the writer is dead: the next training into the folder removes its temporary file
    train("vae", TrainConfig(dataset="digits", steps=4, out=str(out), **FAST), resume=True)
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]
    assert load_run(out).step == 4


def test_nan_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    real = VAE.train_step

    def poisoned(self, batches, step):
        if step == 6:  # the 7th step starts from NaN weights
            with torch.no_grad():
                next(self.net.parameters()).fill_(float("nan"))
        return real(self, batches, step)

    monkeypatch.setattr(VAE, "train_step", poisoned)
    out = tmp_path / "nan"
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step 7: loss = nan.*last good checkpoint") as e:
        train("vae", TrainConfig(dataset="digits", steps=20, out=str(out), **dict(FAST, checkpoint_every=3)), SMALL)
    assert e.value.step == 7
    run = load_run(out)
    assert run.step == 6 and all(torch.isfinite(p).all() for p in run.method.net.parameters())
    assert [m["step"] for m in read_metrics(out)] == list(range(1, 7))


def test_resume_after_a_crash_drops_the_lines_logged_after_the_checkpoint(tmp_path, monkeypatch):
    real = VAE.train_step

    def poisoned(self, batches, step):
        if step == 7:
            with torch.no_grad():
                next(self.net.parameters()).fill_(float("nan"))
        return real(self, batches, step)

    out, ref = tmp_path / "crash", tmp_path / "ref"
    monkeypatch.setattr(VAE, "train_step", poisoned)
    with pytest.raises(NonFiniteLossError, match="step 8"):
        train("vae", TrainConfig(dataset="digits", steps=12, out=str(out), **dict(FAST, checkpoint_every=4)), SMALL)
    assert [m["step"] for m in read_metrics(out)] == list(range(1, 8))  # logged past the checkpoint at 4
    monkeypatch.setattr(VAE, "train_step", real)
    train("vae", TrainConfig(dataset="digits", steps=12, out=str(out), **FAST), resume=True)
    train("vae", TrainConfig(dataset="digits", steps=12, out=str(ref), **FAST), SMALL)
    assert losses(out) == losses(ref)  # steps 1..12 once each, identical to an uninterrupted run


def test_bf16_autocast_and_torch_compile_run_on_cpu(tmp_path):
    res = train(
        "vae",
        TrainConfig(
            dataset="ring8",
            steps=4,
            out=str(tmp_path / "c"),
            precision="bf16",
            compile=True,
            compile_backend="aot_eager",
            **FAST,
        ),
        VAEConfig(hidden=(16,), latent_dim=2),
    )
    assert res.step == 4 and all(torch.isfinite(torch.tensor(v)) for v in res.metrics.values())
    plain = tmp_path / "p"
    train("vae", TrainConfig(dataset="ring8", steps=4, out=str(plain), **FAST), VAEConfig(hidden=(16,), latent_dim=2))
    # bf16 changes the arithmetic, not the model: the first losses agree to bf16 precision
    a, b = losses(tmp_path / "c")[0][1], losses(plain)[0][1]
    assert a != b and a == pytest.approx(b, rel=0.05)


def test_two_process_torchrun_trains_and_writes_one_set_of_logs(tmp_path):
    out = tmp_path / "ddp"
    r = torchrun_cli(
        [
            "train",
            "vae",
            "--dataset",
            "digits",
            "--steps",
            "6",
            "--device",
            "cpu",
            "--quiet",
            "--log-every",
            "2",
            "--hidden",
            "32",
            "--iwae-k",
            "10",
        ],
        out,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["world_size"] == 2
    m = read_metrics(out)
    assert [x["step"] for x in m] == [2, 4, 6]  # one writer: no duplicated lines
    assert m[-1]["samples_per_s"] > 0
    run = load_run(out)
    assert run.step == 6
    ck = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert len(ck["rng"]) == 2 and ck["rng"][0]["data"]["examples"] == ck["rng"][1]["data"]["examples"] == 600
    assert json.loads((out / "eval.json").read_text())["step"] == 6


def test_registry_and_device_errors():
    with pytest.raises(ValueError, match="unknown method 'nope'; available: .*ae.*vae"):
        get_method("nope")
    with pytest.raises(ValueError, match="unknown device 'gpu9'"):
        pick_device("gpu9")
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16', got 'fp8'"):
        TrainConfig(precision="fp8")


def test_importing_the_rl_packages_never_imports_torch_and_generative_names_the_extra():
    r = run_py("import sys, gridworld_env, planners; assert 'torch' not in sys.modules, 'torch imported'")
    assert r.returncode == 0, r.stderr
    r = run_py("import sys; sys.modules['torch'] = None; import generative")
    assert r.returncode != 0 and "pip install lecturegrid[generative]" in r.stderr
