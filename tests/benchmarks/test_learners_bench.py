"""Smoke test of benchmarks/learners.py, and the tutorial contender is a real Q-learner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gymnasium as gym

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import learners as bench  # noqa: E402


def test_quick_run_rows(tmp_path):
    payload = json.loads(bench.main(["--quick", "--out", str(tmp_path)]).read_text())
    names = [r["contender"] for r in payload["rows"]]
    assert names[0].startswith("learn_batch") and "tutorial loop" in names
    tut = next(r for r in payload["rows"] if r["contender"] == "tutorial loop")
    assert tut["x tutorial"] == 1.0
    assert all(r["M agent-steps/s"] > 0 for r in payload["rows"])
    assert len(payload["load_average"]) == 3


def test_tutorial_loop_learns_the_4x3_values():
    import gridworld_env  # noqa: F401
    import planners

    env = gym.make("LectureGrid-v0")
    q = bench.tutorial_q_learning(env, 20_000)
    v = planners.value_iteration(planners.TabularMDP.from_env(env), bench.GAMMA).values
    assert abs(q[8].max() - v[8]) < 0.05  # the start state's value


def test_compile_latency_runs_the_fast_kernel_in_fresh_processes():
    lat = bench.compile_latency()
    assert set(lat) == {"cold", "warm"}
    # the cold process compiles the kernel; the warm one loads it from the cache the cold one filled
    assert lat["cold"]["first_s"] > lat["warm"]["first_s"] > 0.0
