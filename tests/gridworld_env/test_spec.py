"""Specs round-trip through JSON and rebuild the same env (issue 11.3)."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import AutoresetMode

import gridworld_env  # noqa: F401  (registers LectureGrid-v0)
from gridworld_env import Layout, LayoutError, as_layout, parse_layout, random_maze

CASES = {
    "default": {},
    "tuple start": {"start": (0, 0)},  # came back from JSON as a list: the spec no longer equal
    "numpy values": {"start": np.int64(4), "slip": np.float64(0.2), "living_reward": np.float32(-0.5)},
    "map and rewards": {"layout": ["S.E", "#.+"], "rewards": {"E": 10}},
    "Layout": {"layout": parse_layout(["S.E", "#.+"], {"E": 10.0}, name="tiny"), "slip": 0.1},
    "Layout with start": {"layout": as_layout("lecture").with_start((0, 0))},
    "generated Layout": {"layout": random_maze(7, 9, seed=3), "random_start": True},
    "explicit start map": {"layout": parse_layout(["...", ".#+"], start=(1, 0))},
}


def _same_env(a, b):
    ua, ub = a.unwrapped, b.unwrapped
    assert ua.layout == ub.layout and ua.layout.name == ub.layout.name
    for name in ("next_state", "prob", "reward", "terminal", "wall"):
        assert np.array_equal(getattr(ua.model, name), getattr(ub.model, name)), name
    assert (ua.random_start, ua.tile_size, ua.render_mode) == (ub.random_start, ub.tile_size, ub.render_mode)
    ra, rb = a.reset(seed=3), b.reset(seed=3)
    assert ra == rb
    for act in np.random.default_rng(0).integers(0, 4, 50):
        assert a.step(int(act)) == b.step(int(act))


@pytest.mark.parametrize("case", sorted(CASES))
def test_spec_round_trips_through_json_and_makes_the_same_env(case):
    env = gym.make("LectureGrid-v0", **CASES[case])
    spec = env.spec
    back = EnvSpec.from_json(spec.to_json())
    assert back == spec
    _same_env(gym.make(back), env)
    _same_env(gym.make(spec), env)


def test_layout_dict_round_trip_and_errors():
    for lay in (as_layout("four_rooms"), random_maze(5, 5, seed=1), as_layout("lecture").with_start(0)):
        back = Layout.from_dict(lay.to_dict())
        assert back == lay and back.name == lay.name
    with pytest.raises(LayoutError, match="exactly the keys"):
        as_layout({"rows": ["S+"]})
    with pytest.raises(LayoutError, match="rewards= applies"):
        as_layout(as_layout("lecture").to_dict(), {"E": 1.0})


def test_vector_env_spec_is_json_stable_with_an_autoreset_mode():
    envs = gym.make_vec(
        "LectureGrid-v0",
        3,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.SAME_STEP,
        start=(0, 0),
    )
    spec = envs.spec
    back = EnvSpec.from_json(spec.to_json())
    assert back == spec
    again = gym.make_vec(back)
    assert again.autoreset_mode is AutoresetMode.SAME_STEP and again.layout == envs.layout
