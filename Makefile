# The two commands: `make demo` runs calcast with demo data on SQLite (`make demo PORT=8300` on another port);
# `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test install lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/calcast demo --port $(PORT)

test: $(STAMP)
	scripts/prepare-tests
	$(BIN)/python -m pytest --numprocesses auto

lint: $(STAMP)
	$(BIN)/ruff check calcast tests bench
	$(BIN)/ruff format --check calcast tests bench
	$(BIN)/mypy calcast tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) calcast-data test-artifacts
