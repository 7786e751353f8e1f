"""Shared helpers of the generative tests (not a test module)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Small, fast settings: exact per-step logs, no pictures or evaluation unless a test asks.
FAST = dict(quiet=True, log_every=1, sample_every=0, checkpoint_every=0, eval_at_end=False)


def read_metrics(run_dir) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]


def losses(run_dir, keys=("loss", "rec", "kl", "elbo")) -> list[tuple]:
    return [(m["step"], *(m.get(k) for k in keys)) for m in read_metrics(run_dir)]


def python_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env


def run_py(code: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=python_env(), cwd=ROOT, **kw
    )


def run_group(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group from the repository root; on timeout kill the whole
    group (torchrun's workers too) and re-raise."""
    p = subprocess.Popen(
        cmd,
        env=python_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def torchrun_cli(args: list[str], out: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node 2`` of ``python -m generative ARGS --out OUT``,
    each worker then checking that no process-group thread outlived the command
    (``_torchrun_cli.py``).  Retried once, from an empty ``out``, when another job on this
    machine took the free port torchrun had picked."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(Path(__file__).with_name("_torchrun_cli.py")),
        *args,
        "--out",
        str(out),
    ]
    r = run_group(cmd, timeout)
    port_taken = ("Address already in use", "EADDRINUSE", "DistNetworkError")
    if r.returncode != 0 and any(s in r.stderr for s in port_taken):
        shutil.rmtree(out, ignore_errors=True)
        r = run_group(cmd, timeout)
    return r


def resumed_equals_uninterrupted(tmp_path, method: str, config, steps: int, stop: int) -> dict:
    """Train ``steps`` steps in one go, and ``stop`` steps then resumed to ``steps``; assert the
    per-step logs (exact floats) and every checkpointed module are identical. Returns the
    uninterrupted run's checkpoint."""
    import torch

    from generative import TrainConfig, train
    from generative.train import CHECKPOINT_NAME

    a, b = Path(tmp_path) / "uninterrupted", Path(tmp_path) / "resumed"
    train(method, TrainConfig(dataset="ring8", steps=steps, out=str(a), **FAST), config)
    train(method, TrainConfig(dataset="ring8", steps=stop, out=str(b), **FAST), config)
    train(method, TrainConfig(dataset="ring8", steps=steps, out=str(b), **FAST), resume=True)
    logs_a, logs_b = read_metrics(a), read_metrics(b)
    assert [r["step"] for r in logs_a] == list(range(1, steps + 1))
    for ra, rb in zip(logs_a, logs_b, strict=True):
        assert {k: v for k, v in ra.items() if k not in ("time", "samples_per_s")} == {
            k: v for k, v in rb.items() if k not in ("time", "samples_per_s")
        }
    ka = torch.load(a / CHECKPOINT_NAME, weights_only=True)
    kb = torch.load(b / CHECKPOINT_NAME, weights_only=True)
    assert ka["modules"].keys() == kb["modules"].keys()
    for name, state in ka["modules"].items():
        for k, v in state.items():
            assert torch.equal(v, kb["modules"][name][k]), (name, k)
    assert ka["extra"] == kb["extra"]
    return ka
