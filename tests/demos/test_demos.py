"""Every demo runs end to end headless with a small budget and writes its files; keys and clicks
posted into pygame's event queue drive the demos as a user would."""

from __future__ import annotations

import numpy as np
import pygame
import pytest
from PIL import Image

from demos import agent, lecture, living_reward, manual, policy_editor, terminal
from demos._app import App
from gridworld_env import build_model, get_layout

DEMOS = {
    "lecture": lecture,
    "living_reward": living_reward,
    "agent": agent,
    "manual": manual,
    "policy_editor": policy_editor,
}


def value_iteration(living_reward, slip, gamma=1.0):
    """Independent numpy value iteration on the 4x3 world's model arrays: V (S,)."""
    m = build_model(get_layout("lecture"), living_reward, slip)
    V = np.zeros(m.n_states)
    for _ in range(10_000):
        Q = np.einsum("sak,sak->sa", m.prob, m.reward + gamma * V[m.next_state])
        new = np.where(m.absorbing, 0.0, Q.max(axis=1))
        if np.abs(new - V).max() < 1e-13:
            return new
        V = new
    raise AssertionError("no convergence")


def key(k):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0))


def click(pos, button=1):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        DEMOS[name].main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m demos.{name}" in out and "--headless" in out and "--max-frames" in out


@pytest.mark.parametrize(
    "name,argv,message",
    [
        ("agent", ["--slip", "2"], "argument --slip: expected a number in [0, 1], got '2'"),
        ("policy_editor", ["--gamma", "1.5"], "argument --gamma: expected a number in [0, 1], got '1.5'"),
        ("lecture", ["--gamma", "nan"], "argument --gamma: expected a number in [0, 1], got 'nan'"),
        ("living_reward", ["--gamma", "-0.1"], "argument --gamma: expected a number in [0, 1], got '-0.1'"),
        ("manual", ["--layout", "nope"], "argument --layout: unknown layout 'nope'; known layouts:"),
        # issue 11.15: tracebacks (or exit 0) before, one-line usage errors now
        ("agent", ["--living-reward", "nan"], "argument --living-reward: expected a finite number, got 'nan'"),
        ("manual", ["--living-reward", "inf"], "argument --living-reward: expected a finite number, got 'inf'"),
        ("policy_editor", ["--living-reward", "nan"], "argument --living-reward: expected a finite number, got 'nan'"),
        ("living_reward", ["--living-rewards", "0", "nan"], "argument --living-rewards: expected a finite number"),
        ("living_reward", ["--slip", "1.5"], "argument --slip: expected a number in [0, 1], got '1.5'"),
        ("lecture", ["--living-reward", "nan"], "argument --living-reward: expected a finite number, got 'nan'"),
        ("lecture", ["--fmt", "bogus"], "argument --fmt: expected a format string with one number field"),
        ("lecture", ["--fmt", "{:d}"], "argument --fmt: expected a format string with one number field"),
        ("lecture", ["--fmt", "{0}{1}"], "argument --fmt: expected a format string"),
        ("lecture", ["--tol", "0"], "argument --tol: expected a positive number, got '0'"),
        (
            "lecture",
            ["--tile-size", "100000"],
            "argument --tile-size: expected an integer from 4 to 1024 pixels, got '100000'",
        ),
        ("agent", ["--tile-size", "3"], "argument --tile-size: expected an integer from 4 to 1024 pixels, got '3'"),
        ("terminal", ["--delay", "-1"], "argument --delay: expected a number >= 0, got '-1'"),
        ("terminal", ["--episodes", "-1"], "argument --episodes: expected a positive integer, got '-1'"),
        ("terminal", ["--slip", "True"], "argument --slip: expected a number in [0, 1], got 'True'"),
    ],
)
def test_bad_arguments_are_rejected_naming_the_value(name, argv, message, capsys):
    module = terminal if name == "terminal" else DEMOS[name]
    extra = [] if name == "terminal" else ["--headless", "--max-frames", "1"]
    with pytest.raises(SystemExit) as e:
        module.main(argv + extra)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().splitlines()[-1].count("\n") == 0 and "Traceback" not in err  # one line, no traceback


def test_the_renderer_and_the_demos_share_the_tile_size_bounds():
    from demos._checks import tile_size
    from gridworld_env.render import MAX_TILE_SIZE, MIN_TILE_SIZE, GridRenderer

    lay = get_layout("lecture")
    for t in (MIN_TILE_SIZE, MAX_TILE_SIZE):
        assert tile_size(str(t)) == t and GridRenderer(lay, t).tile == t
    for t in (MIN_TILE_SIZE - 1, MAX_TILE_SIZE + 1):
        with pytest.raises(ValueError):
            GridRenderer(lay, t)
        with pytest.raises(Exception, match="expected an integer"):
            tile_size(str(t))


@pytest.mark.parametrize(
    "name,extra,files",
    [
        ("lecture", ["--max-frames", "12"], ["lecture.gif"]),
        ("lecture", ["--tol", "1e-2", "--hold", "1"], ["lecture.gif", "values.png"]),
        ("living_reward", [], ["living_reward.png"]),
        ("agent", ["--layout", "maze", "--planner", "policy_iteration", "--episodes", "1"], ["agent.gif", "plan.png"]),
        ("agent", ["--layout", "open:6x8", "--max-frames", "5", "--q-values"], ["agent.gif", "plan.png"]),
        ("manual", ["--script", "UURRR"], ["manual.gif"]),
        ("policy_editor", ["--clicks", "2,2;0,0"], ["policy_editor.gif", "policy_editor.png"]),
    ],
)
def test_demo_runs_headless_and_writes_its_files(name, extra, files, tmp_path, capsys):
    out = tmp_path / name
    assert DEMOS[name].main(["--headless", "--out", str(out)] + extra) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed
    for f in files:
        path = out / f
        assert path.is_file() and str(path) in printed
        with Image.open(path) as im:
            assert im.size[0] >= 300 and im.size[1] >= 200
            if f.endswith(".gif"):
                assert im.n_frames >= 2
    if "--max-frames" in extra:
        with Image.open(out / files[0]) as im:
            assert im.n_frames == int(extra[extra.index("--max-frames") + 1])


def test_lecture_keys_change_the_living_reward_and_replan(tmp_path):
    args = lecture.parser().parse_args(
        ["--headless", "--out", str(tmp_path), "--max-frames", "80", "--tol", "1e-9", "--max-sweeps", "70"]
    )
    app = App("lecture", args, "test")
    demo = lecture.LectureDemo(args, app)
    assert demo.living_reward == -0.04
    key(pygame.K_MINUS)  # -0.04 -> -0.2
    key(pygame.K_KP_MINUS)  # -> -0.5
    demo.run()
    app.finish("lecture.gif")
    assert demo.living_reward == -0.5
    assert demo.env.living_reward == -0.5 and demo.slip == 0.2
    assert "living reward -0.5" in app.titles[-1]
    assert "living reward -0.04" in app.titles[0]  # the keys were read after the first frame
    # the plan was redone for the new reward: the animated values converge to V* at -0.5
    assert demo.plan.converged
    np.testing.assert_allclose(demo.plan.values, value_iteration(-0.5, 0.2), atol=1e-7)


def test_lecture_plus_slip_pause_keys(tmp_path):
    args = lecture.parser().parse_args(["--headless", "--out", str(tmp_path), "--max-frames", "6"])
    app = App("lecture", args, "test")
    demo = lecture.LectureDemo(args, app)
    for k in (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_PLUS, pygame.K_PLUS, pygame.K_s, pygame.K_SPACE):
        key(k)
    demo.run()
    app.finish()
    assert demo.living_reward == 0.1  # -0.04 -> -0.01 -> 0 -> +0.1, then the top of the ladder
    assert demo.slip == 0.0 and demo.paused
    assert demo.plan is None  # paused before the first sweep of the new plan
    assert "living reward +0.1, deterministic" in app.titles[-1] and "[paused]" in app.titles[-1]


def test_manual_arrow_keys_play_and_the_return_adds_up(tmp_path):
    args = manual.parser().parse_args(["--headless", "--out", str(tmp_path), "--script", ""])
    app = App("manual", args, "test")
    demo = manual.ManualDemo(args, app)
    for k in (pygame.K_UP, pygame.K_w, pygame.K_LEFT, pygame.K_RIGHT, pygame.K_d, pygame.K_RIGHT):
        key(k)
    demo.run()
    app.finish("manual.gif")
    # up, up, bump left, right, right, right into +1: five steps of -0.04 and the exit's +1
    assert demo.rewards == pytest.approx([-0.04] * 5 + [1.0])
    assert demo.ret == pytest.approx(0.8)
    assert demo.over and "return +0.80" in demo.status
    assert demo.trajectory == [8, 4, 0, 0, 1, 2, 3]


def test_policy_editor_clicks_turn_arrows_and_values_follow(tmp_path):
    args = policy_editor.parser().parse_args(["--headless", "--out", str(tmp_path), "--clicks", ""])
    app = App("policy_editor", args, "test")
    ed = policy_editor.PolicyEditor(args, app)
    lay = ed.layout
    # the hand policy differs from the optimal one only at (2, 2): up instead of left
    assert np.flatnonzero(ed.not_optimal).tolist() == [10]
    t = ed.renderer.tile
    at = lambda r, c: (ed.gap + c * t + t // 2, ed.top + r * t + t // 2)  # noqa: E731
    click(at(2, 2), button=3)  # counter-clockwise: up -> left, now optimal everywhere
    click(at(1, 1))  # a wall: nothing happens
    click((2, 2))  # the title band: nothing happens
    ed.run()
    app.finish()
    assert ed.policy[10] == policy_editor.LEFT
    assert not ed.not_optimal.any()
    np.testing.assert_allclose(ed.v_pi, value_iteration(-0.04, 0.2), atol=1e-8)
    # V^pi is the solution of the linear system (I - P_pi) V = r_pi on the non-absorbing states
    m = build_model(lay, -0.04, 0.2)
    free = ~m.absorbing
    S = lay.n_states
    P = np.zeros((S, S))
    r = np.zeros(S)
    for s in np.flatnonzero(free):
        a = ed.policy[s]
        for k in range(m.n_outcomes):
            P[s, m.next_state[s, a, k]] += m.prob[s, a, k]
            r[s] += m.prob[s, a, k] * m.reward[s, a, k]
    idx = np.flatnonzero(free)
    v = np.linalg.solve(np.eye(idx.size) - P[np.ix_(idx, idx)], r[idx])
    np.testing.assert_allclose(ed.v_pi[idx], v, atol=1e-10)


def test_policy_editor_improper_policy_is_minus_infinity(tmp_path):
    args = policy_editor.parser().parse_args(
        ["--headless", "--out", str(tmp_path), "--clicks", "1,0;1,0", "--slip", "0"]
    )
    app = App("policy_editor", args, "test")
    ed = policy_editor.PolicyEditor(args, app)
    ed.run()
    app.finish()
    # (1, 0) now points down and (2, 0) up: deterministic ping-pong between them for ever;
    # (0, 0) still goes right along the top and exits
    assert ed.policy[4] == policy_editor.DOWN and ed.policy[8] == policy_editor.UP
    assert ed.v_pi[4] == -np.inf and ed.v_pi[8] == -np.inf
    assert ed.v_pi[9] == -np.inf  # (2, 1) goes left into the loop
    assert ed.v_pi[0] == pytest.approx(1 - 2 * 0.04)  # right, right (-0.04 each), right into +1
    assert ed.not_optimal[4] and not ed.not_optimal[8]  # up from the start is optimal (a tie with right)


def test_headless_is_chosen_without_a_display(monkeypatch):
    from demos._app import headless_requested

    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert headless_requested()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert not headless_requested()
    assert headless_requested(True)  # --headless
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert headless_requested()


def test_window_mode_paces_frames_reads_keys_and_clicks_and_writes_nothing(monkeypatch, tmp_path):
    # the window code path, on SDL's dummy video driver: as a user with a display would run it
    monkeypatch.setattr("demos._app.headless_requested", lambda flag=False: False)
    args = lecture.parser().parse_args(["--out", str(tmp_path / "lec"), "--max-frames", "3", "--fps", "200"])
    app = App("lecture", args, "test")
    demo = lecture.LectureDemo(args, app)
    demo.run()  # the first frame opens the window
    key(pygame.K_PLUS)
    app.max_frames = 5
    demo.run()
    assert demo.living_reward == -0.01
    assert pygame.display.get_caption()[0] == app.titles[-1] and "-0.01" in app.titles[-1]
    app.finish("lecture.gif")
    assert not (tmp_path / "lec").exists()

    args = policy_editor.parser().parse_args(["--out", str(tmp_path / "pe"), "--max-frames", "3", "--fps", "200"])
    app = App("policy_editor", args, "test")
    ed = policy_editor.PolicyEditor(args, app)
    app.present(ed.frame())
    t = ed.renderer.tile
    click((ed.gap + 2 * t + t // 2, ed.top + 2 * t + t // 2))  # window = frame size: same pixels
    ed.run()
    app.finish()
    assert ed.policy[10] == policy_editor.RIGHT  # a left click turns clockwise: up -> right
