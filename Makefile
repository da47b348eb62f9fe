# Two commands do all the set-up on a fresh machine (Debian, Python 3.11, no GPU):
#   make reproduce   venv + install + the default workflow (quick scale) + report
#   make test        venv + install + the test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
SMK := $(VENV)/bin/snakemake
SCALE ?= quick
CORES ?= all
PKG_FILES := $(wildcard packages/*/pyproject.toml)
STAMP := $(VENV)/.installed

.PHONY: setup sysdeps reproduce test report lint dryrun clean help

help:
	@echo "make reproduce   set up and run every paper at SCALE=$(SCALE), then build the report"
	@echo "make test        set up and run the test suite"
	@echo "make report      build reports/$(SCALE)/report.html from existing results"
	@echo "make dryrun      snakemake -n over every target at every scale"
	@echo "make lint        snakemake --lint (conda-env lints ignored)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Re-installs only when requirements or a package's pyproject changed (or a package was added).
$(STAMP): $(VENV)/bin/python requirements.txt requirements-nodeps.txt $(PKG_FILES)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install -q --no-deps $(foreach p,$(dir $(PKG_FILES)),-e $(p))
	@echo "$(PKG_FILES)" > $(STAMP)

setup: $(STAMP)
	@ [ "$$(cat $(STAMP))" = "$(PKG_FILES)" ] || { rm -f $(STAMP); $(MAKE) --no-print-directory $(STAMP); }

# System packages the tests need: Chromium (report rendering) and Slurm + munge
# (the cluster test). Installed when we are root with apt; otherwise those tests
# skip with a reason (and fail under CI=true, so CI cannot hide a missing step).
sysdeps:
	@if command -v chromium >/dev/null && command -v slurmctld >/dev/null && command -v munged >/dev/null; then \
	  echo "system packages present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium slurm-wlm munge >/dev/null) \
	  || echo "WARNING: could not install chromium/slurm-wlm/munge"; \
	else echo "not root: install chromium slurm-wlm munge yourself for the report and cluster tests"; fi

reproduce: setup
	$(SMK) --cores $(CORES) --config scale=$(SCALE)
	$(MAKE) --no-print-directory report SCALE=$(SCALE)

report: setup
	$(SMK) --cores $(CORES) report --config scale=$(SCALE)
	$(SMK) --config scale=$(SCALE) --report reports/$(SCALE)/report.html report
	@echo "report: reports/$(SCALE)/report.html   scorecard: reports/$(SCALE)/scorecard.md"
	@$(PY) -m repro_core cost --scale $(SCALE) --totals --csv reports/$(SCALE)/cost.csv

test: setup sysdeps
	$(VENV)/bin/pytest -q tests

dryrun: setup
	for s in smoke quick full; do $(SMK) -n -q --config scale=$$s || exit 1; done

lint: setup
	$(PY) tests/lint_workflow.py

clean:
	rm -rf results .snakemake reports/smoke reports/quick reports/full
