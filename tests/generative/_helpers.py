"""Shared helpers of the generative tests (not a test module)."""

from __future__ import annotations

import json
import os
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
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=python_env(), cwd=ROOT, **kw)
