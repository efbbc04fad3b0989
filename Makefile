# The two commands a new user needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SLANT_HOME ?= var
export SLANT_HOME

.PHONY: install model serve test lint unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

model: install
	$(BIN)/slant train --if-missing --dataset datasets/core

serve: model
	$(BIN)/slant serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check training service tests notebooks bench
	$(BIN)/mypy
	$(BIN)/mypy bench/load.py

unit: install
	$(BIN)/pytest

test: lint unit

bench: install
	$(BIN)/slant bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
