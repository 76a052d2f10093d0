# Moorage: `make run` installs and starts the embedded service, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit services image bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	scripts/setup-docker.sh
	$(BIN)/moorage image build
	$(BIN)/moorage serve

services:
	scripts/setup-services.sh

lint: $(STAMP)
	$(BIN)/ruff check moorage tests benchmarks
	$(BIN)/ruff format --check moorage tests benchmarks
	$(BIN)/mypy moorage

test: $(STAMP) services lint
	$(BIN)/pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/api

bench: $(STAMP) services
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
