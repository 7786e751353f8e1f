"""Large sparse MDPs: TabularMDP.from_dense on scipy.sparse, and span-stopped value iteration's guarantee."""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

import planners
import planners.mdp as M
import planners.span
from planners import ConvergenceWarning, MDPError, TabularMDP
from planners.span import span_value_iteration

from .conftest import random_mdps, reverse_rows, split_duplicates

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.planners_scale import random_sparse_mdp  # noqa: E402


def _vstar(mdp: TabularMDP, gamma: float) -> np.ndarray:
    pol = planners.value_iteration(mdp, gamma, tol=1e-13).policy
    return planners.policy_evaluation(mdp, pol, gamma, method="exact")


def test_module_doctest():
    failures, tried = doctest.testmod(planners.span)
    assert tried > 0 and failures == 0


@settings(max_examples=40, deadline=None)
@given(random_mdps(max_states=8, max_actions=3, max_outcomes=3))
def test_guarantee_holds_on_random_mdps_with_and_without_terminals(mdp):
    for gamma in (0.5, 0.95):
        tol = 1e-6
        res = span_value_iteration(mdp, gamma, tol=tol)
        assert res.converged and res.residuals[-1] < 2 * tol
        assert np.abs(res.values - _vstar(mdp, gamma)).max() <= tol * gamma / (1 - gamma) * (1 + 1e-9) + 1e-12
        assert np.all(res.values[mdp.terminal] == 0.0)
        assert np.array_equal(res.policy, planners.greedy_policy(res.q))


def test_random_sparse_model_rows_are_distributions_with_10_to_20_successors():
    P, R = random_sparse_mdp(3000, 3, seed=4)
    assert R.shape == (3000, 3) and R.min() >= 0 and R.max() <= 1
    for m in P:
        assert np.allclose(np.asarray(m.sum(axis=1)).ravel(), 1.0, atol=1e-12)
        counts = np.diff(m.indptr)
        assert counts.min() >= 8 and counts.max() <= 20  # 10-20 drawn; a repeated column merges
        assert m.data.min() > 0


def test_from_dense_sparse_equals_dense_and_span_iteration_beats_value_iteration():
    P, R = random_sparse_mdp(400, 3, seed=1)
    sparse = TabularMDP.from_dense(P, R, terminal=np.zeros(400, dtype=bool))
    dense = TabularMDP.from_dense(np.stack([m.toarray() for m in P]), R, terminal=np.zeros(400, dtype=bool))
    assert sparse.shape == dense.shape
    assert np.array_equal(sparse.next_state, dense.next_state) and np.array_equal(sparse.prob, dense.prob)
    assert np.allclose(sparse.expected_reward, R, atol=1e-12)
    gamma, tol = 0.99, 1e-8
    fast = span_value_iteration(sparse, gamma, tol=tol)
    slow = planners.value_iteration(sparse, gamma, tol=tol)
    assert fast.iterations * 20 < slow.iterations
    bound = tol * gamma / (1 - gamma)
    vstar = _vstar(sparse, gamma)
    assert np.abs(fast.values - vstar).max() <= bound
    assert np.abs(slow.values - vstar).max() <= bound


def test_from_dense_keeps_csr_structure_at_scale():
    """50k states, 2 actions, 10-20 successors: the arrays hold exactly the sparse entries (K = max row count)."""
    P, R = random_sparse_mdp(50_000, 2, seed=2)
    mdp = TabularMDP.from_dense(P, R, terminal=np.zeros(50_000, dtype=bool))
    K = max(int(np.diff(m.indptr).max()) for m in P)
    assert mdp.shape == (50_000, 2, K)
    for a, m in enumerate(P):
        row = 12345
        lo, hi = m.indptr[row], m.indptr[row + 1]
        got = dict(zip(mdp.next_state[row, a].tolist(), mdp.prob[row, a].tolist(), strict=True))
        assert all(got[c] == p for c, p in zip(m.indices[lo:hi].tolist(), m.data[lo:hi].tolist(), strict=True))
    assert np.allclose(mdp.prob.sum(axis=2), 1.0, atol=1e-12)


def test_max_iter_warns_and_bad_arguments_are_refused():
    P, R = random_sparse_mdp(200, 2, seed=3)
    mdp = TabularMDP.from_dense(P, R, terminal=np.zeros(200, dtype=bool))
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):
        res = span_value_iteration(mdp, 0.99, tol=1e-14, max_iter=2)
    assert not res.converged and res.iterations == 2
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\)"):
        span_value_iteration(mdp, 1.0)
    with pytest.raises(ValueError, match="tol must be a positive"):
        span_value_iteration(mdp, 0.9, tol=-1.0)
    with pytest.raises(ValueError, match=r"v0 must be finite with shape \(200,\)"):
        span_value_iteration(mdp, 0.9, v0=np.zeros(3))
    with pytest.raises(ValueError, match="max_iter must be an integer"):
        span_value_iteration(mdp, 0.9, max_iter=True)
    with pytest.raises(planners.MDPError, match="needs a TabularMDP"):
        span_value_iteration(sp.eye(3), 0.9)


def test_nonzero_kernels_equal_the_padded_general_kernels_bit_for_bit():
    from planners import _kernels as K
    from planners import _sparse_kernels as SK
    from planners.solvers import TIE_RTOL

    P, R = random_sparse_mdp(3000, 3, seed=9)
    term = np.zeros(3000, dtype=bool)
    term[::7] = True
    mdp = TabularMDP.from_dense(P, R, terminal=term)
    assert (mdp.prob == 0).any()  # padded slots exist: the kernels skip them
    v = np.random.default_rng(0).normal(size=3000)
    v[term] = 0.0
    args = (mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, 0.97)
    want = np.empty(3000)
    K.bellman_sweep(*args, v, want, np.empty(0, dtype=np.int64))
    got = np.empty(3000)
    lo, hi = SK.nonzero_bellman_sweep(*args, v, got)
    assert np.array_equal(got, want)
    assert (lo, hi) == ((want - v).min(), (want - v).max())
    q1, p1 = np.empty((3000, 3)), np.empty(3000, dtype=np.int64)
    q2, p2 = np.empty((3000, 3)), np.empty(3000, dtype=np.int64)
    K.q_values(*args, v, q1, p1, TIE_RTOL)
    SK.nonzero_q_values(*args, v, q2, p2, TIE_RTOL)
    assert np.array_equal(q1, q2) and np.array_equal(p1, p2)


def test_parallel_nonzero_kernels_equal_the_serial_ones_bit_for_bit():
    """Every block size (one state, uneven blocks, one block, a block larger than the model):
    every state written, the same values, change bounds, Q-values and policy."""
    from planners import _sparse_kernels as SK
    from planners.solvers import TIE_RTOL

    S = 1001
    P, R = random_sparse_mdp(S, 3, seed=11)
    term = np.zeros(S, dtype=bool)
    term[5::9] = True
    mdp = TabularMDP.from_dense(P, R, terminal=term)
    v = np.random.default_rng(3).normal(size=S)
    v[term] = 0.0
    v[S - 1] = 50.0  # the largest drop is in the last state, the last block
    args = (mdp.next_state, mdp.prob, mdp.expected_reward, mdp.terminal, 0.95)
    want = np.full(S, np.nan)
    lo_hi = SK.nonzero_bellman_sweep(*args, v, want)
    assert lo_hi == ((want - v).min(), (want - v).max()) and lo_hi[0] == want[S - 1] - 50.0
    q1, p1 = np.full((S, 3), np.nan), np.full(S, -1, dtype=np.int64)
    SK.nonzero_q_values(*args, v, q1, p1, TIE_RTOL)
    for block in (1, 7, 300, S, 5000):
        got = np.full(S, np.nan)
        assert SK.nonzero_bellman_sweep_parallel(*args, v, got, block) == lo_hi
        assert np.array_equal(got, want)
        q2, p2 = np.full((S, 3), np.nan), np.full(S, -1, dtype=np.int64)
        SK.nonzero_q_values_parallel(*args, v, q2, p2, TIE_RTOL, block)
        assert np.array_equal(q2, q1) and np.array_equal(p2, p1)


def _spy(monkeypatch, module, name):
    calls = []
    fn = getattr(module, name)

    def spy(*a):
        calls.append(len(a))
        return fn(*a)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_span_iteration_on_threads_gives_the_same_bits_and_restores_numba_threads(monkeypatch):
    import numba

    import planners._sparse_kernels as SK

    P, R = random_sparse_mdp(300, 3, seed=12)  # no terminals: the span contracts in ~20 steps
    mdp = TabularMDP.from_dense(P, R, terminal=np.zeros(300, dtype=bool))
    before = numba.get_num_threads()
    one = span_value_iteration(mdp, 0.99, tol=1e-9, threads=1)
    sweeps = _spy(monkeypatch, SK, "nonzero_bellman_sweep_parallel")
    qs = _spy(monkeypatch, SK, "nonzero_q_values_parallel")
    for n in (2, 64):  # 64: more than the pool, which caps it
        many = span_value_iteration(mdp, 0.99, tol=1e-9, threads=n)
        assert numba.get_num_threads() == before
        assert many.iterations == one.iterations and np.array_equal(many.residuals, one.residuals)
        assert np.array_equal(many.values, one.values) and np.array_equal(many.q, one.q)
        assert np.array_equal(many.policy, one.policy)
    assert len(sweeps) == 2 * one.iterations and len(qs) == 2


def test_span_iteration_threads_by_default_from_the_slot_threshold(monkeypatch):
    import numba

    import planners._sparse_kernels as SK

    P, R = random_sparse_mdp(500, 2, seed=13)
    mdp = TabularMDP.from_dense(P, R, terminal=np.zeros(500, dtype=bool))
    assert mdp.next_state.size < planners.span.PARALLEL_MIN_SLOTS
    sweeps = _spy(monkeypatch, SK, "nonzero_bellman_sweep_parallel")
    serial = span_value_iteration(mdp, 0.9)
    assert sweeps == []
    monkeypatch.setattr(planners.span, "PARALLEL_MIN_SLOTS", mdp.next_state.size)
    monkeypatch.setattr(planners.span, "_BLOCK", 64)  # several blocks on this small model
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)  # as on any machine with 2 or more
    assert planners.span.default_threads(mdp.next_state.size - 1) == 1
    assert planners.span.default_threads(mdp.next_state.size) == 2
    threaded = span_value_iteration(mdp, 0.9)
    assert len(sweeps) == threaded.iterations > 0
    assert np.array_equal(threaded.values, serial.values) and np.array_equal(threaded.q, serial.q)
    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(ValueError, match=f"threads must be an integer >= 1, got {bad!r}"):
            span_value_iteration(mdp, 0.9, threads=bad)


# ----------------------------------------------------------------------------------------------
# from_dense's one-pass fill (planners.mdp._from_dense_one_pass + the _sparse_kernels fill) against
# its general NumPy path (TabularMDP._from_dense_general, the implementation it replaced for large
# models): the same arrays bit for bit, the same errors.


def _one_pass(P, R, terminal=None):
    return M._from_dense_one_pass(TabularMDP, M._as_matrices(P), R, terminal, 0)


def _general(P, R, terminal=None):
    return TabularMDP._from_dense_general(M._as_matrices(P), R, terminal)


def _assert_same_bits(got: TabularMDP, want: TabularMDP, reward_first: bool) -> None:
    names = ["next_state", "prob", "terminal", "reward", "expected_reward"]
    if not reward_first:
        names[3:] = names[:2:-1]  # expected_reward summed before (and without) the reward array
    for name in names:
        x, y = getattr(got, name), getattr(want, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name  # bits: -0.0 and 0.0 differ
        assert x.flags.c_contiguous and not x.flags.writeable, name


def _random_inputs(rng: np.random.Generator, form: str) -> tuple[list, object, object]:
    S, A = int(rng.integers(1, 30)), int(rng.integers(1, 4))
    dense = np.zeros((A, S, S))
    for a in range(A):
        for s in range(S):
            if rng.random() < 0.15:
                dense[a, s, s] = 1.0  # certain self-loops: with reward 0, default terminal states
                continue
            cols = rng.choice(S, size=int(rng.integers(1, min(S, 7) + 1)), replace=False)
            if form == "float32":  # exact binary fractions, so that the float32 rows sum to 1
                dense[a, s, cols] = 1.0 / len(cols) if len(cols) in (1, 2, 4) else 0.0
                dense[a, s, cols[0]] += 1.0 - dense[a, s].sum()
            else:
                dense[a, s, cols] = rng.dirichlet(np.ones(len(cols)))
    P: list = []
    for a in range(A):
        m = sp.csr_matrix(dense[a])
        if form == "duplicates":  # every entry split into two halves, side by side in its row
            m = split_duplicates(dense[a])
        elif form == "stored zeros":
            m = sp.csr_matrix(dense[a] + (rng.random((S, S)) < 0.3) * 5.0)  # structure with extra entries
            m.data[:] = dense[a][m.nonzero()]  # ... whose values are explicit zeros
            assert m.has_canonical_format
        elif form == "unsorted":
            m = reverse_rows(m)
        elif form == "coo":
            m = m.tocoo()
        elif form == "int64 indices":
            m = sp.csr_matrix((m.data, m.indices.astype(np.int64), m.indptr.astype(np.int64)), shape=(S, S))
        elif form == "float32":
            m = m.astype(np.float32)
        P.append(dense[a] if form == "dense" else m)
    if form == "dense 3-D":
        P = dense  # type: ignore[assignment]
    R: object = rng.normal(size=(S, A))
    R[rng.random((S, A)) < 0.4] = 0.0  # type: ignore[index]
    if rng.random() < 0.3:
        R = -np.asarray(R)  # -0.0 rewards
    if form == "sparse R":
        R = sp.csr_matrix(R)
    elif form == "int R":
        R = rng.integers(-2, 3, size=(S, A))
    terminal = None if rng.random() < 0.5 else rng.random(S) < 0.3
    return P, R, terminal


FORMS = [
    "canonical",
    "duplicates",
    "stored zeros",
    "unsorted",
    "coo",
    "dense",
    "dense 3-D",
    "int64 indices",
    "float32",
    "sparse R",
    "int R",
]


@pytest.mark.parametrize("form", FORMS)
def test_one_pass_fill_gives_the_general_paths_arrays_bit_for_bit(form, monkeypatch):
    rng = np.random.default_rng(FORMS.index(form))
    zeros = 0
    for trial in range(25):
        P, R, terminal = _random_inputs(rng, form)
        want = _general(P, R, None if terminal is None else terminal.copy())
        if trial % 2:
            monkeypatch.setattr(M, "_BLOCK_SLOTS", int(rng.integers(1, 40)))  # expected_reward in many blocks
        got = _one_pass(P, R, None if terminal is None else terminal.copy())
        if form == "stored zeros":
            zeros += sum(int((m.data == 0).sum()) for m in P)
        assert got is not None and got._reward is None  # the reward array is not built ...
        _assert_same_bits(got, want, reward_first=bool(trial % 3 == 0))
        assert got._reward is not None  # ... until it is read
        monkeypatch.undo()
    assert zeros > 0 or form != "stored zeros"


def test_from_dense_takes_the_one_pass_fill_above_the_threshold(monkeypatch):
    P, R = random_sparse_mdp(300, 2, seed=5)
    assert TabularMDP.from_dense(P, R)._reward is not None  # 300 * 2 * 15 entries: the general path
    monkeypatch.setattr(M, "FAST_FILL_NNZ", 0)
    R0 = R.copy()
    mdp = TabularMDP.from_dense(P, R)
    assert mdp._reward is None
    R[:] = 7.0  # the model keeps its own copy of the rewards
    np.testing.assert_allclose(mdp.expected_reward, R0, rtol=1e-14)  # rows sum to 1 within 1e-15 ...
    assert np.array_equal(mdp.reward.max(axis=2), R0)  # ... R on the used slots
    with pytest.raises(ValueError, match="read-only"):
        mdp.reward[0, 0, 0] = 1.0
    _assert_same_bits(mdp, _general(P, R0), reward_first=False)


def _bad_csr(S, rows):
    """A CSR matrix from per-row ``[(column, value), ...]`` lists, stored as given (no checks)."""
    indptr = np.cumsum([0] + [len(r) for r in rows])
    cols = np.array([c for r in rows for c, _ in r], dtype=np.int32)
    vals = np.array([v for r in rows for _, v in r], dtype=float)
    return sp.csr_matrix((vals, cols, indptr), shape=(S, S))


def test_one_pass_fill_leaves_every_error_and_edge_case_to_the_general_path(monkeypatch):
    ok = [[(0, 0.5), (1, 0.5)], [(1, 1.0)], [(0, 0.25), (2, 0.75)]]
    R = np.arange(6.0).reshape(3, 2)

    def with_row0(row):
        return [_bad_csr(3, [row] + ok[1:]), _bad_csr(3, ok)]

    cases = {  # input -> the general path's error (None: it accepts)
        "nan": (with_row0([(0, np.nan), (1, 0.5)]), R, None, "holds a non-finite probability"),
        "inf": (with_row0([(0, np.inf)]), R, None, "holds a non-finite probability"),
        "negative": (with_row0([(0, 1.5), (1, -0.5)]), R, None, r"prob\(0, 0, 1\) = -0.5 is not a probability"),
        "half": (with_row0([(0, 0.5)]), R, None, r"prob\[0, 0\] sums to 0.5"),
        "empty row": (with_row0([]), R, None, r"prob\[0, 0\] sums to 0.0"),
        "over": (with_row0([(0, 0.5), (1, 0.5 + 2e-9)]), R, None, r"prob\[0, 0\] sums to 1.000000002"),
        "edge of tolerance": (with_row0([(0, 1.0 - (1e-9 - 5e-16))]), R, None, None),  # accepted, by NumPy's sum
        "column out of range": (with_row0([(0, 0.5), (3, 0.5)]), R, None, r"next_state\(0, 0, 1\) = 3 is out of range"),
        "reward inf": (with_row0(ok[0]), np.where(R == 3.0, np.inf, R), None, r"reward\(1, 1, 0\) = inf is not finite"),
        "reward shape": (with_row0(ok[0]), R.T, None, "R must have shape"),
        "reward per transition": (with_row0(ok[0]), np.ones((3, 2, 3)), None, None),
        "terminal shape": (with_row0(ok[0]), R, np.zeros(2, dtype=bool), r"terminal must have shape \(3,\)"),
        "terminal ints": (with_row0(ok[0]), R, np.array([0, 1, 0]), None),
        "terminal floats": (with_row0(ok[0]), R, np.zeros(3), "terminal must be a boolean mask"),
    }
    monkeypatch.setattr(M, "FAST_FILL_NNZ", 0)
    for name, (P, R_, term, err) in cases.items():
        assert _one_pass(P, R_, term) is None, name
        if err is None:
            _assert_same_bits(TabularMDP.from_dense(P, R_, term), _general(P, R_, term), reward_first=True)
        else:
            with pytest.raises(MDPError, match=err):
                _general(P, R_, term)
            with pytest.raises(MDPError, match=err):
                TabularMDP.from_dense(P, R_, term)
    inside = with_row0([(0, 0.5), (1, 0.5 + 1e-10)])  # well inside the tolerance: the one pass accepts it
    _assert_same_bits(_one_pass(inside, R), _general(inside, R), reward_first=False)


def test_fill_kernels_directly():
    from planners import _sparse_kernels as SK

    m = _bad_csr(3, [[(2, 0.25), (0, 0.0), (1, 0.75)], [(1, 1.0)], [(2, 1.0)]])  # a stored zero in row 0
    ip = m.indptr.astype(np.int64)
    assert SK.csr_max_nonzeros(ip, m.data) == 2
    ns, pr, loop = np.full((3, 2, 3), -1, dtype=np.int32), np.full((3, 2, 3), -1.0), np.ones(3, dtype=bool)
    rsa = np.array([[0.0, 9.0], [0.0, 9.0], [1.0, 9.0]])
    assert SK.fill_from_csr(ip, m.indices, m.data, 0, rsa, ns, pr, loop, 1e-12)
    assert ns[:, 0].tolist() == [[2, 1, 0], [1, 1, 1], [2, 2, 2]]  # entries in order, then self-loops
    assert pr[:, 0].tolist() == [[0.25, 0.75, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    assert (ns[:, 1] == -1).all() and (pr[:, 1] == -1).all()  # the other action untouched
    assert loop.tolist() == [False, True, False]  # state 2 loops with reward 1
    assert not SK.fill_from_csr(ip, m.indices, m.data * 1.5, 0, rsa, ns, pr, loop, 1e-12)
    out = np.full((3, 2, 3), 5.0)
    SK.outcome_rewards(pr, rsa, out)
    assert out[:, 0].tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    assert (out[:, 1] == 0.0).all()  # probabilities -1: not positive
