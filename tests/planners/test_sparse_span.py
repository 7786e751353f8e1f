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
import planners.span
from planners import ConvergenceWarning, TabularMDP
from planners.span import span_value_iteration

from .conftest import random_mdps

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
