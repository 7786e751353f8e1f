"""The training loop's structure: one host sync per logging interval, seeds from SeedSequence,
imports that point one way, no gymnasium/pygame needed, functions that fit on a screen."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from generative import TrainConfig, train
from generative.data import SEED_DATA, SEED_METHOD, derive_seed, load_dataset
from generative.vae import VAE, VAEConfig

from ._helpers import ROOT, run_py

PKG = ROOT / "generative"


def test_one_host_sync_per_logging_interval(tmp_path, monkeypatch):
    """Count every way a tensor reaches the host (``item``, ``tolist``, ``cpu``, ``numpy``,
    ``float``/``int``/``bool``) from the package's own code, and the step at which it happened.
    (torch's Adam calls ``.item()`` on its step counters, which live on the CPU even for CUDA
    parameters: no device sync, and not ours, so calls from outside ``generative/`` are not counted.)"""
    steps_done: list[int] = []
    events: list[tuple[int, str]] = []
    real_step = VAE.train_step

    def counted_step(self, batches, step):
        out = real_step(self, batches, step)
        steps_done.append(step + 1)
        return out

    monkeypatch.setattr(VAE, "train_step", counted_step)
    for name in ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__"):
        real = getattr(torch.Tensor, name)

        def spy(self, *a, _real=real, _name=name, **k):
            if Path(sys._getframe(1).f_code.co_filename).parent == PKG:
                events.append((steps_done[-1] if steps_done else 0, _name))
            return _real(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, spy)
    cfg = dict(quiet=True, log_every=5, sample_every=0, checkpoint_every=0, eval_at_end=False)
    train("vae", TrainConfig(dataset="ring8", steps=20, out=str(tmp_path / "r"), **cfg), VAEConfig(hidden=(16,)))
    monkeypatch.undo()
    during = [e for e in events if 0 < e[0] < 20]  # after step k's update, before step k+1's
    assert during == [(5, "tolist"), (10, "tolist"), (15, "tolist")]


def test_per_rank_seeds_come_from_seed_sequence():
    s = 12345
    want = int(np.random.SeedSequence(s, spawn_key=(SEED_METHOD, 1)).generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert derive_seed(s, SEED_METHOD, 1) == want and 0 <= want < 2**63
    keys = [(SEED_METHOD, 0), (SEED_METHOD, 1), (SEED_DATA, 0), (SEED_DATA, 1)]
    assert len({derive_seed(s, *k) for k in keys}) == 4
    # the on-the-fly stream of rank r draws from derive_seed(seed, SEED_DATA, r)
    data = load_dataset("ring8")
    a = next(data.batches(8, s, rank=1, world_size=2))
    b = data.sampler(8, torch.Generator().manual_seed(derive_seed(s, SEED_DATA, 1)))
    assert torch.equal(a, b)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .metrics import y
                base = "generative" + (f".{base}" if base else "")
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
    return names


def test_data_never_imports_metrics_and_the_centres_have_one_home():
    assert not any(n.startswith("generative.metrics") for n in _imports(PKG / "data.py"))
    assert "generative.data" in _imports(PKG / "metrics.py")
    text = {p.name: p.read_text() for p in PKG.glob("*.py")}
    for old in ("ring8_centers", "grid25_centers", "ring_centres", "grid_centres"):
        assert not [name for name, t in text.items() if old in t], old
    assert sum(t.count("def ring_centers(") for t in text.values()) == 1


def test_no_function_in_generative_exceeds_100_lines():
    long = []
    for path in sorted(PKG.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 100:
                    long.append(f"{path.name}:{node.name} ({n} lines)")
    assert not long, long


def test_input_checks_have_one_home():
    from generative import _checks

    for name in ("train.py", "data.py", "metrics.py", "__main__.py", "veegan.py", "theory.py"):
        assert "generative._checks" in _imports(PKG / name), name
    # bools and strings are not numbers, anywhere
    for bad in (True, "3", 2.5):
        with pytest.raises(ValueError, match=f"n must be a positive integer, got {bad!r}"):
            _checks.check_int(bad, "n")
    for bad in (True, "0.1", float("nan"), float("inf")):
        with pytest.raises(ValueError, match="lr must be a finite number"):
            _checks.check_number(bad, "lr", positive=True)
    with pytest.raises(ValueError, match=r"hidden must be one or more positive integers, got \(32, True\)"):
        _checks.check_widths((32, True), "hidden")
    assert _checks.check_widths([np.int64(4), 2], "hidden") == (4, 2)


def test_generative_imports_without_gymnasium_or_pygame():
    mods = "generative, generative.train, generative.data, generative.metrics, generative.vae, generative.gan"
    mods += ", generative.veegan, generative.plots, generative.theory, generative.__main__"
    code = "import sys\nfor m in ('gymnasium', 'pygame', 'gridworld_env', 'planners', 'learners'):\n"
    code += f"    sys.modules[m] = None\nimport {mods}\nprint('ok')"
    r = run_py(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_a_resume_from_the_middle_of_a_logging_interval_logs_what_an_uninterrupted_run_logs(tmp_path, monkeypatch):
    """The checkpoint at step 6 holds the device sums of steps 5-6; the resumed run adds 7-8 to them."""
    from ._helpers import read_metrics

    cfg = dict(quiet=True, log_every=4, sample_every=0, eval_at_end=False)
    small = VAEConfig(hidden=(16,), latent_dim=2)
    ref, out = tmp_path / "ref", tmp_path / "out"
    train("vae", TrainConfig(dataset="digits", steps=12, out=str(ref), checkpoint_every=0, **cfg), small)
    real = VAE.train_step

    def poisoned(self, batches, step):
        if step == 7:
            with torch.no_grad():
                next(self.net.parameters()).fill_(float("nan"))
        return real(self, batches, step)

    monkeypatch.setattr(VAE, "train_step", poisoned)
    with pytest.raises(Exception, match="non-finite loss at step 8"):
        train("vae", TrainConfig(dataset="digits", steps=12, out=str(out), checkpoint_every=6, **cfg), small)
    monkeypatch.setattr(VAE, "train_step", real)
    assert [m["step"] for m in read_metrics(out)] == [4]
    train("vae", TrainConfig(dataset="digits", steps=12, out=str(out), **cfg), resume=True)

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("time", "samples_per_s")} for r in rows]

    assert strip(read_metrics(out)) == strip(read_metrics(ref)) and len(read_metrics(ref)) == 3
