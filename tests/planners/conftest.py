"""Fixtures and strategies shared by the planner tests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from planners import TabularMDP


@st.composite
def random_mdps(draw, max_states: int = 8, max_actions: int = 3, max_outcomes: int = 3) -> TabularMDP:
    """Random finite MDPs: integer-weighted outcome probabilities, small integer-ish rewards."""
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, max_actions))
    K = draw(st.integers(1, max_outcomes))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ns = rng.integers(0, S, size=(S, A, K))
    w = rng.integers(0, 4, size=(S, A, K)).astype(float)
    w[..., 0] += 1.0  # at least one outcome with weight
    pr = w / w.sum(axis=2, keepdims=True)
    rw = np.round(rng.normal(size=(S, A, K)), 2)
    terminal = rng.random(S) < draw(st.sampled_from([0.0, 0.3]))
    return TabularMDP(ns, pr, rw, terminal)


def split_duplicates(dense_a: np.ndarray):
    """``dense_a`` as a CSR matrix whose every entry is stored twice, two halves side by side (not canonical)."""
    import scipy.sparse as sp

    c = sp.csr_matrix(dense_a)
    m = sp.csr_matrix((np.repeat(c.data / 2, 2), np.repeat(c.indices, 2), 2 * c.indptr), shape=dense_a.shape)
    assert not m.has_canonical_format
    return m


def reverse_rows(m):
    """The CSR matrix ``m`` with each row's entries stored in reverse column order (unsorted indices), in place."""
    m.indices = m.indices.copy()
    for s in range(m.shape[0]):
        lo, hi = m.indptr[s], m.indptr[s + 1]
        m.indices[lo:hi], m.data[lo:hi] = m.indices[lo:hi][::-1].copy(), m.data[lo:hi][::-1].copy()
    m.has_sorted_indices = False
    return m


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
