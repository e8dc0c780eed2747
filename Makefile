# quartier: two commands for a fresh machine.
#   make demo   set up .venv, install quartier, run the main job on the demo city
#   make test   set up .venv with the test extras, run the whole test suite
#   make bench  set up .venv with the benchmark extras, run the benchmarks

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
OUT    ?= quartier-demo

.PHONY: demo test bench lint clean demo-data

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

demo: $(VENV)/.installed
	$(VENV)/bin/quartier demo --out $(OUT)

test: $(VENV)/.installed-test
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests scripts benchmarks

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

demo-data: $(VENV)/.installed
	$(PY) scripts/make_demo_city.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build dist
