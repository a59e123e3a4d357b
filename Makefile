# Two commands matter on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project (with dev tools) when missing or when pyproject.toml changed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Ingest API on http://127.0.0.1:8088 and the workers, delivering to the built-in SFMC emulator
# (the quick-start config has no SFMC credentials); the web console on http://127.0.0.1:8089/;
# the job store is ./sfmc-actions.db.
run: $(STAMP)
	$(BIN)/sfmc-actions serve --config examples/quickstart.yaml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
