"""learners' API: inputs refused with one-line messages, N settings at once, the envs, the CLI,
and the layering (static imports)."""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridworld_env  # noqa: F401
import learners
import planners
from learners import HyperparameterError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(algo="q-learning"), "unknown algorithm 'q-learning'"),
        (dict(alpha=True), "alpha must be a number, got True"),
        (dict(epsilon="0.1"), "epsilon must be a number, got '0.1'"),
        (dict(epsilon=1.5), "epsilon must be in"),
        (dict(alpha=0.0), "alpha must be > 0"),
        (dict(n_planning=2.5), "n_planning must be an integer"),
        (dict(steps=0), "steps must be a positive integer, got 0"),
        (dict(gamma=True), "gamma must be a number"),
        (dict(bogus=1), "unknown hyperparameter 'bogus'"),
        (dict(algo="rmax", beta=-1.0), "beta must be in"),
        (dict(algo="rmax", variance_bonus=2), "variance_bonus must be in"),
        (dict(algo="rmax", model_cap=2.5), "model_cap must be an integer"),
        (dict(algo="rmax", beta=True), "beta must be a number, got True"),
    ],
)
def test_bad_inputs_are_refused(kwargs, match):
    args = dict(algo="q_learning", steps=10)
    args.update(kwargs)
    env = gym.make("LectureGrid-v0")
    with pytest.raises(HyperparameterError, match=match):
        learners.learn(args.pop("algo"), env, args.pop("steps"), **args)
    args = dict(algo="q_learning", steps=10)
    args.update(kwargs)
    with pytest.raises(HyperparameterError, match=match):
        learners.learn_batch(args.pop("algo"), env, 2, args.pop("steps"), **args)


def test_batch_needs_model_arrays_and_per_agent_lengths():
    with pytest.raises(HyperparameterError, match="model arrays"):
        learners.learn_batch("q_learning", gym.make("FrozenLake-v1"), 2, 10)
    with pytest.raises(HyperparameterError, match="one value per agent"):
        learners.learn_batch("q_learning", gym.make("LectureGrid-v0"), 3, 10, alpha=[0.1, 0.2])
    with pytest.raises(HyperparameterError, match="R-max needs gamma < 1"):
        learners.learn_batch("rmax", gym.make("LectureGrid-v0"), 1, 10, gamma=1.0)


def test_n_settings_at_once_equal_separate_runs():
    env = gym.make("LectureGrid-v0", slip=0.2)
    both = learners.learn_batch("q_learning", env, 2, 2000, seed=4, alpha=[0.2, 0.9], n_checkpoints=3)
    again = learners.learn_batch("q_learning", env, 2, 2000, seed=4, alpha=[0.5, 0.9], n_checkpoints=3)
    assert np.array_equal(both.q[1], again.q[1])  # agent 1: same seed stream, same alpha
    assert not np.array_equal(both.q[0], again.q[0])
    assert both.hyper["alpha"].tolist() == [0.2, 0.9]


def test_learn_works_on_a_toy_text_env_with_truth_from_its_P():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    res = learners.learn("q_learning", env, 20_000, seed=0, n_checkpoints=10)
    assert res.curve.optimal[-1]  # FrozenLake 4x4 deterministic: the greedy policy is optimal
    assert res.curve.value_gap[-1] < 1e-9 and res.policy.shape == (16,)
    assert res.curve.episode_return.size > 100


def test_agent_is_an_act_policy_for_any_loop():
    env = gym.make("LectureGrid-v0")
    agent = learners.learn("q_learning", env, 30_000, seed=0).agent
    obs, _ = env.reset(seed=1)
    total, done = 0.0, False
    while not done:
        obs, r, term, trunc, _ = env.step(agent.act(obs))
        total += r
        done = term or trunc
    assert total == pytest.approx(1.0 - 4 * 0.04)  # the 5-step path to +1


def test_tabular_env_passes_gymnasiums_checker_and_samples_the_mdp():
    mdp = learners.riverswim()
    env = learners.TabularEnv(mdp, start=0, max_episode_steps=50)
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    counts = np.zeros(6)
    for _ in range(6000):
        env.s = 2
        s2, *_ = env.step(1)
        counts[s2] += 1
    assert counts[[3, 2, 1]] / 6000 == pytest.approx([0.35, 0.6, 0.05], abs=0.02)
    assert planners.TabularMDP.from_env(env).n_states == 6
    with pytest.raises(ValueError, match="start must be a state"):
        learners.TabularEnv(mdp, start=9)


def test_maximization_bias_and_restart_on():
    mdp = learners.maximization_bias(10)
    v = planners.value_iteration(mdp, 1.0, tol=1e-12)
    assert v.values[0] == pytest.approx(0.0) and v.values[1] == pytest.approx(-0.1)
    assert mdp.expected_reward[1] == pytest.approx(np.full(10, -0.1))
    chain = planners.TabularMDP.from_dense(
        np.array([[[0, 1, 0], [0, 0, 1], [0, 0, 1]]], dtype=float), np.array([[0.0], [-5.0], [0.0]])
    )
    back = learners.restart_on(chain, [2], 0)
    assert back.next_state[1, 0, 0] == 0 and back.reward[1, 0, 0] == -5.0
    with pytest.raises(ValueError, match="cannot be one of the restart states"):
        learners.restart_on(chain, [0], 0)


def test_cli_writes_summary_curves_and_png(tmp_path, capsys):
    from learners.__main__ import main

    out = tmp_path / "o"
    summary = main(
        [
            "--algo",
            "sarsa",
            "--layout",
            "cliff",
            "--steps",
            "3000",
            "--seeds",
            "3",
            "--restart",
            "C",
            "--living-reward",
            "-1",
            "--goal-reward",
            "-1",
            "--alpha",
            "0.5",
            "--epsilon",
            "0.1",
            "--epsilon-decay",
            "0",
            "--omega",
            "0",
            "--gamma",
            "1",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "mean_return_last_100_episodes" in printed and summary["seeds"] == 3
    data = json.loads((out / "curves.json").read_text())
    assert len(data["curves"]) == 3
    rows = list(csv.DictReader((out / "episodes.csv").open()))
    assert {r["seed"] for r in rows} == {"0", "1", "2"}
    assert all(float(r["return"]) <= -13 for r in rows)  # the book's cliff: at least 13 steps of -1
    png = out / "curves.png"
    if png.exists():
        assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit, match="no such squares"):
        main(["--layout", "lecture", "--restart", "Z", "--steps", "10", "--seeds", "1", "--out", str(out)])


def _imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
    return mods


def test_layering_learners_imports():
    allowed = {
        "gymnasium",
        "numpy",
        "numba",
        "planners",
        "__future__",
        "math",
        "dataclasses",
        "typing",
        "collections",
        "functools",
    }
    for path in sorted((ROOT / "learners").glob("*.py")):
        mods = _imports(path)
        assert "generative" not in mods, path
        if path.name == "__main__.py":
            continue  # the CLI is glue and may read layouts
        stdlib_extra = {m for m in mods if m not in allowed}
        assert "gridworld_env" not in mods, path
        assert not stdlib_extra, f"{path.name} imports {sorted(stdlib_extra)}"


def test_cli_summary_counts_agents_optimal_everywhere_and_from_the_start():
    from learners.__main__ import START_GAP_TOL, summarize

    env = gym.make("LectureGrid-v0", layout="cliff")
    res = learners.learn_batch("q_learning", env, n_agents=30, steps=20_000)
    mdp = planners.TabularMDP.from_env(env)
    v_star = planners.solve(mdp, gamma=0.99).values
    start = int(np.flatnonzero(env.unwrapped.initial_state_distrib)[0])
    v_pi = [planners.policy_evaluation(mdp, q.argmax(1), 0.99) for q in res.q]
    from_start = sum(v_star[start] - v[start] <= START_GAP_TOL for v in v_pi)
    worst = max(np.abs(v_star - v).max() for v in v_pi)
    s = summarize(res)
    assert s["start_optimal_at_end"] == from_start
    assert s["max_value_gap_at_end"] == pytest.approx(worst, rel=1e-9, abs=1e-12)
    assert s["optimal_at_end"] <= s["start_optimal_at_end"] <= 30
