"""The VAE benchmark's smoke run writes its table (budgets tiny; the real figures come from `python -m benchmarks.generative_vae`)."""

from __future__ import annotations

import json

from benchmarks.generative_vae import main


def test_quick_benchmark_writes_results(tmp_path, capsys):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "generative_vae.json").read_text())
    assert res["quick"] and res["ring8"]["modes"] == 8 and res["grid25"]["modes"] == 25
    assert res["digits"]["test_elbo"] <= res["digits"]["test_iwae"] + 0.5
    assert res["ring8"]["modes_with_samples"] == 8  # even 100 steps spread samples over every mode
    assert "| figure | value | detail |" in (tmp_path / "generative_vae.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("bench-vae-")]  # temporary runs removed
