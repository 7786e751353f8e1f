"""Smoke test of benchmarks/planners_scale: every part runs at tiny sizes and its checks hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import planners_scale  # noqa: E402


def test_quick_run_covers_every_part(tmp_path):
    assert planners_scale.main(["--quick", "--out", str(tmp_path), "--parts", "grid", "threads", "big", "sparse"]) == 0
    payload = json.loads((tmp_path / "planners_scale.json").read_text())
    rows = payload["rows"]
    assert {(r["grid"], r["slip"]) for r in rows} == {("20x20", 0.0), ("40x40", 0.0), ("20x20", 0.2), ("40x40", 0.2)}
    for r in rows:
        assert r["solve_in_numpy_sweeps"] > 0 and r["sweep_vs_triad"] > 0 and r["residual"] < 1e-8
        assert r["max_diff_general_auto"] <= r["guarantee"]
        assert r["method"] == ("deterministic" if r["slip"] == 0.0 else "policy-iteration")
    assert payload["threads"][0]["threads"] == 1 and all(t["sweep_ms"] > 0 for t in payload["threads"])
    big = payload["big"]
    assert big["states"] == 100 * 100 and big["bellman_residual"] <= big["residual_bound"]
    assert big["peak_rss_MB"] > 0
    sparse = payload["sparse"]
    assert sparse["states"] == 2000 and 10 * 2000 * 3 <= sparse["nnz"] <= 20 * 2000 * 3
    # every solver promised ||V - V*|| <= eps, so any two agree within 2 eps
    diffs = [v for k, v in sparse.items() if k.startswith("max_diff_")]
    assert diffs and all(d <= 2 * sparse["eps"] for d in diffs)
    assert (tmp_path / "planners_scale.md").read_text().count("|") > 10


def test_sparse_part_times_ours_on_one_thread_beside_several(monkeypatch):
    import numba

    import planners.span

    monkeypatch.setattr(planners.span, "PARALLEL_MIN_SLOTS", 0)
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    row = planners_scale.bench_sparse(300, 2, 1e-4, with_mdpsolver=False, rounds=1)
    assert row["ours_threads"] == 2 and row["ours_1thread_solve_s"] > 0
    assert row["max_diff_ours_ours_1thread"] == 0.0  # the same bits on any thread count
