"""The planners' docstring examples (the 4x3 world's published utilities among them) run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module", ["planners", "planners.mdp", "planners.solvers", "planners.agents", "planners.sweeps"]
)
def test_doctests(module: str) -> None:
    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
