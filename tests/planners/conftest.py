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


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
