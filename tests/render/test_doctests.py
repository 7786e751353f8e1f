"""The renderer's docstring examples run."""

import doctest

import gridworld_env.render


def test_render_doctests():
    result = doctest.testmod(gridworld_env.render, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2 and result.failed == 0
