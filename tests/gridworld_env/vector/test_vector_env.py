"""LectureGridVectorEnv: construction, spaces, dynamics against the model, autoreset, seeding,
agreement in distribution with the single env, Gymnasium's checks, rendering, errors."""

from __future__ import annotations

import collections.abc

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils import env_checker
from gymnasium.vector import AutoresetMode
from scipy import stats

import gridworld_env
from gridworld_env import InvalidActionError, LayoutError, LectureGridEnv, LectureGridVectorEnv
from gridworld_env.render import GridRenderer

UP, DOWN, LEFT, RIGHT = gridworld_env.UP, gridworld_env.DOWN, gridworld_env.LEFT, gridworld_env.RIGHT
# The lecture's 4x3 world:   ...+   states 0  1  2  3
#                            .#.-          4  5  6  7
#                            S...          8  9 10 11


def make(num_envs: int = 4, **kwargs) -> LectureGridVectorEnv:
    return gym.make_vec("LectureGrid-v0", num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)


def acts(*a: int) -> np.ndarray:
    return np.array(a, dtype=np.int64)


# ----------------------------------------------------------------- creation and spaces
def test_make_vec_returns_the_native_vector_env_with_registered_horizon():
    envs = make(3, slip=0.2, layout="cliff")
    assert isinstance(envs, LectureGridVectorEnv)
    assert envs.num_envs == 3 and envs.max_episode_steps == 100
    assert envs.model.slip == 0.2 and envs.layout.name == gridworld_env.get_layout("cliff").name
    assert envs.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    assert envs.spec is not None and envs.spec.id == "LectureGrid-v0"
    # the default vectorization mode of make_vec is the vector entry point
    assert isinstance(gym.make_vec("LectureGrid-v0", num_envs=2), LectureGridVectorEnv)
    assert make(2, max_episode_steps=7).max_episode_steps == 7


@pytest.mark.parametrize("copy", [True, False])
def test_spaces_shapes_and_dtypes(copy):
    envs = make(5, copy=copy)
    assert envs.single_observation_space == gym.spaces.Discrete(12)
    assert envs.single_action_space == gym.spaces.Discrete(4)
    assert envs.observation_space == gym.spaces.MultiDiscrete([12] * 5)
    assert envs.action_space == gym.spaces.MultiDiscrete([4] * 5)
    obs, info = envs.reset(seed=0)
    assert obs.shape == (5,) and obs.dtype == np.int64 and obs in envs.observation_space
    assert info == {}
    envs.action_space.seed(0)
    obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
    assert obs.shape == (5,) and obs.dtype == np.int64 and obs in envs.observation_space
    assert rew.shape == (5,) and rew.dtype == np.float64
    assert term.shape == trunc.shape == (5,) and term.dtype == trunc.dtype == np.bool_
    assert info == {}


def test_single_step_matches_hand_computed_moves_from_the_start():
    envs = make(4)
    obs, _ = envs.reset(seed=0)
    assert obs.tolist() == [8] * 4
    obs, rew, term, trunc, _ = envs.step(acts(UP, DOWN, LEFT, RIGHT))
    assert obs.tolist() == [4, 8, 8, 9]  # down and left bump the border and stay
    assert rew.tolist() == [-0.04] * 4
    assert not term.any() and not trunc.any()


def test_every_deterministic_transition_equals_the_model_and_the_single_env():
    """Each free state x each action, on several layouts: the vector env == model arrays == single env."""
    for layout in ("lecture", "bridge", "maze:7x9:3"):
        envs = make(4, layout=layout, living_reward=-0.5)
        single = LectureGridEnv(layout, living_reward=-0.5)
        m = envs.model
        for s in np.flatnonzero(envs.layout.free):
            envs.reset(seed=0, options={"start": int(s)})
            obs, rew, term, _, _ = envs.step(acts(0, 1, 2, 3))
            np.testing.assert_array_equal(obs, m.next_state[s, :, 0])
            np.testing.assert_array_equal(rew, m.reward[s, :, 0])
            np.testing.assert_array_equal(term, m.terminal[m.next_state[s, :, 0]])
            for a in range(4):
                single.reset(options={"start": int(s)})
                ns, r, t, _, _ = single.step(a)
                assert (ns, r, t) == (obs[a], rew[a], term[a])


def test_random_walks_only_take_transitions_of_the_model():
    """Many envs, slip > 0, random start: every step is an outcome of the model with its reward."""
    envs = make(256, layout="maze:9x9:1", slip=0.3, random_start=True, living_reward=-0.1)
    m = envs.model
    rng = np.random.default_rng(1)
    prev, _ = envs.reset(seed=5)
    prev = prev.copy()
    prev_done = np.zeros(256, bool)
    for _ in range(60):
        a = rng.integers(0, 4, 256)
        obs, rew, term, trunc, _ = envs.step(a)
        live = ~prev_done
        outcomes = m.next_state[prev[live], a[live]]  # (n, 3)
        hit = outcomes == obs[live, None]
        assert hit.any(axis=1).all()
        k = hit.argmax(axis=1)
        np.testing.assert_array_equal(rew[live], m.reward[prev[live], a[live], k])
        np.testing.assert_array_equal(term[live], m.terminal[obs[live]])
        assert envs.layout.free[obs[prev_done]].all() and (rew[prev_done] == 0).all()
        prev, prev_done = obs.copy(), term | trunc


# ----------------------------------------------------------------------- autoreset
def test_next_step_autoreset_after_termination():
    envs = make(2)
    envs.reset(seed=0, options={"start": (0, 2)})  # both next to the +1 square
    obs, rew, term, trunc, _ = envs.step(acts(RIGHT, LEFT))
    assert obs.tolist() == [3, 1] and rew.tolist() == [1.0, -0.04]
    assert term.tolist() == [True, False] and trunc.tolist() == [False, False]
    assert envs.elapsed_steps.tolist() == [1, 1]  # the ended episode still reports its length
    # the next step resets env 0 (its action is ignored) to the layout's start; env 1 moves on
    obs, rew, term, trunc, _ = envs.step(acts(UP, DOWN))
    assert obs.tolist() == [8, 1] and rew.tolist() == [0.0, -0.04]
    assert not term.any() and not trunc.any()
    assert envs.elapsed_steps.tolist() == [0, 2]
    obs, rew, term, _, _ = envs.step(acts(UP, LEFT))
    assert obs.tolist() == [4, 0] and rew.tolist() == [-0.04, -0.04] and not term.any()
    assert envs.elapsed_steps.tolist() == [1, 3]


def test_truncation_at_max_episode_steps_then_autoreset():
    envs = make(1, max_episode_steps=3)
    envs.reset(seed=0)
    flags = [envs.step(acts(LEFT))[3][0] for _ in range(3)]
    assert flags == [False, False, True]
    assert envs.elapsed_steps.tolist() == [3]
    obs, rew, term, trunc, _ = envs.step(acts(UP))
    assert (obs[0], rew[0], term[0], trunc[0]) == (8, 0.0, False, False)
    assert envs.step(acts(UP))[0][0] == 4


def test_terminating_on_the_last_allowed_step_is_also_truncated_like_time_limit():
    envs = make(1, max_episode_steps=1, start=(0, 2))
    single = gym.make("LectureGrid-v0", max_episode_steps=1, start=(0, 2))
    envs.reset(seed=0)
    single.reset(seed=0)
    _, r, te, tr, _ = envs.step(acts(RIGHT))
    _, r1, te1, tr1, _ = single.step(RIGHT)
    assert (r[0], te[0], tr[0]) == (r1, te1, tr1) == (1.0, True, True)


def test_no_truncation_without_a_horizon():
    envs = LectureGridVectorEnv(2, max_episode_steps=None)
    envs.reset(seed=0)
    for _ in range(500):
        _, _, term, trunc, _ = envs.step(acts(LEFT, DOWN))
        assert not term.any() and not trunc.any()
    assert envs.elapsed_steps.tolist() == [500, 500]


def test_partial_reset_with_reset_mask_keeps_other_envs_and_their_pending_autoreset():
    envs = make(3)
    envs.reset(seed=0, options={"start": (0, 2)})
    envs.step(acts(RIGHT, LEFT, RIGHT))  # envs 0 and 2 terminate
    obs, info = envs.reset(options={"reset_mask": np.array([True, False, False])})
    assert obs.tolist() == [8, 1, 3] and info == {}
    obs, rew, _, _, _ = envs.step(acts(UP, LEFT, UP))
    # env 0 was reset by the mask and moves; env 1 moves; env 2 still autoresets
    assert obs.tolist() == [4, 0, 8] and rew.tolist() == [-0.04, -0.04, 0.0]


# ----------------------------------------------------------------------- seeding
def rollout(envs: LectureGridVectorEnv, seed, steps: int = 40, action_seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(action_seed)
    first, _ = envs.reset(seed=seed)
    out = [first.copy()]
    for _ in range(steps):
        out.append(envs.step(rng.integers(0, 4, envs.num_envs))[0].copy())
    return np.array(out)


def test_seeded_runs_are_reproducible_and_seeds_matter():
    kw = dict(slip=0.4, random_start=True)
    a = rollout(make(16, **kw), seed=42)
    b = rollout(make(16, **kw), seed=42)
    c = rollout(make(16, **kw), seed=43)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # distinct envs draw distinct streams
    assert len({tuple(col) for col in a.T}) == 16


def test_int_seed_gives_env_i_seed_plus_i_like_gymnasium():
    kw = dict(slip=0.4, random_start=True)
    joint = rollout(make(4, **kw), seed=100)
    listed = rollout(make(4, **kw), seed=[100, 101, 102, 103])
    np.testing.assert_array_equal(joint, listed)
    # env i of a batch behaves exactly as a lone env seeded with seed + i, whatever the batch size
    for i in range(4):
        lone = rollout(make(1, **kw), seed=100 + i, steps=0)
        assert lone[0, 0] == joint[0, i]


def test_unseeded_reset_continues_the_streams():
    envs = make(64, slip=0.0, random_start=True)
    first, _ = envs.reset(seed=9)
    first = first.copy()
    again, _ = envs.reset()
    assert not np.array_equal(first, again)
    np.testing.assert_array_equal(envs.reset(seed=9)[0], first)


def test_parallel_kernel_equals_serial_kernel():
    kw = dict(layout="maze:9x9:2", slip=0.2, random_start=True, max_episode_steps=15)
    serial = LectureGridVectorEnv(3000, parallel=False, **kw)
    par = LectureGridVectorEnv(3000, parallel=True, **kw)
    assert not serial.parallel and par.parallel
    rng = np.random.default_rng(3)
    for env in (serial, par):
        env.reset(seed=11)
    for _ in range(30):
        a = rng.integers(0, 4, 3000)
        for x, y in zip(serial.step(a)[:4], par.step(a)[:4]):
            np.testing.assert_array_equal(x, y)


def test_parallel_auto_needs_a_big_batch_and_enough_threads(monkeypatch):
    from gridworld_env import _vector_kernels, vector

    monkeypatch.setattr(_vector_kernels, "max_threads", lambda: vector.PARALLEL_MIN_THREADS)
    assert LectureGridVectorEnv(vector.PARALLEL_THRESHOLD).parallel
    assert not LectureGridVectorEnv(vector.PARALLEL_THRESHOLD - 1).parallel
    monkeypatch.setattr(_vector_kernels, "max_threads", lambda: vector.PARALLEL_MIN_THREADS - 1)
    assert not LectureGridVectorEnv(vector.PARALLEL_THRESHOLD).parallel
    assert LectureGridVectorEnv(8, parallel=True).parallel


# ------------------------------------------------------- agreement in distribution
def next_state_counts_vector(layout: str, slip: float, n: int, seed: int) -> dict:
    """For every free state and action: counts of next states over n vector envs."""
    envs = make(n, layout=layout, slip=slip)
    counts = {}
    S = envs.layout.n_states
    for s in np.flatnonzero(envs.layout.free):
        for a in range(4):
            envs.reset(seed=seed + 1000 * int(s) + a, options={"start": int(s)})
            obs = envs.step(np.full(n, a, dtype=np.int64))[0]
            counts[int(s), a] = np.bincount(obs, minlength=S)
    return counts


def model_probs(model, s: int, a: int) -> np.ndarray:
    p = np.zeros(model.n_states)
    np.add.at(p, model.next_state[s, a], model.prob[s, a])
    return p


def chi2_pvalue(observed: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square goodness of fit over the cells with positive probability."""
    assert observed[probs == 0].sum() == 0, "an outcome the model gives probability 0"
    keep = probs > 0
    if keep.sum() < 2:
        return 1.0
    return stats.chisquare(observed[keep], probs[keep] * observed.sum()).pvalue


@pytest.mark.parametrize("slip", [0.2, 0.5])
def test_vector_env_next_states_follow_the_model_chi_square(slip):
    n = 4000
    model = gridworld_env.build_model(gridworld_env.get_layout("lecture"), slip=slip)
    counts = next_state_counts_vector("lecture", slip, n, seed=7)
    # one combined test over all (state, action) pairs: sum of chi-squares, summed dof
    chi2 = dof = 0.0
    for (s, a), obs in counts.items():
        p = model_probs(model, s, a)
        keep = p > 0
        assert obs[~keep].sum() == 0
        exp = p[keep] * n
        chi2 += ((obs[keep] - exp) ** 2 / exp).sum()
        dof += keep.sum() - 1
    assert stats.chi2.sf(chi2, dof) > 1e-3
    # ...and the same test rejects a slightly wrong model (0.05 probability moved): it has power
    wrong = gridworld_env.build_model(gridworld_env.get_layout("lecture"), slip=slip - 0.05)
    assert chi2_pvalue(counts[8, UP], model_probs(wrong, 8, UP)) < 1e-6


def test_vector_and_single_env_agree_in_distribution():
    """Two-sample chi-square (contingency table) on next-state frequencies, vector vs single env."""
    n = 6000
    single = LectureGridEnv(slip=0.2)
    single.reset(seed=1)
    vec = next_state_counts_vector("lecture", 0.2, n, seed=3)
    pvalues = []
    for s, a in [(8, UP), (6, RIGHT), (2, RIGHT), (10, UP), (0, DOWN)]:
        one = np.zeros(12, dtype=np.int64)
        for _ in range(n):
            single.reset(options={"start": s})
            one[single.step(a)[0]] += 1
        table = np.array([vec[s, a], one])
        table = table[:, table.sum(axis=0) > 0]
        pvalues.append(stats.chi2_contingency(table).pvalue)
    # Fisher's method over the five independent tests
    assert stats.combine_pvalues(pvalues).pvalue > 1e-3


def test_random_start_is_uniform_over_free_squares():
    envs = make(9000, layout="lecture", random_start=True)
    obs, _ = envs.reset(seed=2)
    counts = np.bincount(obs, minlength=12)
    free = envs.layout.free
    assert counts[~free].sum() == 0
    assert stats.chisquare(counts[free]).pvalue > 1e-3


# -------------------------------------------------------- Gymnasium's env checks
def test_gymnasium_env_checker_checks_that_apply_to_vector_envs():
    # with copy=True: the checks hold on to returned observations across resets
    for kw in ({}, {"slip": 0.2, "random_start": True}):
        envs = make(8, copy=True, **kw)
        env_checker.check_reset_seed_determinism(envs)
        env_checker.check_reset_options(envs)
        env_checker.check_reset_return_type(envs)
        env_checker.check_space_limit(envs.observation_space, "observation")
        env_checker.check_space_limit(envs.action_space, "action")
        # check_returned_data_not_reused tests `terminated or truncated` as a scalar: one env
        env_checker.check_returned_data_not_reused(make(1, copy=True, **kw))


def test_step_determinism_for_a_fixed_seed_and_action():
    """env_checker.check_step_determinism, for batched flags."""
    envs = make(8, slip=0.3, random_start=True)
    envs.action_space.seed(123)
    action = envs.action_space.sample()
    envs.reset(seed=123)
    first = [np.copy(x) for x in envs.step(action)[:4]]
    envs.reset(seed=123)
    second = envs.step(action)
    for x, y in zip(first, second[:4]):
        assert env_checker.data_equivalence(x, y, exact=True)
    assert not first[3].any()


def test_returned_arrays_copy_or_reuse():
    fresh = make(4, copy=True)
    obs0, _ = fresh.reset(seed=0)
    out1 = fresh.step(acts(0, 0, 0, 0))
    out2 = fresh.step(acts(0, 0, 0, 0))
    for x, y in zip((obs0, *out1[:4]), (out1[0], *out2[:4])):
        assert not np.shares_memory(x, y)
    assert make(4).copy is True  # the default, as Gymnasium's vector envs (torchrl keeps the arrays it is given)
    reused = make(4, copy=False)
    assert reused.copy is False
    reused.reset(seed=0)
    a = reused.step(acts(0, 0, 0, 0))
    b = reused.step(acts(0, 0, 0, 0))
    assert all(x is y for x, y in zip(a[:4], b[:4]))
    a[0][:] = 11  # scribbling on a returned buffer does not move the agents
    assert reused.states.tolist() == [0, 0, 0, 0]
    assert reused.step(acts(3, 3, 3, 3))[0].tolist() == [1, 1, 1, 1]


# ----------------------------------------------------------------------- rendering
def test_rgb_array_frames_show_each_env_like_the_single_env():
    envs = make(3, render_mode="rgb_array", tile_size=32)
    envs.reset(seed=0)
    envs.step(acts(UP, RIGHT, LEFT))
    frames = envs.render()
    assert isinstance(frames, collections.abc.Sequence) and len(frames) == 3
    single = LectureGridEnv(render_mode="rgb_array", tile_size=32)
    for i, s in enumerate([4, 9, 8]):
        single.reset(options={"start": s})
        frame = frames[i]
        assert frame.shape == (96, 128, 3) and frame.dtype == np.uint8
        np.testing.assert_array_equal(frame, single.render())
    np.testing.assert_array_equal(frames[-1], frames[2])
    assert [f.shape for f in frames[1:]] == [(96, 128, 3)] * 2
    assert not np.array_equal(frames[0], frames[1])
    # frames show the states at the time of render(), not later ones
    envs.step(acts(UP, UP, UP))
    np.testing.assert_array_equal(frames[1], GridRenderer(envs.layout, 32).rgb_array(agent=9))
    with pytest.raises(IndexError, match="3"):
        frames[3]
    envs.close()
    single.close()


def test_render_without_mode_warns_and_returns_none():
    envs = make(2)
    envs.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert envs.render() is None


# -------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "bad",
    [
        acts(0, 4, 0),
        acts(-1, 0, 0),
        np.array([0.0, 1.0, 2.0]),
        acts(0, 1),
        np.array([[0, 1, 2]]),
        "abc",
        np.array([0, 1, 2**40], dtype=np.uint64),
        np.array([True, False, True]),
    ],
)
def test_invalid_actions_raise_and_step_nothing(bad):
    envs = make(3)
    envs.reset(seed=0)
    with pytest.raises(InvalidActionError, match="0..3"):
        envs.step(bad)
    assert envs.states.tolist() == [8, 8, 8] and envs.elapsed_steps.tolist() == [0, 0, 0]


def test_invalid_action_message_names_the_value():
    envs = make(3)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions\[1\] = 7"):
        envs.step([0, 7, 0])


def test_other_integer_dtypes_and_lists_are_accepted():
    envs = make(3)
    envs.reset(seed=0)
    assert envs.step([0, 3, 2])[0].tolist() == [4, 9, 8]
    assert envs.step(np.array([1, 2, 3], dtype=np.int8))[0].tolist() == [8, 8, 9]


def test_step_before_reset():
    with pytest.raises(ResetNeeded):
        make(2).step(acts(0, 0))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_envs": 0}, "num_envs"),
        ({"num_envs": 2.5}, "num_envs"),
        ({"max_episode_steps": 0}, "max_episode_steps"),
        ({"render_mode": "human"}, "render_mode"),
        ({"copy": "yes"}, "copy"),
        ({"parallel": 1}, "parallel"),
        ({"slip": 1.5}, "slip"),
        ({"layout": "no-such-layout"}, "no-such-layout"),
        ({"num_envs": True}, r"num_envs must be an integer >= 1, got True$"),
        ({"max_episode_steps": True}, r"max_episode_steps must be an integer >= 1, got True$"),
        ({"slip": True}, r"slip must be a finite number in \[0, 1\], got True$"),
        ({"living_reward": "0.1"}, r"living_reward must be a finite number, got '0.1'$"),
        ({"render_mode": 1}, r"unsupported render_mode 1"),
        ({"autoreset_mode": 1}, r"autoreset_mode must be .*got 1$"),
        ({"tile_size": 2000}, r"tile_size must be an integer in \[4, 1024\], got 2000$"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    kw = {"num_envs": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        LectureGridVectorEnv(**kw)


def test_layout_errors_are_layout_errors():
    with pytest.raises(LayoutError):
        LectureGridVectorEnv(2, layout="S..\n.#")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
        ({"seed": [1, 2]}, "list of 3"),
        ({"seed": [1, "x", 3]}, r"seed\[1\]"),
        ({"seed": 1.5}, "seed"),
        ({"options": {"reset_mask": np.array([1, 0, 1])}}, "reset_mask"),
        ({"options": {"reset_mask": np.zeros(3, bool)}}, "at least one"),
        ({"options": {"colour": 1}}, "colour"),
        ({"options": {"start": (1, 1)}}, "wall"),
        ({"options": "x"}, r"options must be a dict or None, got 'x'$"),
    ],
)
def test_bad_reset_arguments(kwargs, match):
    envs = make(3)
    with pytest.raises(ValueError, match=match):
        envs.reset(**kwargs)


def test_first_reset_must_reset_every_env():
    with pytest.raises(ValueError, match="first reset"):
        make(2).reset(options={"reset_mask": np.array([True, False])})


def test_slip_one_never_takes_the_intended_move():
    """prob = (0, 0.5, 0.5): a zero-probability outcome is never sampled; the others split evenly."""
    n = 4000
    envs = make(n, slip=1.0)
    envs.reset(seed=8, options={"start": (2, 1)})  # state 9; up is intended, left/right perpendicular
    obs = envs.step(np.zeros(n, dtype=np.int64))[0]
    counts = np.bincount(obs, minlength=12)
    assert counts[5] == 0 and counts[8] + counts[10] == n  # 5 is the wall above: never "entered" anyway
    assert stats.binomtest(int(counts[8]), n, 0.5).pvalue > 1e-3
    envs.reset(seed=8, options={"start": (2, 2)})  # state 10: up leads to 6, which must never occur
    obs = envs.step(np.zeros(n, dtype=np.int64))[0]
    assert not (obs == 6).any() and set(np.unique(obs)) == {9, 11}


def test_per_env_arrays_are_disjoint_zeroed_and_at_distinct_page_offsets():
    from gridworld_env.vector import _staggered

    dtypes = (np.int64, np.int64, np.uint64, np.int64, np.float64, np.bool_, np.bool_)
    for n in (1, 7, 16384):
        arrays = _staggered(n, dtypes)
        assert [a.dtype for a in arrays] == [np.dtype(d) for d in dtypes]
        assert all(a.shape == (n,) and a.flags.carray and not a.any() for a in arrays)
        spans = sorted((a.ctypes.data, a.ctypes.data + a.nbytes) for a in arrays)
        assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:]))
        offsets = [a.ctypes.data % 4096 for a in arrays]
        assert len(set(offsets)) == len(arrays) and all(o % 64 == 0 for o in offsets)


BAD_MODEL_ARGS = [
    {"slip": True},
    {"slip": "0.2"},
    {"living_reward": float("nan")},
    {"layout": ["S.E+"], "rewards": {"E": True}},
    {"layout": ["S.E+"], "rewards": [("E", 1)]},
    {"start": (1, 1)},
    {"random_start": 1},
    {"tile_size": 3},
    {"layout": "S#?"},
]


@pytest.mark.parametrize("kwargs", BAD_MODEL_ARGS)
def test_vector_env_refuses_what_the_env_refuses_with_the_same_message(kwargs):
    with pytest.raises(ValueError) as single:
        LectureGridEnv(**kwargs)
    with pytest.raises(ValueError) as vector:
        LectureGridVectorEnv(2, **kwargs)
    assert type(single.value) is type(vector.value) and str(single.value) == str(vector.value)


def test_vector_env_builds_no_single_env(monkeypatch):
    """Issue 14: the vector env validated its arguments by building a throwaway LectureGridEnv."""

    def refuse(*args, **kwargs):
        raise AssertionError("LectureGridEnv built")

    monkeypatch.setattr(LectureGridEnv, "__init__", refuse)
    envs = LectureGridVectorEnv(3, slip=0.2, random_start=True)
    assert envs.reset(seed=0)[0].shape == (3,)
