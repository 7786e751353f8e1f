"""Smoke test of the planner benchmark and the bandwidth helper (tiny budget; numbers not checked)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import planners as bench
from benchmarks._bandwidth import triad_bandwidth


def test_quick_benchmark_writes_results(tmp_path: Path) -> None:
    assert bench.main(["--quick", "--sizes", "6", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "planners.json").read_text())
    rows = data["rows"]
    assert [r["grid"] for r in rows] == ["6x6", "6x6"] and data["triad_GBps"] > 0
    for r in rows:  # every contender solved the same problem
        assert r["max_diff_auto_numpy"] < 1e-6 and r["max_diff_auto_jacobi"] < 1e-6
    assert (tmp_path / "planners.md").read_text().startswith("### planners")


def test_numpy_baseline_is_value_iteration() -> None:
    import planners
    from gridworld_env import LectureGridEnv

    mdp = planners.TabularMDP.from_env(LectureGridEnv(slip=0.2))
    v, n = bench.numpy_value_iteration(mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, 0.9, 1e-10)
    ref = planners.value_iteration(mdp, 0.9, tol=1e-10)
    assert n == ref.iterations
    np.testing.assert_allclose(v, ref.values, atol=1e-12)
    assert bench.sweep_bytes(10, 4, 3) == 10 * (4 * 3 * 12 + 4 * 8 + 17)


def test_triad_arguments() -> None:
    assert triad_bandwidth(n_elements=1024, repeats=1, parallel=True)["bytes"] == 24 * 1024
    with pytest.raises(ValueError, match="n_elements"):
        triad_bandwidth(n_elements=0)
    with pytest.raises(ValueError, match="repeats"):
        triad_bandwidth(repeats=0)
