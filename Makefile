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
# With MPLBACKEND set (e.g. Agg) notebook kernels draw no figures: nbval fails and the site
# shows "<Figure size ...>" text. Never pass it on.
unexport MPLBACKEND
# No progress bars in anything stored or compared.
export LECNOTES_PROGRESS := 0

.PHONY: help setup data browser book build serve test lint execute pretrain lab pdf bench assignments publish clean

help:
	@echo "make book     set up, build the site and serve it on http://127.0.0.1:$(PORT)"
	@echo "make test     set up and run every test"
	@echo "make execute  re-run every chapter in a fresh kernel and store its outputs (authors)"
	@echo "make pretrain re-train the small body on the source task (authors)"
	@echo "make lab      open the chapters in JupyterLab"
	@echo "make assignments  the students' release of the nbgrader assignments (instructors)"
	@echo "make bench    measure the book's speed (about 12 min): prints a table, writes bench/latest.json"
	@echo "make pdf      one PDF of the whole book: _build/pdf/lesson4-annotated.pdf"
	@echo "make publish  build and push the site to the gh-pages branch by hand (ghp-import)"

# The venv is (re)installed only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lecnotes)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) data browser

data: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/get-data.sh

browser:
	@bash scripts/get-browser.sh

build: setup
	$(BIN)/jupyter-book build . -W -n --keep-going

serve:
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

book: build serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

# Every chapter and the speed appendix. Not chapters/full_size.ipynb: it needs internet and
# ideally a GPU, and its stored outputs must come from a real full-size run.
execute: setup
	$(BIN)/python scripts/execute.py chapters/[0-9]*.ipynb chapters/how_fast.ipynb

pretrain: setup
	$(BIN)/python -m lecnotes.pretrain

lab: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,lab]'
	$(BIN)/jupyter lab chapters/

# The student release of the five assignments: chapters/assignments/release/ (git-ignored).
assignments: setup
	cd chapters/assignments && PATH="$(CURDIR)/$(BIN):$$PATH" nbgrader generate_assignment '*' --force --log-level=WARN

bench: setup
	$(BIN)/python scripts/bench.py

pdf: build
	$(BIN)/python scripts/make_pdf.py

# Publishing by hand; the GitHub Actions workflow does the same on every push to main.
publish: test
	$(BIN)/ghp-import --no-jekyll --push --force _build/html

clean:
	rm -rf _build
