# quartier: two commands for a fresh machine.
#   make demo   set up .venv, install quartier, run the main job on the demo city
#   make test   set up .venv with the test extras, run the whole test suite
#   make bench  set up .venv with the benchmark extras, run the benchmarks
#   make test-min  set up .venv-min with the LOWEST declared versions (constraints/minimum.txt,
#               generated from pyproject.toml) and run the test suite: a release check

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
OUT    ?= quartier-demo
VENV_MIN ?= .venv-min
PY_MIN   := $(VENV_MIN)/bin/python

.PHONY: demo test test-min bench lint clean demo-data

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PIP) install -e ".[test,bench]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

# the demo needs only the required dependencies (no extra): web map + GeoPackage
demo: $(VENV)/.installed
	$(VENV)/bin/quartier demo --out $(OUT)

test: $(VENV)/.installed-test
	$(PY) -m pytest

constraints/minimum.txt: pyproject.toml scripts/min_constraints.py
	$(PYTHON) scripts/min_constraints.py > $@

# wheels only: a lower bound must install on a fresh machine without compilers
$(VENV_MIN)/.installed-min: pyproject.toml constraints/minimum.txt
	rm -rf $(VENV_MIN)
	$(PYTHON) -m venv $(VENV_MIN)
	$(PY_MIN) -m pip --disable-pip-version-check -q install --only-binary=:all: \
		-c constraints/minimum.txt -e ".[test]"
	touch $@

# the notebooks and the documentation build are left out: they test the docs, not the bounds
test-min: $(VENV_MIN)/.installed-min
	$(PY_MIN) -m pytest -p no:cacheprovider --ignore=tests/test_notebooks.py \
		--ignore=tests/test_docs.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests scripts benchmarks

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

demo-data: $(VENV)/.installed
	$(PY) scripts/make_demo_city.py

clean:
	rm -rf $(VENV) $(VENV_MIN) $(OUT) .pytest_cache build dist
