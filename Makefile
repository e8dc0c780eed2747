# quartier: two commands for a fresh machine.
#   make demo   set up .venv, install quartier, run the main job on the demo city
#   make test   set up .venv with the test extras, run the whole test suite
#   make bench  set up .venv with the benchmark extras, run the benchmarks
#   make docs   build the documentation (site/) and serve it on http://127.0.0.1:8000 (offline)
#   make kernel register .venv as the Jupyter kernel "Python (quartier)"
#   make notebook  the kernel, then JupyterLab on notebooks/ (if JupyterLab is installed)
#   make test-min  set up .venv-min with the LOWEST declared versions (constraints/minimum.txt,
#               generated from pyproject.toml) and run the test suite: a release check

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
OUT    ?= quartier-demo
VENV_MIN ?= .venv-min
PY_MIN   := $(VENV_MIN)/bin/python

.PHONY: demo test test-min bench lint clean demo-data docs docs-build kernel notebook

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

# the documentation: mkdocs and mkdocstrings come with the test extra; the site loads nothing
# from the internet, so it also works on an office PC without network
docs-build: $(VENV)/.installed-test
	$(PY) -m mkdocs build --strict --site-dir site

docs: docs-build
	@echo "Documentation: http://127.0.0.1:8000  (Ctrl+C stops the server)"
	$(PY) -m http.server --directory site --bind 127.0.0.1 8000

# Jupyter: the kernel "Python (quartier)" runs in .venv, so notebooks see quartier
kernel: $(VENV)/.installed-test
	$(PY) -m ipykernel install --user --name quartier --display-name "Python (quartier)"

notebook: kernel
	@if [ -x $(VENV)/bin/jupyter-lab ]; then $(VENV)/bin/jupyter-lab notebooks; else \
	  echo "Kernel 'Python (quartier)' is registered: choose it in JupyterLab, Jupyter Notebook"; \
	  echo "or VS Code. JupyterLab itself is not installed in .venv; with internet access:"; \
	  echo "  $(PY) -m pip install jupyterlab && make notebook"; fi

demo-data: $(VENV)/.installed
	$(PY) scripts/make_demo_city.py

clean:
	rm -rf $(VENV) $(VENV_MIN) $(OUT) .pytest_cache build dist site
