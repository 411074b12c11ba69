# Lesson 4, annotated. The two commands a reader needs:
#   make book   set up, build the site from the stored outputs, serve it on http://127.0.0.1:8000
#   make test   set up, then run every test (unit tests, strict nbval, the -W -n book build)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# The kernels of `test`, `execute` and `bench` get their environment (no MPLBACKEND, no progress
# bars) from tests/kernelenv.py, the one place it is set.

.PHONY: help setup setup-book setup-lab editions test-portable data browser hub-proxy book build serve test lint execute pretrain lab pdf bench bench-grading assignments hub publish clean

help:
	@echo "make book     set up, build the site and serve it on http://127.0.0.1:$(PORT)"
	@echo "make test     set up and run every test"
	@echo "make test-portable  strict nbval with PyTorch's portable CPU kernels and a cold cache"
	@echo "make execute  re-run every chapter, store its outputs, rewrite notebooks/ (authors)"
	@echo "make pretrain re-train both bodies (small and big) on the source task (authors)"
	@echo "make lab      open the chapters in JupyterLab (student editions, notebooks/)"
	@echo "make assignments  the students' release of the nbgrader assignments (instructors)"
	@echo "make hub      a class hub on http://127.0.0.1:8080: an instructor, two students, nbgrader (instructors)"
	@echo "make bench    measure the book's speed (about 12 min): prints a table, writes bench/latest.json"
	@echo "make bench-grading  what autograding costs per submission and for a class of 200 (about 10 min): bench/grading.json"
	@echo "make pdf      one PDF of the whole book: _build/pdf/lesson4-annotated.pdf"
	@echo "make publish  build and push the site to the gh-pages branch by hand (ghp-import)"

# One venv, three sets of extras by who needs them (pyproject.toml): `book` builds the site,
# `student` is JupyterLab with MyST rendering, `test` is both plus nbval, Playwright and nbgrader.
# Each set is (re)installed only when pyproject.toml or constraints.txt changed since; the
# constraints file holds the exact releases our machines and CI test with.
# The installer is uv (pinned in constraints.txt), which pip puts into the venv first: it
# resolves the same releases as pip, but links them from its cache instead of unpacking
# them again, so a fresh clone's venv (about 6 GB with torch's CUDA libraries) takes about
# half a minute once uv has fetched them, where pip took two minutes every time. uv reads no
# pip.conf: it uses PyPI, or UV_INDEX_URL and the other UV_* variables where they are set.
# Trap: uv writes no bytecode unless asked (pip always did). Where PYTHONDONTWRITEBYTECODE is
# set, as on our CI machines, every Python would then compile torch's modules again as it
# imports them: 200 s more CPU in make test. --compile-bytecode does it once, here.
$(VENV)/.installed-%: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[$*]'
	@if $(BIN)/python -c "import ipykernel" 2>/dev/null; then \
	  $(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lecnotes)" >/dev/null; fi
	@touch $@

setup: $(VENV)/.installed-test data browser hub-proxy
setup-book: $(VENV)/.installed-book
setup-lab: $(VENV)/.installed-student data

data:
	@test -x $(BIN)/python || { echo "no $(VENV) yet: run make setup, setup-lab or setup-book" >&2; exit 1; }
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/get-data.sh

# Chromium for the browser tests and `make pdf`, and poppler-utils (pdftoppm) with which the
# PDF test renders the printed pages: both from the system's packages (scripts/get-browser.sh).
browser:
	@bash scripts/get-browser.sh

# The class hub's proxy, configurable-http-proxy, from npm into the venv (chapters/assignments/hub/).
hub-proxy:
	@VENV=$(VENV) bash scripts/get-hub.sh

build: setup-book
	$(BIN)/jupyter-book build . -W -n --keep-going

serve:
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

book: build serve

# The suite runs on pytest-xdist workers, one per CPU and one more: part of it waits (on
# Chromium, on nbgrader and kernels starting), and the extra worker fills those gaps. Each
# file runs whole on one worker (pyproject.toml's pytest settings), the browser tests share
# one site build (tests/browser/conftest.py), and each worker's kernels get one share of
# the cores (conftest.py).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: lint
	$(BIN)/python -m pytest -n $(WORKERS)

# Strict nbval as another CPU would run it: PyTorch's portable kernels (no AVX2 or AVX-512), an
# empty activation cache and no kept sweeps, so nothing computed on this machine is reused.
# Slower than `test`.
test-portable: setup
	@cache=$$(mktemp -d) && ATEN_CPU_CAPABILITY=default LECNOTES_CACHE=$$cache LECNOTES_SWEEP_CACHE=off \
	  $(BIN)/python -m pytest -p no:cacheprovider chapters/; rc=$$?; rm -rf "$$cache"; exit $$rc

# The project's ruff settings allow 110 characters a line; the chapters' code cells and
# the student editions are held to 88, so they read without scrolling in JupyterLab.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff check --config 'lint.per-file-ignores = {}' --select E501 --line-length 88 \
	  chapters/*.ipynb notebooks/*.ipynb

# Every chapter, the bigger-body appendix and the speed appendix. Not chapters/full_size.ipynb: it needs internet and
# ideally a GPU, and its stored outputs must come from a real full-size run.
execute: setup
	$(BIN)/python scripts/execute.py chapters/[0-9]*.ipynb chapters/bigger_body.ipynb chapters/how_fast.ipynb
	$(BIN)/python scripts/editions.py

# Both shipped bodies, each in its own process: the small one (512 channels) and the big one
# (2048 channels, stored in float16). Either alone: python -m lecnotes.pretrain --body big
pretrain: setup
	$(BIN)/python -m lecnotes.pretrain --body small
	$(BIN)/python -m lecnotes.pretrain --body big

# The student editions (notebooks/): the prose with the book's numbers written in, as the
# launch and download buttons serve them. No browser, no test tools.
lab: setup-lab
	env -u MPLBACKEND $(BIN)/jupyter lab notebooks/  # with MPLBACKEND set, kernels draw no figures

# Rewrite notebooks/ (the student editions) from the executed chapters.
editions: $(VENV)/.installed-book
	$(BIN)/python scripts/editions.py

# The student release of the five assignments: chapters/assignments/release/ (git-ignored).
assignments: setup
	cd chapters/assignments && PATH="$(CURDIR)/$(BIN):$$PATH" nbgrader generate_assignment '*' --force --log-level=WARN

# The class hub of chapters/assignments/hub/ on this machine (instructors.md); Ctrl-C stops it.
hub: setup
	$(BIN)/python chapters/assignments/hub/classroom.py

bench: setup
	$(BIN)/python bench/bench.py

# Seconds of `nbgrader autograde` per submission of each assignment, one grader process and two.
bench-grading: setup
	$(BIN)/python bench/bench_grading.py

pdf: setup build
	$(BIN)/python scripts/make_pdf.py

# Publishing by hand; the GitHub Actions workflow does the same on every push to main.
publish: test
	$(BIN)/ghp-import --no-jekyll --push --force _build/html

clean:
	rm -rf _build
