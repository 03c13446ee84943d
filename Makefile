# Two commands for a fresh clone: `make serve` and `make test`. Everything else is here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Material 9.8 prints an end-of-life notice for MkDocs 2 on every run; it is not a build warning.
export NO_MKDOCS_2_WARNING := 1

.PHONY: install serve build test lint format clean bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

# Build next to site/ and swap at the end, so a failed build leaves the last good site intact.
build: $(STAMP)
	rm -rf .cache/site.new
	$(BIN)/mkdocs build --strict --site-dir .cache/site.new
	rm -rf site && mv .cache/site.new site

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf site .cache

# Build time, serve edit latency and page weight, measured on a temporary copy of the project.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py
