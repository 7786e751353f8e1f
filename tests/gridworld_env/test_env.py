"""LectureGrid-v0: trajectories, slip statistics, seeding, errors, env_checker, rendering."""

import warnings
from collections import Counter

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from scipy import stats

import gridworld_env
from gridworld_env import DOWN, LEFT, RIGHT, UP, InvalidActionError, LayoutError, LectureGridEnv
from gridworld_env.render import COLORS


def run(env, actions):
    out = []
    for a in actions:
        obs, r, term, trunc, _info = env.step(a)
        out.append((obs, r, term, trunc))
    return out


def test_registered_with_time_limit_and_spaces():
    env = gym.make("LectureGrid-v0")
    assert env.spec.max_episode_steps == 100
    assert env.observation_space == gym.spaces.Discrete(12)
    assert env.action_space == gym.spaces.Discrete(4)
    assert gridworld_env.ACTION_NAMES == ("up", "down", "left", "right")
    assert (UP, DOWN, LEFT, RIGHT) == (0, 1, 2, 3)
    assert isinstance(env.unwrapped, LectureGridEnv)


def test_optimal_route_by_hand():
    env = gym.make("LectureGrid-v0")
    obs, info = env.reset(seed=1)
    assert (obs, info) == (8, {"prob": 1.0, "row": 2, "col": 0})
    got = run(env, [UP, UP, RIGHT, RIGHT, RIGHT])
    assert got == [
        (4, -0.04, False, False),
        (0, -0.04, False, False),
        (1, -0.04, False, False),
        (2, -0.04, False, False),
        (3, 1.0, True, False),
    ]
    assert sum(r for _, r, _, _ in got) == pytest.approx(0.84)


def test_route_into_the_pit_and_bumps():
    env = gym.make("LectureGrid-v0", living_reward=-0.5)
    env.reset(seed=0)
    got = run(env, [DOWN, LEFT, RIGHT, UP, RIGHT, UP, RIGHT])
    # (2,0): down/left bump the border; right to (2,1); up bumps the wall at (1,1);
    # right to (2,2); up to (1,2); right into -1
    assert [g[0] for g in got] == [8, 8, 9, 9, 10, 6, 7]
    assert [g[1] for g in got] == [-0.5] * 6 + [-1.0]
    assert [g[2] for g in got] == [False] * 6 + [True]


def test_info_carries_position_and_probability():
    env = gym.make("LectureGrid-v0", slip=0.2)
    env.reset(seed=3)
    probs = set()
    for _ in range(200):
        obs, _, term, trunc, info = env.step(UP)
        assert divmod(obs, 4) == (info["row"], info["col"])
        probs.add(round(info["prob"], 12))
        if term or trunc:
            env.reset()
    assert probs <= {0.8, 0.1} and 0.1 in probs and 0.8 in probs


def test_truncation_after_100_steps():
    env = gym.make("LectureGrid-v0")
    env.reset(seed=0)
    for t in range(1, 101):
        _, _, term, trunc, _ = env.step(DOWN)
        assert not term
        assert trunc == (t == 100)


@pytest.mark.parametrize("slip", [0.2, 0.5])
def test_slip_frequencies_match(slip):
    """Up from the centre of an open 5x5 grid: 1-slip up, slip/2 left, slip/2 right (chi-square)."""
    env = LectureGridEnv("open:5x5", slip=slip)
    env.reset(seed=123)
    n = 20_000
    counts = Counter()
    for _ in range(n):
        env.reset(options={"start": 12})
        counts[env.step(UP)[0]] += 1
    observed = [counts[7], counts[11], counts[13]]
    assert sum(observed) == n
    expected = [n * (1 - slip), n * slip / 2, n * slip / 2]
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    assert abs((counts[11] + counts[13]) / n - slip) < 5 * np.sqrt(slip * (1 - slip) / n)


def test_slip_one_never_moves_as_intended():
    env = LectureGridEnv("open:5x5", slip=1.0)
    env.reset(seed=0)
    seen = Counter()
    for _ in range(2000):
        env.reset(options={"start": 12})
        seen[env.step(UP)[0]] += 1
    assert set(seen) == {11, 13}


def test_seeding_reproducible():
    def episode(seed):
        env = gym.make("LectureGrid-v0", slip=0.3, random_start=True)
        obs, _ = env.reset(seed=seed)
        traj = [obs]
        rng = np.random.default_rng(0)
        for _ in range(60):
            obs, r, term, trunc, _ = env.step(int(rng.integers(4)))
            traj.append((obs, r))
            if term or trunc:
                traj.append(env.reset()[0])
        return traj

    assert episode(7) == episode(7)
    assert episode(7) != episode(8)


def test_random_start_uniform_over_free_squares():
    env = LectureGridEnv(random_start=True)
    env.reset(seed=5)
    counts = Counter(env.reset()[0] for _ in range(9000))
    free = np.flatnonzero(env.layout.free).tolist()
    assert sorted(counts) == free  # never a wall or a terminal
    assert stats.chisquare([counts[s] for s in free]).pvalue > 1e-4


def test_reset_start_option_and_start_argument():
    env = LectureGridEnv(start=(0, 0))
    assert env.reset()[0] == 0
    assert env.reset(options={"start": (1, 2)})[0] == 6
    assert env.reset()[0] == 0  # the override lasts one episode
    with pytest.raises(LayoutError, match="on a wall"):
        env.reset(options={"start": (1, 1)})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"begin": 0})


def test_stepping_after_termination_stays_absorbed():
    env = LectureGridEnv(start=(0, 2))
    env.reset(seed=0)
    assert env.step(RIGHT)[:3] == (3, 1.0, True)
    assert env.step(LEFT)[:3] == (3, 0.0, True)


@pytest.mark.parametrize("action", [4, -1, 1.5, "up", None, True, np.array([1]), np.float64(1.0), np.array(2.0)])
def test_bad_actions_raise(action):
    for env in (gym.make("LectureGrid-v0"), LectureGridEnv()):
        env.reset(seed=0)
        with pytest.raises(InvalidActionError, match="action must be an integer in 0..3"):
            env.step(action)
    assert issubclass(InvalidActionError, ValueError)


@pytest.mark.parametrize("action", [np.int64(3), np.int32(3), np.uint8(3), np.array(3)])
def test_numpy_integer_actions_accepted(action):
    env = LectureGridEnv()
    env.reset(seed=0)
    assert env.step(action)[0] == 9


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(slip=1.5), LayoutError, r"slip must be a finite number in \[0, 1\], got 1.5$"),
        (dict(slip=-0.2), LayoutError, r"got -0.2$"),
        (dict(living_reward=float("nan")), LayoutError, r"living_reward must be a finite number, got nan$"),
        (dict(render_mode="window"), ValueError, r"unsupported render_mode 'window'"),
        (dict(layout="lectur"), LayoutError, r"unknown layout 'lectur'; known layouts: .*lecture"),
        (dict(layout=["S.E+"], rewards={"E": float("inf")}), LayoutError, r"the reward of 'E' must be a finite number"),
        (dict(layout=["S.?+"]), LayoutError, r"unknown character '\?' at row 0, column 2"),
        (dict(start=(1, 1)), LayoutError, r"start \(1, 1\) is on a wall"),
        (dict(random_start="yes"), ValueError, r"random_start must be True or False, got 'yes'$"),
        (dict(tile_size=2), ValueError, r"tile_size must be an integer in \[4, 1024\], got 2$"),
        (dict(tile_size=100_000), ValueError, r"tile_size must be an integer in \[4, 1024\], got 100000$"),
        # issue 11.4: bools and strings are not numbers (slip=True used to become 1.0: the agent never moved as told)
        (dict(slip=True), LayoutError, r"slip must be a finite number in \[0, 1\], got True$"),
        (dict(slip=np.True_), LayoutError, r"slip must be a finite number in \[0, 1\], got True$"),
        (dict(slip="0.2"), LayoutError, r"slip must be a finite number in \[0, 1\], got '0.2'$"),
        (dict(living_reward=True), LayoutError, r"living_reward must be a finite number, got True$"),
        (dict(living_reward="0.1"), LayoutError, r"living_reward must be a finite number, got '0.1'$"),
        (
            dict(layout=["S.E+"], rewards={"E": True}),
            LayoutError,
            r"the reward of 'E' must be a finite number, got True$",
        ),
        (
            dict(layout=["S.E+"], rewards={"E": "10"}),
            LayoutError,
            r"the reward of 'E' must be a finite number, got '10'$",
        ),
        (dict(layout=["S.E+"], rewards=[("E", 1)]), LayoutError, r"rewards must be a dict .* got \[\('E', 1\)\]$"),
        (dict(render_mode=1), ValueError, r"render_mode must be None or one of .*, got 1$"),
        (dict(start=(np.int64(1), True)), LayoutError, r"start column must be an integer, got True$"),
        (dict(start=(0.0, 0)), LayoutError, r"start row must be an integer, got 0.0$"),
        # plain values in messages, never numpy reprs
        (dict(layout=["S.E+"], rewards={np.str_("E"): np.str_("x")}), LayoutError, r"the reward of 'E' .* got 'x'$"),
        (dict(layout="S#?"), LayoutError, r"unknown layout 'S#\?'.*a one-row map is a list: layout=\['S#\?'\]"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*not in the possible render_modes")
def test_bad_construction_raises(kwargs, error, match):
    with pytest.raises(error, match=match):
        gym.make("LectureGrid-v0", **kwargs)


def test_reset_options_must_be_a_dict():
    env = gym.make("LectureGrid-v0")
    with pytest.raises(ValueError, match=r"options must be a dict or None, got 'x'$"):
        env.reset(options="x")  # was an AttributeError ('str' object has no attribute 'get')


def test_one_row_map_strings_are_maps_unless_they_name_a_layout():
    env = gym.make("LectureGrid-v0", layout="S.#+")
    assert env.unwrapped.layout.rows == ("S.#+",)
    env.reset(seed=0)
    assert run(env, [RIGHT, RIGHT]) == [(1, -0.04, False, False), (1, -0.04, False, False)]  # the wall
    with_e = gym.make("LectureGrid-v0", layout="S.E", rewards={"E": 3})
    assert with_e.unwrapped.layout.rewards == {"E": 3.0}
    assert gym.make("LectureGrid-v0", layout="maze").unwrapped.layout.name == "maze"  # a name stays a name


def test_custom_map_and_rewards():
    env = gym.make("LectureGrid-v0", layout=["S.E", "#.+"], rewards={"E": 10}, living_reward=-1)
    env.reset(seed=0)
    assert run(env, [RIGHT, RIGHT]) == [(1, -1.0, False, False), (2, 10.0, True, False)]
    assert env.observation_space.n == 6


def test_P_and_model_exposed():
    env = gym.make("LectureGrid-v0", slip=0.2)
    P = env.unwrapped.P
    assert P[2][RIGHT][0] == (0.8, 3, 1.0, True)
    assert env.unwrapped.model.next_state.shape == (12, 4, 3)
    big = gym.make("LectureGrid-v0", layout="open:1000x1000")
    assert big.unwrapped.model._P is None  # the dict is built only when asked for


@pytest.mark.parametrize("mode", [None, "ansi", "rgb_array", "human"])
def test_check_env_passes_without_warnings(mode):
    env = gym.make("LectureGrid-v0", render_mode=mode, slip=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    env.close()
    env.close()  # idempotent


def test_rgb_array_frames():
    env = gym.make("LectureGrid-v0", render_mode="rgb_array", tile_size=40)
    env.reset(seed=0)
    f0 = env.render()
    assert f0.shape == (3 * 40, 4 * 40, 3) and f0.dtype == np.uint8
    env.step(UP)
    f1 = env.render()
    assert not np.array_equal(f0, f1)
    # the agent is drawn at the centre of its square: (1, 0) now
    assert tuple(f1[1 * 40 + 20, 0 * 40 + 20]) == COLORS["agent"]
    assert tuple(f0[1 * 40 + 20, 0 * 40 + 20]) != COLORS["agent"]


def test_ansi_render_highlights_agent():
    env = gym.make("LectureGrid-v0", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    lines = text.splitlines()
    assert lines[0] == "...+" and lines[1] == ".#.-"
    assert "\x1b[" in lines[2]  # the agent's square is highlighted
    env.step(RIGHT)
    assert env.render().splitlines()[0] == "  (Right)"


def test_render_without_mode_warns():
    env = LectureGridEnv()
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="without specifying any render mode"):
        assert env.render() is None


def test_terminal_demo_runs(capsys):
    from demos.terminal import main

    assert main(["--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("terminated after 5 steps with return +0.84") == 2
