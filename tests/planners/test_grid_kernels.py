"""The grid stencil kernels against the general array kernels, bit for bit, on every named layout.

Truth is the general path: :class:`planners.TabularMDP` built from the arrays gridworld_env's
model builds (the one home of the dynamics), swept by :mod:`planners._kernels`.  A planted bug
in either the stencil (Jacobi or in-place loop, special cells, parallel blocks, Q-values) or the
general kernels makes these fail.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import planners
from gridworld_env.layouts import get_layout, layout_names
from gridworld_env.model import build_model
from planners import _kernels as K
from planners.grid import GridMDP, grid_description, solve_grid

EMPTY = np.empty(0, dtype=np.int64)
NAMES = [n for n in layout_names() if ":" not in n] + ["open:7x9", "open:1x6", "open:5x1", "maze:11x15:3"]
assert {"open:NxM", "maze:NxM[:SEED]"} <= set(layout_names())  # the generators, instantiated above


def _pair(name: str, slip: float, living: float = -0.04) -> tuple[planners.TabularMDP, GridMDP]:
    m = build_model(get_layout(name), living_reward=living, slip=slip)
    mdp = planners.TabularMDP(m.next_state, m.prob, m.reward, m.absorbing)
    g = grid_description(m)
    assert g is not None
    return mdp, g


def _general_sweep(mdp: planners.TabularMDP, gamma: float, v: np.ndarray, order: str) -> tuple[np.ndarray, float]:
    args = (mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, gamma)
    if order == "jacobi":
        w = np.empty_like(v)
        return w, K.bellman_sweep(*args, v, w, EMPTY)
    w = v.copy()
    idx = np.arange(v.shape[0]) if order == "gauss-seidel" else np.arange(v.shape[0])[::-1].copy()
    return w, K.bellman_sweep(*args, w, w, idx)


def _bits(a: np.ndarray) -> np.ndarray:
    """The IEEE bit patterns: equal only if bit for bit equal (``-0.0 != 0.0`` here, unlike ``==``)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def _assert_sweeps_equal(mdp: planners.TabularMDP, g: GridMDP, v: np.ndarray, gamma: float, tag: object) -> None:
    """Every sweep order, and Jacobi with both kinds of rows (select-free with the irregular cells
    redone, and branch-free selects), against the general kernel."""
    default = g.plain_rows
    try:
        for order, plain in (
            ("jacobi", True),
            ("jacobi", False),
            ("gauss-seidel", None),
            ("gauss-seidel-backward", None),
        ):
            if plain is not None:
                g._choose_rows(plain)
            want, want_res = _general_sweep(mdp, gamma, v, order)
            got, got_res = g.bellman_sweep(v, gamma, order)
            assert np.array_equal(_bits(got), _bits(want)), (tag, order, plain, np.abs(got - want).max())
            assert _bits(np.array(got_res)) == _bits(np.array(want_res)), (tag, order, plain, got_res, want_res)
    finally:
        g._choose_rows(default)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_one_sweep_equals_the_general_kernel_bit_for_bit(name, slip):
    mdp, g = _pair(name, slip, living=-0.04 if slip else 0.1)
    rng = np.random.default_rng(7)
    v = rng.normal(size=mdp.n_states) * 3
    v[mdp.terminal] = 0.0
    _assert_sweeps_equal(mdp, g, v, 0.9, (name, slip))


@pytest.mark.parametrize("name", ["lecture", "cliff", "four_rooms", "maze:11x15:3", "open:7x9"])
@pytest.mark.parametrize("slip", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("living", [-0.04, 0.0, -0.0, 1.0])
def test_sweeps_bit_for_bit_with_ties_signed_zeros_and_edge_discounts(name, slip, living):
    """The common cells' shortcut (maxima taken early, :func:`planners._grid_kernels._best`) against
    the general kernel where it could go wrong: neighbours with equal values (rounded values),
    values ``-0.0`` and ``+0.0``, a living reward of ``-0.0`` (every live cell then takes the
    general arithmetic), discounts 0 (every ``gamma * v`` a signed zero) and 1, slip 1 (``p0 = 0``)."""
    mdp, g = _pair(name, slip, living=living)
    rng = np.random.default_rng(11)
    for gamma in (0.0, 0.9, 1.0):
        v = np.round(rng.normal(size=mdp.n_states), 1)  # ties between neighbours, and zeros
        v[rng.random(mdp.n_states) < 0.2] = -0.0
        v[mdp.terminal] = 0.0
        _assert_sweeps_equal(mdp, g, v, gamma, (name, slip, living, gamma))


@pytest.mark.parametrize("name", ["lecture", "open:3x5", "four_rooms"])
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_the_change_is_the_largest_one_wherever_it_is(name, slip):
    """One live cell set to -7, each in turn: every sweep (and the greedy step) must report the
    general kernel's ``max |change|``, which is then at that cell alone (its neighbours move
    away from it: theirs is at most ``0.04 + 0.5 * 7 * 0.1``), so a row loop that misses a
    column, or takes a special cell's change from the wrong value, fails here."""
    from planners import _grid_kernels as GK

    mdp, g = _pair(name, slip)
    for s in np.flatnonzero(~(g.wall | g.terminal)):
        v = np.zeros(mdp.n_states)
        v[s] = -7.0
        _assert_sweeps_equal(mdp, g, v, 0.5, (name, slip, int(s)))
        vp = g.pad(v)
        w, pol = np.zeros_like(vp), np.zeros(vp.shape[0], dtype=np.uint8)
        res = GK.greedy_sweep(*g._args(), 0.5, g.slippery, vp, w, pol)
        want, want_res = _general_sweep(mdp, 0.5, v, "jacobi")
        assert want_res > 6.0 and want_res == abs(want[s] - v[s])
        assert np.array_equal(_bits(g.unpad(w)), _bits(want)) and res == want_res, (name, slip, int(s))


def test_a_minus_zero_living_reward_makes_every_live_cell_special():
    """With ``R = -0.0`` the shortcut could flip the sign of a zero value (``gamma = 0``: the
    general maximum keeps the first action's ``-0.0 + 0 * v``): the grid routes such grids
    through the general arithmetic; the test above fails without that."""
    _mdp, g = _pair("lecture", 0.0, living=-0.0)
    live = ~(g.wall | g.terminal)
    assert g.R == 0.0 and np.signbit(g.R)
    assert g.sp_idx.shape[0] == int(live.sum())
    _mdp, g = _pair("lecture", 0.0, living=0.0)
    assert g.sp_idx.shape[0] < int(live.sum())


@pytest.mark.skipif(bool(getattr(numba.config, "DISABLE_JIT", False)), reason="a 256 x 256 grid: too slow in Python")
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_a_grid_large_enough_to_prefetch_still_sweeps_bit_for_bit(slip):
    """Grids of at least PREFETCH_MIN_CELLS padded cells run the prefetching rows (Jacobi, both
    Gauss-Seidel orders, the greedy step of policy iteration)."""
    from planners import _grid_kernels as GK

    mdp, g = _pair("open:256x256", slip)
    assert g.code.shape[0] >= GK.PREFETCH_MIN_CELLS
    rng = np.random.default_rng(2)
    v = rng.normal(size=mdp.n_states)
    v[mdp.terminal] = 0.0
    for prefetch in (True, False):  # the Jacobi rows' prefetches are per grid (GridMDP.prefetch)
        g.prefetch = prefetch
        _assert_sweeps_equal(mdp, g, v, 0.97, (slip, prefetch))
    vp = g.pad(v)
    w, pol = np.zeros_like(vp), np.zeros(vp.shape[0], dtype=np.uint8)
    res = GK.greedy_sweep(*g._args(), 0.97, g.slippery, vp, w, pol)
    want, want_res = _general_sweep(mdp, 0.97, v, "jacobi")
    assert np.array_equal(_bits(g.unpad(w)), _bits(want)) and res == want_res


def test_prefetch_takes_only_a_bool():
    _mdp, g = _pair("lecture", 0.2)
    with pytest.raises(ValueError, match="prefetch must be True or False, got 'yes'"):
        g.prefetch = "yes"
    g.prefetch = not g.prefetch  # both settings are valid (test_a_grid_large_enough_to_prefetch_...)


def test_values_must_be_finite():
    _mdp, g = _pair("lecture", 0.2)
    v = np.zeros(g.n_states)
    v[1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        g.bellman_sweep(v, 0.9)
    v[1] = np.inf
    with pytest.raises(ValueError, match="v0 must be finite"):
        solve_grid(g, 0.9, v0=v)


@pytest.mark.parametrize("name", ["lecture", "cliff", "four_rooms", "maze:11x15:3"])
@pytest.mark.parametrize("slip", [0.0, 0.2])
@pytest.mark.parametrize("method", ["jacobi", "gauss-seidel"])
def test_whole_value_iteration_equals_the_general_solver(name, slip, method):
    """Same iterates: same values, same residual of every sweep, same sweep count, same policy and Q."""
    mdp, g = _pair(name, slip)
    want = planners.value_iteration(mdp, 0.95, tol=1e-9, method=method)
    got = solve_grid(g, 0.95, tol=1e-9, method=method)
    assert got.iterations == want.iterations
    assert np.array_equal(got.residuals, want.residuals)
    assert np.array_equal(got.values, want.values)
    assert np.array_equal(got.q, want.q)
    assert np.array_equal(got.policy, want.policy)


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_parallel_jacobi_blocks_equal_the_serial_sweep(slip):
    _mdp, g = _pair("maze:41x61:5", slip)
    rng = np.random.default_rng(1)
    vp = g.pad(rng.normal(size=g.n_states))
    serial, par = np.zeros_like(vp), np.zeros_like(vp)
    r1 = g.sweep_padded(0.97, vp, serial, threads=1)
    from planners import _grid_kernels as GK

    for plain in (True, False):
        g._choose_rows(plain)
        par.fill(0.0)
        r2 = GK.jacobi_sweep_parallel(*g._args(), 0.97, g.slippery, vp, par, g.fx_idx, plain, 3, True)  # 3-row blocks
        assert np.array_equal(serial, par) and r1 == r2
        par.fill(0.0)
        r3 = g.sweep_padded(0.97, vp, par, threads=2)
        assert np.array_equal(serial, par) and r1 == r3


@pytest.mark.parametrize("name", ["lecture", "bridge", "maze:11x15:3"])
@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_q_values_and_greedy_policy_equal_the_general_ones(name, slip):
    mdp, g = _pair(name, slip)
    rng = np.random.default_rng(3)
    v = np.round(rng.normal(size=mdp.n_states), 1)  # rounded: ties between actions happen
    v[mdp.terminal] = 0.0
    from planners import _grid_kernels as GK
    from planners.solvers import TIE_RTOL

    q = np.empty((mdp.n_states, 4))
    pol = np.empty(mdp.n_states, dtype=np.int64)
    GK.q_policy(*g._args(), 0.9, g.slippery, g.pad(v), q, pol, TIE_RTOL, True)
    want_q = np.empty_like(q)
    want_pol = np.empty_like(pol)
    K.q_values(mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, 0.9, v, want_q, want_pol, TIE_RTOL)
    assert np.array_equal(q, want_q)
    assert np.array_equal(pol, want_pol)
    assert np.array_equal(pol, planners.greedy_policy(want_q))
    pol2 = np.empty_like(pol)
    GK.q_policy(*g._args(), 0.9, g.slippery, g.pad(v), np.empty((1, 4)), pol2, TIE_RTOL, False)
    assert np.array_equal(pol2, pol)


def _pad_policy(g: GridMDP, pol: np.ndarray) -> np.ndarray:
    out = np.zeros((g.shape[0] + 2, g.shape[1] + 2), dtype=np.uint8)
    out[1:-1, 1:-1] = pol.reshape(g.shape)
    return out.reshape(-1)


def _exact_policy_values(mdp: planners.TabularMDP, pol: np.ndarray, gamma: float) -> np.ndarray:
    """``(I - gamma P_pi)^{-1} r_pi`` by a dense solve: the independent truth."""
    S = mdp.n_states
    M = np.eye(S)
    idx = np.arange(S)
    for k in range(mdp.n_outcomes):
        np.add.at(M, (idx, mdp.next_state[idx, pol, k]), -gamma * mdp.prob[idx, pol, k])
    b = mdp.expected_reward[idx, pol].copy()
    M[mdp.terminal] = 0.0
    M[mdp.terminal, mdp.terminal] = 1.0
    b[mdp.terminal] = 0.0
    return np.linalg.solve(M, b)


@pytest.mark.parametrize("name,columns", [("open:1x9", False), ("open:9x1", True)])
def test_a_line_sweep_solves_its_line_exactly(name, columns):
    """On a one-row (one-column) grid a single row (column) sweep is the exact policy evaluation."""
    from planners import _grid_kernels as GK

    mdp, g = _pair(name, 0.2)
    rng = np.random.default_rng(0)
    pol = rng.integers(0, 4, size=mdp.n_states)
    polp = _pad_policy(g, pol)
    vp = g.pad(rng.normal(size=mdp.n_states))
    n = max(g.shape) + 2
    GK.line_sweep(*g._args(), 0.9, polp, vp, columns, False, np.empty(n), np.empty(n))
    want = _exact_policy_values(mdp, pol, 0.9)
    assert np.allclose(g.unpad(vp), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["lecture", "four_rooms", "maze:11x15:3"])
def test_line_sweeps_converge_to_the_policy_values(name):
    from planners import _grid_kernels as GK

    mdp, g = _pair(name, 0.2)
    rng = np.random.default_rng(5)
    pol = rng.integers(0, 4, size=mdp.n_states)
    polp = _pad_policy(g, pol)
    vp = np.zeros(g.code.shape[0])
    n = max(g.shape) + 2
    for k in range(400):
        GK.line_sweep(*g._args(), 0.9, polp, vp, bool(k % 4 >= 2), bool(k % 2), np.empty(n), np.empty(n))
    assert np.allclose(g.unpad(vp), _exact_policy_values(mdp, pol, 0.9), rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_label_correcting_is_exact(name):
    """Deterministic grids: the solve equals the general exact route and satisfies the Bellman equation."""
    mdp, g = _pair(name, 0.0)
    got = solve_grid(g, 0.99, tol=1e-10)
    assert got.method == "grid:deterministic" and got.converged and got.iterations == 1
    want = planners.value_iteration(mdp, 0.99, tol=1e-10, method="auto")
    assert np.allclose(got.values, want.values, rtol=0, atol=1e-12)
    w, res = _general_sweep(mdp, 0.99, got.values, "jacobi")
    assert res <= 1e-12 and np.allclose(w, got.values, rtol=0, atol=1e-12)
