# rusfokus: the Makefile is the interface. `make run` and `make test` set up everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8866
# The server's address also goes into personal links and QR codes.
RUSFOKUS_PORT ?= $(PORT)
export RUSFOKUS_PORT
ONLY ?=
# pytest-xdist workers: most of `make test` waits on servers, kernels and browsers, so more workers than cores.
# tests/helpers/xdist_scheduler.py keeps each xdist_group, and each file's browser or other tests, on one
# worker (one module server, one Hub, one QualWeb run), and gives one worker the browser tests from the start.
# Measured on the 2-core machine, fresh clone through .ci/run, 3 workers (December 2026): the tests took 8 min
# 42 s and 9 min 12 s (9 min 55 s and 10 min 27 s with the install); the same code took 11-13 min on an earlier
# day's slower machine of the same kind. 4 workers were slower (the CPU is the limit: 1.75-1.9 of 2 cores busy).
# One process took 16 min 31 s (TEST_WORKERS=0). The races the 3-worker runs found (a browser test checking
# before the page's script ran, a 5 s tornado timeout, a timed YAML check, a PIDS line cut by a kernel's banner)
# are fixed; TEST_WORKERS=0 runs one process when a failure needs a quiet machine to read.
TEST_WORKERS ?= 3
FAST_WORKERS ?= 2
# Compiled bytecode (and pytest's rewritten test modules) kept between runs outside the tree, for every target,
# also where the environment sets PYTHONDONTWRITEBYTECODE: recompiling on every run cost ~8 s CPU in each pytest
# process and in each `rusfokus` subprocess a test starts (measured: collection 13-15 s without, 4-5 s with).
# pip's install compiles into the same folder, so on a fresh clone the three test workers that start at once
# do not each compile the installed packages again (cold collection 26 CPU-s, warm 7).
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help install assets system-deps book data exercises run serve test test-fast bench lint format clean

help:
	@echo "make run      install, build the book, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test     install (incl. chromium, postgresql) and run every test"
	@echo "make book     build the book into _build/html (warnings are errors)"
	@echo "make serve    serve what is built"
	@echo "make bench    benchmarks -> bench-results.json (ONLY=P1 for one)"
	@echo "make lint     ruff"
	@echo "make cluster PostgreSQL + JupyterHub + HAProxy + 2 copies on http://127.0.0.1:$(CLUSTER_PORT) (Ctrl-C stops)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# PUPPETEER_SKIP_DOWNLOAD: QualWeb's puppeteer must not download a browser (the tests use
# Debian's chromium); .puppeteerrc.cjs and package.json's allowScripts say the same.
node_modules/.package-lock.json: package.json package-lock.json .puppeteerrc.cjs
	PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --loglevel=error

assets/ipywidgets/embed-amd.js: node_modules/.package-lock.json
	mkdir -p assets/ipywidgets
	cp node_modules/requirejs/require.js node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js assets/ipywidgets/
	cp node_modules/@jupyter-widgets/html-manager/dist/*.{woff,woff2,ttf,eot,svg} assets/ipywidgets/
	@touch $@

# The apps' front end (src/rusfokus/frontend): one bundle, served at /rusfokus/live/.
assets/live/live.js: node_modules/.package-lock.json $(wildcard src/rusfokus/frontend/*)
	rm -rf assets/live
	npm run --silent build:live

assets: assets/ipywidgets/embed-amd.js assets/live/live.js

# Debian packages the tests use: a real browser (chromium for the benchmarks, its headless shell for the
# tests) and a real PostgreSQL server.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromium-headless-shell >/dev/null || missing="$$missing chromium-headless-shell"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$$missing postgresql"; \
	command -v haproxy >/dev/null || missing="$$missing haproxy"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

book: install assets
	$(BIN)/python -m rusfokus.book

# Exercises: a course notebook is rebuilt only when its data file changed. Each module's exercise is
# modules/NN-<id>/data/opgave.yml and its nbgrader assignment is <id> (the folder name without "NN-").
OPGAVE_DIRS := $(patsubst modules/%/data/opgave.yml,%,$(wildcard modules/*/data/opgave.yml))
opgave_id = $(shell echo '$(1)' | sed -E 's/^[0-9]+-//')
OPGAVER := $(foreach d,$(OPGAVE_DIRS),$(call opgave_id,$(d)))
RELEASES := $(foreach o,$(OPGAVER),exercises/release/$(o)/$(o).ipynb)

exercises/release/%.ipynb: $(VENV)/.installed
	$(BIN)/rusfokus opgave build $(notdir $*)

$(foreach d,$(OPGAVE_DIRS),$(eval exercises/release/$(call opgave_id,$(d))/$(call opgave_id,$(d)).ipynb: modules/$(d)/data/opgave.yml))

exercises: $(RELEASES)

# Fictional demo data (Eksempel Kommune) in an empty database, and personal
# links for the demo learners in var/demo-links.csv.
data: install exercises
	$(BIN)/rusfokus check --no-book
	$(BIN)/rusfokus demo load --if-empty
	$(BIN)/rusfokus links --demo --out var/demo-links.csv
	@echo "Personal links for the demo learners: var/demo-links.csv (open one to log in as that learner)."

run: book data
	$(BIN)/rusfokus serve --port $(PORT)

serve: install assets
	$(BIN)/rusfokus serve --port $(PORT)

# The xAPI tests' Learning Record Store: Ralph (PyPI ralph-malph, FS backend) in its own venv, because its
# pins clash with ours (httpx, click); tests/helpers/lrs.py starts it on loopback.
RALPH_VENV := .venv-ralph
$(RALPH_VENV)/.installed:
	$(PYTHON) -m venv $(RALPH_VENV)
	$(RALPH_VENV)/bin/pip install --quiet 'ralph-malph[backend-fs,lrs,cli]==5.1.0' 'requests>=2.31,<3'
	@touch $@

lrs: $(RALPH_VENV)/.installed

test: install assets system-deps lrs
	$(BIN)/ruff check src tests bench widgets
	$(BIN)/ruff format --check src tests bench widgets
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --durations=20

# No book build, no server, no browser, no PostgreSQL (a guard in tests/conftest.py fails a fast test that tries).
test-fast: install assets
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(FAST_WORKERS) --dist loadgroup -m "not browser and not postgres and not slow" --durations=10

# Issue 19: PostgreSQL, JupyterHub (dummy authenticator), HAProxy (sticky cookie) and 2 copies of `rusfokus serve`
# on loopback, the demo data loaded; prints the address and the demo users; Ctrl-C stops everything.
# State (database, logs) in var/cluster. CLUSTER_PORT: HAProxy's port; CLUSTER_HUB_PORT: JupyterHub's.
CLUSTER_PORT ?= 8870
CLUSTER_HUB_PORT ?= 8871
AUTH ?= dummy
.PHONY: cluster
cluster: book exercises system-deps
	$(BIN)/rusfokus cluster --port $(CLUSTER_PORT) --hub-port $(CLUSTER_HUB_PORT) --auth $(AUTH)

bench: install assets system-deps
	$(BIN)/python -m bench.run $(if $(ONLY),--only $(ONLY),)

lint: install
	$(BIN)/ruff check src tests bench widgets
	$(BIN)/ruff format --check src tests bench widgets

format: install
	$(BIN)/ruff format src tests bench widgets

clean:
	rm -rf _build bench-results.json exercises/release exercises/submitted exercises/autograded exercises/feedback exercises/source exercises/gradebook.db
