"""benchmarks/generative_gpu.py runs as the GPU machine runs it (a file, PYTHONPATH=., no gymnasium,
pygame or numba installed) - here on the CPU with --quick - and writes every row and check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter in which importing gymnasium, pygame or numba fails, as on the GPU machine.
_BLOCKED = """
import importlib.abc, runpy, sys
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("gymnasium", "pygame", "numba"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None
sys.meta_path.insert(0, _Missing())
for m in [m for m in sys.modules if m.split(".")[0] in ("gymnasium", "pygame", "numba")]:
    del sys.modules[m]
sys.argv = ["benchmarks/generative_gpu.py", *sys.argv[1:]]
runpy.run_path("benchmarks/generative_gpu.py", run_name="__main__")
"""


def _run_blocked(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_blocker_really_blocks():
    probe = _BLOCKED.split("sys.argv")[0] + "import gymnasium\n"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "blocked by the test" in proc.stderr


def test_gpu_script_quick_on_cpu_without_env_packages(tmp_path):
    proc = _run_blocked("--device", "cpu", "--quick", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "generative_gpu.json").read_text())
    rows = res["rows"]
    # per model: the CPU reference, then fp32/bf16 x eager/compiled on the device under test
    for model in ("vae digits-binary", "gan ring8"):
        mine = [r for r in rows if r["model"] == model]
        assert [(r["precision"], r["compile"]) for r in mine] == [
            ("fp32", False),
            ("fp32", False),
            ("bf16", False),
            ("fp32", True),
            ("bf16", True),
        ]
        assert mine[0]["matches cpu"] == "reference"
        assert mine[1]["matches cpu"] == "yes (identical)"  # same device, same seed: the same numbers
        assert all(r["train_examples_per_s"] > 0 and r["samples_per_s"] > 0 for r in mine)
    vae = [r for r in rows if r["model"].startswith("vae")]
    assert all(r["test_elbo"] <= r["test_iwae"] + 1.0 for r in vae)
    checks = {c["check"]: c for c in res["checks"]}
    for model in ("vae", "gan"):
        c = checks[f"resume {model}"]
        assert c["ok"] and c["losses_identical"] and c["logged_steps_compared"] > 0  # the CPU resumes exactly
        assert c["figures_full"] == c["figures_resumed"]
    assert checks["torchrun --nproc_per_node 2 (nccl)"]["skipped"] == "fewer than 2 GPUs"
    assert "matches cpu" in (tmp_path / "generative_gpu.md").read_text()
    assert "| vae digits-binary |" in proc.stdout
