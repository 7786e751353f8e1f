"""Run folders that lose nothing: the lock (two real processes), stale temporaries, full or
read-only disks, a file as --out, strict JSON, and `sample` writing what it prints."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from generative import TrainConfig, load_run, train
from generative.__main__ import main
from generative._runfolder import RunFolderError, RunLock, clean_stale_temporaries, dumps
from generative.train import CHECKPOINT_NAME
from generative.vae import VAE, VAEConfig

from ._helpers import FAST, ROOT, python_env, read_metrics

SMALL = VAEConfig(hidden=(32,), latent_dim=2)
CLI_SMALL = ["--hidden", "32", "--latent-dim", "2", "--quiet", "--sample-every", "0", "--no-eval-at-end"]


def strict_json(text: str):
    """Parse as RFC 8259 JSON: NaN/Infinity are errors."""

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def cli(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generative", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=python_env(),
        cwd=ROOT,
    )


def one_error_line(r: subprocess.CompletedProcess) -> str:
    lines = [s for s in r.stderr.splitlines() if s.strip() and "Warning" not in s and "warn(" not in s]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_a_second_training_or_resume_into_a_locked_folder_fails_at_once_naming_the_holder(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "generative", "train", "vae", "--dataset", "digits", "--steps", "100000"]
    cmd += ["--out", str(out), "--log-every", "1", "--checkpoint-every", "2", *CLI_SMALL]
    holder = subprocess.Popen(
        cmd, env=python_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline and holder.poll() is None and not (out / CHECKPOINT_NAME).exists():
            time.sleep(0.1)
        assert holder.poll() is None and (out / CHECKPOINT_NAME).exists()
        for extra in ([], ["--resume"]):
            t0 = time.time()
            r = cli(["train", "vae", "--dataset", "digits", "--steps", "3", "--out", str(out), *CLI_SMALL, *extra])
            line = one_error_line(r)
            assert "in use by another training" in line and f"pid {holder.pid} on " in line and "started" in line
            assert time.time() - t0 < 60  # at once, not after a training
        assert holder.poll() is None  # the holder was not disturbed
    finally:
        holder.send_signal(signal.SIGTERM)
        _, err = holder.communicate(timeout=60)
    assert holder.returncode == 128 + signal.SIGTERM, err
    # released on exit: the run can be resumed now
    step = load_run(out).step
    train("vae", TrainConfig(dataset="digits", steps=step + 2, out=str(out), **FAST), resume=True)
    assert read_metrics(out)[-1]["step"] == step + 2


def test_the_lock_in_one_process_and_its_release(tmp_path):
    with RunLock(tmp_path / "r"):
        text = (tmp_path / "r" / ".lock").read_text()
        assert re.fullmatch(rf"pid {os.getpid()} on \S+, started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{{4}}", text)
        with pytest.raises(RunFolderError, match=rf"in use by another training \(pid {os.getpid()} on "):
            RunLock(tmp_path / "r").acquire()  # a second open file description cannot take it
    with RunLock(tmp_path / "r"):  # released
        pass


def test_stale_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".{CHECKPOINT_NAME}.tmp-{dead_pid}"
    live = tmp_path / f".{CHECKPOINT_NAME}.tmp-{os.getpid()}"
    other = tmp_path / "notes.tmp-1"  # not ours: no leading dot
    for p in (stale, live, other):
        p.write_bytes(b"x")
    assert clean_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_out_naming_a_file_is_one_line_and_exit_2(tmp_path):
    f = tmp_path / "afile"
    f.write_text("precious")
    for extra in ([], ["--resume"]):
        r = cli(["train", "vae", "--dataset", "ring8", "--steps", "2", "--out", str(f), *CLI_SMALL, *extra])
        assert "is a file, not a folder" in one_error_line(r)
    assert f.read_text() == "precious"


def _tmpfs(path: Path, size: int, readonly: bool = False) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False)


def test_a_full_disk_is_one_line_exit_2_and_keeps_the_last_checkpoint(tmp_path):
    ref = tmp_path / "ref"
    train("vae", TrainConfig(dataset="digits", steps=2, out=str(ref), **FAST), VAEConfig(hidden=(64,)))
    size = (ref / CHECKPOINT_NAME).stat().st_size
    disk = tmp_path / "disk"
    _tmpfs(disk, size + size // 2 + 64 * 1024)  # room for one checkpoint, not for a second beside it
    try:
        out = disk / "run"
        r = cli(["train", "vae", "--dataset", "digits", "--steps", "2", "--out", str(out), "--hidden", "64"] + FAST_CLI)
        assert r.returncode == 0, r.stderr
        r = cli(["train", "vae", "--steps", "6", "--out", str(out), "--checkpoint-every", "1", "--resume"] + FAST_CLI)
        line = one_error_line(r)
        assert "the disk is full" in line and f"the last good checkpoint {out / CHECKPOINT_NAME} is kept" in line
        assert load_run(out).step == 2  # nothing lost
        assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]  # nor a torn temporary left behind
    finally:
        _umount(disk)


FAST_CLI = ["--quiet", "--log-every", "1", "--sample-every", "0", "--checkpoint-every", "0", "--no-eval-at-end"]


def test_enospc_while_checkpointing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "run"
    train("vae", TrainConfig(dataset="digits", steps=2, out=str(out), **FAST), SMALL)
    before = (out / CHECKPOINT_NAME).read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(RunFolderError, match=r"the disk is full; the last good checkpoint .* is kept"):
        train("vae", TrainConfig(steps=5, out=str(out), **dict(FAST, checkpoint_every=1)), resume=True)
    monkeypatch.undo()
    assert (out / CHECKPOINT_NAME).read_bytes() == before
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]


def test_a_read_only_out_is_one_line_and_exit_2(tmp_path):
    ro = tmp_path / "ro"
    _tmpfs(ro, 1 << 20, readonly=True)
    try:
        r = cli(["train", "vae", "--dataset", "ring8", "--steps", "2", "--out", str(ro / "run"), *CLI_SMALL])
        assert "read-only" in one_error_line(r)
    finally:
        _umount(ro)


def test_every_json_file_is_strict_and_non_finite_figures_become_null(tmp_path, monkeypatch):
    assert dumps({"a": float("inf"), "b": [float("nan"), 1.5], "c": "x"}) == '{"a": null, "b": [null, 1.5], "c": "x"}'
    monkeypatch.setattr(VAE, "evaluate", lambda self, data, g: {"test_elbo": float("-inf"), "n": 3})
    out = tmp_path / "run"
    res = train("vae", TrainConfig(dataset="ring8", steps=3, out=str(out), **dict(FAST, eval_at_end=True)), SMALL)
    assert strict_json((out / "eval.json").read_text()) == {"step": 3, "test_elbo": None, "n": 3}
    assert res.evaluation["test_elbo"] == float("-inf")  # the Python value is kept; only the file says null
    strict_json((out / "config.json").read_text())
    for line in (out / "metrics.jsonl").read_text().splitlines():
        strict_json(line)


def test_sample_writes_the_format_its_extension_names_or_refuses(tmp_path, capsys):
    run = tmp_path / "run"
    train("vae", TrainConfig(dataset="digits", steps=2, out=str(run), **FAST), SMALL)
    base = ["sample", "--checkpoint", str(run), "--n", "7", "--seed", "3"]
    assert main([*base, "--out", str(tmp_path / "s.npy")]) == 0
    assert main([*base, "--out", str(tmp_path / "s.npz")]) == 0
    x = np.load(tmp_path / "s.npy")
    with np.load(tmp_path / "s.npz") as z:
        assert list(z.files) == ["x"] and np.array_equal(z["x"], x) and x.shape == (7, 8, 8)
    assert (tmp_path / "s.png").is_file()
    assert main([*base, "--out", str(tmp_path / "only.png")]) == 0
    printed = capsys.readouterr().out
    assert f"to {tmp_path / 's.npz'}\n" in printed and f"to {tmp_path / 'only.png'}\n" in printed
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["only.png", "s.npy", "s.npz", "s.png"]
    with pytest.raises(SystemExit) as e:
        main([*base, "--out", str(tmp_path / "s.txt")])
    assert e.value.code == 2 and "unknown format '.txt'" in capsys.readouterr().err
    assert not (tmp_path / "s.txt").exists()


def test_non_finite_samples_are_refused_and_nothing_written(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    train("vae", TrainConfig(dataset="ring8", steps=2, out=str(run), **FAST), SMALL)
    monkeypatch.setattr(VAE, "sample", lambda self, n, g: torch.full((n, 2), float("nan")))
    with pytest.raises(SystemExit) as e:
        main(["sample", "--checkpoint", str(run), "--n", "5", "--out", str(tmp_path / "s.npy")])
    assert e.value.code == 2 and "non-finite samples" in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists()


@pytest.mark.parametrize("seed", ["100000000000000000000", "-1", "1e20"])
def test_bad_seeds_are_one_line_and_exit_2(tmp_path, seed):
    r = cli(["train", "vae", "--dataset", "ring8", "--steps", "1", "--out", str(tmp_path / "r"), "--seed", seed])
    assert r.returncode == 2 and "Traceback" not in r.stderr and "seed" in r.stderr, r.stderr
    run = tmp_path / "run"
    train("vae", TrainConfig(dataset="ring8", steps=1, out=str(run), **FAST), SMALL)
    for command in ("sample", "eval"):
        r = cli([command, "--checkpoint", str(run), "--seed", seed, "--out", str(tmp_path / "o.npy")])
        assert r.returncode == 2 and "Traceback" not in r.stderr and "seed" in r.stderr, r.stderr
