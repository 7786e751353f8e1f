"""The layer rules of ARCHITECTURE.md and the 100-line function limit, checked statically from the source.

Every ``import`` / ``from ... import`` statement of every ``.py`` file in a package is read with
``ast`` (function-local and ``TYPE_CHECKING`` imports included, so a lazy import cannot hide a
dependency); the ``def`` spans of the library packages are measured the same way.  Parametrised
per package, so each package's result shows on its own; a package directory that does not
exist (yet) is skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ["gridworld_env", "planners", "learners", "generative"]
MAX_FUNCTION_LINES = 100

#: package -> (packages it must never import, files allowed to import them anyway)
FORBIDDEN: dict[str, tuple[set[str], set[str]]] = {
    "planners": ({"gridworld_env", "learners", "generative"}, set()),
    "gridworld_env": ({"planners", "learners", "generative"}, set()),
    "learners": ({"generative", "gridworld_env"}, {"learners/__main__.py"}),
}
#: only these top-level directories may import generative (besides generative itself; tests test it)
GENERATIVE_USERS = {"demos", "benchmarks", "generative", "tests"}


def _sources(package: str) -> list[Path]:
    root = ROOT / package
    if not root.is_dir():
        pytest.skip(f"no {package}/ directory on this branch")
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """``(line, top-level module)`` of every import statement (relative imports resolve to ``package``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, package if node.level else (node.module or "").split(".")[0]))
    return found


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_point_one_way(package: str) -> None:
    forbidden, allowed_files = FORBIDDEN[package]
    bad = []
    for path in _sources(package):
        if _rel(path) in allowed_files:
            continue
        for line, mod in _imported(ast.parse(path.read_text(), str(path)), package):
            if mod in forbidden:
                bad.append(f"{_rel(path)}:{line} imports {mod}")
    assert not bad, "\n".join(bad)


def _top_level_dirs() -> list[str]:
    skip = {".venv", ".git", "build", "dist", "docs", "site", "node_modules"}
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and p.name not in skip and not p.name.startswith(".") and not p.name.endswith(".egg-info")
    )


@pytest.mark.parametrize("directory", sorted((set(LIBRARIES) | set(_top_level_dirs())) - GENERATIVE_USERS))
def test_only_demos_and_benchmarks_import_generative(directory: str) -> None:
    bad = []
    for path in _sources(directory):
        for line, mod in _imported(ast.parse(path.read_text(), str(path)), directory):
            if mod == "generative":
                bad.append(f"{_rel(path)}:{line} imports generative")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", LIBRARIES)
def test_no_library_function_spans_more_than_100_lines(package: str) -> None:
    long = []
    for path in _sources(package):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                span = (node.end_lineno or node.lineno) - first + 1
                if span > MAX_FUNCTION_LINES:
                    long.append(f"{_rel(path)}:{node.lineno} {node.name} spans {span} lines")
    assert not long, "\n".join(long)


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    tree = ast.parse("def f():\n    import gridworld_env.model\nfrom . import x\nfrom generative.data import y\n")
    assert sorted(_imported(tree, "planners")) == [(2, "gridworld_env"), (3, "planners"), (4, "generative")]
