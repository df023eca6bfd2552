# sciood — the two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint venv clean

venv: $(STAMP)

# torch first, pinned and alone: the local CPU wheel (an open range would pull a CUDA build).
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3.x'"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[all,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sciood run examples/demo.yaml --out runs/demo

# Two test workers (pytest-xdist) on two cores; the pipeline tests share one worker (their
# sample cache and session run), everything else is balanced between both.
PYTEST := $(PY) -m pytest -q -n 2 --dist loadgroup

test: $(STAMP)
	$(PYTEST)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
