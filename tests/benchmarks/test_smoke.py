"""Every benchmark runs with a tiny budget and writes its results (no timing assertions)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import available  # noqa: E402


def test_the_suite_lists_every_benchmark_module():
    names = available()
    assert {"env_step", "vector_step", "cold_start"} <= set(names)
    assert not any(n.startswith("_") for n in names)
    files = {p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_")}
    assert set(names) == files


def _finite_numbers(rows):
    return [v for r in rows for v in r.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]


# cold_start, planners and generative_vae have dedicated smoke tests of their own
@pytest.mark.parametrize("name", [n for n in available() if n not in ("cold_start", "planners", "generative_vae")])
def test_benchmark_quick_run_writes_json_and_markdown(name, tmp_path):
    import importlib

    module = importlib.import_module(f"benchmarks.{name}")
    module.main(["--quick", "--out", str(tmp_path)])
    results = sorted(tmp_path.glob(f"{name}*.json"))
    assert results, f"{name} wrote no JSON into {tmp_path}"
    for js in results:
        payload = json.loads(js.read_text())
        assert payload["rows"], f"{js.name} has no rows"
        assert "machine" in payload
        # strict JSON: numbers are finite (non-finite ones are written as null)
        assert all(math.isfinite(v) for v in _finite_numbers(payload["rows"]))
        assert js.with_suffix(".md").read_text().count("|") > 4


def test_env_step_rows_cover_the_contenders(tmp_path):
    from benchmarks import env_step

    payload = json.loads(env_step.main(["--quick", "--out", str(tmp_path)]).read_text())
    assert [r["contender"] for r in payload["rows"]] == list(env_step.CONTENDERS)
    ref = next(r for r in payload["rows"] if r["contender"] == env_step.REFERENCE)
    assert ref[f"x {env_step.REFERENCE}"] == pytest.approx(1.0)


def test_vector_step_rows_cover_every_size(tmp_path):
    from benchmarks import vector_step

    payload = json.loads(vector_step.main(["--quick", "--out", str(tmp_path), "--sizes", "1,8"]).read_text())
    assert sorted({r["N"] for r in payload["rows"]}) == [1, 8]
    for r in payload["rows"]:
        if r["contender"] == vector_step.REFERENCE:
            assert r["x CartPole native"] == pytest.approx(1.0)


def test_cold_start_quick_run_in_fresh_processes(tmp_path):
    from benchmarks import cold_start

    payload = json.loads(cold_start.main(["--quick", "--out", str(tmp_path)]).read_text())
    caches = {(r["task"], r["numba cache"]) for r in payload["rows"]}
    assert len(caches) == 2 * len(cold_start.TASKS)
    assert all(r["process s"] >= r["import s"] + r["first call s"] for r in payload["rows"])


def test_runner_cli_writes_the_summary(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path), "env_step"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "### env_step" in summary and "Machine:" in summary
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["failed"] == [] and "env_step" in data["results"]


def test_runner_rejects_unknown_names(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--out", str(tmp_path), "no_such_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "no_such_bench" in proc.stderr
