"""The compact transition model against hand-computed transitions and a loop-based reference."""

from collections import defaultdict

import numpy as np
import pytest

from gridworld_env import LAYOUTS, LayoutError, build_model, get_layout

UP, DOWN, LEFT, RIGHT = range(4)
MOVES = {UP: (-1, 0), DOWN: (1, 0), LEFT: (0, -1), RIGHT: (0, 1)}
PERP = {UP: (LEFT, RIGHT), DOWN: (LEFT, RIGHT), LEFT: (UP, DOWN), RIGHT: (UP, DOWN)}


def reference(layout, living_reward, slip):
    """Straightforward per-square transcription of the dynamics: (s, a) -> {(s', r): p}."""
    out = {}
    grid = layout.grid
    for s in range(layout.n_states):
        r0, c0 = layout.position(s)
        for a in range(4):
            dist = defaultdict(float)
            if grid[r0, c0] == "#" or grid[r0, c0] in layout.rewards:
                dist[(s, 0.0)] = 1.0
            else:
                for direction, p in ((a, 1 - slip), (PERP[a][0], slip / 2), (PERP[a][1], slip / 2)):
                    if p == 0:
                        continue
                    r, c = r0 + MOVES[direction][0], c0 + MOVES[direction][1]
                    if not (0 <= r < layout.nrow and 0 <= c < layout.ncol) or grid[r, c] == "#":
                        r, c = r0, c0
                    ch = grid[r, c]
                    reward = layout.rewards.get(ch, living_reward)
                    dist[(r * layout.ncol + c, reward)] += p
            out[s, a] = dict(dist)
    return out


def aggregate(model, s, a):
    dist = defaultdict(float)
    for ns, p, r in zip(model.next_state[s, a], model.prob[s, a], model.reward[s, a]):
        if p > 0:
            dist[(int(ns), float(r))] += float(p)
    return dict(dist)


LAYOUT_CASES = sorted(LAYOUTS) + ["open:4x5", "maze:9x11:2"]


@pytest.mark.parametrize("name", LAYOUT_CASES)
@pytest.mark.parametrize("slip", [0.0, 0.2, 1.0])
def test_arrays_match_reference_and_P(name, slip):
    layout = get_layout(name)
    m = build_model(layout, living_reward=-0.3, slip=slip)
    S = layout.n_states
    K = 1 if slip == 0 else 3
    assert m.next_state.shape == m.prob.shape == m.reward.shape == (S, 4, K)
    assert m.next_state.dtype == np.int32 and m.prob.dtype == np.float64 and m.reward.dtype == np.float64
    assert all(arr.flags.c_contiguous and not arr.flags.writeable for arr in (m.next_state, m.prob, m.reward))
    np.testing.assert_allclose(m.prob.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    assert (m.prob >= 0).all() and (m.next_state >= 0).all() and (m.next_state < S).all()
    ref = reference(layout, -0.3, slip)
    absorbing = m.absorbing
    assert m.P is m.P  # built once, cached
    for s in range(S):
        for a in range(4):
            got = aggregate(m, s, a)
            assert got.keys() == ref[s, a].keys(), (s, a)
            for key, p in ref[s, a].items():
                assert got[key] == pytest.approx(p, abs=1e-12), (s, a, key)
            # P lists exactly the non-zero outcomes of the arrays, in order
            rows = [
                (float(p), int(ns), float(r), bool(absorbing[ns]))
                for ns, p, r in zip(m.next_state[s, a], m.prob[s, a], m.reward[s, a])
                if p > 0
            ]
            assert m.P[s][a] == rows
            assert sum(t[0] for t in m.P[s][a]) == pytest.approx(1.0, abs=1e-12)


def test_deterministic_lecture_transitions_by_hand():
    m = build_model(get_layout("lecture"), living_reward=-0.04)
    ns = m.next_state[:, :, 0]
    rw = m.reward[:, :, 0]
    # start (2,0)=8: up to (1,0)=4; down and left bump the border; right to (2,1)=9
    assert ns[8].tolist() == [4, 8, 8, 9]
    # (2,1)=9: up is the wall at (1,1) -> stays
    assert ns[9, UP] == 9 and ns[4, RIGHT] == 4 and ns[0, UP] == 0
    # entering the terminals
    assert (ns[2, RIGHT], rw[2, RIGHT]) == (3, 1.0)
    assert (ns[6, RIGHT], rw[6, RIGHT]) == (7, -1.0)
    assert (ns[11, UP], rw[11, UP]) == (7, -1.0)
    assert rw[8, DOWN] == -0.04  # a bump costs the living reward
    # terminals and the wall are absorbing with reward 0
    for s in (3, 5, 7):
        assert ns[s].tolist() == [s] * 4 and rw[s].tolist() == [0.0] * 4
    assert m.terminal.tolist() == [s in (3, 7) for s in range(12)]
    assert m.wall.tolist() == [s == 5 for s in range(12)]


def test_slip_is_russell_norvig_080_010_010():
    m = build_model(get_layout("lecture"), living_reward=-0.04, slip=0.2)
    # right from (0,2): 0.8 into +1, 0.1 up (bump, stay), 0.1 down to (1,2)
    assert aggregate(m, 2, RIGHT) == pytest.approx({(3, 1.0): 0.8, (2, -0.04): 0.1, (6, -0.04): 0.1})
    # up from (0,0): 0.8 bump + 0.1 bump left = 0.9 stay, 0.1 right
    assert aggregate(m, 0, UP) == pytest.approx({(0, -0.04): 0.9, (1, -0.04): 0.1})


def test_P_is_lazy():
    m = build_model(get_layout("open:300x300"), slip=0.2)
    assert m._P is None
    _ = m.next_state[0]
    assert m._P is None


def test_large_grid_builds_compact_arrays():
    m = build_model(get_layout("open:1000x1000"), slip=0.2)
    assert m.next_state.shape == (1_000_000, 4, 3)
    # the bottom-right exit is the only terminal, entered from its two neighbours
    assert m.terminal.sum() == 1 and m.reward.max() == 1.0
    assert m._P is None


@pytest.mark.parametrize("slip", [-0.1, 1.5, float("nan"), "high", None])
def test_bad_slip(slip):
    with pytest.raises(LayoutError, match="slip must be"):
        build_model(get_layout("lecture"), slip=slip)


@pytest.mark.parametrize("living", [float("nan"), float("inf"), -float("inf"), "cheap"])
def test_bad_living_reward(living):
    with pytest.raises(LayoutError, match="living_reward must be"):
        build_model(get_layout("lecture"), living_reward=living)


def test_expected_reward():
    m = build_model(get_layout("lecture"), living_reward=-0.04, slip=0.2)
    assert m.expected_reward()[2, RIGHT] == pytest.approx(0.8 * 1.0 + 0.2 * -0.04)


@pytest.mark.parametrize("slip", [0.0, 0.2, 1.0])
def test_living_reward_parts_rebuild_the_reward_bit_for_bit(slip):
    """reward == reward0 + c * live for every named layout, and each part matches a rebuild at c = 0."""
    for name in ["lecture", "cliff", "bridge", "discount", "maze", "four_rooms", "open:5x7", "maze:7x9:3"]:
        for c in (-0.04, 0.37, -2.0):
            m = build_model(get_layout(name), living_reward=c, slip=slip)
            reward0, live = m.living_reward_parts()
            assert np.array_equal(reward0 + c * live, m.reward), name
            assert np.array_equal(reward0, build_model(get_layout(name), living_reward=0.0, slip=slip).reward)
            # an outcome is live exactly when it changes with the living reward
            other = build_model(get_layout(name), living_reward=c + 1.0, slip=slip).reward
            assert np.array_equal(live == 1.0, other != m.reward), name
