# The README's two set-up commands: `make demo` and `make test`.
# Each creates .venv if missing and (re)installs the package only when pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch for the `generative` extra. The default takes the CPU wheel where one is on disk and
# the registry's build elsewhere; override with e.g. `make test TORCH=torch` to take the newest.
TORCH  ?= torch==2.13.0
PYTEST_ARGS ?=
# pytest-xdist workers: one per core (`make test PYTEST_WORKERS=0` runs in one process).
PYTEST_WORKERS ?= auto
DEMO_ARGS ?=

.PHONY: demo test lint docs docs-build bench clean help

help:
	@echo "make demo   - create .venv, install, run the main demo (headless: writes files and says where)"
	@echo "make test   - create .venv, install with test extras, run the whole test suite"
	@echo "make lint   - ruff (lint + format check) and mypy on the library packages"
	@echo "make docs   - serve the documentation site (mkdocs-material) on http://127.0.0.1:8000"
	@echo "make bench  - run the benchmarks (writes bench_results/)"
	@echo "make clean  - remove .venv and build artefacts"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null

# Core install (env, planners, demos).
$(VENV)/.installed-core: pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	@touch $@

# Everything: torch (see TORCH above) first, so the unpinned `generative` extra is already met.
$(VENV)/.installed-all: pyproject.toml | $(PY)
	$(PY) -m pip install "$(TORCH)"
	$(PY) -m pip install -e ".[all]"
	@touch $@ $(VENV)/.installed-core

demo: $(VENV)/.installed-core
	$(PY) -m demos.lecture $(DEMO_ARGS)

# Every check, in the order that fails fastest: style, types, the docs build, the tests with
# coverage, then the numba kernels' tests once more as plain Python (NUMBA_DISABLE_JIT=1) so that
# coverage sees inside the kernels; the combined coverage is printed.
HEADLESS := SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
KERNEL_TESTS := tests/planners/test_grid_kernels.py tests/planners/test_proper.py \
	tests/gridworld_env/vector/test_single_step.py tests/gridworld_env/vector/test_vector_env.py \
	tests/planners/test_sparse_span.py tests/learners/test_rules.py tests/learners/test_paths.py \
	tests/learners/test_fastq.py tests/learners/test_flatq.py
# Deselected from the plain-Python pass only (they run compiled in the first pass): the two that
# alone took a minute there (a 1M-entry sparse build, certainty equivalence's re-plans over 2 000
# replayed steps); smaller tests in the same files cover the same kernels' lines in plain Python.
KERNEL_SLOW := 'tests/planners/test_sparse_span.py::test_from_dense_sparse_equals_dense_and_span_iteration_beats_value_iteration' \
	'tests/learners/test_paths.py::test_replay_slippery_world[certainty_equivalence]'
test: lint docs-build
	$(HEADLESS) $(PY) -m pytest -n $(PYTEST_WORKERS) --cov --cov-report= $(PYTEST_ARGS)
	$(HEADLESS) NUMBA_DISABLE_JIT=1 $(PY) -m pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider --cov --cov-append \
		--cov-report=term:skip-covered $(KERNEL_TESTS) $(addprefix --deselect ,$(KERNEL_SLOW))

lint: $(VENV)/.installed-all
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

docs-build: $(VENV)/.installed-all
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

docs: $(VENV)/.installed-all
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

bench: $(VENV)/.installed-all
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .coverage
