# Every target creates or reuses .venv itself; `make test` on a fresh machine installs everything.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PLUGINS := $(wildcard plugins/*/pyproject.toml tests/plugins/*/pyproject.toml)
STAMP := $(VENV)/.embedlab-installed

.PHONY: install test docs demo bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch and torchvision pinned to the releases embedlab is tested with
	$(PY) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -e '.[dev,docs,bench]' $(foreach p,$(dir $(PLUGINS)),-e ./$(p))
	touch $@

test: install
	$(PY) -m pytest

# ruff, then mypy --strict on src/ (its settings are pyproject.toml's [tool.mypy]) and on the
# typed test that checks the built-in components against embedlab.protocols
lint: install
	$(VENV)/bin/ruff check src tests plugins benchmarks examples
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tests/test_protocols.py

docs: install
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

demo: install
	$(VENV)/bin/embedlab run examples/quickstart.yaml --out runs

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf docs/_build .pytest_cache runs bench-results
