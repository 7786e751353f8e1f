"""Run the docstring examples of every module in the packages (they document real results)."""

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["gridworld_env", "planners", "generative"]


def _modules():
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        yield pkg_name
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            if not info.name.endswith("__main__"):
                yield info.name


@pytest.mark.parametrize("name", list(_modules()))
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
